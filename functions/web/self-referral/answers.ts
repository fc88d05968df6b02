import { z } from 'zod';
import { ConditionCategory, WorkSituation } from '../../../areas/schema.ts';
import { ReferralSchema } from '../../domain/referral.ts';

/**
 * What a person has answered so far in the self-referral form, as kept in their (encrypted)
 * form session between pages. Dates stay as typed (day, month, year) so a page shows them back.
 */
const typedDate = z.strictObject({ day: z.string().max(10), month: z.string().max(10), year: z.string().max(10) });

export const contactMethods = ['email', 'phone', 'sms'] as const;
export const supportNeeds = ReferralSchema.shape.needs.shape.support.unwrap().element.options;
export type SupportNeed = (typeof supportNeeds)[number];

/** Health details are capped below the referral's limit so the whole form fits in one cookie. */
export const HEALTH_DETAILS_MAX = 1000;

export const Answers = z.strictObject({
  postcode: z.string().max(20).optional(),
  dateOfBirth: typedDate.optional(),
  situation: WorkSituation.optional(),
  lastWorked: typedDate.optional(),
  givenName: z.string().max(200).optional(),
  familyName: z.string().max(200).optional(),
  contactMethod: z.enum(contactMethods).optional(),
  email: z.string().max(320).optional(),
  phone: z.string().max(30).optional(),
  conditions: z.array(ConditionCategory).max(7).optional(),
  healthDetails: z.string().max(HEALTH_DETAILS_MAX).optional(),
  support: z.array(z.enum(supportNeeds)).max(8).optional(),
  otherNeeds: z.enum(['yes', 'no']).optional(),
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
  /** Signposting ids shown after submission when triage finds the person not eligible. */
  signposting: z.array(z.string().max(80)).max(20).optional(),
});
export type SelfReferralSession = z.infer<typeof SelfReferralSession>;
