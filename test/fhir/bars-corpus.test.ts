import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { barsSystems } from '../../functions/domain/bars.ts';
import { isValidNhsNumber } from '../../functions/domain/nhs-number.ts';
import { getReferral, listTimeline } from '../../functions/shared/referral-store.ts';
import { nhsNumberFor } from '../fixtures/referrals.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { type Json, resourceOf } from './support.ts';

/**
 * The public BaRS example messages (test/fixtures/fhir/bars, sources in SOURCES.md) sent as an
 * NHS system sends them, over real HTTP on the local runtime (partner authorizer, DynamoDB
 * Local, the journey state machine): every referral-shaped example is accepted and answered
 * with a BaRS response message, every other message refused with the BaRS code, a cancellation
 * message ends the journey as POST /v1/referrals/{id}/cancel does.
 */
const dir = new URL('../fixtures/fhir/bars/', import.meta.url);
const example = (name: string): Json => JSON.parse(readFileSync(new URL(name, dir), 'utf8')) as Json;
const corpus = readdirSync(dir).filter((name) => name.endsWith('.json'));
const referralExamples = corpus.filter((name) => name.startsWith('referral-'));
const otherExamples = corpus.filter((name) => name.startsWith('non-referral-'));

let rt: TestRuntime;
beforeAll(async () => {
  rt = await startTestRuntime('south-yorkshire');
});
afterAll(async () => {
  await rt?.stop();
});

const send = (path: string, body: unknown, partner = 0, headers: Record<string, string> = {}) =>
  fetch(`${rt.gatewayUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json', ...rt.auth(partner), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
const processMessage = (body: unknown, partner = 0) => send('/v1/fhir/$process-message', body, partner);

const entryOf = (bundle: Json, type: string): Json => (bundle.entry as Json[]).map((e) => e.resource as Json).find((r) => r.resourceType === type)!;

/** A copy of an example for someone not referred before in this run (so it is not linked). */
let people = 0;
function forNewPerson(name: string): Json {
  const bundle = example(name);
  const patient = resourceOf(bundle, 'Patient');
  patient.identifier[0].value = nhsNumberFor(900_000 + ++people * 13 + Math.floor(Math.random() * 1000) * 1000);
  return bundle;
}

function expectBarsError(outcome: Json, code: string) {
  expect(outcome.resourceType).toBe('OperationOutcome');
  const coding = outcome.issue[0].details.coding[0];
  expect(coding).toMatchObject({ system: barsSystems.httpErrorCodes, code });
}

describe('the public BaRS examples', () => {
  it('has referral and non-referral examples, each referral with a valid NHS number', () => {
    expect(referralExamples.length).toBeGreaterThan(0);
    expect(otherExamples.length).toBeGreaterThan(0);
    for (const name of referralExamples) {
      expect(isValidNhsNumber(resourceOf(example(name), 'Patient').identifier[0].value), name).toBe(true);
    }
  });

  it.each(referralExamples)('accepts %s at $process-message with a BaRS response message', async (name) => {
    const request = example(name);
    const res = await processMessage(request);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/fhir+json');
    const answer = (await res.json()) as Json;
    expect(answer).toMatchObject({ resourceType: 'Bundle', type: 'message' });
    const header = entryOf(answer, 'MessageHeader');
    expect(header.response).toMatchObject({ identifier: request.id, code: 'ok' });
    const serviceRequest = entryOf(answer, 'ServiceRequest');
    expect(header.focus[0].reference).toBe(`urn:uuid:${serviceRequest.id}`);
    expect(serviceRequest.status).toBe('active');
    expect(res.headers.get('location')).toBe(`/v1/referrals/${serviceRequest.id}`);
    // Every default applied is said, as a warning.
    const warnings = (entryOf(answer, 'OperationOutcome').issue as Json[]).filter((i) => i.severity === 'warning');
    expect(warnings.length).toBeGreaterThan(0);

    await rt.engine.idle();
    const stored = await getReferral(serviceRequest.id);
    expect(stored?.partnerId).toBeDefined();
    expect(rt.engine.listExecutions().some((e) => e.name === serviceRequest.id)).toBe(true);
  });

  it('maps the 999-to-CAS referral from where BaRS puts each thing', async () => {
    const res = await processMessage(forNewPerson('referral-999-to-cas.json'));
    const referralId = entryOf((await res.json()) as Json, 'ServiceRequest').id as string;
    const stored = await getReferral(referralId);
    expect(stored?.referral).toMatchObject({
      // The requester is a Practitioner whose PractitionerRole's organisation is not in the message: the sender is the referrer.
      referrer: { organisation: 'Sender Organization', contactName: 'Marcy BLAKE', contactPhone: '0205568263' },
      // No SourceOfServiceRequest: the partner's registration (a GP practice).
      source: 'gp',
      participant: { givenName: 'Julie', familyName: 'Jones', dateOfBirth: '1959-05-04', postcode: 'LS10 4YU', phone: '01138698975', preferredChannel: 'phone' },
      work: { situation: 'unknown' },
      health: { conditions: ['other'] },
      consent: { given: true, method: 'implied', recordedAt: '2021-10-13T16:28:00+07:00', evaluationContact: false },
    });
  });

  it('accepts the referral examples at the alias too, answered as before', async () => {
    const res = await send('/v1/fhir/ServiceRequest', forNewPerson('referral-999-to-cas.json'));
    expect(res.status).toBe(202);
    expect(((await res.json()) as Json).resourceType).toBe('OperationOutcome');
  });

  it('refuses the non-referral examples with the BaRS code and stores nothing', async () => {
    await rt.engine.idle();
    const items = await rt.countReferralItems();
    const executions = rt.engine.listExecutions().length;

    const booking = await processMessage(example('non-referral-appointment-message.json'));
    expect(booking.status).toBe(422);
    expectBarsError((await booking.json()) as Json, 'REC_UNPROCESSABLE_ENTITY');

    // A ServiceRequest on its own is not a message.
    const validation = await processMessage(example('non-referral-service-request-validation.json'));
    expect(validation.status).toBe(400);
    expectBarsError((await validation.json()) as Json, 'REC_BAD_REQUEST');
    // At the alias it is read, and refused: its subject is not a Patient sent with it.
    const alias = await send('/v1/fhir/ServiceRequest', example('non-referral-service-request-validation.json'));
    expect(alias.status).toBe(422);
    expectBarsError((await alias.json()) as Json, 'REC_UNPROCESSABLE_ENTITY');

    // As the published 111-to-ED example is: not valid JSON.
    const broken = await send('/v1/fhir/$process-message', '{"resourceType": "Bundle", "entry": [{"text": "x",}]}');
    expect(broken.status).toBe(400);
    expectBarsError((await broken.json()) as Json, 'REC_BAD_REQUEST');

    await rt.engine.idle();
    expect(await rt.countReferralItems()).toBe(items);
    expect(rt.engine.listExecutions().length).toBe(executions);
  });

  it.each([
    ['revoked', 'referrer_cancelled'],
    ['entered-in-error', 'referrer_entered_in_error'],
  ])('a cancellation message (ServiceRequest %s) ends the journey, recording it as %s', async (status, reason) => {
    // Someone the area serves, so triage keeps the journey open.
    const referral = forNewPerson('referral-999-to-cas.json');
    const patient = resourceOf(referral, 'Patient');
    patient.address[0].postalCode = 'S1 2HE';
    patient.birthDate = '1985-06-15';
    const accepted = (await (await processMessage(referral)).json()) as Json;
    const referralId = entryOf(accepted, 'ServiceRequest').id as string;
    await rt.engine.idle();

    // The sender updates its message: reason update, the ServiceRequest by the id the service answered with.
    const cancel = structuredClone(referral);
    cancel.id = crypto.randomUUID();
    const header = resourceOf(cancel, 'MessageHeader');
    header.reason.coding[0].code = 'update';
    const serviceRequest = resourceOf(cancel, 'ServiceRequest');
    serviceRequest.status = status;
    // The sender keeps its own id; the service's comes back as an identifier.
    serviceRequest.identifier = [{ system: 'https://workwell.nhs.example/fhir/Id/referral-id', value: referralId }];

    // Only the partner that referred may cancel.
    const stranger = await processMessage(cancel, 1);
    expect(stranger.status).toBe(404);
    expectBarsError((await stranger.json()) as Json, 'REC_NOT_FOUND');

    const res = await processMessage(cancel);
    expect(res.status).toBe(200);
    const answer = (await res.json()) as Json;
    expect(entryOf(answer, 'MessageHeader').response).toMatchObject({ identifier: cancel.id, code: 'ok' });
    expect(entryOf(answer, 'ServiceRequest')).toMatchObject({ id: referralId, status });
    await rt.engine.idle();
    expect((await getReferral(referralId))?.status).toBe('withdrawn');
    expect((await listTimeline(referralId)).some((entry) => entry.reason === reason)).toBe(true);
    // Read back as the sender would, by the id it was answered with.
    const read = await fetch(`${rt.gatewayUrl}/v1/fhir/ServiceRequest/${referralId}`, { headers: rt.auth(0) });
    expect(read.status).toBe(200);
    expect((await read.json()) as Json).toMatchObject({ resourceType: 'ServiceRequest', id: referralId, status });
    expect(rt.engine.listExecutions().find((e) => e.name === referralId)?.status).not.toBe('RUNNING');
  });

  it('an update that is not a cancellation is refused', async () => {
    const update = forNewPerson('referral-999-to-cas.json');
    resourceOf(update, 'MessageHeader').reason.coding[0].code = 'update';
    const res = await processMessage(update);
    expect(res.status).toBe(422);
    expectBarsError((await res.json()) as Json, 'REC_UNPROCESSABLE_ENTITY');
  });
});

describe('the rest of the FHIR API', () => {
  it("GET /v1/fhir/ServiceRequest/{id} is the partner's own referral, with no personal detail; another partner's is a BaRS 404", async () => {
    const referral = forNewPerson('referral-999-to-cas.json');
    const referralId = entryOf((await (await processMessage(referral)).json()) as Json, 'ServiceRequest').id as string;
    await rt.engine.idle();
    const res = await fetch(`${rt.gatewayUrl}/v1/fhir/ServiceRequest/${referralId}`, { headers: rt.auth(0) });
    expect(res.status).toBe(200);
    const text = await res.text();
    const read = JSON.parse(text) as Json;
    expect(read).toMatchObject({ resourceType: 'ServiceRequest', id: referralId, intent: 'order' });
    // Outside the area: turned down at triage.
    expect(read.status).toBe('revoked');
    expect(read.extension[0].valueCoding.code).toBe('not_eligible');
    for (const value of ['Julie', 'Jones', 'LS10 4YU', resourceOf(referral, 'Patient').identifier[0].value]) expect(text).not.toContain(value);

    const other = await fetch(`${rt.gatewayUrl}/v1/fhir/ServiceRequest/${referralId}`, { headers: rt.auth(1) });
    expect(other.status).toBe(404);
    expectBarsError((await other.json()) as Json, 'REC_NOT_FOUND');
  });

  it('GET /v1/fhir/metadata is a CapabilityStatement naming the messages supported', async () => {
    const res = await fetch(`${rt.gatewayUrl}/v1/fhir/metadata`);
    expect(res.status).toBe(200);
    const statement = (await res.json()) as Json;
    expect(statement).toMatchObject({ resourceType: 'CapabilityStatement', fhirVersion: '4.0.1', kind: 'instance' });
    expect(statement.messaging[0].supportedMessage.map((m: Json) => m.mode)).toEqual(['receiver', 'sender', 'sender']);
    expect(statement.rest[0].operation[0].name).toBe('process-message');
  });

  it('any other FHIR address is a BaRS 404', async () => {
    for (const [method, path] of [
      ['GET', '/v1/fhir/Patient/123'],
      ['POST', '/v1/fhir/Appointment'],
      ['GET', '/v1/fhir/ServiceRequest'],
    ] as const) {
      const res = await fetch(`${rt.gatewayUrl}${path}`, { method, ...(method === 'POST' ? { body: '{}' } : {}) });
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type')).toContain('application/fhir+json');
      expectBarsError((await res.json()) as Json, 'REC_NOT_FOUND');
    }
  });
});
