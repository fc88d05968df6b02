/**
 * Referral repository over the Journeys table (functions/shared/tables.ts).
 *
 * Item layout (one partition per referral, so every read a decision needs is strongly consistent):
 *
 *   item       pk                 sk                          gsi1pk               gsi1sk
 *   referral   REFERRAL#<id>      REFERRAL                    REFERRALS#<status>   <updatedAt>#<id>
 *   timeline   REFERRAL#<id>      TIMELINE#<at>#<seq>         -                    -
 *   task       REFERRAL#<id>      TASK#<taskId>               TASKS#<status>       <dueAt>#<id>#<taskId>
 *   task ptr   TASKID#<taskId>    TASKID                      -                    -
 *   reference  REFERENCE#<ref>    REFERENCE                   -                    -
 *
 * - referral: status, journey stage, source, referrer organisation (and ODS code), receivedAt,
 *   updatedAt, the validated referral document (personal and health data: only triage and,
 *   later, the coach read it), the triage decision, lastStage (last stage recorded by the
 *   workflow), closedAt.
 * - timeline: at, event and codes only (status, reason, priority, taskId, taskType, attempt,
 *   error name, signposting ids): never personal or health detail.
 * - task: a human task holding a Step Functions task token: taskId, referralId, type, status
 *   (open | overdue | superseded | completed), attempt (1-based per referral and type), dueAt,
 *   openedAt, assignee (null until coach assignment exists), overdueAt, supersededBy.
 *   The token is stored in `taskToken`; no function here returns it except `taskTokenOf`,
 *   which is for the code that completes the task, never for an API response.
 *   gsi1 holds only open and overdue tasks (sparse): open tasks by due date.
 * - task ptr: referralId and taskId only (no personal data), written with the task, so the
 *   coach API can find a task by its id alone (`findTaskById`).
 * - reference: referralId only: the short reference people read out (domain/reference.ts),
 *   written with the referral under a condition, so no two referrals of the area share one.
 * - expiresAt (TTL, epoch seconds) is set on every item of a referral when it closes:
 *   close time + the area's retentionYears; and, with the same expiry, on its task pointers,
 *   the person index heads it used (its own index entries are removed: only open journeys
 *   count), and the referrals linked to its journey.
 *
 * Writes are transactions with conditions, so a retried invocation never writes twice.
 */
import { createHash, randomUUID } from 'node:crypto';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type QueryCommandInput,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { TaskType } from '../../workflows/states.ts';
import type { Referral, ReferralSource, ReferralStatus } from '../domain/referral.ts';
import { parseReference } from '../domain/reference.ts';
import {
  retentionExpiry,
  stageEffect,
  taskStatus,
  type JourneyStage,
  type StatusStage,
} from '../domain/stages.ts';
import type { TriagePriority, TriageReason, TriageOutcome } from '../domain/triage.ts';
import { dynamo, requiredEnv } from './aws-clients.ts';
import { notificationId, notificationPut, taskFields, teamLeadEmailFor } from './outbox.ts';
import { releasePersonIndex } from './person-index.ts';
import { journeysTable } from './tables.ts';

// ---------------------------------------------------------------------------------------------
// Errors

/** The referral does not exist (a permanent failure for the workflow). */
export class ReferralNotFound extends Error {
  override readonly name = 'ReferralNotFound';
  constructor() {
    super('Referral not found');
  }
}

/** A task the workflow refers to does not exist (permanent). */
export class TaskNotFound extends Error {
  override readonly name = 'TaskNotFound';
  constructor() {
    super('Task not found');
  }
}

/** A write lost a race or was throttled: safe to retry (the workflow retries this name). */
export class TransientError extends Error {
  override readonly name = 'TransientError';
  constructor(detail: string) {
    super(`Transient failure: ${detail}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Types

/** Why a referral's identity needs a person's look, and the open journeys it may duplicate. */
export interface IdentityReview {
  readonly reason: 'nhs_number_conflict' | 'possible_match';
  readonly matches: readonly string[];
}

export interface StoredTriage {
  readonly outcome: TriageOutcome;
  readonly reason: TriageReason;
  readonly priority: TriagePriority;
  readonly firstContactDueHours: number;
  /** Ids of the area's signposts offered (not eligible only). */
  readonly signposting: readonly string[];
  readonly decidedAt: string;
}

export interface StoredReferral {
  readonly referralId: string;
  /** The short reference people read out (`SY-4K7P-2MXQ`); referrals stored before it have none. */
  readonly reference?: string;
  readonly status: ReferralStatus;
  readonly stage: JourneyStage;
  readonly source: ReferralSource;
  readonly referrerOrganisation: string;
  readonly referrerOdsCode?: string;
  readonly receivedAt: string;
  readonly updatedAt: string;
  readonly referral: Referral;
  readonly partnerId?: string;
  readonly linkedTo?: string;
  readonly triage?: StoredTriage;
  readonly lastStage?: string;
  /** The assigned coach, once assignment succeeded. */
  readonly coachId?: string;
  readonly assignedAt?: string;
  readonly caseloadReleasedAt?: string;
  /** The person index partitions it is indexed under (person-index.ts): keyed hashes only. */
  readonly personIndex?: readonly string[];
  /** Intake found an open journey that may be the same person: triage makes it a review. */
  readonly identityReview?: IdentityReview;
  /** The follow-up plan, from the assessment. */
  readonly plan?: { everyWeeks: number; supportWeeks: number; done: number };
  readonly closedAt?: string;
  readonly expiresAt?: number;
}

/** Codes that may accompany a timeline event. */
export interface TimelineDetails {
  readonly status?: ReferralStatus;
  readonly reason?: string;
  readonly priority?: string;
  readonly taskId?: string;
  readonly taskType?: string;
  readonly attempt?: number;
  readonly error?: string;
  readonly signposting?: readonly string[];
  /** Coach id (a staff code, not personal data of the participant). */
  readonly coachId?: string;
  /** A referral linked to this journey (an opaque id): its records expire with the journey's. */
  readonly linkedReferralId?: string;
}

export interface TimelineEntry extends TimelineDetails {
  readonly at: string;
  readonly event: string;
}

export type TaskState = 'open' | 'overdue' | 'superseded' | 'completed' | 'cancelled';

export interface HumanTask {
  readonly taskId: string;
  readonly referralId: string;
  readonly type: TaskType;
  readonly status: TaskState;
  readonly attempt: number;
  readonly dueAt: string;
  readonly openedAt: string;
  readonly assignee: string | null;
  readonly overdueAt?: string;
  readonly supersededBy?: string;
  readonly remindedAt?: string;
  readonly completedAt?: string;
  readonly completedBy?: string;
  /** What the journey was (or will be) sent on completion: codes and ids only. */
  readonly output?: Record<string, unknown>;
  /** When the journey received the output; absent while it still has to be delivered. */
  readonly deliveredAt?: string;
}

export interface StatusChange {
  readonly status: ReferralStatus;
  readonly stage?: JourneyStage;
  readonly event: string;
  readonly details?: Omit<TimelineDetails, 'status'>;
  readonly at: Date;
}

// ---------------------------------------------------------------------------------------------
// Keys

const REFERRAL_SK = 'REFERRAL';
const TTL = journeysTable.ttlAttribute;

export const keys = {
  pk: (referralId: string) => `REFERRAL#${referralId}`,
  referral: (referralId: string) => ({ pk: keys.pk(referralId), sk: REFERRAL_SK }),
  reference: (reference: string) => ({ pk: `REFERENCE#${reference}`, sk: 'REFERENCE' }),
  task: (referralId: string, taskId: string) => ({ pk: keys.pk(referralId), sk: `TASK#${taskId}` }),
  referralsByStatus: (status: ReferralStatus) => `REFERRALS#${status}`,
  tasksByStatus: (status: TaskState) => `TASKS#${status}`,
} as const;

let sequence = 0;
export function timelineKey(referralId: string, at: string) {
  sequence = (sequence + 1) % 1_000_000;
  const suffix = `${String(sequence).padStart(6, '0')}${randomUUID().slice(0, 4)}`;
  return { pk: keys.pk(referralId), sk: `TIMELINE#${at}#${suffix}` };
}

/** Deterministic task id from the task token: a retried open-task call finds the same task. */
export function taskIdFromToken(taskToken: string): string {
  return createHash('sha256').update(taskToken).digest('base64url').slice(0, 32);
}

export const table = () => requiredEnv(journeysTable.envVar);

// ---------------------------------------------------------------------------------------------
// Low-level helpers

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** Runs a transaction; returns the index of the first failed condition, or -1 on success. */
export async function transact(items: TransactItem[]): Promise<number> {
  try {
    await dynamo().send(
      new TransactWriteCommand({ TransactItems: items, ClientRequestToken: randomUUID() }),
    );
    return -1;
  } catch (error) {
    if (error instanceof TransactionCanceledException || (error as Error)?.name === 'TransactionCanceledException') {
      const reasons = (error as TransactionCanceledException).CancellationReasons ?? [];
      const failed = reasons.findIndex((r) => r.Code === 'ConditionalCheckFailed');
      if (failed >= 0) return failed;
      const codes = reasons.map((r) => r.Code).filter((c) => c && c !== 'None');
      throw new TransientError(codes.join(',') || 'transaction cancelled');
    }
    throw error;
  }
}

interface Update {
  UpdateExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
}

/** SET the defined values, REMOVE the listed attributes; names and values are placeholders. */
export function buildUpdate(set: Record<string, unknown>, remove: readonly string[] = []): Update {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const sets: string[] = [];
  let i = 0;
  for (const [name, value] of Object.entries(set)) {
    if (value === undefined) continue;
    names[`#u${i}`] = name;
    values[`:u${i}`] = value;
    sets.push(`#u${i} = :u${i}`);
    i++;
  }
  const removes = remove.map((name) => {
    names[`#u${i}`] = name;
    return `#u${i++}`;
  });
  const parts = [sets.length ? `SET ${sets.join(', ')}` : '', removes.length ? `REMOVE ${removes.join(', ')}` : ''];
  return {
    UpdateExpression: parts.filter(Boolean).join(' '),
    ExpressionAttributeNames: names,
    ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
  };
}

/** A transaction item adding one timeline entry to the referral (for other stores' transactions). */
export function timelinePut(referralId: string, entry: TimelineEntry, expiresAt?: number): TransactItem {
  return {
    Put: {
      TableName: table(),
      Item: { ...timelineKey(referralId, entry.at), type: 'timeline', referralId, ...entry, [TTL]: expiresAt },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

export function referralUpdate(
  referralId: string,
  set: Record<string, unknown>,
  condition: { expression: string; names?: Record<string, string>; values?: Record<string, unknown> },
): TransactItem {
  const update = buildUpdate(set);
  const values = { ...update.ExpressionAttributeValues, ...condition.values };
  return {
    Update: {
      TableName: table(),
      Key: keys.referral(referralId),
      ...update,
      ExpressionAttributeNames: { ...update.ExpressionAttributeNames, ...condition.names },
      ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
      ConditionExpression: `attribute_exists(pk) AND (${condition.expression})`,
    },
  };
}

/** Referral attributes for a status change (status, stage, updatedAt and the by-status index keys). */
export function statusAttributes(referralId: string, status: ReferralStatus, at: string, stage?: JourneyStage) {
  return {
    status,
    stage,
    updatedAt: at,
    gsi1pk: keys.referralsByStatus(status),
    gsi1sk: `${at}#${referralId}`,
  };
}

/** Every item a query matches, across pages. */
export async function queryAll(input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await dynamo().send(new QueryCommand({ ...input, TableName: table(), ExclusiveStartKey: startKey }));
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/** A referral's items (optionally those whose sort key starts with `skPrefix`), consistently. */
export async function queryPartition(referralId: string, skPrefix: string): Promise<Record<string, unknown>[]> {
  return queryAll({
    KeyConditionExpression: skPrefix ? 'pk = :pk AND begins_with(sk, :prefix)' : 'pk = :pk',
    ExpressionAttributeValues: { ':pk': keys.pk(referralId), ...(skPrefix ? { ':prefix': skPrefix } : {}) },
    ConsistentRead: true,
  });
}

function toReferral(item: Record<string, unknown>): StoredReferral {
  const { pk: _pk, sk: _sk, gsi1pk: _g, gsi1sk: _gs, type: _t, ...rest } = item;
  return rest as unknown as StoredReferral;
}

function toTimeline(item: Record<string, unknown>): TimelineEntry {
  const { pk: _pk, sk: _sk, type: _t, referralId: _r, [TTL]: _e, ...rest } = item;
  return rest as unknown as TimelineEntry;
}

export function toTask(item: Record<string, unknown>): HumanTask {
  const { pk: _pk, sk: _sk, gsi1pk: _g, gsi1sk: _gs, type: _t, taskType, taskToken: _token, [TTL]: _e, ...rest } =
    item;
  return { ...(rest as object), type: taskType } as unknown as HumanTask;
}

// ---------------------------------------------------------------------------------------------
// Referrals

/** A new short reference was already taken (a 1 in billions chance): another is drawn. */
const REFERENCE_ATTEMPTS = 5;

/**
 * Stores a new referral (status received), its first timeline entry and, with `newReference`,
 * its short reference, atomically.
 */
export async function createReferral(input: {
  referralId: string;
  /** Draws a short reference (domain/reference.ts); drawn again if another referral holds it. */
  newReference?: () => string;
  referral: Referral;
  receivedAt: Date;
  /** The referral partner that sent it: only that partner may see or cancel it. */
  partnerId?: string;
  /** A referral for someone already on an open journey: stored, linked, no journey of its own. */
  linkedTo?: string;
  /** Person index partitions written with it (in alsoWrite). */
  personIndex?: readonly string[];
  identityReview?: IdentityReview;
  /** Written in the same transaction (e.g. the person index); a failed condition throws ConditionFailed. */
  alsoWrite?: TransactItem[];
}): Promise<StoredReferral> {
  for (let attempt = 1; ; attempt++) {
    const reference = input.newReference?.();
    try {
      return await writeReferral(input, reference);
    } catch (error) {
      if (!(error instanceof ReferenceTaken) || attempt >= REFERENCE_ATTEMPTS) throw error;
    }
  }
}

class ReferenceTaken extends Error {
  override readonly name = 'ReferenceTaken';
}

async function writeReferral(input: Parameters<typeof createReferral>[0], reference: string | undefined): Promise<StoredReferral> {
  const at = input.receivedAt.toISOString();
  const stored: StoredReferral = {
    referralId: input.referralId,
    ...(reference ? { reference } : {}),
    status: 'received',
    stage: 'intake',
    source: input.referral.source,
    referrerOrganisation: input.referral.referrer.organisation,
    ...(input.referral.referrer.odsCode ? { referrerOdsCode: input.referral.referrer.odsCode } : {}),
    receivedAt: at,
    updatedAt: at,
    referral: input.referral,
    ...(input.partnerId ? { partnerId: input.partnerId } : {}),
    ...(input.linkedTo ? { status: 'linked' as const, stage: 'closed' as const, linkedTo: input.linkedTo } : {}),
    ...(input.personIndex?.length ? { personIndex: input.personIndex } : {}),
    ...(input.identityReview ? { identityReview: input.identityReview } : {}),
  };
  const failed = await transact([
    {
      Put: {
        TableName: table(),
        Item: {
          ...keys.referral(input.referralId),
          ...stored,
          type: 'referral',
          gsi1pk: keys.referralsByStatus(stored.status),
          gsi1sk: `${at}#${input.referralId}`,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    timelinePut(input.referralId, { at, event: input.linkedTo ? 'linked' : 'received', status: stored.status }),
    ...(input.alsoWrite ?? []),
    ...(reference
      ? [
          {
            Put: {
              TableName: table(),
              Item: { ...keys.reference(reference), type: 'reference', referralId: input.referralId },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        ]
      : []),
  ]);
  const also = input.alsoWrite?.length ?? 0;
  if (failed === 0 || failed === 1) throw new Error('Referral id already in use');
  if (failed >= 2 && failed < 2 + also) throw new ConditionFailed(failed - 2);
  if (failed === 2 + also) throw new ReferenceTaken('Reference already in use');
  return stored;
}

/** A referral's short reference alone (no personal data read), if it has one. */
export async function referenceOf(referralId: string): Promise<string | undefined> {
  const { Item } = await dynamo().send(
    new GetCommand({ TableName: table(), Key: keys.referral(referralId), ProjectionExpression: '#r', ExpressionAttributeNames: { '#r': 'reference' } }),
  );
  return typeof Item?.reference === 'string' ? Item.reference : undefined;
}

/** The latest reviewer's reason for finding a referral not eligible (a code: the note is not read). */
export async function notEligibleReviewReason(referralId: string): Promise<string | undefined> {
  const reviews = (await queryPartition(referralId, 'REVIEW#'))
    .filter((item) => item.outcome === 'not_eligible' && typeof item.reason === 'string')
    .sort((a, b) => String(a.recordedAt).localeCompare(String(b.recordedAt)));
  return reviews.at(-1)?.reason as string | undefined;
}

/** A referral by its id, or by its short reference as typed or heard (domain/reference.ts). */
export async function findReferralByIdOrReference(text: string, referencePrefix: string): Promise<StoredReferral | undefined> {
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(text)) return getReferral(text);
  const reference = parseReference(text, referencePrefix);
  return reference ? findReferralByReference(reference) : undefined;
}

/** The referral a short reference (as written: see domain/reference.ts parseReference) names. */
export async function findReferralByReference(reference: string): Promise<StoredReferral | undefined> {
  const { Item } = await dynamo().send(new GetCommand({ TableName: table(), Key: keys.reference(reference), ConsistentRead: true }));
  return typeof Item?.referralId === 'string' ? getReferral(Item.referralId) : undefined;
}

/** A condition of an item written alongside failed; `index` is its place in `alsoWrite`. */
export class ConditionFailed extends Error {
  override readonly name = 'ConditionFailed';
  constructor(readonly index: number) {
    super('A condition of the write failed');
  }
}

export async function getReferral(referralId: string): Promise<StoredReferral | undefined> {
  const { Item } = await dynamo().send(
    new GetCommand({ TableName: table(), Key: keys.referral(referralId), ConsistentRead: true }),
  );
  return Item ? toReferral(Item) : undefined;
}

/**
 * Sets the status (and journey stage) with a timeline entry, atomically.
 * Returns false when the referral does not exist.
 */
export async function setStatus(referralId: string, change: StatusChange): Promise<boolean> {
  const at = change.at.toISOString();
  const failed = await transact([
    referralUpdate(referralId, statusAttributes(referralId, change.status, at, change.stage), {
      expression: 'attribute_exists(sk)',
    }),
    timelinePut(referralId, { ...change.details, at, event: change.event, status: change.status }),
  ]);
  return failed < 0;
}

/** The referral's timeline, oldest first. */
export async function listTimeline(referralId: string): Promise<TimelineEntry[]> {
  return (await queryPartition(referralId, 'TIMELINE#')).map(toTimeline);
}

/**
 * Records the triage decision once: status from the outcome, a 'triaged' timeline entry with
 * reason and priority codes. Returns false (writing nothing) if the referral was already triaged.
 */
export async function recordTriage(
  referralId: string,
  status: ReferralStatus,
  decision: StoredTriage,
  alsoWrite: TransactItem[] = [],
): Promise<boolean> {
  const at = decision.decidedAt;
  const failed = await transact([
    referralUpdate(
      referralId,
      { ...statusAttributes(referralId, status, at, 'triage'), triage: decision },
      { expression: 'attribute_not_exists(#triage)', names: { '#triage': 'triage' } },
    ),
    timelinePut(referralId, {
      at,
      event: 'triaged',
      status,
      reason: decision.reason,
      priority: decision.priority,
      ...(decision.signposting.length ? { signposting: decision.signposting } : {}),
    }),
    ...alsoWrite,
  ]);
  return failed < 0;
}

/**
 * Records a workflow stage (engaged, declined, not_engaged, not_eligible, needs_attention) once:
 * status, journey stage and a timeline entry. Closing stages set closedAt and the retention
 * expiry on every item of the referral. A repeat of the last recorded stage writes nothing,
 * except that a closed referral's retention is (re)applied, finishing a crashed earlier attempt.
 */
export async function recordStage(
  referralId: string,
  stage: StatusStage,
  options: {
    at: Date;
    retentionYears: number;
    error?: string;
    reason?: string;
    /** Items written in the same transaction when the stage is recorded (the referrer's status update). */
    alsoWrite?: (referral: StoredReferral, status: ReferralStatus, at: string) => Promise<TransactItem[]>;
  },
): Promise<{ recorded: boolean; referral: StoredReferral }> {
  const referral = await getReferral(referralId);
  if (!referral) throw new ReferralNotFound();
  const effect = stageEffect(stage);
  const at = options.at.toISOString();
  const expiresAt = effect.closes ? retentionExpiry(options.at, options.retentionYears) : undefined;

  let recorded = false;
  if (referral.lastStage !== stage && !(effect.closes && referral.closedAt)) {
    const failed = await transact([
      referralUpdate(
        referralId,
        {
          ...statusAttributes(referralId, effect.status, at, effect.journeyStage),
          lastStage: stage,
          ...(effect.closes ? { closedAt: at, [TTL]: expiresAt } : {}),
        },
        {
          expression: effect.closes
            ? '(attribute_not_exists(#last) OR #last <> :stage) AND attribute_not_exists(#closedAt)'
            : 'attribute_not_exists(#last) OR #last <> :stage',
          names: { '#last': 'lastStage', ...(effect.closes ? { '#closedAt': 'closedAt' } : {}) },
          values: { ':stage': stage },
        },
      ),
      timelinePut(
        referralId,
        {
          at,
          event: effect.event,
          status: effect.status,
          ...(options.error ? { error: options.error } : {}),
          ...(options.reason ? { reason: options.reason } : {}),
        },
        expiresAt,
      ),
      ...((await options.alsoWrite?.(referral, effect.status, at)) ?? []),
    ]);
    recorded = failed < 0;
  }
  const latest = recorded ? await getReferral(referralId) : referral;
  if (!latest) throw new ReferralNotFound();
  if (latest.closedAt && latest.expiresAt !== undefined) await applyRetention(referralId, latest.expiresAt);
  return { recorded, referral: latest };
}

/**
 * Sets expiresAt on every item of the referral that lacks it, and on what lives outside its
 * partition but belongs to it: task pointers, the person index (entries removed, heads expiring), and
 * referrals linked to its journey (idempotent).
 */
export async function applyRetention(referralId: string, expiresAt: number): Promise<void> {
  const items = await queryPartition(referralId, '');
  const expire = (key: { pk: unknown; sk: unknown }) => expireItem(key, expiresAt);
  const owned = [
    ...items.filter((item) => item[TTL] === undefined).map((item) => () => expire({ pk: item.pk, sk: item.sk })),
    ...items.filter((item) => item.type === 'task').map((item) => () => expire(taskPointerKey(String(item.taskId)))),
    ...items
      .filter((item) => item.type === 'referral' && typeof item.reference === 'string')
      .map((item) => () => expire(keys.reference(String(item.reference)))),
    ...items
      .filter((item) => item.type === 'referral' && Array.isArray(item.personIndex))
      .map((item) => () => releasePersonIndex(referralId, item.personIndex as string[], expiresAt)),
  ];
  for (let i = 0; i < owned.length; i += 10) await Promise.all(owned.slice(i, i + 10).map((run) => run()));
  const linked = items.filter((item) => item.type === 'timeline' && typeof item.linkedReferralId === 'string').map((item) => String(item.linkedReferralId));
  for (const id of new Set(linked)) if (id !== referralId) await applyRetention(id, expiresAt);
}

/** Sets the TTL on one item if it exists, has none yet and (for index items) still names the referral. */
async function expireItem(key: { pk: unknown; sk: unknown }, expiresAt: number): Promise<void> {
  try {
    await dynamo().send(
      new UpdateCommand({
        TableName: table(),
        Key: { pk: key.pk, sk: key.sk },
        UpdateExpression: 'SET #ttl = :ttl',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#ttl)',
        ExpressionAttributeNames: { '#ttl': TTL },
        ExpressionAttributeValues: { ':ttl': expiresAt },
      }),
    );
  } catch (error) {
    if ((error as Error)?.name !== 'ConditionalCheckFailedException') throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Human tasks

/** Tasks of a referral (optionally of one type), highest attempt first. */
export async function listTasks(referralId: string, type?: TaskType): Promise<HumanTask[]> {
  return (await queryPartition(referralId, 'TASK#'))
    .map(toTask)
    .filter((task) => type === undefined || task.type === type)
    .sort((a, b) => b.attempt - a.attempt);
}

export async function findOpenTask(referralId: string, type: TaskType): Promise<HumanTask | undefined> {
  return (await listTasks(referralId, type)).find((task) => task.status === 'open');
}

export async function getTask(referralId: string, taskId: string): Promise<HumanTask | undefined> {
  const { Item } = await dynamo().send(
    new GetCommand({ TableName: table(), Key: keys.task(referralId, taskId), ConsistentRead: true }),
  );
  return Item ? toTask(Item) : undefined;
}

/** Points from a task id to its referral (task ids come from tokens, so they are unique). */
export const taskPointerKey = (taskId: string) => ({ pk: `TASKID#${taskId}`, sk: 'TASKID' });

/**
 * A task by its id alone: through its pointer item, or (a task opened before pointers were
 * written) among the open and overdue tasks of the index.
 */
export async function findTaskById(taskId: string): Promise<HumanTask | undefined> {
  const { Item } = await dynamo().send(new GetCommand({ TableName: table(), Key: taskPointerKey(taskId), ConsistentRead: true }));
  if (typeof Item?.referralId === 'string') return getTask(Item.referralId, taskId);
  for (const status of ['open', 'overdue'] as const) {
    const items = await queryAll({
      IndexName: journeysTable.indexes[0].indexName,
      KeyConditionExpression: 'gsi1pk = :pk',
      FilterExpression: 'taskId = :taskId',
      ExpressionAttributeValues: { ':pk': keys.tasksByStatus(status), ':taskId': taskId },
    });
    const found = items[0];
    if (typeof found?.referralId === 'string') return getTask(found.referralId, taskId);
  }
  return undefined;
}

/** The stored task token, for the code that completes a task. Never put it in a response. */
export async function taskTokenOf(referralId: string, taskId: string): Promise<string | undefined> {
  const { Item } = await dynamo().send(
    new GetCommand({
      TableName: table(),
      Key: keys.task(referralId, taskId),
      ConsistentRead: true,
      ProjectionExpression: 'taskToken',
    }),
  );
  return typeof Item?.taskToken === 'string' ? Item.taskToken : undefined;
}

/**
 * Opens a human task holding the token, atomically: the new task (attempt = latest attempt of
 * the type + 1), the previous open or overdue task of the type superseded, the referral's
 * status for the task type, and a 'task_opened' timeline entry. The task id comes from the
 * token, so a retried call returns the task it already created.
 */
export async function openTask(input: {
  referralId: string;
  type: TaskType;
  taskToken: string;
  dueAt: Date;
  at: Date;
  assignee?: string | null;
  /** Tell the assignee at once ('task_assigned' e-mail to this work address), in the same transaction. */
  notify?: { to: string };
}): Promise<{ task: HumanTask; created: boolean }> {
  const taskId = taskIdFromToken(input.taskToken);
  const at = input.at.toISOString();
  const dueAt = input.dueAt.toISOString();
  const { status, journeyStage } = taskStatus(input.type);

  for (let round = 0; round < 3; round++) {
    const existing = await getTask(input.referralId, taskId);
    if (existing) return { task: existing, created: false };

    const tasks = await listTasks(input.referralId, input.type);
    const attempt = (tasks[0]?.attempt ?? 0) + 1;
    const task: HumanTask = {
      taskId,
      referralId: input.referralId,
      type: input.type,
      status: 'open',
      attempt,
      dueAt,
      openedAt: at,
      assignee: input.assignee ?? null,
    };
    const { type, ...taskAttributes } = task;
    const supersede = tasks.filter((t) => t.status === 'open' || t.status === 'overdue');

    const failed = await transact([
      {
        Put: {
          TableName: table(),
          Item: {
            ...keys.task(input.referralId, taskId),
            ...taskAttributes,
            type: 'task',
            taskType: type,
            taskToken: input.taskToken,
            gsi1pk: keys.tasksByStatus('open'),
            gsi1sk: `${dueAt}#${input.referralId}#${taskId}`,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      ...supersede.map((previous): TransactItem => {
        const update = buildUpdate({ status: 'superseded', supersededBy: taskId, supersededAt: at }, [
          'gsi1pk',
          'gsi1sk',
        ]);
        return {
          Update: {
            TableName: table(),
            Key: keys.task(input.referralId, previous.taskId),
            ...update,
            ExpressionAttributeNames: { ...update.ExpressionAttributeNames, '#status': 'status' },
            ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ':expected': previous.status },
            ConditionExpression: '#status = :expected',
          },
        };
      }),
      referralUpdate(input.referralId, statusAttributes(input.referralId, status, at, journeyStage), {
        expression: 'attribute_exists(sk)',
      }),
      timelinePut(input.referralId, { at, event: 'task_opened', status, taskId, taskType: type, attempt }),
      // Unconditional (the same content on a retry), so it never moves the failure indexes.
      { Put: { TableName: table(), Item: { ...taskPointerKey(taskId), type: 'task_pointer', referralId: input.referralId, taskId } } },
      // Last, so the failure indexes above keep their meaning.
      ...(input.notify
        ? [
            notificationPut(
              input.referralId,
              notificationId('task_assigned', taskId),
              { to: input.notify.to, template: 'task_assigned', fields: taskFields(task) },
              at,
            ),
          ]
        : []),
    ]);
    if (failed < 0) return { task, created: true };
    if (failed === supersede.length + 1) throw new ReferralNotFound();
    // The task already exists (a concurrent retry) or a previous task changed: look again.
  }
  throw new TransientError('task changed while opening');
}

/**
 * Marks the task overdue (only if open) with a 'task_overdue' timeline entry and, once per
 * task, a 'task_overdue' e-mail to the assignee's team lead (`notifyTo`, else looked up).
 * Returns false, writing nothing, when it is not open.
 */
export async function markTaskOverdue(referralId: string, task: HumanTask, now: Date, notifyTo?: string): Promise<boolean> {
  const at = now.toISOString();
  const to = notifyTo ?? (await teamLeadEmailFor(task.assignee));
  const update = buildUpdate({
    status: 'overdue',
    overdueAt: at,
    gsi1pk: keys.tasksByStatus('overdue'),
    gsi1sk: `${task.dueAt}#${referralId}#${task.taskId}`,
  });
  const failed = await transact([
    {
      Update: {
        TableName: table(),
        Key: keys.task(referralId, task.taskId),
        ...update,
        ExpressionAttributeNames: { ...update.ExpressionAttributeNames, '#status': 'status' },
        ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ':open': 'open' },
        ConditionExpression: 'attribute_exists(pk) AND #status = :open',
      },
    },
    referralUpdate(referralId, { updatedAt: at }, { expression: 'attribute_exists(sk)' }),
    timelinePut(referralId, {
      at,
      event: 'task_overdue',
      taskId: task.taskId,
      taskType: task.type,
      attempt: task.attempt,
    }),
    notificationPut(referralId, notificationId('task_overdue', task.taskId), { to, template: 'task_overdue', fields: taskFields(task) }, at),
  ]);
  return failed < 0;
}
