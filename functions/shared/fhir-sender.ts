import { createHash, randomUUID } from 'node:crypto';
import { BARS_STATUS_TEMPLATE, type LifecycleEvent, lifecycleEvents, statusUpdateMessage } from '../domain/bars-lifecycle.ts';
import { FHIR_JSON } from '../domain/fhir-terminology.ts';
import { dischargeSummaryMessage, GP_SUMMARY_TEMPLATE } from '../domain/gp-summary.ts';
import { type ReferralStatus, referralStatuses } from '../domain/referral.ts';
import { summaryInputOf } from './gp-summary.ts';
import { networkErrorCode } from './observability.ts';

/**
 * Posts FHIR messages from the outbox (channel 'fhir') to a partner's or a practice's endpoint.
 * The message is built from the outbox item's codes when sent, with ids derived from the
 * item's id: a resend is the same Bundle, so a receiver can recognise it (BaRS receivers
 * de-duplicate on Bundle.id). What the notifier needs to know is only whether to retry.
 */
export interface OutgoingFhirMessage {
  readonly notificationId: string;
  readonly to: string;
  readonly template: string;
  readonly fields: Readonly<Record<string, string>>;
}

export interface FhirSender {
  send(message: OutgoingFhirMessage): Promise<{ messageId?: string }>;
}

/** A refusal that retrying will not cure (the receiver says the message is wrong or not for it). */
export class PermanentFhirError extends Error {
  override readonly name = 'PermanentFhirError';
  constructor(detail: string) {
    super(`FHIR message refused: ${detail}`);
  }
}

/** Could not be delivered now (network, time-out, 5xx, 408, 429): retried with backoff. */
export class FhirEndpointUnavailable extends Error {
  override readonly name = 'FhirEndpointUnavailable';
  constructor(detail: string) {
    super(`FHIR endpoint unavailable: ${detail}`);
  }
}

const TIMEOUT_MS = 10_000;

/** The message an outbox item stands for, built when it is sent; an unknown template is permanent. */
export async function buildFhirMessage(message: Pick<OutgoingFhirMessage, 'notificationId' | 'template' | 'fields'>): Promise<Record<string, unknown>> {
  const seed = createHash('sha256').update(message.notificationId).digest('hex');
  const { fields } = message;
  switch (message.template) {
    case BARS_STATUS_TEMPLATE: {
      const event = fields.event as LifecycleEvent;
      const referralStatus = fields.referralStatus as ReferralStatus;
      if (!lifecycleEvents.includes(event) || !referralStatuses.includes(referralStatus) || !fields.referralReference || !fields.occurredAt) {
        throw new PermanentFhirError('fields');
      }
      return statusUpdateMessage({ seed, referralId: fields.referralReference, event, referralStatus, occurredAt: fields.occurredAt });
    }
    case GP_SUMMARY_TEMPLATE:
      if (!fields.referralReference) throw new PermanentFhirError('fields');
      return dischargeSummaryMessage(seed, await summaryInputOf(fields.referralReference));
    default:
      throw new PermanentFhirError('template');
  }
}

export class HttpFhirSender implements FhirSender {
  async send(message: OutgoingFhirMessage): Promise<{ messageId?: string }> {
    const bundle = await buildFhirMessage(message);
    let response: Response;
    try {
      response = await fetch(message.to, {
        method: 'POST',
        headers: {
          'content-type': FHIR_JSON,
          accept: FHIR_JSON,
          'x-request-id': randomUUID(),
          'x-correlation-id': String(bundle.id),
        },
        body: JSON.stringify(bundle),
        redirect: 'manual',
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      // A code only: messages may quote the address.
      throw new FhirEndpointUnavailable(networkErrorCode(error));
    }
    await response.body?.cancel().catch(() => undefined);
    if (response.status >= 200 && response.status <= 299) return { messageId: String(bundle.id) };
    if (response.status >= 500 || response.status === 408 || response.status === 429) throw new FhirEndpointUnavailable(`http_${response.status}`);
    throw new PermanentFhirError(`http_${response.status}`);
  }
}
