import type { AreaSettings, PartnerOrganisation } from '../../../areas/schema.ts';
import { type Referral, type ReferralInput, ReferralSchema } from '../../domain/referral.ts';
import { type TriageDecision, triage } from '../../domain/triage.ts';
import type { Answers } from './answers.ts';
import { isoOf, type Question, questions } from './questions.ts';

/**
 * The route through the self-referral form (pure): which questions apply, which comes next,
 * whether someone is already known not to be eligible, and the referral the answers make.
 */
export const CHECK_ANSWERS = 'check-answers';
export const NOT_ELIGIBLE = 'not-eligible';
export const CONFIRMATION = 'confirmation';

/** The answer fields each question fills; a question is answered when all are present. */
const answerKeys: Record<string, readonly (keyof Answers)[]> = {
  postcode: ['postcode'],
  'gp-practice': ['gpPracticeCode'],
  'date-of-birth': ['dateOfBirth'],
  'work-situation': ['situation'],
  'last-worked': ['lastWorked'],
  name: ['givenName', 'familyName'],
  'contact-method': ['contactMethod'],
  email: ['email'],
  phone: ['phone'],
  conditions: ['conditions'],
  'health-details': ['healthDetails'],
  support: ['support'],
  'other-needs': ['otherNeeds'],
  consent: ['consent', 'evaluationContact'],
};

export function isAnswered(question: Question, answers: Answers): boolean {
  const wanted = answerKeys[question.slug];
  if (!wanted) throw new Error(`No answer keys for question ${question.slug}`);
  return wanted.every((key) => answers[key] !== undefined);
}

/** The questions asked of this person in this area, in order (eligibility first). */
export function applicableQuestions(answers: Answers, area: AreaSettings): Question[] {
  return questions.filter((q) => q.applies(answers, area));
}

/** The first question still to answer, or the check-your-answers page when none is left. */
export function nextPage(answers: Answers, area: AreaSettings): string {
  return applicableQuestions(answers, area).find((q) => !isAnswered(q, answers))?.slug ?? CHECK_ANSWERS;
}

/** Whether `slug` may be shown now: every applicable question before it is answered. */
export function isReachable(slug: string, answers: Answers, area: AreaSettings): boolean {
  if (slug === CHECK_ANSWERS) return nextPage(answers, area) === CHECK_ANSWERS;
  const applicable = applicableQuestions(answers, area);
  const at = applicable.findIndex((q) => q.slug === slug);
  return at >= 0 && applicable.slice(0, at).every((q) => isAnswered(q, answers));
}

/** The page before `slug` (for the back link). */
export function previousPage(slug: string, answers: Answers, area: AreaSettings): string | undefined {
  const applicable = applicableQuestions(answers, area);
  if (slug === CHECK_ANSWERS) return applicable[applicable.length - 1]?.slug;
  const at = applicable.findIndex((q) => q.slug === slug);
  return at > 0 ? applicable[at - 1]!.slug : undefined;
}

/**
 * The referral the answers make, with placeholders that pass every check for what is not
 * answered yet: triage of it can then only fail on what the person did answer.
 */
function provisionalReferral(answers: Answers, area: AreaSettings, today: string): Referral {
  const [year, month, day] = today.split('-');
  const { eligibility } = area;
  const placeholderDistrict = eligibility.postcodeDistricts[0];
  const postcode = answers.postcode ?? (placeholderDistrict ? `${placeholderDistrict} 1AA` : 'ZZ9 9ZZ');
  // A local practice until the person says (an empty answer is no practice): nobody living
  // outside the area is turned away before being asked about their GP.
  const gpPracticeCode = answers.gpPracticeCode === undefined ? eligibility.gpPracticeCodes[0] : answers.gpPracticeCode || undefined;
  const situation = answers.situation ?? eligibility.situations[0]!;
  return ReferralSchema.parse({
    source: 'self',
    referrer: { organisation: 'self-referral' },
    participant: {
      givenName: answers.givenName || 'placeholder',
      familyName: answers.familyName || 'placeholder',
      // Exactly the minimum age today when not answered yet.
      dateOfBirth: isoOf(answers.dateOfBirth) ?? `${Number(year) - eligibility.minAge}-${month}-${day}`,
      postcode,
      ...(gpPracticeCode ? { gpPracticeCode } : {}),
      preferredChannel: 'email',
    },
    work: {
      situation,
      ...(situation === 'out_of_work' ? { lastWorkedDate: isoOf(answers.lastWorked) ?? today } : {}),
    },
    health: { conditions: answers.conditions?.length ? answers.conditions : [eligibility.focusConditions?.[0] ?? 'other'] },
    needs: { complexNeeds: answers.otherNeeds === 'yes', immediateRisk: false },
    consent: { given: true, recordedAt: `${today}T00:00:00Z`, method: 'online', evaluationContact: false },
  } satisfies ReferralInput);
}

/**
 * The area's own triage rules (the same function partners' referrals go through) applied to what
 * is answered so far: 'not_eligible' as soon as an eligibility answer rules the person out, with
 * the area's signposting to show at once. Also checked before sending, so a referral that triage
 * would close is never stored.
 */
export function eligibilitySoFar(answers: Answers, area: AreaSettings, today: string): TriageDecision {
  return triage(provisionalReferral(answers, area, today), area, today);
}

/**
 * The area's self-referral service (a partner of organisation type self_referral_service). Its
 * type tells intake that each submission is a member of the public's own (sameReferrerMatch).
 */
export function selfReferralPartner(area: AreaSettings): Pick<PartnerOrganisation, 'id' | 'name' | 'organisationType'> {
  const partner = area.partners.find((p) => p.organisationType === 'self_referral_service');
  if (!partner) throw new Error(`Area ${area.slug} has no self_referral_service partner`);
  return { id: partner.id, name: partner.name, organisationType: partner.organisationType };
}

/** The referral the completed form makes: source self, consent given online at `consentAt`. */
export function referralFrom(answers: Answers, area: AreaSettings): { ok: true; referral: Referral } | { ok: false } {
  const phone = answers.contactMethod === 'phone' || answers.contactMethod === 'sms' ? answers.phone : undefined;
  const email = answers.contactMethod === 'email' ? answers.email : undefined;
  const situation = answers.situation;
  const input = {
    source: 'self',
    referrer: { organisation: selfReferralPartner(area).name },
    participant: {
      givenName: answers.givenName ?? '',
      familyName: answers.familyName ?? '',
      dateOfBirth: isoOf(answers.dateOfBirth) ?? '',
      postcode: answers.postcode ?? '',
      ...(answers.gpPracticeCode ? { gpPracticeCode: answers.gpPracticeCode } : {}),
      ...(email ? { email } : {}),
      ...(phone ? { phone } : {}),
      preferredChannel: answers.contactMethod ?? 'email',
    },
    work: {
      situation: situation ?? ('' as never),
      ...(situation === 'out_of_work' && isoOf(answers.lastWorked) ? { lastWorkedDate: isoOf(answers.lastWorked) } : {}),
    },
    health: { conditions: answers.conditions ?? [], ...(answers.healthDetails ? { details: answers.healthDetails } : {}) },
    needs: { complexNeeds: answers.otherNeeds === 'yes', immediateRisk: false, support: answers.support ?? [] },
    consent: {
      given: (answers.consent === 'yes') as true,
      recordedAt: answers.consentAt ?? '',
      method: 'online',
      evaluationContact: answers.evaluationContact === 'yes',
    },
  } satisfies ReferralInput;
  const parsed = ReferralSchema.safeParse(input);
  return parsed.success ? { ok: true, referral: parsed.data } : { ok: false };
}
