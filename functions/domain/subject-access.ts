import { z } from 'zod';
import { isValidNhsNumber, normaliseNhsNumber } from './nhs-number.ts';
import { dateOfBirthProblem } from './intake-rules.ts';
import { isNamedPerson } from './person-match.ts';
import { type Referral, ReferralSchema } from './referral.ts';

/**
 * Subject access and rectification (UK GDPR Art. 15 and 16): pure rules, no I/O.
 *  - who the request is about: an NHS number, or name, date of birth and postcode, matched the
 *    way intake recognises a person (domain/person-match.ts);
 *  - the export's shape: every record of the person's referrals, readable, each section
 *    explained, system internals (keys, hashes, tokens, index attributes) left out;
 *  - a correction of personal details, validated with the schema intake uses.
 */

export const SubjectQuery = z.union([
  z.strictObject({ nhsNumber: z.string().refine(isValidNhsNumber, 'must be a 10-digit NHS number with a valid check digit') }),
  z.strictObject({
    name: z.string().trim().min(1),
    dateOfBirth: z.iso.date(),
    postcode: z.string().trim().min(5),
  }),
]);
export type SubjectQuery = z.infer<typeof SubjectQuery>;

/**
 * Whether a stored referral is about the person searched for, by the rules intake uses to
 * recognise the same person (person-match.ts): the NHS number (spaces and dashes ignored), or
 * name, date of birth and postcode. A name is given whole, and matches in either order.
 */
export function isAbout(referral: Referral, query: SubjectQuery): boolean {
  const stored = referral.participant;
  if ('nhsNumber' in query) {
    return stored.nhsNumber !== undefined && normaliseNhsNumber(stored.nhsNumber) === normaliseNhsNumber(query.nhsNumber);
  }
  return isNamedPerson(query, stored);
}

// ---------------------------------------------------------------------------------------------
// Export

export const sectionExplanations = {
  referrals: 'Each referral made for you to the WorkWell service, with who referred you and the details they gave.',
  linkedTo: 'A second referral made while you already had support under way: it was joined to that journey, not started again.',
  triage: "Whether the referral met the area's criteria, the reason code and how soon you were to be contacted.",
  timeline: 'What happened and when, in the order it happened (codes such as task_opened or coach_assigned).',
  tasks: 'Work staff were asked to do for you (first contact, assessment, check-ins, outcome), who it was for and when it was done.',
  answers: 'What staff recorded when they did that work: contact attempts, your assessment and plan, check-ins and the outcome.',
  onwardReferrals: 'Referrals made for you to other local services, and what those services answered.',
  notifications: 'E-mails and FHIR messages the service sent about your referral (to staff, to services, to the referrer or to your GP practice), without links or codes of our systems.',
  retainedUntil: 'When the records of a closed referral are deleted, after the retention period.',
} as const;

/** Attributes of stored items that are our systems' internals, never part of an export. */
const internal = new Set([
  'pk',
  'sk',
  'gsi1pk',
  'gsi1sk',
  'type',
  'taskToken',
  'providerKeyHash',
  'expiresAt',
  'notificationId',
  'output',
  'deliveredAt',
  'leaseUntil',
  'lastStage',
  'redrives',
  'phase',
  'respondUrl',
  'referralId',
  // Keyed hashes of the person index, and the open journeys intake compared them with (which may
  // be someone else's): internals, and not about this person.
  'personIndex',
  'identityReview',
]);

function clean(item: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(item)) {
    if (internal.has(key) || value === undefined) continue;
    if (typeof value === 'string' && /^https?:\/\//.test(value)) continue; // links carry our ids and hosts
    out[key] = value && typeof value === 'object' && !Array.isArray(value) ? clean(value as Record<string, unknown>) : value;
  }
  return out;
}

const retainedUntil = (item: Record<string, unknown>) =>
  typeof item.expiresAt === 'number' ? new Date(item.expiresAt * 1000).toISOString().slice(0, 10) : undefined;

/** One referral's stored items (its whole partition) as a readable section of the export. */
export function referralSection(items: readonly Record<string, unknown>[], serviceNames: ReadonlyMap<string, string>) {
  const bySk = (prefix: string) => items.filter((i) => String(i.sk).startsWith(prefix));
  const referral = items.find((i) => i.sk === 'REFERRAL') ?? {};
  const answerPrefixes = ['CONTACT#', 'REVIEW#', 'ASSESSMENT', 'FOLLOWUP#', 'OUTCOME', 'CHASE#'];
  const known = ['REFERRAL', 'TIMELINE#', 'TASK#', 'ONWARD#', 'NOTIFICATION#', 'WAITLIST', 'EVENT#', ...answerPrefixes];
  const { referral: details, ...about } = clean(referral);
  return {
    referralId: referral.referralId,
    receivedAt: referral.receivedAt,
    ...about,
    ...(retainedUntil(referral) ? { retainedUntil: retainedUntil(referral) } : {}),
    details,
    timeline: bySk('TIMELINE#').map(clean),
    tasks: bySk('TASK#').map((t) => {
      const { taskType, ...rest } = clean(t);
      return { taskType, ...rest };
    }),
    answers: items
      .filter((i) => answerPrefixes.some((p) => String(i.sk).startsWith(p)))
      .map((i) => {
        const taskId = String(i.sk).split('#')[1];
        return { kind: i.type, ...(taskId ? { taskId } : {}), ...clean(i) };
      }),
    onwardReferrals: bySk('ONWARD#').map((o) => ({
      ...clean(o),
      service: serviceNames.get(String(o.serviceId)) ?? o.serviceId,
    })),
    notifications: bySk('NOTIFICATION#').map(clean),
    ...(bySk('WAITLIST').length ? { waitlist: clean(bySk('WAITLIST')[0]!) } : {}),
    // Kinds of record added after this export was written still reach the person, cleaned.
    other: items.filter((i) => !known.some((p) => String(i.sk).startsWith(p))).map(clean),
  };
}

// ---------------------------------------------------------------------------------------------
// Rectification

/** Personal details a rectification may change (participant fields of the referral). */
export const rectifiableFields = ['givenName', 'familyName', 'dateOfBirth', 'postcode', 'nhsNumber', 'email', 'phone', 'preferredChannel'] as const;
export type RectifiableField = (typeof rectifiableFields)[number];
const optionalFields: readonly RectifiableField[] = ['nhsNumber', 'email', 'phone'];

export class RectificationInvalid extends Error {
  override readonly name = 'RectificationInvalid';
}

/** `field=value` pairs; an empty value removes an optional detail (NHS number, e-mail, phone). */
export function parseCorrections(pairs: readonly string[]): Partial<Record<RectifiableField, string | undefined>> {
  const corrections: Partial<Record<RectifiableField, string | undefined>> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    const field = (at < 0 ? pair : pair.slice(0, at)) as RectifiableField;
    if (at < 0 || !rectifiableFields.includes(field)) {
      throw new RectificationInvalid(`--set takes field=value with a field among: ${rectifiableFields.join(', ')}`);
    }
    const value = pair.slice(at + 1).trim();
    if (!value && !optionalFields.includes(field)) throw new RectificationInvalid(`${field} cannot be removed, only corrected.`);
    corrections[field] = value || undefined;
  }
  return corrections;
}

/**
 * The referral with corrected details, validated as intake validates it (ReferralSchema), and
 * the names of the fields whose stored value really changed (never the values).
 */
export function rectify(
  stored: Referral,
  corrections: Partial<Record<RectifiableField, string | undefined>>,
  /** Intake's date of birth check (intake-rules.ts): today in the area's time zone, and its oldest plausible age. */
  dateOfBirthCheck?: { readonly today: string; readonly maxPlausibleAge: number },
): { referral: Referral; changed: RectifiableField[] } {
  const participant: Record<string, unknown> = { ...stored.participant };
  for (const [field, value] of Object.entries(corrections)) {
    if (value === undefined) delete participant[field];
    else participant[field] = value;
  }
  const referral = ReferralSchema.parse({ ...stored, participant });
  const problem = dateOfBirthCheck && dateOfBirthProblem(referral.participant.dateOfBirth, dateOfBirthCheck.today, dateOfBirthCheck.maxPlausibleAge);
  if (problem) throw new RectificationInvalid(`dateOfBirth ${problem}`);
  const changed = rectifiableFields.filter((f) => f in corrections && referral.participant[f] !== stored.participant[f]);
  return { referral, changed };
}
