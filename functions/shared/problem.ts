import type { APIGatewayProxyResult } from 'aws-lambda';
import type { z } from 'zod';

/**
 * RFC 9457 problem details (application/problem+json) for API Gateway REST proxy responses.
 * Titles and details are fixed text written here: they never echo what the client sent,
 * so a rejected referral's personal data cannot leak back out through an error.
 */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface FieldError {
  /** JSON Pointer (RFC 6901) into the request body. */
  readonly pointer: string;
  readonly detail: string;
}

export interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly errors?: readonly FieldError[];
  readonly [extension: string]: unknown;
}

export interface ProblemOptions {
  readonly headers?: Record<string, string>;
  /** Extension members (ids and codes only). */
  readonly extensions?: Record<string, string | number | boolean>;
}

export function problem(
  status: number,
  title: string,
  detail?: string,
  errors?: readonly FieldError[],
  options: ProblemOptions = {},
): APIGatewayProxyResult {
  const body: ProblemDetails = {
    ...options.extensions,
    type: 'about:blank',
    title,
    status,
    ...(detail === undefined ? {} : { detail }),
    ...(errors === undefined ? {} : { errors }),
  };
  return {
    statusCode: status,
    headers: {
      'Content-Type': PROBLEM_CONTENT_TYPE,
      'Cache-Control': 'no-store',
      ...options.headers,
    },
    body: JSON.stringify(body),
  };
}

/** RFC 6901: escape ~ and / in each reference token. */
export function jsonPointer(path: readonly PropertyKey[]): string {
  return path
    .map((segment) => `/${String(segment).replaceAll('~', '~0').replaceAll('/', '~1')}`)
    .join('');
}

const safeKeyName = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * One entry per invalid field. Zod's default messages state the expectation and, at most, the
 * type received, never the value; unrecognised keys get a fixed message (the key is named in
 * the pointer only when it is a plain identifier).
 */
export function fieldErrors(error: z.ZodError): FieldError[] {
  const out: FieldError[] = [];
  const seen = new Set<string>();
  const add = (pointer: string, detail: string) => {
    if (seen.has(pointer)) return;
    seen.add(pointer);
    out.push({ pointer, detail });
  };
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        if (safeKeyName.test(key)) add(jsonPointer([...issue.path, key]), 'is not an accepted field');
        else add(jsonPointer(issue.path), 'has a field that is not accepted');
      }
    } else {
      add(jsonPointer(issue.path), issue.message || 'is not valid');
    }
  }
  return out;
}

export const problems = {
  validation: (error: z.ZodError) =>
    problem(400, 'Bad Request', 'The request body does not match the referral schema.', fieldErrors(error)),
  malformedJson: () => problem(400, 'Bad Request', 'The request body is not valid JSON.'),
  notFound: (detail = 'No such resource.') => problem(404, 'Not Found', detail),
  payloadTooLarge: (limitBytes: number) =>
    problem(413, 'Content Too Large', `The request body is larger than ${limitBytes} bytes.`),
  unsupportedMediaType: () =>
    problem(415, 'Unsupported Media Type', 'Send the request body as application/json.', undefined, {
      headers: { 'Accept-Post': 'application/json' },
    }),
  internalError: () => problem(500, 'Internal Server Error', 'internal error'),
  serviceUnavailable: (detail: string, retryAfterSeconds: number, extensions?: Record<string, string>) =>
    problem(503, 'Service Unavailable', detail, undefined, {
      headers: { 'Retry-After': String(retryAfterSeconds) },
      ...(extensions ? { extensions } : {}),
    }),
} as const;
