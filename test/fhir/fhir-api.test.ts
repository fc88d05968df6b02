import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workwellFhir } from '../../functions/domain/fhir.ts';
import { getReferral } from '../../functions/shared/referral-store.ts';
import { nhsNumberFor } from '../fixtures/referrals.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { gpBundle, type Json, resourceOf } from './support.ts';

/**
 * POST /v1/fhir/ServiceRequest over real HTTP on the local runtime (partner authorizer,
 * DynamoDB Local, the journey state machine): a BaRS referral becomes a referral with a journey,
 * idempotently, and a refused one stores nothing.
 */
let rt: TestRuntime;

beforeAll(async () => {
  rt = await startTestRuntime('south-yorkshire');
});
afterAll(async () => {
  await rt?.stop();
});

let people = 0;
/** The GP Bundle for someone not referred before (so no open journey links it). */
function bundleForNewPerson(): Json {
  people++;
  const bundle = gpBundle();
  const patient = resourceOf(bundle, 'Patient');
  patient.identifier[0].value = nhsNumberFor(700_000 + people * 7 + Math.floor(Math.random() * 1000) * 1000);
  patient.name[0].given = [`Fhir${people}${Math.random().toString(36).slice(2, 7)}`];
  return bundle;
}

const post = (body: unknown, headers: Record<string, string> = {}, partner = 0) =>
  fetch(`${rt.gatewayUrl}/v1/fhir/ServiceRequest`, {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json', ...rt.auth(partner), ...headers },
    body: JSON.stringify(body),
  });

const receiptId = (outcome: Json): string =>
  (outcome.extension as Json[]).find((e) => e.url === workwellFhir.referralReceipt)!.extension.find((e: Json) => e.url === 'referralId')
    .valueId;

describe('POST /v1/fhir/ServiceRequest on the local runtime', () => {
  it('turns a GP referral Bundle into a referral with a journey', async () => {
    const res = await post(bundleForNewPerson(), { 'X-Correlation-Id': 'corr-1' });
    expect(res.status).toBe(202);
    expect(res.headers.get('content-type')).toContain('application/fhir+json');
    expect(res.headers.get('x-correlation-id')).toBe('corr-1');
    const outcome = (await res.json()) as Json;
    const referralId = receiptId(outcome);
    expect(res.headers.get('location')).toBe(`/v1/referrals/${referralId}`);
    await rt.engine.idle();

    const stored = await getReferral(referralId);
    expect(stored?.referral).toMatchObject({
      source: 'gp',
      participant: { postcode: 'S1 2HE', gpPracticeCode: 'C88001' },
      reasonableAdjustments: ['Prefers appointments after 2pm'],
    });
    const status = await rt.referralStatus(referralId);
    expect(status.status).toBe(200);
    expect(rt.engine.listExecutions().some((e) => e.name === referralId)).toBe(true);
  });

  it('replays the first answer for the same Idempotency-Key, refuses another body with it', async () => {
    const body = bundleForNewPerson();
    const first = await post(body, { 'Idempotency-Key': 'fhir-retry-1' });
    const again = await post(body, { 'Idempotency-Key': 'fhir-retry-1' });
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(receiptId((await again.json()) as Json)).toBe(receiptId((await first.json()) as Json));

    const other = await post(bundleForNewPerson(), { 'Idempotency-Key': 'fhir-retry-1' });
    expect(other.status).toBe(422);
    expect(other.headers.get('content-type')).toContain('application/fhir+json');
    expect(((await other.json()) as Json).resourceType).toBe('OperationOutcome');
  });

  it('a revoked ServiceRequest is refused and starts nothing', async () => {
    await rt.engine.idle();
    const before = rt.engine.listExecutions().length;
    const bundle = bundleForNewPerson();
    resourceOf(bundle, 'ServiceRequest').status = 'revoked';
    const res = await post(bundle);
    expect(res.status).toBe(422);
    const outcome = (await res.json()) as Json;
    expect(outcome.issue[0]).toMatchObject({ severity: 'error', code: 'not-supported', expression: ['ServiceRequest.status'] });
    await rt.engine.idle();
    expect(rt.engine.listExecutions().length).toBe(before);
  });

  it('without a credential the gateway refuses it', async () => {
    const res = await fetch(`${rt.gatewayUrl}/v1/fhir/ServiceRequest`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify(bundleForNewPerson()),
    });
    expect(res.status).toBe(401);
  });
});
