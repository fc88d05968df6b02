import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { z } from 'zod';
import { providerAnswerProblems, ProviderStatusBody } from '../domain/onward-referral.ts';
import { header, httpErrors, json, readJsonBody } from '../shared/http.ts';
import { countMetric, logSafe, observed } from '../shared/observability.ts';
import { getOnwardReferral, isDerivedProviderKey, providerKeyMatches } from '../shared/onward-referral-store.ts';
import { answerOnwardReferral } from '../shared/provider-answer.ts';
import { fieldErrors, problem, problems } from '../shared/problem.ts';

/**
 * POST /v1/onward-referrals/{onwardReferralId}/status: a local service provider reports what
 * happened to an onward referral, with the key it received in the referral as a Bearer token.
 *
 * - 401 without a key, or with a key that is not this onward referral's (checked against the
 *   stored hash in constant time). An unknown id answers 401 too, unless the caller holds the
 *   key this deployment would have issued for that id (then 404): nobody learns whether an
 *   id exists without its key. A malformed id answers 404.
 * - 400 (one pointer per field) for a body that is not { status, occurredAt? }; 409 for a
 *   status that may not follow the current one. The current status again is accepted as a
 *   retry and changes nothing.
 * - The answer goes through answerOnwardReferral (shared/provider-answer.ts), as the
 *   provider's page's does: a status that answers the waiting journey completes its task.
 */
const OnwardReferralId = z.uuid();
const MAX_KEY_LENGTH = 256;
const FUTURE_TOLERANCE_MS = 5 * 60_000;

const unauthorized = () =>
  problem(401, 'Unauthorized', 'Send the key given in the onward referral as a Bearer token.', undefined, {
    headers: { 'WWW-Authenticate': 'Bearer' },
  });

function bearerKey(event: APIGatewayProxyEvent): string | undefined {
  const match = /^Bearer\s+([A-Za-z0-9._~+/=-]+)\s*$/i.exec(header(event, 'authorization') ?? '');
  const key = match?.[1];
  return key && key.length <= MAX_KEY_LENGTH ? key : undefined;
}

async function providerStatus(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const key = bearerKey(event);
  if (!key) {
    logSafe('info', 'provider status without key', { httpStatus: 401 });
    return unauthorized();
  }
  const id = OnwardReferralId.safeParse(event.pathParameters?.onwardReferralId);
  if (!id.success) {
    logSafe('info', 'provider status for a malformed id', { httpStatus: 404 });
    return problems.notFound('No onward referral with this id.');
  }
  const onwardReferralId = id.data;
  const onward = await getOnwardReferral(onwardReferralId);
  if (!onward) {
    const holdsKey = isDerivedProviderKey(key, onwardReferralId);
    logSafe('info', 'provider status for an unknown id', { httpStatus: holdsKey ? 404 : 401 });
    return holdsKey ? problems.notFound('No onward referral with this id.') : unauthorized();
  }
  const log = { referralId: onward.referralId, code: onward.serviceId };
  if (!providerKeyMatches(key, onward.providerKeyHash)) {
    logSafe('warn', 'provider status with a wrong key', { ...log, httpStatus: 401 });
    countMetric('ProviderKeyRejected');
    return unauthorized();
  }

  const raw = readJsonBody(event);
  if (!raw.ok) return raw.response;
  const body = ProviderStatusBody.safeParse(raw.value);
  if (!body.success) {
    logSafe('info', 'provider status rejected', { ...log, httpStatus: 400 });
    return problem(400, 'Bad Request', 'The request body does not match the provider status schema.', fieldErrors(body.error));
  }
  const now = new Date();
  const answer = body.data;
  if (answer.occurredAt && new Date(answer.occurredAt).getTime() > now.getTime() + FUTURE_TOLERANCE_MS) {
    return problem(400, 'Bad Request', 'The request body does not match the provider status schema.', [
      { pointer: '/occurredAt', detail: 'must not be in the future' },
    ]);
  }
  const mismatched = providerAnswerProblems(answer);
  if (mismatched.length) return problem(400, 'Bad Request', 'The request body does not match the provider status schema.', mismatched);

  const result = await answerOnwardReferral(onward, answer, now);
  if (result.outcome === 'not_allowed') {
    return problem(409, 'Conflict', 'This status cannot follow the current status of the onward referral.', undefined, {
      extensions: { onwardReferralId, currentStatus: result.onwardReferral.status, requestedStatus: answer.status },
    });
  }
  return json(200, { onwardReferralId, status: answer.status });
}

export const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
  .use(observed())
  .use(httpErrors())
  .handler(providerStatus);
