import middy from '@middy/core';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { parseAuthorization } from '../domain/credentials.ts';
import { headerValue, policy, wholeApiArn } from '../shared/authorizer-policy.ts';
import { countMetric, logSafe, observed } from '../shared/observability.ts';
import { verifyCredential } from '../shared/partner-store.ts';

/**
 * API Gateway REQUEST authorizer for the partner routes (and the local gateway's, which calls
 * it the same way). Missing, malformed or unknown credential: throws 'Unauthorized' (API
 * Gateway answers 401). Revoked credential, suspended partner, another area's credential: a
 * Deny policy (403). Otherwise Allow for the whole API, so a cached answer (the cache key is the
 * Authorization header) serves every route, with the partner in the context.
 * The token is never logged; only the outcome code is.
 */

async function authorize(event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> {
  const token = parseAuthorization(headerValue(event, 'authorization'));
  const verdict = token ? await verifyCredential(token) : ({ error: 'invalid' } as const);
  const resource = wholeApiArn(event.methodArn);
  if ('error' in verdict) {
    logSafe('info', 'partner credential refused', { code: verdict.error });
    countMetric(`PartnerAuth_${verdict.error}`);
    // API Gateway's convention: this exact message means 401.
    if (verdict.error === 'invalid') throw new Error('Unauthorized');
    return { principalId: 'refused', policyDocument: policy('Deny', resource) };
  }
  return {
    principalId: verdict.partnerId,
    policyDocument: policy('Allow', resource),
    context: {
      partnerId: verdict.partnerId,
      partnerName: verdict.partnerName,
      organisationType: verdict.organisationType,
    },
  };
}

export const handler = middy<APIGatewayRequestAuthorizerEvent, APIGatewayAuthorizerResult>()
  .use(observed())
  .handler(authorize);
