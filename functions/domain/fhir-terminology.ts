/**
 * FHIR terminology the referral mapping (fhir.ts) reads and the answers use: code and identifier
 * systems, the UK Core, BaRS and WorkWell extensions, and the small SNOMED CT tables that map
 * codes onto the referral model's categories. Data only.
 */
import type { ConditionCategory, WorkSituation } from '../../areas/schema.ts';
import type { ReferralInput, ReferralSource } from './referral.ts';

type PreferredChannel = ReferralInput['participant']['preferredChannel'];

export const FHIR_JSON = 'application/fhir+json';

export const fhirSystems = {
  nhsNumber: 'https://fhir.nhs.uk/Id/nhs-number',
  odsOrganisation: 'https://fhir.nhs.uk/Id/ods-organization-code',
  snomed: 'http://snomed.info/sct',
  ukCorePreferredContactMethod: 'https://fhir.hl7.org.uk/CodeSystem/UKCore-PreferredContactMethod',
  reasonableAdjustmentFlagCategory: 'https://fhir.nhs.uk/England/CodeSystem/RA-FlagCategory',
  barsMessageEvents: 'https://fhir.nhs.uk/CodeSystem/message-events-bars',
  barsMessageReason: 'https://fhir.nhs.uk/CodeSystem/message-reason-bars',
  v3RoleCode: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode',
} as const;

/**
 * Whether a code system or identifier system URI is `system`. NHS systems send some of these
 * spelt with another case (`https://fhir.nhs.uk/Id/ODS-Organization-Code`) or a trailing slash,
 * which name the same system: compared without either.
 */
export function sameSystem(value: unknown, system: string): boolean {
  const normal = (uri: string) => uri.trim().replace(/\/+$/, '').toLowerCase();
  return typeof value === 'string' && normal(value) === normal(system);
}

export const ukCoreExtensions = {
  sourceOfServiceRequest: 'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-SourceOfServiceRequest',
  contactPreference: 'https://fhir.hl7.org.uk/StructureDefinition/Extension-UKCore-ContactPreference',
} as const;

export const UKCORE_OPERATION_OUTCOME = 'https://fhir.hl7.org.uk/StructureDefinition/UKCore-OperationOutcome';

const WORKWELL_FHIR = 'https://workwell.nhs.example/fhir';

/**
 * WorkWell's own FHIR extensions and code systems, for what UK Core has no element for.
 *
 * - WorkSituation (ServiceRequest, complex): `situation` valueCode, one of areas/schema.ts
 *   WorkSituation (in_work_struggling | on_sick_leave | at_risk_of_losing_work | out_of_work);
 *   optional `employer` valueString, `sickLeaveStart` valueDate, `lastWorkedDate` valueDate,
 *   `hasFitNote` valueBoolean.
 * - ReferralNeeds (ServiceRequest, complex): `complexNeeds` valueBoolean, `immediateRisk`
 *   valueBoolean, `support` valueCode (repeating; the referral model's support needs).
 * - EvaluationContactConsent (ServiceRequest or Consent): valueBoolean, the person agreed to be
 *   contacted by the independent evaluation.
 * - ReferralConsent (ServiceRequest, complex; when no Consent resource is sent): `method`
 *   valueCode verbal | written | online, `recordedAt` valueDateTime. Its presence records that
 *   the person agreed to the referral.
 * - PreferredChannel (Patient): valueCode email | phone | sms | letter.
 * - ReferralReceipt (OperationOutcome of an accepted referral, complex): `referralId` valueId,
 *   `status` valueCode received | linked.
 * - ReferralStatus (ServiceRequest read back by its referrer): valueCoding of the ReferralStatus
 *   code system, the service's own status (functions/domain/referral.ts referralStatuses).
 * - CodeSystem ConsentMethod (Consent.category): verbal | written | online.
 * - CodeSystem ReferralSource (SourceOfServiceRequest, for partners with no SNOMED CT code such
 *   as employers, Jobcentre Plus, councils and the voluntary sector): the referral model's sources.
 */
export const workwellFhir = {
  workSituation: `${WORKWELL_FHIR}/StructureDefinition/Extension-WorkWell-WorkSituation`,
  referralNeeds: `${WORKWELL_FHIR}/StructureDefinition/Extension-WorkWell-ReferralNeeds`,
  evaluationContactConsent: `${WORKWELL_FHIR}/StructureDefinition/Extension-WorkWell-EvaluationContactConsent`,
  referralConsent: `${WORKWELL_FHIR}/StructureDefinition/Extension-WorkWell-ReferralConsent`,
  preferredChannel: `${WORKWELL_FHIR}/StructureDefinition/Extension-WorkWell-PreferredChannel`,
  referralReceipt: `${WORKWELL_FHIR}/StructureDefinition/Extension-WorkWell-ReferralReceipt`,
  consentMethodSystem: `${WORKWELL_FHIR}/CodeSystem/WorkWell-ConsentMethod`,
  referralSourceSystem: `${WORKWELL_FHIR}/CodeSystem/WorkWell-ReferralSource`,
  referralStatusSystem: `${WORKWELL_FHIR}/CodeSystem/WorkWell-ReferralStatus`,
  referralStatus: `${WORKWELL_FHIR}/StructureDefinition/Extension-WorkWell-ReferralStatus`,
  notEligibleReason: `${WORKWELL_FHIR}/StructureDefinition/Extension-WorkWell-NotEligibleReason`,
  notEligibleReasonSystem: `${WORKWELL_FHIR}/CodeSystem/WorkWell-NotEligibleReason`,
  signposting: `${WORKWELL_FHIR}/StructureDefinition/Extension-WorkWell-Signposting`,
  /** The short reference people read out on the phone (functions/domain/reference.ts). */
  shortReferenceSystem: `${WORKWELL_FHIR}/Id/referral-reference`,
} as const;

/**
 * SNOMED CT "Referred by …" / self-referral concepts of the UK Core SourceOfServiceRequest value
 * set, by referral source. Any other code of the value set (hospital doctor, consultant, family,
 * carer, …) is a source the service has no category for: `other`.
 */
export const snomedReferralSources: Readonly<Record<string, ReferralSource>> = {
  '108161000000109': 'gp', // Referred by general practitioner
  '185359002': 'gp', // Referred by another GP
  '2021000124102': 'gp', // Referred by primary care physician
  '276491000': 'primary_care', // Referred by member of Primary Health Care Team
  '185369008': 'primary_care', // Referred by pharmacist
  '185362004': 'primary_care', // Referred by nurse
  '1077191000000103': 'primary_care', // Referred by community nurse
  '1077201000000101': 'primary_care', // Referred by community mental health nurse
  '835221000000101': 'primary_care', // Referred by community matron
  '1066021000000105': 'primary_care', // Referred by advanced care practitioner
  '185370009': 'primary_care', // Referred by physiotherapist
  '2051000124106': 'primary_care', // Referred by physician assistant
  '1052681000000105': 'primary_care', // Referred by health visitor
  '185361006': 'primary_care', // Referred by community doctor
  '185365002': 'local_authority', // Referred by social worker
  '1991000124105': 'self', // Referred by self
  '306098008': 'self', // Self-referral
  '310434002': 'self', // Self-referral to service
};

/**
 * A small SNOMED CT table of the conditions WorkWell referrals most often name, by the
 * condition categories of areas/schema.ts. Codes not listed (and uncoded reasons whose text
 * matches no keyword) map to `other`; triage treats that like any condition outside the area's
 * focus.
 */
export const snomedConditionCategories: Readonly<Record<string, ConditionCategory>> = {
  '279039007': 'musculoskeletal', // Low back pain
  '278860009': 'musculoskeletal', // Chronic low back pain
  '161891005': 'musculoskeletal', // Backache
  '81680005': 'musculoskeletal', // Neck pain
  '45326000': 'musculoskeletal', // Shoulder pain
  '57676002': 'musculoskeletal', // Pain of joint (arthralgia)
  '396275006': 'musculoskeletal', // Osteoarthritis
  '69896004': 'musculoskeletal', // Rheumatoid arthritis
  '203082005': 'musculoskeletal', // Fibromyalgia
  '35489007': 'mental_health', // Depressive disorder
  '370143000': 'mental_health', // Major depressive disorder
  '197480006': 'mental_health', // Anxiety disorder
  '21897009': 'mental_health', // Generalized anxiety disorder
  '73595000': 'mental_health', // Stress
  '47505003': 'mental_health', // Posttraumatic stress disorder
  '13746004': 'mental_health', // Bipolar disorder
  '73211009': 'long_term_condition', // Diabetes mellitus
  '44054006': 'long_term_condition', // Type 2 diabetes mellitus
  '195967001': 'long_term_condition', // Asthma
  '13645005': 'long_term_condition', // Chronic obstructive lung disease
  '38341003': 'long_term_condition', // Hypertensive disorder
  '84114007': 'long_term_condition', // Heart failure
  '363346000': 'long_term_condition', // Malignant neoplastic disease
  '52702003': 'long_term_condition', // Chronic fatigue syndrome
  '24700007': 'neurological', // Multiple sclerosis
  '84757009': 'neurological', // Epilepsy
  '37796009': 'neurological', // Migraine
  '230690007': 'neurological', // Cerebrovascular accident (stroke)
  '49049000': 'neurological', // Parkinson's disease
  '15188001': 'sensory', // Hearing loss
  '397540003': 'sensory', // Visual impairment
  '110359009': 'learning_disability', // Intellectual disability
};

/** Keywords of uncoded reasons (matched case-insensitively), tried when no SNOMED CT code maps. */
export const conditionKeywords: readonly (readonly [RegExp, ConditionCategory])[] = [
  [/\b(depress|anxi|stress|mental health|ptsd|panic|bipolar)/i, 'mental_health'],
  [/\b(back ?pain|backache|neck pain|shoulder|joint|arthritis|musculoskeletal|msk\b|fibromyalgia)/i, 'musculoskeletal'],
  [/\b(epilep|migraine|multiple sclerosis|stroke|parkinson)/i, 'neurological'],
  [/\b(hearing|deaf|sight loss|visual impairment|blind)/i, 'sensory'],
  [/\b(learning disabilit|intellectual disabilit)/i, 'learning_disability'],
  [/\b(diabet|asthma|copd|heart|cancer|hypertension|long covid|chronic fatigue)/i, 'long_term_condition'],
];

/** SNOMED CT employment findings (an Observation's value) → work situation, when no WorkSituation extension is sent. */
export const snomedWorkSituations: Readonly<Record<string, WorkSituation>> = {
  '224363007': 'in_work_struggling', // Employed
  '160906004': 'in_work_struggling', // Self-employed
  '73438004': 'out_of_work', // Unemployed
  '160895006': 'out_of_work', // Stopped work
};

/** UK Core PreferredContactMethod codes → contact channel (2 visit, 5 minicom, 7 sign language, 8 no telephone have none). */
export const ukCoreContactMethods: Readonly<Record<string, PreferredChannel>> = { '1': 'letter', '3': 'phone', '4': 'email', '6': 'phone', '9': 'sms' };

export const fhirPriorities = ['routine', 'urgent', 'asap', 'stat'] as const;
export type FhirPriority = (typeof fhirPriorities)[number];
