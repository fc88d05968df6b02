import { randomUUID } from 'node:crypto';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReferralSchema } from '../../functions/domain/referral.ts';
import { dynamo } from '../../functions/shared/aws-clients.ts';
import { journeysTable } from '../../functions/shared/tables.ts';
import { validReferral } from '../fixtures/referrals.ts';
import { getCoach } from '../../functions/shared/coach-store.ts';
import { listOnwardReferrals } from '../../functions/shared/onward-referral-store.ts';
import { createReferral, getReferral, keys, listTasks, listTimeline } from '../../functions/shared/referral-store.ts';
import { withdrawReferral } from '../../functions/shared/withdrawal.ts';
import type { LocalProvider } from '../support/provider.ts';
import { type JourneyDriver, type JourneyTestbed, type registerJourneyArea, results, startJourneyTestbed } from '../support/journey.ts';
import { HOUR, startTestRuntime, type TestRuntime } from '../support/runtime.ts';

/**
 * Whole journeys on the local runtime: the synthesized state machine, the real handlers,
 * DynamoDB Local, a provider answering over HTTP, and a clock the tests move.
 */
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
let bed: JourneyTestbed;
let provider: LocalProvider;
let rt: TestRuntime;
let j: JourneyDriver;
let area: ReturnType<typeof registerJourneyArea>;

beforeAll(async () => {
  bed = await startJourneyTestbed('test-full-journey');
  ({ provider, area, rt, j } = bed);
});
afterAll(async () => {
  await bed?.stop();
});

async function answerAsProvider(onwardReferralId: string, status: string) {
  const sent = provider.received.find((r) => r.body.onwardReferralId === onwardReferralId);
  if (!sent) throw new Error('provider never received the onward referral');
  const res = await fetch(sent.body.respondTo.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${sent.body.respondTo.key}` },
    body: JSON.stringify({ status }),
  });
  await rt.engine.idle();
  return res;
}

describe('a full journey', () => {
  it('goes from referral to a recorded outcome: assignment, contact, assessment, two onward referrals, follow-ups, discharge', async () => {
    const referralId = await j.refer({ health: { conditions: ['musculoskeletal'] } });
    const referral = await getReferral(referralId);
    expect(referral?.coachId).toBeDefined();
    const coachId = referral!.coachId!;
    expect((await getCoach(coachId))?.caseload).toBe(1);
    const contactTask = await j.liveTask(referralId, 'first_contact');
    expect(contactTask?.assignee).toBe(coachId);

    await j.complete(referralId, 'first_contact', results.firstContact('engaged'));
    expect(await j.status(referralId)).toBe('engaged');
    expect(await j.liveTask(referralId, 'assessment')).toBeDefined();

    await j.complete(referralId, 'assessment', results.assessment(['msk-physiotherapy', 'talking-therapies']));
    expect(await j.status(referralId)).toBe('in_support');
    const onward = await listOnwardReferrals(referralId);
    expect(onward.map((o) => o.serviceId).sort()).toEqual(['msk-physiotherapy', 'talking-therapies']);
    expect(provider.received.filter((r) => onward.some((o) => o.onwardReferralId === r.body.onwardReferralId))).toHaveLength(2);

    for (const o of onward) expect((await answerAsProvider(o.onwardReferralId, 'accepted')).status).toBe(200);
    expect((await listOnwardReferrals(referralId)).map((o) => o.status)).toEqual(['accepted', 'accepted']);

    // Check-ins every two weeks until the twelve weeks are up, then the outcome.
    let followUps = 0;
    for (;;) {
      await rt.advance(2 * WEEK);
      if (!(await j.liveTask(referralId, 'follow_up'))) break;
      await j.complete(referralId, 'follow_up', results.followUp());
      followUps++;
    }
    expect(followUps).toBe(area.support.maxWeeksInWork / area.support.followUpEveryWeeks - 1);
    expect(await j.liveTask(referralId, 'outcome')).toBeDefined();

    await j.complete(referralId, 'outcome', results.outcome());
    expect(j.execution(referralId).status).toBe('SUCCEEDED');
    const closed = await getReferral(referralId);
    expect(closed).toMatchObject({ status: 'completed', stage: 'closed' });
    expect(closed?.expiresAt).toEqual(expect.any(Number));
    expect((await getCoach(coachId))?.caseload).toBe(0);

    const events = (await listTimeline(referralId)).map((e) => e.event);
    expect(events).toEqual(
      expect.arrayContaining(['received', 'triaged', 'coach_assigned', 'task_opened', 'task_completed', 'onward_referral_status', 'discharged']),
    );
    expect(events.filter((e) => e === 'task_completed')).toHaveLength(3 + followUps);
  });

  it('a late fourth check-in gets its own tries: earlier completed follow-ups do not use them up', async () => {
    const referralId = await j.refer();
    await j.complete(referralId, 'first_contact', results.firstContact('engaged'));
    await j.complete(referralId, 'assessment', results.assessment([]));
    for (let done = 0; done < area.deadlines.maxContactAttempts; done++) {
      await rt.advance(area.support.followUpEveryWeeks * WEEK);
      await j.complete(referralId, 'follow_up', results.followUp());
    }
    await rt.advance(area.support.followUpEveryWeeks * WEEK);
    const late = await j.liveTask(referralId, 'follow_up');
    expect(late?.attempt).toBe(area.deadlines.maxContactAttempts + 1);
    // Past its reminder, its deadline and the team lead's grace (each phase's timer starts when
    // the one before ends): asked again, not given up on.
    const d = area.deadlines;
    for (const hours of [d.followUpHours - d.reminderBeforeHours, d.reminderBeforeHours, d.escalationGraceHours]) {
      await rt.advance(hours * HOUR + 60_000);
    }
    const again = await j.liveTask(referralId, 'follow_up');
    expect(again?.taskId).not.toBe(late?.taskId);
    expect(again?.attempt).toBe(late!.attempt + 1);
    expect(await j.status(referralId)).toBe('in_support');
    await j.complete(referralId, 'follow_up', results.followUp());
    expect(j.execution(referralId).status).toBe('RUNNING');
    await withdrawReferral(referralId, 'participant_withdrew');
  });

  it('an assessment nobody does after every try stops in needs_attention, saying so', async () => {
    const referralId = await j.refer();
    await j.complete(referralId, 'first_contact', results.firstContact('engaged'));
    const d = area.deadlines;
    for (let attempt = 1; attempt <= d.maxContactAttempts; attempt++) {
      expect((await j.liveTask(referralId, 'assessment'))?.attempt).toBe(attempt);
      for (const hours of [d.assessmentHours - d.reminderBeforeHours, d.reminderBeforeHours, d.escalationGraceHours]) {
        await rt.advance(hours * HOUR + 60_000);
      }
    }
    expect(await j.status(referralId)).toBe('needs_attention');
    expect(j.execution(referralId).status).toBe('FAILED');
    const entry = (await listTimeline(referralId)).find((e) => e.event === 'needs_attention');
    expect(JSON.stringify(entry)).toContain('TaskAttemptsExhausted');
  });

  it('chases a provider that never answers, then asks the coach, without holding up the journey', async () => {
    const referralId = await j.refer();
    await j.complete(referralId, 'first_contact', results.firstContact('engaged'));
    await j.complete(referralId, 'assessment', results.assessment(['msk-physiotherapy']));
    const [onward] = await listOnwardReferrals(referralId);
    const sends = () => provider.received.filter((r) => r.body.onwardReferralId === onward!.onwardReferralId);
    expect(sends()).toHaveLength(1);

    await rt.advance(area.deadlines.providerResponseHours * HOUR);
    expect(sends().map((r) => r.body.chase)).toEqual([false, true]);
    await rt.advance(area.deadlines.providerResponseHours * HOUR);
    expect((await listOnwardReferrals(referralId))[0]?.status).toBe('no_response');
    const chase = await j.liveTask(referralId, 'provider_chase');
    expect(chase?.assignee).toBe((await getReferral(referralId))?.coachId);

    await j.complete(referralId, 'provider_chase', results.providerChase());
    expect(j.execution(referralId).status).toBe('RUNNING');
    await withdrawReferral(referralId, 'participant_withdrew');
  });

  it('retries a provider endpoint that fails for a while, and the journey carries on', async () => {
    const referralId = await j.refer();
    await j.complete(referralId, 'first_contact', results.firstContact('engaged'));
    provider.failNext(2);
    await j.complete(referralId, 'assessment', results.assessment(['talking-therapies']));
    // Two failures, each followed by a Retry pause (real time, shortened in tests), then success.
    const deadline = Date.now() + 20_000;
    let onward = (await listOnwardReferrals(referralId))[0];
    while (onward?.status !== 'sent' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      await rt.engine.idle();
      onward = (await listOnwardReferrals(referralId))[0];
    }
    expect(onward?.status).toBe('sent');
    expect(onward?.attempts).toBe(3);
    expect((await answerAsProvider(onward!.onwardReferralId, 'accepted')).status).toBe(200);
    await withdrawReferral(referralId, 'participant_withdrew');
  });

  it('withdraws mid-journey: open tasks cancelled, caseload freed, journey ended with the reason', async () => {
    const referralId = await j.refer();
    await j.complete(referralId, 'first_contact', results.firstContact('engaged'));
    const coachId = (await getReferral(referralId))!.coachId!;
    const load = (await getCoach(coachId))!.caseload;

    expect(await withdrawReferral(referralId, 'participant_withdrew')).toEqual({ withdrawn: true });
    await rt.engine.idle();
    expect(j.execution(referralId).status).toBe('ABORTED');
    expect(await getReferral(referralId)).toMatchObject({ status: 'withdrawn', stage: 'closed' });
    expect((await listTasks(referralId, 'assessment'))[0]?.status).toBe('cancelled');
    expect((await getCoach(coachId))?.caseload).toBe(load - 1);
    const withdrawn = (await listTimeline(referralId)).find((e) => e.event === 'withdrawn');
    expect(withdrawn?.reason).toBe('participant_withdrew');
    // Idempotent: a second call changes nothing, and the caseload is freed only once.
    await withdrawReferral(referralId, 'participant_withdrew');
    expect((await getCoach(coachId))?.caseload).toBe(load - 1);
  });

  it('a step that keeps failing stops the journey in needs_attention, visible to operators', async () => {
    // A stored referral the rules cannot read (as after a bad data fix): triage fails for good.
    const referralId = randomUUID();
    await createReferral({ referralId, referral: ReferralSchema.parse(validReferral()), receivedAt: new Date() });
    await dynamo().send(
      new UpdateCommand({
        TableName: process.env[journeysTable.envVar],
        Key: keys.referral(referralId),
        UpdateExpression: 'SET referral.participant.dateOfBirth = :bad',
        ExpressionAttributeValues: { ':bad': 'not-a-date' },
      }),
    );
    await rt.sfn.send(new StartExecutionCommand({ stateMachineArn: rt.stateMachineArn, name: referralId, input: JSON.stringify({ referralId }) }));
    await rt.engine.idle();
    expect(j.execution(referralId)).toMatchObject({ status: 'FAILED', error: 'JourneyNeedsAttention' });
    expect(await j.status(referralId)).toBe('needs_attention');
    const entry = (await listTimeline(referralId)).find((e) => e.event === 'needs_attention');
    expect(entry?.error).toEqual(expect.any(String));
  });

  it('a second completion of a task is refused and moves nothing', async () => {
    const referralId = await j.refer();
    const task = await j.liveTask(referralId, 'first_contact');
    await j.complete(referralId, 'first_contact', results.firstContact('engaged'));
    const { completeTask } = await import('../../functions/shared/task-completion.ts');
    await expect(
      completeTask({ referralId, taskId: task!.taskId, result: results.firstContact('declined'), completedBy: 'coach' }),
    ).rejects.toMatchObject({ name: 'TaskConflict' });
    expect(await j.status(referralId)).toBe('engaged');
    await withdrawReferral(referralId, 'other');
  });
});
