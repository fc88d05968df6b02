/**
 * Onward referrals: a coach refers the person on to a local service from the area's service
 * directory (areas/schema.ts ServiceSchema); the service's provider answers with statuses.
 * Pure rules only: which statuses may follow which, which ones answer a waiting journey,
 * whether a chosen service fits the person, and the message a provider receives.
 */
import { z } from 'zod';
import type { Service } from '../../areas/schema.ts';
import type { Referral } from './referral.ts';
import { ageOn, postcodeDistrict } from './triage.ts';

/** Statuses a provider reports through the API. */
export const providerStatuses = ['accepted', 'declined', 'attended', 'completed', 'did_not_attend'] as const;
export type ProviderStatus = (typeof providerStatuses)[number];

/**
 * Every status of an onward referral. pending: created, not yet delivered; sent: delivered to
 * the provider; unreachable: delivery kept failing; no_response: the provider did not answer
 * after a chase (those three are set by the journey); the rest are reported by the provider.
 */
export const onwardReferralStatuses = ['pending', 'sent', ...providerStatuses, 'unreachable', 'no_response'] as const;
export type OnwardReferralStatus = (typeof onwardReferralStatuses)[number];

/** Set by the journey, never by a provider. */
export type JourneyOnwardStatus = 'unreachable' | 'no_response';

/**
 * Provider statuses allowed after each status. A provider may answer before we have recorded
 * the delivery (a webhook answered inside the request) and late (after no_response or
 * unreachable). completed needs attended first; nothing follows completed or declined.
 */
const providerNext: Readonly<Record<OnwardReferralStatus, readonly ProviderStatus[]>> = {
  pending: ['accepted', 'declined', 'attended', 'did_not_attend'],
  sent: ['accepted', 'declined', 'attended', 'did_not_attend'],
  unreachable: ['accepted', 'declined', 'attended', 'did_not_attend'],
  no_response: ['accepted', 'declined', 'attended', 'did_not_attend'],
  accepted: ['attended', 'did_not_attend', 'declined'],
  did_not_attend: ['attended', 'declined'],
  attended: ['completed', 'did_not_attend'],
  completed: [],
  declined: [],
};

export type ProviderTransition = 'allowed' | 'repeat' | 'not_allowed';

/**
 * What a provider's status does to an onward referral in `current`: 'repeat' when it is the
 * current status already (a provider retrying: record nothing, answer as before), 'allowed'
 * when it may follow, 'not_allowed' otherwise.
 */
export function providerTransition(current: OnwardReferralStatus, next: ProviderStatus): ProviderTransition {
  if (current === next) return 'repeat';
  return providerNext[current].includes(next) ? 'allowed' : 'not_allowed';
}

/** Provider statuses that may follow `current` (for error documentation and tests). */
export function allowedProviderStatuses(current: OnwardReferralStatus): readonly ProviderStatus[] {
  return providerNext[current];
}

/** True for the statuses that answer a journey waiting on the provider. */
export function providerResponse(status: OnwardReferralStatus): status is ProviderStatus {
  return (providerStatuses as readonly string[]).includes(status);
}

/** No status may follow: the provider is done with the person. */
export function isFinalOnwardStatus(status: OnwardReferralStatus): boolean {
  return providerNext[status].length === 0;
}

/** The journey may mark `current` unreachable / no_response only before the provider answered. */
export function canMarkByJourney(current: OnwardReferralStatus, next: JourneyOnwardStatus): boolean {
  if (current === next) return false;
  return current === 'pending' || current === 'sent' || (next === 'no_response' && current === 'unreachable');
}

// ---------------------------------------------------------------------------------------------
// Choosing services

export const serviceChoiceProblems = [
  'unknown_service',
  'service_not_active',
  'under_minimum_age',
  'over_maximum_age',
  'outside_service_area',
] as const;
export type ServiceChoiceProblem = (typeof serviceChoiceProblems)[number];

/** What a service check needs about the person. */
export interface ServicePerson {
  readonly dateOfBirth: string;
  readonly postcode: string;
}

/**
 * Whether `service` (undefined when the chosen id is not in the directory) can take the person
 * on `today` (YYYY-MM-DD in the area's time zone): undefined when it can, else a reason code.
 * Empty service_areas means the whole area.
 */
export function checkServiceChoice(
  service: Service | undefined,
  person: ServicePerson,
  today: string,
): ServiceChoiceProblem | undefined {
  if (!service) return 'unknown_service';
  if (service.status !== 'active') return 'service_not_active';
  const age = ageOn(person.dateOfBirth, today);
  if (service.minimum_age !== undefined && age < service.minimum_age) return 'under_minimum_age';
  if (service.maximum_age !== undefined && age > service.maximum_age) return 'over_maximum_age';
  if (service.service_areas.length > 0 && !service.service_areas.includes(postcodeDistrict(person.postcode))) {
    return 'outside_service_area';
  }
  return undefined;
}

export type ServiceChoices =
  | { readonly ok: true; readonly services: readonly Service[] }
  | { readonly ok: false; readonly problems: readonly { serviceId: string; reason: ServiceChoiceProblem }[] };

/** Checks each chosen id against the directory (repeats collapse to one); all must pass. */
export function checkServiceChoices(
  directory: readonly Service[],
  serviceIds: readonly string[],
  person: ServicePerson,
  today: string,
): ServiceChoices {
  const services: Service[] = [];
  const problems: { serviceId: string; reason: ServiceChoiceProblem }[] = [];
  for (const serviceId of new Set(serviceIds)) {
    const service = directory.find((s) => s.id === serviceId);
    const reason = checkServiceChoice(service, person, today);
    if (reason) problems.push({ serviceId, reason });
    else if (service) services.push(service);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, services };
}

// ---------------------------------------------------------------------------------------------
// The message a provider receives (webhook channel only: e-mail never carries personal data)

export interface ProviderReferralMessage {
  readonly onwardReferralId: string;
  /** Our referral id, for the provider's correspondence with the coach. */
  readonly referralReference: string;
  readonly service: { readonly id: string; readonly name: string };
  readonly chase: boolean;
  readonly participant: {
    readonly name: { readonly given: string; readonly family: string };
    readonly dateOfBirth: string;
    readonly postcode: string;
    readonly contact: {
      readonly email?: string;
      readonly phone?: string;
      readonly preferredChannel: Referral['participant']['preferredChannel'];
    };
    readonly reasonableAdjustments: readonly string[];
  };
  readonly reasonForReferral: {
    readonly conditions: Referral['health']['conditions'];
    readonly supportNeeds: Referral['needs']['support'];
  };
  readonly respondTo: { readonly url: string; readonly key: string };
}

/** What the provider needs to act on the referral: ProviderReferralMessage without the envelope. */
export type ProviderReferralDetails = Pick<ProviderReferralMessage, 'participant' | 'reasonForReferral'>;

/**
 * The least the provider needs to contact and help the person, which is what the person agreed
 * to share with the service: no NHS number, no GP, no employer, no free-text health details,
 * no referrer contact. The webhook message and the provider's page both show exactly this.
 */
export function providerReferralDetails(referral: Referral): ProviderReferralDetails {
  const { participant } = referral;
  return {
    participant: {
      name: { given: participant.givenName, family: participant.familyName },
      dateOfBirth: participant.dateOfBirth,
      postcode: participant.postcode,
      contact: {
        ...(participant.email ? { email: participant.email } : {}),
        ...(participant.phone ? { phone: participant.phone } : {}),
        preferredChannel: participant.preferredChannel,
      },
      reasonableAdjustments: [...referral.reasonableAdjustments],
    },
    reasonForReferral: {
      conditions: [...referral.health.conditions],
      supportNeeds: [...referral.needs.support],
    },
  };
}

/** The webhook message: the details, with ids and where (and with which key) to answer. */
export function providerReferralMessage(input: {
  onwardReferralId: string;
  referralId: string;
  service: Pick<Service, 'id' | 'name'>;
  chase: boolean;
  referral: Referral;
  respondUrl: string;
  key: string;
}): ProviderReferralMessage {
  return {
    onwardReferralId: input.onwardReferralId,
    referralReference: input.referralId,
    service: { id: input.service.id, name: input.service.name },
    chase: input.chase,
    ...providerReferralDetails(input.referral),
    respondTo: { url: input.respondUrl, key: input.key },
  };
}

/** Where a provider posts its statuses for an onward referral. */
export function respondUrl(publicApiUrl: string, onwardReferralId: string): string {
  return `${publicApiUrl.replace(/\/+$/, '')}/v1/onward-referrals/${encodeURIComponent(onwardReferralId)}/status`;
}

/** Why a provider declines, as codes (never free text: it could carry personal details). */
export const declineReasons = ['not_eligible', 'no_capacity', 'person_declined', 'could_not_contact', 'not_suitable', 'other'] as const;
export type DeclineReason = (typeof declineReasons)[number];

/**
 * What a provider sends to answer an onward referral: the webhook's body
 * (POST /v1/onward-referrals/{id}/status), and what the provider's page sends the same way.
 * reason goes only with declined, firstAppointmentOn only with accepted.
 */
export const ProviderStatusBody = z.strictObject({
  status: z.enum(providerStatuses),
  occurredAt: z.iso.datetime({ offset: true }).optional(),
  reason: z.enum(declineReasons).optional(),
  firstAppointmentOn: z.iso.date().optional(),
});
export type ProviderAnswer = z.infer<typeof ProviderStatusBody>;

/** Details that do not fit the status (one pointer per field), or none. */
export function providerAnswerProblems(answer: ProviderAnswer): { pointer: string; detail: string }[] {
  const problems: { pointer: string; detail: string }[] = [];
  if (answer.reason !== undefined && answer.status !== 'declined') problems.push({ pointer: '/reason', detail: 'goes only with status declined' });
  if (answer.firstAppointmentOn !== undefined && answer.status !== 'accepted') {
    problems.push({ pointer: '/firstAppointmentOn', detail: 'goes only with status accepted' });
  }
  return problems;
}
