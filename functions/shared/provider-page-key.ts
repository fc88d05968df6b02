import { createHmac, timingSafeEqual } from 'node:crypto';
import { requiredEnv } from './aws-clients.ts';

/**
 * Keys in the e-mailed links to a provider's page (functions/handlers/web-provider.ts):
 * HMAC-SHA256(PROVIDER_KEY_SECRET, onward referral id and expiry), base64url. A key opens one
 * onward referral's page until it expires; it is made when the e-mail is sent and never
 * stored. Apart from the webhook key (onward-referral-store.ts providerKeyFor) by its prefix.
 */
const MIN_SECRET_LENGTH = 32;

/** How long an e-mailed link works; a chase carries a fresh one. */
export const PROVIDER_PAGE_LINK_SECONDS = 30 * 86_400;

function pageKey(onwardReferralId: string, expires: number): string {
  const secret = requiredEnv('PROVIDER_KEY_SECRET');
  if (secret.length < MIN_SECRET_LENGTH) throw new Error('PROVIDER_KEY_SECRET is too short');
  return createHmac('sha256', secret).update(`provider-page:${onwardReferralId}:${expires}`).digest('base64url');
}

/** The expiry (epoch seconds) and key of a link made at `now`. */
export function newProviderPageKey(onwardReferralId: string, now: Date): { expires: number; key: string } {
  const expires = Math.floor(now.getTime() / 1000) + PROVIDER_PAGE_LINK_SECONDS;
  return { expires, key: pageKey(onwardReferralId, expires) };
}

/** Whether a link's key is this onward referral's (constant time), and still in date at `now`. */
export function checkProviderPageKey(onwardReferralId: string, expires: string, key: string, now: Date): 'valid' | 'expired' | 'invalid' {
  if (!/^\d{1,12}$/.test(expires) || !/^[A-Za-z0-9_-]{43}$/.test(key)) return 'invalid';
  const expected = Buffer.from(pageKey(onwardReferralId, Number(expires)), 'base64url');
  if (!timingSafeEqual(expected, Buffer.from(key, 'base64url'))) return 'invalid';
  return Number(expires) * 1000 > now.getTime() ? 'valid' : 'expired';
}
