import { createHash, randomBytes as cryptoRandomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Referral partners' API credentials: the token format, generation, hashing, comparison and
 * the verification decision. Pure: the store (functions/shared/partner-store.ts) reads the
 * records, this module decides.
 *
 * Token: `wwp_<areaCode>_<partnerId>_<credentialId>_<secret>`
 *   - `wwp`          fixed prefix (WorkWell partner), so a leaked token is recognisable to
 *                    secret scanners and people alike;
 *   - `areaCode`     the issuing area (its shortSlug, else its slug): a credential of another
 *                    area is told apart without a read, and refused with 403, not 401;
 *   - `partnerId`,   the stored record's key: one GetItem on
 *     `credentialId` (pk PARTNER#<partnerId>, sk CREDENTIAL#<credentialId>) finds it;
 *   - `secret`       32 random bytes, base64url (43 characters; may itself contain `_` and `-`,
 *                    which is why it comes last).
 * Only a SHA-256 hash of the whole token is stored (a high-entropy secret needs no slow hash).
 */
export const TOKEN_PREFIX = 'wwp';
const SECRET_BYTES = 32;
const SECRET_LENGTH = 43; // base64url of 32 bytes, unpadded
const HASH_PREFIX = 'sha256:';

export const organisationTypes = [
  'gp',
  'primary_care',
  'employer',
  'jobcentre_plus',
  'local_authority',
  'vcs',
  'self_referral_service',
  'other',
] as const;
export type OrganisationType = (typeof organisationTypes)[number];

export function isOrganisationType(value: unknown): value is OrganisationType {
  return typeof value === 'string' && (organisationTypes as readonly string[]).includes(value);
}

/** Partner ids: lower-case words joined by hyphens (no `_`, which separates token parts). */
export const PARTNER_ID_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const PARTNER_ID_MAX_LENGTH = 48;
/** Credential ids: lower-case letters and digits. */
export const CREDENTIAL_ID_PATTERN = /^[a-z0-9]{16}$/;
const AREA_CODE_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

export function isPartnerId(value: unknown): value is string {
  return typeof value === 'string' && value.length <= PARTNER_ID_MAX_LENGTH && PARTNER_ID_PATTERN.test(value);
}

export function isCredentialId(value: unknown): value is string {
  return typeof value === 'string' && CREDENTIAL_ID_PATTERN.test(value);
}

/** The code an area's tokens carry: its short slug where it has one, else its slug. */
export function credentialAreaCode(area: { readonly slug: string; readonly shortSlug?: string | undefined }): string {
  return area.shortSlug ?? area.slug;
}

export type RandomBytes = (size: number) => Buffer;

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** `length` characters from [a-z0-9], uniformly (rejection sampling). */
function randomId(length: number, random: RandomBytes): string {
  let out = '';
  while (out.length < length) {
    for (const byte of random(length * 2)) {
      // 252 = 7 * 36: bytes above it would bias the first letters.
      if (byte < 252 && out.length < length) out += ID_ALPHABET[byte % 36];
    }
  }
  return out;
}

/** A new credential id (16 characters of [a-z0-9], about 82 bits). */
export function newCredentialId(random: RandomBytes = cryptoRandomBytes): string {
  return randomId(16, random);
}

/** A new partner id when the operator gives none: `p-` and 10 characters of [a-z0-9]. */
export function newPartnerId(random: RandomBytes = cryptoRandomBytes): string {
  return `p-${randomId(10, random)}`;
}

export interface TokenParts {
  readonly areaCode: string;
  readonly partnerId: string;
  readonly credentialId: string;
  readonly secret: string;
}

export function formatToken(parts: TokenParts): string {
  return [TOKEN_PREFIX, parts.areaCode, parts.partnerId, parts.credentialId, parts.secret].join('_');
}

/** The parts of a well-formed token; undefined for anything else. */
export function parseToken(token: string): TokenParts | undefined {
  if (typeof token !== 'string' || token.length > 256) return undefined;
  const parts = token.split('_');
  if (parts.length < 5 || parts[0] !== TOKEN_PREFIX) return undefined;
  const [, areaCode = '', partnerId = '', credentialId = ''] = parts;
  const secret = parts.slice(4).join('_');
  if (!AREA_CODE_PATTERN.test(areaCode) || areaCode.length > 64) return undefined;
  if (!isPartnerId(partnerId) || !isCredentialId(credentialId)) return undefined;
  if (secret.length !== SECRET_LENGTH || !/^[A-Za-z0-9_-]+$/.test(secret)) return undefined;
  return { areaCode, partnerId, credentialId, secret };
}

/** A new credential: the token (shown once) and the hash to store. */
export function generateCredential(
  input: { readonly areaCode: string; readonly partnerId: string; readonly credentialId?: string },
  random: RandomBytes = cryptoRandomBytes,
): { readonly credentialId: string; readonly token: string; readonly hash: string } {
  if (!AREA_CODE_PATTERN.test(input.areaCode)) throw new Error('Invalid area code');
  if (!isPartnerId(input.partnerId)) throw new Error('Invalid partner id');
  const credentialId = input.credentialId ?? newCredentialId(random);
  if (!isCredentialId(credentialId)) throw new Error('Invalid credential id');
  const secret = random(SECRET_BYTES).toString('base64url');
  const token = formatToken({ areaCode: input.areaCode, partnerId: input.partnerId, credentialId, secret });
  return { credentialId, token, hash: hashToken(token) };
}

/** The stored form of a token: `sha256:<base64url digest>` of the whole token. */
export function hashToken(token: string): string {
  return HASH_PREFIX + createHash('sha256').update(token, 'utf8').digest('base64url');
}

/** Constant-time comparison of two stored-form hashes (or any two strings). */
export function constantTimeEqual(a: string, b: string): boolean {
  // Digests of both sides have equal length, so timingSafeEqual never sees a length mismatch
  // and the time taken says nothing about where the inputs differ.
  const da = createHash('sha256').update(a, 'utf8').digest();
  const db = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(da, db);
}

/** Whether `token` is the one whose hash was stored. */
export function tokenMatches(token: string, storedHash: string): boolean {
  return constantTimeEqual(hashToken(token), storedHash);
}

/**
 * The token of an `Authorization: Bearer <token>` header (scheme case-insensitive, RFC 6750
 * b64token syntax); undefined when absent or malformed.
 */
export function parseAuthorization(header: string | undefined | null): string | undefined {
  if (typeof header !== 'string' || header.length > 1024) return undefined;
  const match = /^[ \t]*bearer[ \t]+([A-Za-z0-9\-._~+/]+=*)[ \t]*$/i.exec(header);
  return match?.[1];
}

// ---------------------------------------------------------------------------------------------
// Verification decision

export interface PartnerRecord {
  readonly partnerId: string;
  readonly name: string;
  readonly organisationType: OrganisationType;
  readonly status: 'active' | 'suspended';
}

export interface CredentialRecord {
  readonly partnerId: string;
  readonly credentialId: string;
  readonly hash: string;
  readonly revokedAt?: string | undefined;
}

export interface VerifiedPartner {
  readonly partnerId: string;
  readonly partnerName: string;
  readonly organisationType: OrganisationType;
}

/** invalid: 401 (no such credential, or wrong secret); the others: 403. */
export type CredentialError = 'invalid' | 'revoked' | 'other_area' | 'suspended';
export type Verification = VerifiedPartner | { readonly error: CredentialError };

/** Before any read: is the token one of ours, and of this area? */
export function screenToken(token: string, areaCode: string): TokenParts | { readonly error: 'invalid' | 'other_area' } {
  const parts = parseToken(token);
  if (!parts) return { error: 'invalid' };
  if (parts.areaCode !== areaCode) return { error: 'other_area' };
  return parts;
}

/**
 * The decision once the credential and partner records are read. The secret is checked before
 * anything else is revealed: a revoked or suspended answer (403) needs the right secret, so
 * guessing ids learns nothing.
 */
export function decideCredential(
  token: string,
  parts: TokenParts,
  credential: CredentialRecord | undefined,
  partner: PartnerRecord | undefined,
): Verification {
  // Hash even when there is no record, so a miss costs what a mismatch costs.
  const matches = tokenMatches(token, credential?.hash ?? HASH_PREFIX);
  if (!credential || !matches) return { error: 'invalid' };
  if (credential.partnerId !== parts.partnerId || credential.credentialId !== parts.credentialId) return { error: 'invalid' };
  if (credential.revokedAt) return { error: 'revoked' };
  if (!partner || partner.partnerId !== parts.partnerId) return { error: 'invalid' };
  if (partner.status !== 'active') return { error: 'suspended' };
  return { partnerId: partner.partnerId, partnerName: partner.name, organisationType: partner.organisationType };
}

/** Record `lastUsedAt` at most once per this interval: no write on every request. */
export const LAST_USED_RESOLUTION_MS = 60 * 60 * 1000;

export function lastUsedIsStale(lastUsedAt: string | undefined, now: Date): boolean {
  if (!lastUsedAt) return true;
  const at = Date.parse(lastUsedAt);
  return !Number.isFinite(at) || now.getTime() - at >= LAST_USED_RESOLUTION_MS;
}
