import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getCoach, listCoaches } from '../../functions/shared/coach-store.ts';
import { getReferral } from '../../functions/shared/referral-store.ts';
import { withdrawReferral } from '../../functions/shared/withdrawal.ts';
import { startLocalProvider, type LocalProvider } from '../support/provider.ts';
import { JourneyDriver, registerJourneyArea, results } from '../support/journey.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';

/**
 * Coach capacity: 10 coaches with a caseload of 5 each. Concurrent journeys never push a coach
 * over the limit; the rest wait on the waitlist and are assigned, urgent first, as places free.
 */
let provider: LocalProvider;
let rt: TestRuntime;
let j: JourneyDriver;

beforeAll(async () => {
  // 200 referrals from one partner within a minute of the test clock: above the default limit.
  process.env.PARTNER_RATE_LIMIT_PER_MINUTE = '100000';
  provider = await startLocalProvider();
  const coaches = Array.from({ length: 10 }, (_, i) => ({
    id: `coach-${i + 1}`,
    name: `Coach ${i + 1}`,
    email: `coach${i + 1}@test.workwell.example`,
    teamLeadId: 'team-lead',
    specialisms: i % 2 ? ['mental_health' as const] : ['musculoskeletal' as const],
    maxCaseload: 5,
  }));
  const area = registerJourneyArea('test-waitlist', provider.baseUrl, { coaches });
  rt = await startTestRuntime(area.slug);
  j = new JourneyDriver(rt);
});
afterAll(async () => {
  await rt?.stop();
  await provider?.stop();
});

describe('waitlist', () => {
  const referred: string[] = [];

  it('200 simultaneous eligible referrals against 10 coaches of 5: exactly 50 assigned, 150 waitlisted', { timeout: 240_000 }, async () => {
    const answers = await Promise.all(Array.from({ length: 200 }, () => rt.postReferral()));
    expect(answers.map((a) => a.status)).toEqual(Array(200).fill(202));
    referred.push(...(await Promise.all(answers.map(async (a) => ((await a.json()) as { referralId: string }).referralId))));
    await rt.engine.idle();

    const statuses = await Promise.all(referred.map((id) => getReferral(id)));
    const assigned = statuses.filter((r) => r?.coachId);
    expect(assigned).toHaveLength(50);
    expect(statuses.filter((r) => r?.status === 'waitlisted')).toHaveLength(150);
    const coaches = await listCoaches();
    for (const coach of coaches) expect(coach.caseload).toBeLessThanOrEqual(5);
    expect(coaches.reduce((sum, c) => sum + c.caseload, 0)).toBe(50);
    for (const coach of coaches) {
      expect(assigned.filter((r) => r?.coachId === coach.coachId)).toHaveLength(coach.caseload);
    }
  });

  it('a freed place goes to the waitlist: urgent first, and that journey moves on to first contact', async () => {
    const urgent = await j.refer({ work: { situation: 'on_sick_leave', sickLeaveStart: '2025-12-01' } });
    expect(await j.status(urgent)).toBe('waitlisted');

    const leaving = (await Promise.all(referred.map((id) => getReferral(id)))).find((r) => r?.coachId)!.referralId;
    const leavingCoach = (await getReferral(leaving))!.coachId!;
    await withdrawReferral(leaving, 'participant_withdrew');
    await rt.engine.idle();

    const admitted = await getReferral(urgent);
    expect(admitted?.coachId).toBe(leavingCoach);
    expect(await j.liveTask(urgent, 'first_contact')).toMatchObject({ assignee: leavingCoach });
    expect((await getCoach(leavingCoach))?.caseload).toBe(5);
  });

  it('a discharge after declining frees a place for the earliest routine referral', async () => {
    const assignedBefore = (await Promise.all(referred.map((id) => getReferral(id)))).filter((r) => r?.coachId && !r.closedAt);
    // Arrival order; referrals that arrived at the same instant go in id order.
    const firstWaiting = (await Promise.all(referred.map((id) => getReferral(id))))
      .filter((r) => r?.status === 'waitlisted')
      .sort((a, b) => a!.receivedAt.localeCompare(b!.receivedAt) || a!.referralId.localeCompare(b!.referralId))[0];
    await j.complete(assignedBefore[0]!.referralId, 'first_contact', results.firstContact('declined'));
    expect((await getReferral(firstWaiting!.referralId))?.coachId).toBeDefined();
  });
});
