import { z } from 'zod';
import { ConditionCategory, WorkSituation } from '../../../areas/schema.ts';
import { ReferralSchema } from '../../domain/referral.ts';
import { fitsInCookie, type Session, sessionCookie, type SessionSpec } from '../session.ts';
import { peopleNow } from '../people-time.ts';

/**
 * What a person has answered so far in the self-referral form, as kept in their (encrypted)
 * form session between pages. Dates stay as typed (day, month, year) so a page shows them back.
 */
const typedDate = z.strictObject({ day: z.string().max(10), month: z.string().max(10), year: z.string().max(10) });

export const contactMethods = ['email', 'phone', 'sms'] as const;
export const supportNeeds = ReferralSchema.shape.needs.shape.support.unwrap().element.options;
export type SupportNeed = (typeof supportNeeds)[number];

/**
 * The longest answer, in characters, each free-text question takes: the questions check them
 * with GOV.UK messages and the session schema holds them to it. Health details are capped below
 * the referral's limit; even so, long answers in a script of 3 bytes a character can outgrow the
 * cookie, which `formSessionCookie` catches.
 */
export const ANSWER_MAX_LENGTH = {
  postcode: 10,
  gpPracticeCode: 10,
  name: 200,
  email: 320,
  phone: 20,
  healthDetails: 1000,
} as const;
export const HEALTH_DETAILS_MAX = ANSWER_MAX_LENGTH.healthDetails;

export const Answers = z.strictObject({
  postcode: z.string().max(ANSWER_MAX_LENGTH.postcode).optional(),
  /** The GP practice's ODS code, or '' when not given (asked only where the area has practices). */
  gpPracticeCode: z.string().max(ANSWER_MAX_LENGTH.gpPracticeCode).optional(),
  dateOfBirth: typedDate.optional(),
  situation: WorkSituation.optional(),
  lastWorked: typedDate.optional(),
  otherNeeds: z.enum(['yes', 'no']).optional(),
  givenName: z.string().max(ANSWER_MAX_LENGTH.name).optional(),
  familyName: z.string().max(ANSWER_MAX_LENGTH.name).optional(),
  contactMethod: z.enum(contactMethods).optional(),
  email: z.string().max(ANSWER_MAX_LENGTH.email).optional(),
  phone: z.string().max(ANSWER_MAX_LENGTH.phone).optional(),
  conditions: z.array(ConditionCategory).max(7).optional(),
  healthDetails: z.string().max(ANSWER_MAX_LENGTH.healthDetails).optional(),
  support: z.array(z.enum(supportNeeds)).max(8).optional(),
  consent: z.literal('yes').optional(),
  evaluationContact: z.enum(['yes', 'no']).optional(),
  /** When consent was given: part of the referral, so a resubmission is the same referral. */
  consentAt: z.string().max(40).optional(),
});
export type Answers = z.infer<typeof Answers>;

/** The form session: answers so far, then (once sent) only the reference, then nothing. */
export const SelfReferralSession = z.strictObject({
  answers: Answers,
  /** Set once submitted: the reference shown on the confirmation page; the answers are dropped. */
  reference: z.string().max(64).optional(),
});
export type SelfReferralSession = z.infer<typeof SelfReferralSession>;

const FORM_IDLE_MS = 60 * 60_000;
const FORM_MAX_AGE_MS = 24 * 3600_000;

export const selfReferralSession: SessionSpec<SelfReferralSession> = {
  cookie: 'workwell_self_referral',
  data: SelfReferralSession,
  idleMs: FORM_IDLE_MS,
  maxAgeMs: FORM_MAX_AGE_MS,
};

/**
 * The Set-Cookie header keeping the form session with `data`, or undefined when the browser
 * could drop it for its size: the answers would then vanish without a word, so the page asks
 * for a shorter answer instead.
 */
export function formSessionCookie(session: Session<SelfReferralSession>, data: SelfReferralSession = session.data, now = peopleNow()): string | undefined {
  const cookie = sessionCookie(selfReferralSession, { ...session, data }, now);
  return fitsInCookie(cookie) ? cookie : undefined;
}
