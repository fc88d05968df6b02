/**
 * Reads what management information needs from an area's Journeys table (item layout:
 * referral-store.ts, task-store.ts, onward-referral-store.ts, task-completion.ts), and nothing
 * else: every read names its attributes (ProjectionExpression), so the referral document, notes
 * and any other personal or health field never leave the table, and each record is built field
 * by field into an MiJourney.
 *
 * Cost: referrals are found by a Scan filtered on receivedAt (the table has no index by
 * receipt date), then one Query per referral found. See the README's MI runbook.
 */
import { ScanCommand, type ScanCommandOutput } from '@aws-sdk/lib-dynamodb';
import type { MiFollowUpTask, MiJourney } from '../domain/management-information.ts';
import type { OnwardReferralStatus } from '../domain/onward-referral.ts';
import type { ReferralSource, ReferralStatus } from '../domain/referral.ts';
import type { TriageOutcome, TriageReason } from '../domain/triage.ts';
import { dynamo } from './aws-clients.ts';
import { keys, queryAll, table } from './referral-store.ts';

/** Referral attributes MI reads; a test checks none of them is personal. */
export const referralAttributes = ['referralId', 'source', 'receivedAt', 'status', 'lastStage', 'closedAt', 'linkedTo', 'triage.outcome', 'triage.reason'] as const;
/** Attributes MI reads from the other items of a referral's partition. */
export const partitionAttributes = [
  'sk',
  'type',
  'taskType',
  'taskId',
  'status',
  'dueAt',
  'completedAt',
  'supersededBy',
  'outcome',
  'reason',
  'contactedAt',
  'recordedAt',
  'employmentOutcome',
  'outcomeDate',
  'dischargeReason',
  'serviceId',
  'event',
] as const;

/** Names every path segment by placeholder (most of these words are DynamoDB reserved words). */
function projection(paths: readonly string[]): { ProjectionExpression: string; ExpressionAttributeNames: Record<string, string> } {
  const names: Record<string, string> = {};
  const expression = paths
    .map((path) =>
      path
        .split('.')
        .map((segment) => {
          names[`#${segment}`] = segment;
          return `#${segment}`;
        })
        .join('.'),
    )
    .join(', ');
  return { ProjectionExpression: expression, ExpressionAttributeNames: names };
}

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

interface ReferralCodes {
  referralId: string;
  source: ReferralSource;
  receivedAt: string;
  status: ReferralStatus;
  lastStage?: string;
  closedAt?: string;
  linked: boolean;
  triage?: { outcome: TriageOutcome; reason: TriageReason };
}

/** Referral items received in [startUtc, endUtc): codes and dates only. */
async function scanReferrals(bounds: { startUtc: string; endUtc: string }): Promise<ReferralCodes[]> {
  const { ProjectionExpression, ExpressionAttributeNames } = projection(referralAttributes);
  const found: ReferralCodes[] = [];
  let startKey: ScanCommandOutput['LastEvaluatedKey'];
  do {
    const page = await dynamo().send(
      new ScanCommand({
        TableName: table(),
        ProjectionExpression,
        FilterExpression: '#sk = :referral AND #receivedAt >= :start AND #receivedAt < :end',
        ExpressionAttributeNames: { ...ExpressionAttributeNames, '#sk': 'sk' },
        ExpressionAttributeValues: { ':referral': keys.referral('').sk, ':start': bounds.startUtc, ':end': bounds.endUtc },
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) {
      const referralId = str(item.referralId);
      const receivedAt = str(item.receivedAt);
      if (!referralId || !receivedAt) continue;
      const triage = item.triage as { outcome?: unknown; reason?: unknown } | undefined;
      found.push({
        referralId,
        receivedAt,
        source: (str(item.source) ?? 'other') as ReferralSource,
        status: str(item.status) as ReferralStatus,
        ...(str(item.lastStage) ? { lastStage: str(item.lastStage) } : {}),
        ...(str(item.closedAt) ? { closedAt: str(item.closedAt) } : {}),
        linked: str(item.linkedTo) !== undefined,
        ...(str(triage?.outcome) && str(triage?.reason)
          ? { triage: { outcome: triage!.outcome as TriageOutcome, reason: triage!.reason as TriageReason } }
          : {}),
      });
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return found;
}

/** The referral's contacts, review, assessment, follow-ups, onward referrals, outcome and withdrawal. */
async function readJourney(referral: ReferralCodes): Promise<MiJourney> {
  const { ProjectionExpression, ExpressionAttributeNames } = projection(partitionAttributes);
  const items = await queryAll({
    KeyConditionExpression: '#pk = :pk',
    ProjectionExpression,
    FilterExpression:
      '#type IN (:contact, :review, :assessment, :outcome, :onward) OR (#type = :task AND #taskType = :followUp) OR (#type = :timeline AND #event = :withdrawn)',
    ExpressionAttributeNames: { ...ExpressionAttributeNames, '#pk': 'pk' },
    ExpressionAttributeValues: {
      ':pk': keys.pk(referral.referralId),
      ':contact': 'contact',
      ':review': 'review',
      ':assessment': 'assessment',
      ':outcome': 'outcome',
      ':onward': 'onward_referral',
      ':task': 'task',
      ':followUp': 'follow_up',
      ':timeline': 'timeline',
      ':withdrawn': 'withdrawn',
    },
  });
  const contacts: { outcome: string; contactedAt: string }[] = [];
  const followUps: MiFollowUpTask[] = [];
  const onwardReferrals: { serviceId: string; status: OnwardReferralStatus }[] = [];
  let review: MiJourney['review'];
  let assessedAt: string | undefined;
  let outcome: MiJourney['outcome'];
  let withdrawalReason: string | undefined;
  for (const item of items) {
    switch (item.type) {
      case 'contact': {
        const [o, at] = [str(item.outcome), str(item.contactedAt)];
        if (o && at) contacts.push({ outcome: o, contactedAt: new Date(at).toISOString() });
        break;
      }
      case 'review':
        if (str(item.outcome)) review = { outcome: str(item.outcome)!, reason: str(item.reason) ?? '' };
        break;
      case 'assessment':
        assessedAt = str(item.recordedAt);
        break;
      case 'outcome': {
        const [e, date, why, at] = [str(item.employmentOutcome), str(item.outcomeDate), str(item.dischargeReason), str(item.recordedAt)];
        if (e && date && at) outcome = { employmentOutcome: e, outcomeDate: date, dischargeReason: why ?? '', recordedAt: at };
        break;
      }
      case 'onward_referral':
        if (str(item.serviceId) && str(item.status)) {
          onwardReferrals.push({ serviceId: str(item.serviceId)!, status: str(item.status) as OnwardReferralStatus });
        }
        break;
      case 'task': {
        const [taskId, status, dueAt] = [str(item.taskId), str(item.status), str(item.dueAt)];
        if (taskId && status && dueAt) {
          followUps.push({
            taskId,
            status,
            dueAt,
            ...(str(item.completedAt) ? { completedAt: str(item.completedAt) } : {}),
            ...(str(item.supersededBy) ? { supersededBy: str(item.supersededBy) } : {}),
          });
        }
        break;
      }
      case 'timeline':
        withdrawalReason = str(item.reason) ?? withdrawalReason;
        break;
    }
  }
  return {
    ...referral,
    contacts,
    followUps,
    onwardReferrals,
    ...(review ? { review } : {}),
    ...(assessedAt ? { assessedAt } : {}),
    ...(outcome ? { outcome } : {}),
    ...(withdrawalReason ? { withdrawalReason } : {}),
  };
}

/** Every referral received in the period, as MI records (a few partitions read at a time). */
export async function readJourneysReceived(bounds: { startUtc: string; endUtc: string }, concurrency = 8): Promise<MiJourney[]> {
  const referrals = await scanReferrals(bounds);
  const journeys: MiJourney[] = [];
  for (let i = 0; i < referrals.length; i += concurrency) {
    journeys.push(...(await Promise.all(referrals.slice(i, i + concurrency).map(readJourney))));
  }
  return journeys;
}
