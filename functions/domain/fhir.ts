/**
 * FHIR R4 / UK Core referrals (the NHS Booking and Referral Standard, BaRS) mapped onto the one
 * referral model (functions/domain/referral.ts). Pure functions only: no I/O, no clock.
 *
 * Accepted shapes (POST /v1/fhir/$process-message takes the message Bundle only):
 * - a ServiceRequest whose `subject` is a local reference (`#id`) to a `contained` Patient;
 * - a Bundle of type `message` whose first entry is a MessageHeader focusing the ServiceRequest
 *   (BaRS: eventCoding servicerequest-request, reason new), or a Bundle of type `collection` or
 *   `transaction`, holding one ServiceRequest, its Patient and optionally Consent, Organization,
 *   PractitionerRole, Practitioner, Encounter, Observation, Condition, CarePlan and Flag resources.
 * A message with reason update whose ServiceRequest is revoked or entered-in-error is a
 * cancellation (cancellationOf), not a referral.
 *
 * Where each referral field comes from, first found wins (README, "FHIR referrals (BaRS)"); a
 * field taken from a fallback, defaulted or an element not kept is a warning:
 *
 * | referral field | FHIR |
 * | --- | --- |
 * | participant names | Patient.name (official, else usual, else first): given (joined), family |
 * | dateOfBirth | Patient.birthDate (a full date) |
 * | nhsNumber | Patient.identifier with system https://fhir.nhs.uk/Id/nhs-number (check digit verified) |
 * | postcode | Patient.address.postalCode (home first, never `old`) |
 * | email / phone | Patient.telecom, then Patient.contact with relationship ONESELF (email; mobile phone or sms first) |
 * | gpPracticeCode | Patient.generalPractitioner: ODS code (https://fhir.nhs.uk/Id/ods-organization-code) |
 * | preferredChannel | WorkWell PreferredChannel extension, else UK Core ContactPreference (PreferredContactMethod 4 email, 3/6 telephone, 9 SMS, 1 letter), else the telecom ranked 1, else email if given, phone if given, otherwise letter |
 * | source | UK Core SourceOfServiceRequest extension: SNOMED CT (`snomedReferralSources`) or a WorkWell ReferralSource code; absent → the partner's organisation type; unknown → other |
 * | referrer | the requester's organisation (an Organization requester, a PractitionerRole's organization, the PractitionerRole of a Practitioner requester, a logical reference), else MessageHeader.sender, else the partner's registered organisation; contact from the Practitioner and PractitionerRole |
 * | health.conditions | ServiceRequest.reasonCode and reasonReference, else the patient's Conditions, else Encounter.reasonCode, else CarePlan and Observation text: SNOMED CT (`snomedConditionCategories`), else keywords; none or unknown → other |
 * | health.details | reason texts and ServiceRequest.note, capped at 2000 characters |
 * | work | WorkWell WorkSituation extension, else an Observation valued with a SNOMED CT employment finding (`snomedWorkSituations`), else unknown (asked at first contact) |
 * | needs | WorkWell ReferralNeeds extension; absent → no complex needs, no immediate risk; a safeguarding Flag (SG) → safeguardingConcern (triage sends it to review) |
 * | consent | an active, permitting Consent of any category (dateTime or date; method from the WorkWell ConsentMethod code system, else not_stated), else the WorkWell ReferralConsent extension, else implied by a direct-care referral where the area allows, refused where it requires explicit consent |
 * | consent.evaluationContact | WorkWell EvaluationContactConsent extension (on the ServiceRequest or the Consent); absent → false |
 * | reasonableAdjustments | Flags (supportingInfo, contained or in the Bundle) of a reasonable adjustment category (RA, NRAF, the RA record systems): their code text |
 *
 * ServiceRequest.status must be active, intent order, original-order or plan, priority (default
 * routine) routine, urgent, asap or stat. Priority is returned beside the referral: the area's
 * triage rules set the journey's priority.
 *
 * Issues name the FHIR element (FHIRPath `expression`, rooted at the resource type) and say what
 * is expected; they never quote a submitted value, so an OperationOutcome cannot leak personal data.
 */
import type { ConditionCategory, WorkSituation } from '../../areas/schema.ts';
import { conditionCategories, workSituations } from '../../areas/schema.ts';
import type { OrganisationType } from './credentials.ts';
import {
  codings,
  Document,
  ext,
  extensionsOf,
  isLocalReference,
  isObject,
  type Json,
  type Located,
  Mapper,
  objects,
  text,
} from './fhir-document.ts';
import { type FhirIssue, fhirRejectionStatus, type FieldOrigins, issuesFromReferralError } from './fhir-outcome.ts';
import {
  conditionKeywords,
  type FhirPriority,
  fhirPriorities,
  fhirSystems,
  sameSystem,
  snomedConditionCategories,
  snomedReferralSources,
  snomedWorkSituations,
  ukCoreContactMethods,
  ukCoreExtensions,
  workwellFhir,
} from './fhir-terminology.ts';
import { isValidNhsNumber } from './nhs-number.ts';
import { ReferralSchema, referralSources, type Referral, type ReferralInput, type ReferralSource } from './referral.ts';

// The terminology and OperationOutcome modules are part of this module's interface.
export * from './fhir-outcome.ts';
export * from './fhir-terminology.ts';

const requestStatuses = ['draft', 'active', 'on-hold', 'revoked', 'completed', 'entered-in-error', 'unknown'] as const;
const acceptedIntents = ['order', 'original-order', 'plan'];
const requestIntents = ['proposal', 'plan', 'directive', 'order', 'original-order', 'reflex-order', 'filler-order', 'instance-order', 'option'];

const statusRejections: Readonly<Record<string, string>> = {
  draft: 'ServiceRequest.status is draft: send the referral once it is active.',
  'on-hold': 'ServiceRequest.status is on-hold: send the referral once it is active.',
  revoked:
    'ServiceRequest.status is revoked: a referral is cancelled with POST /v1/referrals/{referralId}/cancel, not by sending it again.',
  completed: 'ServiceRequest.status is completed: only active requests are referrals.',
  'entered-in-error': 'ServiceRequest.status is entered-in-error: only active requests are referrals.',
  unknown: 'ServiceRequest.status is unknown: only active requests are referrals.',
};

type PreferredChannel = ReferralInput['participant']['preferredChannel'];
type SupportNeed = NonNullable<ReferralInput['needs']['support']>[number];
type ConsentMethod = ReferralInput['consent']['method'];

const preferredChannels: readonly PreferredChannel[] = ReferralSchema.shape.participant.shape.preferredChannel.options;
const supportNeeds: readonly SupportNeed[] = ReferralSchema.shape.needs.shape.support.unwrap().element.options;
const consentMethods: readonly ConsentMethod[] = ReferralSchema.shape.consent.shape.method.options;
const statedConsentMethods: readonly ConsentMethod[] = ['verbal', 'written', 'online'];

const MAX_DETAILS = 2000;
const MAX_ADJUSTMENTS = 10;
const MAX_ADJUSTMENT_LENGTH = 200;

// ---------------------------------------------------------------------------------------------
// Mapping

export type FhirMapping =
  | {
      readonly ok: true;
      readonly referral: ReferralInput;
      readonly priority: FhirPriority;
      /** Defaults applied and codes not recognised (severity warning), for the accepting OperationOutcome. */
      readonly warnings: readonly FhirIssue[];
      readonly origins: FieldOrigins;
    }
  | { readonly ok: false; readonly issues: readonly FhirIssue[] };

export type FhirReferralResult =
  | { readonly ok: true; readonly referral: Referral; readonly priority: FhirPriority; readonly warnings: readonly FhirIssue[] }
  | { readonly ok: false; readonly httpStatus: 400 | 422; readonly issues: readonly FhirIssue[] };

/**
 * What the mapping may fall back on that the message itself does not carry: the partner's
 * registration (referrer and source), the area's consent rule, and when the message arrived.
 */
export interface MappingContext {
  readonly partner?: { readonly name: string; readonly odsCode?: string | undefined; readonly organisationType: OrganisationType };
  /** The area requires explicit consent (areas/schema.ts intake.explicitConsentRequired); true when not given. */
  readonly explicitConsentRequired?: boolean;
  /** ISO date-time the message arrived, for an implied consent with no other date. */
  readonly receivedAt?: string;
}

/** A partner's organisation type → the referral source, for messages that do not say. */
export const sourceByOrganisationType: Readonly<Record<OrganisationType, ReferralSource>> = {
  gp: 'gp',
  primary_care: 'primary_care',
  employer: 'employer',
  jobcentre_plus: 'jobcentre_plus',
  local_authority: 'local_authority',
  vcs: 'vcs',
  self_referral_service: 'self',
  other: 'other',
};

/** Map a FHIR referral, then validate it as every referral is: the handler's one call. */
export function parseFhirReferral(resource: unknown, context: MappingContext = {}): FhirReferralResult {
  const mapped = mapFhirReferral(resource, context);
  if (!mapped.ok) return { ok: false, httpStatus: fhirRejectionStatus(mapped.issues), issues: mapped.issues };
  const parsed = ReferralSchema.safeParse(mapped.referral);
  if (!parsed.success) {
    const issues = issuesFromReferralError(parsed.error, mapped.origins);
    return { ok: false, httpStatus: 422, issues };
  }
  return { ok: true, referral: parsed.data, priority: mapped.priority, warnings: mapped.warnings };
}

/** Map a FHIR referral (ServiceRequest with a contained Patient, or a Bundle) to a referral, unvalidated. */
export function mapFhirReferral(resource: unknown, context: MappingContext = {}): FhirMapping {
  const m = new Mapper();
  const located = locate(m, resource);
  if (!located) return { ok: false, issues: m.issues };
  const { serviceRequest: sr, doc, header } = located;
  if (header && messageReason(header) === 'update') {
    m.error(
      'not-supported',
      'MessageHeader.reason',
      'An update message is accepted only to cancel a referral (ServiceRequest.status revoked or entered-in-error); refer again to change one.',
    );
    return { ok: false, issues: m.issues };
  }

  const priority = requestFields(m, sr);
  const patient = subject(m, sr, doc);
  const participant = patient ? participantOf(m, patient, doc) : undefined;
  const referrer = referrerOf(m, sr, doc, header, context);
  const source = sourceOf(m, sr, context);
  const health = healthOf(m, sr, doc, patient);
  const work = workOf(m, sr, doc, patient);
  const flags = flagsAbout(m, sr, doc, patient);
  const needs = needsOf(m, sr, flags);
  const consent = consentOf(m, sr, doc, patient, context);
  const reasonableAdjustments = adjustmentsOf(m, flags);
  notKept(m, sr, doc);

  if (m.issues.length || !participant || !referrer || !health || !work || !consent || !priority) {
    return { ok: false, issues: m.issues };
  }
  return {
    ok: true,
    referral: { source, referrer, participant, work, health, needs, consent, reasonableAdjustments },
    priority,
    warnings: m.warnings,
    origins: m.origins,
  };
}

/** Resource types the mapping reads; others sent along (medication, allergy, location records) are not kept. */
const readTypes = new Set([
  'MessageHeader',
  'ServiceRequest',
  'Patient',
  'Practitioner',
  'PractitionerRole',
  'Organization',
  'Encounter',
  'Condition',
  'Observation',
  'CarePlan',
  'Consent',
  'Flag',
]);

/** ServiceRequest elements BaRS senders fill that the referral model has no place for. */
const unreadRequestElements = ['code', 'occurrencePeriod', 'occurrenceDateTime', 'performer', 'locationReference', 'patientInstruction', 'orderDetail', 'bodySite'];

/** Says, without quoting anything sent, what the message carries that is not kept. */
function notKept(m: Mapper, sr: Json, doc: Document): void {
  const others = doc.resources.filter((resource) => !readTypes.has(String(resource.resourceType))).length;
  if (others) {
    m.warn('informational', 'Bundle.entry', `${others} resource(s) of types the service does not read (such as medication, allergy or location records) are not kept.`);
  }
  const elements = unreadRequestElements.filter((name) => sr[name] !== undefined);
  if (elements.length) {
    m.warn('informational', 'ServiceRequest', `These ServiceRequest elements are not kept: ${elements.join(', ')}.`);
  }
}

interface Located_ {
  readonly serviceRequest: Json;
  readonly doc: Document;
  /** The MessageHeader of a message Bundle. */
  readonly header?: Json;
}

/** Find the ServiceRequest and the resources around it. */
function locate(m: Mapper, resource: unknown): Located_ | undefined {
  if (!isObject(resource)) {
    return m.error('structure', [], 'The request body must be a FHIR resource (a JSON object).');
  }
  const type = resource.resourceType;
  if (type === 'ServiceRequest') {
    const doc = new Document();
    doc.add(resource);
    if (resource.contained !== undefined && !Array.isArray(resource.contained)) {
      return m.error('structure', 'ServiceRequest.contained', 'ServiceRequest.contained must be a JSON array.');
    }
    if (isObject(resource.subject) && resource.subject.reference !== undefined && !isLocalReference(resource.subject)) {
      return m.error(
        'not-supported',
        'ServiceRequest.subject',
        'A ServiceRequest sent on its own must reference a contained Patient (#id); send a Bundle to reference a Patient entry.',
      );
    }
    return { serviceRequest: resource, doc };
  }
  if (type === 'Bundle') return locateInBundle(m, resource);
  if (typeof type !== 'string') {
    return m.error('structure', [], 'The request body has no resourceType: send a ServiceRequest or a Bundle.');
  }
  return m.error('invalid', [], 'Only a ServiceRequest or a Bundle holding one is accepted here.');
}

function locateInBundle(m: Mapper, bundle: Json): Located_ | undefined {
  const bundleType = bundle.type;
  if (bundleType === undefined) return m.error('required', 'Bundle.type', 'Bundle.type is required (message, collection or transaction).');
  if (bundleType !== 'message' && bundleType !== 'collection' && bundleType !== 'transaction') {
    return m.error('not-supported', 'Bundle.type', 'Bundle.type must be message, collection or transaction.');
  }
  if (!Array.isArray(bundle.entry) || bundle.entry.length === 0) {
    return m.error('required', 'Bundle.entry', 'The Bundle has no entries.');
  }
  const doc = new Document();
  const entries: { resource: Json; index: number }[] = [];
  bundle.entry.forEach((entry: unknown, index: number) => {
    if (!isObject(entry) || !isObject(entry.resource)) {
      m.error('structure', `Bundle.entry[${index}]`, `Bundle.entry[${index}] has no resource.`);
      return;
    }
    doc.add(entry.resource, text(entry.fullUrl));
    entries.push({ resource: entry.resource, index });
  });
  if (m.issues.length) return undefined;

  let serviceRequest: Json | undefined;
  if (bundleType === 'message') {
    const header = entries[0]?.resource;
    if (entries[0]?.index !== 0 || header?.resourceType !== 'MessageHeader') {
      return m.error('structure', 'Bundle.entry[0]', 'The first entry of a message Bundle must be its MessageHeader.');
    }
    serviceRequest = focusedServiceRequest(m, header, doc);
    return serviceRequest ? { serviceRequest, doc, header } : undefined;
  } else {
    const requests = entries.filter((entry) => entry.resource.resourceType === 'ServiceRequest');
    if (requests.length === 0) return m.error('required', 'Bundle.entry', 'The Bundle holds no ServiceRequest.');
    if (requests.length > 1) {
      return m.error('not-supported', 'Bundle.entry', 'Send one ServiceRequest (one referral) per Bundle.');
    }
    serviceRequest = requests[0]?.resource;
  }
  return serviceRequest ? { serviceRequest, doc } : undefined;
}

/** BaRS message reason (new or update), in the BaRS code system or the older message-reasons one. */
function messageReason(header: Json): 'new' | 'update' | undefined {
  const code = codings(header.reason).find((coding) => coding.code === 'new' || coding.code === 'update')?.code;
  return code === 'new' || code === 'update' ? code : undefined;
}

/**
 * The ServiceRequest a message is about: BaRS referral messages (event servicerequest-request)
 * focus it. A message focusing anything else (a booking's Appointment, a document) is not a
 * referral; an event other than BaRS servicerequest-request with a ServiceRequest focus (older
 * BaRS examples use admin-notify) is read as a referral, with a warning.
 */
function focusedServiceRequest(m: Mapper, header: Json, doc: Document): Json | undefined {
  const event = header.eventCoding;
  const barsEvent = isObject(event) && sameSystem(event.system, fhirSystems.barsMessageEvents);
  if (barsEvent && event.code !== 'servicerequest-request') {
    return m.error('not-supported', 'MessageHeader.eventCoding', 'Only referral messages (event servicerequest-request) are accepted here.');
  }
  // FHIR makes focus a list; some senders send one Reference.
  const focus = isObject(header.focus) ? [header.focus] : objects(header.focus);
  if (focus.length === 0) {
    return m.error('required', 'MessageHeader.focus', 'MessageHeader.focus must reference the ServiceRequest.');
  }
  const resolved = focus.map((ref) => doc.resolve(ref));
  const serviceRequest = resolved.find((found) => found?.resourceType === 'ServiceRequest');
  if (!serviceRequest) {
    const other = resolved.some((found) => found !== undefined) || focus.some((ref) => typeof ref.type === 'string' && ref.type !== 'ServiceRequest');
    return other
      ? m.error('not-supported', 'MessageHeader.focus', 'Only referral messages, whose focus is a ServiceRequest, are accepted here.')
      : m.error('structure', 'MessageHeader.focus', 'MessageHeader.focus does not reference a ServiceRequest in the Bundle.');
  }
  if (!barsEvent) {
    m.warn(
      'not-supported',
      'MessageHeader.eventCoding',
      `MessageHeader.eventCoding is not the BaRS servicerequest-request event (${fhirSystems.barsMessageEvents}); the message was read as a referral because its focus is a ServiceRequest.`,
    );
  }
  return serviceRequest;
}

/** A BaRS cancellation: an update message whose ServiceRequest is revoked or entered-in-error. */
export type FhirCancellation = {
  /** Ids the ServiceRequest carries (its id and identifier values): the referral id the service answered with. */
  readonly referralIds: readonly string[];
  readonly status: 'revoked' | 'entered-in-error';
};

/**
 * The cancellation a message asks for, or undefined when it is not one (then it is read as a
 * referral, which reports what is wrong with it).
 */
export function cancellationOf(resource: unknown): FhirCancellation | undefined {
  if (!isObject(resource) || resource.resourceType !== 'Bundle' || resource.type !== 'message' || !Array.isArray(resource.entry)) {
    return undefined;
  }
  const header = isObject(resource.entry[0]) && isObject(resource.entry[0].resource) ? resource.entry[0].resource : undefined;
  if (header?.resourceType !== 'MessageHeader' || messageReason(header) !== 'update') return undefined;
  const m = new Mapper();
  const located = locate(m, resource);
  const sr = located?.serviceRequest;
  if (!sr || (sr.status !== 'revoked' && sr.status !== 'entered-in-error')) return undefined;
  const ids = [text(sr.id), ...objects(sr.identifier).map((identifier) => text(identifier.value))].filter((id) => id !== undefined);
  return { referralIds: [...new Set(ids)], status: sr.status };
}

/** status, intent and priority of the ServiceRequest; returns the priority. */
function requestFields(m: Mapper, sr: Json): FhirPriority | undefined {
  const status = sr.status;
  if (status === undefined) {
    m.error('required', 'ServiceRequest.status', 'ServiceRequest.status is required and must be active.');
  } else if (typeof status !== 'string' || !(requestStatuses as readonly string[]).includes(status)) {
    m.error('value', 'ServiceRequest.status', 'ServiceRequest.status is not a FHIR request status; it must be active.');
  } else if (status !== 'active') {
    m.error('not-supported', 'ServiceRequest.status', statusRejections[status] ?? 'Only active requests are referrals.');
  }

  const intent = sr.intent;
  if (intent === undefined) {
    m.error('required', 'ServiceRequest.intent', 'ServiceRequest.intent is required (order, original-order or plan).');
  } else if (typeof intent !== 'string' || !requestIntents.includes(intent)) {
    m.error('value', 'ServiceRequest.intent', 'ServiceRequest.intent is not a FHIR request intent.');
  } else if (!acceptedIntents.includes(intent)) {
    m.error('not-supported', 'ServiceRequest.intent', 'ServiceRequest.intent must be order, original-order or plan.');
  }

  const priority = sr.priority ?? 'routine';
  if (typeof priority !== 'string' || !(fhirPriorities as readonly string[]).includes(priority)) {
    m.error('value', 'ServiceRequest.priority', 'ServiceRequest.priority must be routine, urgent, asap or stat.');
    return undefined;
  }
  return priority as FhirPriority;
}

function subject(m: Mapper, sr: Json, doc: Document): Located | undefined {
  const ref = sr.subject;
  if (ref === undefined) return m.error('required', 'ServiceRequest.subject', 'ServiceRequest.subject must reference the Patient being referred.');
  if (!isObject(ref)) return m.error('structure', 'ServiceRequest.subject', 'ServiceRequest.subject must be a Reference.');
  if (ref.reference === undefined) {
    return m.error(
      'required',
      'ServiceRequest.subject',
      'ServiceRequest.subject must reference a Patient resource sent with the request (contained or in the Bundle); an identifier alone is not enough.',
    );
  }
  const patient = doc.resolve(ref);
  if (!patient) return m.error('structure', 'ServiceRequest.subject', 'ServiceRequest.subject does not resolve to a resource sent with the request.');
  if (patient.resourceType !== 'Patient') return m.error('invalid', 'ServiceRequest.subject', 'ServiceRequest.subject must reference a Patient.');
  return { resource: patient, path: 'Patient' };
}

function participantOf(m: Mapper, { resource: patient }: Located, doc: Document): ReferralInput['participant'] | undefined {
  // Name: official, else usual, else the first one.
  const names = m.list(patient, 'name', 'Patient.name').map((name, index) => ({ name, index }));
  const current = names.filter(({ name }) => name.use !== 'old');
  const chosen =
    current.find(({ name }) => name.use === 'official') ?? current.find(({ name }) => name.use === 'usual') ?? current[0];
  let givenName: string | undefined;
  let familyName: string | undefined;
  if (!chosen) {
    m.error('required', 'Patient.name', 'Patient.name is required (given and family names).');
  } else {
    const base = `Patient.name[${chosen.index}]`;
    const given = Array.isArray(chosen.name.given) ? chosen.name.given.map(text).filter((g) => g !== undefined) : [];
    givenName = given.length ? given.join(' ') : undefined;
    familyName = text(chosen.name.family);
    if (!givenName) m.error('required', `${base}.given`, 'Patient.name.given is required.');
    if (!familyName) m.error('required', `${base}.family`, 'Patient.name.family is required.');
    m.origin('/participant/givenName', `${base}.given`);
    m.origin('/participant/familyName', `${base}.family`);
  }

  const birthDate = patient.birthDate;
  if (birthDate === undefined) m.error('required', 'Patient.birthDate', 'Patient.birthDate is required.');
  else if (typeof birthDate !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(birthDate)) {
    m.error('value', 'Patient.birthDate', 'Patient.birthDate must be a full date (YYYY-MM-DD).');
  }
  m.origin('/participant/dateOfBirth', 'Patient.birthDate');

  // NHS number (optional, but checked when sent).
  let nhsNumber: string | undefined;
  m.list(patient, 'identifier', 'Patient.identifier').forEach((identifier, index) => {
    if (!sameSystem(identifier.system, fhirSystems.nhsNumber) || nhsNumber !== undefined) return;
    const expression = `Patient.identifier[${index}].value`;
    const value = text(identifier.value)?.replace(/\s+/g, '');
    if (!value) {
      m.error('required', expression, 'The NHS number identifier has no value.');
    } else if (!isValidNhsNumber(value)) {
      m.error('value', expression, 'The NHS number must be 10 digits with a valid modulus-11 check digit.');
    }
    nhsNumber = value ?? '';
    m.origin('/participant/nhsNumber', expression);
  });

  // Postcode: a home address first, never an old one.
  const addresses = m
    .list(patient, 'address', 'Patient.address')
    .map((address, index) => ({ address, index }))
    .filter(({ address }) => address.use !== 'old' && text(address.postalCode));
  const address = addresses.find(({ address }) => address.use === 'home') ?? addresses[0];
  const postcode = address ? text(address.address.postalCode) : undefined;
  if (!address) m.error('required', 'Patient.address.postalCode', 'Patient.address.postalCode is required.');
  else m.origin('/participant/postcode', `Patient.address[${address.index}].postalCode`);

  // Telecom: the patient's own, then that of a contact who is the person themself (BaRS puts
  // the person's phone and e-mail there, relationship ONESELF).
  const own = m.list(patient, 'telecom', 'Patient.telecom').map((telecom, index) => ({ telecom, path: `Patient.telecom[${index}]` }));
  m.list(patient, 'contact', 'Patient.contact').forEach((contact, index) => {
    const oneself = objects(contact.relationship).some((relationship) =>
      codings(relationship).some((coding) => typeof coding.code === 'string' && coding.code.toUpperCase() === 'ONESELF'),
    );
    if (!oneself) {
      m.warn('not-supported', `Patient.contact[${index}]`, 'Contacts other than the person themself (relationship ONESELF) are not kept.');
      return;
    }
    objects(contact.telecom).forEach((telecom, t) => own.push({ telecom, path: `Patient.contact[${index}].telecom[${t}]` }));
  });
  const telecoms = own.filter(({ telecom }) => telecom.use !== 'old' && text(telecom.value));
  const byRank = (a: { telecom: Json }, b: { telecom: Json }) => rank(a.telecom) - rank(b.telecom);
  const emailEntry = telecoms.filter(({ telecom }) => telecom.system === 'email').sort(byRank)[0];
  const phones = telecoms.filter(({ telecom }) => telecom.system === 'phone' || telecom.system === 'sms');
  const phoneEntry =
    [...phones].sort((a, b) => mobileFirst(a.telecom) - mobileFirst(b.telecom) || byRank(a, b))[0];
  const email = emailEntry ? text(emailEntry.telecom.value)?.replace(/^mailto:/i, '') : undefined;
  const phone = phoneEntry ? text(phoneEntry.telecom.value)?.replace(/^tel:/i, '').replace(/[-().]/g, '') : undefined;
  if (emailEntry) m.origin('/participant/email', `${emailEntry.path}.value`);
  if (phoneEntry) m.origin('/participant/phone', `${phoneEntry.path}.value`);

  const preferredChannel = channelOf(m, patient, telecoms.map(({ telecom }) => telecom), { email, phone });

  // Registered GP practice: its ODS code.
  let gpPracticeCode: string | undefined;
  m.list(patient, 'generalPractitioner', 'Patient.generalPractitioner').forEach((reference, index) => {
    if (gpPracticeCode) return;
    const code = odsCodeOf(reference.identifier) ?? odsCodeOfResource(doc.resolve(reference));
    if (code) {
      gpPracticeCode = code;
      m.origin('/participant/gpPracticeCode', `Patient.generalPractitioner[${index}]`);
    }
  });

  if (!givenName || !familyName || typeof birthDate !== 'string' || !postcode) return undefined;
  return {
    givenName,
    familyName,
    dateOfBirth: birthDate,
    ...(nhsNumber ? { nhsNumber } : {}),
    postcode: postcode.toUpperCase(),
    ...(gpPracticeCode ? { gpPracticeCode } : {}),
    ...(email ? { email } : {}),
    ...(phone ? { phone } : {}),
    preferredChannel,
  };
}

function rank(telecom: Json): number {
  return typeof telecom.rank === 'number' && telecom.rank > 0 ? telecom.rank : Number.MAX_SAFE_INTEGER;
}

function mobileFirst(telecom: Json): number {
  return telecom.use === 'mobile' || telecom.system === 'sms' ? 0 : 1;
}

function channelOf(
  m: Mapper,
  patient: Json,
  telecoms: readonly Json[],
  contact: { email: string | undefined; phone: string | undefined },
): PreferredChannel {
  const usable = (channel: PreferredChannel | undefined): channel is PreferredChannel =>
    channel !== undefined && (channel === 'letter' || (channel === 'email' ? !!contact.email : !!contact.phone));

  const own = extensionsOf(patient, workwellFhir.preferredChannel)[0];
  if (own) {
    const expression = ext('Patient', workwellFhir.preferredChannel);
    m.origin('/participant/preferredChannel', expression);
    const code = own.valueCode;
    if (typeof code !== 'string' || !(preferredChannels as readonly string[]).includes(code)) {
      m.error('value', expression, 'The PreferredChannel extension must have a valueCode of email, phone, sms or letter.');
    } else if (usable(code as PreferredChannel)) {
      return code as PreferredChannel;
    } else {
      m.warn('value', expression, 'The preferred channel has no matching Patient.telecom; another channel is used.');
    }
  }

  let noTelephone = false;
  for (const preference of extensionsOf(patient, ukCoreExtensions.contactPreference)) {
    for (const method of extensionsOf(preference, 'PreferredContactMethod')) {
      for (const coding of codings(method.valueCodeableConcept)) {
        if (!sameSystem(coding.system, fhirSystems.ukCorePreferredContactMethod) || typeof coding.code !== 'string') continue;
        if (coding.code === '8') noTelephone = true;
        const channel = ukCoreContactMethods[coding.code];
        if (usable(channel)) {
          m.origin('/participant/preferredChannel', ext('Patient', ukCoreExtensions.contactPreference, 'PreferredContactMethod'));
          return channel;
        }
      }
    }
  }

  const first = [...telecoms].filter((telecom) => telecom.rank === 1)[0];
  const ranked: PreferredChannel | undefined =
    first?.system === 'email' ? 'email' : first?.system === 'sms' ? 'sms' : first?.system === 'phone' ? 'phone' : undefined;
  if (usable(ranked) && !(noTelephone && ranked !== 'email')) return ranked;
  if (contact.email) return 'email';
  if (contact.phone && !noTelephone) return 'phone';
  return 'letter';
}

function odsCodeOf(identifier: unknown): string | undefined {
  if (!isObject(identifier) || !sameSystem(identifier.system, fhirSystems.odsOrganisation)) return undefined;
  return text(identifier.value)?.toUpperCase();
}

function odsCodeOfResource(resource: Json | undefined): string | undefined {
  if (!resource) return undefined;
  return objects(resource.identifier).map(odsCodeOf).find((code) => code !== undefined);
}

function personName(resource: Json | undefined): string | undefined {
  if (!resource) return undefined;
  const names = objects(resource.name);
  const name = names.find((n) => n.use === 'official') ?? names.find((n) => n.use !== 'old');
  if (!name) return undefined;
  const explicit = text(name.text);
  if (explicit) return explicit;
  const strings = (value: unknown) => (Array.isArray(value) ? value.map(text).filter((s) => s !== undefined) : []);
  const parts = [...strings(name.prefix), ...strings(name.given), text(name.family)].filter((s) => s !== undefined);
  return parts.length ? parts.join(' ') : undefined;
}

function telecomOf(resource: Json | undefined, system: 'email' | 'phone'): string | undefined {
  if (!resource) return undefined;
  const entry = objects(resource.telecom)
    .filter((t) => t.system === system && t.use !== 'old' && text(t.value))
    .sort((a, b) => rank(a) - rank(b))[0];
  const value = entry ? text(entry.value) : undefined;
  return system === 'email' ? value?.replace(/^mailto:/i, '') : value?.replace(/^tel:/i, '').replace(/[-().]/g, '');
}

/**
 * The referring organisation, in this order: the requester's own organisation (an Organization
 * requester, a PractitionerRole's organization, or the PractitionerRole of a Practitioner
 * requester), else the MessageHeader sender, else the partner's registered organisation.
 */
function referrerOf(m: Mapper, sr: Json, doc: Document, header: Json | undefined, context: MappingContext): ReferralInput['referrer'] | undefined {
  const ref = sr.requester;
  if (ref !== undefined && !isObject(ref)) return m.error('structure', 'ServiceRequest.requester', 'ServiceRequest.requester must be a Reference.');
  const resolved = doc.resolve(ref);
  if (resolved && !['Organization', 'PractitionerRole', 'Practitioner'].includes(String(resolved.resourceType))) {
    return m.error(
      'not-supported',
      'ServiceRequest.requester',
      'ServiceRequest.requester must be an Organization, a PractitionerRole or a Practitioner of the referring organisation.',
    );
  }
  const person = resolved?.resourceType === 'Practitioner' ? resolved : resolved?.resourceType === 'PractitionerRole' ? doc.resolve(resolved.practitioner) : undefined;
  const role =
    resolved?.resourceType === 'PractitionerRole'
      ? resolved
      : person
        ? doc.ofType('PractitionerRole').find((candidate) => doc.resolve(candidate.practitioner) === person)
        : undefined;

  const candidates: { resource?: Json | undefined; reference?: Json | undefined; path: string }[] = [];
  if (resolved?.resourceType === 'Organization') candidates.push({ resource: resolved, path: 'Organization' });
  if (role && isObject(role.organization)) {
    candidates.push({ resource: doc.resolve(role.organization), reference: role.organization, path: 'PractitionerRole.organization' });
  }
  // A requester that is only a logical reference (display and ODS identifier).
  if (isObject(ref) && !resolved) candidates.push({ reference: ref, path: 'ServiceRequest.requester' });
  if (header && isObject(header.sender)) {
    const sender = doc.resolve(header.sender);
    const senderOrganisation = sender?.resourceType === 'PractitionerRole' ? doc.resolve(sender.organization) : sender;
    const senderReference = sender?.resourceType === 'PractitionerRole' && isObject(sender.organization) ? sender.organization : header.sender;
    candidates.push({
      resource: senderOrganisation?.resourceType === 'Organization' ? senderOrganisation : undefined,
      reference: senderReference,
      path: 'MessageHeader.sender',
    });
  }
  const chosen = candidates.find(({ resource, reference }) => text(resource?.name) ?? text(reference?.display));

  let organisation: string | undefined;
  let odsCode: string | undefined;
  let organisationResource: Json | undefined;
  if (chosen) {
    organisationResource = chosen.resource;
    organisation = text(chosen.resource?.name) ?? text(chosen.reference?.display);
    odsCode = odsCodeOfResource(chosen.resource) ?? odsCodeOf(chosen.reference?.identifier);
    const path = chosen.resource ? 'Organization' : chosen.path;
    m.origin('/referrer/organisation', chosen.resource ? 'Organization.name' : `${path}.display`);
    if (odsCode) m.origin('/referrer/odsCode', `${path}.identifier`);
    if (chosen.path === 'MessageHeader.sender') {
      m.warn('informational', 'ServiceRequest.requester', "The requester's organisation is not in the message: the referrer is the MessageHeader sender.");
    }
  } else if (context.partner) {
    organisation = context.partner.name;
    odsCode = context.partner.odsCode;
    m.origin('/referrer/organisation', 'ServiceRequest.requester');
    m.warn(
      'required',
      'ServiceRequest.requester',
      "No referring organisation in the message (requester's organisation or MessageHeader sender): the partner's registered organisation is recorded.",
    );
  }
  if (!organisation) {
    return m.error(
      'required',
      'ServiceRequest.requester',
      'The referring organisation must be named: the requester (Organization, or a PractitionerRole with its organization) or the MessageHeader sender.',
    );
  }
  const contactName = personName(person);
  if (contactName) m.origin('/referrer/contactName', 'Practitioner.name');
  const contactEmail = telecomOf(role, 'email') ?? telecomOf(person, 'email') ?? telecomOf(organisationResource, 'email');
  const contactPhone = telecomOf(role, 'phone') ?? telecomOf(person, 'phone') ?? telecomOf(organisationResource, 'phone');
  const telecomPath = telecomOf(role, 'email') || telecomOf(role, 'phone') ? 'PractitionerRole.telecom' : telecomOf(person, 'email') || telecomOf(person, 'phone') ? 'Practitioner.telecom' : 'Organization.telecom';
  m.origin('/referrer/contactEmail', telecomPath);
  m.origin('/referrer/contactPhone', telecomPath);
  return {
    organisation,
    ...(odsCode ? { odsCode } : {}),
    ...(contactName ? { contactName } : {}),
    ...(contactEmail ? { contactEmail } : {}),
    ...(contactPhone ? { contactPhone } : {}),
  };
}

function sourceOf(m: Mapper, sr: Json, context: MappingContext): ReferralSource {
  const expression = ext('ServiceRequest', ukCoreExtensions.sourceOfServiceRequest);
  const found = extensionsOf(sr, ukCoreExtensions.sourceOfServiceRequest)[0];
  m.origin('/source', expression);
  if (!found) {
    if (context.partner) {
      m.warn('required', expression, "No SourceOfServiceRequest extension: the referral source is the partner's registered organisation type.");
      return sourceByOrganisationType[context.partner.organisationType];
    }
    m.warn('required', expression, 'No SourceOfServiceRequest extension: the referral source is recorded as other.');
    return 'other';
  }
  for (const coding of codings(found.valueCodeableConcept)) {
    if (typeof coding.code !== 'string') continue;
    if (sameSystem(coding.system, fhirSystems.snomed) && coding.code in snomedReferralSources) {
      return snomedReferralSources[coding.code] ?? 'other';
    }
    if (sameSystem(coding.system, workwellFhir.referralSourceSystem) && (referralSources as readonly string[]).includes(coding.code)) {
      return coding.code as ReferralSource;
    }
  }
  m.warn('value', expression, 'The SourceOfServiceRequest code is not one the service maps: the referral source is recorded as other.');
  return 'other';
}

function categoryOfConcept(concept: unknown): ConditionCategory | undefined {
  for (const coding of codings(concept)) {
    if (sameSystem(coding.system, fhirSystems.snomed) && typeof coding.code === 'string') {
      const category = snomedConditionCategories[coding.code];
      if (category) return category;
    }
  }
  const words = [isObject(concept) ? text(concept.text) : undefined, ...codings(concept).map((c) => text(c.display))].filter(
    (s) => s !== undefined,
  );
  for (const [pattern, category] of conditionKeywords) {
    if (words.some((word) => pattern.test(word))) return category;
  }
  return undefined;
}

function describeConcept(concept: unknown): string | undefined {
  if (!isObject(concept)) return undefined;
  return text(concept.text) ?? codings(concept).map((c) => text(c.display)).find((d) => d !== undefined);
}

/** Whether a resource is about the patient (or does not say whom it is about). */
function isAbout(doc: Document, resource: Json, key: 'subject' | 'patient', patient: Located | undefined): boolean {
  const ref = resource[key];
  return !patient || !isObject(ref) || ref.reference === undefined || doc.resolve(ref) === patient.resource;
}

const retracted = new Set(['entered-in-error', 'cancelled', 'revoked']);

/**
 * The reasons for the referral, from where BaRS puts them, in this order: the ServiceRequest's
 * reasonCode and reasonReference; else the patient's Conditions; else the reasonCode of the
 * Encounter the request came from; else the text of CarePlans and Observations. With none, the
 * condition is recorded as other, with a warning.
 */
function reasonsOf(m: Mapper, sr: Json, doc: Document, patient: Located | undefined): { concept: unknown; expression: string }[] {
  const concepts: { concept: unknown; expression: string }[] = [];
  m.list(sr, 'reasonCode', 'ServiceRequest.reasonCode').forEach((concept, index) =>
    concepts.push({ concept, expression: `ServiceRequest.reasonCode[${index}]` }),
  );
  m.list(sr, 'reasonReference', 'ServiceRequest.reasonReference').forEach((reference, index) => {
    const found = doc.resolve(reference);
    if (found && (found.resourceType === 'Condition' || found.resourceType === 'Observation')) {
      concepts.push({ concept: found.code, expression: `ServiceRequest.reasonReference[${index}]` });
    } else if (isObject(reference) && text(reference.display)) {
      concepts.push({ concept: { text: reference.display }, expression: `ServiceRequest.reasonReference[${index}]` });
    }
  });
  if (concepts.length) return concepts;

  const conditions = doc
    .ofType('Condition')
    .filter((condition) => isAbout(doc, condition, 'subject', patient))
    .filter((condition) => !codings(condition.verificationStatus).some((c) => c.code === 'entered-in-error' || c.code === 'refuted'));
  if (conditions.length) return conditions.map((condition) => ({ concept: condition.code, expression: 'Condition.code' }));

  const encounter = doc.resolve(sr.encounter);
  const encounters = encounter?.resourceType === 'Encounter' ? [encounter] : doc.ofType('Encounter');
  for (const found of encounters) {
    const codes = objects(found.reasonCode);
    if (codes.length) return codes.map((concept) => ({ concept, expression: 'Encounter.reasonCode' }));
  }

  const narrative: { concept: unknown; expression: string }[] = [];
  for (const plan of doc.ofType('CarePlan').filter((p) => !retracted.has(String(p.status)) && isAbout(doc, p, 'subject', patient))) {
    const texts = [
      text(plan.description),
      ...objects(plan.activity).flatMap((activity) => [
        ...objects(activity.outcomeCodeableConcept).map(describeConcept),
        isObject(activity.detail) ? text(activity.detail.description) : undefined,
      ]),
      ...objects(plan.note).map((note) => text(note.text)),
    ].filter((t) => t !== undefined);
    for (const t of texts) narrative.push({ concept: { text: t }, expression: 'CarePlan' });
  }
  for (const observation of doc.ofType('Observation').filter((o) => !retracted.has(String(o.status)) && isAbout(doc, o, 'subject', patient))) {
    if (employmentSituation(observation)) continue;
    const notes = (isObject(observation.note) ? [observation.note] : objects(observation.note)).map((note) => text(note.text));
    const texts = [text(observation.valueString), ...notes].filter((t) => t !== undefined);
    if (texts.length) narrative.push({ concept: { ...(isObject(observation.code) ? observation.code : {}), text: texts.join(' ') }, expression: 'Observation' });
  }
  return narrative;
}

function healthOf(m: Mapper, sr: Json, doc: Document, patient: Located | undefined): ReferralInput['health'] {
  const concepts = reasonsOf(m, sr, doc, patient);
  if (concepts.length === 0) {
    m.warn(
      'required',
      'ServiceRequest.reasonCode',
      'No reason for the referral (ServiceRequest reasonCode or reasonReference, Condition, Encounter reasonCode, CarePlan or Observation): the condition is recorded as other.',
    );
    m.origin('/health/conditions', 'ServiceRequest.reasonCode');
    return { conditions: ['other'] };
  }
  const conditions: ConditionCategory[] = [];
  for (const { concept, expression } of concepts) {
    const category = categoryOfConcept(concept);
    if (!category) {
      m.warn('value', expression, 'The reason is not a condition the service maps: it is recorded as other.');
    }
    const resolved = category ?? 'other';
    if (!conditions.includes(resolved)) conditions.push(resolved);
  }
  m.origin('/health/conditions', concepts[0]?.expression.replace(/\[\d+\]$/, '') ?? 'ServiceRequest.reasonCode');
  // Keep the referral model's order of categories.
  conditions.sort((a, b) => conditionCategories.indexOf(a) - conditionCategories.indexOf(b));

  const reasons = concepts.map(({ concept }) => describeConcept(concept)).filter((s) => s !== undefined);
  const notes = m.list(sr, 'note', 'ServiceRequest.note').map((note) => text(note.text)).filter((s) => s !== undefined);
  const parts = [reasons.length ? `Reasons: ${reasons.join('; ')}` : undefined, ...notes].filter((s) => s !== undefined);
  const details = parts.length ? cap(parts.join('\n\n'), MAX_DETAILS) : undefined;
  if (details) m.origin('/health/details', 'ServiceRequest.note');
  return { conditions, ...(details ? { details } : {}) };
}

/** Cut text to `max` characters, marking the cut. */
function cap(value: string, max: number): string {
  return value.length <= max ? value : `${value.slice(0, max - 1).trimEnd()}…`;
}

function workOf(m: Mapper, sr: Json, doc: Document, patient: Located | undefined): ReferralInput['work'] | undefined {
  const url = workwellFhir.workSituation;
  const found = extensionsOf(sr, url)[0];
  if (found) {
    const situationExt = extensionsOf(found, 'situation')[0];
    const situation = situationExt?.valueCode;
    m.origin('/work/situation', ext('ServiceRequest', url, 'situation'));
    if (typeof situation !== 'string') {
      return m.error('required', ext('ServiceRequest', url, 'situation'), `The WorkSituation extension needs a situation valueCode: ${workSituations.join(', ')}.`);
    }
    if (!(workSituations as readonly string[]).includes(situation)) {
      return m.error('value', ext('ServiceRequest', url, 'situation'), `The work situation must be one of ${workSituations.join(', ')}.`);
    }
    const work: { -readonly [K in keyof ReferralInput['work']]: ReferralInput['work'][K] } = { situation: situation as WorkSituation };
    const sub = (name: 'employer' | 'sickLeaveStart' | 'lastWorkedDate' | 'hasFitNote', key: string) => {
      const expression = ext('ServiceRequest', url, name);
      const entry = extensionsOf(found, name)[0];
      m.origin(`/work/${name}`, expression);
      if (entry && entry[key] === undefined) m.error('value', expression, `The ${name} sub-extension must have a ${key}.`);
      return entry?.[key];
    };
    const employer = sub('employer', 'valueString');
    const sickLeaveStart = sub('sickLeaveStart', 'valueDate');
    const lastWorkedDate = sub('lastWorkedDate', 'valueDate');
    const hasFitNote = sub('hasFitNote', 'valueBoolean');
    if (employer !== undefined) work.employer = employer as string;
    if (sickLeaveStart !== undefined) work.sickLeaveStart = sickLeaveStart as string;
    if (lastWorkedDate !== undefined) work.lastWorkedDate = lastWorkedDate as string;
    if (hasFitNote !== undefined) work.hasFitNote = hasFitNote as boolean;
    return work;
  }
  // An employment status Observation about the patient.
  for (const observation of doc.ofType('Observation')) {
    if (!isAbout(doc, observation, 'subject', patient) || retracted.has(String(observation.status))) continue;
    const situation = employmentSituation(observation);
    if (situation) {
      m.origin('/work', 'Observation.valueCodeableConcept');
      return { situation };
    }
  }
  m.origin('/work', ext('ServiceRequest', url));
  m.warn(
    'required',
    ext('ServiceRequest', url),
    `No work situation (WorkSituation extension, or an Observation valued with a SNOMED CT employment finding): recorded as unknown, to be asked at first contact.`,
  );
  return { situation: 'unknown' };
}

/** The work situation an employment status Observation records (its SNOMED CT value), if any. */
function employmentSituation(observation: Json): WorkSituation | undefined {
  for (const coding of codings(observation.valueCodeableConcept)) {
    const situation = sameSystem(coding.system, fhirSystems.snomed) && typeof coding.code === 'string' ? snomedWorkSituations[coding.code] : undefined;
    if (situation) return situation;
  }
  return undefined;
}

function needsOf(m: Mapper, sr: Json, flags: readonly Json[]): ReferralInput['needs'] {
  const url = workwellFhir.referralNeeds;
  const found = extensionsOf(sr, url)[0];
  m.origin('/needs', ext('ServiceRequest', url));
  const safeguarding = flags.some(isSafeguarding);
  if (safeguarding) m.warn('informational', 'Flag', 'A safeguarding concern is flagged: the referral goes to review before anyone is contacted.');
  const concern = safeguarding ? { safeguardingConcern: true } : {};
  if (!found) {
    m.warn(
      'required',
      ext('ServiceRequest', url),
      'No ReferralNeeds extension: recorded as no complex needs and no immediate risk. Send it whenever either applies.',
    );
    return { complexNeeds: false, immediateRisk: false, support: [], ...concern };
  }
  const flag = (name: 'complexNeeds' | 'immediateRisk'): boolean => {
    const expression = ext('ServiceRequest', url, name);
    m.origin(`/needs/${name}`, expression);
    const value = extensionsOf(found, name)[0]?.valueBoolean;
    if (value === undefined) {
      m.error('required', expression, `The ReferralNeeds extension needs ${name} (valueBoolean).`);
      return false;
    }
    if (typeof value !== 'boolean') {
      m.error('value', expression, `${name} must be a valueBoolean.`);
      return false;
    }
    return value;
  };
  const complexNeeds = flag('complexNeeds');
  const immediateRisk = flag('immediateRisk');
  const support: SupportNeed[] = [];
  extensionsOf(found, 'support').forEach((entry) => {
    const code = entry.valueCode;
    if (typeof code !== 'string' || !(supportNeeds as readonly string[]).includes(code)) {
      m.error('value', ext('ServiceRequest', url, 'support'), `Each support valueCode must be one of ${supportNeeds.join(', ')}.`);
    } else if (!support.includes(code as SupportNeed)) {
      support.push(code as SupportNeed);
    }
  });
  m.origin('/needs/support', ext('ServiceRequest', url, 'support'));
  return { complexNeeds, immediateRisk, support, ...concern };
}

function evaluationContact(m: Mapper, resources: readonly { resource: Json; path: string }[]): boolean {
  for (const { resource, path } of resources) {
    const found = extensionsOf(resource, workwellFhir.evaluationContactConsent)[0];
    if (!found) continue;
    const expression = ext(path, workwellFhir.evaluationContactConsent);
    m.origin('/consent/evaluationContact', expression);
    if (typeof found.valueBoolean !== 'boolean') {
      m.error('value', expression, 'The EvaluationContactConsent extension must have a valueBoolean.');
      return false;
    }
    return found.valueBoolean;
  }
  return false;
}

/** A FHIR dateTime as the referral model keeps it: date-only values become the start of that day (UTC), with a warning. */
function consentTime(m: Mapper, value: unknown, expression: string): string | undefined {
  if (typeof value !== 'string') return undefined;
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) return value;
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    m.warn('informational', expression, `${expression} is a date without a time: recorded as the start of that day (UTC).`);
    return `${value}T00:00:00Z`;
  }
  m.error('value', expression, `${expression} must be a FHIR date or dateTime with a time zone.`);
  return undefined;
}

/**
 * The person's consent, in this order: an active Consent about the patient that permits (of any
 * category: BaRS sends direct care categories); the WorkWell ReferralConsent extension; else,
 * where the area does not require explicit consent, consent implied by a direct-care referral
 * (with a warning); where it does, a refusal that says so.
 */
function consentOf(m: Mapper, sr: Json, doc: Document, patient: Located | undefined, context: MappingContext): ReferralInput['consent'] | undefined {
  const consents = doc.ofType('Consent').filter((consent) => isAbout(doc, consent, 'patient', patient));
  if (consents.length) {
    const active = consents.find((consent) => consent.status === 'active');
    if (!active) {
      return m.error('value', 'Consent.status', 'The Consent must be active: the person has agreed to the referral.');
    }
    const provision = isObject(active.provision) ? active.provision : undefined;
    if (provision?.type === 'deny') {
      return m.error('value', 'Consent.provision.type', 'The Consent denies the referral: only a permitting consent is a referral consent.');
    }
    m.origin('/consent/recordedAt', 'Consent.dateTime');
    m.origin('/consent/method', 'Consent.category');
    m.origin('/consent', 'Consent');
    let recordedAt = consentTime(m, active.dateTime, 'Consent.dateTime');
    if (active.dateTime === undefined) {
      recordedAt = consentTime(m, sr.authoredOn, 'ServiceRequest.authoredOn') ?? context.receivedAt;
      m.warn('required', 'Consent.dateTime', 'Consent.dateTime is absent: the consent is dated when the referral was written (or received).');
    }
    const method = m
      .list(active, 'category', 'Consent.category')
      .flatMap((category) => codings(category))
      .find((coding) => sameSystem(coding.system, workwellFhir.consentMethodSystem))?.code;
    let consentMethod: ConsentMethod = 'not_stated';
    if (method === undefined) {
      m.warn('informational', 'Consent.category', 'The Consent does not say how consent was given: recorded as not stated.');
    } else if (typeof method !== 'string' || !(statedConsentMethods as readonly string[]).includes(method)) {
      m.error('value', 'Consent.category', `The consent method code must be one of ${statedConsentMethods.join(', ')}.`);
    } else {
      consentMethod = method as ConsentMethod;
    }
    const evaluation = evaluationContact(m, [
      { resource: active, path: 'Consent' },
      { resource: sr, path: 'ServiceRequest' },
    ]);
    if (recordedAt === undefined) return m.error('required', 'Consent.dateTime', 'Consent.dateTime is required: when the person agreed.');
    return { given: true, recordedAt, method: consentMethod, evaluationContact: evaluation };
  }

  const url = workwellFhir.referralConsent;
  const found = extensionsOf(sr, url)[0];
  if (found) {
    const method = extensionsOf(found, 'method')[0]?.valueCode;
    const recordedAt = extensionsOf(found, 'recordedAt')[0]?.valueDateTime;
    m.origin('/consent/method', ext('ServiceRequest', url, 'method'));
    m.origin('/consent/recordedAt', ext('ServiceRequest', url, 'recordedAt'));
    m.origin('/consent', ext('ServiceRequest', url));
    if (typeof method !== 'string' || !(statedConsentMethods as readonly string[]).includes(method)) {
      m.error('required', ext('ServiceRequest', url, 'method'), `The ReferralConsent extension needs a method valueCode: ${statedConsentMethods.join(', ')}.`);
    }
    if (typeof recordedAt !== 'string') {
      m.error('required', ext('ServiceRequest', url, 'recordedAt'), 'The ReferralConsent extension needs recordedAt (valueDateTime with a time zone).');
    }
    const evaluation = evaluationContact(m, [{ resource: sr, path: 'ServiceRequest' }]);
    if (typeof method !== 'string' || typeof recordedAt !== 'string') return undefined;
    return { given: true, recordedAt, method: method as ConsentMethod, evaluationContact: evaluation };
  }

  if (context.explicitConsentRequired ?? true) {
    return m.error(
      'required',
      ['Consent', ext('ServiceRequest', url)],
      "This area requires the person's explicit consent to the referral: an active Consent resource about the patient (or the ReferralConsent extension).",
    );
  }
  const recordedAt = consentTime(m, sr.authoredOn, 'ServiceRequest.authoredOn') ?? context.receivedAt;
  if (recordedAt === undefined) {
    return m.error('required', 'Consent', "The person's consent to the referral is required: an active Consent resource about the patient.");
  }
  m.origin('/consent', 'Consent');
  m.warn(
    'required',
    'Consent',
    'No Consent resource: recorded as consent implied by a direct-care referral, dated when the referral was written (or received). Evaluation contact is not assumed.',
  );
  return { given: true, recordedAt, method: 'implied', evaluationContact: evaluationContact(m, [{ resource: sr, path: 'ServiceRequest' }]) };
}

const safeguardingPattern = /safeguarding/i;
const adjustmentPattern = /reasonable adjustment/i;

/** Active Flags about the patient: referenced from ServiceRequest.supportingInfo, or in the Bundle. */
function flagsAbout(m: Mapper, sr: Json, doc: Document, patient: Located | undefined): Json[] {
  const flags = new Set<Json>();
  m.list(sr, 'supportingInfo', 'ServiceRequest.supportingInfo').forEach((reference) => {
    const found = doc.resolve(reference);
    if (found?.resourceType === 'Flag') flags.add(found);
  });
  for (const flag of doc.ofType('Flag')) {
    if (isAbout(doc, flag, 'subject', patient)) flags.add(flag);
  }
  return [...flags].filter((flag) => flag.status === undefined || flag.status === 'active');
}

/** The category codes and words of a Flag. */
function flagCategories(flag: Json): { codes: string[]; systems: string[]; words: string[] } {
  const categories = objects(flag.category);
  const all = categories.flatMap((category) => codings(category));
  return {
    codes: all.map((c) => (typeof c.code === 'string' ? c.code.toUpperCase() : '')),
    systems: all.map((c) => (typeof c.system === 'string' ? c.system : '')),
    words: [...categories.map((c) => text(c.text)), ...all.map((c) => text(c.display))].filter((w) => w !== undefined),
  };
}

/** BaRS and the NHS Reasonable Adjustment Flag: category RA or NRAF, an RA category code system, or the words. */
function isReasonableAdjustment(flag: Json): boolean {
  const { codes, systems, words } = flagCategories(flag);
  return (
    codes.includes('NRAF') ||
    codes.includes('RA') ||
    systems.some((system) => sameSystem(system, fhirSystems.reasonableAdjustmentFlagCategory) || /RARecord|RA-FlagCategory/i.test(system)) ||
    words.some((word) => adjustmentPattern.test(word))
  );
}

/** BaRS safeguarding flags: category SG, or the word. */
function isSafeguarding(flag: Json): boolean {
  const { codes, words } = flagCategories(flag);
  return codes.includes('SG') || words.some((word) => safeguardingPattern.test(word));
}

function adjustmentsOf(m: Mapper, flags: readonly Json[]): string[] {
  const adjustments: string[] = [];
  for (const flag of flags.filter(isReasonableAdjustment)) {
    const description = describeConcept(flag.code);
    if (description && !adjustments.includes(description)) adjustments.push(cap(description, MAX_ADJUSTMENT_LENGTH));
  }
  if (adjustments.length > MAX_ADJUSTMENTS) {
    m.warn('too-long', 'ServiceRequest.supportingInfo', `Only the first ${MAX_ADJUSTMENTS} reasonable adjustments are kept.`);
  }
  if (adjustments.length) m.origin('/reasonableAdjustments', 'Flag.code');
  const ignored = flags.filter((flag) => !isReasonableAdjustment(flag) && !isSafeguarding(flag)).length;
  if (ignored) {
    m.warn('not-supported', 'Flag', 'Flags other than reasonable adjustments and safeguarding concerns are not kept.');
  }
  return adjustments.slice(0, MAX_ADJUSTMENTS);
}
