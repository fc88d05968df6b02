import { z } from 'zod';
import { ConditionCategory, WorkSituation } from '../../areas/schema.ts';
import { isValidNhsNumber, normaliseNhsNumber } from './nhs-number.ts';

/** How the person reached the service ("no wrong door"). */
export const referralSources = [
  'gp',
  'primary_care',
  'employer',
  'jobcentre_plus',
  'local_authority',
  'vcs',
  'self',
  'other',
] as const;
export const ReferralSource = z.enum(referralSources);
export type ReferralSource = z.infer<typeof ReferralSource>;

const isoDate = z.iso.date();
const ukPostcode = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-Z]{1,2}[0-9][0-9A-Z]? ?[0-9][A-Z]{2}$/, 'must be a full UK postcode');
const shortText = z.string().trim().min(1).max(200);

/**
 * The work situation as referred: one of the areas' situations, or `unknown` when the referrer
 * did not say (NHS systems rarely do); the coach asks at first contact.
 */
export const ReferredWorkSituation = z.union([WorkSituation, z.literal('unknown')]);
export type ReferredWorkSituation = z.infer<typeof ReferredWorkSituation>;

/**
 * How consent was given: `not_stated` when a consent record says that the person agreed but not
 * how; `implied` for a direct-care referral from an NHS system with no consent record, accepted
 * only where the area does not require explicit consent.
 */
export const consentMethods = ['verbal', 'written', 'online', 'not_stated', 'implied'] as const;

export const ReferralSchema = z.strictObject({
  source: ReferralSource,
  referrer: z.strictObject({
    organisation: shortText,
    odsCode: z.string().regex(/^[A-Z0-9]{3,10}$/, 'must be an ODS code').optional(),
    contactName: shortText.optional(),
    contactEmail: z.email().optional(),
    contactPhone: z.string().regex(/^\+?[0-9 ]{10,15}$/).optional(),
  }),
  participant: z.strictObject({
    givenName: shortText,
    familyName: shortText,
    dateOfBirth: isoDate,
    /** Spaces and dashes are dropped before the check, so it is stored as its ten digits. */
    nhsNumber: z
      .string()
      .refine(isValidNhsNumber, 'must be a 10-digit NHS number with a valid check digit')
      .transform((value) => normaliseNhsNumber(value)!)
      .optional(),
    postcode: ukPostcode,
    gpPracticeCode: z.string().regex(/^[A-Z][0-9]{5}$/, 'must be a GP practice ODS code').optional(),
    email: z.email().optional(),
    phone: z.string().regex(/^\+?[0-9 ]{10,15}$/, 'must be a UK phone number').optional(),
    preferredChannel: z.enum(['email', 'phone', 'sms', 'letter']),
  }),
  work: z.strictObject({
    situation: ReferredWorkSituation,
    employer: shortText.optional(),
    sickLeaveStart: isoDate.optional(),
    lastWorkedDate: isoDate.optional(),
    hasFitNote: z.boolean().optional(),
  }),
  health: z.strictObject({
    conditions: z.array(ConditionCategory).min(1).max(7),
    /** Free text is capped: it is special category data and only the coach needs it. */
    details: z.string().max(2000).optional(),
  }),
  needs: z.strictObject({
    complexNeeds: z.boolean(),
    immediateRisk: z.boolean(),
    /** A safeguarding concern was flagged: triage sends the referral for review. */
    safeguardingConcern: z.boolean().optional(),
    support: z
      .array(
        z.enum([
          'workplace_adjustments',
          'employer_conversation',
          'return_to_work_plan',
          'physiotherapy',
          'talking_therapy',
          'employment_advice',
          'debt_or_welfare_advice',
          'other',
        ]),
      )
      .max(8)
      .default([]),
  }),
  consent: z.strictObject({
    given: z.literal(true, 'the person must have agreed to the referral'),
    recordedAt: z.iso.datetime({ offset: true }),
    method: z.enum(consentMethods),
    evaluationContact: z.boolean(),
    /** The person agreed that the outcome is sent to their GP practice at discharge. */
    gpSummary: z.boolean().optional(),
  }),
  reasonableAdjustments: z.array(z.string().trim().min(1).max(200)).max(10).default([]),
});

export type Referral = z.infer<typeof ReferralSchema>;
export type ReferralInput = z.input<typeof ReferralSchema>;

/** Stages a referral passes through; recorded on the referral and in its timeline. */
export const referralStatuses = [
  'received',
  'triaged_eligible',
  'not_eligible',
  'needs_review',
  'waitlisted',
  'assigned',
  'awaiting_first_contact',
  'engaged',
  'in_support',
  'completed',
  'not_engaged',
  'closed',
  'withdrawn',
  /** The person already had an open journey: this referral was linked to it. */
  'linked',
  'needs_attention',
] as const;
export type ReferralStatus = (typeof referralStatuses)[number];
