import type { ReferralStatus } from './referral.ts';

/**
 * What a referral partner sees of its own referral: pure, no I/O.
 * A partner sees its referral in its own terms: received, in progress, closed (with a reason it
 * may know). It never sees "linked", nor anything that shows another partner referred the same
 * person: a referral joined to the person's open journey reads "received" and in progress while
 * that journey runs, and closed when it ends, with only its own timeline events.
 */
export type PartnerProgress = 'received' | 'in_progress' | 'closed';

export interface PartnerReferralFacts {
  readonly status: ReferralStatus;
  readonly stage: string;
  readonly linkedTo?: string;
  readonly closedAt?: string;
}

export interface PartnerView {
  readonly status: ReferralStatus;
  readonly stage: string;
  readonly progress: PartnerProgress;
}

const stillReceived: ReadonlySet<ReferralStatus> = new Set(['received', 'needs_review']);

/**
 * A timeline event as the partner reads it: a referral joined to an open journey was, for its
 * partner, received; another referral joined to this journey is none of this partner's business.
 */
export function partnerEvent(event: string): string | undefined {
  if (event === 'linked') return 'received';
  if (event === 'duplicate_referral_linked') return undefined;
  return event;
}

export function partnerView(referral: PartnerReferralFacts, journey?: { readonly closedAt?: string; readonly status: ReferralStatus }): PartnerView {
  if (referral.linkedTo) {
    if (journey?.closedAt || !journey) return { status: 'closed', stage: 'closed', progress: 'closed' };
    return { status: 'received', stage: 'intake', progress: 'in_progress' };
  }
  const progress: PartnerProgress = referral.closedAt ? 'closed' : stillReceived.has(referral.status) ? 'received' : 'in_progress';
  return { status: referral.status, stage: referral.stage, progress };
}
