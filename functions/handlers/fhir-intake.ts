import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import {
  fhirExpressionFor,
  FHIR_JSON,
  type FhirIssue,
  type FhirIssueCode,
  operationOutcome,
  type OutcomeOptions,
  parseFhirReferral,
  workwellFhir,
} from '../domain/fhir.ts';
import { header } from '../shared/http.ts';
import { acceptReferral, canonicalHash } from '../shared/intake-service.ts';
import { countMetric, errorFields, logSafe, observed } from '../shared/observability.ts';
import { partnerRateLimit } from '../shared/partner-rate-limit.ts';
import { partnerOf } from '../shared/rate-limit.ts';
import { familyMetric } from '../shared/metric-catalogue.ts';

/**
 * POST /v1/fhir/ServiceRequest: a referral from an NHS system speaking the Booking and Referral
 * Standard, as a UK Core ServiceRequest with a contained Patient or a Bundle (message,
 * collection or transaction). Mapped to the one referral model (domain/fhir.ts) and accepted
 * exactly like a JSON referral (shared/intake-service.ts: Idempotency-Key, one journey per
 * person). Every answer is a FHIR OperationOutcome (application/fhir+json):
 *
 * - 202 with Location /v1/referrals/<referralId> and the id in the ReferralReceipt extension,
 *   plus warnings for defaults applied (such as an unmapped SNOMED CT code recorded as other);
 * - 400 (not FHIR JSON, wrong resource, broken structure) or 422 (a rule broken: status not
 *   active, bad NHS number, no consent, a field the referral model refuses): nothing stored;
 * - 401 without the partner authorizer's context, 413 over FHIR_MAX_BODY_BYTES, 415 other
 *   media types, 409/422 from the Idempotency-Key, 429 over the partner's rate, 503 when the
 *   journey could not be started (the referral is kept; retry).
 *
 * BaRS X-Request-Id and X-Correlation-Id are echoed back. Issues never quote submitted values
 * and logs carry ids and issue codes only.
 */
export const FHIR_MAX_BODY_BYTES = 256 * 1024;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
const TRACE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const ACCEPTED_MEDIA = `${FHIR_JSON}, application/json`;

function issue(code: FhirIssueCode, diagnostics: string, expression: readonly string[] = []): FhirIssue {
  return { severity: 'error', code, expression, diagnostics };
}

/** Request tracing headers of BaRS, echoed back when they look like ids. */
function traceHeaders(event: APIGatewayProxyEvent | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!event) return out;
  for (const name of ['X-Request-Id', 'X-Correlation-Id']) {
    const value = header(event, name);
    if (value && TRACE_ID.test(value)) out[name] = value;
  }
  return out;
}

export function fhirResponse(
  statusCode: number,
  issues: readonly FhirIssue[],
  options: OutcomeOptions & { headers?: Record<string, string> } = {},
): APIGatewayProxyResult {
  const { headers, ...outcome } = options;
  return {
    statusCode,
    headers: { 'Content-Type': FHIR_JSON, 'Cache-Control': 'no-store', ...headers },
    body: JSON.stringify(operationOutcome(issues, outcome)),
  };
}

/** application/fhir+json or application/json; a charset must be UTF-8, a fhirVersion 4.0. */
export function isFhirJsonContentType(value: string | undefined): boolean {
  if (!value) return false;
  const [mediaType = '', ...params] = value.split(';').map((part) => part.trim().toLowerCase());
  if (mediaType !== FHIR_JSON && mediaType !== 'application/json') return false;
  return params.every((param) => {
    const [key, raw = ''] = param.split('=').map((part) => part.trim().replace(/^"|"$/g, ''));
    if (key === 'charset') return raw === 'utf-8' || raw === 'utf8';
    if (key === 'fhirversion') return raw === '4.0' || raw === '4.0.1';
    return true;
  });
}

async function fhirIntake(event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> {
  const trace = traceHeaders(event);
  const partner = partnerOf(event);
  if (!partner) {
    logSafe('info', 'fhir referral without partner', { httpStatus: 401 });
    return fhirResponse(401, [issue('login', 'A partner credential is required.')], {
      headers: { ...trace, 'WWW-Authenticate': 'Bearer' },
    });
  }
  if (!isFhirJsonContentType(header(event, 'content-type'))) {
    return fhirResponse(415, [issue('not-supported', 'Send the request body as application/fhir+json (or application/json).')], {
      headers: { ...trace, 'Accept-Post': ACCEPTED_MEDIA },
    });
  }
  const raw = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.byteLength > FHIR_MAX_BODY_BYTES) {
    return fhirResponse(413, [issue('too-long', `The request body is larger than ${FHIR_MAX_BODY_BYTES} bytes.`)], { headers: trace });
  }
  const idempotencyKey = header(event, 'Idempotency-Key');
  if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
    return fhirResponse(400, [issue('value', 'Idempotency-Key must be 1 to 255 visible ASCII characters.')], { headers: trace });
  }
  let resource: unknown;
  try {
    resource = JSON.parse(bytes.toString('utf8'));
  } catch {
    return fhirResponse(400, [issue('structure', 'The request body is not valid JSON.')], { headers: trace });
  }

  const mapped = parseFhirReferral(resource);
  if (!mapped.ok) {
    logSafe('info', 'fhir referral rejected', { httpStatus: mapped.httpStatus, code: mapped.issues[0]?.code ?? 'invalid' });
    countMetric('FhirReferralRejected');
    return fhirResponse(mapped.httpStatus, mapped.issues, { headers: trace });
  }

  const outcome = await acceptReferral({
    referral: mapped.referral,
    partner: { partnerId: partner.partnerId, organisationType: partner.organisationType },
    ...(idempotencyKey ? { idempotencyKey } : {}),
    bodyHash: canonicalHash(mapped.referral),
    context,
  });
  if (outcome.httpStatus === 400) {
    // Valid FHIR whose content the service cannot accept: 422, as for the mapped referral's schema.
    const issues = outcome.problems.map((p) => issue('business-rule', `${p.pointer.slice(1).replaceAll('/', '.')} ${p.detail}`, [fhirExpressionFor(p.pointer)]));
    return fhirResponse(422, issues, { headers: trace });
  }
  if (outcome.httpStatus === 503) {
    return fhirResponse(503, [issue('transient', outcome.problem)], {
      headers: { ...trace, 'Retry-After': '30' },
      ...(outcome.referralId ? { extension: [receipt(outcome.referralId)] } : {}),
    });
  }
  if (outcome.httpStatus !== 202) {
    logSafe('info', 'fhir referral refused', { httpStatus: outcome.httpStatus });
    return fhirResponse(outcome.httpStatus, [issue(outcome.httpStatus === 409 ? 'conflict' : 'business-rule', outcome.problem)], {
      headers: trace,
    });
  }

  countMetric(familyMetric('referralReceived', mapped.referral.source));
  countMetric('FhirReferralAccepted');
  logSafe('info', 'fhir referral accepted', { referralId: outcome.referralId, priority: mapped.priority, httpStatus: 202 });
  const self = `/v1/referrals/${outcome.referralId}`;
  // A linked referral is answered like any other: the partner learns nothing of other referrals.
  return fhirResponse(
    202,
    [
      {
        severity: 'information',
        code: 'informational',
        expression: [],
        diagnostics: `Referral ${outcome.referralId} received.`,
      },
      ...mapped.warnings,
    ],
    {
      headers: { ...trace, Location: self },
      extension: [receipt(outcome.referralId, 'received')],
      details: { coding: [{ system: workwellFhir.referralStatusSystem, code: 'received' }], text: 'Referral received' },
    },
  );
}

/** The ReferralReceipt extension: the referral id (and status) for the partner to keep. */
function receipt(referralId: string, status?: 'received'): Record<string, unknown> {
  return {
    url: workwellFhir.referralReceipt,
    extension: [{ url: 'referralId', valueId: referralId }, ...(status ? [{ url: 'status', valueCode: status }] : [])],
  };
}

/** 429 from the partner rate limit, as an OperationOutcome. */
function fhirRateLimit(): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  const limit = partnerRateLimit();
  return {
    before: async (request) => {
      const early = (await limit.before?.(request)) as APIGatewayProxyResult | undefined;
      if (!early) return undefined;
      const retryAfter = String(early.headers?.['Retry-After'] ?? '60');
      return fhirResponse(429, [issue('throttled', 'The request rate limit for this partner was reached. Try again later.')], {
        headers: { ...traceHeaders(request.event), 'Retry-After': retryAfter },
      });
    },
  };
}

/** Any error becomes a 500 OperationOutcome, logged by error name only. */
function fhirErrors(): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return {
    onError: (request) => {
      if (request.response !== undefined && request.response !== null) return;
      logSafe('error', 'unhandled error', { ...errorFields(request.error), httpStatus: 500 });
      request.response = fhirResponse(500, [issue('exception', 'internal error')], { headers: traceHeaders(request.event) });
    },
  };
}

export const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
  .use(observed())
  .use(fhirErrors())
  .use(fhirRateLimit())
  .handler(fhirIntake);
