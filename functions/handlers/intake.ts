import { randomUUID } from 'node:crypto';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { ReferralSchema } from '../domain/referral.ts';
import { requiredEnv, sfn } from '../shared/aws-clients.ts';
import { httpErrors, json, parseJsonBody } from '../shared/http.ts';
import { countMetric, errorFields, logSafe, observed } from '../shared/observability.ts';
import { problems } from '../shared/problem.ts';
import { createReferral, setStatus } from '../shared/referral-store.ts';

/**
 * POST /v1/referrals: validate, store (status received), start the referral's journey.
 * A rejected request stores nothing. If the journey cannot be started after the SDK's retries,
 * the stored referral is marked needs_attention (nothing accepted is lost) and the caller gets
 * a retry-able 503.
 * Partner authentication, Idempotency-Key and duplicate detection come in a later issue.
 */
async function intake(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const body = parseJsonBody(event, ReferralSchema);
  if (!body.ok) {
    logSafe('info', 'referral rejected', { httpStatus: body.response.statusCode });
    return body.response;
  }

  const referralId = randomUUID();
  await createReferral({ referralId, referral: body.value, receivedAt: new Date() });
  logSafe('info', 'referral received', { referralId, code: body.value.source });

  try {
    await sfn().send(
      new StartExecutionCommand({
        stateMachineArn: requiredEnv('JOURNEY_STATE_MACHINE_ARN'),
        name: referralId,
        input: JSON.stringify({ referralId }),
      }),
    );
  } catch (error) {
    logSafe('error', 'journey start failed', { referralId, ...errorFields(error) });
    countMetric('JourneyStartFailed');
    await setStatus(referralId, {
      status: 'needs_attention',
      event: 'journey_start_failed',
      details: { error: errorFields(error).errorName },
      at: new Date(),
    }).catch((markError: unknown) =>
      logSafe('error', 'could not mark referral needs_attention', { referralId, ...errorFields(markError) }),
    );
    return problems.serviceUnavailable('The referral was stored but its journey could not be started.', 30, {
      referralId,
    });
  }

  countMetric('ReferralReceived');
  const self = `/v1/referrals/${referralId}`;
  return json(202, { referralId, status: 'received', links: { self } }, { Location: self });
}

export const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
  .use(observed())
  .use(httpErrors())
  .handler(intake);
