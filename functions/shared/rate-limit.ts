/**
 * Rate limiting, the same in AWS and locally: a fixed-window counter per caller per minute in
 * the Journeys table (partners: functions/shared/partner-rate-limit.ts; web pages' clients:
 * functions/web/rate-limit.ts).
 *
 *   item   pk                sk                    attributes
 *   rate   RATE#<partnerId>  <YYYY-MM-DDTHH:MM>    type 'rate', count, expiresAt (TTL)
 *
 * Each request adds one with a conditional UpdateItem (`count < :limit`); the condition failing
 * means the partner is over its limit for this minute: 429 problem+json with Retry-After (the
 * seconds left in the minute). The item expires a few minutes after its window.
 *
 * The limit comes from PARTNER_RATE_LIMIT_PER_MINUTE, read at each invocation (default 120).
 * The partner is the one the partner authorizer named (event.requestContext.authorizer).
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { isOrganisationType, isPartnerId, type VerifiedPartner } from '../domain/credentials.ts';
import { dynamo } from './aws-clients.ts';
import { table } from './referral-store.ts';
import { journeysTable } from './tables.ts';

export const RATE_LIMIT_ENV = 'PARTNER_RATE_LIMIT_PER_MINUTE';
export const DEFAULT_PARTNER_RATE_LIMIT_PER_MINUTE = 120;
/** How long a window's counter is kept after the window ends. */
const KEEP_AFTER_WINDOW_SECONDS = 5 * 60;

export type PartnerIdentity = VerifiedPartner;

/**
 * The partner the authorizer named for this request ({ principalId, partnerId, partnerName,
 * organisationType } as API Gateway passes a REQUEST authorizer's context), or undefined.
 */
export function partnerOf(event: Pick<APIGatewayProxyEvent, 'requestContext'> | undefined | null): PartnerIdentity | undefined {
  const authorizer = event?.requestContext?.authorizer as Record<string, unknown> | null | undefined;
  if (!authorizer || typeof authorizer !== 'object') return undefined;
  const { partnerId, partnerName, organisationType } = authorizer;
  if (!isPartnerId(partnerId) || typeof partnerName !== 'string' || !isOrganisationType(organisationType)) {
    return undefined;
  }
  return { partnerId, partnerName, organisationType };
}

/** The limit in force: PARTNER_RATE_LIMIT_PER_MINUTE when it is a positive integer, else `fallback`. */
export function rateLimitPerMinute(fallback: number = DEFAULT_PARTNER_RATE_LIMIT_PER_MINUTE): number {
  const raw = process.env[RATE_LIMIT_ENV];
  const value = raw === undefined || raw.trim() === '' ? NaN : Number(raw);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

export interface RateWindow {
  /** Sort key of the window's counter: the UTC minute, `YYYY-MM-DDTHH:MM`. */
  readonly window: string;
  /** Whole seconds until the next window (at least 1). */
  readonly retryAfterSeconds: number;
  /** TTL of the counter (epoch seconds). */
  readonly expiresAt: number;
}

export function rateWindow(now: Date): RateWindow {
  const start = Math.floor(now.getTime() / 60_000) * 60_000;
  const end = start + 60_000;
  return {
    window: new Date(start).toISOString().slice(0, 16),
    retryAfterSeconds: Math.max(1, Math.ceil((end - now.getTime()) / 1000)),
    expiresAt: Math.floor(end / 1000) + KEEP_AFTER_WINDOW_SECONDS,
  };
}

export const rateKeys = {
  counter: (partnerId: string, window: string) => ({ pk: `RATE#${partnerId}`, sk: window }),
} as const;

/** Counts one request of the partner; false (nothing written) when it is over the limit. */
export async function takeRequest(
  partnerId: string,
  limit: number,
  now: Date = new Date(),
): Promise<{ allowed: true } | { allowed: false; retryAfterSeconds: number }> {
  const { window, retryAfterSeconds, expiresAt } = rateWindow(now);
  try {
    await dynamo().send(
      new UpdateCommand({
        TableName: table(),
        Key: rateKeys.counter(partnerId, window),
        UpdateExpression: 'ADD #count :one SET #type = :type, #ttl = :expiresAt',
        ConditionExpression: 'attribute_not_exists(#count) OR #count < :limit',
        ExpressionAttributeNames: { '#count': 'count', '#type': 'type', '#ttl': journeysTable.ttlAttribute },
        ExpressionAttributeValues: { ':one': 1, ':type': 'rate', ':expiresAt': expiresAt, ':limit': limit },
      }),
    );
    return { allowed: true };
  } catch (error) {
    if ((error as Error)?.name === 'ConditionalCheckFailedException') return { allowed: false, retryAfterSeconds };
    throw error;
  }
}
