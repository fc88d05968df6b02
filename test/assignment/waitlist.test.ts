import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../local/clock.ts';
import { LocalStepFunctions } from '../../local/stepfunctions/engine.ts';
import { handleStepFunctionsRequest } from '../../local/stepfunctions/endpoint.ts';
import { ReferralSchema } from '../../functions/domain/referral.ts';
import { handler as joinWaitlistHandler } from '../../functions/handlers/join-waitlist.ts';
import {
  assignCoach,
  drainWaitlist,
  joinWaitlist,
  leaveWaitlist,
  releaseCaseload,
} from '../../functions/shared/assignment-service.ts';
import { dynamo, resetClients } from '../../functions/shared/aws-clients.ts';
import { getCoach, listCoaches, putCoach, updateCoach, type CoachInput } from '../../functions/shared/coach-store.ts';
import { createReferral, getReferral, listTimeline, recordTriage } from '../../functions/shared/referral-store.ts';
import { journeysTable } from '../../functions/shared/tables.ts';
import { validReferral } from '../fixtures/referrals.ts';
import { startTestDatabase, type TestDatabase } from '../support/dynamodb-local.ts';
import { lambdaContext } from '../support/events.ts';

/**
 * The waitlist against DynamoDB Local and the real local Step Functions engine: each journey is a
 * one-state machine whose callback Task invokes the join-waitlist handler with the task token,
 * and resumes when a drain answers the token through the Step Functions API.
 */
const stateMachineArn = 'arn:aws:states:eu-west-2:000000000000:stateMachine:waitlist-test';
const definition = {
  StartAt: 'Waitlist',
  States: {
    Waitlist: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: {
        FunctionName: 'arn:aws:lambda:eu-west-2:000000000000:function:join',
        Payload: { 'referralId.$': '$.referralId', 'taskToken.$': '$$.Task.Token' },
      },
      End: true,
    },
  },
};

let db: TestDatabase;
let engine: LocalStepFunctions;
let server: Server;
const invoked: string[] = [];

beforeAll(async () => {
  db = await startTestDatabase();
  engine = new LocalStepFunctions({
    stateMachineArn,
    definition,
    clock: new ManualClock(),
    retryScale: 0,
    invoke: async (functionName, payload) => {
      invoked.push(functionName);
      return joinWaitlistHandler(payload, lambdaContext(functionName));
    },
  });
  server = createServer((req, res) => handleStepFunctionsRequest([engine], req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  process.env.AWS_ENDPOINT_URL_SFN = `http://127.0.0.1:${port}`;
  resetClients();
});

afterAll(async () => {
  engine?.close();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  delete process.env.AWS_ENDPOINT_URL_SFN;
  resetClients();
  await db?.stop();
});

const table = () => process.env[journeysTable.envVar]!;

function coach(id: string, overrides: Partial<CoachInput> = {}): CoachInput {
  return { id, name: `Coach ${id}`, email: `${id}@coaches.example.com`, teamLeadId: 'team-lead', maxCaseload: 1, ...overrides };
}

const base = Date.UTC(2026, 0, 5, 9, 0, 0);
let arrivals = 0;

/** An eligible referral received `minutes` after the base time (arrival order). */
async function eligibleReferral(priority: 'urgent' | 'routine', minutes = arrivals++): Promise<string> {
  const referralId = randomUUID();
  const receivedAt = new Date(base + minutes * 60_000);
  await createReferral({ referralId, referral: ReferralSchema.parse(validReferral()), receivedAt });
  await recordTriage(referralId, 'triaged_eligible', {
    outcome: 'eligible',
    reason: 'in_scope',
    priority,
    firstContactDueHours: 48,
    signposting: [],
    decidedAt: new Date(receivedAt.getTime() + 1000).toISOString(),
  });
  return referralId;
}

function startJourney(referralId: string): string {
  return engine.startExecution(`wait-${referralId}`, JSON.stringify({ referralId })).executionArn;
}

async function waitlistOrder(): Promise<string[]> {
  const { Items } = await dynamo().send(
    new QueryCommand({
      TableName: table(),
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': 'WAITLIST' },
    }),
  );
  return (Items ?? []).map((item) => String(item.referralId));
}

async function waitlistEntry(referralId: string) {
  const { Item } = await dynamo().send(
    new GetCommand({ TableName: table(), Key: { pk: `REFERRAL#${referralId}`, sk: 'WAITLIST' }, ConsistentRead: true }),
  );
  return Item;
}

const status = (arn: string) => engine.describeExecution(arn).status;
const events = async (referralId: string, event: string) =>
  (await listTimeline(referralId)).filter((e) => e.event === event);

describe('waitlist with the local Step Functions engine', () => {
  it('serves urgent before routine, then arrival order, as capacity frees', async () => {
    await putCoach(coach('alpha'));
    await putCoach(coach('beta'));

    // Fill both coaches.
    const first = await eligibleReferral('routine', -100);
    const second = await eligibleReferral('routine', -99);
    expect(await assignCoach(first)).toMatchObject({ assigned: true });
    expect(await assignCoach(second)).toMatchObject({ assigned: true });
    const firstCoach = (await getReferral(first))!.coachId as string;
    expect(await assignCoach(await eligibleReferral('urgent', -98))).toEqual({ assigned: false });

    // Four journeys wait; arrival: routineEarly, routineLate, urgentEarly, urgentLate.
    const routineEarly = await eligibleReferral('routine', 1);
    const routineLate = await eligibleReferral('routine', 2);
    const urgentEarly = await eligibleReferral('urgent', 3);
    const urgentLate = await eligibleReferral('urgent', 4);
    const arn = Object.fromEntries(
      [routineEarly, routineLate, urgentEarly, urgentLate].map((id) => [id, startJourney(id)]),
    );
    await engine.idle();

    expect(invoked.filter((name) => name === 'join')).toHaveLength(4);
    expect(await waitlistOrder()).toEqual([urgentEarly, urgentLate, routineEarly, routineLate]);
    for (const id of Object.keys(arn)) {
      expect(status(arn[id]!)).toBe('RUNNING');
      expect(await getReferral(id)).toMatchObject({ status: 'waitlisted' });
      expect(await events(id, 'waitlisted')).toHaveLength(1);
      expect(typeof (await waitlistEntry(id))?.taskToken).toBe('string');
    }

    // The first journey ends: its place goes to the head of the waitlist, once.
    expect(await releaseCaseload(first)).toEqual({ released: true });
    await engine.idle();
    const served = await engine.whenEnded(arn[urgentEarly]!);
    expect(served.status).toBe('SUCCEEDED');
    expect(served.output).toEqual({ assigned: true, coachId: firstCoach });
    expect(await getReferral(urgentEarly)).toMatchObject({ status: 'assigned', coachId: firstCoach });
    expect(await events(urgentEarly, 'coach_assigned')).toEqual([
      expect.objectContaining({ coachId: firstCoach, status: 'assigned' }),
    ]);
    expect(await waitlistEntry(urgentEarly)).toBeUndefined();
    expect(await waitlistOrder()).toEqual([urgentLate, routineEarly, routineLate]);
    expect((await getCoach(firstCoach))?.caseload).toBe(1);

    // Releasing the same journey again frees nothing.
    expect(await releaseCaseload(first)).toEqual({ released: false });
    await engine.idle();
    expect((await getCoach(firstCoach))?.caseload).toBe(1);
    expect(await waitlistOrder()).toEqual([urgentLate, routineEarly, routineLate]);
    expect(await events(first, 'caseload_released')).toHaveLength(1);

    // More capacity: the next two in order are served.
    await updateCoach('beta', { maxCaseload: 3 });
    await drainWaitlist();
    await engine.idle();
    for (const id of [urgentLate, routineEarly]) {
      const ended = await engine.whenEnded(arn[id]!);
      expect(ended.status).toBe('SUCCEEDED');
      expect(ended.output).toEqual({ assigned: true, coachId: 'beta' });
      expect(await getReferral(id)).toMatchObject({ status: 'assigned', coachId: 'beta' });
    }
    expect(status(arn[routineLate]!)).toBe('RUNNING');
    expect(await waitlistOrder()).toEqual([routineLate]);

    const coaches = await listCoaches({ consistent: true });
    for (const c of coaches) expect(c.caseload).toBeLessThanOrEqual(c.maxCaseload);
    // Whichever coach took the first journey: alpha holds one, beta three.
    expect(Object.fromEntries(coaches.map((c) => [c.coachId, c.caseload]))).toEqual({ alpha: 1, beta: 3 });

    // Withdrawal: the last one leaves; new capacity then serves nobody.
    expect(await leaveWaitlist(routineLate)).toBe(true);
    expect(await leaveWaitlist(routineLate)).toBe(false);
    await updateCoach('alpha', { maxCaseload: 2 });
    await engine.idle();
    expect(status(arn[routineLate]!)).toBe('RUNNING');
    expect((await getReferral(routineLate))?.coachId).toBeUndefined();
    engine.stopExecution(arn[routineLate]!);
  });

  it('renews the token on re-entry, answers an already assigned journey at once, and tolerates stale tokens', async () => {
    // Every coach full: limits lowered to the current caseloads (lowering drains nothing).
    for (const c of await listCoaches({ consistent: true })) await updateCoach(c.coachId, { maxCaseload: c.caseload });

    const waiting = await eligibleReferral('routine');
    expect(await joinWaitlist(waiting, 'stale-token-1')).toEqual({ waitlisted: true });
    expect(await joinWaitlist(waiting, 'stale-token-2')).toEqual({ waitlisted: true });
    expect((await waitlistEntry(waiting))?.taskToken).toBe('stale-token-2');
    expect(await events(waiting, 'waitlisted')).toHaveLength(1);

    // Capacity comes back; the drain assigns it and the unknown token's answer is ignored.
    await updateCoach('alpha', { maxCaseload: 3 });
    expect(await getReferral(waiting)).toMatchObject({ status: 'assigned', coachId: 'alpha' });
    expect(await waitlistEntry(waiting)).toBeUndefined();
    // The journey's re-check finds the same coach.
    expect(await assignCoach(waiting)).toEqual({ assigned: true, coachId: 'alpha' });

    // A journey that enters the waitlist already assigned resumes at once with its coach.
    const arn = startJourney(waiting);
    const ended = await engine.whenEnded(arn);
    expect(ended.status).toBe('SUCCEEDED');
    expect(ended.output).toEqual({ assigned: true, coachId: 'alpha' });
    expect(await waitlistEntry(waiting)).toBeUndefined();
    expect(await events(waiting, 'coach_assigned')).toHaveLength(1);

    await expect(joinWaitlistHandler({ referralId: waiting }, lambdaContext('join'))).rejects.toMatchObject({
      name: 'InvalidInput',
    });
  });

  it('concurrent drains serve each entry once and never overfill', async () => {
    for (const c of await listCoaches({ consistent: true })) await updateCoach(c.coachId, { maxCaseload: c.caseload });
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(await eligibleReferral(i % 2 ? 'urgent' : 'routine'));
    const arns = ids.map(startJourney);
    await engine.idle();
    expect(await waitlistOrder()).toHaveLength(6);

    // Room for four more, raised behind the service's back so that nothing drains yet.
    const { UpdateCommand } = await import('@aws-sdk/lib-dynamodb');
    await dynamo().send(
      new UpdateCommand({
        TableName: table(),
        Key: { pk: 'COACH#beta', sk: 'COACH' },
        UpdateExpression: 'SET maxCaseload = caseload + :four',
        ExpressionAttributeValues: { ':four': 4 },
      }),
    );
    // A new referral does not jump the queue: one that sorts after a waiting one is not assigned
    // (its journey joins the waitlist); an urgent one that arrived before every waiting one is.
    const lateRoutine = await eligibleReferral('routine');
    expect(await assignCoach(lateRoutine)).toEqual({ assigned: false });
    const earlyUrgent = await eligibleReferral('urgent', -50);
    expect(await assignCoach(earlyUrgent)).toEqual({ assigned: true, coachId: 'beta' });

    // Three places left: several invocations drain at once.
    const drained = await Promise.all([drainWaitlist(), drainWaitlist(), drainWaitlist(), drainWaitlist()]);
    await engine.idle();
    expect(drained.reduce((a, b) => a + b, 0)).toBe(3);

    const succeeded = arns.filter((arn) => status(arn) === 'SUCCEEDED');
    expect(succeeded).toHaveLength(3);
    // The three urgent ones (odd indexes) were first in line.
    expect(arns.filter((_, i) => i % 2 === 1).map(status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    const beta = await getCoach('beta');
    expect(beta!.caseload).toBe(beta!.maxCaseload);
    for (const id of ids) {
      expect((await events(id, 'coach_assigned')).length).toBeLessThanOrEqual(1);
    }
    for (const arn of arns) if (status(arn) === 'RUNNING') engine.stopExecution(arn);
  });
});
