import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { STAFF_ID_CLAIM, type StaffRole } from '../functions/shared/staff.ts';
import { writeFileAtomically } from './files.ts';

/**
 * The local stand-in for the area's Cognito user pool: an RS256 key pair (kept under the data
 * dir, so tokens survive a restart; made afresh for an in-memory run), its JWKS served by the
 * local gateway at /.well-known/jwks.json, and ID-token-shaped JWTs for the area's staff.
 */
export const JWKS_PATH = '/.well-known/jwks.json';
export const LOCAL_COACH_AUDIENCE = 'workwell-coach-api';
/** How long demo staff tokens last (in real time; on the runtime's clock at speed 1). */
export const STAFF_TOKEN_SECONDS = 12 * 3600;

export interface DemoStaff {
  readonly staffId: string;
  readonly role: StaffRole;
  readonly name: string;
  readonly token: string;
}

export interface SignOptions {
  /** Seconds from now until expiry (negative: already expired). Default 12 h. */
  readonly expiresInSeconds?: number;
  readonly issuer?: string;
  readonly audience?: string;
  /** Sign with a key the JWKS does not hold (same kid): a forged token. */
  readonly forged?: boolean;
}

/** Claims of a staff token; `staffId` becomes the `custom:staff_id` claim (and `sub`). */
export type StaffClaims = { readonly staffId?: string } & Record<string, unknown>;

export interface CoachIssuer {
  readonly issuer: string;
  readonly audience: string;
  readonly jwksUri: string;
  jwks(): { keys: Record<string, unknown>[] };
  sign(claims: StaffClaims, options?: SignOptions): string;
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function loadKey(dataDir: string | undefined): KeyObject {
  const fresh = () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  if (!dataDir) return fresh();
  const file = join(dataDir, 'coach-issuer-key.pem');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileAtomically(file, fresh().export({ type: 'pkcs8', format: 'pem' }) as string, { mode: 0o600 });
  }
  return createPrivateKey(readFileSync(file, 'utf8'));
}

export function createCoachIssuer(opts: {
  gatewayUrl: string;
  dataDir?: string;
  audience?: string;
  /** The clock's speed: default lifetimes are multiplied by it, so they last as long in real time. */
  lifetimeScale?: number;
}): CoachIssuer {
  const privateKey = loadKey(opts.dataDir);
  const publicJwk = createPublicKey(privateKey).export({ format: 'jwk' }) as Record<string, unknown>;
  // RFC 7638 thumbprint as the key id.
  const kid = createHash('sha256')
    .update(JSON.stringify({ e: publicJwk.e, kty: publicJwk.kty, n: publicJwk.n }))
    .digest('base64url');
  let forgeKey: KeyObject | undefined;
  const issuer = opts.gatewayUrl;
  const audience = opts.audience ?? LOCAL_COACH_AUDIENCE;
  return {
    issuer,
    audience,
    jwksUri: `${opts.gatewayUrl}${JWKS_PATH}`,
    jwks: () => ({ keys: [{ ...publicJwk, kid, alg: 'RS256', use: 'sig' }] }),
    sign: (claims, options = {}) => {
      const { staffId, ...rest } = claims;
      // The runtime's clock (handlers check expiry on the same clock).
      const now = Math.floor(Date.now() / 1000);
      const payload = {
        iss: options.issuer ?? issuer,
        aud: options.audience ?? audience,
        token_use: 'id',
        iat: now,
        exp: now + (options.expiresInSeconds ?? STAFF_TOKEN_SECONDS * (opts.lifetimeScale ?? 1)),
        ...(staffId ? { sub: staffId, [STAFF_ID_CLAIM]: staffId } : {}),
        ...rest,
      };
      const signingInput = `${b64url({ alg: 'RS256', typ: 'JWT', kid })}.${b64url(payload)}`;
      const key = options.forged ? (forgeKey ??= generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey) : privateKey;
      return `${signingInput}.${sign('RSA-SHA256', Buffer.from(signingInput), key).toString('base64url')}`;
    },
  };
}
