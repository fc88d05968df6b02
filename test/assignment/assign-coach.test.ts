import { randomUUID } from 'node:crypto';
import { DeleteCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadArea } from '../../areas/index.ts';
import { ReferralSchema, type ReferralInput } from '../../functions/domain/referral.ts';
import { handler as assignCoachHandler } from '../../functions/handlers/assign-coach.ts';
import { assignCoach, releaseCaseload } from '../../functions/shared/assignment-service.ts';
import { dynamo } from '../../functions/shared/aws-clients.ts';
import {
  getCoach,
  listCoaches,
  putCoach,
  seedCoaches,
  updateCoach,
  type CoachInput,
} from '../../functions/shared/coach-store.ts';
import {
  createReferral,
  getReferral,
  listTimeline,
  recordTriage,
} from '../../functions/shared/referral-store.ts';
import { journeysTable } from '../../functions/shared/tables.ts';
import { validReferral, type DeepPartial } from '../fixtures/referrals.ts';
import { startTestDatabase, TEST_AREA, type TestDatabase } from '../support/dynamodb-local.ts';
import { lambdaContext } from '../support/events.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await startTestDatabase();
});
afterAll(async () => {
  await db?.stop();
});

const table = () => process.env[journeysTable.envVar]!;

/** Coaches are global to the table: each test starts with none. */
async function removeAllCoaches(): Promise<void> {
  for (const coach of await listCoaches({ consistent: true })) {
    await dynamo().send(new DeleteCommand({ TableName: table(), Key: { pk: `COACH#${coach.coachId}`, sk: 'COACH' } }));
  }
}
beforeEach(removeAllCoaches);

function coach(id: string, overrides: Partial<CoachInput> = {}): CoachInput {
  return {
    id,
    name: `Coach ${id}`,
    email: `${id}@coaches.example.com`,
    teamLeadId: 'team-lead',
    maxCaseload: 10,
    ...overrides,
  };
}

/** A referral stored and triaged eligible (as the triage step would leave it). */
async function eligibleReferral(
  overrides?: DeepPartial<ReferralInput>,
  options: { priority?: 'urgent' | 'routine'; receivedAt?: Date } = {},
): Promise<string> {
  const referralId = randomUUID();
  const receivedAt = options.receivedAt ?? new Date();
  await createReferral({ referralId, referral: ReferralSchema.parse(validReferral(overrides)), receivedAt });
  await recordTriage(referralId, 'triaged_eligible', {
    outcome: 'eligible',
    reason: 'in_scope',
    priority: options.priority ?? 'routine',
    firstContactDueHours: 48,
    signposting: [],
    decidedAt: new Date(receivedAt.getTime() + 1000).toISOString(),
  });
  return referralId;
}

async function coachAssignedEntries(referralId: string) {
  return (await listTimeline(referralId)).filter((e) => e.event === 'coach_assigned');
}

describe('coach store', () => {
  it('seeds the area coaches once, keeping later changes and caseloads', async () => {
    const area = loadArea(TEST_AREA);
    const created = await seedCoaches(area);
    expect(created.sort()).toEqual(area.coaches.map((c) => c.id).sort());
    const first = area.coaches[0]!;
    expect(await getCoach(first.id)).toMatchObject({
      coachId: first.id,
      teamLeadId: first.teamLeadId,
      specialisms: first.specialisms,
      maxCaseload: first.maxCaseload,
      available: true,
      caseload: 0,
    });

    await updateCoach(first.id, { maxCaseload: 3, available: false });
    expect(await seedCoaches(area)).toEqual([]);
    // Fields not named in the change keep their stored values.
    expect(await getCoach(first.id)).toMatchObject({
      maxCaseload: 3,
      available: false,
      caseload: 0,
      specialisms: first.specialisms,
      localities: first.localities,
      teamLeadId: first.teamLeadId,
    });
    expect((await listCoaches()).map((c) => c.coachId)).toEqual(area.coaches.map((c) => c.id).sort());
    await expect(updateCoach('nobody', { maxCaseload: 1 })).rejects.toMatchObject({ name: 'CoachNotFound' });
  });

  it('putCoach keeps the caseload of an existing coach', async () => {
    await putCoach(coach('keeper', { maxCaseload: 2 }));
    const referralId = await eligibleReferral();
    expect(await assignCoach(referralId)).toEqual({ assigned: true, coachId: 'keeper' });
    await putCoach(coach('keeper', { maxCaseload: 4, specialisms: ['mental_health'] }));
    expect(await getCoach('keeper')).toMatchObject({ caseload: 1, maxCaseload: 4, specialisms: ['mental_health'] });
  });
});

describe('assignCoach', () => {
  it('assigns once: a repeated or concurrent call answers the same coach', async () => {
    await putCoach(coach('a'));
    await putCoach(coach('b'));
    const referralId = await eligibleReferral();
    const results = await Promise.all([assignCoach(referralId), assignCoach(referralId), assignCoach(referralId)]);
    const coachId = results[0]!.assigned ? results[0]!.coachId : undefined;
    expect(coachId).toBeDefined();
    for (const result of results) expect(result).toEqual({ assigned: true, coachId });
    expect(await assignCoach(referralId)).toEqual({ assigned: true, coachId });

    expect(await getReferral(referralId)).toMatchObject({ status: 'assigned', coachId, assignedAt: expect.any(String) });
    expect(await coachAssignedEntries(referralId)).toEqual([
      expect.objectContaining({ event: 'coach_assigned', status: 'assigned', coachId }),
    ]);
    const coaches = await listCoaches({ consistent: true });
    expect(coaches.map((c) => [c.coachId, c.caseload])).toEqual([
      ['a', coachId === 'a' ? 1 : 0],
      ['b', coachId === 'b' ? 1 : 0],
    ]);
  });

  it('prefers a specialism, then an explicit locality, then a whole-area coach, then least loaded', async () => {
    // The fixture referral: musculoskeletal, postcode district S1.
    await putCoach(coach('mh-local', { specialisms: ['mental_health'], localities: ['S1'] }));
    await putCoach(coach('msk-elsewhere', { specialisms: ['musculoskeletal'], localities: ['DN1'] }));
    await putCoach(coach('msk-whole-area', { specialisms: ['musculoskeletal'], maxCaseload: 1 }));
    await putCoach(coach('msk-local', { specialisms: ['musculoskeletal'], localities: ['S1', 'S2'], maxCaseload: 1 }));

    const order: string[] = [];
    for (let i = 0; i < 4; i++) {
      const result = await assignCoach(await eligibleReferral());
      order.push(result.assigned ? result.coachId : 'none');
    }
    // msk-local and msk-whole-area take one each; then the specialist elsewhere (least loaded
    // among what is left beats nothing: a specialism beats the local non-specialist).
    expect(order).toEqual(['msk-local', 'msk-whole-area', 'msk-elsewhere', 'msk-elsewhere']);

    // A mental health referral in S1 goes to the local mental health coach.
    const mh = await eligibleReferral({ health: { conditions: ['mental_health'] } });
    expect(await assignCoach(mh)).toEqual({ assigned: true, coachId: 'mh-local' });
  });

  it('spreads equal matches by load', async () => {
    await putCoach(coach('x', { maxCaseload: 4 }));
    await putCoach(coach('y', { maxCaseload: 2 }));
    const got: string[] = [];
    for (let i = 0; i < 6; i++) {
      const result = await assignCoach(await eligibleReferral());
      got.push(result.assigned ? result.coachId : 'none');
    }
    // x 0/4 and y 0/2 are equal: either may come first. Then the lower ratio wins, and at equal
    // ratio (2/4 = 1/2) the smaller caseload; a full coach takes no more.
    expect([
      ['x', 'y', 'x', 'y', 'x', 'x'],
      ['y', 'x', 'x', 'y', 'x', 'x'],
    ]).toContainEqual(got);
    expect(await assignCoach(await eligibleReferral())).toEqual({ assigned: false });
  });

  it('skips coaches on leave and full coaches, and answers not assigned when nobody can take it', async () => {
    await putCoach(coach('on-leave', { specialisms: ['musculoskeletal'], localities: ['S1'], available: false }));
    await putCoach(coach('no-capacity', { specialisms: ['musculoskeletal'], localities: ['S1'], maxCaseload: 0 }));
    await putCoach(coach('one-place', { specialisms: ['musculoskeletal'], localities: ['S1'], maxCaseload: 1 }));
    await putCoach(coach('generalist', { localities: ['DN1'], maxCaseload: 1 }));

    expect(await assignCoach(await eligibleReferral())).toEqual({ assigned: true, coachId: 'one-place' });
    expect(await assignCoach(await eligibleReferral())).toEqual({ assigned: true, coachId: 'generalist' });
    const waiting = await eligibleReferral();
    expect(await assignCoach(waiting)).toEqual({ assigned: false });
    expect(await coachAssignedEntries(waiting)).toEqual([]);
    expect((await getReferral(waiting))?.status).toBe('triaged_eligible');

    // Back from leave: now it can take one.
    await updateCoach('on-leave', { available: true });
    expect(await assignCoach(waiting)).toEqual({ assigned: true, coachId: 'on-leave' });
    const coaches = Object.fromEntries((await listCoaches({ consistent: true })).map((c) => [c.coachId, c.caseload]));
    expect(coaches).toEqual({ 'on-leave': 1, 'no-capacity': 0, 'one-place': 1, generalist: 1 });
  });

  it('does not assign a closed journey, and fails for an unknown referral', async () => {
    await putCoach(coach('a'));
    const referralId = await eligibleReferral();
    const { recordStage } = await import('../../functions/shared/referral-store.ts');
    await recordStage(referralId, 'not_engaged', { at: new Date(), retentionYears: 8 });
    expect(await assignCoach(referralId)).toEqual({ assigned: false });
    expect((await getCoach('a'))?.caseload).toBe(0);
    await expect(assignCoach(randomUUID())).rejects.toMatchObject({ name: 'ReferralNotFound' });
  });

  it('releases a caseload place once', async () => {
    await putCoach(coach('solo', { maxCaseload: 1 }));
    const first = await eligibleReferral();
    expect(await assignCoach(first)).toEqual({ assigned: true, coachId: 'solo' });
    const results = await Promise.all([releaseCaseload(first), releaseCaseload(first), releaseCaseload(first)]);
    expect(results.filter((r) => r.released)).toHaveLength(1);
    expect(await releaseCaseload(first)).toEqual({ released: false });
    expect((await getCoach('solo'))?.caseload).toBe(0);
    expect((await listTimeline(first)).filter((e) => e.event === 'caseload_released')).toHaveLength(1);
    // A referral without a coach has nothing to release.
    expect(await releaseCaseload(await eligibleReferral())).toEqual({ released: false });
    expect((await getCoach('solo'))?.caseload).toBe(0);
  });
});

describe('assign-coach handler', () => {
  it('validates input and returns the assignment', async () => {
    await putCoach(coach('h'));
    const referralId = await eligibleReferral();
    const run = (event: unknown) => assignCoachHandler(event, lambdaContext('assign-coach'));
    expect(await run({ referralId })).toEqual({ assigned: true, coachId: 'h' });
    expect(await run({ referralId })).toEqual({ assigned: true, coachId: 'h' });
    await expect(run({ id: referralId })).rejects.toMatchObject({ name: 'InvalidInput' });
    await expect(run({ referralId: randomUUID() })).rejects.toMatchObject({ name: 'ReferralNotFound' });
  });
});

describe('concurrent journeys', () => {
  it('never pushes a coach over the limit: 200 referrals, 10 coaches of 5', async () => {
    for (let i = 0; i < 10; i++) {
      await putCoach(coach(`c${String(i).padStart(2, '0')}`, { maxCaseload: 5, specialisms: i % 2 ? ['musculoskeletal'] : [] }));
    }
    const referralIds: string[] = [];
    for (let i = 0; i < 200; i += 20) {
      referralIds.push(...(await Promise.all(Array.from({ length: 20 }, () => eligibleReferral()))));
    }

    const results = await Promise.all(referralIds.map((id) => assignCoach(id)));

    const assigned = results.filter((r) => r.assigned);
    expect(assigned).toHaveLength(50);
    expect(results.filter((r) => !r.assigned)).toHaveLength(150);

    const coaches = await listCoaches({ consistent: true });
    expect(coaches).toHaveLength(10);
    for (const c of coaches) expect(c.caseload).toBeLessThanOrEqual(5);
    expect(coaches.reduce((sum, c) => sum + c.caseload, 0)).toBe(50);

    // Stored assignments agree with the answers and the caseloads, one timeline entry each.
    const perCoach = new Map<string, number>();
    const stores: { stored: { coachId?: string; status: string }; entries: Awaited<ReturnType<typeof coachAssignedEntries>> }[] = [];
    for (let i = 0; i < referralIds.length; i += 25) {
      stores.push(
        ...(await Promise.all(
          referralIds.slice(i, i + 25).map(async (referralId) => ({
            stored: (await getReferral(referralId)) as { coachId?: string; status: string },
            entries: await coachAssignedEntries(referralId),
          })),
        )),
      );
    }
    for (const [i, { stored, entries }] of stores.entries()) {
      const result = results[i]!;
      if (result.assigned) {
        expect(stored.coachId).toBe(result.coachId);
        expect(stored.status).toBe('assigned');
        expect(entries).toHaveLength(1);
        expect(entries[0]?.coachId).toBe(result.coachId);
        perCoach.set(result.coachId, (perCoach.get(result.coachId) ?? 0) + 1);
      } else {
        expect(stored.coachId).toBeUndefined();
        expect(entries).toHaveLength(0);
      }
    }
    for (const c of coaches) expect(perCoach.get(c.coachId) ?? 0).toBe(c.caseload);

    // The by-status index lists exactly these 50 as assigned.
    const mine = new Set(referralIds);
    const { Items } = await dynamo().send(
      new QueryCommand({
        TableName: table(),
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': 'REFERRALS#assigned' },
      }),
    );
    expect((Items ?? []).filter((item) => mine.has(String(item.referralId)))).toHaveLength(50);
  });
});
