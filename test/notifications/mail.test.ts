import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getReferral, listTimeline, queryPartition } from '../../functions/shared/referral-store.ts';
import type { MailboxMessage } from '../../local/mailbox.ts';
import type { LocalProvider } from '../support/provider.ts';
import { type JourneyDriver, type JourneyTestbed, type registerJourneyArea, results, startJourneyTestbed } from '../support/journey.ts';
import { HOUR, startTestRuntime, type TestRuntime } from '../support/runtime.ts';

/**
 * Notifications end to end on the local runtime: the outbox items the journey writes, the
 * notifier delivering them to the local SES mailbox, the daily digest, and a failing mail
 * endpoint. Automatic runs are paused: each test runs the notifier and digest itself.
 */
let bed: JourneyTestbed;
let provider: LocalProvider;
let rt: TestRuntime;
let j: JourneyDriver;
let area: ReturnType<typeof registerJourneyArea>;

beforeAll(async () => {
  bed = await startJourneyTestbed('test-notifications');
  ({ provider, area, rt, j } = bed);
  // Monday 5 January 2026, 09:00 in London.
  rt.scheduler.setAuto(false);
});
afterAll(async () => {
  await bed?.stop();
});

const emailOf = (id: string) => [...area.coaches, ...area.teamLeads].find((p) => p.id === id)!.email;
const teamLeadOf = (coachId: string) => area.teamLeads.find((t) => t.id === area.coaches.find((c) => c.id === coachId)!.teamLeadId)!.email;
const mails = async (to: string, subject: RegExp) => (await rt.mailbox.messages(to)).filter((m) => subject.test(m.subject));
// E-mails name a case by its short reference (the referral id only in links).
const references = new Map<string, string>();
const about = (referralId: string) => (m: MailboxMessage) => (m.body.text ?? '').includes(references.get(referralId) ?? referralId);
const refer = async (overrides: typeof urgent) => {
  const id = await j.refer(overrides);
  references.set(id, (await getReferral(id))!.reference!);
  return id;
};
const urgent = { work: { situation: 'on_sick_leave' as const } };
const send = async () => rt.scheduler.runNotifier();

let referralId: string;
let coachId: string;

describe('task e-mails', () => {
  it('a new task e-mails its assignee at once: case reference and link only', async () => {
    referralId = await refer(urgent);
    coachId = (await getReferral(referralId))!.coachId!;
    const task = (await j.liveTask(referralId, 'first_contact'))!;
    await send();
    const [mail, ...more] = (await mails(emailOf(coachId), /^New WorkWell task/)).filter(about(referralId));
    expect(more).toHaveLength(0);
    expect(mail!.subject).toContain('first contact');
    expect(mail!.body.text).toContain(`/coach/tasks/${task.taskId}`);
    expect(mail!.headers).toContainEqual({ name: 'X-WorkWell-Notification-Id', value: expect.any(String) });
    const referral = (await getReferral(referralId))!.referral;
    const all = JSON.stringify(mail);
    for (const secret of [referral.participant.givenName, referral.participant.familyName, referral.participant.nhsNumber, referral.participant.postcode]) {
      if (secret) expect(all).not.toContain(secret);
    }
    // Sent once: a second run sends nothing more.
    await send();
    expect((await mails(emailOf(coachId), /^New WorkWell task/)).filter(about(referralId))).toHaveLength(1);
  });

  it('the reminder goes to the assignee, the escalation to the team lead, each once and on time', async () => {
    const task = (await j.liveTask(referralId, 'first_contact'))!;
    const due = Date.parse(task.dueAt);
    const remindAt = due - area.deadlines.reminderBeforeHours * HOUR;
    await rt.advance(remindAt - rt.clock.now() - 1000);
    await send();
    expect((await mails(emailOf(coachId), /^Reminder/)).filter(about(referralId))).toHaveLength(0);
    await rt.advance(1000);
    await send();
    expect((await mails(emailOf(coachId), /^Reminder/)).filter(about(referralId))).toHaveLength(1);
    expect((await mails(teamLeadOf(coachId), /^Overdue/)).filter(about(referralId))).toHaveLength(0);

    await rt.advance(due - rt.clock.now());
    await send();
    await send();
    expect((await mails(teamLeadOf(coachId), /^Overdue/)).filter(about(referralId))).toHaveLength(1);
    expect((await mails(emailOf(coachId), /^Reminder/)).filter(about(referralId))).toHaveLength(1);
  });
});

describe('daily digest', () => {
  const digests = async (to: string) => mails(to, /^WorkWell: \d+ due today/);

  it('nothing due or overdue: no digest', async () => {
    // A coach with no tasks at all gets nothing, on this or any morning.
    const idle = area.coaches.find((c) => c.id !== coachId)!;
    await rt.scheduler.runDigest();
    await send();
    expect(await digests(idle.email)).toHaveLength(0);
  });

  it('lists overdue and due-today tasks, once per morning', async () => {
    // Wednesday 07:30 London (the first task went overdue on Wednesday 09:00? no: refer another).
    const second = await refer(urgent);
    const secondCoach = (await getReferral(second))!.coachId!;
    const task = (await j.liveTask(second, 'first_contact'))!;
    // The working morning of the day the task falls due.
    const dueDay = new Date(task.dueAt);
    const morning = Date.UTC(dueDay.getUTCFullYear(), dueDay.getUTCMonth(), dueDay.getUTCDate(), 7, 30); // GMT in January
    await rt.advance(morning - rt.clock.now());
    const first = (await rt.scheduler.runDigest()) as { queued: number };
    expect(first.queued).toBeGreaterThan(0);
    await send();
    const mailsOf = (await digests(emailOf(secondCoach))).filter(about(second));
    expect(mailsOf[0]?.body.text).toContain(`Case ${references.get(second)}:`);
    expect(mailsOf).toHaveLength(1);
    expect(mailsOf[0]!.body.text).toMatch(/Due today:[\s\S]*first contact/);
    expect(mailsOf[0]!.body.text).toContain(`/coach/tasks/${task.taskId}`);

    // Twice the same morning: nothing new.
    const again = (await rt.scheduler.runDigest()) as { queued: number; alreadyQueued: number };
    expect(again.queued).toBe(0);
    expect(again.alreadyQueued).toBeGreaterThan(0);
    await send();
    expect(await digests(emailOf(secondCoach))).toHaveLength(mailsOf.length);

    // The first referral's task is overdue by now (in its grace period): listed as such.
    const overdueTask = await j.liveTask(referralId, 'first_contact');
    if (overdueTask?.status === 'overdue') {
      const coachMails = (await digests(emailOf(coachId))).filter((m) => (m.body.text ?? '').includes(overdueTask.taskId));
      expect(coachMails).toHaveLength(1);
      expect(coachMails[0]!.body.text).toMatch(/Overdue:/);
    }
  });
});

describe('a failing mail endpoint', () => {
  it('is retried with backoff, then recorded as failed and surfaced to the team lead; the journey moves on', async () => {
    await send(); // nothing else pending
    const endpoint = process.env.AWS_ENDPOINT_URL_SESV2;
    process.env.AWS_ENDPOINT_URL_SESV2 = 'http://127.0.0.1:9'; // nothing listens there
    let failing: string;
    try {
      failing = await refer(urgent);
      for (let attempt = 1; attempt <= 6; attempt++) {
        await send();
        await rt.advance(20 * 60_000);
      }
    } finally {
      process.env.AWS_ENDPOINT_URL_SESV2 = endpoint;
    }
    const [assigned] = (await queryPartition(failing, 'NOTIFICATION#')).filter((n) => n.template === 'task_assigned');
    expect(assigned).toMatchObject({ status: 'failed', attempts: 5 });
    expect((await listTimeline(failing)).filter((e) => e.event === 'notification_failed')).toHaveLength(1);

    await send();
    const coach = (await getReferral(failing))!.coachId!;
    const surfaced = (await mails(teamLeadOf(coach), /could not deliver/)).filter(about(failing));
    expect(surfaced).toHaveLength(1);
    // The failed message itself is never sent later.
    expect((await mails(emailOf(coach), /^New WorkWell task/)).filter(about(failing))).toHaveLength(0);

    // The journey never waited for the mail.
    expect(j.execution(failing).status).toBe('RUNNING');
    await j.complete(failing, 'first_contact', results.firstContact('engaged'));
    expect(await j.liveTask(failing, 'assessment')).toBeDefined();
  });
});
