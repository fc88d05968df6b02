import type { Buffer } from 'node:buffer';
import { keyedHash, sameSecret } from './seal.ts';

/**
 * CSRF protection for every form: a synchroniser token bound to the visitor's session id (which
 * lives only inside an encrypted, HttpOnly cookie), sent as a hidden field and checked on every
 * POST. A page of another site can neither read the token nor forge it without the key.
 */
export const CSRF_FIELD = 'csrfToken';

export function csrfToken(sessionId: string, key: Buffer): string {
  return keyedHash(`csrf:${sessionId}`, key);
}

export function validCsrf(sessionId: string, submitted: unknown, key: Buffer): boolean {
  return typeof submitted === 'string' && submitted.length > 0 && sameSecret(submitted, csrfToken(sessionId, key));
}
