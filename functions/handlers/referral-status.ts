import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { z } from 'zod';
import { partnerEvent, partnerView } from '../domain/partner-view.ts';
import { httpErrors, json } from '../shared/http.ts';
import { logSafe, observed } from '../shared/observability.ts';
import { problems } from '../shared/problem.ts';
import { getReferral, listTimeline } from '../shared/referral-store.ts';
import { partnerRateLimit } from '../shared/partner-rate-limit.ts';
import { partnerOf } from '../shared/rate-limit.ts';
import { currentArea } from '../shared/workflow.ts';

/**
 * GET /v1/referrals/{referralId}: status, journey stage and timeline events of a referral,
 * with no clinical or personal detail. Unknown and malformed ids both answer 404.
 * Only the partner that made the referral sees it.
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
  const journey = referral.linkedTo ? await getReferral(referral.linkedTo) : undefined;
  const view = partnerView(referral, journey);
  const timeline = (await listTimeline(referral.referralId)).flatMap(({ at, event }) => {
    const seen = partnerEvent(event);
    return seen ? [{ at, event: seen }] : [];
  });
  // Not eligible: where the person can go instead, for the referrer to pass on.
  const offered = new Set(referral.triage?.signposting ?? []);
  const signposting = currentArea()
    .signposting.filter((s) => offered.has(s.id))
    .map(({ name, url, description }) => ({ name, url, description }));
  return json(200, {
    referralId: referral.referralId,
    status: view.status,
    stage: view.stage,
    progress: view.progress,
    receivedAt: referral.receivedAt,
    updatedAt: referral.updatedAt,
    timeline,
    ...(signposting.length ? { signposting } : {}),
  });
}

export const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
  .use(observed())
  .use(httpErrors())
  .use(partnerRateLimit())
  .handler(referralStatus);
