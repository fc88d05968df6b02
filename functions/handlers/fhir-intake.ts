import { randomUUID } from 'node:crypto';
import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { barsOutcome, isMessageBundle, referralServiceRequest, responseMessage } from '../domain/bars.ts';
import {
  cancellationOf,
  fhirExpressionFor,
  FHIR_JSON,
  type FhirCancellation,
  type FhirIssue,
  type FhirIssueCode,
  type MappingContext,
  type OutcomeOptions,
  parseFhirReferral,
  workwellFhir,
} from '../domain/fhir.ts';
import { cancelByReferrer, type CancelOutcome } from '../shared/cancellation.ts';
import { header } from '../shared/http.ts';
import { acceptReferral, canonicalHash } from '../shared/intake-service.ts';
import { countMetric, errorFields, logSafe, observed } from '../shared/observability.ts';
import { partnerRateLimit } from '../shared/partner-rate-limit.ts';
import { partnerOf, type PartnerIdentity } from '../shared/rate-limit.ts';
import { familyMetric } from '../shared/metric-catalogue.ts';
import { getReferral, listTimeline, notEligibleReviewReason } from '../shared/referral-store.ts';
import { partnerStatus } from '../domain/partner-view.ts';
import { currentArea } from '../shared/workflow.ts';

/**
 * POST /v1/fhir/$process-message (BaRS) and its alias POST /v1/fhir/ServiceRequest: a referral
 * from an NHS system speaking the Booking and Referral Standard, as a message Bundle (or, on the
 * alias, a UK Core ServiceRequest with a contained Patient or a collection/transaction Bundle).
 * Mapped to the one referral model (domain/fhir.ts, with the partner's registration and the
 * area's consent rule to fall back on) and accepted exactly like a JSON referral
 * (shared/intake-service.ts: Idempotency-Key, one journey per person).
 *
 * - $process-message answers as BaRS does: 200 with a response message Bundle (MessageHeader
 *   response.code ok, focus the ServiceRequest whose id is the referral id, the warnings as an
 *   OperationOutcome); the alias keeps its 202 OperationOutcome with the ReferralReceipt
 *   extension. Both give Location /v1/referrals/<referralId>.
 * - A BaRS update message whose ServiceRequest is revoked or entered-in-error cancels the
 *   referral whose id it carries, as POST /v1/referrals/{id}/cancel does (shared/cancellation.ts).
 * - Errors are OperationOutcomes with BaRS error codes (domain/bars.ts): 400 (not FHIR JSON,
 *   broken structure), 401 without the authorizer's context, 404 no such referral to cancel,
 *   409/422 (a rule broken, Idempotency-Key reuse), 413, 415, 429, 503 when the journey could
 *   not be started (the referral is kept; retry). A refusal stores nothing.
 *
 * GET /v1/fhir/ServiceRequest/{referralId}: a partner reads its own referral as a ServiceRequest
 * (status only, nothing personal), for partners without an endpoint to be told; another
 * partner's referral is answered as a missing one, 404.
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
    body: JSON.stringify(barsOutcome(statusCode, issues, outcome)),
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
  const body = readBody(event, trace);
  if ('answer' in body) return body.answer;
  const { resource, idempotencyKey } = body;

  const processMessage = (event.resource ?? event.path ?? '').endsWith('/$process-message');
  if (processMessage && !isMessageBundle(resource)) {
    return fhirResponse(400, [issue('invalid', '$process-message takes a FHIR message Bundle (Bundle.type message).')], { headers: trace });
  }
  const cancellation = cancellationOf(resource);
  if (cancellation) return cancel(partner, cancellation, resource, trace);

  const mapped = parseFhirReferral(resource, mappingContext(partner));
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
  const issues = [information(`Referral ${outcome.referralId} received.`), ...mapped.warnings];
  const options = {
    extension: [receipt(outcome.referralId, 'received', outcome.reference)],
    details: { coding: [{ system: workwellFhir.referralStatusSystem, code: 'received' }], text: 'Referral received' },
  };
  return processMessage
    ? bundleResponse(200, resource, outcome.referralId, 'active', barsOutcome(200, issues, options), { ...trace, Location: self })
    : fhirResponse(202, issues, { headers: { ...trace, Location: self }, ...options });
}

/** GET /v1/fhir/ServiceRequest/{referralId}: the partner's own referral, as a ServiceRequest. */
async function fhirRead(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const trace = traceHeaders(event);
  const partner = partnerOf(event);
  const id = event.pathParameters?.referralId;
  const referral = partner && id && REFERRAL_ID.test(id) ? await getReferral(id.toLowerCase()) : undefined;
  if (!referral || referral.partnerId !== partner?.partnerId) {
    return fhirResponse(404, [issue('not-found', 'No referral of yours has this id.')], { headers: trace });
  }
  const [timeline, reviewReason] = await Promise.all([
    listTimeline(referral.referralId),
    referral.status === 'not_eligible' ? notEligibleReviewReason(referral.referralId) : undefined,
  ]);
  const enteredInError = referral.status === 'withdrawn' && timeline.some((entry) => entry.reason === 'referrer_entered_in_error');
  const seen = partnerStatus({ referral, timeline, reviewReason, signposts: currentArea().signposting });
  const body = referralServiceRequest({ ...referral, enteredInError, notEligibleReason: seen.notEligibleReason, signposting: seen.signposting });
  return { statusCode: 200, headers: { 'Content-Type': FHIR_JSON, 'Cache-Control': 'no-store', ...trace }, body: JSON.stringify(body) };
}

/** The body as FHIR JSON (and a well-formed Idempotency-Key), or the refusal to answer with. */
function readBody(
  event: APIGatewayProxyEvent,
  trace: Record<string, string>,
): { resource: unknown; idempotencyKey: string | undefined } | { answer: APIGatewayProxyResult } {
  const refuse = (status: number, found: FhirIssue, headers: Record<string, string> = {}) => ({
    answer: fhirResponse(status, [found], { headers: { ...trace, ...headers } }),
  });
  if (!isFhirJsonContentType(header(event, 'content-type'))) {
    const media = 'Send the request body as application/fhir+json (or application/json).';
    return refuse(415, issue('not-supported', media), { 'Accept-Post': ACCEPTED_MEDIA });
  }
  const raw = event.body ?? '';
  const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.byteLength > FHIR_MAX_BODY_BYTES) {
    return refuse(413, issue('too-long', `The request body is larger than ${FHIR_MAX_BODY_BYTES} bytes.`));
  }
  const idempotencyKey = header(event, 'Idempotency-Key');
  if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
    return refuse(400, issue('value', 'Idempotency-Key must be 1 to 255 visible ASCII characters.'));
  }
  try {
    return { resource: JSON.parse(bytes.toString('utf8')) as unknown, idempotencyKey };
  } catch {
    return refuse(400, issue('structure', 'The request body is not valid JSON.'));
  }
}

/** What the mapping falls back on: the partner's registration, the area's consent rule, the time of arrival. */
function mappingContext(partner: PartnerIdentity): MappingContext {
  const area = currentArea();
  const registered = area.partners.find((p) => p.id === partner.partnerId);
  return {
    partner: { name: registered?.name ?? partner.partnerName, odsCode: registered?.odsCode, organisationType: partner.organisationType },
    explicitConsentRequired: area.intake.explicitConsentRequired,
    receivedAt: new Date().toISOString(),
  };
}

/** A BaRS cancellation: the same use case as POST /v1/referrals/{id}/cancel, answered with a response message. */
async function cancel(
  partner: PartnerIdentity,
  cancellation: FhirCancellation,
  request: unknown,
  trace: Record<string, string>,
): Promise<APIGatewayProxyResult> {
  const reason = cancellation.status === 'revoked' ? 'referrer_cancelled' : 'referrer_entered_in_error';
  // The sender's own id may come first: the referral is whichever candidate is this partner's (a few at most).
  let result: CancelOutcome = { outcome: 'not_found' };
  for (const id of cancellation.referralIds.filter((candidate) => REFERRAL_ID.test(candidate)).slice(0, 3)) {
    result = await cancelByReferrer(partner.partnerId, id.toLowerCase(), reason);
    if (result.outcome !== 'not_found') break;
  }
  if (result.outcome === 'not_found') {
    const where = ['ServiceRequest.id', 'ServiceRequest.identifier'];
    return fhirResponse(404, [issue('not-found', 'No referral of yours has the id this ServiceRequest carries (the id the service answered the referral with).', where)], {
      headers: trace,
    });
  }
  if (result.outcome === 'ended') {
    return fhirResponse(409, [issue('conflict', 'The referral has already ended and cannot be cancelled.', ['ServiceRequest.status'])], { headers: trace });
  }
  countMetric('FhirReferralCancelled');
  const issues = [information(`Referral ${result.referralId} cancelled (${cancellation.status}).`)];
  return bundleResponse(200, request, result.referralId, cancellation.status, barsOutcome(200, issues), trace);
}

const REFERRAL_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function information(diagnostics: string): FhirIssue {
  return { severity: 'information', code: 'informational', expression: [], diagnostics };
}

function bundleResponse(
  statusCode: number,
  request: unknown,
  referralId: string,
  status: 'active' | 'revoked' | 'entered-in-error',
  outcome: ReturnType<typeof barsOutcome>,
  headers: Record<string, string>,
): APIGatewayProxyResult {
  const ids = { bundle: randomUUID(), header: randomUUID(), outcome: randomUUID() };
  const body = responseMessage({ ids, timestamp: new Date().toISOString(), request, referralId, status, outcome });
  return { statusCode, headers: { 'Content-Type': FHIR_JSON, 'Cache-Control': 'no-store', ...headers }, body: JSON.stringify(body) };
}

/** The ReferralReceipt extension: the referral id (status and short reference) for the partner to keep. */
function receipt(referralId: string, status?: 'received', reference?: string): Record<string, unknown> {
  return {
    url: workwellFhir.referralReceipt,
    extension: [
      { url: 'referralId', valueId: referralId },
      ...(status ? [{ url: 'status', valueCode: status }] : []),
      ...(reference ? [{ url: 'reference', valueString: reference }] : []),
    ],
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
  .handler((event, context) => (event.httpMethod === 'GET' ? fhirRead(event) : fhirIntake(event, context)));
