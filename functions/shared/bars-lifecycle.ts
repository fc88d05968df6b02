import { BARS_STATUS_TEMPLATE, type LifecycleEvent, lifecycleEventOfStage } from '../domain/bars-lifecycle.ts';
import type { ReferralStatus } from '../domain/referral.ts';
import type { StatusStage } from '../domain/stages.ts';
import { gpSummaryOutbox } from './gp-summary.ts';
import { notificationId, outboxPut } from './outbox.ts';
import { getPartner } from './partner-store.ts';
import type { StoredReferral, TransactItem } from './referral-store.ts';

/**
 * BaRS status updates to the referrer, as outbox items written in the same transaction as the
 * journey change they tell of (one per referral and event: a retried step writes none twice).
 * Only for a referral sent by a partner with a registered FHIR endpoint, and only about that
 * referral: a referral linked to another journey has no journey events of its own, and the
 * journey's events go to the journey's own referrer alone, so nobody learns of the link.
 */
export async function lifecycleOutbox(
  referral: StoredReferral,
  event: LifecycleEvent | undefined,
  referralStatus: ReferralStatus,
  at: string,
): Promise<TransactItem[]> {
  if (!event || !referral.partnerId || referral.linkedTo) return [];
  const endpoint = (await getPartner(referral.partnerId))?.fhirEndpoint;
  if (!endpoint) return [];
  const { referralId } = referral;
  return [
    outboxPut({
      pk: `REFERRAL#${referralId}`,
      id: notificationId(BARS_STATUS_TEMPLATE, referralId, event),
      notification: { to: endpoint, template: BARS_STATUS_TEMPLATE, fields: { referralReference: referralId, event, referralStatus, occurredAt: at } },
      at,
      referralId,
      channel: 'fhir',
    }),
  ];
}

/** What a recorded stage writes with it: the referrer's status update; at discharge, the GP practice's summary too. */
export function stageLifecycleOutbox(stage: StatusStage, reason?: string) {
  return async (referral: StoredReferral, status: ReferralStatus, at: string): Promise<TransactItem[]> => [
    ...(await lifecycleOutbox(referral, lifecycleEventOfStage(stage, reason), status, at)),
    ...(stage === 'completed' ? await gpSummaryOutbox(referral, at) : []),
  ];
}
