import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadArea } from '../../areas/index.ts';
import { barsErrorCode, barsOutcome, responseMessage } from '../../functions/domain/bars.ts';
import { cancellationOf, type FhirIssue, type MappingContext, parseFhirReferral, sameSystem } from '../../functions/domain/fhir.ts';
import { triage } from '../../functions/domain/triage.ts';
import { type Json, resourceOf } from './support.ts';

/**
 * The mapping of BaRS messages, element by element, in the documented order of preference
 * (README, "FHIR referrals"), on copies of the public 999-to-CAS example
 * (test/fixtures/fhir/bars/SOURCES.md). Pure: no I/O.
 */
const example = (): Json =>
  JSON.parse(readFileSync(new URL('../fixtures/fhir/bars/referral-999-to-cas.json', import.meta.url), 'utf8')) as Json;

const partner: MappingContext['partner'] = { name: 'Example Medical Centre', odsCode: 'C88001', organisationType: 'gp' };
const context: MappingContext = { partner, explicitConsentRequired: false, receivedAt: '2026-03-02T09:00:00Z' };

/** The example's personal and health values: none may appear in a warning or an issue. */
const personal = ['Julie', 'Jones', '01138698975', 'LS10 4YU', '3478526981', '1959-05-04', 'BLAKE', 'Marcy', 'needle', 'anxious'];

function accepted(bundle: Json, with_: MappingContext = context) {
  const result = parseFhirReferral(bundle, with_);
  if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.issues)}`);
  const said = JSON.stringify(result.warnings);
  for (const value of personal) expect(said).not.toContain(value);
  return result;
}

function refused(bundle: Json, with_: MappingContext = context) {
  const result = parseFhirReferral(bundle, with_);
  if (result.ok) throw new Error('accepted');
  const said = JSON.stringify(result.issues);
  for (const value of personal) expect(said).not.toContain(value);
  return result;
}

const at = (issues: readonly FhirIssue[], expression: string) => issues.find((issue) => issue.expression.includes(expression));

/** Add a resource to a Bundle, with a urn:uuid fullUrl, and return its reference. */
function add(bundle: Json, resource: Json): { reference: string } {
  const id = resource.id ?? crypto.randomUUID();
  (bundle.entry as Json[]).push({ fullUrl: `urn:uuid:${id}`, resource: { ...resource, id } });
  return { reference: `urn:uuid:${id}` };
}

const patientRef = (bundle: Json) => ({ reference: `urn:uuid:${resourceOf(bundle, 'Patient').id}` });

describe('the referrer, in order of preference', () => {
  it("the organisation of the requesting Practitioner's PractitionerRole, its ODS system compared without case", () => {
    const bundle = example();
    add(bundle, {
      resourceType: 'Organization',
      id: '33a33b58-648a-4453-b981-e21ea9ggb4hj',
      name: 'Example Surgery',
      identifier: [{ system: 'https://fhir.nhs.uk/Id/ODS-Organization-Code', value: 'y12345' }],
    });
    const { referral } = accepted(bundle);
    expect(referral.referrer).toEqual({ organisation: 'Example Surgery', odsCode: 'Y12345', contactName: 'Marcy BLAKE', contactPhone: '0205568263' });
  });

  it('else the MessageHeader sender, said in the answer', () => {
    const { referral, warnings } = accepted(example());
    expect(referral.referrer.organisation).toBe('Sender Organization');
    expect(at(warnings, 'ServiceRequest.requester')?.diagnostics).toMatch(/MessageHeader sender/);
  });

  it("else the partner's registered organisation, with a warning; with no partner to fall back on, refused", () => {
    const bundle = example();
    delete resourceOf(bundle, 'MessageHeader').sender;
    const { referral, warnings } = accepted(bundle);
    expect(referral.referrer).toMatchObject({ organisation: 'Example Medical Centre', odsCode: 'C88001' });
    expect(at(warnings, 'ServiceRequest.requester')?.severity).toBe('warning');
    expect(at(refused(bundle, { ...context, partner: undefined }).issues, 'ServiceRequest.requester')?.code).toBe('required');
  });

  it("the source from the partner's organisation type when the message has no SourceOfServiceRequest", () => {
    const { referral, warnings } = accepted(example(), { ...context, partner: { name: 'An employer', organisationType: 'employer' } });
    expect(referral.source).toBe('employer');
    expect(warnings.some((w) => w.diagnostics.includes('SourceOfServiceRequest'))).toBe(true);
  });
});

describe('the reason, in order of preference', () => {
  const withoutReason = () => {
    const bundle = example();
    delete resourceOf(bundle, 'ServiceRequest').reasonCode;
    return bundle;
  };

  it('the ServiceRequest reasonCode (an unmapped code is other, with a warning)', () => {
    const { referral, warnings } = accepted(example());
    expect(referral.health.conditions).toEqual(['other']);
    expect(at(warnings, 'ServiceRequest.reasonCode[0]')?.code).toBe('value');
  });

  it("else the patient's Conditions", () => {
    const bundle = withoutReason();
    add(bundle, { resourceType: 'Condition', subject: patientRef(bundle), code: { coding: [{ system: 'http://snomed.info/sct', code: '35489007' }] } });
    expect(accepted(bundle).referral.health.conditions).toEqual(['mental_health']);
  });

  it('else the reasonCode of the Encounter the request came from', () => {
    const bundle = withoutReason();
    resourceOf(bundle, 'Encounter').reasonCode = [{ coding: [{ system: 'http://snomed.info/sct', code: '279039007', display: 'Low back pain' }] }];
    expect(accepted(bundle).referral.health.conditions).toEqual(['musculoskeletal']);
  });

  it('else the text of CarePlans and Observations', () => {
    const plan = withoutReason();
    add(plan, { resourceType: 'CarePlan', status: 'active', intent: 'plan', subject: patientRef(plan), description: 'Support for stress at work' });
    expect(accepted(plan).referral.health.conditions).toEqual(['mental_health']);

    const observed = withoutReason();
    add(observed, { resourceType: 'Observation', status: 'final', subject: patientRef(observed), code: { text: 'Narrative' }, note: [{ text: 'Knee arthritis' }] });
    expect(accepted(observed).referral.health.conditions).toEqual(['musculoskeletal']);
  });

  it('with none, other and a warning', () => {
    const { referral, warnings } = accepted(withoutReason());
    expect(referral.health).toEqual({ conditions: ['other'] });
    expect(at(warnings, 'ServiceRequest.reasonCode')?.code).toBe('required');
  });
});

describe('work situation, consent, contact details and flags', () => {
  it('the work situation is unknown unless said; triage asks rather than refuses', () => {
    const { referral, warnings } = accepted(example());
    expect(referral.work).toEqual({ situation: 'unknown' });
    expect(warnings.some((w) => w.diagnostics.includes('first contact'))).toBe(true);

    const area = loadArea('south-yorkshire');
    const local = { ...referral, participant: { ...referral.participant, postcode: 'S1 2HE', dateOfBirth: '1985-06-15' } };
    const decision = triage(local, area, '2026-03-02');
    expect(decision.reason).not.toBe('situation_not_in_scope');
    expect(decision.outcome).not.toBe('not_eligible');

    const employed = example();
    add(employed, {
      resourceType: 'Observation',
      status: 'final',
      subject: patientRef(employed),
      code: { text: 'Employment status' },
      valueCodeableConcept: { coding: [{ system: 'http://snomed.info/sct', code: '73438004' }] },
    });
    expect(accepted(employed).referral.work).toEqual({ situation: 'out_of_work' });
  });

  it('an active Consent of any category, date-only, kept as not stated', () => {
    const bundle = example();
    add(bundle, {
      resourceType: 'Consent',
      status: 'active',
      scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'treatment' }] },
      category: [{ coding: [{ system: 'http://snomed.info/sct', code: '887031000000108', display: 'Direct care' }] }],
      patient: patientRef(bundle),
      dateTime: '2026-03-01',
      provision: { type: 'permit' },
    });
    const { referral, warnings } = accepted(bundle, { ...context, explicitConsentRequired: true });
    expect(referral.consent).toEqual({ given: true, recordedAt: '2026-03-01T00:00:00Z', method: 'not_stated', evaluationContact: false });
    expect(at(warnings, 'Consent.dateTime')?.severity).toBe('warning');
    expect(at(warnings, 'Consent.category')?.severity).toBe('warning');
  });

  it('no Consent: implied where the area allows (dated when written), refused where it requires explicit consent', () => {
    const { referral, warnings } = accepted(example());
    expect(referral.consent).toMatchObject({ method: 'implied', recordedAt: '2021-10-13T16:28:00+07:00' });
    expect(at(warnings, 'Consent')?.severity).toBe('warning');
    const result = refused(example(), { ...context, explicitConsentRequired: true });
    expect(result.httpStatus).toBe(422);
    expect(at(result.issues, 'Consent')?.diagnostics).toMatch(/This area requires/);
  });

  it("the person's own phone and e-mail under Patient.contact (ONESELF); other contacts are not kept, and said", () => {
    const bundle = example();
    const patient = resourceOf(bundle, 'Patient');
    delete patient.telecom;
    patient.contact = [
      {
        relationship: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', code: 'ONESELF' }] }],
        telecom: [
          { system: 'email', value: 'person@example.com' },
          { system: 'phone', value: '07700 900789', use: 'mobile' },
        ],
      },
      { relationship: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0131', code: 'N' }] }], telecom: [{ system: 'phone', value: '07700 900111' }] },
    ];
    const { referral, warnings } = accepted(bundle);
    expect(referral.participant).toMatchObject({ email: 'person@example.com', phone: '07700 900789', preferredChannel: 'email' });
    expect(at(warnings, 'Patient.contact[1]')?.code).toBe('not-supported');
  });

  it('reasonable adjustment flags are kept for contacting the person; a safeguarding flag sends the referral to review', () => {
    const bundle = example();
    const subject = patientRef(bundle);
    add(bundle, {
      resourceType: 'Flag',
      status: 'active',
      subject,
      category: [{ coding: [{ system: 'https://fhir.nhs.uk/STU3/ValueSet/ValueSet-RARecord-AdjustmentCategories-1', code: 'personalisation' }] }],
      code: { text: 'Adjust for needle phobia' },
    });
    add(bundle, {
      resourceType: 'Flag',
      status: 'active',
      subject,
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/flag-category/newvalueset', code: 'SG', display: 'Safeguarding Concern' }] }],
      code: { text: 'Child at risk' },
    });
    add(bundle, { resourceType: 'Flag', status: 'active', subject, category: [{ coding: [{ code: 'behavioral' }] }], code: { text: 'Patient choice' } });
    const { referral, warnings } = accepted(bundle);
    expect(referral.reasonableAdjustments).toEqual(['Adjust for needle phobia']);
    expect(referral.needs.safeguardingConcern).toBe(true);
    expect(at(warnings, 'Flag')).toBeDefined();
    const local = { ...referral, participant: { ...referral.participant, postcode: 'S1 2HE', dateOfBirth: '1985-06-15' } };
    expect(triage(local, loadArea('south-yorkshire'), '2026-03-02')).toMatchObject({ outcome: 'needs_review', reason: 'complex_needs' });
  });

  it('identifier and code systems are compared as the same system whatever their case', () => {
    expect(sameSystem('https://fhir.nhs.uk/Id/NHS-Number', 'https://fhir.nhs.uk/Id/nhs-number')).toBe(true);
    expect(sameSystem('http://snomed.info/sct/', 'http://snomed.info/sct')).toBe(true);
    expect(sameSystem('http://snomed.info/sct??', 'http://snomed.info/sct')).toBe(false);
    const bundle = example();
    resourceOf(bundle, 'Patient').identifier[0].system = 'https://fhir.nhs.uk/Id/NHS-Number';
    expect(accepted(bundle).referral.participant.nhsNumber).toBe('3478526981');
  });
});

describe('messages', () => {
  it('what is sent and not kept is said, naming no value', () => {
    const { warnings } = accepted(example());
    expect(at(warnings, 'Bundle.entry')?.diagnostics).toMatch(/^1 resource\(s\) of types the service does not read/);
    expect(at(warnings, 'ServiceRequest')?.diagnostics).toBe('These ServiceRequest elements are not kept: occurrencePeriod, performer, locationReference.');
  });

  it('an event other than BaRS servicerequest-request focusing a ServiceRequest is read as a referral, with a warning; another BaRS event is refused', () => {
    expect(at(accepted(example()).warnings, 'MessageHeader.eventCoding')?.severity).toBe('warning');
    const booking = example();
    resourceOf(booking, 'MessageHeader').eventCoding = { system: 'https://fhir.nhs.uk/CodeSystem/message-events-bars', code: 'booking-request' };
    const result = refused(booking);
    expect(result.httpStatus).toBe(422);
    expect(at(result.issues, 'MessageHeader.eventCoding')?.code).toBe('not-supported');
  });

  it('round trip: the response message names the referral, and a cancellation naming it reads back as one', () => {
    const request = example();
    const referralId = '0b7f3c52-9a1e-4d8b-8c3f-5e2a1d9b7c40';
    const ids = { bundle: crypto.randomUUID(), header: crypto.randomUUID(), outcome: crypto.randomUUID() };
    const answer = responseMessage({ ids, timestamp: '2026-03-02T09:00:00Z', request, referralId, status: 'active', outcome: barsOutcome(200, []) }) as Json;
    const [header, serviceRequest, outcome] = (answer.entry as Json[]).map((e) => e.resource as Json);
    expect(header).toMatchObject({ resourceType: 'MessageHeader', response: { identifier: request.id, code: 'ok' }, focus: [{ reference: `urn:uuid:${referralId}` }] });
    expect(serviceRequest).toMatchObject({ resourceType: 'ServiceRequest', id: referralId, status: 'active' });
    expect(outcome).toMatchObject({ resourceType: 'OperationOutcome', id: ids.outcome });
    for (const value of personal) expect(JSON.stringify(answer)).not.toContain(value);

    const cancel = example();
    resourceOf(cancel, 'MessageHeader').reason.coding[0].code = 'update';
    Object.assign(resourceOf(cancel, 'ServiceRequest'), { status: 'entered-in-error', identifier: [{ value: serviceRequest!.id }] });
    expect(cancellationOf(cancel)).toEqual({ referralIds: ['236bb75d-90ef-461f-b71e-fde7f899802c', referralId], status: 'entered-in-error' });
    expect(cancellationOf(example())).toBeUndefined();
  });

  it('errors carry the BaRS code of their HTTP status', () => {
    expect(barsErrorCode(422).code).toBe('REC_UNPROCESSABLE_ENTITY');
    expect(barsErrorCode(418).code).toBe('REC_BAD_REQUEST');
    expect(barsErrorCode(504).code).toBe('REC_SERVER_ERROR');
    const outcome = barsOutcome(401, [{ severity: 'error', code: 'login', expression: [], diagnostics: 'A partner credential is required.' }]);
    expect(outcome.issue[0]?.details?.coding?.[0]).toMatchObject({ code: 'REC_UNAUTHORIZED' });
  });
});
