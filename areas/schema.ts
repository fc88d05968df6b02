import { z } from 'zod';
import { organisationTypes } from '../functions/domain/credentials.ts';

/**
 * Settings of one WorkWell area (one Integrated Care System, one deployed stack).
 * Every per-area difference lives here as validated data; code never branches on the area.
 */

export const workSituations = [
  'in_work_struggling',
  'on_sick_leave',
  'at_risk_of_losing_work',
  'out_of_work',
] as const;
export const WorkSituation = z.enum(workSituations);
export type WorkSituation = z.infer<typeof WorkSituation>;

export const conditionCategories = [
  'mental_health',
  'musculoskeletal',
  'long_term_condition',
  'neurological',
  'sensory',
  'learning_disability',
  'other',
] as const;
export const ConditionCategory = z.enum(conditionCategories);
export type ConditionCategory = z.infer<typeof ConditionCategory>;

/** What triage does with a referral that hits an exclusion. */
export const ExclusionAction = z.enum(['not_eligible', 'needs_review']);

const slug = z.string().regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'lower-case words joined by hyphens');
const postcodeDistrict = z
  .string()
  .regex(/^[A-Z]{1,2}[0-9][0-9A-Z]?$/, 'an outward postcode district such as S1 or LS10');
const odsPracticeCode = z.string().regex(/^[A-Z][0-9]{5}$/, 'a GP practice ODS code such as C88001');
const hours = z.number().positive();

export const SignpostSchema = z.strictObject({
  id: slug,
  name: z.string().min(1),
  url: z.url(),
  description: z.string().min(1),
});
export type Signpost = z.infer<typeof SignpostSchema>;

const person = {
  id: slug,
  name: z.string().min(1),
  /** Work email: notifications go here, never to personal addresses. */
  email: z.email(),
};

export const TeamLeadSchema = z.strictObject(person);

/** Outcome measures areas use: Work and Social Adjustment Scale, PHQ-9, GAD-7, absence days. */
export const measureRanges = {
  wsas: { min: 0, max: 40 },
  phq9: { min: 0, max: 27 },
  gad7: { min: 0, max: 21 },
  sickness_absence_days: { min: 0, max: 366 },
} as const;
export const MeasureName = z.enum(Object.keys(measureRanges) as [keyof typeof measureRanges, ...(keyof typeof measureRanges)[]]);
export type MeasureName = z.infer<typeof MeasureName>;

export const CoachSchema = z.strictObject({
  ...person,
  teamLeadId: slug,
  /** Conditions the coach is experienced with; preferred when they match the referral. */
  specialisms: z.array(ConditionCategory).default([]),
  /** Postcode districts the coach covers best; empty means the whole area. */
  localities: z.array(postcodeDistrict).default([]),
  maxCaseload: z.number().int().min(0).max(500),
  /** On leave: no new assignments. */
  available: z.boolean().default(true),
});
export type Coach = z.infer<typeof CoachSchema>;

/** Kinds of local service a coach refers on to (Open Referral UK taxonomy terms, simplified). */
export const onwardServiceTypes = [
  'physiotherapy',
  'talking_therapy',
  'employment_advice',
  'workplace_adjustments',
  'occupational_health',
  'debt_advice',
  'council_services',
] as const;
export const OnwardServiceType = z.enum(onwardServiceTypes);

/**
 * A local service in the area's directory, shaped after Open Referral UK (HSDS 3.0 service):
 * id, name, status, description, url, email, organization, age limits, service areas,
 * plus how an onward referral reaches it and how long it has to answer.
 */
export const ServiceSchema = z.strictObject({
  id: slug,
  name: z.string().min(1),
  description: z.string().min(1),
  status: z.enum(['active', 'inactive', 'defunct', 'temporarily closed']),
  url: z.url().optional(),
  email: z.email().optional(),
  organization: z.strictObject({ id: slug, name: z.string().min(1) }),
  taxonomy: OnwardServiceType,
  minimum_age: z.number().int().min(0).optional(),
  maximum_age: z.number().int().max(120).optional(),
  /** Postcode districts served; empty means the whole area. */
  service_areas: z.array(postcodeDistrict).default([]),
  referral: z.discriminatedUnion('channel', [
    z.strictObject({ channel: z.literal('email'), address: z.email() }),
    z.strictObject({
      channel: z.literal('webhook'),
      // HTTPS only, except a provider on this machine (local trials and tests).
      address: z.url().refine((u) => /^https:\/\//.test(u) || /^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?\//.test(u), 'must be an https URL'),
    }),
  ]),
});
export type Service = z.infer<typeof ServiceSchema>;

/**
 * An organisation that refers into the area. Operators register it (and issue credentials)
 * with `npm run partners -- register --id <id>`, which takes name and type from here.
 */
export const PartnerOrganisationSchema = z.strictObject({
  id: slug,
  name: z.string().min(1),
  organisationType: z.enum(organisationTypes),
  /** GP practices and NHS services: the ODS code. */
  odsCode: z.string().regex(/^[A-Z0-9]{3,10}$/, 'an ODS code such as C88001').optional(),
});
export type PartnerOrganisation = z.infer<typeof PartnerOrganisationSchema>;

/** How the area's stack is watched: who alarms go to, and where they trip. */
export const OperationsSchema = z.strictObject({
  /** Operators' addresses subscribed to the area's alarm topic (they confirm by e-mail). */
  alarmEmails: z.array(z.email()).default([]),
  /** Open tasks past their deadline at once before the overdue alarm trips. */
  overdueTasksAlarmThreshold: z.number().int().min(1).default(25),
  /** Requests one client address may make in 5 minutes before the WAF blocks it (AWS minimum 10). */
  wafRequestsPer5MinutesPerIp: z.number().int().min(10).max(2_000_000_000).default(1000),
});
export type OperationsSettings = z.infer<typeof OperationsSchema>;

/** How referrals from NHS systems (FHIR, BaRS) are taken in. */
export const IntakeSchema = z.strictObject({
  /**
   * Whether a FHIR referral must carry the person's explicit consent (an active Consent). BaRS
   * referrals are direct care, where consent is usually implied; an area whose governance
   * requires recorded consent sets this, and a referral without one is refused.
   */
  explicitConsentRequired: z.boolean().default(false),
  /** Oldest plausible age: an older date of birth is a typing error, never a referral. */
  maxPlausibleAge: z.number().int().min(70).max(130).default(120),
});
export type IntakeSettings = z.infer<typeof IntakeSchema>;

const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time as HH:MM');

export const WorkingHoursSchema = z
  .strictObject({
    /** ISO weekdays, 1 = Monday … 7 = Sunday. */
    days: z.array(z.number().int().min(1).max(7)).min(1).default([1, 2, 3, 4, 5]),
    start: clockTime.default('09:00'),
    /** Exclusive; 24:00 for hours running to midnight. */
    end: z.union([clockTime, z.literal('24:00')]).default('17:00'),
    bankHolidays: z.enum(['england-and-wales']).default('england-and-wales'),
  })
  .refine((h) => h.start < h.end, { message: 'working hours must start before they end', path: ['end'] });

/**
 * What the public information pages (privacy notice, accessibility statement, cookies) say of
 * the area. Every field has a default, so an area file needs none of it until the area has its
 * own wording.
 */
export const PublicInformationSchema = z.strictObject({
  /** The data controller named in the privacy notice; default "NHS <area name> Integrated Care Board". */
  controller: z.string().min(1).max(200).optional(),
  /** Where people ask about their data or the service's accessibility; default the area's WorkWell team address. */
  contactEmail: z.email().optional(),
  /** The Data Protection Officer's address, when the area publishes one apart from the contact. */
  dataProtectionOfficerEmail: z.email().optional(),
  /** When the service was last checked for accessibility. */
  accessibilityReviewed: z.iso.date().default('2026-12-01'),
  /** Parts of the service known not to meet WCAG 2.2 AA, in plain words; none by default. */
  accessibilityIssues: z.array(z.string().min(1).max(500)).max(20).default([]),
});

export const AreaSettingsSchema = z.strictObject({
  slug,
  /** Short form of the slug (such as the ICS's usual abbreviation) for names AWS limits to 64 characters. */
  shortSlug: slug.max(24).optional(),
  /** Prefix of short referral references (`SY-4K7P-2MXQ`); by default the initials of the slug's words. */
  referencePrefix: z.string().regex(/^[A-Z]{1,5}$/, 'must be 1 to 5 capital letters').optional(),
  name: z.string().min(1),
  /** Where the settings came from: the area's published criteria, or defaults to be confirmed. */
  settingsSource: z.enum(['published', 'default']),
  aws: z.strictObject({
    region: z.string().regex(/^[a-z]{2}-[a-z]+-\d$/).default('eu-west-2'),
    account: z.string().regex(/^\d{12}$/).optional(),
  }),
  timeZone: z.string().default('Europe/London'),
  /**
   * When staff work, in the area's time zone: task deadlines that fall outside these hours move
   * to the next working morning, and no digest goes out on a day off. Bank holidays come from
   * the division's list in areas/bank-holidays/ (as GOV.UK publishes it).
   */
  workingHours: WorkingHoursSchema.prefault({}),
  eligibility: z.strictObject({
    minAge: z.number().int().min(16),
    maxAge: z.number().int().max(120).optional(),
    /** The person must live in one of these districts or be registered with one of these practices. */
    postcodeDistricts: z.array(postcodeDistrict).min(1),
    gpPracticeCodes: z.array(odsPracticeCode).default([]),
    situations: z.array(WorkSituation).min(1),
    /** Out of work for longer than this is outside the service (long-term unemployed). */
    maxWeeksOutOfWork: z.number().int().positive(),
    exclusions: z.strictObject({
      complexNeeds: ExclusionAction,
      immediateRisk: ExclusionAction,
    }),
    /** Conditions the area focuses on; other conditions go to review rather than straight in. */
    focusConditions: z.array(ConditionCategory).optional(),
  }),
  priority: z.strictObject({
    /** Situations that make a referral urgent: earlier first contact. */
    urgentSituations: z.array(WorkSituation),
  }),
  deadlines: z.strictObject({
    firstContactHours: z.strictObject({ urgent: hours, routine: hours }),
    /** Reminder to the assignee this long before a task falls due. */
    reminderBeforeHours: hours,
    /** After a missed deadline, the team lead is told and the task waits this much longer. */
    escalationGraceHours: hours,
    maxContactAttempts: z.number().int().min(1).max(10),
    needsReviewHours: hours,
    assessmentHours: hours,
    /** A follow-up check-in is due this long after its scheduled date. */
    followUpHours: hours,
    outcomeHours: hours,
    /** A provider has this long to answer an onward referral, and as long again after a chase. */
    providerResponseHours: hours,
    /** A waitlisted referral is re-offered to the coaches this often, in case a wake-up was missed. */
    waitlistRecheckHours: hours,
  }),
  support: z.strictObject({
    maxWeeksInWork: z.number().int().positive(),
    maxWeeksOutOfWork: z.number().int().positive(),
    followUpEveryWeeks: z.number().int().positive(),
    /** Measures taken at assessment and at the outcome (baseline and end). */
    measures: z.array(MeasureName).min(1),
  }),
  signposting: z.array(SignpostSchema).min(1),
  publicInformation: PublicInformationSchema.prefault({}),
  teamLeads: z.array(TeamLeadSchema).min(1),
  coaches: z.array(CoachSchema).min(1),
  services: z.array(ServiceSchema).min(1),
  partners: z.array(PartnerOrganisationSchema).default([]),
  operations: OperationsSchema.prefault({}),
  intake: IntakeSchema.prefault({}),
  /** Years records are kept after a journey closes (NHS Records Management Code: 8). */
  retentionYears: z.number().int().min(1).max(30),
  /**
   * How staff e-mails (task assigned, reminder, overdue, daily digest) go out: Amazon SES
   * (`ses`, the sender's domain verified as an SES identity in the area's account) or GOV.UK
   * Notify (`notify`). Optional: by default SES from workwell-<slug>@notifications.workwell.example
   * (see notificationSettings).
   */
  notifications: z
    .strictObject({
      channel: z.enum(['ses', 'notify']),
      from: z.email(),
    })
    .optional(),
});

export type AreaSettings = z.infer<typeof AreaSettingsSchema>;
export type AreaSettingsInput = z.input<typeof AreaSettingsSchema>;

/** The area's notification settings, with the default sender when none is set. */
export function notificationSettings(area: Pick<AreaSettings, 'slug' | 'notifications'>): { channel: 'ses' | 'notify'; from: string } {
  return area.notifications ?? { channel: 'ses', from: `workwell-${area.slug}@notifications.workwell.example` };
}
