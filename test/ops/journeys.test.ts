import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { journeyExecutionName } from '../../functions/domain/journey-repair.ts';
import { getCoach } from '../../functions/shared/coach-store.ts';
import { listOnwardReferrals } from '../../functions/shared/onward-referral-store.ts';
import { getReferral, listTasks, listTimeline, queryPartition } from '../../functions/shared/referral-store.ts';
import { cancelOpenTasks } from '../../functions/shared/task-store.ts';
import { journeysTable } from '../../functions/shared/tables.ts';
import { describeFailure, main } from '../../ops/journeys.ts';
import { type JourneyTestbed, results, startJourneyTestbed } from '../support/journey.ts';
import { HOUR } from '../support/runtime.ts';

/**
 * The journeys command against the local runtime: journeys driven into needs_attention by a
 * step that fails for good, listed, redriven (finishing without repeating finished work),
 * refused when a redrive would send an onward referral again, and closed.
 */
const WEEK = 7 * 24 * HOUR;
let bed: JourneyTestbed;

beforeAll(async () => {
  bed = await startJourneyTestbed('test-journey-ops');
});
afterAll(async () => {
  await bed?.stop();
});

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((line) => void out.push(String(line)));
  const error = vi.spyOn(console, 'error').mockImplementation((line) => void err.push(String(line)));
  try {
    const code = await main([
      ...args,
      '--area', bed.area.slug,
      '--endpoint', bed.rt.dynamoDbEndpoint,
      '--sfn-endpoint', bed.rt.stepFunctionsEndpoint,
    ]);
    await bed.rt.engine.idle();
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

const execution = (referralId: string, redrives = 0) =>
  bed.rt.engine.describeExecution(`${bed.rt.stateMachineArn.replace(':stateMachine:', ':execution:')}:${journeyExecutionName(referralId, redrives)}`);

/** The live task cancelled by mistake (a withdrawal of the wrong journey, say): its next phase fails for good. */
async function loseLiveTasks(referralId: string) {
  await cancelOpenTasks(referralId, await listTasks(referralId), new Date(), 'other');
}

async function answerAsProvider(onwardReferralId: string, status: string) {
  const sent = bed.provider.received.find((r) => r.body.onwardReferralId === onwardReferralId);
  if (!sent) throw new Error('provider never received the onward referral');
  await fetch(sent.body.respondTo.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${sent.body.respondTo.key}` },
    body: JSON.stringify({ status }),
  });
  await bed.rt.engine.idle();
}

const sendsTo = (onwardIds: readonly string[]) => bed.provider.received.filter((r) => onwardIds.includes(r.body.onwardReferralId)).length;

describe('npm run journeys', () => {
  let inSupport: string; // failed during support, after contact, assessment and a check-in
  let atContact: string; // failed at first contact
  let awaitingProvider: string; // failed while a webhook provider had not answered
  let supportOnward: string[];

  it('journeys that fail for good are listed in needs_attention, oldest first, with codes only', async () => {
    const { j, rt } = bed;
    inSupport = await j.refer();
    awaitingProvider = await j.refer();
    atContact = await j.refer();
    for (const id of [inSupport, awaitingProvider]) await j.complete(id, 'first_contact', results.firstContact('engaged'));
    await j.complete(inSupport, 'assessment', results.assessment(['msk-physiotherapy']));
    await j.complete(awaitingProvider, 'assessment', results.assessment(['talking-therapies']));
    supportOnward = (await listOnwardReferrals(inSupport)).map((o) => o.onwardReferralId);
    await answerAsProvider(supportOnward[0]!, 'accepted');

    await loseLiveTasks(atContact);
    await rt.advance(2 * WEEK); // atContact's reminder phase finds no task: needs_attention
    expect(await j.status(atContact)).toBe('needs_attention');
    await j.complete(inSupport, 'follow_up', results.followUp());
    await j.complete(awaitingProvider, 'follow_up', results.followUp());
    await rt.advance(2 * WEEK);
    await loseLiveTasks(inSupport);
    await loseLiveTasks(awaitingProvider);
    await rt.advance(WEEK);
    for (const id of [inSupport, awaitingProvider]) {
      expect(await j.status(id)).toBe('needs_attention');
      expect(execution(id)).toMatchObject({ status: 'FAILED', error: 'JourneyNeedsAttention' });
    }

    const listed = await run('needs-attention', '--json');
    expect(listed.code).toBe(0);
    const { journeys } = JSON.parse(listed.out) as { journeys: { referralId: string; since: string; stage: string; error?: string }[] };
    expect(journeys.map((r) => r.referralId)).toEqual([atContact, inSupport, awaitingProvider].sort((a, b) =>
      journeys.find((r) => r.referralId === a)!.since.localeCompare(journeys.find((r) => r.referralId === b)!.since) || a.localeCompare(b),
    ));
    expect(journeys[0]?.referralId).toBe(atContact);
    expect(journeys.find((r) => r.referralId === atContact)).toMatchObject({ stage: 'first_contact', error: expect.any(String) });
    expect(journeys.find((r) => r.referralId === inSupport)).toMatchObject({ stage: 'support', error: expect.any(String) });
    // Codes only: none of the people's details.
    for (const id of [atContact, inSupport]) {
      const { participant } = (await getReferral(id))!.referral;
      for (const value of [participant.givenName, participant.familyName, participant.postcode, participant.nhsNumber!]) {
        expect(listed.out).not.toContain(value);
      }
    }
  });

  it('prints needs_attention as an aligned table by default', async () => {
    const listed = await run('needs-attention');
    const lines = listed.out.split('\n');
    expect(lines[0]).toMatch(/^referral +since +stage +last step +error +redrives$/);
    expect(lines[1]).toMatch(/^-+( +-+){5}$/);
    const rows = lines.slice(2);
    expect(rows.map((l) => l.split(/ +/)[0]).sort()).toEqual([atContact, inSupport, awaitingProvider].sort());
    // Aligned: every column starts at the same place on every line.
    const stageAt = lines[0]!.indexOf('stage');
    for (const row of rows) expect(row.slice(stageAt)).toMatch(/^(first_contact|support) /);
  });

  it('show prints one journey: stage, open tasks, onward referrals and timeline, codes only', async () => {
    const { j } = bed;
    const id = await j.refer();
    await j.complete(id, 'first_contact', results.firstContact('engaged'));
    const task = (await j.liveTask(id, 'assessment'))!;
    const shown = await run('show', id);
    expect(shown.code).toBe(0);
    expect(shown.out).toContain(`Journey ${id}`);
    expect(shown.out).toMatch(/\nstage +assessment\n/);
    expect(shown.out).toMatch(/\nstatus +engaged\n/);
    const openTasks = shown.out.split('Open tasks\n')[1]!.split('\n\n')[0]!;
    expect(openTasks).toMatch(new RegExp(`assessment +open +1 +${task.dueAt.slice(0, 16).replace('T', ' ')}Z +${task.assignee} +${task.taskId}`));
    const timeline = shown.out.split('Timeline\n')[1]!;
    expect(timeline).toMatch(/received +received/);
    expect(timeline).toMatch(/task_completed .*taskType=first_contact/);
    const { participant } = (await getReferral(id))!.referral;
    for (const value of [participant.givenName, participant.familyName, participant.postcode, participant.nhsNumber!, participant.dateOfBirth]) {
      expect(shown.out).not.toContain(value);
    }

    // By its short reference, as read out on the phone (lower case, no dashes): the same journey.
    const reference = (await getReferral(id))!.reference!;
    const byReference = await run('show', reference.toLowerCase().replaceAll('-', ''));
    expect(byReference.code).toBe(0);
    expect(byReference.out).toContain(`Journey ${id}`);
    const json = JSON.parse((await run('show', id, '--json')).out) as { referral: { stage: string }; openTasks: { taskId: string }[]; timeline: { event: string }[] };
    expect(json.referral.stage).toBe('assessment');
    expect(json.openTasks.map((t) => t.taskId)).toEqual([task.taskId]);
    expect(json.timeline[0]?.event).toBe('received');
    expect(JSON.stringify(json)).not.toContain(participant.familyName);

    expect(await run('show', 'no-such-referral')).toMatchObject({ code: 1, err: expect.stringContaining('No referral') });
  });

  it('against the local data dir, times are the runtime clock file\'s', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'journeys-ops-clock-'));
    try {
      // A runtime stopped at this moment: its clock stands there.
      const at = Date.UTC(2027, 5, 1, 12, 0);
      writeFileSync(join(dir, 'clock.json'), JSON.stringify({ now: at }));
      const shown = await run('show', inSupport, '--data-dir', dir);
      expect(shown.out).toContain('now 2027-06-01 12:00Z');
      // Date is the test runtime's again afterwards.
      expect(Date.now()).toBe(bed.rt.clock.now());
      expect(await run('show', inSupport, '--data-dir', join(dir, 'none')).catch(describeFailure)).toMatchObject({ exitCode: 2 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a redrive that would send an onward referral to a provider again', async () => {
    const before = (await listOnwardReferrals(awaitingProvider)).map((o) => o.onwardReferralId);
    const sends = sendsTo(before);
    const refused = await run('redrive', '--referral', awaitingProvider);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/send them again/);
    expect(await bed.j.status(awaitingProvider)).toBe('needs_attention');
    expect(() => execution(awaitingProvider, 1)).toThrow();
    expect(sendsTo(before)).toBe(sends);
  });

  it('a redrive finishes the journey without asking for finished work again or re-sending onward referrals', async () => {
    const { j, rt, area } = bed;
    const coachId = (await getReferral(inSupport))!.coachId!;
    const before = await listTasks(inSupport);
    const sends = sendsTo(supportOnward);
    const assignedMails = async () =>
      (await queryPartition(inSupport, 'NOTIFICATION#')).filter((n) => n.template === 'task_assigned').length;
    const mailsBefore = await assignedMails();

    const redriven = await run('redrive', '--referral', inSupport);
    expect(redriven.code).toBe(0);
    // The lost check-in was never answered: it is asked (once), the answered ones are not.
    expect(redriven.err).toMatch(/not asked again: first_contact, assessment\./);
    expect(execution(inSupport, 1).status).toBe('RUNNING');
    expect(await j.status(inSupport)).toBe('in_support');
    const entry = (await listTimeline(inSupport)).find((e) => e.event === 'redriven');
    expect(entry).toMatchObject({ attempt: 1, status: 'in_support' });

    // Run to the end: check-ins from the stored plan, then the outcome.
    for (let i = 0; i < 12 && !(await j.liveTask(inSupport, 'outcome')); i++) {
      await rt.advance(2 * WEEK);
      if (await j.liveTask(inSupport, 'follow_up')) await j.complete(inSupport, 'follow_up', results.followUp());
    }
    await j.complete(inSupport, 'outcome', results.outcome());
    expect(execution(inSupport, 1).status).toBe('SUCCEEDED');
    expect(await getReferral(inSupport)).toMatchObject({ status: 'completed', stage: 'closed' });

    const after = await listTasks(inSupport);
    const count = (tasks: typeof after, type: string) => tasks.filter((t) => t.type === type).length;
    // Nobody was asked again for first contact or the assessment; the provider heard once.
    expect(count(after, 'first_contact')).toBe(count(before, 'first_contact'));
    expect(count(after, 'assessment')).toBe(1);
    expect(sendsTo(supportOnward)).toBe(sends);
    const completedFollowUps = after.filter((t) => t.type === 'follow_up' && t.status === 'completed').length;
    expect(completedFollowUps).toBe(area.support.maxWeeksInWork / area.support.followUpEveryWeeks - 1);
    // Mails about new tasks: only the tasks opened after the redrive (follow-ups and the outcome).
    const opened = after.filter((t) => !before.some((b) => b.taskId === t.taskId));
    expect(opened.every((t) => t.type === 'follow_up' || t.type === 'outcome')).toBe(true);
    expect((await assignedMails()) - mailsBefore).toBe(opened.length);
    expect((await getCoach(coachId))?.caseload).toBeGreaterThanOrEqual(0);
  });

  it('close ends a stuck journey for good: tasks cancelled, caseload released, retention applied', async () => {
    const referral = (await getReferral(atContact))!;
    const load = (await getCoach(referral.coachId!))!.caseload;
    const closed = await run('close', '--referral', atContact, '--reason', 'cannot_resume');
    expect(closed.code).toBe(0);
    const after = (await getReferral(atContact))!;
    expect(after).toMatchObject({ status: 'closed', stage: 'closed' });
    expect((await getCoach(referral.coachId!))?.caseload).toBe(load - 1);
    expect((await listTasks(atContact)).filter((t) => t.status === 'open' || t.status === 'overdue')).toEqual([]);
    expect((await listTimeline(atContact)).find((e) => e.event === 'closed_by_operator')?.reason).toBe('cannot_resume');
    const items = await queryPartition(atContact, '');
    expect(items.every((item) => item[journeysTable.ttlAttribute] === after.expiresAt)).toBe(true);

    // Again: nothing more happens (the caseload is freed once); no longer listed.
    expect((await run('close', '--referral', atContact, '--reason', 'cannot_resume')).code).toBe(0);
    expect((await getCoach(referral.coachId!))?.caseload).toBe(load - 1);
    const listed = JSON.parse((await run('needs-attention', '--json')).out) as { journeys: { referralId: string }[] };
    expect(listed.journeys.map((r) => r.referralId)).toEqual([awaitingProvider]);
  });

  it('refuses to close a journey that is not stuck, and bad input plainly', async () => {
    expect((await run('close', '--referral', inSupport, '--reason', 'duplicate')).code).toBe(1);
    expect(await bed.j.status(inSupport)).toBe('completed');
    const failure = await run('close', '--referral', inSupport, '--reason', 'because').catch(describeFailure);
    expect(failure).toMatchObject({ exitCode: 2 });
  });
});
