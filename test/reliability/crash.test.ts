import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, expect, it } from 'vitest';
import { loadArea } from '../../areas/index.ts';
import { resetClients } from '../../functions/shared/aws-clients.ts';
import { listTasks, listTimeline, queryPartition } from '../../functions/shared/referral-store.ts';
import { journeysTable, tableName } from '../../functions/shared/tables.ts';
import { createCoachIssuer } from '../../local/coach-issuer.ts';
import { type LocalMailbox, startMailbox } from '../../local/mailbox.ts';
import { freePort } from '../../local/ports.ts';
import { referralForNewPerson } from '../fixtures/referrals.ts';
import { seededRandom } from '../support/faults.ts';
import { results } from '../support/journey.ts';
import { type RuntimeProcess, startRuntimeProcess } from '../support/runtime-process.ts';
import { until } from '../support/until.ts';

/**
 * Crash: `npm start` (a child process, its clock at 3600 simulated seconds a second, so the
 * notifier's minute timer fires many times a second) is killed with SIGKILL at seeded random
 * points, mid-intake, while the notifier's timer sends the new tasks' e-mails, around the
 * moment the tasks' own reminder timers fire, and mid-way through coaches completing tasks,
 * and started again on the same data each time. Driven from outside over HTTP only: referrals
 * with an Idempotency-Key sent again when unanswered, tasks completed through the coach API
 * (tokens signed with the local issuer's key kept in the data directory) and sent again when
 * unanswered.
 *
 * Then every referral answered 202 has one journey that finished (declined at first contact),
 * none started twice, its steps ran once (triaged, assigned, one first contact task, completed
 * once), and the outbox holds one task e-mail per task and one reminder per task whose
 * reminder came due, sent: no duplicate or lost notification.
 * RELIABILITY_SEED=<n> picks other kill points.
 */
const SEED = Number(process.env.RELIABILITY_SEED ?? 20260105);
const REFERRALS = 8;
const AREA = loadArea('south-yorkshire');
const dataDir = mkdtempSync(join(tmpdir(), 'workwell-crash-'));
let running: RuntimeProcess | undefined;
let mailbox: LocalMailbox | undefined;

afterAll(async () => {
  await running?.kill();
  await mailbox?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const HOUR = 3600_000;
/** The child runtime's clock, as it saves it each real second (local/start.ts). */
const clockNow = (): number => Number((JSON.parse(readFileSync(join(dataDir, 'clock.json'), 'utf8')) as { now: number }).now);

it('SIGKILL mid-intake, mid-notifier, at the reminder timers and mid-completion: every journey finishes once, no task or reminder lost, no duplicate notification', { timeout: 600_000 }, async () => {
  const random = seededRandom(SEED);
  const port = await freePort();
  // The mailbox runs here, outside the runtime, so every e-mail sent survives the kills.
  mailbox = await startMailbox();
  const start = async () => {
    running = await startRuntimeProcess({ dataDir, port, args: ['--clock-speed', '3600', '--mail-endpoint', mailbox!.url] });
    return running;
  };
  let rt = await start();
  const partner = (JSON.parse(readFileSync(join(dataDir, 'credentials.json'), 'utf8')) as { partners: { token: string }[] }).partners[0]!;
  // The local issuer's key is kept with the data: tokens that outlive the fast clock.
  const issuer = createCoachIssuer({ gatewayUrl: rt.api, dataDir });
  const staff = (staffId: string) => ({ authorization: `Bearer ${issuer.sign({ staffId }, { expiresInSeconds: 10 * 365 * 86_400 })}` });
  const lead = staff(AREA.teamLeads[0]!.id);
  const api = (path: string, init: RequestInit = {}) => fetch(`${rt.api}${path}`, { ...init, signal: AbortSignal.timeout(20_000) });
  const kills: string[] = [];

  // 1. Intake, killed just after the k-th referral is sent.
  const bodies = Array.from({ length: REFERRALS }, () => JSON.stringify(referralForNewPerson()));
  const ids = new Map<number, string>();
  const refer = async (i: number) => {
    const res = await api('/v1/referrals', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${partner.token}`, 'idempotency-key': `crash-${SEED}-${i}` },
      body: bodies[i],
    });
    if (res.status === 202) ids.set(i, ((await res.json()) as { referralId: string }).referralId);
    return res.status;
  };
  const killAfter = Math.floor(random() * REFERRALS);
  const killDelay = Math.floor(random() * 40);
  const inFlight: Promise<unknown>[] = [];
  for (let i = 0; i < REFERRALS; i++) {
    inFlight.push(refer(i).catch(() => 'no answer'));
    if (i === killAfter) {
      await sleep(killDelay);
      await rt.kill();
      kills.push(`intake after referral ${i + 1} + ${killDelay} ms (${ids.size} answered)`);
    } else await sleep(20);
  }
  await Promise.all(inFlight);
  rt = await start();
  // Unanswered referrals are sent again with the same key, as a partner would.
  for (let i = 0; i < REFERRALS; i++) {
    await until(async () => (ids.has(i) ? true : (await refer(i).catch(() => 0)) === 202 || undefined), `referral ${i} accepted`, 60_000, 200);
  }

  // 2. Every journey gets its first contact task (the coach API, as the team lead sees the team).
  const taskOf = new Map<string, { taskId: string; assignee: string; dueAt: string }>();
  await until(
    async () => {
      const res = await api('/v1/tasks?scope=team&limit=100', { headers: lead });
      if (res.status !== 200) return undefined;
      for (const t of ((await res.json()) as { tasks: { taskId: string; referralId: string; type: string; assignee: string; dueAt: string }[] }).tasks) {
        if (t.type === 'first_contact') taskOf.set(t.referralId, t);
      }
      return [...ids.values()].every((id) => taskOf.has(id)) ? true : undefined;
    },
    'a first contact task for every referral',
    60_000,
    250,
  );

  // The notifier's minute timer fires about sixty times a real second, sending the new tasks'
  // e-mails: killed while it does, at a seeded moment.
  const killDelay3 = Math.floor(random() * 300);
  await sleep(killDelay3);
  await rt.kill();
  kills.push(`timers ${killDelay3} ms after the tasks opened`);
  rt = await start();

  // A journey's own timer: the first contact tasks' reminders (the open phase's time-out) fire
  // on the runtime's clock; killed around the first of them, at a seeded moment.
  const reminderAt = (t: { dueAt: string }) => Date.parse(t.dueAt) - AREA.deadlines.reminderBeforeHours * HOUR;
  const firstReminder = Math.min(...[...taskOf.values()].map(reminderAt));
  const killLead = Math.floor(random() * 2 * HOUR);
  await until(async () => (clockNow() >= firstReminder - HOUR + killLead ? true : undefined), 'the first reminder due', 200_000, 50);
  await rt.kill();
  kills.push(`reminder timers ${((killLead - HOUR) / 60_000).toFixed(0)} simulated minutes from the first`);
  rt = await start();
  await until(async () => (clockNow() >= firstReminder + HOUR ? true : undefined), 'the first reminder passed', 60_000, 50);
  // Reminders due an hour before the completions start must have gone out, once.
  const remindersDueBy = clockNow() - HOUR;

  // 3. Coaches complete them (declined: the journey ends), killed after the k-th is sent.
  const answered = new Set<string>();
  const complete = async (referralId: string) => {
    const task = taskOf.get(referralId)!;
    const res = await api(`/v1/tasks/${task.taskId}/complete`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...staff(task.assignee) },
      body: JSON.stringify(results.firstContact('declined')),
    });
    // 409: completed before the crash (its answer lost with the process).
    if (res.status === 200 || res.status === 409) answered.add(referralId);
    return res.status;
  };
  const referralIds = [...ids.values()];
  const killAfter2 = Math.floor(random() * REFERRALS);
  const killDelay2 = Math.floor(random() * 40);
  inFlight.length = 0;
  for (const [i, referralId] of referralIds.entries()) {
    inFlight.push(complete(referralId).catch(() => 'no answer'));
    if (i === killAfter2) {
      await sleep(killDelay2);
      await rt.kill();
      kills.push(`completions after task ${i + 1} + ${killDelay2} ms (${answered.size} answered)`);
    } else await sleep(20);
  }
  await Promise.all(inFlight);
  rt = await start();
  for (const referralId of referralIds) {
    await until(async () => (answered.has(referralId) ? true : ((await complete(referralId).catch(() => 0)), answered.has(referralId) || undefined)), 'task completed', 60_000, 200);
  }
  await until(
    async () => {
      const statuses = await Promise.all(
        referralIds.map(async (id) => ((await (await api(`/v1/referrals/${id}`, { headers: { authorization: `Bearer ${partner.token}` } })).json()) as { status: string }).status),
      );
      return statuses.every((s) => s === 'withdrawn') ? true : undefined;
    },
    'every journey ended',
    60_000,
    250,
  );

  // What the runtime holds now, read from its DynamoDB and Step Functions endpoints.
  Object.assign(process.env, {
    AWS_REGION: AREA.aws.region,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: rt.dynamoEndpoint,
    AWS_ENDPOINT_URL_SFN: rt.sfnEndpoint,
    AREA_SLUG: AREA.slug,
    [journeysTable.envVar]: tableName(AREA.slug, journeysTable),
  });
  resetClients();
  const sfn = new SFNClient({ endpoint: rt.sfnEndpoint, region: AREA.aws.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    const stateMachineArn = `arn:aws:states:${AREA.aws.region}:000000000000:stateMachine:WorkWell-${AREA.slug}-journey`;
    const executions = (await sfn.send(new ListExecutionsCommand({ stateMachineArn, maxResults: 1000 }))).executions ?? [];
    const finished = executions.filter((e) => e.status === 'SUCCEEDED' && referralIds.includes(e.name!)).length;
    const twice = executions.length - new Set(executions.map((e) => e.name)).size + executions.filter((e) => !referralIds.includes(e.name!)).length;
    const stepsTwice: string[] = [];
    let tasksLost = 0;
    let duplicateNotifications = 0;
    let unsent = 0;
    let remindersDue = 0;
    let remindersLost = 0;
    // E-mails as delivered, by the notification id each carries in a header.
    const delivered = new Map<string, number>();
    for (const m of await mailbox!.messages()) {
      const id = m.headers?.find((h) => h.name === 'X-WorkWell-Notification-Id')?.value;
      if (id) delivered.set(id, (delivered.get(id) ?? 0) + 1);
    }
    let emailsSent = 0;
    let emailsLost = 0;
    let resentAfterKill = 0;
    const resentOtherwise: string[] = [];
    for (const id of referralIds) {
      const events = (await listTimeline(id)).map((e) => e.event);
      for (const event of ['triaged', 'coach_assigned', 'task_completed']) {
        if (events.filter((e) => e === event).length !== 1) stepsTwice.push(`${id}: ${event} × ${events.filter((e) => e === event).length}`);
      }
      const tasks = await listTasks(id, 'first_contact');
      if (tasks.length !== 1 || tasks[0]!.status !== 'completed') tasksLost++;
      const notifications = await queryPartition(id, 'NOTIFICATION#');
      const assigned = notifications.filter((n) => n.template === 'task_assigned');
      duplicateNotifications += Math.max(0, assigned.length - tasks.length);
      if (assigned.length < tasks.length) tasksLost++;
      unsent += assigned.filter((n) => n.status !== 'sent').length;
      const reminded = notifications.filter((n) => n.template === 'task_reminder');
      duplicateNotifications += Math.max(0, reminded.length - 1);
      if (reminderAt(taskOf.get(id)!) <= remindersDueBy) {
        remindersDue++;
        if (reminded.length === 0) remindersLost++;
        unsent += reminded.filter((n) => n.status !== 'sent').length;
      }
      for (const n of notifications.filter((n) => n.status === 'sent')) {
        const times = delivered.get(String(n.notificationId)) ?? 0;
        emailsSent += times;
        if (times === 0) emailsLost++;
        // Sending is at least once: a kill between the send and marking it sent leaves a claim
        // whose lease expires, and the next sender sends again (a second attempt). Any other
        // repeat would be a fault.
        if (times > 1 && Number(n.attempts) > 1) resentAfterKill += times - 1;
        else if (times > 1) resentOtherwise.push(`${String(n.notificationId)} × ${times}`);
      }
    }
    console.log(
      `crash: ${kills.length} SIGKILLs (${kills.join('; ')}; seed ${SEED}), ${kills.length + 1} starts, ${REFERRALS} sent, ${referralIds.length} accepted, ` +
        `${finished} journeys finished, ${twice} twice, ${stepsTwice.length} steps repeated, ${tasksLost} tasks lost, ${remindersDue} reminders due of which ${remindersLost} lost, ${duplicateNotifications} duplicate notifications, ${unsent} unsent; ` +
        `${emailsSent} e-mails delivered, ${emailsLost} lost, ${resentAfterKill} sent again after a kill interrupted the send, ${resentOtherwise.length} sent twice otherwise`,
    );
    expect(referralIds).toHaveLength(REFERRALS);
    expect(new Set(referralIds).size).toBe(REFERRALS);
    expect(finished).toBe(REFERRALS);
    expect(twice).toBe(0);
    expect(stepsTwice).toEqual([]);
    expect(tasksLost).toBe(0);
    expect(duplicateNotifications).toBe(0);
    expect(remindersDue).toBeGreaterThan(0);
    expect(remindersLost).toBe(0);
    expect(unsent).toBe(0);
    expect(emailsSent).toBeGreaterThanOrEqual(REFERRALS);
    expect(emailsLost).toBe(0);
    expect(resentOtherwise).toEqual([]);
  } finally {
    sfn.destroy();
    resetClients();
  }
});
