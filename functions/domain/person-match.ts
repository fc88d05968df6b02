import { normaliseNhsNumber } from './nhs-number.ts';
import { editDistance, normaliseName } from './person-name.ts';
import type { Referral } from './referral.ts';

/**
 * Recognising the same person across referrals: the rules a clinical safety officer signs off.
 * Pure functions, no I/O. A merge of two people loses a referral; a missed match gives one person
 * two coaches. So a match is taken as certain only when nothing contradicts it, and anything
 * in between goes to a person (the area's team lead) rather than being merged or ignored.
 *
 * Comparing a new referral's person (A) with a person on an open journey (B):
 *  1. NHS numbers, when both have one, decide who is *not* the same: different numbers are
 *     never the same person, whatever else matches.
 *  2. The same NHS number with the same date of birth and a matching name: the same person.
 *     The same NHS number with a different date of birth or a name that does not match: a
 *     conflict (perhaps a mistyped NHS number). Never merged: the new referral is kept whole
 *     with a journey of its own, and its triage becomes a review that lists both referrals.
 *  3. Otherwise (at most one NHS number): the same person when the names match and the date of
 *     birth and postcode are equal.
 *  4. A possible match, reviewed like a conflict: the same date of birth and postcode with
 *     names that are close but not equal (a typo, a shortened or swapped name), or matching
 *     names and date of birth at another postcode (the person may have moved).
 *  5. Anything else: different people.
 * Names match when given and family names are equal after normaliseName (person-name.ts): case,
 * accents, width, decomposition, common transliterations and look-alike letters from another
 * script do not matter; letters of every script count. A name that normalises to nothing
 * (only punctuation, say) matches nothing, and is never close to anything.
 */
export type PersonDetails = Pick<Referral['participant'], 'givenName' | 'familyName' | 'dateOfBirth' | 'postcode' | 'nhsNumber'>;

export type Comparison = 'same' | 'conflict' | 'possible' | 'different';

interface Comparable {
  readonly given: string;
  readonly family: string;
  readonly dateOfBirth: string;
  readonly postcode: string;
  readonly nhsNumber?: string;
}

const normalisePostcode = (postcode: string) => postcode.replace(/\s+/g, '').toUpperCase();

function comparable(p: PersonDetails): Comparable {
  const nhsNumber = p.nhsNumber ? normaliseNhsNumber(p.nhsNumber) : undefined;
  return {
    given: normaliseName(p.givenName),
    family: normaliseName(p.familyName),
    dateOfBirth: p.dateOfBirth,
    postcode: normalisePostcode(p.postcode),
    ...(nhsNumber ? { nhsNumber } : {}),
  };
}

/** Someone known by one name (the other part empty after normalising) still has a name. */
const hasName = (p: Comparable) => p.given + p.family !== '';

function namesMatch(a: Comparable, b: Comparable): boolean {
  return hasName(a) && hasName(b) && a.given === b.given && a.family === b.family;
}

/** Close but not equal: worth a person's look, never a merge. */
function namesClose(a: Comparable, b: Comparable): boolean {
  if (!hasName(a) || !hasName(b)) return false;
  if (a.given === b.family && a.family === b.given) return true; // given and family swapped
  const fullA = a.given + a.family;
  const fullB = b.given + b.family;
  if (fullA === fullB) return true; // split differently ("Mary Ann" "Smith" / "Mary" "Ann Smith")
  if (a.family === b.family && (a.given.startsWith(b.given) || b.given.startsWith(a.given))) return true; // Jo / Joanne
  const shorter = Math.min([...fullA].length, [...fullB].length);
  return shorter >= 4 && editDistance(fullA, fullB) <= (shorter >= 8 ? 2 : 1);
}

export function comparePeople(incoming: PersonDetails, existing: PersonDetails): Comparison {
  const a = comparable(incoming);
  const b = comparable(existing);
  if (a.nhsNumber && b.nhsNumber) {
    if (a.nhsNumber !== b.nhsNumber) return 'different';
    return a.dateOfBirth === b.dateOfBirth && namesMatch(a, b) ? 'same' : 'conflict';
  }
  const sameBirthAndPlace = a.dateOfBirth === b.dateOfBirth && a.postcode === b.postcode;
  if (sameBirthAndPlace && namesMatch(a, b)) return 'same';
  if (sameBirthAndPlace && namesClose(a, b)) return 'possible';
  if (a.dateOfBirth === b.dateOfBirth && namesMatch(a, b)) return 'possible';
  return 'different';
}

/**
 * Keys under which a person is indexed, so that every person comparePeople could call the same,
 * a conflict or a possible match shares at least one of them (the index holds them only as keyed
 * hashes): the NHS number; date of birth and postcode; name and date of birth.
 */
export function personIndexKeys(person: PersonDetails): string[] {
  const p = comparable(person);
  const keys = [`dp:${p.dateOfBirth}|${p.postcode}`];
  if (hasName(p)) keys.push(`nd:${p.given}|${p.family}|${p.dateOfBirth}`);
  if (p.nhsNumber) keys.unshift(`nhs:${p.nhsNumber}`);
  return keys;
}

/** Whether an index key names one person (NHS number; name and date of birth), not a neighbourhood. */
export function namesOnePerson(indexKey: string): boolean {
  return !indexKey.startsWith('dp:');
}

export interface Candidate {
  readonly referralId: string;
  readonly person: PersonDetails;
}

/**
 * What to do with a new referral, given the people on open journeys that share an index key:
 *  - `link`: the same person as `referralId` (the earliest such journey, when there are two);
 *  - `review`: a journey of its own, reviewed by a team lead, who sees `matches`;
 *  - `new`: a journey of its own.
 */
export type MatchDecision =
  | { readonly kind: 'link'; readonly referralId: string }
  | { readonly kind: 'review'; readonly reason: 'nhs_number_conflict' | 'possible_match'; readonly matches: readonly string[] }
  | { readonly kind: 'new' };

/**
 * A journey's people: the person it was started for and everyone whose referral was linked to it
 * (linked referrals carry their own details, an NHS number among them). The journey is the same
 * person as a new referral only if one of them is and none of them has another NHS number; an
 * NHS number conflict with any of them is a conflict with the journey.
 */
export function compareWithJourney(incoming: PersonDetails, people: readonly PersonDetails[]): Comparison {
  const results = people.map((p) => comparePeople(incoming, p));
  const incomingNhs = incoming.nhsNumber ? normaliseNhsNumber(incoming.nhsNumber) : undefined;
  const otherNumber = incomingNhs !== undefined && people.some((p) => p.nhsNumber !== undefined && normaliseNhsNumber(p.nhsNumber) !== incomingNhs);
  if (results.includes('conflict')) return 'conflict';
  if (results.includes('same')) return otherNumber ? 'conflict' : 'same';
  if (results.includes('possible')) return 'possible';
  return 'different';
}

export interface JourneyCandidate {
  readonly referralId: string;
  /** The journey's own person first, then those of the referrals linked to it. */
  readonly people: readonly PersonDetails[];
}

/**
 * Links only when exactly one open journey is the same person and nothing else is in doubt: a
 * second journey that is also the same person, or one in conflict, makes it a review listing them all.
 */
export function decideMatch(incoming: PersonDetails, candidates: readonly (Candidate | JourneyCandidate)[]): MatchDecision {
  const compared = candidates.map((c) => ({
    referralId: c.referralId,
    result: 'people' in c ? compareWithJourney(incoming, c.people) : comparePeople(incoming, c.person),
  }));
  const ids = (result: Comparison) => compared.filter((c) => c.result === result).map((c) => c.referralId);
  const [same, conflicts, possible] = [ids('same'), ids('conflict'), ids('possible')];
  if (same.length === 1 && !conflicts.length) return { kind: 'link', referralId: same[0]! };
  if (conflicts.length) return { kind: 'review', reason: 'nhs_number_conflict', matches: [...conflicts, ...same, ...possible] };
  if (same.length || possible.length) return { kind: 'review', reason: 'possible_match', matches: [...same, ...possible] };
  return { kind: 'new' };
}

/**
 * Whether a stored person is the one a search (subject access) names by a whole name, date of
 * birth and postcode: the name as one string matches given and family names in either order
 * (family name first, or no space at all, as many names are written), under the same rules.
 */
export function isNamedPerson(search: { name: string; dateOfBirth: string; postcode: string }, stored: PersonDetails): boolean {
  const whole = normaliseName(search.name);
  const p = comparable(stored);
  if (!whole || (whole !== p.given + p.family && whole !== p.family + p.given)) return false;
  return search.dateOfBirth === p.dateOfBirth && normalisePostcode(search.postcode) === p.postcode;
}
