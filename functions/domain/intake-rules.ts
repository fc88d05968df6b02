import type { AreaSettings } from '../../areas/schema.ts';
import type { OrganisationType } from './credentials.ts';
import type { Referral, ReferralSource } from './referral.ts';
import { ageOn } from './triage.ts';

/**
 * Checks a referral must pass before it is accepted, beyond its shape (ReferralSchema): pure,
 * the caller passes today's date in the area's time zone. Each problem names the field by its
 * JSON pointer, and says what is wrong without repeating the value.
 *  - the date of birth is not in the future, and no older than the area's plausible age;
 *  - the referral source is one the partner's kind of organisation may send: a GP practice
 *    cannot say the person referred themselves, and a self-referral service sends only `self`.
 */
export interface IntakeProblem {
  readonly pointer: string;
  readonly detail: string;
}

/** Sources each kind of organisation may send (data: no route tests partner ids). */
export const allowedSourcesByOrganisation: Readonly<Record<OrganisationType, readonly ReferralSource[]>> = {
  gp: ['gp', 'primary_care'],
  primary_care: ['primary_care', 'gp'],
  employer: ['employer'],
  jobcentre_plus: ['jobcentre_plus'],
  local_authority: ['local_authority'],
  vcs: ['vcs'],
  self_referral_service: ['self'],
  other: ['other', 'gp', 'primary_care', 'employer', 'jobcentre_plus', 'local_authority', 'vcs'],
};

/** What is wrong with a date of birth (the self-referral form asks the same), if anything. */
export function dateOfBirthProblem(dateOfBirth: string, today: string, maxPlausibleAge: number): string | undefined {
  if (dateOfBirth > today) return 'must not be in the future';
  if (ageOn(dateOfBirth, today) > maxPlausibleAge) return `must be within the last ${maxPlausibleAge} years`;
  return undefined;
}

export function intakeProblems(
  referral: Referral,
  context: { readonly area: Pick<AreaSettings, 'intake'>; readonly today: string; readonly organisationType?: OrganisationType | undefined },
): IntakeProblem[] {
  const problems: IntakeProblem[] = [];
  const dateOfBirth = dateOfBirthProblem(referral.participant.dateOfBirth, context.today, context.area.intake.maxPlausibleAge);
  if (dateOfBirth) problems.push({ pointer: '/participant/dateOfBirth', detail: dateOfBirth });
  const allowed = context.organisationType ? allowedSourcesByOrganisation[context.organisationType] : allowedSourcesByOrganisation.other;
  if (!allowed.includes(referral.source)) {
    problems.push({ pointer: '/source', detail: `must be one of ${allowed.join(', ')} for this referrer` });
  }
  return problems;
}
