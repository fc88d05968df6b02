import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { z } from 'zod';
import { partnerStatus } from '../domain/partner-view.ts';
import { httpErrors, json } from '../shared/http.ts';
import { logSafe, observed } from '../shared/observability.ts';
import { problems } from '../shared/problem.ts';
import { getReferral, listTimeline, notEligibleReviewReason } from '../shared/referral-store.ts';
import { partnerRateLimit } from '../shared/partner-rate-limit.ts';
import { partnerOf } from '../shared/rate-limit.ts';
import { currentArea } from '../shared/workflow.ts';

/**
 * GET /v1/referrals/{referralId}: status, journey stage and timeline events (codes and words) of
 * a referral, why it was not eligible and where the person can go instead (domain/partner-view.ts
 * decides what a partner may see), with no clinical or personal detail. Unknown and malformed ids
 * both answer 404. Only the partner that made the referral sees it.
 */
const ReferralId = z.uuid();

async function referralStatus(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const partner = partnerOf(event);
  const id = ReferralId.safeParse(event.pathParameters?.referralId);
  const referral = id.success ? await getReferral(id.data) : undefined;
  // Another partner's referral is answered exactly like a missing one.
  if (!id.success || !referral || !partner || referral.partnerId !== partner.partnerId) {
    logSafe('info', 'referral not found', { httpStatus: 404 });
    return problems.notFound('No referral with this id.');
  }
  const [journey, timeline, reviewReason] = await Promise.all([
    referral.linkedTo ? getReferral(referral.linkedTo) : undefined,
    listTimeline(referral.referralId),
    referral.status === 'not_eligible' ? notEligibleReviewReason(referral.referralId) : undefined,
  ]);
  return json(200, partnerStatus({ referral, journey, timeline, reviewReason, signposts: currentArea().signposting }));
}

export const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
  .use(observed())
  .use(httpErrors())
  .use(partnerRateLimit())
  .handler(referralStatus);
