import type { APIGatewayProxyResult } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { workwellFhir } from '../../functions/domain/fhir.ts';
import { ReferralSchema } from '../../functions/domain/referral.ts';
import { apiEvent, lambdaContext, TEST_PARTNER } from '../support/events.ts';
import { containedRequest, gpBundle, personalValues, resourceOf } from './support.ts';

/**
 * The FHIR intake handler as an adapter: the intake service and the rate limit are replaced,
 * so these tests see exactly what the handler hands on and answers. (fhir-api.test.ts runs the
 * route for real on the local runtime.)
 */
// The handler reads the area's settings (its partners and consent rule) to map with.
process.env.AREA_SLUG ??= 'south-yorkshire';

const mocks = vi.hoisted(() => ({
  acceptReferral: vi.fn(),
  rateLimitBefore: vi.fn(),
}));
vi.mock('../../functions/shared/intake-service.ts', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../functions/shared/intake-service.ts')>()),
  acceptReferral: mocks.acceptReferral,
}));
vi.mock('../../functions/shared/partner-rate-limit.ts', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../functions/shared/partner-rate-limit.ts')>()),
  partnerRateLimit: () => ({ before: mocks.rateLimitBefore }),
}));

const { handler, isFhirJsonContentType, FHIR_MAX_BODY_BYTES } = await import('../../functions/handlers/fhir-intake.ts');
const { canonicalHash } = await import('../../functions/shared/intake-service.ts');

const REFERRAL_ID = '0b7f3c52-9a1e-4d8b-8c3f-5e2a1d9b7c40';
let logged: string[] = [];

beforeEach(() => {
  mocks.acceptReferral.mockReset().mockResolvedValue({ httpStatus: 202, referralId: REFERRAL_ID, status: 'received' });
  mocks.rateLimitBefore.mockReset().mockResolvedValue(undefined);
  logged = [];
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      logged.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    });
  }
});
afterEach(() => {
  vi.restoreAllMocks();
});

async function post(
  body: unknown,
  headers: Record<string, string> = { 'Content-Type': 'application/fhir+json' },
  partnerId: string | null = TEST_PARTNER,
) {
  const event = apiEvent({
    method: 'POST',
    path: '/v1/fhir/ServiceRequest',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers,
    partnerId,
  });
  const res = (await handler(event, lambdaContext('fhir-intake'))) as APIGatewayProxyResult;
  return { res, outcome: JSON.parse(res.body) as Record<string, any> };
}

function expectNothingPersonal(text: string) {
  for (const value of personalValues) expect(text).not.toContain(value);
}

describe('POST /v1/fhir/ServiceRequest (adapter)', () => {
  it('accepts the GP Bundle: 202, Location, the referral id in the receipt, the mapped referral handed on', async () => {
    const { res, outcome } = await post(gpBundle(), {
      'Content-Type': 'application/fhir+json; charset=utf-8',
      'Idempotency-Key': 'gp-system-123',
      'X-Request-Id': '60b9b3a1-4b8a-4f3e-9d65-8d1f1b2f7c11',
      'X-Correlation-Id': 'corr-42',
    });
    expect(res.statusCode).toBe(202);
    expect(res.headers).toMatchObject({
      'Content-Type': 'application/fhir+json',
      Location: `/v1/referrals/${REFERRAL_ID}`,
      'X-Request-Id': '60b9b3a1-4b8a-4f3e-9d65-8d1f1b2f7c11',
      'X-Correlation-Id': 'corr-42',
    });
    expect(outcome.resourceType).toBe('OperationOutcome');
    expect(outcome.issue[0]).toMatchObject({ severity: 'information', code: 'informational' });
    expect(outcome.extension).toEqual([
      {
        url: workwellFhir.referralReceipt,
        extension: [
          { url: 'referralId', valueId: REFERRAL_ID },
          { url: 'status', valueCode: 'received' },
        ],
      },
    ]);
    expect(mocks.acceptReferral).toHaveBeenCalledTimes(1);
    const input = mocks.acceptReferral.mock.calls[0]![0];
    expect(input.partner).toEqual({ partnerId: TEST_PARTNER, organisationType: 'gp' }); // its kind decides which sources it may send
    expect(input.idempotencyKey).toBe('gp-system-123');
    expect(ReferralSchema.parse(input.referral)).toEqual(input.referral);
    expect(input.referral.participant.nhsNumber).toBe('9434765919');
    expect(input.bodyHash).toBe(canonicalHash(input.referral));
    expectNothingPersonal(res.body);
    expectNothingPersonal(logged.join(''));
  });

  it('answers a linked referral exactly like a new one', async () => {
    mocks.acceptReferral.mockResolvedValue({ httpStatus: 202, referralId: REFERRAL_ID, status: 'linked' });
    const { res } = await post(containedRequest());
    expect(res.statusCode).toBe(202);
    expect(res.body).not.toContain('linked');
  });

  it('passes on warnings about defaults applied', async () => {
    const sr = containedRequest();
    sr.reasonCode = [{ coding: [{ system: 'http://snomed.info/sct', code: '22298006' }] }];
    const { res, outcome } = await post(sr);
    expect(res.statusCode).toBe(202);
    expect(outcome.issue.map((i: { severity: string }) => i.severity)).toEqual(['information', 'warning']);
  });

  it('rejects a revoked request with 422 and stores nothing, echoing nothing', async () => {
    const bundle = gpBundle();
    resourceOf(bundle, 'ServiceRequest').status = 'revoked';
    const { res, outcome } = await post(bundle);
    expect(res.statusCode).toBe(422);
    expect(res.headers?.['Content-Type']).toBe('application/fhir+json');
    expect(outcome.issue[0]).toMatchObject({ code: 'not-supported', expression: ['ServiceRequest.status'] });
    expect(mocks.acceptReferral).not.toHaveBeenCalled();
    expectNothingPersonal(res.body);
    expect(logged.join('')).toContain('fhir referral rejected');
    expectNothingPersonal(logged.join(''));
  });

  it('rejects a bad NHS number with 422 naming the element', async () => {
    const sr = containedRequest();
    resourceOf(sr, 'Patient').identifier[0].value = '9449306622';
    const { res, outcome } = await post(sr);
    expect(res.statusCode).toBe(422);
    expect(outcome.issue[0].expression).toEqual(['Patient.identifier[0].value']);
    expect(res.body).not.toContain('9449306622');
    expect(mocks.acceptReferral).not.toHaveBeenCalled();
  });

  it('401 without the partner authorizer, before reading the body', async () => {
    const { res, outcome } = await post('not json', { 'Content-Type': 'application/fhir+json' }, null);
    expect(res.statusCode).toBe(401);
    expect(res.headers?.['WWW-Authenticate']).toBe('Bearer');
    expect(outcome.issue[0].code).toBe('login');
    expect(mocks.acceptReferral).not.toHaveBeenCalled();
  });

  it('415 for other media types, 413 over the limit, 400 for bad JSON or a bad Idempotency-Key', async () => {
    const media = await post(gpBundle(), { 'Content-Type': 'application/xml' });
    expect(media.res.statusCode).toBe(415);
    expect(media.res.headers?.['Accept-Post']).toContain('application/fhir+json');

    const big = await post(JSON.stringify({ resourceType: 'Bundle', pad: 'x'.repeat(FHIR_MAX_BODY_BYTES) }));
    expect(big.res.statusCode).toBe(413);
    expect(big.outcome.issue[0].code).toBe('too-long');

    const broken = await post('{"resourceType": "Bundle",');
    expect(broken.res.statusCode).toBe(400);
    expect(broken.outcome.issue[0].code).toBe('structure');

    const key = await post(gpBundle(), { 'Content-Type': 'application/fhir+json', 'Idempotency-Key': 'has space' });
    expect(key.res.statusCode).toBe(400);

    const patient = await post({ resourceType: 'Patient' });
    expect(patient.res.statusCode).toBe(400);
    expect(mocks.acceptReferral).not.toHaveBeenCalled();
  });

  it('media types', () => {
    expect(isFhirJsonContentType('application/fhir+json')).toBe(true);
    expect(isFhirJsonContentType('application/json; charset=UTF-8')).toBe(true);
    expect(isFhirJsonContentType('application/fhir+json; fhirVersion=4.0')).toBe(true);
    expect(isFhirJsonContentType('application/fhir+json; fhirVersion=5.0')).toBe(false);
    expect(isFhirJsonContentType('application/fhir+json; charset=latin1')).toBe(false);
    expect(isFhirJsonContentType('application/fhir+xml')).toBe(false);
    expect(isFhirJsonContentType(undefined)).toBe(false);
  });

  it('answers the intake service’s refusals as OperationOutcomes', async () => {
    mocks.acceptReferral.mockResolvedValueOnce({ httpStatus: 422, problem: 'This Idempotency-Key was used with a different request.' });
    const reused = await post(gpBundle(), { 'Content-Type': 'application/fhir+json', 'Idempotency-Key': 'k1' });
    expect(reused.res.statusCode).toBe(422);
    expect(reused.outcome.issue[0]).toMatchObject({ code: 'business-rule', diagnostics: 'This Idempotency-Key was used with a different request.' });

    mocks.acceptReferral.mockResolvedValueOnce({ httpStatus: 409, problem: 'still in progress' });
    expect((await post(gpBundle())).res.statusCode).toBe(409);

    mocks.acceptReferral.mockResolvedValueOnce({ httpStatus: 503, problem: 'The referral was stored but its journey could not be started.', referralId: REFERRAL_ID });
    const unavailable = await post(gpBundle());
    expect(unavailable.res.statusCode).toBe(503);
    expect(unavailable.res.headers?.['Retry-After']).toBe('30');
    expect(unavailable.outcome.extension[0].extension).toEqual([{ url: 'referralId', valueId: REFERRAL_ID }]);
  });

  it('429 from the partner rate limit, as an OperationOutcome', async () => {
    mocks.rateLimitBefore.mockResolvedValueOnce({ statusCode: 429, headers: { 'Retry-After': '17' }, body: '{}' });
    const { res, outcome } = await post(gpBundle());
    expect(res.statusCode).toBe(429);
    expect(res.headers?.['Retry-After']).toBe('17');
    expect(outcome.issue[0].code).toBe('throttled');
    expect(mocks.acceptReferral).not.toHaveBeenCalled();
  });

  it('an unexpected error is a 500 OperationOutcome that says nothing more', async () => {
    mocks.acceptReferral.mockRejectedValueOnce(new Error('Alex Example 9434765919 exploded'));
    const { res, outcome } = await post(gpBundle());
    expect(res.statusCode).toBe(500);
    expect(outcome.issue[0]).toMatchObject({ code: 'exception', diagnostics: 'internal error' });
    expectNothingPersonal(res.body);
    expectNothingPersonal(logged.join(''));
  });
});
