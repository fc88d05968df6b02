import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  fhirExpressionFor,
  type FhirIssue,
  fhirSystems,
  mapFhirReferral,
  operationOutcome,
  parseFhirReferral,
  snomedConditionCategories,
  snomedReferralSources,
  ukCoreExtensions,
  workwellFhir,
} from '../../functions/domain/fhir.ts';
import { isValidNhsNumber } from '../../functions/domain/nhs-number.ts';
import { ReferralSchema, referralSources } from '../../functions/domain/referral.ts';
import { conditionCategories } from '../../areas/schema.ts';
import {
  containedRequest,
  dropExtension,
  extensionOf,
  gpBundle,
  type Json,
  personalValues,
  resourceOf,
  withoutEntry,
} from './support.ts';

const referralJson = JSON.parse(readFileSync(new URL('../fixtures/referral.json', import.meta.url), 'utf8')) as Json;

function accepted(resource: unknown) {
  const result = parseFhirReferral(resource);
  if (!result.ok) throw new Error(`rejected: ${JSON.stringify(result.issues)}`);
  return result;
}

function rejected(resource: unknown) {
  const result = parseFhirReferral(resource);
  if (result.ok) throw new Error('accepted');
  const outcome = JSON.stringify(operationOutcome(result.issues));
  // No personal or health value sent, and no value that was refused, ever comes back.
  for (const value of [...personalValues, ...refusedValues]) expect(outcome).not.toContain(value);
  return { ...result, outcome };
}

const refusedValues = ['9434765918', 'NOT A POSTCODE', 'alex.example@@example', 'somewhere_else', 'C8800'];

function issueAt(issues: readonly FhirIssue[], expression: string): FhirIssue {
  const found = issues.find((issue) => issue.expression.includes(expression));
  if (!found) throw new Error(`no issue at ${expression}: ${JSON.stringify(issues)}`);
  return found;
}

function snomedSource(code: string, system: string = fhirSystems.snomed) {
  const sr = containedRequest();
  extensionOf(sr, ukCoreExtensions.sourceOfServiceRequest)!.valueCodeableConcept = { coding: [{ system, code }] };
  return mapFhirReferral(sr);
}

describe('round trip of the example resources', () => {
  it('maps the GP referral message Bundle onto the same referral as test/fixtures/referral.json', () => {
    const result = accepted(gpBundle());
    const expected = ReferralSchema.parse({
      ...referralJson,
      participant: { ...referralJson.participant, gpPracticeCode: 'C88001' },
      health: {
        conditions: ['musculoskeletal'],
        details:
          'Reasons: Low back pain\n\nLower back pain for six weeks after lifting at work; finding shifts on the production line hard and worried about keeping the job.',
      },
      reasonableAdjustments: ['Prefers appointments after 2pm'],
    });
    expect(result.referral).toEqual(expected);
    expect(result.priority).toBe('routine');
    expect(result.warnings).toEqual([]);
  });

  it('maps the same Bundle as a collection and as a transaction', () => {
    const expected = accepted(gpBundle()).referral;
    for (const type of ['collection', 'transaction']) {
      const bundle = { ...withoutEntry(gpBundle(), 'MessageHeader'), type };
      expect(accepted(bundle).referral).toEqual(expected);
    }
  });

  it('maps the pharmacist’s ServiceRequest with a contained Patient', () => {
    const result = accepted(containedRequest());
    expect(result.referral).toEqual(
      ReferralSchema.parse({
        source: 'primary_care',
        referrer: { organisation: 'Example Community Pharmacy', odsCode: 'FA123', contactPhone: '0114 496 0000' },
        participant: {
          givenName: 'Jo',
          familyName: 'Sample',
          dateOfBirth: '1979-11-02',
          nhsNumber: '9449306621',
          postcode: 'S10 2TN',
          gpPracticeCode: 'C88002',
          phone: '07700 900456',
          preferredChannel: 'sms',
        },
        work: { situation: 'out_of_work', lastWorkedDate: '2026-01-16' },
        health: { conditions: ['mental_health'], details: 'Reasons: Depressive disorder' },
        needs: { complexNeeds: false, immediateRisk: false, support: ['talking_therapy', 'employment_advice'] },
        consent: { given: true, recordedAt: '2026-03-03T14:05:00+00:00', method: 'written', evaluationContact: false },
        reasonableAdjustments: [],
      }),
    );
    expect(result.priority).toBe('urgent');
  });

  it('resolves relative (Type/id) and absolute references as well as urn:uuid ones', () => {
    // Every entry gets an absolute fullUrl; references become relative (Type/id), except the
    // requester, which uses the absolute URL.
    let text = JSON.stringify(gpBundle());
    for (const entry of gpBundle().entry as Json[]) {
      const { resourceType, id } = entry.resource;
      text = text
        .replaceAll(`"fullUrl":"${entry.fullUrl}"`, `"fullUrl":"https://gp-system.example.com/fhir/${resourceType}/${id}"`)
        .replaceAll(`"reference":"${entry.fullUrl}"`, `"reference":"${resourceType}/${id}"`);
    }
    const bundle = JSON.parse(text) as Json;
    const sr = resourceOf(bundle, 'ServiceRequest');
    expect(sr.subject.reference).toMatch(/^Patient\//);
    sr.requester = { reference: `https://gp-system.example.com/fhir/PractitionerRole/${resourceOf(bundle, 'PractitionerRole').id}` };
    expect(accepted(bundle).referral).toEqual(accepted(gpBundle()).referral);
  });
});

describe('rejections answer an OperationOutcome that names the element and echoes nothing', () => {
  it('missing subject', () => {
    const sr = containedRequest();
    delete sr.subject;
    const { issues, httpStatus } = rejected(sr);
    expect(httpStatus).toBe(422);
    expect(issueAt(issues, 'ServiceRequest.subject')).toMatchObject({ severity: 'error', code: 'required' });
  });

  it('a subject that is only an identifier, or does not resolve', () => {
    const bundle = gpBundle();
    resourceOf(bundle, 'ServiceRequest').subject = { identifier: { system: fhirSystems.nhsNumber, value: '9434765919' } };
    expect(issueAt(rejected(bundle).issues, 'ServiceRequest.subject').code).toBe('required');

    const dangling = gpBundle();
    resourceOf(dangling, 'ServiceRequest').subject = { reference: 'urn:uuid:00000000-0000-4000-8000-000000000000' };
    const { issues, httpStatus } = rejected(dangling);
    expect(httpStatus).toBe(400);
    expect(issueAt(issues, 'ServiceRequest.subject').code).toBe('structure');
  });

  it('an NHS number with a bad check digit', () => {
    expect(isValidNhsNumber('9434765918')).toBe(false);
    const bundle = gpBundle();
    (resourceOf(bundle, 'Patient').identifier as Json[])[0]!.value = '9434765918';
    const { issues, httpStatus } = rejected(bundle);
    expect(httpStatus).toBe(422);
    expect(issueAt(issues, 'Patient.identifier[0].value')).toMatchObject({ code: 'value' });
    expect(issueAt(issues, 'Patient.identifier[0].value').diagnostics).toMatch(/check digit/);
  });

  it.each([
    ['revoked', /cancel/],
    ['draft', /active/],
    ['entered-in-error', /active/],
    ['completed', /active/],
    ['on-hold', /active/],
  ])('status %s', (status, message) => {
    const bundle = gpBundle();
    resourceOf(bundle, 'ServiceRequest').status = status;
    const { issues, httpStatus } = rejected(bundle);
    expect(httpStatus).toBe(422);
    const issue = issueAt(issues, 'ServiceRequest.status');
    expect(issue.code).toBe('not-supported');
    expect(issue.diagnostics).toMatch(message);
  });

  it('a status or intent that is not FHIR, a missing one, an intent not accepted, a bad priority', () => {
    const cases: [(sr: Json) => void, string, string][] = [
      [(sr) => (sr.status = 'somewhere_else'), 'ServiceRequest.status', 'value'],
      [(sr) => delete sr.status, 'ServiceRequest.status', 'required'],
      [(sr) => (sr.intent = 'proposal'), 'ServiceRequest.intent', 'not-supported'],
      [(sr) => (sr.intent = 'somewhere_else'), 'ServiceRequest.intent', 'value'],
      [(sr) => delete sr.intent, 'ServiceRequest.intent', 'required'],
      [(sr) => (sr.priority = 'somewhere_else'), 'ServiceRequest.priority', 'value'],
    ];
    for (const [edit, expression, code] of cases) {
      const sr = containedRequest();
      edit(sr);
      expect(issueAt(rejected(sr).issues, expression).code).toBe(code);
    }
  });

  it('no consent at all', () => {
    const bundle = withoutEntry(gpBundle(), 'Consent');
    const { issues, httpStatus } = rejected(bundle);
    expect(httpStatus).toBe(422);
    const issue = issueAt(issues, 'Consent');
    expect(issue.code).toBe('required');
    expect(issue.expression).toContain(`ServiceRequest.extension('${workwellFhir.referralConsent}')`);
  });

  it('a Consent that is not active or denies; one with no time or method is dated and kept as not stated, with warnings', () => {
    const inactive = gpBundle();
    resourceOf(inactive, 'Consent').status = 'rejected';
    expect(issueAt(rejected(inactive).issues, 'Consent.status').code).toBe('value');

    const deny = gpBundle();
    resourceOf(deny, 'Consent').provision = { type: 'deny' };
    expect(issueAt(rejected(deny).issues, 'Consent.provision.type').code).toBe('value');

    const noTime = gpBundle();
    delete resourceOf(noTime, 'Consent').dateTime;
    delete resourceOf(noTime, 'ServiceRequest').authoredOn;
    expect(issueAt(rejected(noTime).issues, 'Consent.dateTime').code).toBe('required');
    const received = parseFhirReferral(noTime, { receivedAt: '2026-03-02T09:00:00Z' });
    expect(received.ok && received.referral.consent.recordedAt).toBe('2026-03-02T09:00:00Z');
    expect(received.ok && issueAt(received.warnings, 'Consent.dateTime').severity).toBe('warning');

    const noMethod = gpBundle();
    resourceOf(noMethod, 'Consent').category = [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }];
    const kept = accepted(noMethod);
    expect(kept.referral.consent.method).toBe('not_stated');
    expect(issueAt(kept.warnings, 'Consent.category').severity).toBe('warning');

    const dateOnly = gpBundle();
    resourceOf(dateOnly, 'Consent').dateTime = '2026-03-02';
    const dated = accepted(dateOnly);
    expect(dated.referral.consent.recordedAt).toBe('2026-03-02T00:00:00Z');
    expect(issueAt(dated.warnings, 'Consent.dateTime').severity).toBe('warning');

    const badTime = gpBundle();
    resourceOf(badTime, 'Consent').dateTime = 'yesterday';
    expect(issueAt(rejected(badTime).issues, 'Consent.dateTime').code).toBe('value');
  });

  it('an incomplete ReferralConsent extension', () => {
    const sr = containedRequest();
    const consent = extensionOf(sr, workwellFhir.referralConsent)!;
    consent.extension = (consent.extension as Json[]).filter((e) => e.url !== 'method');
    const url = `ServiceRequest.extension('${workwellFhir.referralConsent}').extension('method')`;
    expect(issueAt(rejected(sr).issues, url).code).toBe('required');
  });

  it('no work situation is unknown, with a warning; one outside the list is refused', () => {
    const sr = containedRequest();
    dropExtension(sr, workwellFhir.workSituation);
    const unknown = accepted(sr);
    expect(unknown.referral.work).toEqual({ situation: 'unknown' });
    expect(issueAt(unknown.warnings, `ServiceRequest.extension('${workwellFhir.workSituation}')`).code).toBe('required');

    const other = containedRequest();
    (extensionOf(other, workwellFhir.workSituation)!.extension as Json[])[0]!.valueCode = 'somewhere_else';
    const path = `ServiceRequest.extension('${workwellFhir.workSituation}').extension('situation')`;
    expect(issueAt(rejected(other).issues, path).code).toBe('value');
  });

  it('no reason for the referral anywhere: condition other, with a warning', () => {
    const sr = containedRequest();
    delete sr.reasonCode;
    delete sr.reasonReference;
    const result = accepted(sr);
    expect(result.referral.health.conditions).toEqual(['other']);
    expect(issueAt(result.warnings, 'ServiceRequest.reasonCode').code).toBe('required');
  });

  it('no requester, or a requester without a name', () => {
    const sr = containedRequest();
    delete sr.requester;
    expect(issueAt(rejected(sr).issues, 'ServiceRequest.requester').code).toBe('required');

    const unnamed = containedRequest();
    delete resourceOf(unnamed, 'Organization').name;
    expect(issueAt(rejected(unnamed).issues, 'ServiceRequest.requester').code).toBe('required');

    const patient = containedRequest();
    patient.requester = { reference: '#patient' };
    expect(issueAt(rejected(patient).issues, 'ServiceRequest.requester').code).toBe('not-supported');
  });

  it('a Patient without names, birth date or postcode, or with a partial birth date', () => {
    const sr = containedRequest();
    const patient = resourceOf(sr, 'Patient');
    delete patient.name;
    delete patient.address;
    patient.birthDate = '1979';
    const { issues } = rejected(sr);
    expect(issueAt(issues, 'Patient.name').code).toBe('required');
    expect(issueAt(issues, 'Patient.address.postalCode').code).toBe('required');
    expect(issueAt(issues, 'Patient.birthDate').code).toBe('value');
  });

  it('a field that maps but fails the referral model names its FHIR element', () => {
    const bundle = gpBundle();
    const patient = resourceOf(bundle, 'Patient');
    (patient.address as Json[])[0]!.postalCode = 'NOT A POSTCODE';
    (patient.telecom as Json[])[0]!.value = 'alex.example@@example';
    (patient.generalPractitioner as Json[])[0]!.identifier.value = 'C8800';
    const { issues, httpStatus } = rejected(bundle);
    expect(httpStatus).toBe(422);
    expect(issueAt(issues, 'Patient.address[0].postalCode')).toMatchObject({ code: 'value' });
    expect(issueAt(issues, 'Patient.address[0].postalCode').diagnostics).toMatch(/participant\.postcode.*full UK postcode/);
    expect(issueAt(issues, 'Patient.telecom[0].value').diagnostics).toMatch(/participant\.email/);
    expect(issueAt(issues, 'Patient.generalPractitioner[0]').diagnostics).toMatch(/GP practice ODS code/);
  });

  it('over-long names and extension values of the wrong type', () => {
    const long = containedRequest();
    (resourceOf(long, 'Patient').name as Json[])[0]!.family = 'x'.repeat(201);
    expect(issueAt(rejected(long).issues, 'Patient.name[0].family').diagnostics).toMatch(/participant\.familyName.*200/);

    const wrongType = containedRequest();
    (extensionOf(wrongType, workwellFhir.workSituation)!.extension as Json[]).push({ url: 'hasFitNote', valueString: 'yes' });
    const path = `ServiceRequest.extension('${workwellFhir.workSituation}').extension('hasFitNote')`;
    expect(issueAt(rejected(wrongType).issues, path).code).toBe('value');

    const wrongDate = containedRequest();
    (extensionOf(wrongDate, workwellFhir.workSituation)!.extension as Json[])[1]!.valueDate = '16/01/2026';
    const datePath = `ServiceRequest.extension('${workwellFhir.workSituation}').extension('lastWorkedDate')`;
    expect(issueAt(rejected(wrongDate).issues, datePath).diagnostics).toMatch(/work\.lastWorkedDate/);
  });

  it('what is not a ServiceRequest or a readable Bundle is a 400', () => {
    const cases: [unknown, string | undefined, string][] = [
      ['a string', undefined, 'structure'],
      [[1, 2], undefined, 'structure'],
      [{ hello: 'world' }, undefined, 'structure'],
      [{ resourceType: 'Patient' }, undefined, 'invalid'],
      [{ ...gpBundle(), entry: gpBundle().entry.slice(1) }, 'Bundle.entry[0]', 'structure'],
      [{ ...gpBundle(), entry: [...gpBundle().entry, { fullUrl: 'urn:uuid:x' }] }, 'Bundle.entry[8]', 'structure'],
    ];
    for (const [body, expression, code] of cases) {
      const { issues, httpStatus } = rejected(body);
      expect(httpStatus).toBe(400);
      expect(issues[0]!.code).toBe(code);
      if (expression) expect(issues[0]!.expression).toContain(expression);
    }
    const badFocus = gpBundle();
    resourceOf(badFocus, 'MessageHeader').focus = [{ reference: 'urn:uuid:00000000-0000-4000-8000-000000000000' }];
    expect(issueAt(rejected(badFocus).issues, 'MessageHeader.focus').code).toBe('structure');
    // A message about something else (here the Patient) is a message this route does not take: 422.
    const otherFocus = gpBundle();
    resourceOf(otherFocus, 'MessageHeader').focus = [{ reference: 'urn:uuid:5b0a8f3e-6f7d-4f61-a0f4-2d8c7e9b1a03' }];
    const other = rejected(otherFocus);
    expect(other.httpStatus).toBe(422);
    expect(issueAt(other.issues, 'MessageHeader.focus').code).toBe('not-supported');
  });

  it('Bundles of other types, other message events and updates are not supported', () => {
    const searchset = { ...gpBundle(), type: 'searchset' };
    expect(issueAt(rejected(searchset).issues, 'Bundle.type').code).toBe('not-supported');

    const booking = gpBundle();
    resourceOf(booking, 'MessageHeader').eventCoding.code = 'booking-request';
    expect(issueAt(rejected(booking).issues, 'MessageHeader.eventCoding').code).toBe('not-supported');

    const update = gpBundle();
    resourceOf(update, 'MessageHeader').reason.coding[0].code = 'update';
    expect(issueAt(rejected(update).issues, 'MessageHeader.reason').code).toBe('not-supported');

    const two = withoutEntry(gpBundle(), 'MessageHeader');
    two.type = 'collection';
    two.entry.push({ fullUrl: 'urn:uuid:another', resource: { ...resourceOf(gpBundle(), 'ServiceRequest'), id: 'another' } });
    expect(issueAt(rejected(two).issues, 'Bundle.entry').code).toBe('not-supported');

    const standalone = containedRequest();
    standalone.subject = { reference: 'Patient/123' };
    expect(issueAt(rejected(standalone).issues, 'ServiceRequest.subject').code).toBe('not-supported');
  });

  it('arrays that are not arrays are structure errors', () => {
    const sr = containedRequest();
    resourceOf(sr, 'Patient').telecom = { system: 'phone', value: '07700 900456' };
    const { issues, httpStatus } = rejected(sr);
    expect(httpStatus).toBe(400);
    expect(issueAt(issues, 'Patient.telecom').code).toBe('structure');
  });
});

describe('referral source (UK Core SourceOfServiceRequest)', () => {
  it.each(Object.entries(snomedReferralSources))('SNOMED CT %s → %s', (code, source) => {
    const result = snomedSource(code);
    expect(result.ok && result.referral.source).toBe(source);
  });

  it('a WorkWell ReferralSource code names partners SNOMED CT has no code for', () => {
    for (const source of referralSources) {
      const result = snomedSource(source, workwellFhir.referralSourceSystem);
      expect(result.ok && result.referral.source).toBe(source);
    }
  });

  it('an unknown SNOMED CT code, or no extension, is recorded as other with a warning', () => {
    const unknown = snomedSource('185360007'); // Referred by hospital doctor: no category of its own
    expect(unknown.ok && unknown.referral.source).toBe('other');
    expect(unknown.ok && unknown.warnings.map((w) => w.severity)).toEqual(['warning']);

    const sr = containedRequest();
    dropExtension(sr, ukCoreExtensions.sourceOfServiceRequest);
    const absent = mapFhirReferral(sr);
    expect(absent.ok && absent.referral.source).toBe('other');
    expect(absent.ok && absent.warnings[0]?.code).toBe('required');
  });
});

describe('health conditions (reasonCode, reasonReference)', () => {
  const withReasons = (reasonCode: unknown[]) => {
    const sr = containedRequest();
    sr.reasonCode = reasonCode;
    return accepted(sr);
  };

  it('every SNOMED CT code of the table maps to its category', () => {
    for (const [code, category] of Object.entries(snomedConditionCategories)) {
      expect(withReasons([{ coding: [{ system: fhirSystems.snomed, code }] }]).referral.health.conditions).toEqual([category]);
    }
    expect(new Set(Object.values(snomedConditionCategories))).toEqual(new Set(conditionCategories.filter((c) => c !== 'other')));
  });

  it('several reasons give several categories, each once, in the model’s order', () => {
    const result = withReasons([
      { coding: [{ system: fhirSystems.snomed, code: '279039007' }] },
      { coding: [{ system: fhirSystems.snomed, code: '35489007' }] },
      { coding: [{ system: fhirSystems.snomed, code: '161891005' }] },
    ]);
    expect(result.referral.health.conditions).toEqual(['mental_health', 'musculoskeletal']);
  });

  it('an unknown SNOMED CT code is other, with a warning naming the reason', () => {
    const result = withReasons([{ coding: [{ system: fhirSystems.snomed, code: '22298006', display: 'Myocardial infarction' }] }]);
    expect(result.referral.health.conditions).toEqual(['other']);
    expect(result.warnings).toEqual([
      expect.objectContaining({ severity: 'warning', code: 'value', expression: ['ServiceRequest.reasonCode[0]'] }),
    ]);
    expect(JSON.stringify(result.warnings)).not.toContain('Myocardial');
  });

  it('uncoded reasons are matched by keywords of their text', () => {
    expect(withReasons([{ text: 'Anxiety and low mood since redundancy' }]).referral.health.conditions).toEqual(['mental_health']);
    expect(withReasons([{ text: 'Knee joint pain' }]).referral.health.conditions).toEqual(['musculoskeletal']);
    expect(withReasons([{ text: 'Something else' }]).referral.health.conditions).toEqual(['other']);
  });

  it('reasonReference to a Condition in the Bundle counts, and notes are capped at 2000 characters', () => {
    const bundle = gpBundle();
    const sr = resourceOf(bundle, 'ServiceRequest');
    delete sr.reasonCode;
    sr.reasonReference = [{ reference: 'urn:uuid:condition-1' }];
    sr.note = [{ text: 'x'.repeat(3000) }];
    bundle.entry.push({
      fullUrl: 'urn:uuid:condition-1',
      resource: { resourceType: 'Condition', code: { coding: [{ system: fhirSystems.snomed, code: '197480006', display: 'Anxiety disorder' }] } },
    });
    const { referral } = accepted(bundle);
    expect(referral.health.conditions).toEqual(['mental_health']);
    expect(referral.health.details).toHaveLength(2000);
    expect(referral.health.details?.startsWith('Reasons: Anxiety disorder')).toBe(true);
  });
});

describe('participant contact and preferred channel', () => {
  it('defaults to email when given, else phone, else letter', () => {
    const bundle = gpBundle();
    expect(accepted(bundle).referral.participant.preferredChannel).toBe('email');
    const patient = resourceOf(bundle, 'Patient');
    patient.telecom = (patient.telecom as Json[]).filter((t) => t.system !== 'email');
    expect(accepted(bundle).referral.participant.preferredChannel).toBe('phone');
    delete patient.telecom;
    expect(accepted(bundle).referral.participant).toMatchObject({ preferredChannel: 'letter' });
  });

  it('takes the WorkWell extension, then UK Core ContactPreference, then the telecom ranked 1', () => {
    const bundle = gpBundle();
    const patient = resourceOf(bundle, 'Patient');
    patient.extension = [
      {
        url: ukCoreExtensions.contactPreference,
        extension: [
          { url: 'PreferredContactMethod', valueCodeableConcept: { coding: [{ system: fhirSystems.ukCorePreferredContactMethod, code: '1' }] } },
        ],
      },
    ];
    expect(accepted(bundle).referral.participant.preferredChannel).toBe('letter');
    patient.extension.push({ url: workwellFhir.preferredChannel, valueCode: 'phone' });
    expect(accepted(bundle).referral.participant.preferredChannel).toBe('phone');
    patient.extension = [{ url: workwellFhir.preferredChannel, valueCode: 'fax' }];
    expect(issueAt(rejected(bundle).issues, `Patient.extension('${workwellFhir.preferredChannel}')`).code).toBe('value');
  });

  it('never prefers a channel it has no contact for', () => {
    const sr = containedRequest(); // phone only
    resourceOf(sr, 'Patient').extension = [{ url: workwellFhir.preferredChannel, valueCode: 'email' }];
    const result = accepted(sr);
    expect(result.referral.participant.preferredChannel).toBe('phone');
    expect(result.warnings.some((w) => w.expression[0]?.includes(workwellFhir.preferredChannel))).toBe(true);
  });

  it('skips old names, addresses and telecoms', () => {
    const bundle = gpBundle();
    const patient = resourceOf(bundle, 'Patient');
    patient.name.unshift({ use: 'old', given: ['Former'], family: 'Name' });
    patient.address.unshift({ use: 'old', postalCode: 'LS1 1AA' });
    patient.telecom.unshift({ system: 'email', value: 'old@example.com', use: 'old', rank: 1 });
    const { participant } = accepted(bundle).referral;
    expect(participant).toMatchObject({ givenName: 'Alex', postcode: 'S1 2HE', email: 'alex.example@example.com' });
  });
});

describe('work, needs, reasonable adjustments', () => {
  it('an employment Observation stands in for the WorkSituation extension', () => {
    const bundle = gpBundle();
    dropExtension(resourceOf(bundle, 'ServiceRequest'), workwellFhir.workSituation);
    bundle.entry.push({
      fullUrl: 'urn:uuid:observation-1',
      resource: {
        resourceType: 'Observation',
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '74165-2', display: 'History of employment status' }] },
        subject: { reference: 'urn:uuid:5b0a8f3e-6f7d-4f61-a0f4-2d8c7e9b1a03' },
        valueCodeableConcept: { coding: [{ system: fhirSystems.snomed, code: '73438004', display: 'Unemployed' }] },
      },
    });
    expect(accepted(bundle).referral.work).toEqual({ situation: 'out_of_work' });
  });

  it('without the ReferralNeeds extension: no complex needs, no immediate risk, and a warning', () => {
    const sr = containedRequest();
    dropExtension(sr, workwellFhir.referralNeeds);
    const result = accepted(sr);
    expect(result.referral.needs).toEqual({ complexNeeds: false, immediateRisk: false, support: [] });
    expect(result.warnings.map((w) => w.expression[0])).toContain(`ServiceRequest.extension('${workwellFhir.referralNeeds}')`);
  });

  it('flags complex needs and immediate risk from the extension; refuses unknown support codes', () => {
    const sr = containedRequest();
    const needs = extensionOf(sr, workwellFhir.referralNeeds)!.extension as Json[];
    needs[1]!.valueBoolean = true;
    expect(accepted(sr).referral.needs.immediateRisk).toBe(true);
    needs.push({ url: 'support', valueCode: 'somewhere_else' });
    expect(issueAt(rejected(sr).issues, `ServiceRequest.extension('${workwellFhir.referralNeeds}').extension('support')`).code).toBe(
      'value',
    );
  });

  it('only active reasonable adjustment Flags count', () => {
    const bundle = gpBundle();
    resourceOf(bundle, 'Flag').status = 'inactive';
    expect(accepted(bundle).referral.reasonableAdjustments).toEqual([]);
  });
});

describe('OperationOutcome and expressions', () => {
  it('builds a UK Core OperationOutcome', () => {
    const outcome = operationOutcome([{ severity: 'error', code: 'required', expression: ['ServiceRequest.subject'], diagnostics: 'x' }]);
    expect(outcome).toEqual({
      resourceType: 'OperationOutcome',
      meta: { profile: ['https://fhir.hl7.org.uk/StructureDefinition/UKCore-OperationOutcome'] },
      issue: [{ severity: 'error', code: 'required', diagnostics: 'x', expression: ['ServiceRequest.subject'] }],
    });
    expect(operationOutcome([]).issue).toEqual([{ severity: 'information', code: 'informational', diagnostics: 'No issues.' }]);
  });

  it('maps referral field pointers back to FHIR elements', () => {
    expect(fhirExpressionFor('/participant/postcode')).toBe('Patient.address.postalCode');
    expect(fhirExpressionFor('/participant/nhsNumber')).toBe(`Patient.identifier.where(system='${fhirSystems.nhsNumber}').value`);
    expect(fhirExpressionFor('/work/situation')).toContain(workwellFhir.workSituation);
    expect(fhirExpressionFor('/consent/recordedAt')).toBe('Consent.dateTime');
    expect(fhirExpressionFor('/health/conditions/0')).toBe('ServiceRequest.reasonCode');
    expect(fhirExpressionFor('/unknown')).toBe('ServiceRequest');
    expect(fhirExpressionFor('/participant/postcode', new Map([['/participant/postcode', 'Patient.address[2].postalCode']]))).toBe(
      'Patient.address[2].postalCode',
    );
  });

  it('no mutation of the fixtures yields an issue quoting a personal value', () => {
    // Blank out or corrupt each string leaf of the Bundle in turn: whatever is refused, nothing comes back.
    const leaves: (readonly (string | number)[])[] = [];
    const walk = (value: unknown, path: (string | number)[]) => {
      if (typeof value === 'string') leaves.push(path);
      else if (Array.isArray(value)) value.forEach((v, i) => walk(v, [...path, i]));
      else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
    };
    walk(gpBundle(), []);
    let refusals = 0;
    for (const path of leaves) {
      for (const replacement of ['', '<script>9434765919 Alex</script>']) {
        const bundle = gpBundle();
        let node: any = bundle;
        for (const key of path.slice(0, -1)) node = node[key];
        node[path.at(-1)!] = replacement;
        const result = parseFhirReferral(bundle);
        const text = JSON.stringify(operationOutcome(result.ok ? result.warnings : result.issues));
        for (const value of [...personalValues, '<script>']) expect(text).not.toContain(value);
        if (!result.ok) refusals++;
      }
    }
    expect(refusals).toBeGreaterThan(20);
  });
});
