import { createHash, randomBytes } from 'node:crypto';
import { JwtVerifier } from 'aws-jwt-verify';
import { requiredEnv } from '../../shared/aws-clients.ts';
import { STAFF_ID_CLAIM } from '../../shared/staff.ts';
import { randomId, sameSecret } from '../seal.ts';

/**
 * Signing in through the identity provider's hosted sign-in page (the area's Cognito user pool
 * in AWS): the authorisation code flow for a public client, so with PKCE (S256), a state bound
 * to the visitor's session and a nonce checked in the ID token, all three kept only in the
 * sealed session cookie. The ID token is verified against the same issuer, JWKS and audience as
 * the coach API's tokens; its `custom:staff_id` names the staff member. Signing out ends the
 * hosted UI's own session too (its /logout endpoint), so "sign in again" asks for a password.
 */
export function hostedUiConfigured(): boolean {
  return process.env.COACH_SIGN_IN === 'hosted-ui' && !!process.env.COACH_HOSTED_UI_DOMAIN && !!process.env.COACH_HOSTED_UI_CLIENT_ID;
}

export function demoSignIn(): boolean {
  return process.env.COACH_SIGN_IN === 'demo';
}

/** The hosted UI's origin (e.g. https://workwell-<slug>.auth.eu-west-2.amazoncognito.com), when signing in there. */
export function hostedUiOrigin(): string | undefined {
  return hostedUiConfigured() ? new URL(requiredEnv('COACH_HOSTED_UI_DOMAIN')).origin : undefined;
}

/** What the pre-sign-in session keeps between the authorize redirect and the code's return. */
export interface SignInRequest {
  readonly state: string;
  /** PKCE: only its S256 hash leaves for the authorize URL; the verifier goes to the token endpoint. */
  readonly codeVerifier: string;
  readonly nonce: string;
}

export function newSignInRequest(): SignInRequest {
  // 32 random bytes: a 43-character verifier, the minimum RFC 7636 allows, with 256 bits.
  return { state: randomId(), codeVerifier: randomBytes(32).toString('base64url'), nonce: randomId() };
}

export function codeChallenge(codeVerifier: string): string {
  return createHash('sha256').update(codeVerifier, 'ascii').digest('base64url');
}

export function authorizeUrl(redirectUri: string, request: SignInRequest): string {
  const url = new URL('/oauth2/authorize', requiredEnv('COACH_HOSTED_UI_DOMAIN'));
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: requiredEnv('COACH_HOSTED_UI_CLIENT_ID'),
    redirect_uri: redirectUri,
    scope: 'openid',
    state: request.state,
    code_challenge: codeChallenge(request.codeVerifier),
    code_challenge_method: 'S256',
    nonce: request.nonce,
  }).toString();
  return url.toString();
}

/** Whether the state that came back is the one this session sent (constant time). */
export function sameState(returned: string | undefined, request: SignInRequest | undefined): boolean {
  return !!returned && !!request && sameSecret(returned, request.state);
}

/**
 * The hosted UI's sign-out: it ends the identity provider's session, then sends the browser to
 * `logoutUri`, which must be one of the client's registered logout URLs (infra/area-stack.ts).
 */
export function logoutUrl(logoutUri: string): string {
  const url = new URL('/logout', requiredEnv('COACH_HOSTED_UI_DOMAIN'));
  url.search = new URLSearchParams({ client_id: requiredEnv('COACH_HOSTED_UI_CLIENT_ID'), logout_uri: logoutUri }).toString();
  return url.toString();
}

/** The staff id of a verified ID token's claims, if it was issued for this sign-in (its nonce). */
export function staffIdOfClaims(claims: Record<string, unknown>, nonce: string): string | undefined {
  // A token replayed from another sign-in carries another nonce (or none).
  if (typeof claims.nonce !== 'string' || !sameSecret(claims.nonce, nonce)) return undefined;
  const staffId = claims[STAFF_ID_CLAIM];
  return typeof staffId === 'string' ? staffId : undefined;
}

let verifier: { verify(token: string): Promise<unknown> } | undefined;

/** Exchanges the code (with the PKCE verifier) for tokens and returns the staff id of a verified ID token, if any. */
export async function staffIdFromCode(code: string, redirectUri: string, request: SignInRequest): Promise<string | undefined> {
  const res = await fetch(new URL('/oauth2/token', requiredEnv('COACH_HOSTED_UI_DOMAIN')), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: requiredEnv('COACH_HOSTED_UI_CLIENT_ID'),
      code,
      redirect_uri: redirectUri,
      code_verifier: request.codeVerifier,
    }),
    signal: AbortSignal.timeout(5000),
  });
  if (res.status !== 200) return undefined;
  const { id_token: idToken } = (await res.json()) as { id_token?: unknown };
  if (typeof idToken !== 'string') return undefined;
  verifier ??= JwtVerifier.create({
    issuer: requiredEnv('COACH_TOKEN_ISSUER'),
    jwksUri: requiredEnv('COACH_TOKEN_JWKS_URI'),
    audience: requiredEnv('COACH_TOKEN_AUDIENCE'),
  });
  try {
    return staffIdOfClaims((await verifier.verify(idToken)) as Record<string, unknown>, request.nonce);
  } catch {
    return undefined;
  }
}
