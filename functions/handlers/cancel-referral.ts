import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { z } from 'zod';
import { httpErrors, json } from '../shared/http.ts';
import { cancelByReferrer } from '../shared/cancellation.ts';
import { observed } from '../shared/observability.ts';
import { problem, problems } from '../shared/problem.ts';
import { partnerRateLimit } from '../shared/partner-rate-limit.ts';
import { partnerOf } from '../shared/rate-limit.ts';

/**
 * POST /v1/referrals/{referralId}/cancel: the partner that made a referral cancels it (in FHIR
 * terms, ServiceRequest.status = revoked). The journey ends cleanly: open tasks cancelled, the
 * coach's caseload freed. Cancelling again answers the same; a journey that already ended is 409.
 */
const ReferralId = z.uuid();

async function cancelReferral(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const partner = partnerOf(event);
  const id = ReferralId.safeParse(event.pathParameters?.referralId);
  const result = id.success && partner ? await cancelByReferrer(partner.partnerId, id.data, 'referrer_cancelled') : undefined;
  if (!result || result.outcome === 'not_found') return problems.notFound('No referral with this id.');
  if (result.outcome === 'ended') {
    return problem(409, 'Conflict', 'The referral has already ended and cannot be cancelled.', undefined, {
      extensions: { status: result.status },
    });
  }
  return json(200, { referralId: result.referralId, status: 'withdrawn' });
}

export const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
  .use(observed())
  .use(httpErrors())
  .use(partnerRateLimit())
  .handler(cancelReferral);
