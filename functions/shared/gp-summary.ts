import { type DischargeSummaryInput, GP_SUMMARY_TEMPLATE } from '../domain/gp-summary.ts';
import { listOnwardReferrals } from './onward-referral-store.ts';
import { notificationId, outboxPut, teamLeadEmailFor } from './outbox.ts';
import { getPracticeEndpoint } from './partner-store.ts';
import { getReferral, keys, queryAll, queryPartition, ReferralNotFound, type StoredReferral, table, type TransactItem } from './referral-store.ts';
import { currentArea } from './workflow.ts';

/**
 * The discharge summary for the person's GP practice (functions/domain/gp-summary.ts), when the
 * practice is known and the person agreed. Written at discharge in the same transaction:
 * - the practice has a registered endpoint: an outbox item (channel fhir) the notifier posts,
 *   retried and surfaced like any other;
 * - it has none: the summary is kept as held (item GP_SUMMARY in the referral's partition,
 *   gsi1 GP_SUMMARIES#held), the team lead is e-mailed, and `npm run partners -- gp-summaries`
 *   lists every held one. Never dropped.
 * The outbox and the held item hold ids and the practice code only; the summary is built from
 * the referral's records when it is sent or read.
 */
export const HELD_SUMMARIES_INDEX = 'GP_SUMMARIES#held';

export async function gpSummaryOutbox(referral: StoredReferral, at: string): Promise<TransactItem[]> {
  const practice = referral.referral.participant.gpPracticeCode;
  if (!practice || referral.referral.consent.gpSummary !== true || referral.linkedTo) return [];
  const { referralId } = referral;
  const endpoint = await getPracticeEndpoint(practice);
  if (endpoint) {
    return [
      outboxPut({
        pk: keys.pk(referralId),
        id: notificationId(GP_SUMMARY_TEMPLATE, referralId),
        notification: { to: endpoint, template: GP_SUMMARY_TEMPLATE, fields: { referralReference: referralId, practice } },
        at,
        referralId,
        channel: 'fhir',
      }),
    ];
  }
  return [
    {
      Put: {
        TableName: table(),
        Item: { pk: keys.pk(referralId), sk: 'GP_SUMMARY', type: 'gp_summary', referralId, practice, status: 'held', heldAt: at, gsi1pk: HELD_SUMMARIES_INDEX, gsi1sk: `${at}#${referralId}` },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    outboxPut({
      pk: keys.pk(referralId),
      id: notificationId('gp_summary_held', referralId),
      notification: { to: await teamLeadEmailFor(referral.coachId), template: 'gp_summary_held', fields: { referralReference: referralId } },
      at,
      referralId,
    }),
  ];
}

/** Summaries held for want of a practice endpoint: referral id, practice code, since when. */
export async function listHeldSummaries(): Promise<{ referralId: string; practice: string; heldAt: string }[]> {
  const items = await queryAll({ IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :pk', ExpressionAttributeValues: { ':pk': HELD_SUMMARIES_INDEX } });
  return items.map((i) => ({ referralId: String(i.referralId), practice: String(i.practice), heldAt: String(i.heldAt) }));
}

/** The facts of a discharged referral's summary, from its records. */
export async function summaryInputOf(referralId: string): Promise<DischargeSummaryInput> {
  const referral = await getReferral(referralId);
  if (!referral) throw new ReferralNotFound();
  const records = await queryPartition(referralId, '');
  const of = (type: string) => records.filter((r) => r.type === type);
  const outcome = of('outcome')[0] as { employmentOutcome: string; outcomeDate: string; dischargeReason: string } | undefined;
  const assessment = of('assessment')[0] as { workplaceAdjustments?: string[]; employerConversation?: boolean; recordedAt?: string } | undefined;
  const contacts = (of('contact') as { outcome?: string; contactedAt?: string }[]).filter((c) => c.outcome === 'engaged');
  const services = currentArea().services;
  const onward = await listOnwardReferrals(referralId);
  const p = referral.referral.participant;
  return {
    referralId,
    areaName: currentArea().name,
    practiceOdsCode: p.gpPracticeCode!,
    patient: { ...(p.nhsNumber ? { nhsNumber: p.nhsNumber } : {}), givenName: p.givenName, familyName: p.familyName, dateOfBirth: p.dateOfBirth },
    receivedAt: referral.receivedAt,
    ...(contacts[0]?.contactedAt ? { firstContactAt: contacts[0].contactedAt } : {}),
    ...(assessment?.recordedAt ? { assessedAt: assessment.recordedAt } : {}),
    dischargedAt: referral.closedAt ?? referral.updatedAt,
    ...(outcome ? { outcome: { employmentOutcome: outcome.employmentOutcome, outcomeDate: outcome.outcomeDate, dischargeReason: outcome.dischargeReason } } : {}),
    support: {
      workplaceAdjustments: assessment?.workplaceAdjustments ?? [],
      employerConversation: assessment?.employerConversation ?? false,
      followUps: of('follow_up').length,
    },
    onward: onward.map((o) => ({ serviceName: services.find((s) => s.id === o.serviceId)?.name ?? o.serviceId, status: o.status })),
  };
}
