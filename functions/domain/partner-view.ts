import type { ReferralStatus } from './referral.ts';
import type { TriageReason } from './triage.ts';

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

/**
 * Timeline events in the partner's words. Only what tells the referrer where the referral is;
 * the staff's own work (tasks, reminders, deliveries, repairs, onward referrals to health
 * services, corrections of details) is not shown: it means nothing to a referrer, and an onward
 * referral's service would say something about the person's health.
 */
const eventWords: Readonly<Record<string, string>> = {
  received: 'Referral received',
  waitlisted: 'Waiting for a Work and Health Coach to become free',
  coach_assigned: 'A Work and Health Coach was given the referral',
  coach_reassigned: 'Another Work and Health Coach took the referral over',
  contact_attempt_failed: 'The coach tried to contact the person but could not reach them',
  engaged: 'The person started support',
  declined: 'The person decided not to take up support',
  not_engaged: 'Closed: the service could not get in touch with the person',
  closed_not_eligible: 'Closed: the person is not eligible for the service',
  discharged: 'Support finished',
  withdrawn: 'Closed: the referral was withdrawn',
  closed_by_operator: 'Closed by the service',
};
const triagedWords: Readonly<Partial<Record<ReferralStatus, string>>> = {
  triaged_eligible: 'Eligibility checked: the person can be supported',
  not_eligible: 'Eligibility checked: the person is not eligible',
  needs_review: "The service's team is checking the referral",
};

export interface PartnerTimelineEntry {
  readonly at: string;
  readonly event: string;
  readonly description: string;
}

/** The partner's timeline: its own events in words, in order; everything else left out. */
export function partnerTimeline(entries: readonly { at: string; event: string; status?: ReferralStatus | undefined }[]): PartnerTimelineEntry[] {
  return entries.flatMap(({ at, event, status }) => {
    const seen = partnerEvent(event);
    const description = seen === 'triaged' ? status && triagedWords[status] : seen && eventWords[seen];
    return seen && description ? [{ at, event: seen, description }] : [];
  });
}

/**
 * Why a referral was not eligible, as the referrer may be told. Facts about age, address, work
 * situation and time out of work are the referrer's own information and are said plainly.
 * Reasons that rest on the person's health or safety (immediate risk, complex needs, conditions
 * outside the area's focus, a reviewer's judgement of risk or of another service's fit) are
 * special category data the partner may not hold: they read as `referred_elsewhere`, with the
 * signposting, never the clinical reason.
 */
export const partnerReasonCodes = [
  'under_minimum_age',
  'over_maximum_age',
  'outside_area',
  'situation_not_in_scope',
  'long_term_unemployed',
  'outside_criteria',
  'referred_elsewhere',
] as const;
export type PartnerReasonCode = (typeof partnerReasonCodes)[number];

export const partnerReasonWords: Readonly<Record<PartnerReasonCode, string>> = {
  under_minimum_age: "The person is younger than the service's minimum age.",
  over_maximum_age: "The person is older than the service's maximum age.",
  outside_area: 'The person does not live in the area and is not registered with a GP practice in it.',
  situation_not_in_scope: "The service does not support people in the person's work situation.",
  long_term_unemployed: 'The person has been out of work for longer than the service supports.',
  outside_criteria: "The person does not meet the service's criteria.",
  referred_elsewhere: 'Other support suits the person better than this service; they are pointed to it.',
};

const fromTriage: Readonly<Record<TriageReason, PartnerReasonCode>> = {
  under_minimum_age: 'under_minimum_age',
  over_maximum_age: 'over_maximum_age',
  outside_area: 'outside_area',
  situation_not_in_scope: 'situation_not_in_scope',
  long_term_unemployed: 'long_term_unemployed',
  immediate_risk: 'referred_elsewhere',
  complex_needs: 'referred_elsewhere',
  condition_outside_focus: 'referred_elsewhere',
  out_of_work_date_unknown: 'outside_criteria',
  possible_same_person: 'outside_criteria',
  in_scope: 'outside_criteria',
};

/** A reviewer's reason for not eligible (task-results.ts needs_review). */
const fromReview: Readonly<Record<string, PartnerReasonCode>> = {
  outside_criteria: 'outside_criteria',
  needs_other_service: 'referred_elsewhere',
  risk_too_high: 'referred_elsewhere',
};

/**
 * The not-eligible reason a partner sees: a reviewer's decision when one was made, else
 * triage's; undefined unless the referral is not eligible.
 */
export function partnerNotEligibleReason(facts: {
  readonly status: ReferralStatus;
  readonly triageReason?: TriageReason | undefined;
  readonly reviewReason?: string | undefined;
}): { code: PartnerReasonCode; description: string } | undefined {
  if (facts.status !== 'not_eligible') return undefined;
  const code = (facts.reviewReason && fromReview[facts.reviewReason]) || (facts.triageReason ? fromTriage[facts.triageReason] : 'outside_criteria');
  return { code, description: partnerReasonWords[code] };
}

export function partnerView(referral: PartnerReferralFacts, journey?: { readonly closedAt?: string; readonly status: ReferralStatus }): PartnerView {
  if (referral.linkedTo) {
    if (journey?.closedAt || !journey) return { status: 'closed', stage: 'closed', progress: 'closed' };
    // Exactly as any referral not yet taken further reads (one awaiting review does too): a
    // pairing of fields no other referral shows would itself tell the partner of the link.
    return { status: 'received', stage: 'intake', progress: 'received' };
  }
  const progress: PartnerProgress = referral.closedAt ? 'closed' : stillReceived.has(referral.status) ? 'received' : 'in_progress';
  return { status: referral.status, stage: referral.stage, progress };
}

export interface PartnerSignpost {
  readonly name: string;
  readonly url: string;
  readonly description: string;
}

/**
 * The status answer a partner gets for its own referral (GET /v1/referrals/{id}): codes and
 * words, the not-eligible reason and where the person can go instead; nothing personal.
 */
export function partnerStatus(input: {
  readonly referral: PartnerReferralFacts & {
    readonly referralId: string;
    readonly reference?: string | undefined;
    readonly receivedAt: string;
    readonly updatedAt: string;
    readonly triage?: { readonly reason: TriageReason; readonly signposting: readonly string[] } | undefined;
  };
  readonly journey?: { readonly closedAt?: string; readonly status: ReferralStatus } | undefined;
  readonly timeline: readonly { at: string; event: string; status?: ReferralStatus | undefined }[];
  readonly reviewReason?: string | undefined;
  readonly signposts: readonly (PartnerSignpost & { readonly id: string })[];
}) {
  const { referral } = input;
  const view = partnerView(referral, input.journey);
  const reason = partnerNotEligibleReason({ status: view.status, triageReason: referral.triage?.reason, reviewReason: input.reviewReason });
  const offered = new Set(referral.triage?.signposting ?? []);
  const signposting = input.signposts.filter((s) => offered.has(s.id)).map(({ name, url, description }) => ({ name, url, description }));
  const timeline = partnerTimeline(input.timeline);
  return {
    referralId: referral.referralId,
    ...(referral.reference ? { reference: referral.reference } : {}),
    status: view.status,
    stage: view.stage,
    progress: view.progress,
    receivedAt: referral.receivedAt,
    // The last change the partner can see: the referral's own updatedAt also moves when another
    // partner's referral is joined to this journey, which this partner must not be able to tell.
    updatedAt: timeline.reduce((latest, entry) => (entry.at > latest ? entry.at : latest), referral.receivedAt),
    timeline,
    ...(reason ? { notEligibleReason: reason } : {}),
    ...(signposting.length ? { signposting } : {}),
  };
}
