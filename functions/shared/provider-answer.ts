import { providerResponse, type ProviderAnswer } from '../domain/onward-referral.ts';
import { countMetric, logSafe } from './observability.ts';
import { answerWaitingJourney, type OnwardReferral, recordProviderStatus, type ProviderStatusResult } from './onward-referral-store.ts';

/**
 * A provider's answer to an onward referral, whichever way it came (the webhook route
 * POST /v1/onward-referrals/{id}/status, or the provider's page from the e-mailed link): the
 * status is recorded if it may follow the current one, and a status that answers the waiting
 * journey completes its task (SendTaskSuccess); a journey that moved on is fine. The caller has
 * checked the provider's key and the answer's shape (domain/onward-referral.ts).
 */
export async function answerOnwardReferral(onward: OnwardReferral, answer: ProviderAnswer, now: Date): Promise<ProviderStatusResult> {
  const log = { referralId: onward.referralId, code: onward.serviceId, status: answer.status };
  const result = await recordProviderStatus({
    referralId: onward.referralId,
    onwardReferralId: onward.onwardReferralId,
    status: answer.status,
    ...(answer.occurredAt ? { occurredAt: new Date(answer.occurredAt) } : {}),
    ...(answer.reason ? { reason: answer.reason } : {}),
    ...(answer.firstAppointmentOn ? { firstAppointmentOn: answer.firstAppointmentOn } : {}),
    at: now,
  });
  if (result.outcome === 'not_allowed') {
    logSafe('info', 'provider status not allowed', log);
    return result;
  }
  if (result.taskToken && providerResponse(answer.status)) {
    const answered = await answerWaitingJourney({
      referralId: onward.referralId,
      onwardReferralId: onward.onwardReferralId,
      taskToken: result.taskToken,
      status: answer.status,
    });
    logSafe('info', answered ? 'journey answered' : 'journey no longer waiting', log);
  }
  logSafe('info', result.outcome === 'recorded' ? 'provider status recorded' : 'provider status repeated', log);
  if (result.outcome === 'recorded') countMetric('ProviderStatusRecorded');
  return result;
}
