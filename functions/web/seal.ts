import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { requiredEnv } from '../shared/aws-clients.ts';

/**
 * Sealing what the web pages keep in cookies: AES-256-GCM (encrypted and authenticated), with
 * the cookie's name as associated data so one cookie can never be replayed as another. The keys
 * are derived (HKDF) from the stack's existing secret setting, one key per purpose, so the web
 * pages need no second secret and a leaked web key reveals nothing of the provider keys.
 */
export const SECRET_ENV = 'PROVIDER_KEY_SECRET';

const keys = new Map<string, Buffer>();

/** A 32-byte key for `purpose`, derived from `secret` (default: the environment's secret). */
export function derivedKey(purpose: string, secret: string = requiredEnv(SECRET_ENV)): Buffer {
  const cacheKey = `${purpose}\u0000${secret}`;
  let key = keys.get(cacheKey);
  if (!key) {
    key = Buffer.from(hkdfSync('sha256', secret, 'workwell-web-pages', purpose, 32));
    keys.set(cacheKey, key);
  }
  return key;
}

export function seal(value: unknown, name: string, key: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(name));
  const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
}

/** The sealed value, or undefined when it was tampered with, sealed for another name or key. */
export function unseal(sealed: string, name: string, key: Buffer): unknown {
  try {
    const raw = Buffer.from(sealed, 'base64url');
    if (raw.length < 12 + 16 + 1) return undefined;
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(name));
    decipher.setAuthTag(raw.subarray(raw.length - 16));
    const text = Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString('utf8');
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** A keyed hash (base64url), e.g. a client's rate-limit key that does not store their address. */
export function keyedHash(value: string, key: Buffer): string {
  return createHmac('sha256', key).update(value).digest('base64url');
}

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function randomId(): string {
  return randomBytes(18).toString('base64url');
}
