import { getReferral } from './referral-store.ts';
import { logSafe } from './observability.ts';
import { withdrawReferral } from './withdrawal.ts';

/**
 * A referrer cancelling its own referral, for every route that can (POST
 * /v1/referrals/{id}/cancel, a BaRS cancellation message): the journey ends as a withdrawal,
 * recording whether the referrer cancelled it (BaRS `revoked`) or made it by mistake
 * (`entered-in-error`), which reports keep apart.
 */
export type ReferrerCancellation = 'referrer_cancelled' | 'referrer_entered_in_error';

export type CancelOutcome =
  /** No such referral, or another partner's: the two are not told apart. */
  | { readonly outcome: 'not_found' }
  /** The journey already ended another way (completed, closed): it is not withdrawn after the fact. */
  | { readonly outcome: 'ended'; readonly status: string }
  | { readonly outcome: 'cancelled'; readonly referralId: string };

export async function cancelByReferrer(partnerId: string, referralId: string, reason: ReferrerCancellation): Promise<CancelOutcome> {
  const referral = await getReferral(referralId);
  if (!referral || referral.partnerId !== partnerId) return { outcome: 'not_found' };
  if (referral.closedAt && referral.status !== 'withdrawn') return { outcome: 'ended', status: referral.status };
  await withdrawReferral(referral.referralId, reason);
  logSafe('info', 'referral cancelled by its partner', { referralId: referral.referralId, reason });
  return { outcome: 'cancelled', referralId: referral.referralId };
}
