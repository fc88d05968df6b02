import { createHash } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { dynamo, requiredEnv } from './aws-clients.ts';
import { journeysTable } from './tables.ts';
import { currentArea } from './workflow.ts';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * The notification outbox: an email to send is a pending item (gsi1 `NOTIFICATIONS#pending`),
 * written in the same transaction as the change it tells of and delivered later by the
 * notifier (functions/handlers/notifier.ts). Its id is deterministic, so a retried step writes
 * it once. Fields are references and links only: never a participant's personal or health
 * details.
 *
 *   item          pk                                 sk                  gsi1pk                  gsi1sk
 *   notification  REFERRAL#<id> (or COACH#<coachId>)  NOTIFICATION#<nid>  NOTIFICATIONS#<status>  <due>#<nid>
 *
 * status: pending (gsi1sk = when it may next be tried: createdAt, then nextAttemptAt) →
 * sending (claimed; gsi1sk = leaseUntil, so an expired claim is found again) → sent (out of
 * the index) or failed (NOTIFICATIONS#failed). attempts counts send attempts.
 * A coach's daily digest lives in the coach's partition (it is about no single referral).
 *
 * (onward-referral-store.ts `recordDelivery` writes provider e-mails in this same shape with
 * its own Put; it predates this helper.)
 */
export interface Notification {
  /** An e-mail address, or for a FHIR message the https endpoint it is posted to. */
  readonly to: string;
  readonly template: string;
  readonly fields: Readonly<Record<string, string>>;
}

export const NOTIFICATIONS_INDEX = {
  pending: 'NOTIFICATIONS#pending',
  sending: 'NOTIFICATIONS#sending',
  failed: 'NOTIFICATIONS#failed',
} as const;

const table = () => requiredEnv(journeysTable.envVar);

export function notificationId(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\n')).digest('base64url').slice(0, 32);
}

/** An outbox item for any partition (`pk`); written once (conditional put). */
export function outboxPut(input: {
  pk: string;
  id: string;
  notification: Notification;
  at: string;
  referralId?: string;
  coachId?: string;
  expiresAt?: number;
  /** 'fhir': a FHIR message built from the fields when sent (functions/shared/fhir-sender.ts). */
  channel?: 'email' | 'fhir';
}): TransactItem {
  return {
    Put: {
      TableName: table(),
      Item: {
        pk: input.pk,
        sk: `NOTIFICATION#${input.id}`,
        type: 'notification',
        notificationId: input.id,
        ...(input.referralId ? { referralId: input.referralId } : {}),
        ...(input.coachId ? { coachId: input.coachId } : {}),
        channel: input.channel ?? 'email',
        ...input.notification,
        status: 'pending',
        attempts: 0,
        createdAt: input.at,
        gsi1pk: NOTIFICATIONS_INDEX.pending,
        gsi1sk: `${input.at}#${input.id}`,
        ...(input.expiresAt !== undefined ? { [journeysTable.ttlAttribute]: input.expiresAt } : {}),
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}

/** An outbox item in a referral's partition. */
export function notificationPut(referralId: string, id: string, notification: Notification, at: string): TransactItem {
  return outboxPut({ pk: `REFERRAL#${referralId}`, id, notification, at, referralId });
}

/** Fields of a task notification: ids, codes and the due time; the link is added when sent. */
export function taskFields(task: { referralId: string; taskId: string; type: string; dueAt: string }): Record<string, string> {
  return { referralReference: task.referralId, taskId: task.taskId, taskType: task.type, dueAt: task.dueAt };
}

// ---------------------------------------------------------------------------------------------
// Recipients: staff work emails only (area settings and coach records), never personal addresses.

/** The coach record's work email and team lead (coach-store.ts layout: COACH#<id> / COACH). */
async function storedCoach(coachId: string): Promise<{ email?: string; teamLeadId?: string } | undefined> {
  const { Item } = await dynamo().send(
    new GetCommand({
      TableName: table(),
      Key: { pk: `COACH#${coachId}`, sk: 'COACH' },
      ProjectionExpression: 'email, teamLeadId',
    }),
  );
  return Item as { email?: string; teamLeadId?: string } | undefined;
}

/** The work email of a task assignee (a coach or a team lead), if known. */
export async function workEmailOf(personId: string | null | undefined): Promise<string | undefined> {
  if (!personId) return undefined;
  const area = currentArea();
  const lead = area.teamLeads.find((t) => t.id === personId);
  if (lead) return lead.email;
  const stored = await storedCoach(personId);
  return stored?.email ?? area.coaches.find((c) => c.id === personId)?.email;
}

/** The team lead who hears of an assignee's overdue work (the area's first lead as a fallback). */
export async function teamLeadEmailFor(personId: string | null | undefined): Promise<string> {
  const area = currentArea();
  const fallback = area.teamLeads[0]!.email;
  if (!personId) return fallback;
  const lead = area.teamLeads.find((t) => t.id === personId);
  if (lead) return lead.email;
  const teamLeadId = (await storedCoach(personId))?.teamLeadId ?? area.coaches.find((c) => c.id === personId)?.teamLeadId;
  return area.teamLeads.find((t) => t.id === teamLeadId)?.email ?? fallback;
}
