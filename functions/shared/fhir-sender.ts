import { createHash, randomUUID } from 'node:crypto';
import { BARS_STATUS_TEMPLATE, type LifecycleEvent, lifecycleEvents, statusUpdateMessage } from '../domain/bars-lifecycle.ts';
import { FHIR_JSON } from '../domain/fhir-terminology.ts';
import { type ReferralStatus, referralStatuses } from '../domain/referral.ts';
import { errorFields } from './observability.ts';

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

/** Message builders by outbox template; an unknown template is permanent. */
export type FhirMessageBuilder = (seed: string, fields: Readonly<Record<string, string>>) => Record<string, unknown>;

const builders = new Map<string, FhirMessageBuilder>();

export function registerFhirMessage(template: string, build: FhirMessageBuilder): void {
  builders.set(template, build);
}

registerFhirMessage(BARS_STATUS_TEMPLATE, (seed, fields) => {
  const event = fields.event as LifecycleEvent;
  const referralStatus = fields.referralStatus as ReferralStatus;
  if (!lifecycleEvents.includes(event) || !referralStatuses.includes(referralStatus) || !fields.referralReference || !fields.occurredAt) {
    throw new PermanentFhirError('fields');
  }
  return statusUpdateMessage({ seed, referralId: fields.referralReference, event, referralStatus, occurredAt: fields.occurredAt });
});

/** The message an outbox item stands for. */
export function buildFhirMessage(message: Pick<OutgoingFhirMessage, 'notificationId' | 'template' | 'fields'>): Record<string, unknown> {
  const build = builders.get(message.template);
  if (!build) throw new PermanentFhirError('template');
  return build(createHash('sha256').update(message.notificationId).digest('hex'), message.fields);
}

function networkErrorCode(error: unknown): string {
  const code = (error as { cause?: { code?: unknown } })?.cause?.code;
  return typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code) ? code : (errorFields(error).errorName ?? 'Error');
}

export class HttpFhirSender implements FhirSender {
  async send(message: OutgoingFhirMessage): Promise<{ messageId?: string }> {
    const bundle = buildFhirMessage(message);
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
