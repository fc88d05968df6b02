import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { ReferralSchema } from '../domain/referral.ts';
import { header, httpErrors, json, parseJsonBody } from '../shared/http.ts';
import { acceptReferral, canonicalHash } from '../shared/intake-service.ts';
import { countMetric, logSafe, observed } from '../shared/observability.ts';
import { problem, problems } from '../shared/problem.ts';
import { partnerRateLimit } from '../shared/partner-rate-limit.ts';
import { partnerOf } from '../shared/rate-limit.ts';
import { familyMetric } from '../shared/metric-catalogue.ts';

/**
 * POST /v1/referrals: a partner's referral, validated at the edge (a rejected request stores
 * nothing), then accepted once (intake-service.ts: idempotency, one journey per person).
 */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

async function intake(event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> {
  const partner = partnerOf(event);
  if (!partner) return problem(401, 'Unauthorized', 'A partner credential is required.');
  const idempotencyKey = header(event, 'Idempotency-Key');
  if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
    return problem(400, 'Bad Request', 'Idempotency-Key must be 1 to 255 visible ASCII characters.');
  }
  const body = parseJsonBody(event, ReferralSchema);
  if (!body.ok) {
    logSafe('info', 'referral rejected', { httpStatus: body.response.statusCode });
    return body.response;
  }

  const outcome = await acceptReferral({
    referral: body.value,
    partner,
    ...(idempotencyKey ? { idempotencyKey } : {}),
    bodyHash: canonicalHash(body.value),
    context,
  });
  if (outcome.httpStatus === 400) return problem(400, 'Bad Request', 'The referral is not valid.', outcome.problems);
  if (outcome.httpStatus !== 202) {
    if (outcome.httpStatus === 503) {
      return problems.serviceUnavailable(outcome.problem, 30, outcome.referralId ? { referralId: outcome.referralId } : undefined);
    }
    return problem(outcome.httpStatus, outcome.httpStatus === 409 ? 'Conflict' : 'Unprocessable Content', outcome.problem);
  }
  countMetric(familyMetric('referralReceived', body.value.source));
  const self = `/v1/referrals/${outcome.referralId}`;
  // A linked referral is answered like any other: the partner learns nothing of other referrals.
  const reference = outcome.reference ? { reference: outcome.reference } : {};
  return json(202, { referralId: outcome.referralId, ...reference, status: 'received', links: { self } }, { Location: self });
}

export const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
  .use(observed())
  .use(httpErrors())
  .use(partnerRateLimit())
  .handler(intake);
