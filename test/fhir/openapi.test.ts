import { readFileSync } from 'node:fs';
import type { APIGatewayProxyResult } from 'aws-lambda';
// ajv comes with asl-validator (a dev dependency); it checks the examples against the generated schemas.
import Ajv2020Module from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { jsonApiRoutes as apiRoutes } from '../../functions/api-routes.ts';
import { parseFhirReferral } from '../../functions/domain/fhir.ts';
import {
  exampleFhirServiceRequest,
  exampleProblem,
  exampleReferral,
  openApiDocument,
  serializeOpenApi,
} from '../../functions/domain/openapi.ts';
import { ReferralSchema } from '../../functions/domain/referral.ts';
import { handler as openApiHandler } from '../../functions/handlers/openapi.ts';
import { apiEvent, lambdaContext } from '../support/events.ts';
import { fhirFixture, type Json } from './support.ts';

const doc = openApiDocument() as Json;
const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8');

/** Resolve a local JSON pointer reference (#/a/b) in the document. */
function resolve(ref: string): unknown {
  expect(ref.startsWith('#/')).toBe(true);
  return ref
    .slice(2)
    .split('/')
    .map((token) => token.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce<unknown>((node, token) => (node as Record<string, unknown> | undefined)?.[token], doc);
}

function refsIn(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => refsIn(v, out));
  else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (key === '$ref' && typeof v === 'string') out.push(v);
      else refsIn(v, out);
    }
  }
  return out;
}

function validator() {
  // CommonJS module: its class is the default export's `default` under NodeNext.
  const Ajv2020 = Ajv2020Module.default;
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema({ $id: 'https://workwell.example/openapi.json', components: doc.components });
  return (name: string, value: unknown) => {
    const validate = ajv.getSchema(`https://workwell.example/openapi.json#/components/schemas/${name}`);
    if (!validate) throw new Error(`no schema ${name}`);
    const ok = validate(value);
    return { ok, errors: validate.errors };
  };
}

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1.0 with the 2020-12 dialect', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.jsonSchemaDialect).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
  });

  it('has an operation for every route, secured as the route is', () => {
    const paths = doc.paths as Record<string, Record<string, Json>>;
    const operations = Object.values(paths).flatMap((item) => Object.keys(item));
    expect(operations).toHaveLength(apiRoutes.length);
    for (const route of apiRoutes) {
      const operation = paths[route.path]?.[route.method.toLowerCase()];
      expect(operation, `${route.method} ${route.path}`).toBeDefined();
      const expected =
        route.function === 'provider-status' ? [{ providerKey: [] }] : route.auth === 'partner' ? [{ partnerBearer: [] }] : route.auth === 'coach' ? [{ coachBearer: [] }] : [];
      expect(operation!.security).toEqual(expected);
      for (const match of route.path.matchAll(/\{(\w+)\}/g)) {
        const params = (operation!.parameters as Json[]).map((p) => resolve(p.$ref) as Json);
        expect(params.some((p) => p.in === 'path' && p.name === match[1])).toBe(true);
      }
    }
    expect(new Set(Object.values(paths).flatMap((item) => Object.values(item).map((op) => op.operationId))).size).toBe(apiRoutes.length);
  });

  it('documents the answers of the intake routes, errors as problem+json or OperationOutcome', () => {
    const paths = doc.paths as Record<string, Record<string, Json>>;
    const intake = paths['/v1/referrals']!.post!;
    expect(Object.keys(intake.responses).sort()).toEqual(['202', '400', '401', '403', '409', '413', '415', '422', '429', '503']);
    for (const [status, response] of Object.entries(intake.responses as Record<string, Json>)) {
      if (status === '202') continue;
      const resolved = resolve(response.$ref) as Json;
      expect(resolved.content['application/problem+json'].schema).toEqual({ $ref: '#/components/schemas/Problem' });
    }
    expect(intake.parameters).toContainEqual({ $ref: '#/components/parameters/IdempotencyKey' });

    const fhir = paths['/v1/fhir/ServiceRequest']!.post!;
    expect(Object.keys(fhir.requestBody.content)).toEqual(['application/fhir+json', 'application/json']);
    for (const status of ['202', '400', '401', '409', '413', '415', '422', '429', '503']) {
      expect(fhir.responses[status].content['application/fhir+json'].schema).toEqual({
        $ref: '#/components/schemas/OperationOutcome',
      });
    }
    expect(fhir.responses['202'].headers.Location).toBeDefined();
    expect(paths['/v1/referrals/{referralId}']!.get!.responses['200']).toBeDefined();

    const problem = (doc.components as Json).schemas.Problem;
    expect(problem.properties.errors.items).toEqual({ $ref: '#/components/schemas/FieldError' });
    expect((doc.components as Json).schemas.FieldError.required).toEqual(['pointer', 'detail']);
  });

  it('every $ref resolves', () => {
    const refs = refsIn(doc);
    expect(refs.length).toBeGreaterThan(30);
    for (const ref of refs) expect(resolve(ref), ref).toBeDefined();
  });

  it('the referral schema is ReferralSchema’s, and the examples are valid', () => {
    const check = validator();
    expect(exampleReferral).toEqual(JSON.parse(read('../fixtures/referral.json')));
    expect(ReferralSchema.safeParse(exampleReferral).success).toBe(true);
    expect(check('Referral', exampleReferral).ok).toBe(true);
    // The generated schema refuses what ReferralSchema refuses.
    expect(check('Referral', { ...exampleReferral, participant: { ...exampleReferral.participant, postcode: 'nowhere' } }).ok).toBe(false);
    expect(check('Referral', { ...exampleReferral, unexpected: true }).ok).toBe(false);
    expect(check('Problem', exampleProblem).ok).toBe(true);
    expect(check('ProviderStatus', { status: 'accepted', occurredAt: '2026-03-10T09:30:00Z' }).ok).toBe(true);
    expect(check('ProviderStatus', { status: 'lost' }).ok).toBe(false);

    const paths = doc.paths as Record<string, Record<string, Json>>;
    const fhir = paths['/v1/fhir/ServiceRequest']!.post!;
    expect(check('OperationOutcome', fhir.responses['202'].content['application/fhir+json'].example).ok).toBe(true);
    expect(check('OperationOutcome', fhir.responses['422'].content['application/fhir+json'].example).ok).toBe(true);
  });

  it('the FHIR example is the contained-Patient fixture, and it maps to a valid referral', () => {
    expect(exampleFhirServiceRequest).toEqual(fhirFixture('service-request-contained'));
    expect(parseFhirReferral(exampleFhirServiceRequest).ok).toBe(true);
  });

  it('the committed openapi.json is up to date (run `npm run openapi`)', () => {
    const committed = read('../../openapi.json');
    expect(committed, 'openapi.json is out of date: run `npm run openapi` and commit it').toBe(serializeOpenApi());
    expect(JSON.parse(committed)).toEqual(JSON.parse(JSON.stringify(doc)));
  });

  it('GET /v1/openapi.json answers the document, cacheable for five minutes', async () => {
    const res = (await openApiHandler(
      apiEvent({ method: 'GET', path: '/v1/openapi.json', partnerId: null }),
      lambdaContext('openapi'),
    )) as APIGatewayProxyResult;
    expect(res.statusCode).toBe(200);
    expect(res.headers?.['Content-Type']).toBe('application/json');
    expect(res.headers?.['Cache-Control']).toBe('public, max-age=300');
    expect(res.body).toBe(serializeOpenApi());
  });
});
