import middy from '@middy/core';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { JwtVerifier } from 'aws-jwt-verify';
import type { Fetcher } from 'aws-jwt-verify/https';
import { SimpleJwksCache } from 'aws-jwt-verify/jwk';
import { requiredEnv } from '../shared/aws-clients.ts';
import { getCoach } from '../shared/coach-store.ts';
import { headerValue, policy, wholeApiArn } from '../shared/authorizer-policy.ts';
import { countMetric, errorFields, logSafe, observed } from '../shared/observability.ts';
import { isTeamLead, STAFF_ID_CLAIM, type StaffRole } from '../shared/staff.ts';

/**
 * API Gateway REQUEST authorizer for the coach routes (the local gateway calls it the same way).
 * The Bearer token is a JWT (RS256) from the area's identity provider (a Cognito user pool in
 * AWS, the local issuer locally), verified against the issuer's JWKS: signature, issuer,
 * audience, expiry. Its `custom:staff_id` claim names the caller: a team lead of the area
 * (area settings) or a coach (coach store).
 *  - no token, not a JWT, bad signature, wrong issuer or audience, expired: throws 'Unauthorized' (401);
 *  - a valid token of someone who is not staff of this area: a Deny policy (403);
 *  - otherwise Allow, with { staffId, role } in the context.
 * The token and its claims are never logged; only the outcome code is.
 */
const STAFF_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;

/** JWKS over fetch: works for the https URI of Cognito and the http one of the local issuer. */
const fetcher: Fetcher = {
  fetch: async (uri) => {
    const res = await fetch(uri, { signal: AbortSignal.timeout(3000), redirect: 'error' });
    if (res.status !== 200) throw new Error(`JWKS answered ${res.status}`);
    return res.arrayBuffer();
  },
};

type Verifier = { verify(token: string): Promise<Record<string, unknown>> };
const verifiers = new Map<string, Verifier>();

function verifier(): Verifier {
  const issuer = requiredEnv('COACH_TOKEN_ISSUER');
  const jwksUri = requiredEnv('COACH_TOKEN_JWKS_URI');
  const audience = requiredEnv('COACH_TOKEN_AUDIENCE');
  const key = `${issuer} ${jwksUri} ${audience}`;
  let found = verifiers.get(key);
  if (!found) {
    const jwt = JwtVerifier.create({ issuer, jwksUri, audience }, { jwksCache: new SimpleJwksCache({ fetcher }) });
    found = { verify: async (token) => (await jwt.verify(token)) as unknown as Record<string, unknown> };
    verifiers.set(key, found);
  }
  return found;
}

/** `Bearer <header>.<payload>.<signature>` (base64url parts; Cognito ID tokens exceed 1 KB). */
function bearerJwt(header: string | undefined): string | undefined {
  if (typeof header !== 'string' || header.length > 8192) return undefined;
  return /^[ \t]*bearer[ \t]+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)[ \t]*$/i.exec(header)?.[1];
}

function unauthorized(code: string): never {
  logSafe('info', 'coach token refused', { code });
  countMetric(`CoachAuth_${code}`);
  // API Gateway's convention: this exact message means 401.
  throw new Error('Unauthorized');
}

async function roleOf(staffId: string): Promise<StaffRole | undefined> {
  if (isTeamLead(staffId)) return 'team_lead';
  return (await getCoach(staffId)) ? 'coach' : undefined;
}

async function authorize(event: APIGatewayRequestAuthorizerEvent): Promise<APIGatewayAuthorizerResult> {
  const token = bearerJwt(headerValue(event, 'authorization'));
  if (!token) unauthorized('invalid');
  let claims: Record<string, unknown>;
  try {
    claims = await verifier().verify(token);
  } catch (error) {
    // JwtExpiredError, JwtInvalidSignatureError, JwtInvalidIssuerError, ... (names only).
    unauthorized(errorFields(error).errorName);
  }
  const resource = wholeApiArn(event.methodArn);
  const staffId = claims[STAFF_ID_CLAIM];
  const role = typeof staffId === 'string' && STAFF_ID.test(staffId) ? await roleOf(staffId) : undefined;
  if (!role || typeof staffId !== 'string') {
    logSafe('info', 'coach token refused', { code: 'not_staff' });
    countMetric('CoachAuth_not_staff');
    return { principalId: 'refused', policyDocument: policy('Deny', resource) };
  }
  return {
    principalId: staffId,
    policyDocument: policy('Allow', resource),
    context: { staffId, role },
  };
}

export const handler = middy<APIGatewayRequestAuthorizerEvent, APIGatewayAuthorizerResult>()
  .use(observed())
  .handler(authorize);
