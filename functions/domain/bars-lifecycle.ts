/**
 * The referral lifecycle spoken back to its sender in BaRS: which journey events the referrer
 * hears of, and the message Bundle that tells them. Pure functions: ids and times come from the
 * caller (the outbox item), so a message sent again is the same message, with the same ids.
 *
 * What the sender learns is what BaRS carries for a referrer: the ServiceRequest's status, and a
 * FHIR Task on it whose status says what happened (the closed-loop states HL7 uses for
 * referrals: accepted, rejected, in-progress, cancelled, failed, completed), with a fixed,
 * non-clinical text. Never a triage reason (some are health data), a name or a note.
 */
import { barsSystems, serviceRequestStatusOf } from './bars.ts';
import { fhirSystems, workwellFhir } from './fhir-terminology.ts';
import type { ReferralStatus } from './referral.ts';
import type { StatusStage } from './stages.ts';

/** The outbox template of a status update (its fields: referralReference, event, referralStatus, occurredAt). */
export const BARS_STATUS_TEMPLATE = 'bars_status_update';

export const lifecycleEvents = ['accepted', 'rejected', 'first_contact', 'declined', 'not_contactable', 'ended', 'discharged'] as const;
export type LifecycleEvent = (typeof lifecycleEvents)[number];

type TaskStatus = 'accepted' | 'rejected' | 'in-progress' | 'cancelled' | 'failed' | 'completed';

/** Each event: the Task status and the fixed text the referrer reads. */
const eventTask: Readonly<Record<LifecycleEvent, { readonly status: TaskStatus; readonly text: string }>> = {
  accepted: { status: 'accepted', text: 'Referral accepted by the service' },
  rejected: { status: 'rejected', text: 'Referral not accepted by the service; the person has been signposted elsewhere' },
  first_contact: { status: 'in-progress', text: 'First contact made with the person' },
  declined: { status: 'cancelled', text: 'The person declined the service' },
  not_contactable: { status: 'failed', text: 'The person could not be contacted' },
  ended: { status: 'cancelled', text: 'Support ended before completion' },
  discharged: { status: 'completed', text: 'The person has been discharged from the service' },
};

/**
 * The event a recorded stage tells the referrer of, if any. A withdrawal the referrer made
 * (their own cancellation) is not echoed back: they were answered when they sent it.
 */
export function lifecycleEventOfStage(stage: StatusStage, reason?: string): LifecycleEvent | undefined {
  switch (stage) {
    case 'not_eligible':
      return 'rejected';
    case 'engaged':
      // First contact is told when its task is completed (lifecycleEventOfTask), once.
      return undefined;
    case 'declined':
      return 'declined';
    case 'not_engaged':
      return 'not_contactable';
    case 'completed':
      return 'discharged';
    case 'withdrawn':
      if (reason === 'referrer_cancelled' || reason === 'referrer_entered_in_error') return undefined;
      return reason === 'participant_withdrew' ? 'declined' : 'ended';
    case 'closed_by_operator':
      return 'ended';
    case 'needs_attention':
      return undefined;
  }
}

/**
 * The event a completed task tells the referrer of: a review that accepts the referral (the
 * refusal closes the journey through a recorded stage), and first contact made.
 */
export function lifecycleEventOfTask(type: string, newStatus: ReferralStatus | undefined): LifecycleEvent | undefined {
  if (type === 'needs_review' && newStatus === 'triaged_eligible') return 'accepted';
  if (type === 'first_contact' && newStatus === 'engaged') return 'first_contact';
  return undefined;
}

/** A UUID (version 4 layout) from 32 hex digits of a stable hash, so a resent message keeps its ids. */
export function stableUuid(hex: string): string {
  const h = hex.padEnd(32, '0').slice(0, 32).toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export interface StatusUpdateInput {
  /** Hex seed of the message ids (the outbox notification's id, hashed). */
  readonly seed: string;
  readonly referralId: string;
  readonly event: LifecycleEvent;
  /** The service's status for the referral once the event happened. */
  readonly referralStatus: ReferralStatus;
  readonly occurredAt: string;
}

/**
 * The BaRS status update: a message Bundle (MessageHeader event servicerequest-request, reason
 * update) focusing the referral's ServiceRequest with its new status, and a Task based on it
 * saying what happened. Nothing about the person.
 */
export function statusUpdateMessage(input: StatusUpdateInput): Record<string, unknown> {
  const { referralId, event, occurredAt } = input;
  const ids = { bundle: stableUuid(input.seed), header: stableUuid(input.seed.slice(8) + input.seed.slice(0, 8)), task: stableUuid([...input.seed].reverse().join('')) };
  const urn = (id: string) => `urn:uuid:${id}`;
  const task = eventTask[event];
  const serviceRequestUrl = urn(referralId);
  return {
    resourceType: 'Bundle',
    id: ids.bundle,
    meta: { lastUpdated: occurredAt },
    type: 'message',
    timestamp: occurredAt,
    entry: [
      {
        fullUrl: urn(ids.header),
        resource: {
          resourceType: 'MessageHeader',
          id: ids.header,
          eventCoding: { system: fhirSystems.barsMessageEvents, code: 'servicerequest-request' },
          reason: { coding: [{ system: fhirSystems.barsMessageReason, code: 'update' }] },
          source: { name: 'WorkWell', endpoint: '/v1/fhir/$process-message' },
          focus: [{ reference: serviceRequestUrl }],
        },
      },
      {
        fullUrl: serviceRequestUrl,
        resource: {
          resourceType: 'ServiceRequest',
          id: referralId,
          meta: { lastUpdated: occurredAt },
          extension: [{ url: workwellFhir.referralStatus, valueCoding: { system: workwellFhir.referralStatusSystem, code: input.referralStatus } }],
          identifier: [{ system: barsSystems.referralId, value: referralId }],
          status: serviceRequestStatusOf[input.referralStatus],
          intent: 'order',
          subject: { display: 'The person referred' },
        },
      },
      {
        fullUrl: urn(ids.task),
        resource: {
          resourceType: 'Task',
          id: ids.task,
          identifier: [{ system: 'https://workwell.nhs.example/fhir/Id/lifecycle-event', value: `${referralId}#${event}` }],
          basedOn: [{ reference: serviceRequestUrl }],
          status: task.status,
          businessStatus: { text: task.text },
          intent: 'order',
          focus: { reference: serviceRequestUrl },
          lastModified: occurredAt,
        },
      },
    ],
  };
}
