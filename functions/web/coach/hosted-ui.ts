import { JwtVerifier } from 'aws-jwt-verify';
import { requiredEnv } from '../../shared/aws-clients.ts';
import { STAFF_ID_CLAIM } from '../../shared/staff.ts';

/**
 * Signing in through the identity provider's hosted sign-in page (the area's Cognito user pool
 * in AWS): the authorisation code flow with PKCE-less public client and a state bound to the
 * visitor's session. The ID token is verified against the same issuer, JWKS and audience as
 * the coach API's tokens; its `custom:staff_id` names the staff member.
 */
export function hostedUiConfigured(): boolean {
  return process.env.COACH_SIGN_IN === 'hosted-ui' && !!process.env.COACH_HOSTED_UI_DOMAIN && !!process.env.COACH_HOSTED_UI_CLIENT_ID;
}

export function demoSignIn(): boolean {
  return process.env.COACH_SIGN_IN === 'demo';
}

export function authorizeUrl(redirectUri: string, state: string): string {
  const url = new URL('/oauth2/authorize', requiredEnv('COACH_HOSTED_UI_DOMAIN'));
  url.search = new URLSearchParams({ response_type: 'code', client_id: requiredEnv('COACH_HOSTED_UI_CLIENT_ID'), redirect_uri: redirectUri, scope: 'openid', state }).toString();
  return url.toString();
}

let verifier: { verify(token: string): Promise<unknown> } | undefined;

/** Exchanges the code for tokens and returns the staff id of a verified ID token, if any. */
export async function staffIdFromCode(code: string, redirectUri: string): Promise<string | undefined> {
  const res = await fetch(new URL('/oauth2/token', requiredEnv('COACH_HOSTED_UI_DOMAIN')), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', client_id: requiredEnv('COACH_HOSTED_UI_CLIENT_ID'), code, redirect_uri: redirectUri }),
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
    const claims = (await verifier.verify(idToken)) as Record<string, unknown>;
    const staffId = claims[STAFF_ID_CLAIM];
    return typeof staffId === 'string' ? staffId : undefined;
  } catch {
    return undefined;
  }
}
