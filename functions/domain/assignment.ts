import type { ConditionCategory } from '../../areas/schema.ts';
import type { TriagePriority } from './triage.ts';

/**
 * Coach assignment and waitlist order: pure rules, no I/O.
 */

/** A coach as assignment sees it: settings that matter for matching, and the current caseload. */
export interface CoachLoad {
  readonly coachId: string;
  readonly specialisms: readonly ConditionCategory[];
  /** Postcode districts the coach covers best; empty means the whole area. */
  readonly localities: readonly string[];
  readonly maxCaseload: number;
  /** Active journeys assigned to the coach. */
  readonly caseload: number;
  readonly available: boolean;
}

/** What a referral needs from a coach: its condition categories and the person's postcode district. */
export interface CoachNeed {
  readonly conditions: readonly ConditionCategory[];
  readonly postcodeDistrict: string;
}

/** Whether the coach may take one more journey now. */
export function hasCapacity(coach: CoachLoad): boolean {
  return coach.available && coach.caseload < coach.maxCaseload;
}

/**
 * How well the coach's localities fit the district:
 * 2 = the district is listed explicitly, 1 = the coach covers the whole area (no localities),
 * 0 = the coach covers other districts. An explicit match beats a whole-area coach, who in turn
 * beats a coach whose patch is elsewhere.
 */
export function localityScore(coach: Pick<CoachLoad, 'localities'>, district: string): 0 | 1 | 2 {
  if (coach.localities.length === 0) return 1;
  const wanted = district.trim().toUpperCase();
  return coach.localities.some((l) => l.trim().toUpperCase() === wanted) ? 2 : 0;
}

/** Whether any of the referral's conditions is among the coach's specialisms. */
export function specialismMatch(coach: Pick<CoachLoad, 'specialisms'>, conditions: readonly ConditionCategory[]): boolean {
  return coach.specialisms.some((s) => conditions.includes(s));
}

/**
 * Coaches who can take the referral now, best first:
 * 1. a specialism matching any of the referral's conditions,
 * 2. locality (explicit district match, then whole-area coaches, then others: see localityScore),
 * 3. least loaded: caseload / maxCaseload, then the smaller caseload,
 * 4. coachId, so equal coaches always come in the same order.
 * Unavailable coaches and coaches at or over their maximum caseload are left out.
 */
export function rankCoaches(need: CoachNeed, coaches: readonly CoachLoad[]): CoachLoad[] {
  const scored = coaches.filter(hasCapacity).map((coach) => ({ coach, score: score(need, coach) }));
  scored.sort(
    (a, b) =>
      compareScores(a.score, b.score) ||
      (a.coach.coachId < b.coach.coachId ? -1 : a.coach.coachId > b.coach.coachId ? 1 : 0),
  );
  return scored.map((s) => s.coach);
}

/**
 * The coaches at the head of a ranking that are as good as the first on every criterion except
 * coachId. Equal candidates are interchangeable: concurrent journeys may spread over them
 * instead of all racing for the first by id.
 */
export function leadingTies(need: CoachNeed, ranked: readonly CoachLoad[]): CoachLoad[] {
  const [first] = ranked;
  if (!first) return [];
  const best = score(need, first);
  const ties: CoachLoad[] = [];
  for (const coach of ranked) {
    if (compareScores(score(need, coach), best) !== 0) break;
    ties.push(coach);
  }
  return ties;
}

interface Score {
  readonly specialism: number;
  readonly locality: number;
  readonly load: number;
  readonly caseload: number;
}

function score(need: CoachNeed, coach: CoachLoad): Score {
  return {
    specialism: specialismMatch(coach, need.conditions) ? 1 : 0,
    locality: localityScore(coach, need.postcodeDistrict),
    load: coach.maxCaseload > 0 ? coach.caseload / coach.maxCaseload : 1,
    caseload: coach.caseload,
  };
}

/** Negative when `a` is the better match. */
function compareScores(a: Score, b: Score): number {
  return b.specialism - a.specialism || b.locality - a.locality || a.load - b.load || a.caseload - b.caseload;
}

/**
 * Sort key of a waitlist entry: urgent before routine, then arrival order (receivedAt), then the
 * referral id to break ties. Keys compare as plain strings (DynamoDB sort key order).
 */
export function waitlistSortKey(priority: TriagePriority, receivedAt: string, referralId: string): string {
  const time = Date.parse(receivedAt);
  if (Number.isNaN(time)) throw new Error('receivedAt must be an ISO date-time');
  // Normalised to the fixed-width UTC form so that string order is time order.
  return `${priority === 'urgent' ? '0' : '1'}#${new Date(time).toISOString()}#${referralId}`;
}
