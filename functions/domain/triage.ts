/**
 * Triage: decides whether a referral is in scope for an area, using only the area's settings.
 * Pure functions: no AWS, no clock (the caller passes `today` in the area's time zone), no I/O.
 *
 * Order of checks (the first that applies decides the reason):
 *  1. immediate_risk           safety first: a referral flagging immediate risk always surfaces
 *                              that reason (the area's exclusion action decides the outcome), so
 *                              it is never closed for a lesser reason before a person sees it.
 *  2. under_minimum_age /      hard eligibility facts that no review can change
 *     over_maximum_age
 *  3. outside_area             postcode district, or GP practice, must be in the area
 *  4. situation_not_in_scope   the work situation must be one the area serves (an unknown one,
 *                              which NHS systems seldom send, is asked at first contact: never
 *                              refused for that alone)
 *  5. long_term_unemployed     out of work for longer than eligibility.maxWeeksOutOfWork
 *  6. complex_needs            the area's exclusion action (often a route to existing programmes);
 *                              a flagged safeguarding concern always goes to review
 *  7. out_of_work_date_unknown out of work with no last-worked date: a person checks
 *  8. condition_outside_focus  the area focuses on some conditions and none of these is one
 *  9. possible_same_person     eligible, but intake found an open journey that may be the same
 *                              person (an NHS number conflict or a possible match): reviewed
 * 10. in_scope                 eligible
 * Definite "not eligible" answers come before "needs review" ones (except safety), so reviewers
 * only see referrals that could still be accepted.
 *
 * Thrown errors never include personal data (dates of birth, postcodes, names).
 */
import type { AreaSettings, Signpost, WorkSituation } from '../../areas/schema.ts';
import type { Referral } from './referral.ts';

export const triageOutcomes = ['eligible', 'not_eligible', 'needs_review'] as const;
export type TriageOutcome = (typeof triageOutcomes)[number];

export const triageReasons = [
  'in_scope',
  'under_minimum_age',
  'over_maximum_age',
  'outside_area',
  'situation_not_in_scope',
  'long_term_unemployed',
  'complex_needs',
  'immediate_risk',
  'condition_outside_focus',
  'out_of_work_date_unknown',
  'possible_same_person',
] as const;
export type TriageReason = (typeof triageReasons)[number];

export type TriagePriority = 'urgent' | 'routine';

export interface TriageDecision {
  outcome: TriageOutcome;
  reason: TriageReason;
  priority: TriagePriority;
  /** Hours from triage to the first contact with the person: deadlines.firstContactHours[priority]. */
  firstContactDueHours: number;
  /** The area's signposting when not eligible, else empty. */
  signposting: Signpost[];
}

const isoDatePattern = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Parses YYYY-MM-DD into its parts, rejecting impossible dates. `what` names the field only. */
function parseIsoDate(value: string, what: string): { year: number; month: number; day: number } {
  const match = isoDatePattern.exec(value);
  if (match) {
    const year = Number(match[1]);
    const month = Number(match[2]);
    const day = Number(match[3]);
    const date = new Date(Date.UTC(year, month - 1, day));
    if (date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day) {
      return { year, month, day };
    }
  }
  throw new Error(`${what} must be a valid YYYY-MM-DD date`);
}

function dayNumber(value: string, what: string): number {
  const { year, month, day } = parseIsoDate(value, what);
  return Date.UTC(year, month - 1, day) / 86_400_000;
}

/**
 * Age in whole years on `today` (both YYYY-MM-DD). The birthday counts on the day itself; someone
 * born on 29 February becomes a year older on 1 March in years without a 29 February.
 */
export function ageOn(dateOfBirth: string, today: string): number {
  const born = parseIsoDate(dateOfBirth, 'dateOfBirth');
  const now = parseIsoDate(today, 'today');
  const hadBirthday = now.month > born.month || (now.month === born.month && now.day >= born.day);
  return now.year - born.year - (hadBirthday ? 0 : 1);
}

const postcodePattern = /^([A-Z]{1,2}[0-9][0-9A-Z]?)([0-9][A-Z]{2})$/;

/** The outward code (postcode district) of a full UK postcode: 'S1 2HE' -> 'S1', 'sw1a1aa' -> 'SW1A'. */
export function postcodeDistrict(postcode: string): string {
  const match = postcodePattern.exec(postcode.replace(/\s+/g, '').toUpperCase());
  if (!match?.[1]) throw new Error('postcode must be a full UK postcode');
  return match[1];
}

function isInArea(participant: Referral['participant'], area: AreaSettings): boolean {
  const { postcodeDistricts, gpPracticeCodes } = area.eligibility;
  if (postcodeDistricts.includes(postcodeDistrict(participant.postcode))) return true;
  const gp = participant.gpPracticeCode?.trim().toUpperCase();
  return gp !== undefined && gpPracticeCodes.includes(gp);
}

type Check = { outcome: TriageOutcome; reason: TriageReason };

function firstFailingCheck(referral: Referral, area: AreaSettings, today: string): Check | undefined {
  const { eligibility } = area;
  const { participant, work, needs, health } = referral;

  if (needs.immediateRisk) return { outcome: eligibility.exclusions.immediateRisk, reason: 'immediate_risk' };

  const age = ageOn(participant.dateOfBirth, today);
  if (age < eligibility.minAge) return { outcome: 'not_eligible', reason: 'under_minimum_age' };
  if (eligibility.maxAge !== undefined && age > eligibility.maxAge) {
    return { outcome: 'not_eligible', reason: 'over_maximum_age' };
  }

  if (!isInArea(participant, area)) return { outcome: 'not_eligible', reason: 'outside_area' };

  if (work.situation !== 'unknown' && !eligibility.situations.includes(work.situation)) {
    return { outcome: 'not_eligible', reason: 'situation_not_in_scope' };
  }

  const outOfWork = work.situation === 'out_of_work';
  if (outOfWork && work.lastWorkedDate !== undefined) {
    const daysOut = dayNumber(today, 'today') - dayNumber(work.lastWorkedDate, 'lastWorkedDate');
    if (daysOut > eligibility.maxWeeksOutOfWork * 7) {
      return { outcome: 'not_eligible', reason: 'long_term_unemployed' };
    }
  }

  if (needs.safeguardingConcern) return { outcome: 'needs_review', reason: 'complex_needs' };
  if (needs.complexNeeds) return { outcome: eligibility.exclusions.complexNeeds, reason: 'complex_needs' };

  if (outOfWork && work.lastWorkedDate === undefined) {
    return { outcome: 'needs_review', reason: 'out_of_work_date_unknown' };
  }

  const focus = eligibility.focusConditions;
  if (focus && focus.length > 0 && !health.conditions.some((c) => focus.includes(c))) {
    return { outcome: 'needs_review', reason: 'condition_outside_focus' };
  }

  return undefined;
}

/** Urgent when the work situation is one of the area's urgent situations, whatever the outcome. */
export function priorityFor(situation: WorkSituation | 'unknown', area: AreaSettings): TriagePriority {
  return situation !== 'unknown' && area.priority.urgentSituations.includes(situation) ? 'urgent' : 'routine';
}

/**
 * Triage one (already schema-validated) referral against an area's settings.
 * `today` is the triage date, YYYY-MM-DD, in the area's time zone.
 */
export function triage(
  referral: Referral,
  area: AreaSettings,
  today: string,
  /** Intake found an open journey that may be the same person (person-match.ts). */
  identity: { readonly possibleDuplicate?: boolean } = {},
): TriageDecision {
  parseIsoDate(today, 'today');
  const found = firstFailingCheck(referral, area, today);
  // Eligible, but perhaps someone already supported: a team lead looks before a coach is given.
  const { outcome, reason } = found ?? (identity.possibleDuplicate ? { outcome: 'needs_review', reason: 'possible_same_person' } : { outcome: 'eligible', reason: 'in_scope' });
  const priority = priorityFor(referral.work.situation, area);
  return {
    outcome,
    reason,
    priority,
    firstContactDueHours: area.deadlines.firstContactHours[priority],
    signposting: outcome === 'not_eligible' ? area.signposting.map((s) => ({ ...s })) : [],
  };
}
