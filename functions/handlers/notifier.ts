import middy from '@middy/core';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { renderNotification, UnknownTemplate } from '../domain/notification-templates.ts';
import { newProviderPageKey } from '../shared/provider-page-key.ts';
import { providerPaths } from '../web/paths.ts';
import { dynamo, requiredEnv } from '../shared/aws-clients.ts';
import { type FhirSender, HttpFhirSender, PermanentFhirError } from '../shared/fhir-sender.ts';
import { mailerFromEnv, PermanentMailError, type Mailer } from '../shared/mailer.ts';
import { metricCatalogue } from '../shared/metric-catalogue.ts';
import { countMetric, errorFields, gaugeMetric, logSafe, observed } from '../shared/observability.ts';
import { NOTIFICATIONS_INDEX, notificationId, outboxPut, teamLeadEmailFor } from '../shared/outbox.ts';
import { getReferral, referenceOf, timelinePut, transact, type TransactItem } from '../shared/referral-store.ts';
import { readServiceGauges } from '../shared/service-gauges.ts';
import { journeysTable } from '../shared/tables.ts';
import { currentArea } from '../shared/workflow.ts';

/**
 * Delivers the notification outbox (functions/shared/outbox.ts). Runs on a schedule (every
 * minute in AWS, every simulated minute locally), outside any journey, so mail trouble never
 * holds a journey up. For each notification due:
 *  1. claim it: pending (or sending with an expired lease) → sending, attempts + 1, leaseUntil;
 *     only one sender holds it, and a crashed sender's claim expires;
 *  2. render it (domain/notification-templates.ts) and send it, tagged with its id;
 *  3. mark it sent (out of the index): a sent notification is never claimed again.
 * A failed send is retried with backoff (nextAttemptAt); after MAX_ATTEMPTS, or at once for a
 * permanent rejection, it is marked failed, with a 'notification_failed' timeline entry on the
 * referral and a notification to the team lead (never for a failed 'notification_failed').
 */
export const MAX_ATTEMPTS = 5;
export const LEASE_MS = 5 * 60_000;
const BASE_BACKOFF_MS = 60_000;
const MAX_BACKOFF_MS = 60 * 60_000;
const BATCH = 100;

export function backoffMs(attempts: number): number {
  return Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** Math.max(0, attempts - 1));
}

const table = () => requiredEnv(journeysTable.envVar);

interface OutboxItem {
  pk: string;
  sk: string;
  notificationId: string;
  referralId?: string;
  coachId?: string;
  /** 'email' (absent on older items) or 'fhir': a FHIR message posted to `to`. */
  channel?: 'email' | 'fhir';
  to: string;
  template: string;
  fields: Record<string, string>;
  status: string;
  attempts: number;
}

export interface NotifierResult {
  sent: number;
  retrying: number;
  failed: number;
}

async function due(indexKey: string, nowIso: string): Promise<{ pk: string; sk: string }[]> {
  const { Items } = await dynamo().send(
    new QueryCommand({
      TableName: table(),
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk <= :upTo',
      ExpressionAttributeValues: { ':pk': indexKey, ':upTo': `${nowIso}#~` },
      ProjectionExpression: 'pk, sk',
      Limit: BATCH,
    }),
  );
  return (Items ?? []) as { pk: string; sk: string }[];
}

async function claim(key: { pk: string; sk: string }, now: Date): Promise<OutboxItem | undefined> {
  const nowIso = now.toISOString();
  const leaseUntil = new Date(now.getTime() + LEASE_MS).toISOString();
  try {
    const { Attributes } = await dynamo().send(
      new UpdateCommand({
        TableName: table(),
        Key: key,
        UpdateExpression: 'SET #status = :sending, leaseUntil = :lease, gsi1pk = :gpk, gsi1sk = :gsk ADD attempts :one',
        ConditionExpression:
          'attribute_exists(pk) AND ((#status = :pending AND (attribute_not_exists(nextAttemptAt) OR nextAttemptAt <= :now)) OR (#status = :sending AND leaseUntil <= :now))',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':sending': 'sending',
          ':pending': 'pending',
          ':lease': leaseUntil,
          ':now': nowIso,
          ':gpk': NOTIFICATIONS_INDEX.sending,
          ':gsk': `${leaseUntil}#${key.sk.slice('NOTIFICATION#'.length)}`,
          ':one': 1,
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return Attributes as OutboxItem;
  } catch (error) {
    if ((error as Error)?.name === 'ConditionalCheckFailedException') return undefined; // someone else has it, or it is done
    throw error;
  }
}

/** Our claim still holds: status sending at the attempt we made. */
const ours = (item: OutboxItem) => ({
  ConditionExpression: '#status = :sending AND attempts = :attempts',
  names: { '#status': 'status' },
  values: { ':sending': 'sending', ':attempts': item.attempts },
});

async function markSent(item: OutboxItem, now: Date, messageId: string | undefined): Promise<void> {
  const c = ours(item);
  try {
    await dynamo().send(
      new UpdateCommand({
        TableName: table(),
        Key: { pk: item.pk, sk: item.sk },
        UpdateExpression: `SET #status = :sent, sentAt = :at${messageId ? ', messageId = :mid' : ''} REMOVE gsi1pk, gsi1sk, leaseUntil, nextAttemptAt`,
        ConditionExpression: c.ConditionExpression,
        ExpressionAttributeNames: c.names,
        ExpressionAttributeValues: { ...c.values, ':sent': 'sent', ':at': now.toISOString(), ...(messageId ? { ':mid': messageId } : {}) },
      }),
    );
  } catch (error) {
    if ((error as Error)?.name !== 'ConditionalCheckFailedException') throw error;
    logSafe('warn', 'notification claim lost before it was marked sent', { code: item.notificationId });
  }
}

async function retryLater(item: OutboxItem, now: Date, errorName: string): Promise<void> {
  const c = ours(item);
  const next = new Date(now.getTime() + backoffMs(item.attempts)).toISOString();
  try {
    await dynamo().send(
      new UpdateCommand({
        TableName: table(),
        Key: { pk: item.pk, sk: item.sk },
        UpdateExpression: 'SET #status = :pending, nextAttemptAt = :next, lastError = :error, gsi1pk = :gpk, gsi1sk = :gsk REMOVE leaseUntil',
        ConditionExpression: c.ConditionExpression,
        ExpressionAttributeNames: c.names,
        ExpressionAttributeValues: {
          ...c.values,
          ':pending': 'pending',
          ':next': next,
          ':error': errorName,
          ':gpk': NOTIFICATIONS_INDEX.pending,
          ':gsk': `${next}#${item.notificationId}`,
        },
      }),
    );
  } catch (error) {
    if ((error as Error)?.name !== 'ConditionalCheckFailedException') throw error;
  }
}

async function markFailed(item: OutboxItem, now: Date, errorName: string): Promise<void> {
  const at = now.toISOString();
  const c = ours(item);
  const items: TransactItem[] = [
    {
      Update: {
        TableName: table(),
        Key: { pk: item.pk, sk: item.sk },
        UpdateExpression: 'SET #status = :failed, failedAt = :at, lastError = :error, gsi1pk = :gpk, gsi1sk = :gsk REMOVE leaseUntil, nextAttemptAt',
        ConditionExpression: c.ConditionExpression,
        ExpressionAttributeNames: c.names,
        ExpressionAttributeValues: {
          ...c.values,
          ':failed': 'failed',
          ':at': at,
          ':error': errorName,
          ':gpk': NOTIFICATIONS_INDEX.failed,
          ':gsk': `${at}#${item.notificationId}`,
        },
      },
    },
  ];
  let coachId = item.coachId;
  if (item.referralId) {
    items.push(timelinePut(item.referralId, { at, event: 'notification_failed', reason: item.template, error: errorName }));
    coachId = (await getReferral(item.referralId))?.coachId;
  }
  if (item.template !== 'notification_failed') {
    // Surfaced to a person, once; a failure of this message is not reported again (no loops).
    items.push(
      outboxPut({
        pk: item.pk,
        id: notificationId('notification_failed', item.notificationId),
        notification: {
          to: await teamLeadEmailFor(coachId),
          template: 'notification_failed',
          fields: { ...(item.referralId ? { referralReference: item.referralId } : {}), failedTemplate: item.template },
        },
        at,
        ...(item.referralId ? { referralId: item.referralId } : {}),
        ...(item.coachId ? { coachId: item.coachId } : {}),
      }),
    );
  }
  const failed = await transact(items);
  if (failed >= 0) logSafe('warn', 'notification failure already recorded', { code: item.notificationId });
  else logSafe('error', 'notification failed', { code: item.notificationId, referralId: item.referralId, reason: item.template, errorName });
}

interface Senders {
  mailer: Mailer;
  fhir: FhirSender;
}

async function send(item: OutboxItem, senders: Senders, now: () => Date): Promise<{ messageId?: string }> {
  const message = { notificationId: item.notificationId, to: item.to, template: item.template, fields: item.fields ?? {} };
  if (item.channel === 'fhir') return senders.fhir.send(message);
  const fields = await withShortReference(item);
  const siteUrl = requiredEnv('MAIL_LINK_BASE_URL');
  const rendered = renderNotification(item.template, fields, {
    linkBaseUrl: siteUrl,
    timeZone: currentArea().timeZone,
    // Made at send time: the key is never stored with the outbox item.
    providerPageLink: (onwardReferralId) => providerPaths.link(siteUrl, onwardReferralId, newProviderPageKey(onwardReferralId, now())),
  });
  return senders.mailer.send({ ...rendered, ...message, fields });
}

async function deliver(item: OutboxItem, senders: Senders, now: () => Date): Promise<keyof NotifierResult> {
  try {
    const { messageId } = await send(item, senders, now);
    await markSent(item, now(), messageId);
    return 'sent';
  } catch (error) {
    const errorName = errorFields(error).errorName ?? 'Error';
    const permanent = error instanceof PermanentMailError || error instanceof UnknownTemplate || error instanceof PermanentFhirError;
    if (permanent || item.attempts >= MAX_ATTEMPTS) {
      await markFailed(item, now(), errorName);
      return 'failed';
    }
    logSafe('warn', 'notification send failed, will retry', { code: item.notificationId, attempt: item.attempts, errorName });
    await retryLater(item, now(), errorName);
    return 'retrying';
  }
}

/** The case's short reference beside its id, read when sent, so every template can show it. */
async function withShortReference(item: OutboxItem): Promise<Record<string, string>> {
  const fields = item.fields ?? {};
  const id = fields.referralReference;
  if (!id || fields.reference) return fields;
  const reference = await referenceOf(id);
  return reference ? { ...fields, reference } : fields;
}

/** One pass over the due notifications (the handler; tests call it with their own mailer). */
export async function runNotifier(
  options: { mailer?: Mailer; fhirSender?: FhirSender; now?: () => Date; remainingMs?: () => number } = {},
): Promise<NotifierResult> {
  const now = options.now ?? (() => new Date());
  const senders: Senders = { mailer: options.mailer ?? mailerFromEnv(), fhir: options.fhirSender ?? new HttpFhirSender() };
  const result: NotifierResult = { sent: 0, retrying: 0, failed: 0 };
  const start = now();
  const nowIso = start.toISOString();
  const keys = [...(await due(NOTIFICATIONS_INDEX.pending, nowIso)), ...(await due(NOTIFICATIONS_INDEX.sending, nowIso))];
  for (const key of keys) {
    if (options.remainingMs && options.remainingMs() < 10_000) break; // the next run carries on
    const item = await claim(key, now());
    if (!item) continue;
    result[await deliver(item, senders, now)]++;
  }
  return result;
}

async function notifierHandler(_event: unknown, context: Context): Promise<NotifierResult> {
  const result = await runNotifier({ remainingMs: () => context.getRemainingTimeInMillis() });
  if (result.sent) countMetric(metricCatalogue.notificationSent.name, result.sent);
  if (result.failed) countMetric(metricCatalogue.notificationFailed.name, result.failed);
  // Sampled every minute, so the overdue alarm and the waitlist graph need no extra schedule.
  try {
    const gauges = await readServiceGauges();
    gaugeMetric(metricCatalogue.tasksOverdue.name, gauges.tasksOverdue);
    gaugeMetric(metricCatalogue.waitlistLength.name, gauges.waitlistLength);
  } catch (error) {
    logSafe('warn', 'service gauges not read', errorFields(error));
  }
  if (result.sent || result.failed || result.retrying) logSafe('info', 'notifier run', { code: `sent-${result.sent}_retrying-${result.retrying}_failed-${result.failed}` });
  return result;
}

export const handler = middy<unknown, NotifierResult>().use(observed()).handler(notifierHandler);
