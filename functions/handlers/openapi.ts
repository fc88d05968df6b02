import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { barsGatewayOutcome, capabilityStatement } from '../domain/bars.ts';
import { FHIR_JSON } from '../domain/fhir.ts';
import { serializeOpenApi } from '../domain/openapi.ts';
import { httpErrors } from '../shared/http.ts';
import { observed } from '../shared/observability.ts';

/**
 * What the partner API says of itself, public and cacheable: GET /v1/openapi.json, the OpenAPI
 * 3.1 document (domain/openapi.ts, the same text as the committed openapi.json); GET
 * /v1/fhir/metadata, the FHIR CapabilityStatement (domain/bars.ts); and any other /v1/fhir/
 * address, a BaRS 404 OperationOutcome.
 */
let document: string | undefined;
const BUILT = new Date().toISOString().slice(0, 10);

async function openApi(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const path = event.resource ?? event.path;
  if (path === '/v1/fhir/metadata') return fhir(200, capabilityStatement(BUILT), 'public, max-age=300');
  if (path !== '/v1/openapi.json') return fhir(404, barsGatewayOutcome(404), 'no-store');
  document ??= serializeOpenApi();
  return {
    statusCode: 200,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'public, max-age=300' },
    body: document,
  };
}

function fhir(statusCode: number, body: unknown, cache: string): APIGatewayProxyResult {
  return { statusCode, headers: { 'Content-Type': FHIR_JSON, 'Cache-Control': cache }, body: JSON.stringify(body) };
}

export const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
  .use(observed())
  .use(httpErrors())
  .handler(openApi);
