import { randomUUID } from 'node:crypto';
import middy from '@middy/core';
import { z } from 'zod';
import type { Service } from '../../areas/schema.ts';
import { providerReferralMessage, providerResponse, respondUrl } from '../domain/onward-referral.ts';
import { requiredEnv } from '../shared/aws-clients.ts';
import { countMetric, logSafe, networkErrorCode, observed } from '../shared/observability.ts';
import {
  answerWaitingJourney,
  getOnwardReferralOf,
  hashProviderKey,
  OnwardReferralNotFound,
  providerKeyFor,
  recordDelivery,
  startDelivery,
} from '../shared/onward-referral-store.ts';
import { getReferral, ReferralNotFound } from '../shared/referral-store.ts';
import { currentArea, parseInput } from '../shared/workflow.ts';
import { metricCatalogue } from '../shared/metric-catalogue.ts';

/**
 * Sends an onward referral to a local service (invoked by the journey with .waitForTaskToken)
 * and leaves the journey waiting for the provider's answer, which provider-status delivers
 * with SendTaskSuccess.
 *
 * - The token is stored on the onward referral first, so an answer arriving while the request
 *   is still in flight finds it. If the provider has answered already (the journey was
 *   between waits), the journey is answered here and nothing is sent.
 * - The provider key is HMAC-SHA256(PROVIDER_KEY_SECRET, onwardReferralId): a retried or
 *   chasing send carries the very key the provider already has; only its hash is stored.
 * - webhook: HTTPS POST of the referral (the least the provider needs), 10 s time-out, no
 *   redirects. A network error, time-out or non-2xx answer throws ProviderUnavailable, which
 *   the journey retries with backoff; the status stays as it was.
 * - email: no personal data goes by e-mail: an outbox item (ids and the service's name) for the
 *   notifier, which adds the keyed, expiring link to the provider's page (web-provider.ts);
 *   written once per onward referral and kind (referral, chase).
 */
const SendOnwardReferralInput = z.object({
  referralId: z.string().min(1).max(128),
  onwardReferralId: z.uuid(),
  taskToken: z.string().min(1).max(2048),
  chase: z.boolean(),
});

export const PROVIDER_TIMEOUT_MS = 10_000;

/** The provider could not take the referral now (retried by the journey). */
export class ProviderUnavailable extends Error {
  override readonly name = 'ProviderUnavailable';
  /** A code: `http_<status>` or the network error's name (e.g. TimeoutError). */
  constructor(readonly reason: string) {
    super(`Provider unavailable: ${reason}`);
  }
}

/** The onward referral names a service the directory no longer has (permanent). */
export class ServiceNotFound extends Error {
  override readonly name = 'ServiceNotFound';
  constructor() {
    super('Service not found in the area directory');
  }
}

export interface SendOnwardReferralResult {
  /** False when nothing was sent because the provider had answered already. */
  readonly delivered: boolean;
}

async function postToProvider(address: string, body: unknown, idempotencyKey: string, correlationId: string): Promise<void> {
  let response: Response;
  try {
    response = await fetch(address, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        'idempotency-key': idempotencyKey,
        'x-correlation-id': correlationId,
        'x-request-id': randomUUID(),
      },
      body: JSON.stringify(body),
      redirect: 'manual',
      signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS),
    });
  } catch (error) {
    // Network error or time-out: a code only (messages may quote the address).
    throw new ProviderUnavailable(networkErrorCode(error));
  }
  await response.body?.cancel().catch(() => undefined);
  if (response.status < 200 || response.status > 299) throw new ProviderUnavailable(`http_${response.status}`);
}

async function sendOnwardReferral(event: unknown): Promise<SendOnwardReferralResult> {
  const input = parseInput(SendOnwardReferralInput, event);
  const { referralId, onwardReferralId, taskToken, chase } = input;
  const area = currentArea();

  const referral = await getReferral(referralId);
  if (!referral) throw new ReferralNotFound();
  const existing = await getOnwardReferralOf(referralId, onwardReferralId);
  if (!existing) throw new OnwardReferralNotFound();
  const service: Service | undefined = area.services.find((s) => s.id === existing.serviceId);
  if (!service) throw new ServiceNotFound();

  const key = providerKeyFor(onwardReferralId);
  const onward = await startDelivery({
    referralId,
    onwardReferralId,
    taskToken,
    providerKeyHash: hashProviderKey(key),
    at: new Date(),
  });
  const log = { referralId, code: service.id, attempt: onward.attempts };

  if (providerResponse(onward.status)) {
    // Answered while the journey was not waiting: answer it now instead of sending again.
    await answerWaitingJourney({ referralId, onwardReferralId, taskToken, status: onward.status });
    logSafe('info', 'onward referral already answered', { ...log, status: onward.status });
    return { delivered: false };
  }

  const url = respondUrl(requiredEnv('PUBLIC_API_URL'), onwardReferralId);
  const now = () => new Date();
  if (service.referral.channel === 'webhook') {
    const message = providerReferralMessage({
      onwardReferralId,
      referralId,
      service,
      chase,
      referral: referral.referral,
      respondUrl: url,
      key,
    });
    try {
      const idempotencyKey = `${onwardReferralId}:${chase ? 'chase' : 'referral'}`;
      await postToProvider(service.referral.address, message, idempotencyKey, onwardReferralId);
    } catch (error) {
      if (error instanceof ProviderUnavailable) {
        logSafe('warn', 'provider unavailable', { ...log, reason: error.reason });
        countMetric(metricCatalogue.providerUnavailable.name);
      }
      throw error;
    }
    await recordDelivery({ referralId, onwardReferralId, chase, at: now() });
  } else {
    await recordDelivery({
      referralId,
      onwardReferralId,
      chase,
      at: now(),
      notification: {
        to: service.referral.address,
        template: chase ? 'onward_referral_chase' : 'onward_referral',
        // The notifier adds the keyed link to the provider's page when it sends.
        fields: { onwardReferralId, referralReference: referralId, serviceName: service.name },
      },
    });
  }
  countMetric(chase ? metricCatalogue.onwardReferralChased.name : metricCatalogue.onwardReferralSent.name);
  logSafe('info', chase ? 'onward referral chased' : 'onward referral sent', { ...log, reason: service.referral.channel });
  return { delivered: true };
}

export const handler = middy<unknown, SendOnwardReferralResult>().use(observed()).handler(sendOnwardReferral);
