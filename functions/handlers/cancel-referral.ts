import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { z } from 'zod';
import { httpErrors, json } from '../shared/http.ts';
import { logSafe, observed } from '../shared/observability.ts';
import { problem, problems } from '../shared/problem.ts';
import { partnerRateLimit } from '../shared/partner-rate-limit.ts';
import { partnerOf } from '../shared/rate-limit.ts';
import { getReferral } from '../shared/referral-store.ts';
import { withdrawReferral } from '../shared/withdrawal.ts';

/**
 * POST /v1/referrals/{referralId}/cancel: the partner that made a referral cancels it (in FHIR
 * terms, ServiceRequest.status = revoked). The journey ends cleanly: open tasks cancelled, the
 * coach's caseload freed. Cancelling again answers the same; a journey that already ended is 409.
 */
const ReferralId = z.uuid();

async function cancelReferral(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const partner = partnerOf(event);
  const id = ReferralId.safeParse(event.pathParameters?.referralId);
  const referral = id.success ? await getReferral(id.data) : undefined;
  if (!id.success || !referral || !partner || referral.partnerId !== partner.partnerId) {
    return problems.notFound('No referral with this id.');
  }
  if (referral.closedAt && referral.status !== 'withdrawn') {
    return problem(409, 'Conflict', 'The referral has already ended and cannot be cancelled.', undefined, {
      extensions: { status: referral.status },
    });
  }
  await withdrawReferral(referral.referralId, 'referrer_cancelled');
  logSafe('info', 'referral cancelled by its partner', { referralId: referral.referralId });
  return json(200, { referralId: referral.referralId, status: 'withdrawn' });
}

export const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
  .use(observed())
  .use(httpErrors())
  .use(partnerRateLimit())
  .handler(cancelReferral);
