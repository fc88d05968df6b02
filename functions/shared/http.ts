import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { MiddlewareObj } from '@middy/core';
import type { z } from 'zod';
import { errorFields, logSafe } from './observability.ts';
import { problems } from './problem.ts';

/** Edge helpers for API Gateway REST proxy events: headers, JSON bodies, JSON responses. */
export const MAX_BODY_BYTES = 64 * 1024;

/** Header value by case-insensitive name (single- or multi-value headers). */
export function header(event: Pick<APIGatewayProxyEvent, 'headers' | 'multiValueHeaders'>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  for (const [key, values] of Object.entries(event.multiValueHeaders ?? {})) {
    if (key.toLowerCase() === wanted && values && values.length > 0) return values.join(', ');
  }
  return undefined;
}

/** True when the Content-Type is application/json (any case; a charset, if given, must be UTF-8). */
export function isJsonContentType(value: string | undefined): boolean {
  if (!value) return false;
  const [mediaType = '', ...params] = value.split(';').map((part) => part.trim().toLowerCase());
  if (mediaType !== 'application/json') return false;
  return params.every((param) => {
    const [key, raw = ''] = param.split('=').map((part) => part.trim());
    return key !== 'charset' || ['utf-8', 'utf8', '"utf-8"'].includes(raw);
  });
}

export type BodyResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly response: APIGatewayProxyResult };

/** Content-Type (415), size (413) and JSON syntax (400) checks, in that order. */
export function readJsonBody(
  event: Pick<APIGatewayProxyEvent, 'headers' | 'multiValueHeaders' | 'body' | 'isBase64Encoded'>,
  maxBytes = MAX_BODY_BYTES,
): BodyResult<unknown> {
  if (!isJsonContentType(header(event, 'content-type'))) {
    return { ok: false, response: problems.unsupportedMediaType() };
  }
  const raw = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.byteLength > maxBytes) return { ok: false, response: problems.payloadTooLarge(maxBytes) };
  try {
    return { ok: true, value: JSON.parse(bytes.toString('utf8')) as unknown };
  } catch {
    return { ok: false, response: problems.malformedJson() };
  }
}

/** readJsonBody, then schema validation (400 with one pointer per invalid field). */
export function parseJsonBody<S extends z.ZodType>(
  event: Pick<APIGatewayProxyEvent, 'headers' | 'multiValueHeaders' | 'body' | 'isBase64Encoded'>,
  schema: S,
  maxBytes = MAX_BODY_BYTES,
): BodyResult<z.output<S>> {
  const body = readJsonBody(event, maxBytes);
  if (!body.ok) return body;
  const parsed = schema.safeParse(body.value);
  if (!parsed.success) return { ok: false, response: problems.validation(parsed.error) };
  return { ok: true, value: parsed.data };
}

export function json(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyResult {
  return {
    statusCode,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers },
    body: JSON.stringify(body),
  };
}

/**
 * Catch-all for API handlers: any error becomes a 500 problem ("internal error"), logged by
 * name only; no stack trace or message reaches the client. Register it after `observed()`.
 */
export function httpErrors(): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return {
    onError: (request) => {
      if (request.response !== undefined && request.response !== null) return;
      logSafe('error', 'unhandled error', { ...errorFields(request.error), httpStatus: 500 });
      request.response = problems.internalError();
    },
  };
}
