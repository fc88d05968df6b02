import type { APIGatewayProxyEvent } from 'aws-lambda';
import { errorFields, logSafe } from '../shared/observability.ts';
import { takeRequest } from '../shared/rate-limit.ts';
import { clientAddress } from './http.ts';
import { derivedKey, keyedHash } from './seal.ts';

/**
 * Per-client limits on the public forms, with the partner API's per-minute counters
 * (functions/shared/rate-limit.ts). The client is its address as API Gateway saw it, stored
 * only as a keyed hash. A failing counter lets the request through: the limit protects
 * capacity, it is not access control (the WAF's per-address limit stands behind it).
 */
export const webRateLimits = {
  /** Any form post of the self-referral form. */
  selfReferralPosts: { name: 'selfref', perMinute: 60 },
  /** Sending a referral. */
  selfReferralSubmissions: { name: 'selfref-send', perMinute: 5 },
} as const;

export async function withinLimit(
  event: Pick<APIGatewayProxyEvent, 'requestContext'>,
  limit: (typeof webRateLimits)[keyof typeof webRateLimits],
): Promise<{ allowed: true } | { allowed: false; retryAfterSeconds: number }> {
  const client = keyedHash(clientAddress(event), derivedKey('client')).slice(0, 24).toLowerCase().replace(/[^a-z0-9]/g, '0');
  try {
    return await takeRequest(`web-${limit.name}-${client}`, limit.perMinute);
  } catch (error) {
    logSafe('warn', 'rate limit not checked', errorFields(error));
    return { allowed: true };
  }
}
