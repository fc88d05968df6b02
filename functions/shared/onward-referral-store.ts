/**
 * Onward referrals over the Journeys table (functions/shared/tables.ts), in the referral's
 * partition next to the referral, its timeline and its tasks (functions/shared/referral-store.ts).
 *
 *   item          pk               sk                     gsi1pk                  gsi1sk
 *   onward        REFERRAL#<id>    ONWARD#<onwardId>      ONWARD#<onwardId>       ONWARD
 *   notification  REFERRAL#<id>    NOTIFICATION#<nid>     NOTIFICATIONS#pending   <createdAt>#<nid>
 *
 * - onward: onwardReferralId, referralId, serviceId, status (domain/onward-referral.ts),
 *   createdAt, sentAt, chasedAt, lastStatus / lastStatusAt (the provider's latest status and
 *   when it says it happened), updatedAt, attempts (delivery attempts), providerKeyHash
 *   (sha256 of the provider's key, base64url; the key itself is never stored) and taskToken
 *   (the journey's current callback token; only `recordProviderStatus` hands it out, to the
 *   code that completes the task, and no API returns it). gsi1 finds it by id alone, so a
 *   provider's callback needs nothing but the onward referral id.
 * - notification: an outbox item a notifier delivers later: notificationId, channel 'email',
 *   to (the service's referral address, an organisation's inbox), template, fields
 *   (onwardReferralId, referralReference, serviceName: never personal data; the notifier adds
 *   the keyed link when it sends),
 *   status pending, createdAt. gsi1 lists pending notifications oldest first.
 * - Every status change also adds a referral timeline entry: event 'onward_referral_status',
 *   onwardReferralId, serviceId, status (codes only).
 * - Items written after the referral closed carry its expiresAt (retention).
 *
 * One onward referral per service per referral: its id derives from the two, and creation is
 * a conditional put. Every write is conditional, so retried invocations never write twice.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import {
  canMarkByJourney,
  providerTransition,
  type DeclineReason,
  type JourneyOnwardStatus,
  type OnwardReferralStatus,
  type ProviderStatus,
} from '../domain/onward-referral.ts';
import { dynamo, requiredEnv, sfn } from './aws-clients.ts';
import {
  getReferral,
  keys as referralKeys,
  queryPartition,
  ReferralNotFound,
  timelineKey,
  transact,
  TransientError,
  type TransactItem,
} from './referral-store.ts';
import { journeysTable } from './tables.ts';

// ---------------------------------------------------------------------------------------------
// Types and errors

export interface OnwardReferral {
  readonly onwardReferralId: string;
  readonly referralId: string;
  readonly serviceId: string;
  readonly status: OnwardReferralStatus;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly sentAt?: string;
  readonly chasedAt?: string;
  readonly lastStatus?: ProviderStatus;
  readonly lastStatusAt?: string;
  /** A declining provider's reason (a code), and the first appointment an accepting one gave. */
  readonly declineReason?: DeclineReason;
  readonly firstAppointmentOn?: string;
  readonly attempts: number;
  /** sha256 of the provider key (base64url). Not for API responses. */
  readonly providerKeyHash?: string;
}

/** The journey refers to an onward referral that does not exist (permanent). */
export class OnwardReferralNotFound extends Error {
  override readonly name = 'OnwardReferralNotFound';
  constructor() {
    super('Onward referral not found');
  }
}

export const ONWARD_REFERRAL_EVENT = 'onward_referral_status';

// ---------------------------------------------------------------------------------------------
// Keys and ids

const TTL = journeysTable.ttlAttribute;
const table = () => requiredEnv(journeysTable.envVar);

export const onwardKeys = {
  onward: (referralId: string, onwardReferralId: string) => ({
    pk: referralKeys.pk(referralId),
    sk: `ONWARD#${onwardReferralId}`,
  }),
  byId: (onwardReferralId: string) => `ONWARD#${onwardReferralId}`,
  byIdSort: 'ONWARD',
  notification: (referralId: string, notificationId: string) => ({
    pk: referralKeys.pk(referralId),
    sk: `NOTIFICATION#${notificationId}`,
  }),
  notificationsByStatus: (status: 'pending') => `NOTIFICATIONS#${status}`,
} as const;

/** A UUID (RFC 9562 version 8, name-based on SHA-256) from a namespace and parts. */
function derivedUuid(...parts: string[]): string {
  const bytes = createHash('sha256').update(parts.join('\u0000')).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The onward referral id for a service chosen for a referral: the same every time. */
export function onwardReferralIdFor(referralId: string, serviceId: string): string {
  return derivedUuid('workwell-onward-referral', referralId, serviceId);
}

/** The outbox id of the e-mail for an onward referral (first referral, or its chase). */
export function notificationIdFor(onwardReferralId: string, chase: boolean): string {
  return derivedUuid('workwell-onward-notification', onwardReferralId, chase ? 'chase' : 'referral');
}

// ---------------------------------------------------------------------------------------------
// Provider keys

const MIN_SECRET_LENGTH = 32;

/**
 * The provider's key for an onward referral: HMAC-SHA256(PROVIDER_KEY_SECRET, id), base64url
 * (32 bytes). Derived, never stored: a retried or chasing send re-sends the very key the
 * provider already has, and only its hash is kept to check the provider's calls.
 */
export function providerKeyFor(onwardReferralId: string, secret = requiredEnv('PROVIDER_KEY_SECRET')): string {
  if (secret.length < MIN_SECRET_LENGTH) throw new Error('PROVIDER_KEY_SECRET is too short');
  return createHmac('sha256', secret).update(`onward-referral:${onwardReferralId}`).digest('base64url');
}

export function hashProviderKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('base64url');
}

/** Constant-time comparison of a presented key with a stored hash. */
export function providerKeyMatches(presented: string, storedHash: string | undefined): boolean {
  if (!storedHash) return false;
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = Buffer.from(storedHash, 'base64url');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Constant-time check that `presented` is the key this deployment derives for the id. */
export function isDerivedProviderKey(presented: string, onwardReferralId: string): boolean {
  return providerKeyMatches(presented, hashProviderKey(providerKeyFor(onwardReferralId)));
}

// ---------------------------------------------------------------------------------------------
// Helpers

function toOnward(item: Record<string, unknown>): OnwardReferral {
  const {
    pk: _pk,
    sk: _sk,
    gsi1pk: _g,
    gsi1sk: _gs,
    type: _t,
    taskToken: _token,
    [TTL]: _e,
    ...rest
  } = item;
  return rest as unknown as OnwardReferral;
}

function timelineEntry(
  referralId: string,
  entry: { at: string; onwardReferralId: string; serviceId: string; status: OnwardReferralStatus },
  expiresAt: number | undefined,
): TransactItem {
  return {
    Put: {
      TableName: table(),
      Item: {
        ...timelineKey(referralId, entry.at),
        type: 'timeline',
        referralId,
        event: ONWARD_REFERRAL_EVENT,
        ...entry,
        [TTL]: expiresAt,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

async function getItem(referralId: string, onwardReferralId: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await dynamo().send(
    new GetCommand({ TableName: table(), Key: onwardKeys.onward(referralId, onwardReferralId), ConsistentRead: true }),
  );
  return Item;
}

const expiryOf = (item: Record<string, unknown>): number | undefined =>
  typeof item[TTL] === 'number' ? (item[TTL] as number) : undefined;
const tokenOf = (item: Record<string, unknown>): string | undefined =>
  typeof item.taskToken === 'string' ? item.taskToken : undefined;

function isConditionFailure(error: unknown): boolean {
  return (error as Error)?.name === 'ConditionalCheckFailedException';
}

// ---------------------------------------------------------------------------------------------
// Reads

/** An onward referral by id alone (gsi1 finds its referral, then a consistent read). */
export async function getOnwardReferral(onwardReferralId: string): Promise<OnwardReferral | undefined> {
  const { Items } = await dynamo().send(
    new QueryCommand({
      TableName: table(),
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk = :sk',
      ExpressionAttributeValues: { ':pk': onwardKeys.byId(onwardReferralId), ':sk': onwardKeys.byIdSort },
      ProjectionExpression: 'referralId',
      Limit: 1,
    }),
  );
  const referralId = Items?.[0]?.referralId;
  if (typeof referralId !== 'string') return undefined;
  return getOnwardReferralOf(referralId, onwardReferralId);
}

/** An onward referral of a known referral (strongly consistent). */
export async function getOnwardReferralOf(
  referralId: string,
  onwardReferralId: string,
): Promise<OnwardReferral | undefined> {
  const item = await getItem(referralId, onwardReferralId);
  return item ? toOnward(item) : undefined;
}

/** A referral's onward referrals, in creation order. */
export async function listOnwardReferrals(referralId: string): Promise<OnwardReferral[]> {
  const items = await queryPartition(referralId, 'ONWARD#');
  return items
    .map(toOnward)
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.serviceId.localeCompare(b.serviceId));
}

// ---------------------------------------------------------------------------------------------
// Writes

/**
 * Creates one onward referral (status pending) per service, with a timeline entry each.
 * Idempotent: a service already referred to for this referral keeps its onward referral.
 * Throws ReferralNotFound when the referral does not exist. Repeated ids collapse to one.
 */
export async function createOnwardReferrals(
  referralId: string,
  serviceIds: readonly string[],
  now: Date = new Date(),
): Promise<{ onwardReferralId: string; serviceId: string }[]> {
  const referral = await getReferral(referralId);
  if (!referral) throw new ReferralNotFound();
  const at = now.toISOString();
  const created: { onwardReferralId: string; serviceId: string }[] = [];
  for (const serviceId of new Set(serviceIds)) {
    const onwardReferralId = onwardReferralIdFor(referralId, serviceId);
    const failed = await transact([
      {
        ConditionCheck: {
          TableName: table(),
          Key: referralKeys.referral(referralId),
          ConditionExpression: 'attribute_exists(pk)',
        },
      },
      {
        Put: {
          TableName: table(),
          Item: {
            ...onwardKeys.onward(referralId, onwardReferralId),
            type: 'onward_referral',
            onwardReferralId,
            referralId,
            serviceId,
            status: 'pending',
            createdAt: at,
            updatedAt: at,
            attempts: 0,
            gsi1pk: onwardKeys.byId(onwardReferralId),
            gsi1sk: onwardKeys.byIdSort,
            [TTL]: referral.expiresAt,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      timelineEntry(referralId, { at, onwardReferralId, serviceId, status: 'pending' }, referral.expiresAt),
    ]);
    if (failed === 0) throw new ReferralNotFound();
    // failed === 1: created before (a retried call): keep it.
    created.push({ onwardReferralId, serviceId });
  }
  return created;
}

/**
 * Before a delivery: stores the journey's current task token and the provider key's hash,
 * counts the attempt, and returns the onward referral as it now is.
 */
export async function startDelivery(input: {
  referralId: string;
  onwardReferralId: string;
  taskToken: string;
  providerKeyHash: string;
  at: Date;
}): Promise<OnwardReferral> {
  try {
    const { Attributes } = await dynamo().send(
      new UpdateCommand({
        TableName: table(),
        Key: onwardKeys.onward(input.referralId, input.onwardReferralId),
        UpdateExpression: 'SET #token = :token, #hash = :hash, #updatedAt = :at ADD #attempts :one',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: {
          '#token': 'taskToken',
          '#hash': 'providerKeyHash',
          '#updatedAt': 'updatedAt',
          '#attempts': 'attempts',
        },
        ExpressionAttributeValues: {
          ':token': input.taskToken,
          ':hash': input.providerKeyHash,
          ':at': input.at.toISOString(),
          ':one': 1,
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return toOnward(Attributes ?? {});
  } catch (error) {
    if (isConditionFailure(error)) throw new OnwardReferralNotFound();
    throw error;
  }
}

export interface EmailNotification {
  readonly to: string;
  readonly template: 'onward_referral' | 'onward_referral_chase';
  /** Ids and the service's name only: never personal or health data, nor a key. */
  readonly fields: { readonly onwardReferralId: string; readonly referralReference: string; readonly serviceName: string };
}

/**
 * After a delivery: pending becomes sent (sentAt, with a timeline entry); a chase sets
 * chasedAt. With `notification`, the outbox item is written in the same transaction, once:
 * if it exists, the earlier attempt did all of this already. A provider status recorded in
 * the meantime is kept (only pending becomes sent).
 */
export async function recordDelivery(input: {
  referralId: string;
  onwardReferralId: string;
  chase: boolean;
  at: Date;
  notification?: EmailNotification;
}): Promise<{ notificationId?: string; notified: boolean }> {
  const at = input.at.toISOString();
  const notificationId = input.notification ? notificationIdFor(input.onwardReferralId, input.chase) : undefined;
  for (let round = 0; round < 3; round++) {
    const item = await getItem(input.referralId, input.onwardReferralId);
    if (!item) throw new OnwardReferralNotFound();
    const current = item.status as OnwardReferralStatus;
    const expiresAt = expiryOf(item);
    const toSent = current === 'pending';
    const set: Record<string, unknown> = { updatedAt: at };
    if (toSent || (!input.chase && item.sentAt === undefined)) set.sentAt = at;
    if (input.chase) set.chasedAt = at;

    const names: Record<string, string> = { '#status': 'status' };
    const values: Record<string, unknown> = { ':current': current };
    const sets = Object.entries(set).map(([name, value], i) => {
      names[`#s${i}`] = name;
      values[`:s${i}`] = value;
      return `#s${i} = :s${i}`;
    });
    if (toSent) {
      values[':sent'] = 'sent';
      sets.push('#status = :sent');
    }
    const items: TransactItem[] = [];
    if (input.notification && notificationId) {
      items.push({
        Put: {
          TableName: table(),
          Item: {
            ...onwardKeys.notification(input.referralId, notificationId),
            type: 'notification',
            notificationId,
            referralId: input.referralId,
            channel: 'email',
            to: input.notification.to,
            template: input.notification.template,
            fields: input.notification.fields,
            status: 'pending',
            createdAt: at,
            gsi1pk: onwardKeys.notificationsByStatus('pending'),
            gsi1sk: `${at}#${notificationId}`,
            [TTL]: expiresAt,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      });
    }
    items.push({
      Update: {
        TableName: table(),
        Key: onwardKeys.onward(input.referralId, input.onwardReferralId),
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: 'attribute_exists(pk) AND #status = :current',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
    });
    if (toSent) {
      items.push(
        timelineEntry(
          input.referralId,
          { at, onwardReferralId: input.onwardReferralId, serviceId: String(item.serviceId), status: 'sent' },
          expiresAt,
        ),
      );
    }
    const failed = await transact(items);
    if (failed < 0) return { ...(notificationId ? { notificationId } : {}), notified: Boolean(notificationId) };
    if (notificationId && failed === 0) return { notificationId, notified: false }; // done before
    // The status changed under us (a provider answered): look again.
  }
  throw new TransientError('onward referral changed while recording delivery');
}

export type ProviderStatusResult =
  | { readonly outcome: 'recorded' | 'repeat'; readonly onwardReferral: OnwardReferral; readonly taskToken?: string }
  | { readonly outcome: 'not_allowed'; readonly onwardReferral: OnwardReferral };

/**
 * Records a provider's status: the status (if it may follow the current one, see
 * domain/onward-referral.ts), lastStatus and lastStatusAt (occurredAt, else now), and a
 * timeline entry, atomically. The current status again is a 'repeat' (nothing written).
 * Returns the stored task token, if any, so the caller can answer the waiting journey; the
 * write is conditional on the token it saw, so a token stored meanwhile is never missed.
 */
export async function recordProviderStatus(input: {
  referralId: string;
  onwardReferralId: string;
  status: ProviderStatus;
  occurredAt?: Date;
  reason?: DeclineReason;
  firstAppointmentOn?: string;
  at: Date;
}): Promise<ProviderStatusResult> {
  const at = input.at.toISOString();
  for (let round = 0; round < 3; round++) {
    const item = await getItem(input.referralId, input.onwardReferralId);
    if (!item) throw new OnwardReferralNotFound();
    const current = item.status as OnwardReferralStatus;
    const token = tokenOf(item);
    const transition = providerTransition(current, input.status);
    if (transition === 'not_allowed') return { outcome: 'not_allowed', onwardReferral: toOnward(item) };
    if (transition === 'repeat') {
      return { outcome: 'repeat', onwardReferral: toOnward(item), ...(token ? { taskToken: token } : {}) };
    }
    const lastStatusAt = (input.occurredAt ?? input.at).toISOString();
    const details = {
      ...(input.reason ? { declineReason: input.reason } : {}),
      ...(input.firstAppointmentOn ? { firstAppointmentOn: input.firstAppointmentOn } : {}),
    };
    const detailNames = Object.fromEntries(Object.keys(details).map((name) => [`#${name}`, name]));
    const detailValues = Object.fromEntries(Object.entries(details).map(([name, value]) => [`:${name}`, value]));
    const detailSets = Object.keys(details).map((name) => `, #${name} = :${name}`).join('');
    const failed = await transact([
      {
        Update: {
          TableName: table(),
          Key: onwardKeys.onward(input.referralId, input.onwardReferralId),
          UpdateExpression: `SET #status = :next, #last = :next, #lastAt = :lastAt, #updatedAt = :at${detailSets}`,
          ConditionExpression: token
            ? 'attribute_exists(pk) AND #status = :current AND #token = :token'
            : 'attribute_exists(pk) AND #status = :current AND attribute_not_exists(#token)',
          ExpressionAttributeNames: {
            '#status': 'status',
            '#last': 'lastStatus',
            '#lastAt': 'lastStatusAt',
            '#updatedAt': 'updatedAt',
            '#token': 'taskToken',
            ...detailNames,
          },
          ExpressionAttributeValues: {
            ':next': input.status,
            ':current': current,
            ':lastAt': lastStatusAt,
            ':at': at,
            ...(token ? { ':token': token } : {}),
            ...detailValues,
          },
        },
      },
      timelineEntry(
        input.referralId,
        { at, onwardReferralId: input.onwardReferralId, serviceId: String(item.serviceId), status: input.status },
        expiryOf(item),
      ),
    ]);
    if (failed < 0) {
      const recorded = toOnward({ ...item, ...details, status: input.status, lastStatus: input.status, lastStatusAt, updatedAt: at });
      return { outcome: 'recorded', onwardReferral: recorded, ...(token ? { taskToken: token } : {}) };
    }
    // Status or token changed meanwhile: look again.
  }
  throw new TransientError('onward referral changed while recording a provider status');
}

/**
 * The journey's own statuses (unreachable, no_response), only before the provider answered.
 * Returns false, writing nothing, when the status may not be set (or is set already).
 */
export async function recordJourneyStatus(input: {
  referralId: string;
  onwardReferralId: string;
  status: JourneyOnwardStatus;
  at: Date;
}): Promise<boolean> {
  const at = input.at.toISOString();
  for (let round = 0; round < 3; round++) {
    const item = await getItem(input.referralId, input.onwardReferralId);
    if (!item) throw new OnwardReferralNotFound();
    const current = item.status as OnwardReferralStatus;
    if (!canMarkByJourney(current, input.status)) return false;
    const failed = await transact([
      {
        Update: {
          TableName: table(),
          Key: onwardKeys.onward(input.referralId, input.onwardReferralId),
          UpdateExpression: 'SET #status = :next, #updatedAt = :at',
          ConditionExpression: 'attribute_exists(pk) AND #status = :current',
          ExpressionAttributeNames: { '#status': 'status', '#updatedAt': 'updatedAt' },
          ExpressionAttributeValues: { ':next': input.status, ':current': current, ':at': at },
        },
      },
      timelineEntry(
        input.referralId,
        { at, onwardReferralId: input.onwardReferralId, serviceId: String(item.serviceId), status: input.status },
        expiryOf(item),
      ),
    ]);
    if (failed < 0) return true;
  }
  throw new TransientError('onward referral changed while recording a journey status');
}

/** Forgets the task token once it was answered (or is dead); a newer token is kept. */
export async function clearTaskToken(referralId: string, onwardReferralId: string, taskToken: string): Promise<void> {
  try {
    await dynamo().send(
      new UpdateCommand({
        TableName: table(),
        Key: onwardKeys.onward(referralId, onwardReferralId),
        UpdateExpression: 'REMOVE #token',
        ConditionExpression: '#token = :token',
        ExpressionAttributeNames: { '#token': 'taskToken' },
        ExpressionAttributeValues: { ':token': taskToken },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

/** Step Functions' answers for a token that can no longer be answered: the journey moved on. */
const deadTokenErrors = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

/**
 * Answers the journey waiting on the provider (SendTaskSuccess with { onwardReferralId, status })
 * and then forgets the token. A token the journey no longer waits on is forgotten too.
 * Returns false when the token was dead.
 */
export async function answerWaitingJourney(input: {
  referralId: string;
  onwardReferralId: string;
  taskToken: string;
  status: ProviderStatus;
}): Promise<boolean> {
  let answered = true;
  try {
    await sfn().send(
      new SendTaskSuccessCommand({
        taskToken: input.taskToken,
        output: JSON.stringify({ onwardReferralId: input.onwardReferralId, status: input.status }),
      }),
    );
  } catch (error) {
    if (!deadTokenErrors.has((error as Error)?.name)) throw error;
    answered = false;
  }
  await clearTaskToken(input.referralId, input.onwardReferralId, input.taskToken);
  return answered;
}
