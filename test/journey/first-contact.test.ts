import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getCoach } from '../../functions/shared/coach-store.ts';
import { getReferral, listTasks, listTimeline } from '../../functions/shared/referral-store.ts';
import type { LocalProvider } from '../support/provider.ts';
import { type JourneyDriver, type JourneyTestbed, type registerJourneyArea, results, startJourneyTestbed } from '../support/journey.ts';
import { HOUR, startTestRuntime, type TestRuntime } from '../support/runtime.ts';

/** First contact and review: reminders, escalation, attempts, and the ways a journey ends early. */
let bed: JourneyTestbed;
let provider: LocalProvider;
let rt: TestRuntime;
let j: JourneyDriver;
let area: ReturnType<typeof registerJourneyArea>;

beforeAll(async () => {
  bed = await startJourneyTestbed('test-first-contact');
  ({ provider, area, rt, j } = bed);
});
afterAll(async () => {
  await bed?.stop();
});

const events = async (referralId: string) => (await listTimeline(referralId)).map((e) => e.event);

describe('first contact', () => {
  it('missed: a reminder, then escalation and a grace period, then further attempts, then not engaged', async () => {
    const referralId = await j.refer();
    const coachId = (await getReferral(referralId))!.coachId!;
    const load = (await getCoach(coachId))!.caseload;
    const due = area.deadlines.firstContactHours.routine;
    const remindBefore = area.deadlines.reminderBeforeHours;
    const grace = area.deadlines.escalationGraceHours;
    const first = await j.liveTask(referralId, 'first_contact');

    await rt.advance((due - remindBefore) * HOUR - 1000);
    expect(await events(referralId)).not.toContain('task_reminder');
    await rt.advance(1000);
    expect((await events(referralId)).filter((e) => e === 'task_reminder')).toHaveLength(1);
    // The same task throughout: the assignee never sees the token change.
    expect((await j.liveTask(referralId, 'first_contact'))?.taskId).toBe(first!.taskId);

    await rt.advance(remindBefore * HOUR);
    expect((await j.liveTask(referralId, 'first_contact'))).toMatchObject({ taskId: first!.taskId, status: 'overdue' });
    expect((await events(referralId)).filter((e) => e === 'task_overdue')).toHaveLength(1);

    for (let attempt = 2; attempt <= area.deadlines.maxContactAttempts; attempt++) {
      await rt.advance(grace * HOUR);
      expect(await j.liveTask(referralId, 'first_contact')).toMatchObject({ attempt, status: 'open' });
      await rt.advance((due - remindBefore) * HOUR);
      await rt.advance(remindBefore * HOUR);
    }
    await rt.advance(grace * HOUR);
    expect(j.execution(referralId).status).toBe('SUCCEEDED');
    expect(await getReferral(referralId)).toMatchObject({ status: 'not_engaged', stage: 'closed' });
    expect((await events(referralId)).filter((e) => e === 'task_overdue')).toHaveLength(area.deadlines.maxContactAttempts);
    expect((await getCoach(coachId))?.caseload).toBe(load - 1);
  });

  it('an answer during the grace period still counts', async () => {
    const referralId = await j.refer();
    const due = area.deadlines.firstContactHours.routine;
    const remindBefore = area.deadlines.reminderBeforeHours;
    await rt.advance((due - remindBefore) * HOUR);
    await rt.advance(remindBefore * HOUR);
    expect((await j.liveTask(referralId, 'first_contact'))?.status).toBe('overdue');
    await j.complete(referralId, 'first_contact', results.firstContact('engaged'));
    expect(await j.status(referralId)).toBe('engaged');
    expect(await j.liveTask(referralId, 'assessment')).toBeDefined();
  });

  it('unable to contact: another attempt at once, up to the limit, then not engaged', async () => {
    const referralId = await j.refer();
    for (let attempt = 1; attempt <= area.deadlines.maxContactAttempts; attempt++) {
      expect((await j.liveTask(referralId, 'first_contact'))?.attempt).toBe(attempt);
      await j.complete(referralId, 'first_contact', results.firstContact('unable_to_contact'));
    }
    expect(await j.status(referralId)).toBe('not_engaged');
    expect((await events(referralId)).filter((e) => e === 'contact_attempt_failed')).toHaveLength(area.deadlines.maxContactAttempts);
  });

  it('declined: the journey closes and the caseload is freed', async () => {
    const referralId = await j.refer();
    const coachId = (await getReferral(referralId))!.coachId!;
    const load = (await getCoach(coachId))!.caseload;
    await j.complete(referralId, 'first_contact', results.firstContact('declined'));
    expect(j.execution(referralId).status).toBe('SUCCEEDED');
    expect(await getReferral(referralId)).toMatchObject({ status: 'withdrawn', stage: 'closed' });
    expect((await getCoach(coachId))?.caseload).toBe(load - 1);
  });
});

describe('triage outcomes', () => {
  it('not eligible: ends with signposting returned to the referrer', async () => {
    const referralId = await j.refer({ participant: { postcode: 'M1 1AE' } });
    expect(j.execution(referralId).status).toBe('SUCCEEDED');
    const res = await rt.referralStatus(referralId);
    const body = (await res.json()) as { status: string; signposting: { name: string; url: string }[] };
    expect(body.status).toBe('not_eligible');
    expect(body.signposting.map((s) => s.name)).toEqual(expect.arrayContaining(['National Careers Service']));
    expect((await getReferral(referralId))?.coachId).toBeUndefined();
  });

  it('needs review: a task for the team lead, who admits the referral to coaching', async () => {
    const referralId = await j.refer({ needs: { complexNeeds: true } });
    const review = await j.liveTask(referralId, 'needs_review');
    expect(review?.assignee).toBe(area.teamLeads[0]!.id);
    await j.complete(referralId, 'needs_review', results.review('eligible'), area.teamLeads[0]!.id);
    expect((await getReferral(referralId))?.coachId).toBeDefined();
    expect(await j.liveTask(referralId, 'first_contact')).toBeDefined();
  });

  it('needs review: turned down, the journey closes as not eligible', async () => {
    const referralId = await j.refer({ needs: { complexNeeds: true } });
    await j.complete(referralId, 'needs_review', results.review('not_eligible'), area.teamLeads[0]!.id);
    expect(await j.status(referralId)).toBe('not_eligible');
    expect(await listTasks(referralId, 'first_contact')).toHaveLength(0);
  });
});
