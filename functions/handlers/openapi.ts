import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { serializeOpenApi } from '../domain/openapi.ts';
import { httpErrors } from '../shared/http.ts';
import { observed } from '../shared/observability.ts';

/**
 * GET /v1/openapi.json: the OpenAPI 3.1 document of the partner API (domain/openapi.ts), the
 * same text as the committed openapi.json. Public, built once per container, cacheable.
 */
let document: string | undefined;

async function openApi(): Promise<APIGatewayProxyResult> {
  document ??= serializeOpenApi();
  return {
    statusCode: 200,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'public, max-age=300' },
    body: document,
  };
}

export const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
  .use(observed())
  .use(httpErrors())
  .handler(openApi);
