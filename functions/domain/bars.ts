/**
 * Speaking back as the Booking and Referral Standard (BaRS) does: error codes on every
 * OperationOutcome of the FHIR routes, and the response message a receiver answers a referral
 * or cancellation message with. Pure functions: ids and times come from the caller.
 */
import { type FhirIssue, fhirSystems, type OperationOutcome, operationOutcome, type OutcomeOptions, workwellFhir } from './fhir.ts';
import type { ReferralStatus } from './referral.ts';

export const barsSystems = {
  /** BaRS (and NHS England API) error codes in OperationOutcome.issue.details. */
  httpErrorCodes: 'https://fhir.nhs.uk/CodeSystem/http-error-codes',
  /** The service's own referral ids, as ServiceRequest identifiers. */
  referralId: 'https://workwell.nhs.example/fhir/Id/referral-id',
} as const;

/**
 * HTTP status → BaRS receiver (REC_) error code. BaRS has no codes of its own for an oversized
 * body or another media type: those are bad requests.
 */
export const barsErrorCodes: Readonly<Record<number, { readonly code: string; readonly display: string }>> = {
  400: { code: 'REC_BAD_REQUEST', display: '400: The Receiver has failed to process the request as it was malformed.' },
  401: { code: 'REC_UNAUTHORIZED', display: '401: The Receiver does not recognise the credentials of the Sender.' },
  403: { code: 'REC_FORBIDDEN', display: '403: The Receiver refuses the Sender access to this resource.' },
  404: { code: 'REC_NOT_FOUND', display: '404: The Receiver has no resource at this address.' },
  405: { code: 'REC_METHOD_NOT_ALLOWED', display: '405: The Receiver does not allow this method here.' },
  409: { code: 'REC_CONFLICT', display: '409: The request conflicts with the state of the resource at the Receiver.' },
  413: { code: 'REC_BAD_REQUEST', display: '400: The Receiver has failed to process the request as it was malformed.' },
  415: { code: 'REC_BAD_REQUEST', display: '400: The Receiver has failed to process the request as it was malformed.' },
  422: { code: 'REC_UNPROCESSABLE_ENTITY', display: '422: The Receiver has failed to process the message as it was not valid for it.' },
  429: { code: 'REC_TOO_MANY_REQUESTS', display: '429: The Receiver has received too many requests from the Sender.' },
  500: { code: 'REC_SERVER_ERROR', display: '500: The Receiver has failed to process the request.' },
  501: { code: 'REC_NOT_IMPLEMENTED', display: '501: The Receiver does not support this request.' },
  502: { code: 'REC_SERVER_ERROR', display: '500: The Receiver has failed to process the request.' },
  503: { code: 'REC_SERVICE_UNAVAILABLE', display: '503: The Receiver is unavailable; try again later.' },
};

/** The BaRS error code of an HTTP status (a 4xx or 5xx not listed is a bad request or a server error). */
export function barsErrorCode(status: number): { readonly code: string; readonly display: string } {
  return barsErrorCodes[status] ?? (status >= 500 ? barsErrorCodes[500]! : barsErrorCodes[400]!);
}

/** An OperationOutcome for an answer with `status`: error issues carry the BaRS error code. */
export function barsOutcome(status: number, issues: readonly FhirIssue[], options: OutcomeOptions = {}): OperationOutcome {
  const outcome = operationOutcome(issues, options);
  if (status < 400) return outcome;
  const { code, display } = barsErrorCode(status);
  return {
    ...outcome,
    issue: outcome.issue.map((issue) =>
      issue.severity === 'error' || issue.severity === 'fatal'
        ? { ...issue, details: { coding: [{ system: barsSystems.httpErrorCodes, code, display }] } }
        : issue,
    ),
  };
}

/** A gateway's own refusal (no route, no credential) on a FHIR route, as BaRS answers it. */
export function barsGatewayOutcome(status: number): OperationOutcome {
  const issueCode = status === 401 ? 'login' : status === 403 ? 'forbidden' : status === 404 ? 'not-found' : status >= 500 ? 'exception' : 'invalid';
  const diagnostics =
    status === 401
      ? 'A partner credential is required.'
      : status === 403
        ? 'This credential may not use this route.'
        : status === 404
          ? 'There is no FHIR resource or operation at this address; see GET /v1/fhir/metadata.'
          : status === 405
            ? 'This method is not allowed at this address; see GET /v1/fhir/metadata.'
            : status >= 500
              ? 'The request could not be processed.'
              : 'The request could not be read.';
  return barsOutcome(status, [{ severity: 'error', code: issueCode, expression: [], diagnostics }]);
}

/** Whether a parsed body is a FHIR message Bundle (what $process-message takes). */
export function isMessageBundle(resource: unknown): boolean {
  return typeof resource === 'object' && resource !== null && (resource as { resourceType?: unknown }).resourceType === 'Bundle' && (resource as { type?: unknown }).type === 'message';
}

/** Request ids echoed in a response: BaRS ids are UUIDs, and nothing else a sender wrote is repeated back. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface ResponseMessageInput {
  /** Ids for the response Bundle, its MessageHeader and its OperationOutcome. */
  readonly ids: { readonly bundle: string; readonly header: string; readonly outcome: string };
  readonly timestamp: string;
  /** The message answered: BaRS puts its Bundle.id in MessageHeader.response.identifier. */
  readonly request: unknown;
  readonly referralId: string;
  /** The referral's ServiceRequest status as the service now holds it. */
  readonly status: 'active' | 'revoked' | 'entered-in-error';
  /** What the service says about the message (accepted, warnings). */
  readonly outcome: OperationOutcome;
}

/**
 * The BaRS response message: a message Bundle whose MessageHeader answers the request
 * (response.code ok, response.identifier the request Bundle's id) and focuses the service's
 * ServiceRequest for the referral (id = the referral id, the one to read or cancel it by), with
 * the OperationOutcome of warnings as response.details. Nothing personal is repeated.
 */
export function responseMessage(input: ResponseMessageInput): Record<string, unknown> {
  const { ids, referralId } = input;
  const urn = (id: string) => `urn:uuid:${id}`;
  const request = typeof input.request === 'object' && input.request !== null ? (input.request as Record<string, unknown>) : {};
  const entries = Array.isArray(request.entry) ? (request.entry as unknown[]) : [];
  const first = entries[0] as { resource?: { id?: unknown; resourceType?: unknown } } | undefined;
  const answered = [request.id, first?.resource?.resourceType === 'MessageHeader' ? first.resource.id : undefined].find(
    (id): id is string => typeof id === 'string' && UUID.test(id),
  );
  return {
    resourceType: 'Bundle',
    id: ids.bundle,
    meta: { lastUpdated: input.timestamp },
    type: 'message',
    timestamp: input.timestamp,
    entry: [
      {
        fullUrl: urn(ids.header),
        resource: {
          resourceType: 'MessageHeader',
          id: ids.header,
          eventCoding: { system: fhirSystems.barsMessageEvents, code: 'servicerequest-response' },
          source: { name: 'WorkWell', endpoint: '/v1/fhir/$process-message' },
          // FHIR requires response.identifier; a request without a UUID id is answered by the referral id.
          response: { identifier: answered ?? referralId, code: 'ok', details: { reference: urn(ids.outcome) } },
          focus: [{ reference: urn(referralId) }],
        },
      },
      {
        fullUrl: urn(referralId),
        resource: {
          resourceType: 'ServiceRequest',
          id: referralId,
          identifier: [{ system: barsSystems.referralId, value: referralId }],
          status: input.status,
          intent: 'order',
          subject: { display: 'The person referred in the request message' },
        },
      },
      { fullUrl: urn(ids.outcome), resource: { ...input.outcome, id: ids.outcome } },
    ],
  };
}

/** BaRS MessageDefinitions the service takes (referral request, as new or as cancellation) and sends (the response). */
export const supportedMessageDefinitions = [
  'https://fhir.nhs.uk/MessageDefinition/bars-messagedefinition-servicerequest-request-referral',
  'https://fhir.nhs.uk/MessageDefinition/bars-messagedefinition-servicerequest-response-referral',
] as const;

/**
 * The CapabilityStatement served at GET /v1/fhir/metadata: what the service accepts (referral
 * messages at $process-message, with their alias) and sends (the response message), as FHIR R4
 * messaging over REST with partner bearer tokens. `date` is when the software was built.
 */
export function capabilityStatement(date: string): Record<string, unknown> {
  return {
    resourceType: 'CapabilityStatement',
    id: 'workwell-bars-receiver',
    url: 'https://workwell.nhs.example/fhir/CapabilityStatement/workwell-bars-receiver',
    name: 'WorkWellBaRSReceiver',
    title: 'WorkWell journeys: referrals by the Booking and Referral Standard',
    status: 'active',
    date,
    publisher: 'WorkWell',
    kind: 'instance',
    implementation: { description: 'WorkWell journeys partner API (one per Integrated Care System area)' },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json'],
    rest: [
      {
        mode: 'server',
        documentation: 'A partner bearer token (Authorization: Bearer) on every request but this one; X-Request-Id and X-Correlation-Id are echoed back.',
        security: { service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'OAuth' }], text: 'Bearer token issued per partner' }] },
        resource: [
          {
            type: 'ServiceRequest',
            interaction: [{ code: 'create', documentation: 'POST /v1/fhir/ServiceRequest: the alias of $process-message, also taking a ServiceRequest with a contained Patient' }],
          },
        ],
        operation: [{ name: 'process-message', definition: 'http://hl7.org/fhir/OperationDefinition/MessageHeader-process-message' }],
      },
    ],
    messaging: [
      {
        documentation:
          'Referrals (MessageHeader reason new) and cancellations (reason update, ServiceRequest revoked or entered-in-error) are answered synchronously with a response message. Status updates (reason update: the ServiceRequest and a Task saying what happened) are sent to the endpoint registered for the referring partner.',
        supportedMessage: [
          { mode: 'receiver', definition: supportedMessageDefinitions[0] },
          { mode: 'sender', definition: supportedMessageDefinitions[1] },
          // Status updates to the referrer's registered endpoint (functions/domain/bars-lifecycle.ts).
          { mode: 'sender', definition: supportedMessageDefinitions[0] },
        ],
      },
    ],
  };
}

/** The service's referral status → the ServiceRequest status BaRS senders read (R4 request status). */
export const serviceRequestStatusOf: Readonly<Record<ReferralStatus, 'active' | 'revoked' | 'completed'>> = {
  received: 'active',
  triaged_eligible: 'active',
  needs_review: 'active',
  waitlisted: 'active',
  assigned: 'active',
  awaiting_first_contact: 'active',
  engaged: 'active',
  in_support: 'active',
  needs_attention: 'active',
  linked: 'active',
  // Turned down at triage or review: ended before it was done; the WorkWell status says why.
  not_eligible: 'revoked',
  withdrawn: 'revoked',
  completed: 'completed',
  not_engaged: 'completed',
  closed: 'completed',
};

/**
 * A partner's own referral as a FHIR ServiceRequest (GET /v1/fhir/ServiceRequest/{id}): its
 * status, with the service's own status code beside it, and dates; nothing personal or clinical.
 * A referral withdrawn because the referrer made it by mistake reads as entered-in-error. Not
 * eligible: the reason a partner may see (domain/partner-view.ts) as a code with words, and the
 * signposting, in WorkWell extensions (R4's ServiceRequest has no status reason).
 */
export function referralServiceRequest(referral: {
  readonly referralId: string;
  readonly reference?: string | undefined;
  readonly status: ReferralStatus;
  readonly receivedAt: string;
  readonly updatedAt: string;
  readonly enteredInError: boolean;
  readonly notEligibleReason?: { readonly code: string; readonly description: string } | undefined;
  readonly signposting?: readonly { readonly name: string; readonly url: string; readonly description: string }[] | undefined;
}): Record<string, unknown> {
  const reason = referral.notEligibleReason;
  const status = referral.status === 'withdrawn' && referral.enteredInError ? 'entered-in-error' : serviceRequestStatusOf[referral.status];
  return {
    resourceType: 'ServiceRequest',
    id: referral.referralId,
    meta: { lastUpdated: referral.updatedAt },
    extension: [
      { url: workwellFhir.referralStatus, valueCoding: { system: workwellFhir.referralStatusSystem, code: referral.status } },
      ...(reason
        ? [
            {
              url: workwellFhir.notEligibleReason,
              valueCodeableConcept: {
                coding: [{ system: workwellFhir.notEligibleReasonSystem, code: reason.code, display: reason.description }],
                text: reason.description,
              },
            },
          ]
        : []),
      ...(referral.signposting ?? []).map((s) => ({
        url: workwellFhir.signposting,
        extension: [
          { url: 'name', valueString: s.name },
          { url: 'url', valueUrl: s.url },
          { url: 'description', valueString: s.description },
        ],
      })),
    ],
    identifier: [
      { system: barsSystems.referralId, value: referral.referralId },
      ...(referral.reference ? [{ system: workwellFhir.shortReferenceSystem, value: referral.reference }] : []),
    ],
    status,
    intent: 'order',
    subject: { display: 'The person referred' },
    authoredOn: referral.receivedAt,
  };
}
