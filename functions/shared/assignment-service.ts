/**
 * Coach assignment, caseload release and the waitlist, over the Journeys table.
 *
 * Item layout (besides the referral and coach items of referral-store.ts and coach-store.ts):
 *
 *   item       pk               sk         gsi1pk     gsi1sk
 *   waitlist   REFERRAL#<id>    WAITLIST   WAITLIST   waitlistSortKey(priority, receivedAt, id)
 *
 * - waitlist: type 'waitlist', referralId, priority, receivedAt, joinedAt (first join),
 *   tokenAt (last join) and taskToken: the Step Functions token of the journey's current wait.
 *   A re-entry after a re-check time-out replaces the token. The token is never returned or logged.
 * - referral (added attributes): coachId, assignedAt (status 'assigned'), caseloadReleasedAt.
 * - coach: caseload, changed only here, only by transactions whose conditions keep
 *   0 <= caseload <= maxCaseload for assignments.
 *
 * Every change is one DynamoDB transaction with conditions, so retried and concurrent
 * invocations never assign twice, never push a coach over the limit and never release twice.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import {
  DeleteCommand,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { createHash, randomUUID } from 'node:crypto';
import {
  hasCapacity,
  leadingTies,
  rankCoaches,
  waitlistSortKey,
  type CoachLoad,
  type CoachNeed,
} from '../domain/assignment.ts';
import { postcodeDistrict } from '../domain/triage.ts';
import { dynamo, requiredEnv, sfn } from './aws-clients.ts';
import { coachKeys, coachLoad, getCoach, listCoaches } from './coach-store.ts';
import { errorFields, logSafe } from './observability.ts';
import {
  getReferral,
  keys,
  listTasks,
  ReferralNotFound,
  referralUpdate,
  statusAttributes,
  timelineKey,
  timelinePut,
  TransientError,
  type StoredReferral,
  type TransactItem,
} from './referral-store.ts';
import { journeysTable } from './tables.ts';

// ---------------------------------------------------------------------------------------------
// Types and keys

export type AssignResult = { assigned: true; coachId: string } | { assigned: false };

/** A referral with the attributes assignment adds. */
export type AssignableReferral = StoredReferral & {
  readonly coachId?: string;
  readonly assignedAt?: string;
  readonly caseloadReleasedAt?: string;
};

interface WaitlistEntry {
  readonly referralId: string;
  readonly taskToken: string;
  readonly gsi1sk: string;
}

export const WAITLIST_INDEX_KEY = 'WAITLIST';
export const waitlistKey = (referralId: string) => ({ pk: keys.pk(referralId), sk: 'WAITLIST' });

const table = () => requiredEnv(journeysTable.envVar);
const gsi = journeysTable.indexes[0].indexName;

/** Rounds of re-reading before a contended call gives up with TransientError (the workflow retries it). */
const MAX_ROUNDS = 40;
/** Candidates tried per round before the coaches are read again. */
const CANDIDATES_PER_ROUND = 2;
/** Upper bound on waitlist steps in one drain (each step assigns or skips at least one entry, or backs off). */
const MAX_DRAIN_STEPS = 500;

// ---------------------------------------------------------------------------------------------
// Transactions

type TxResult = { kind: 'ok' } | { kind: 'condition'; failed: number[] } | { kind: 'conflict' };

/**
 * One TransactWrite. Failed conditions and conflicts are answers, not errors; throttling inside
 * a transaction becomes TransientError; errors thrown by the SDK keep their names
 * (ProvisionedThroughputExceededException, ThrottlingException, ...), except a plain
 * TransactionConflictException, which is a conflict like any other.
 */
async function transaction(items: TransactItem[]): Promise<TxResult> {
  try {
    await dynamo().send(new TransactWriteCommand({ TransactItems: items, ClientRequestToken: randomUUID() }));
    return { kind: 'ok' };
  } catch (error) {
    const name = (error as Error)?.name;
    if (error instanceof TransactionCanceledException || name === 'TransactionCanceledException') {
      const reasons = (error as TransactionCanceledException).CancellationReasons ?? [];
      const failed = reasons.flatMap((r, i) => (r.Code === 'ConditionalCheckFailed' ? [i] : []));
      if (failed.length) return { kind: 'condition', failed };
      if (reasons.some((r) => r.Code === 'TransactionConflict')) return { kind: 'conflict' };
      const codes = reasons.map((r) => r.Code).filter((c) => c && c !== 'None');
      throw new TransientError(codes.join(',') || 'transaction cancelled');
    }
    if (name === 'TransactionConflictException') return { kind: 'conflict' };
    throw error;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Full jitter, growing with the round: contenders spread out instead of colliding again. */
const backoff = (round: number) => sleep(Math.random() * Math.min(5 * 2 ** Math.min(round, 6), 250));

function coachIncrement(coachId: string): TransactItem {
  return {
    Update: {
      TableName: table(),
      Key: coachKeys.coach(coachId),
      UpdateExpression: 'SET caseload = caseload + :one',
      ConditionExpression: 'attribute_exists(pk) AND caseload < maxCaseload AND available = :true',
      ExpressionAttributeValues: { ':one': 1, ':true': true },
    },
  };
}

/** The items of an assignment: coach +1, referral assigned, timeline entry, waitlist entry gone. */
function assignmentItems(referralId: string, coachId: string, at: string, entry?: WaitlistEntry): TransactItem[] {
  return [
    coachIncrement(coachId),
    referralUpdate(
      referralId,
      { ...statusAttributes(referralId, 'assigned', at), coachId, assignedAt: at },
      {
        expression: 'attribute_not_exists(#coachId) AND attribute_not_exists(#closedAt)',
        names: { '#coachId': 'coachId', '#closedAt': 'closedAt' },
      },
    ),
    timelinePut(referralId, { at, event: 'coach_assigned', status: 'assigned', coachId }),
    // From the waitlist: only the entry drawn (same token). Directly: any leftover entry goes too.
    entry
      ? {
          Delete: {
            TableName: table(),
            Key: waitlistKey(referralId),
            ConditionExpression: 'attribute_exists(pk) AND taskToken = :token',
            ExpressionAttributeValues: { ':token': entry.taskToken },
          },
        }
      : { Delete: { TableName: table(), Key: waitlistKey(referralId) } },
  ];
}

const ITEM = { coach: 0, referral: 1, waitlist: 3 } as const;

// ---------------------------------------------------------------------------------------------
// Assignment

function needOf(referral: StoredReferral): CoachNeed {
  return {
    conditions: referral.referral.health.conditions,
    postcodeDistrict: postcodeDistrict(referral.referral.participant.postcode),
  };
}

type Attempt =
  | { kind: 'assigned'; coachId: string }
  /** No coach has capacity (by a strongly consistent read, or by failed conditions since). */
  | { kind: 'full' }
  /** The referral or its waitlist entry changed: read again. */
  | { kind: 'changed' }
  /** Candidates filled up since the read: read the coaches again. */
  | { kind: 'stale' }
  /** Transactions collided: read again after a pause. */
  | { kind: 'contended' };

/**
 * Ranks the coaches as they are now and tries the best candidate, one transaction each. A
 * failed coach condition proves that coach had no capacity at that moment, so it is marked full
 * in the local view and the next best is tried; after a few such failures the view is stale and
 * the coaches are read again.
 */
async function tryCandidates(referral: AssignableReferral, entry?: WaitlistEntry): Promise<Attempt> {
  let coaches: CoachLoad[] = (await listCoaches({ consistent: true })).map(coachLoad);
  const need = needOf(referral);
  const collided = new Set<string>();
  const at = new Date().toISOString();
  for (let tries = 0; tries < CANDIDATES_PER_ROUND; tries++) {
    const ranked = rankCoaches(need, coaches);
    if (ranked.length === 0) return { kind: 'full' };
    const open = ranked.filter((c) => !collided.has(c.coachId));
    if (open.length === 0) return { kind: 'contended' };
    // Equally good coaches are interchangeable: each referral picks its own among them, so
    // concurrent journeys spread out instead of all racing for the same coach.
    const ties = leadingTies(need, open);
    const candidate = ties[spread(`${referral.referralId}#${tries}`, ties.length)]!;
    const result = await transaction(assignmentItems(referral.referralId, candidate.coachId, at, entry));
    if (result.kind === 'ok') return { kind: 'assigned', coachId: candidate.coachId };
    if (result.kind === 'conflict') {
      collided.add(candidate.coachId);
      continue;
    }
    if (result.failed.some((i) => i === ITEM.referral || i === ITEM.waitlist)) return { kind: 'changed' };
    // The coach filled up, went on leave or was removed since the read.
    coaches = coaches.map((c) => (c.coachId === candidate.coachId ? { ...c, available: false } : c));
  }
  return collided.size > 0 ? { kind: 'contended' } : { kind: 'stale' };
}

/** A stable pick in [0, n) from a key: the same referral chooses the same way on a retry. */
function spread(key: string, n: number): number {
  return createHash('sha256').update(key).digest().readUInt32BE(0) % n;
}

/** Whether a waitlisted referral sorts before this one (it should be served first). */
async function waitlistAhead(referral: AssignableReferral): Promise<boolean> {
  const sortKey = waitlistSortKey(referral.triage?.priority ?? 'routine', referral.receivedAt, referral.referralId);
  const { Items } = await dynamo().send(
    new QueryCommand({
      TableName: table(),
      IndexName: gsi,
      KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk < :mine',
      ExpressionAttributeValues: { ':pk': WAITLIST_INDEX_KEY, ':mine': sortKey },
      ProjectionExpression: 'pk',
      Limit: 1,
    }),
  );
  return (Items?.length ?? 0) > 0;
}

async function readReferral(referralId: string): Promise<AssignableReferral> {
  const referral = (await getReferral(referralId)) as AssignableReferral | undefined;
  if (!referral) throw new ReferralNotFound();
  return referral;
}

/**
 * Assigns the referral to the best coach with free caseload, once: an assigned referral answers
 * its coach again. Not assigned when no coach has capacity, when the journey is closed, or when
 * someone waiting on the waitlist comes before it (urgent first, then arrival): it then joins the
 * waitlist and is served in order. Each try is one transaction (coach caseload +1 if below the
 * maximum and available; the referral assigned if it has no coach and is not closed; a
 * 'coach_assigned' timeline entry; any leftover waitlist entry deleted), so concurrent journeys
 * can never push a coach over the limit.
 */
export async function assignCoach(referralId: string): Promise<AssignResult> {
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const referral = await readReferral(referralId);
    if (referral.coachId) return { assigned: true, coachId: referral.coachId };
    if (referral.closedAt) return { assigned: false };
    if (round === 0 && (await waitlistAhead(referral))) {
      logSafe('info', 'waitlist ahead: not assigned', { referralId });
      return { assigned: false };
    }
    const attempt = await tryCandidates(referral);
    switch (attempt.kind) {
      case 'assigned':
        logSafe('info', 'coach assigned', { referralId, code: attempt.coachId });
        return { assigned: true, coachId: attempt.coachId };
      case 'full':
        return { assigned: false };
      case 'changed':
      case 'stale':
        break;
      case 'contended':
        await backoff(round);
        break;
    }
  }
  throw new TransientError('coach assignment contended');
}

// ---------------------------------------------------------------------------------------------
// Waitlist

/**
 * Puts the referral on the waitlist holding the journey's task token (a re-entry replaces the
 * token), sets status 'waitlisted' with a 'waitlisted' timeline entry the first time, then drains
 * the waitlist. A referral that already has a coach is not waitlisted: the token is answered at
 * once with its coach. A closed journey is not waitlisted.
 */
export async function joinWaitlist(referralId: string, taskToken: string): Promise<{ waitlisted: boolean }> {
  let waitlisted = false;
  for (let round = 0; round < MAX_ROUNDS && !waitlisted; round++) {
    const referral = await readReferral(referralId);
    if (referral.coachId) {
      await answerToken(referralId, taskToken, referral.coachId);
      return { waitlisted: false };
    }
    if (referral.closedAt) {
      logSafe('warn', 'closed journey not waitlisted', { referralId });
      return { waitlisted: false };
    }
    const at = new Date().toISOString();
    const priority = referral.triage?.priority ?? 'routine';
    const entry: TransactItem = {
      Update: {
        TableName: table(),
        Key: waitlistKey(referralId),
        UpdateExpression:
          'SET #type = :type, referralId = :referralId, priority = :priority, receivedAt = :receivedAt, ' +
          'taskToken = :token, tokenAt = :at, joinedAt = if_not_exists(joinedAt, :at), gsi1pk = :gsi1pk, gsi1sk = :gsi1sk',
        ExpressionAttributeNames: { '#type': 'type' },
        ExpressionAttributeValues: {
          ':type': 'waitlist',
          ':referralId': referralId,
          ':priority': priority,
          ':receivedAt': referral.receivedAt,
          ':token': taskToken,
          ':at': at,
          ':gsi1pk': WAITLIST_INDEX_KEY,
          ':gsi1sk': waitlistSortKey(priority, referral.receivedAt, referralId),
        },
      },
    };
    const open = {
      expression: 'attribute_not_exists(#coachId) AND attribute_not_exists(#closedAt)',
      names: { '#coachId': 'coachId', '#closedAt': 'closedAt' },
    };
    const first = referral.status !== 'waitlisted';
    const items: TransactItem[] = first
      ? [
          entry,
          referralUpdate(referralId, statusAttributes(referralId, 'waitlisted', at), {
            expression: `${open.expression} AND #status <> :waitlisted`,
            names: { ...open.names, '#status': 'status' },
            values: { ':waitlisted': 'waitlisted' },
          }),
          timelinePut(referralId, { at, event: 'waitlisted', status: 'waitlisted', priority }),
        ]
      : [
          entry,
          {
            ConditionCheck: {
              TableName: table(),
              Key: keys.referral(referralId),
              ConditionExpression: `attribute_exists(pk) AND ${open.expression}`,
              ExpressionAttributeNames: open.names,
            },
          },
        ];
    const result = await transaction(items);
    if (result.kind === 'ok') {
      waitlisted = true;
      logSafe('info', first ? 'waitlisted' : 'waitlist token renewed', { referralId, priority });
    } else if (result.kind === 'conflict') {
      await backoff(round);
    }
    // A failed condition: the referral changed (assigned, closed, waitlisted meanwhile): read again.
  }
  if (!waitlisted) throw new TransientError('waitlist entry contended');
  await drainWaitlist();
  return { waitlisted: true };
}

/** Removes the referral's waitlist entry, if any (withdrawal). Returns whether there was one. */
export async function leaveWaitlist(referralId: string): Promise<boolean> {
  const { Attributes } = await dynamo().send(
    new DeleteCommand({ TableName: table(), Key: waitlistKey(referralId), ReturnValues: 'ALL_OLD' }),
  );
  if (Attributes) logSafe('info', 'left waitlist', { referralId });
  return Attributes !== undefined;
}

async function waitlistHead(limit: number): Promise<string[]> {
  const { Items } = await dynamo().send(
    new QueryCommand({
      TableName: table(),
      IndexName: gsi,
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': WAITLIST_INDEX_KEY },
      ProjectionExpression: 'referralId',
      Limit: limit,
    }),
  );
  return (Items ?? []).map((item) => String(item.referralId));
}

async function readEntry(referralId: string): Promise<WaitlistEntry | undefined> {
  const { Item } = await dynamo().send(
    new GetCommand({ TableName: table(), Key: waitlistKey(referralId), ConsistentRead: true }),
  );
  if (!Item || typeof Item.taskToken !== 'string') return undefined;
  return { referralId, taskToken: Item.taskToken, gsi1sk: String(Item.gsi1sk) };
}

async function deleteEntry(entry: WaitlistEntry): Promise<void> {
  try {
    await dynamo().send(
      new DeleteCommand({
        TableName: table(),
        Key: waitlistKey(entry.referralId),
        ConditionExpression: 'taskToken = :token',
        ExpressionAttributeValues: { ':token': entry.taskToken },
      }),
    );
  } catch (error) {
    if ((error as Error)?.name !== 'ConditionalCheckFailedException') throw error;
  }
}

type Step = 'assigned' | 'skipped' | 'full' | 'retry';

/** Serves one waitlist entry: assigns it with its entry deleted in the same transaction. */
async function serveEntry(referralId: string): Promise<Step> {
  const entry = await readEntry(referralId);
  if (!entry) return 'skipped'; // served by another drain, or left the waitlist
  const referral = (await getReferral(referralId)) as AssignableReferral | undefined;
  if (!referral || referral.closedAt) {
    await deleteEntry(entry);
    return 'skipped';
  }
  if (referral.coachId) {
    // Assigned directly (a re-check) while the entry stayed: tidy up and answer the journey.
    await deleteEntry(entry);
    await answerToken(referralId, entry.taskToken, referral.coachId);
    return 'skipped';
  }
  const attempt = await tryCandidates(referral, entry);
  switch (attempt.kind) {
    case 'assigned':
      logSafe('info', 'coach assigned from waitlist', { referralId, code: attempt.coachId });
      await answerToken(referralId, entry.taskToken, attempt.coachId);
      return 'assigned';
    case 'full':
      return 'full';
    case 'changed':
    case 'stale':
    case 'contended':
      return 'retry';
  }
}

/**
 * Assigns waitlisted referrals in waitlist order (urgent first, then arrival) while some coach
 * has capacity, and answers each journey's task token with { assigned: true, coachId }. Every
 * assignment deletes the entry it drew (same token) in its transaction, so concurrent drains
 * never serve an entry twice. Returns how many this call assigned.
 */
export async function drainWaitlist(): Promise<number> {
  let assigned = 0;
  let retries = 0;
  for (let step = 0; step < MAX_DRAIN_STEPS; ) {
    const coaches = (await listCoaches({ consistent: true })).map(coachLoad);
    if (!coaches.some(hasCapacity)) break;
    const head = await waitlistHead(10);
    if (head.length === 0) break;
    let outcome: Step = 'skipped';
    for (const referralId of head) {
      step++;
      outcome = await serveEntry(referralId);
      if (outcome === 'assigned') assigned++;
      // Capacity is the same for everyone (ranking only orders), so 'full' ends the drain.
      if (outcome === 'full' || outcome === 'retry') break;
    }
    if (outcome === 'full') break;
    if (outcome === 'retry') {
      if (++retries > MAX_ROUNDS) throw new TransientError('waitlist drain contended');
      await backoff(retries);
    }
  }
  if (assigned) logSafe('info', 'waitlist drained');
  return assigned;
}

/**
 * Completes the journey's wait with the coach. A token that is no longer waiting (TaskTimedOut,
 * TaskDoesNotExist, InvalidToken) is fine: that journey re-checks by calling assign-coach, which
 * answers the same coach. Other failures are logged, not thrown: the assignment is committed and
 * the re-check finds it.
 */
async function answerToken(referralId: string, taskToken: string, coachId: string): Promise<void> {
  try {
    await sfn().send(
      new SendTaskSuccessCommand({ taskToken, output: JSON.stringify({ assigned: true, coachId }) }),
    );
  } catch (error) {
    const { errorName } = errorFields(error);
    const expected = ['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken'].includes(errorName);
    logSafe(expected ? 'info' : 'warn', 'waitlist token not answered', { referralId, errorName });
  }
}

// ---------------------------------------------------------------------------------------------
// Release

/**
 * Frees the coach's caseload place of a journey that ended, once: sets caseloadReleasedAt on the
 * referral (only if it has a coach and was not released) and lowers the coach's caseload (only
 * if above 0) in one transaction, with a 'caseload_released' timeline entry. Then drains the
 * waitlist (also after a repeated call, finishing a drain an earlier attempt may not have run).
 */
export async function releaseCaseload(referralId: string): Promise<{ released: boolean }> {
  let released = false;
  let settled = false;
  for (let round = 0; round < MAX_ROUNDS && !settled; round++) {
    const referral = await readReferral(referralId);
    if (!referral.coachId || referral.caseloadReleasedAt) {
      settled = true;
      break;
    }
    const at = new Date().toISOString();
    const marker = referralUpdate(
      referralId,
      { caseloadReleasedAt: at },
      {
        expression: 'attribute_exists(#coachId) AND attribute_not_exists(#released)',
        names: { '#coachId': 'coachId', '#released': 'caseloadReleasedAt' },
      },
    );
    // A closed journey's items carry its retention expiry: so does this entry.
    const timeline = timelinePut(
      referralId,
      { at, event: 'caseload_released', coachId: referral.coachId },
      referral.expiresAt,
    );
    const decrement: TransactItem = {
      Update: {
        TableName: table(),
        Key: coachKeys.coach(referral.coachId),
        UpdateExpression: 'SET caseload = caseload - :one',
        ConditionExpression: 'attribute_exists(pk) AND caseload > :zero',
        ExpressionAttributeValues: { ':one': 1, ':zero': 0 },
      },
    };
    let result = await transaction([marker, decrement, timeline]);
    if (result.kind === 'condition' && !result.failed.includes(0)) {
      // The coach has no caseload to lower (or no longer exists): mark the journey released anyway.
      logSafe('warn', 'coach caseload already zero', { referralId, code: referral.coachId });
      result = await transaction([marker, timeline]);
    }
    if (result.kind === 'ok') {
      released = settled = true;
    } else if (result.kind === 'conflict') {
      await backoff(round);
    }
    // A failed referral condition: released meanwhile; the next read settles it.
  }
  if (!settled) throw new TransientError('caseload release contended');
  if (released) logSafe('info', 'caseload released', { referralId });
  await drainWaitlist();
  return { released };
}

// ---------------------------------------------------------------------------------------------
// Reassignment

/** Why a referral cannot move to another coach (the API answers 409 with the code). */
export class ReassignRefused extends Error {
  override readonly name = 'ReassignRefused';
  constructor(readonly code: 'closed' | 'not_assigned' | 'coach_not_found' | 'coach_unavailable') {
    super(`Reassignment refused: ${code}`);
  }
}

/**
 * Moves an assigned, open referral to another coach, in one transaction: the referral's coachId
 * (only if still the old coach, not closed, not released), the new coach's caseload +1 (only if
 * available and below the maximum), the old coach's -1 (only if above 0), the referral's open
 * and overdue tasks of the old coach handed over (assignee), and a 'coach_reassigned' timeline
 * entry with both coach ids and who did it (staff codes only). The old coach's freed place then
 * drains the waitlist. Moving to the coach it already has changes nothing (a retry answers the same).
 */
export async function reassignReferral(
  referralId: string,
  toCoachId: string,
  byStaffId: string,
): Promise<{ reassigned: boolean; fromCoachId: string; toCoachId: string; tasks: number }> {
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const referral = await readReferral(referralId);
    if (referral.closedAt || referral.caseloadReleasedAt) throw new ReassignRefused('closed');
    if (!referral.coachId) throw new ReassignRefused('not_assigned');
    const fromCoachId = referral.coachId;
    if (fromCoachId === toCoachId) return { reassigned: false, fromCoachId, toCoachId, tasks: 0 };
    const target = await getCoach(toCoachId);
    if (!target) throw new ReassignRefused('coach_not_found');
    if (!hasCapacity(target)) throw new ReassignRefused('coach_unavailable');

    const tasks = (await listTasks(referralId)).filter(
      (t) => (t.status === 'open' || t.status === 'overdue') && t.assignee === fromCoachId,
    );
    const at = new Date().toISOString();
    const referralItem = referralUpdate(
      referralId,
      { ...statusAttributes(referralId, referral.status, at), coachId: toCoachId },
      {
        expression: '#coachId = :from AND attribute_not_exists(#closedAt) AND attribute_not_exists(#released)',
        names: { '#coachId': 'coachId', '#closedAt': 'closedAt', '#released': 'caseloadReleasedAt' },
        values: { ':from': fromCoachId },
      },
    );
    const decrement: TransactItem = {
      Update: {
        TableName: table(),
        Key: coachKeys.coach(fromCoachId),
        UpdateExpression: 'SET caseload = caseload - :one',
        ConditionExpression: 'attribute_exists(pk) AND caseload > :zero',
        ExpressionAttributeValues: { ':one': 1, ':zero': 0 },
      },
    };
    const timeline: TransactItem = {
      Put: {
        TableName: table(),
        Item: {
          ...timelineKey(referralId, at),
          type: 'timeline',
          referralId,
          at,
          event: 'coach_reassigned',
          status: referral.status,
          coachId: toCoachId,
          fromCoachId,
          byStaffId,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    };
    const handOver = tasks.map(
      (task): TransactItem => ({
        Update: {
          TableName: table(),
          Key: keys.task(referralId, task.taskId),
          UpdateExpression: 'SET assignee = :to, reassignedAt = :at',
          ConditionExpression: 'attribute_exists(pk) AND #status IN (:open, :overdue) AND assignee = :from',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':to': toCoachId, ':at': at, ':from': fromCoachId, ':open': 'open', ':overdue': 'overdue' },
        },
      }),
    );
    let result = await transaction([referralItem, coachIncrement(toCoachId), decrement, timeline, ...handOver]);
    if (result.kind === 'condition' && result.failed.length === 1 && result.failed[0] === 2) {
      // The old coach has no caseload to lower (or no longer exists): move the referral anyway.
      logSafe('warn', 'coach caseload already zero', { referralId, code: fromCoachId });
      result = await transaction([referralItem, coachIncrement(toCoachId), timeline, ...handOver]);
    }
    if (result.kind === 'ok') {
      logSafe('info', 'referral reassigned', { referralId, code: toCoachId });
      await drainWaitlist();
      return { reassigned: true, fromCoachId, toCoachId, tasks: tasks.length };
    }
    // A changed referral, task or coach (read again: a full coach is then refused), or a collision.
    await backoff(round);
  }
  throw new TransientError('reassignment contended');
}
