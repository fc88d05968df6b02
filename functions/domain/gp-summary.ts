/**
 * The discharge summary for the person's GP practice: a FHIR R4 message Bundle whose
 * MessageHeader focuses a Composition (a document the practice system can file against the
 * patient), shaped after the PRSB social prescribing information standard's "message back to
 * the GP and referrer": who the person is (to file it), the referral and its dates, the support
 * given, the onward services and the outcome. Pure: the caller gathers the facts and the ids.
 *
 * Coded where a code was verified: SNOMED CT 373942005 |Discharge summary| (Composition.type,
 * as UK Core's discharge example) and 871731000000106 |Referral to social prescribing service|
 * (the referral). Everything else is the service's own codes rendered as fixed labels: never a
 * coach's free text, a triage reason or a measure score.
 */
import { stableUuid } from './bars-lifecycle.ts';
import { fhirSystems } from './fhir-terminology.ts';

/** The outbox template of a discharge summary (its fields: referralReference, practice). */
export const GP_SUMMARY_TEMPLATE = 'gp_discharge_summary';

export const snomedCodes = {
  dischargeSummary: { code: '373942005', display: 'Discharge summary' },
  socialPrescribingReferral: { code: '871731000000106', display: 'Referral to social prescribing service' },
} as const;

export interface DischargeSummaryInput {
  readonly referralId: string;
  readonly areaName: string;
  readonly practiceOdsCode: string;
  readonly patient: {
    readonly nhsNumber?: string;
    readonly givenName: string;
    readonly familyName: string;
    readonly dateOfBirth: string;
  };
  readonly receivedAt: string;
  readonly firstContactAt?: string;
  readonly assessedAt?: string;
  readonly dischargedAt: string;
  readonly outcome?: { readonly employmentOutcome: string; readonly outcomeDate: string; readonly dischargeReason: string };
  readonly support: { readonly workplaceAdjustments: readonly string[]; readonly employerConversation: boolean; readonly followUps: number };
  readonly onward: readonly { readonly serviceName: string; readonly status: string }[];
}

const labels: Readonly<Record<string, string>> = {
  stayed_in_work: 'Stayed in work',
  returned_to_work: 'Returned to work',
  started_new_work: 'Started new work',
  not_in_work: 'Not in work',
  support_completed: 'Support completed',
  goals_met: 'Goals met',
  early_discharge: 'Discharged early',
  disengaged: 'Stopped engaging',
  moved_away: 'Moved away',
  flexible_working: 'Flexible working',
  phased_return: 'Phased return',
  adjusted_duties: 'Adjusted duties',
  adaptive_technology: 'Adaptive technology',
  workstation_assessment: 'Workstation assessment',
  time_off_for_appointments: 'Time off for appointments',
  other: 'Other',
  pending: 'Referred',
  sent: 'Referred',
  accepted: 'Accepted by the service',
  declined: 'Declined by the service',
  attended: 'Attended',
  completed: 'Completed',
  did_not_attend: 'Did not attend',
  unreachable: 'Referral could not be sent',
  no_response: 'No answer from the service',
};

/** An onward referral's status → the FHIR request status of its ServiceRequest at discharge. */
function onwardRequestStatus(status: string): 'active' | 'completed' | 'revoked' {
  if (status === 'attended' || status === 'completed') return 'completed';
  if (status === 'pending' || status === 'sent' || status === 'accepted') return 'active';
  return 'revoked';
}
const label = (code: string) => labels[code] ?? code.replace(/_/g, ' ');

const escapeXml = (value: string) => value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const narrative = (lines: readonly string[]) => ({
  status: 'generated',
  div: `<div xmlns="http://www.w3.org/1999/xhtml"><ul>${lines.map((l) => `<li>${escapeXml(l)}</li>`).join('')}</ul></div>`,
});
const day = (iso: string | undefined) => (iso ? iso.slice(0, 10) : 'not recorded');

export function dischargeSummaryMessage(seed: string, input: DischargeSummaryInput): Record<string, unknown> {
  const id = (n: number) => stableUuid(seed.slice(n) + seed.slice(0, n));
  const ids = { bundle: id(0), header: id(2), composition: id(4), patient: id(6), organisation: id(8), referral: id(10), outcome: id(12) };
  const urn = (value: string) => `urn:uuid:${value}`;
  const onwardIds = input.onward.map((_, i) => id(14 + i * 2));
  const patientRef = { reference: urn(ids.patient) };
  const serviceRef = { reference: urn(ids.organisation) };
  const p = input.patient;

  const support = [
    `Work and Health Coach support from ${day(input.firstContactAt)} to ${day(input.dischargedAt)}`,
    ...(input.assessedAt ? [`Assessment and plan: ${day(input.assessedAt)}`] : []),
    `Follow-up reviews: ${input.support.followUps}`,
    ...(input.support.workplaceAdjustments.length ? [`Workplace adjustments advised: ${input.support.workplaceAdjustments.map(label).join(', ')}`] : []),
    `Conversation with the employer: ${input.support.employerConversation ? 'yes' : 'no'}`,
  ];
  const outcome = input.outcome;
  const resources: { fullUrl: string; resource: Record<string, unknown> }[] = [
    {
      fullUrl: urn(ids.header),
      resource: {
        resourceType: 'MessageHeader',
        id: ids.header,
        eventCoding: { system: fhirSystems.snomed, ...snomedCodes.dischargeSummary },
        destination: [{ endpoint: `urn:ods:${input.practiceOdsCode}`, receiver: { identifier: { system: fhirSystems.odsOrganisation, value: input.practiceOdsCode } } }],
        sender: serviceRef,
        source: { name: 'WorkWell', endpoint: '/v1/fhir/$process-message' },
        focus: [{ reference: urn(ids.composition) }],
      },
    },
    {
      fullUrl: urn(ids.composition),
      resource: {
        resourceType: 'Composition',
        id: ids.composition,
        identifier: { system: 'https://tools.ietf.org/html/rfc4122', value: ids.composition },
        status: 'final',
        type: { coding: [{ system: fhirSystems.snomed, ...snomedCodes.dischargeSummary }] },
        subject: patientRef,
        date: input.dischargedAt,
        author: [serviceRef],
        title: 'WorkWell discharge summary',
        event: [{ period: { start: input.receivedAt, end: input.dischargedAt } }],
        section: [
          {
            title: 'Referral',
            text: narrative([`Referral to social prescribing service (WorkWell) received ${day(input.receivedAt)}`, `First contact: ${day(input.firstContactAt)}`, `Discharged: ${day(input.dischargedAt)}`]),
            entry: [{ reference: urn(ids.referral) }],
          },
          { title: 'Support given', text: narrative(support) },
          {
            title: 'Onward services',
            text: narrative(input.onward.length ? input.onward.map((o) => `${o.serviceName}: ${label(o.status)}`) : ['None']),
            ...(onwardIds.length ? { entry: onwardIds.map((o) => ({ reference: urn(o) })) } : {}),
          },
          {
            title: 'Outcome',
            text: narrative(outcome ? [`${label(outcome.employmentOutcome)} (${outcome.outcomeDate})`, `Reason for discharge: ${label(outcome.dischargeReason)}`] : ['Not recorded']),
            ...(outcome ? { entry: [{ reference: urn(ids.outcome) }] } : {}),
          },
        ],
      },
    },
    {
      fullUrl: urn(ids.patient),
      resource: {
        resourceType: 'Patient',
        id: ids.patient,
        ...(p.nhsNumber ? { identifier: [{ system: fhirSystems.nhsNumber, value: p.nhsNumber }] } : {}),
        name: [{ family: p.familyName, given: [p.givenName] }],
        birthDate: p.dateOfBirth,
        generalPractitioner: [{ identifier: { system: fhirSystems.odsOrganisation, value: input.practiceOdsCode } }],
      },
    },
    { fullUrl: urn(ids.organisation), resource: { resourceType: 'Organization', id: ids.organisation, name: `WorkWell ${input.areaName}` } },
    {
      fullUrl: urn(ids.referral),
      resource: {
        resourceType: 'ServiceRequest',
        id: ids.referral,
        identifier: [{ system: 'https://workwell.nhs.example/fhir/Id/referral-id', value: input.referralId }],
        status: 'completed',
        intent: 'order',
        code: { coding: [{ system: fhirSystems.snomed, ...snomedCodes.socialPrescribingReferral }] },
        subject: patientRef,
        authoredOn: input.receivedAt,
        performer: [serviceRef],
      },
    },
    ...input.onward.map((o, i) => ({
      fullUrl: urn(onwardIds[i]!),
      resource: {
        resourceType: 'ServiceRequest',
        id: onwardIds[i],
        status: onwardRequestStatus(o.status),
        intent: 'order',
        code: { text: o.serviceName },
        subject: patientRef,
        requester: serviceRef,
      },
    })),
    ...(outcome
      ? [
          {
            fullUrl: urn(ids.outcome),
            resource: {
              resourceType: 'Observation',
              id: ids.outcome,
              status: 'final',
              code: { text: 'Employment outcome at discharge' },
              subject: patientRef,
              effectiveDateTime: outcome.outcomeDate,
              valueCodeableConcept: { text: label(outcome.employmentOutcome) },
            },
          },
        ]
      : []),
  ];
  return { resourceType: 'Bundle', id: ids.bundle, meta: { lastUpdated: input.dischargedAt }, type: 'message', timestamp: input.dischargedAt, entry: resources };
}
