/**
 * The per-partner request limit as middy middleware for the partner-facing handlers (the
 * counter is functions/shared/rate-limit.ts): over the limit, 429 problem+json with Retry-After,
 * counted as PartnerRateLimited.
 */
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { metricCatalogue } from './metric-catalogue.ts';
import { countMetric, errorFields, logSafe } from './observability.ts';
import { problem } from './problem.ts';
import { DEFAULT_PARTNER_RATE_LIMIT_PER_MINUTE, partnerOf, rateLimitPerMinute, takeRequest } from './rate-limit.ts';

export function tooManyRequests(retryAfterSeconds: number): APIGatewayProxyResult {
  return problem(429, 'Too Many Requests', 'The request rate limit for this partner was reached. Try again later.', undefined, {
    headers: { 'Retry-After': String(retryAfterSeconds) },
  });
}

/**
 * Middy middleware for partner-facing handlers; register it after `observed()` and
 * `httpErrors()`. Over the limit it answers 429 before the handler runs.
 * `perMinute` is the limit when PARTNER_RATE_LIMIT_PER_MINUTE is not set (default 120).
 * A request with no authorizer context is left to the handler (which refuses it), and a
 * failing counter lets the request through: the limit protects capacity, it is not access control.
 */
export function partnerRateLimit(
  options: { perMinute?: number } = {},
): MiddlewareObj<APIGatewayProxyEvent, APIGatewayProxyResult> {
  return {
    before: async (request) => {
      const partner = partnerOf(request.event);
      if (!partner) return undefined;
      const limit = rateLimitPerMinute(options.perMinute ?? DEFAULT_PARTNER_RATE_LIMIT_PER_MINUTE);
      try {
        const taken = await takeRequest(partner.partnerId, limit);
        if (taken.allowed) return undefined;
        logSafe('info', 'partner rate limited', { httpStatus: 429 });
        countMetric(metricCatalogue.partnerRateLimited.name);
        return tooManyRequests(taken.retryAfterSeconds);
      } catch (error) {
        logSafe('warn', 'rate limit not checked', errorFields(error));
        return undefined;
      }
    },
  };
}
