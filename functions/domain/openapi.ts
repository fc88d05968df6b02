/**
 * The OpenAPI 3.1 document of an area's partner API, built from the same definitions the API
 * runs on: the routes (functions/api-routes.ts), the referral model (ReferralSchema), the
 * provider status body (ProviderStatusBody) and the FHIR extensions (domain/fhir.ts). Served at
 * GET /v1/openapi.json and written to openapi.json by `npm run openapi`; a test fails when the
 * committed file differs from `openApiDocument()`.
 */
import { z } from 'zod';
import { journeyStages } from './stages.ts';
import { jsonApiRoutes, type JsonApiRoute } from '../api-routes.ts';
import { ProviderStatusBody } from './onward-referral.ts';
import {
  FHIR_JSON,
  fhirPriorities,
  fhirSystems,
  snomedConditionCategories,
  snomedReferralSources,
  ukCoreExtensions,
  UKCORE_OPERATION_OUTCOME,
  workwellFhir,
} from './fhir.ts';
import { ReferralSchema, referralStatuses } from './referral.ts';
import { partnerReasonCodes } from './partner-view.ts';
import { taskResultSchemas } from './task-results.ts';
import { allTaskTypes } from '../../workflows/states.ts';

export const OPENAPI_VERSION = '3.1.0';
export const API_VERSION = '1.0.0';
const PROBLEM_JSON = 'application/problem+json';
/** Request body limits of the handlers (functions/shared/http.ts, functions/handlers/fhir-intake.ts). */
const JSON_BODY_LIMIT = 64 * 1024;
const FHIR_BODY_LIMIT = 256 * 1024;

type Json = Record<string, unknown>;

/** JSON Schema (2020-12, the dialect of OpenAPI 3.1) of a zod schema, without its $schema. */
function schemaOf(schema: z.ZodType, io: 'input' | 'output' = 'input'): Json {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any' }) as Json;
  return rest;
}

/** test/fixtures/referral.json (a test keeps the two equal): the example of a valid referral. */
export const exampleReferral = {
  source: 'gp',
  referrer: {
    organisation: 'Example Medical Centre',
    odsCode: 'C88001',
    contactName: 'Dr Sam Example',
    contactEmail: 'referrals@example.com',
  },
  participant: {
    givenName: 'Alex',
    familyName: 'Example',
    dateOfBirth: '1985-06-15',
    nhsNumber: '9434765919',
    postcode: 'S1 2HE',
    email: 'alex.example@example.com',
    phone: '07700 900123',
    preferredChannel: 'email',
  },
  work: {
    situation: 'in_work_struggling',
    employer: 'Example Manufacturing Ltd',
    hasFitNote: false,
  },
  health: {
    conditions: ['musculoskeletal'],
  },
  needs: {
    complexNeeds: false,
    immediateRisk: false,
    support: ['workplace_adjustments', 'physiotherapy'],
  },
  consent: {
    given: true,
    recordedAt: '2026-03-02T10:15:00Z',
    method: 'verbal',
    evaluationContact: true,
  },
  reasonableAdjustments: [],
} as const;

/** test/fixtures/fhir/service-request-contained.json (a test keeps the two equal). */
export const exampleFhirServiceRequest = {
  resourceType: 'ServiceRequest',
  id: '8d2e4b6a-1c3f-4e5a-9b7d-2f4a6c8e0b13',
  meta: { profile: ['https://fhir.hl7.org.uk/StructureDefinition/UKCore-ServiceRequest'] },
  contained: [
    {
      resourceType: 'Patient',
      id: 'patient',
      identifier: [{ system: fhirSystems.nhsNumber, value: '9449306621' }],
      name: [{ use: 'usual', given: ['Jo'], family: 'Sample' }],
      extension: [
        {
          url: ukCoreExtensions.contactPreference,
          extension: [
            {
              url: 'PreferredContactMethod',
              valueCodeableConcept: { coding: [{ system: fhirSystems.ukCorePreferredContactMethod, code: '9', display: 'SMS' }] },
            },
          ],
        },
      ],
      telecom: [{ system: 'phone', value: '07700 900456', use: 'mobile' }],
      birthDate: '1979-11-02',
      address: [{ use: 'home', city: 'Sheffield', postalCode: 'S10 2TN' }],
      generalPractitioner: [{ identifier: { system: fhirSystems.odsOrganisation, value: 'C88002' } }],
    },
    {
      resourceType: 'Organization',
      id: 'pharmacy',
      identifier: [{ system: fhirSystems.odsOrganisation, value: 'FA123' }],
      name: 'Example Community Pharmacy',
      telecom: [{ system: 'phone', value: '0114 496 0000', use: 'work' }],
    },
  ],
  extension: [
    {
      url: ukCoreExtensions.sourceOfServiceRequest,
      valueCodeableConcept: { coding: [{ system: fhirSystems.snomed, code: '185369008', display: 'Referred by pharmacist' }] },
    },
    {
      url: workwellFhir.workSituation,
      extension: [
        { url: 'situation', valueCode: 'out_of_work' },
        { url: 'lastWorkedDate', valueDate: '2026-01-16' },
      ],
    },
    {
      url: workwellFhir.referralNeeds,
      extension: [
        { url: 'complexNeeds', valueBoolean: false },
        { url: 'immediateRisk', valueBoolean: false },
        { url: 'support', valueCode: 'talking_therapy' },
        { url: 'support', valueCode: 'employment_advice' },
      ],
    },
    {
      url: workwellFhir.referralConsent,
      extension: [
        { url: 'method', valueCode: 'written' },
        { url: 'recordedAt', valueDateTime: '2026-03-03T14:05:00+00:00' },
      ],
    },
    { url: workwellFhir.evaluationContactConsent, valueBoolean: false },
  ],
  status: 'active',
  intent: 'original-order',
  priority: 'urgent',
  subject: { reference: '#patient' },
  authoredOn: '2026-03-03T14:10:00+00:00',
  requester: { reference: '#pharmacy' },
  reasonCode: [{ coding: [{ system: fhirSystems.snomed, code: '35489007', display: 'Depressive disorder' }] }],
} as const;

const exampleReferralId = '0b7f3c52-9a1e-4d8b-8c3f-5e2a1d9b7c40';

export const exampleProblem = {
  type: 'about:blank',
  title: 'Bad Request',
  status: 400,
  detail: 'The request body does not match the referral schema.',
  errors: [{ pointer: '/participant/postcode', detail: 'must be a full UK postcode' }],
} as const;

const exampleRejection = {
  resourceType: 'OperationOutcome',
  meta: { profile: [UKCORE_OPERATION_OUTCOME] },
  issue: [
    {
      severity: 'error',
      code: 'value',
      diagnostics: 'The NHS number must be 10 digits with a valid modulus-11 check digit.',
      expression: ['Patient.identifier[0].value'],
    },
  ],
} as const;

const exampleReceipt = {
  resourceType: 'OperationOutcome',
  meta: { profile: [UKCORE_OPERATION_OUTCOME] },
  extension: [
    {
      url: workwellFhir.referralReceipt,
      extension: [
        { url: 'referralId', valueId: exampleReferralId },
        { url: 'status', valueCode: 'received' },
      ],
    },
  ],
  issue: [
    {
      severity: 'information',
      code: 'informational',
      details: { coding: [{ system: workwellFhir.referralStatusSystem, code: 'received' }], text: 'Referral received' },
      diagnostics: `Referral ${exampleReferralId} received.`,
    },
  ],
} as const;

// --- Schemas of answers (documentation of what the handlers return) --------------------------

/** A short reference people can read out on the phone (functions/domain/reference.ts). */
const ShortReference = z.string().regex(/^[A-Z]{1,5}-[0-9A-HJKMNP-TV-Y]{4}-[0-9A-HJKMNP-TV-Y]{4}$/).meta({ example: 'SY-4K7P-2MXQ' });

const ReferralAccepted = z.strictObject({
  referralId: z.uuid(),
  reference: ShortReference.optional(),
  status: z.literal('received'),
  links: z.strictObject({ self: z.string() }),
});

const ReferralStatusView = z.strictObject({
  referralId: z.uuid(),
  reference: ShortReference.optional(),
  status: z.enum(referralStatuses),
  stage: z.enum(journeyStages),
  progress: z.enum(['received', 'in_progress', 'closed']),
  receivedAt: z.iso.datetime({ offset: true }),
  updatedAt: z.iso.datetime({ offset: true }),
  /** The partner's own events, with words: staff work and other referrals are left out. */
  timeline: z.array(z.strictObject({ at: z.iso.datetime({ offset: true }), event: z.string(), description: z.string() })),
  /** Why it was not eligible: health and safety reasons read as referred_elsewhere. */
  notEligibleReason: z.strictObject({ code: z.enum(partnerReasonCodes), description: z.string() }).optional(),
  /** Where a person found not eligible can go instead, for the referrer to pass on. */
  signposting: z.array(z.strictObject({ name: z.string(), url: z.url(), description: z.string() })).optional(),
});

const ReferralCancelled = z.strictObject({ referralId: z.uuid(), status: z.literal('withdrawn') });

const ProviderStatusRecorded = z.strictObject({
  onwardReferralId: z.uuid(),
  status: ProviderStatusBody.shape.status,
});

const problemSchema: Json = {
  type: 'object',
  description: 'RFC 9457 problem details. Titles and details are fixed text: they never quote what was sent.',
  properties: {
    type: { type: 'string', format: 'uri-reference', default: 'about:blank' },
    title: { type: 'string' },
    status: { type: 'integer', minimum: 100, maximum: 599 },
    detail: { type: 'string' },
    instance: { type: 'string', format: 'uri-reference' },
    errors: {
      type: 'array',
      description: 'One entry per invalid field of the request body.',
      items: { $ref: '#/components/schemas/FieldError' },
    },
  },
  required: ['type', 'title'],
  additionalProperties: true,
};

const fieldErrorSchema: Json = {
  type: 'object',
  properties: {
    pointer: { type: 'string', description: 'JSON Pointer (RFC 6901) into the request body, such as /participant/postcode.' },
    detail: { type: 'string' },
  },
  required: ['pointer', 'detail'],
  additionalProperties: false,
};

const operationOutcomeSchema: Json = {
  type: 'object',
  description: `A FHIR R4 OperationOutcome (${UKCORE_OPERATION_OUTCOME}). Diagnostics never quote submitted values.`,
  properties: {
    resourceType: { const: 'OperationOutcome' },
    meta: { type: 'object' },
    extension: {
      type: 'array',
      description: `An accepted referral carries ${workwellFhir.referralReceipt} with sub-extensions referralId (valueId) and status (valueCode).`,
      items: { type: 'object' },
    },
    issue: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        properties: {
          severity: { enum: ['fatal', 'error', 'warning', 'information'] },
          code: { type: 'string', description: 'FHIR IssueType: required, value, invalid, structure, not-supported, …' },
          details: { type: 'object' },
          diagnostics: { type: 'string' },
          expression: { type: 'array', items: { type: 'string' }, description: 'FHIRPath of the element concerned.' },
        },
        required: ['severity', 'code'],
      },
    },
  },
  required: ['resourceType', 'issue'],
  additionalProperties: true,
};

const fhirReferralSchema: Json = {
  type: 'object',
  description: [
    'A UK Core ServiceRequest whose subject references a contained Patient (#id), or a Bundle of type message',
    '(first entry a MessageHeader whose focus is the ServiceRequest; BaRS eventCoding servicerequest-request, reason new),',
    'collection or transaction holding one ServiceRequest, its Patient and optionally Consent, Organization,',
    'PractitionerRole, Practitioner, Observation, Condition and Flag resources.',
    `ServiceRequest.status must be active; intent order, original-order or plan; priority ${fhirPriorities.join(', ')}.`,
    `Patient: name, birthDate, address.postalCode, optional NHS number (${fhirSystems.nhsNumber}), telecom and`,
    `generalPractitioner ODS code (${fhirSystems.odsOrganisation}).`,
    `Referral source: ${ukCoreExtensions.sourceOfServiceRequest} (SNOMED CT; or a code of ${workwellFhir.referralSourceSystem}), else the partner's organisation type.`,
    "Referrer: the requester's organisation (PractitionerRole), else MessageHeader.sender, else the partner's registered organisation.",
    'Reason: ServiceRequest reasonCode/reasonReference, else Conditions, else Encounter.reasonCode, else CarePlan/Observation text; none: other.',
    `Work situation: ${workwellFhir.workSituation} (situation, employer, sickLeaveStart, lastWorkedDate, hasFitNote) or a SNOMED CT employment Observation, else unknown.`,
    `Needs: ${workwellFhir.referralNeeds} (complexNeeds, immediateRisk, support); a safeguarding Flag (SG) sends the referral to review.`,
    `Consent: an active Consent of any category (dateTime or date; method coded with ${workwellFhir.consentMethodSystem}, else not stated) or ${workwellFhir.referralConsent};`,
    "without either, implied for direct care unless the area requires explicit consent.",
    `Evaluation contact: ${workwellFhir.evaluationContactConsent}. Reasonable adjustments: Flags with category RA or NRAF`,
    `(${fhirSystems.reasonableAdjustmentFlagCategory}). Contact details: Patient.telecom and Patient.contact with relationship ONESELF.`,
    'Every default applied is a warning in the answer.',
  ].join(' '),
  properties: { resourceType: { enum: ['ServiceRequest', 'Bundle'] } },
  required: ['resourceType'],
  additionalProperties: true,
};

function referralSchema(): Json {
  const schema = schemaOf(ReferralSchema);
  const participant = (schema.properties as Record<string, Json>).participant as Json;
  const nhsNumber = (participant.properties as Record<string, Json>).nhsNumber as Json;
  nhsNumber.description = '10 digits with a valid modulus-11 check digit.';
  return { ...schema, description: 'A referral: the one referral model of the service (functions/domain/referral.ts).' };
}

// --- Responses ------------------------------------------------------------------------------

function problemResponse(description: string, example: Json, headers?: Record<string, { $ref: string }>): Json {
  return {
    description,
    ...(headers ? { headers } : {}),
    content: { [PROBLEM_JSON]: { schema: { $ref: '#/components/schemas/Problem' }, example } },
  };
}

const problemResponses: Record<string, Json> = {
  BadRequest: problemResponse('The request is malformed: not JSON, a header or field that is not valid (one pointer per field).', exampleProblem),
  Unauthorized: problemResponse(
    'No credential, or one that is not valid.',
    { type: 'about:blank', title: 'Unauthorized', status: 401 },
    { 'WWW-Authenticate': { $ref: '#/components/headers/WWW-Authenticate' } },
  ),
  Forbidden: problemResponse('The credential is revoked, the partner suspended, or the credential is for another area.', {
    type: 'about:blank',
    title: 'Forbidden',
    status: 403,
  }),
  NotFound: problemResponse('No such resource (another partner’s referral is answered the same way).', {
    type: 'about:blank',
    title: 'Not Found',
    status: 404,
    detail: 'No referral with this id.',
  }),
  Conflict: problemResponse('The request conflicts with the current state (a request with this Idempotency-Key still in progress, a referral that already ended, a status that may not follow).', {
    type: 'about:blank',
    title: 'Conflict',
    status: 409,
    detail: 'A request with this Idempotency-Key is still being processed; retry shortly.',
  }),
  ContentTooLarge: problemResponse(`The request body is larger than ${JSON_BODY_LIMIT} bytes.`, {
    type: 'about:blank',
    title: 'Content Too Large',
    status: 413,
    detail: `The request body is larger than ${JSON_BODY_LIMIT} bytes.`,
  }),
  UnsupportedMediaType: problemResponse(
    'The request body is not application/json.',
    { type: 'about:blank', title: 'Unsupported Media Type', status: 415, detail: 'Send the request body as application/json.' },
    { 'Accept-Post': { $ref: '#/components/headers/Accept-Post' } },
  ),
  UnprocessableContent: problemResponse('The Idempotency-Key was used before with a different request body.', {
    type: 'about:blank',
    title: 'Unprocessable Content',
    status: 422,
    detail: 'This Idempotency-Key was used with a different request.',
  }),
  TooManyRequests: problemResponse(
    "Over the partner's request rate; retry after the Retry-After seconds.",
    { type: 'about:blank', title: 'Too Many Requests', status: 429 },
    { 'Retry-After': { $ref: '#/components/headers/Retry-After' } },
  ),
  ServiceUnavailable: problemResponse(
    'The referral was stored but its journey could not be started (referralId given); retry after Retry-After seconds with the same Idempotency-Key.',
    {
      type: 'about:blank',
      title: 'Service Unavailable',
      status: 503,
      detail: 'The referral was stored but its journey could not be started.',
      referralId: exampleReferralId,
    },
    { 'Retry-After': { $ref: '#/components/headers/Retry-After' } },
  ),
};

const ref = (name: string) => ({ $ref: `#/components/responses/${name}` });

function fhirOutcome(description: string, example?: Json, headers?: Record<string, { $ref: string }>): Json {
  return {
    description,
    ...(headers ? { headers } : {}),
    content: { [FHIR_JSON]: { schema: { $ref: '#/components/schemas/OperationOutcome' }, ...(example ? { example } : {}) } },
  };
}

const trace = {
  'X-Request-Id': { $ref: '#/components/headers/X-Request-Id' },
  'X-Correlation-Id': { $ref: '#/components/headers/X-Correlation-Id' },
};

/** The refusals of the FHIR intake routes, each an OperationOutcome with its BaRS error code. */
const fhirErrors = {
  '400': fhirOutcome('Not FHIR JSON, not a ServiceRequest or Bundle, a broken reference or structure, or a malformed Idempotency-Key (REC_BAD_REQUEST).', undefined, trace),
  '401': fhirOutcome('No credential, or one that is not valid (REC_UNAUTHORIZED).', undefined, {
    'WWW-Authenticate': { $ref: '#/components/headers/WWW-Authenticate' },
    ...trace,
  }),
  '403': ref('Forbidden'),
  '409': fhirOutcome('A request with this Idempotency-Key is still being processed; retry shortly (REC_CONFLICT).', undefined, trace),
  '413': fhirOutcome(`The request body is larger than ${FHIR_BODY_LIMIT} bytes (REC_BAD_REQUEST).`, undefined, trace),
  '415': fhirOutcome('The request body is not application/fhir+json or application/json (REC_BAD_REQUEST).', undefined, {
    'Accept-Post': { $ref: '#/components/headers/Accept-Post' },
    ...trace,
  }),
  '422': fhirOutcome(
    'A rule is broken (one issue per element, with its FHIRPath), a message that is not a referral, or the Idempotency-Key used with another body (REC_UNPROCESSABLE_ENTITY).',
    exampleRejection,
    trace,
  ),
  '429': fhirOutcome("Over the partner's request rate (REC_TOO_MANY_REQUESTS).", undefined, { 'Retry-After': { $ref: '#/components/headers/Retry-After' }, ...trace }),
  '503': fhirOutcome('The referral was stored but its journey could not be started (REC_SERVICE_UNAVAILABLE); retry.', undefined, {
    'Retry-After': { $ref: '#/components/headers/Retry-After' },
    ...trace,
  }),
};

/** Any other address under /v1/fhir: a BaRS 404. */
function fhirNotFound(operationId: string): Operation {
  return {
    operationId,
    summary: 'Any other FHIR address: not found',
    description: 'Answered 404 with an OperationOutcome (REC_NOT_FOUND), as BaRS answers; see GET /v1/fhir/metadata for what is supported.',
    tags: ['fhir'],
    parameters: [{ name: 'proxy+', in: 'path', required: true, schema: { type: 'string' }, description: 'The rest of the address.' }],
    responses: { '404': fhirOutcome('No FHIR resource or operation here (REC_NOT_FOUND).') },
  };
}

// --- Operations -----------------------------------------------------------------------------

type Route = JsonApiRoute;
type RouteKey = Route extends infer R ? (R extends { method: infer M extends string; path: infer P extends string } ? `${M} ${P}` : never) : never;

interface Operation {
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tags: readonly string[];
  readonly parameters?: readonly Json[];
  readonly requestBody?: Json;
  readonly responses: Record<string, Json>;
  /** Overrides the route's auth: the provider status route checks its own key. */
  readonly security?: readonly Record<string, readonly string[]>[];
}

const param = (name: string) => ({ $ref: `#/components/parameters/${name}` });

// --- Coach API ------------------------------------------------------------------------------

const withdrawalReasonList = ['participant_withdrew', 'referrer_cancelled', 'moved_away', 'duplicate', 'other'] as const;
const taskStatusList = ['open', 'overdue', 'superseded', 'completed', 'cancelled'] as const;

const TaskSummary = z.object({
  taskId: z.string(),
  referralId: z.uuid(),
  type: z.enum(allTaskTypes),
  status: z.enum(taskStatusList),
  attempt: z.number().int().min(1),
  dueAt: z.iso.datetime({ offset: true }),
  openedAt: z.iso.datetime({ offset: true }),
  assignee: z.string().nullable(),
  overdue: z.boolean().describe('Past its due time (status overdue, or open and past dueAt).'),
  assigneeOnLeave: z.boolean().optional().describe('The assignee is on leave: the team lead covers the task.'),
});
const TaskList = z.object({
  scope: z.enum(['mine', 'team']),
  tasks: z.array(TaskSummary),
  nextCursor: z.string().optional().describe('Pass as `cursor` for the next page; absent on the last page.'),
});
const TaskDetail = z.object({
  task: TaskSummary.extend({ completedAt: z.string().optional(), completedBy: z.string().optional() }),
  referral: z.object({}).loose().describe('What the coach needs: participant name and contact details, preferred channel, reasonable adjustments, work situation, conditions, needs.'),
  journey: z
    .object({})
    .loose()
    .optional()
    .describe('Assessment, follow-up plan, contacts and check-ins so far (assessment, follow-up, outcome and provider chase tasks).'),
});
const TaskCompleted = z.object({ taskId: z.string(), type: z.enum(allTaskTypes), status: z.literal('completed') });
const WithdrawRequest = z.strictObject({ reason: z.enum(withdrawalReasonList) });
const Withdrawn = z.object({ referralId: z.uuid(), status: z.literal('withdrawn') });
const ReassignRequest = z.strictObject({ coachId: z.string() });
const Reassigned = z.object({ referralId: z.uuid(), coachId: z.string(), previousCoachId: z.string(), reassigned: z.boolean() });

const taskResultNames = {
  first_contact: 'FirstContactResult',
  needs_review: 'ReviewResult',
  assessment: 'AssessmentResult',
  follow_up: 'FollowUpResult',
  outcome: 'OutcomeResult',
  provider_chase: 'ProviderChaseResult',
} as const;

const jsonContent = (schema: string, example?: unknown) => ({
  'application/json': { schema: { $ref: `#/components/schemas/${schema}` }, ...(example === undefined ? {} : { example }) },
});

const coachErrors = { '401': ref('Unauthorized'), '403': ref('Forbidden'), '404': ref('NotFound') };

const operations: Record<RouteKey, Operation> = {
  'GET /v1/tasks': {
    operationId: 'listTasks',
    summary: 'The caller’s open and overdue tasks, by due date',
    description:
      'A coach: their tasks. A team lead: `scope=team` (default) their own tasks and every task of their team’s coaches; `scope=mine` their own tasks and those of their coaches on leave. Paged: `limit` (1–100, default 25) and the opaque `cursor` of the previous page.',
    tags: ['tasks'],
    parameters: [
      { name: 'scope', in: 'query', required: false, schema: { type: 'string', enum: ['mine', 'team'] } },
      { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 100, default: 25 } },
      { name: 'cursor', in: 'query', required: false, schema: { type: 'string', maxLength: 512 } },
    ],
    responses: {
      '200': { description: 'A page of tasks.', content: jsonContent('TaskList') },
      '400': ref('BadRequest'),
      '401': ref('Unauthorized'),
      '403': ref('Forbidden'),
    },
  },
  'GET /v1/tasks/{taskId}': {
    operationId: 'getTask',
    summary: 'A task with what the coach needs to do it',
    description: 'Only for the assignee and their team lead (a review: the area’s team lead); anyone else gets 404, as for an unknown id.',
    tags: ['tasks'],
    parameters: [param('TaskId')],
    responses: { '200': { description: 'The task and its referral.', content: jsonContent('TaskDetail') }, ...coachErrors },
  },
  'POST /v1/tasks/{taskId}/complete': {
    operationId: 'completeTask',
    summary: 'Complete a task; the journey moves on',
    description:
      'The body is the answer the task’s type takes (first_contact: FirstContactResult, needs_review: ReviewResult, assessment: AssessmentResult, follow_up: FollowUpResult, outcome: OutcomeResult, provider_chase: ProviderChaseResult). A task completes once: again, or a cancelled or superseded task, is 409.',
    tags: ['tasks'],
    parameters: [param('TaskId')],
    requestBody: { required: true, content: jsonContent('TaskResult') },
    responses: {
      '200': { description: 'Completed.', content: jsonContent('TaskCompleted') },
      '400': ref('BadRequest'),
      ...coachErrors,
      '409': ref('Conflict'),
      '413': ref('ContentTooLarge'),
      '415': ref('UnsupportedMediaType'),
    },
  },
  'POST /v1/caseload/{referralId}/withdraw': {
    operationId: 'withdrawFromCaseload',
    summary: 'Withdraw a referral from the caseload',
    description: 'By the referral’s coach or their team lead: open tasks cancelled, the caseload place freed, the journey ended with the reason. Again: the same answer; a journey that ended otherwise: 409.',
    tags: ['caseload'],
    parameters: [param('ReferralId')],
    requestBody: { required: true, content: jsonContent('WithdrawRequest', { reason: 'participant_withdrew' }) },
    responses: {
      '200': { description: 'Withdrawn.', content: jsonContent('Withdrawn') },
      '400': ref('BadRequest'),
      ...coachErrors,
      '409': ref('Conflict'),
      '415': ref('UnsupportedMediaType'),
    },
  },
  'POST /v1/caseload/{referralId}/reassign': {
    operationId: 'reassignReferral',
    summary: 'Move a referral to another coach (team leads)',
    description: 'The target coach must be available with free caseload; both caseloads and the open tasks move in one transaction. 409 when the journey ended, has no coach, or the coach is unknown, on leave or full.',
    tags: ['caseload'],
    parameters: [param('ReferralId')],
    requestBody: { required: true, content: jsonContent('ReassignRequest', { coachId: 'coach-2' }) },
    responses: {
      '200': { description: 'Reassigned (or already with that coach).', content: jsonContent('Reassigned') },
      '400': ref('BadRequest'),
      ...coachErrors,
      '409': ref('Conflict'),
      '415': ref('UnsupportedMediaType'),
    },
  },
  'POST /v1/referrals': {
    operationId: 'createReferral',
    summary: 'Refer someone to WorkWell',
    description:
      'Validates the referral (a rejected request stores nothing), stores it and starts its journey. ' +
      'With an Idempotency-Key, the same key and body replay the first answer and the same key with another body is refused (422); ' +
      'without one, the same referral resent by the same partner within a day is recognised as a retry. ' +
      'Someone already on an open journey gets no second one; the answer is the same either way.',
    tags: ['referrals'],
    parameters: [param('IdempotencyKey')],
    requestBody: {
      required: true,
      content: {
        'application/json': {
          schema: { $ref: '#/components/schemas/Referral' },
          examples: { gpReferral: { summary: 'A GP referral', value: exampleReferral } },
        },
      },
    },
    responses: {
      '202': {
        description: 'Accepted: the referral is stored and its journey started.',
        headers: { Location: { $ref: '#/components/headers/Location' } },
        content: {
          'application/json': {
            schema: { $ref: '#/components/schemas/ReferralAccepted' },
            example: { referralId: exampleReferralId, status: 'received', links: { self: `/v1/referrals/${exampleReferralId}` } },
          },
        },
      },
      '400': ref('BadRequest'),
      '401': ref('Unauthorized'),
      '403': ref('Forbidden'),
      '409': ref('Conflict'),
      '413': ref('ContentTooLarge'),
      '415': ref('UnsupportedMediaType'),
      '422': ref('UnprocessableContent'),
      '429': ref('TooManyRequests'),
      '503': ref('ServiceUnavailable'),
    },
  },
  'GET /v1/referrals/{referralId}': {
    operationId: 'getReferral',
    summary: 'Status, stage and timeline of a referral the partner made',
    description: 'No clinical or personal detail. A person found not eligible comes with signposting for the referrer to pass on.',
    tags: ['referrals'],
    parameters: [param('ReferralId')],
    responses: {
      '200': {
        description: 'The referral’s status.',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/ReferralStatus' } } },
      },
      '401': ref('Unauthorized'),
      '403': ref('Forbidden'),
      '404': ref('NotFound'),
      '429': ref('TooManyRequests'),
    },
  },
  'POST /v1/referrals/{referralId}/cancel': {
    operationId: 'cancelReferral',
    summary: 'Cancel a referral the partner made',
    description:
      'Ends the journey (in FHIR terms, ServiceRequest.status = revoked). Cancelling again answers the same; a journey that already ended is 409.',
    tags: ['referrals'],
    parameters: [param('ReferralId')],
    responses: {
      '200': {
        description: 'The referral is withdrawn.',
        content: {
          'application/json': {
            schema: { $ref: '#/components/schemas/ReferralCancelled' },
            example: { referralId: exampleReferralId, status: 'withdrawn' },
          },
        },
      },
      '401': ref('Unauthorized'),
      '403': ref('Forbidden'),
      '404': ref('NotFound'),
      '409': ref('Conflict'),
      '429': ref('TooManyRequests'),
    },
  },
  'POST /v1/fhir/ServiceRequest': {
    operationId: 'createFhirReferral',
    summary: 'Refer someone with a UK Core ServiceRequest (NHS Booking and Referral Standard)',
    description:
      'The FHIR R4 / UK Core form of POST /v1/referrals, for NHS systems speaking BaRS: mapped to the same referral model and accepted the same way ' +
      '(Idempotency-Key, one journey per person). Every answer is an OperationOutcome: 400 when the body cannot be read as FHIR, ' +
      '422 when it breaks a rule (status not active, NHS number check digit, no consent, a field the referral model refuses). ' +
      `Referral sources mapped from SNOMED CT: ${Object.entries(snomedReferralSources).map(([code, source]) => `${code} → ${source}`).join(', ')}; any other → other. ` +
      `Conditions mapped from SNOMED CT: ${Object.entries(snomedConditionCategories).map(([code, category]) => `${code} → ${category}`).join(', ')}; any other → other.`,
    tags: ['fhir'],
    parameters: [param('IdempotencyKey'), param('XRequestId'), param('XCorrelationId')],
    requestBody: {
      required: true,
      content: {
        [FHIR_JSON]: {
          schema: { $ref: '#/components/schemas/FhirReferral' },
          examples: { containedPatient: { summary: 'A pharmacist’s referral with a contained Patient', value: exampleFhirServiceRequest } },
        },
        'application/json': { schema: { $ref: '#/components/schemas/FhirReferral' } },
      },
    },
    responses: {
      '202': fhirOutcome('Accepted: the referral id is in the ReferralReceipt extension and the Location header; warnings name defaults applied.', exampleReceipt, {
        Location: { $ref: '#/components/headers/Location' },
        ...trace,
      }),
      ...fhirErrors,
    },
  },
  'POST /v1/fhir/$process-message': {
    operationId: 'processFhirMessage',
    summary: 'Send a BaRS referral or cancellation message (FHIR $process-message)',
    description:
      'The Booking and Referral Standard receiver. A message Bundle whose MessageHeader focuses a ServiceRequest: reason `new` refers someone ' +
      '(mapped as POST /v1/fhir/ServiceRequest maps it, from where BaRS puts each thing, every default a warning); reason `update` with ' +
      'ServiceRequest.status `revoked` or `entered-in-error` and the ServiceRequest id this service answered with cancels that referral ' +
      '(as POST /v1/referrals/{referralId}/cancel, recording which of the two). Answered with a BaRS response message; errors are OperationOutcomes ' +
      'whose issue.details carry the BaRS error code (https://fhir.nhs.uk/CodeSystem/http-error-codes: REC_BAD_REQUEST, REC_UNPROCESSABLE_ENTITY, …).',
    tags: ['fhir'],
    parameters: [param('IdempotencyKey'), param('XRequestId'), param('XCorrelationId')],
    requestBody: {
      required: true,
      content: {
        [FHIR_JSON]: { schema: { $ref: '#/components/schemas/FhirReferral' } },
        'application/json': { schema: { $ref: '#/components/schemas/FhirReferral' } },
      },
    },
    responses: {
      '200': {
        description:
          'A response message Bundle: MessageHeader (event servicerequest-response, response.code ok, response.identifier the request Bundle id), ' +
          'the ServiceRequest whose id is the referral id (status active, revoked or entered-in-error), and an OperationOutcome of warnings.',
        headers: { Location: { $ref: '#/components/headers/Location' }, ...trace },
        content: { [FHIR_JSON]: { schema: { type: 'object', properties: { resourceType: { const: 'Bundle' }, type: { const: 'message' } } } } },
      },
      '404': fhirOutcome('A cancellation names no referral of this partner (REC_NOT_FOUND).', undefined, trace),
      ...fhirErrors,
      '409': fhirOutcome('An Idempotency-Key still being processed, or a cancellation of a referral that already ended (REC_CONFLICT).', undefined, trace),
    },
  },
  'GET /v1/fhir/ServiceRequest/{referralId}': {
    operationId: 'readFhirReferral',
    summary: 'A referral the partner made, as a FHIR ServiceRequest',
    description:
      'Its status (active; revoked when turned down or cancelled; entered-in-error when cancelled as made by mistake; completed when the journey ended), ' +
      `the service's own status in ${workwellFhir.referralStatus}, and dates: nothing personal or clinical. Another partner's referral is 404, as a missing one.`,
    tags: ['fhir'],
    parameters: [param('ReferralId'), param('XRequestId'), param('XCorrelationId')],
    responses: {
      '200': {
        description: 'A FHIR R4 ServiceRequest whose id is the referral id.',
        headers: trace,
        content: { [FHIR_JSON]: { schema: { type: 'object', properties: { resourceType: { const: 'ServiceRequest' } } } } },
      },
      '401': fhirErrors['401'],
      '403': ref('Forbidden'),
      '404': fhirOutcome('No referral of this partner has this id (REC_NOT_FOUND).', undefined, trace),
      '429': fhirErrors['429'],
    },
  },
  'GET /v1/fhir/metadata': {
    operationId: 'getFhirCapabilityStatement',
    summary: 'The FHIR CapabilityStatement: what the FHIR API accepts and sends',
    description: 'Public. The messaging section lists the BaRS MessageDefinitions supported (referral request received, response sent).',
    tags: ['fhir'],
    responses: {
      '200': {
        description: 'A FHIR R4 CapabilityStatement.',
        content: { [FHIR_JSON]: { schema: { type: 'object', properties: { resourceType: { const: 'CapabilityStatement' } } } } },
      },
    },
  },
  'GET /v1/fhir/{proxy+}': fhirNotFound('getUnknownFhirAddress'),
  'POST /v1/fhir/{proxy+}': fhirNotFound('postUnknownFhirAddress'),
  'GET /v1/openapi.json': {
    operationId: 'getOpenApi',
    summary: 'This document',
    tags: ['meta'],
    responses: {
      '200': { description: 'The OpenAPI document of the partner API.', content: { 'application/json': { schema: { type: 'object' } } } },
    },
  },
  'POST /v1/onward-referrals/{onwardReferralId}/status': {
    operationId: 'reportProviderStatus',
    summary: 'A local service provider reports what happened to an onward referral',
    description:
      'Authenticated with the key sent in the onward referral (Bearer). The current status again is accepted as a retry and changes nothing; ' +
      'a status that may not follow the current one is 409.',
    tags: ['providers'],
    parameters: [param('OnwardReferralId')],
    security: [{ providerKey: [] }],
    requestBody: {
      required: true,
      content: {
        'application/json': {
          schema: { $ref: '#/components/schemas/ProviderStatus' },
          example: { status: 'accepted', occurredAt: '2026-03-10T09:30:00Z' },
        },
      },
    },
    responses: {
      '200': {
        description: 'Recorded (or repeated).',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/ProviderStatusRecorded' } } },
      },
      '400': ref('BadRequest'),
      '401': ref('Unauthorized'),
      '404': ref('NotFound'),
      '409': ref('Conflict'),
      '413': ref('ContentTooLarge'),
      '415': ref('UnsupportedMediaType'),
    },
  },
};

/** The OpenAPI 3.1 document of the partner API. */
export function openApiDocument(): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const route of jsonApiRoutes) {
    const key = `${route.method} ${route.path}` as RouteKey;
    const { security, ...operation } = operations[key];
    const pathItem = (paths[route.path] ??= {});
    pathItem[route.method.toLowerCase()] = {
      ...operation,
      security: security ?? (route.auth === 'partner' ? [{ partnerBearer: [] }] : route.auth === 'coach' ? [{ coachBearer: [] }] : []),
    };
  }
  return {
    openapi: OPENAPI_VERSION,
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'WorkWell partner API',
      version: API_VERSION,
      summary: 'Refer people to WorkWell, the joined-up work and health service, and follow their referrals.',
      description:
        'Each Integrated Care System area runs its own deployment with its own base URL. Referral partners authenticate with a Bearer credential issued for the area. ' +
        'Errors are RFC 9457 problem details (application/problem+json) on the JSON routes and FHIR OperationOutcomes on the FHIR route; neither ever quotes submitted values.',
    },
    servers: [{ url: '/', description: "The area's API (each area has its own host)." }],
    tags: [
      { name: 'referrals', description: 'Referrals as JSON.' },
      { name: 'fhir', description: 'Referrals as FHIR R4 / UK Core (NHS Booking and Referral Standard).' },
      { name: 'providers', description: 'Local service providers answering onward referrals.' },
      { name: 'tasks', description: 'Coaches and team leads: their tasks (a JWT from the area’s identity provider).' },
      { name: 'caseload', description: 'Coaches and team leads: withdrawing and reassigning referrals.' },
      { name: 'meta', description: 'About the API.' },
    ],
    paths,
    components: {
      securitySchemes: {
        partnerBearer: {
          type: 'http',
          scheme: 'bearer',
          description: "A referral partner's credential for this area, checked by the partner authorizer.",
        },
        coachBearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            "A coach's or team lead's ID token (RS256) from the area's identity provider (a Cognito user pool), with the staff id in the custom:staff_id claim; checked by the coach authorizer.",
        },
        providerKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'The key sent to the provider with the onward referral; it is valid for that onward referral only.',
        },
      },
      parameters: {
        IdempotencyKey: {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          description:
            'Makes a retry safe: the same key and body replay the first answer; the same key with a different body is refused (422); a request still in progress with the key is 409. Keys are kept for a day, per partner.',
          schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,255}$' },
        },
        ReferralId: { name: 'referralId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
        TaskId: { name: 'taskId', in: 'path', required: true, schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' } },
        OnwardReferralId: { name: 'onwardReferralId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
        XRequestId: {
          name: 'X-Request-Id',
          in: 'header',
          required: false,
          description: 'BaRS request id; echoed back.',
          schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' },
        },
        XCorrelationId: {
          name: 'X-Correlation-Id',
          in: 'header',
          required: false,
          description: 'BaRS correlation id; echoed back.',
          schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' },
        },
      },
      headers: {
        Location: { description: 'The referral: /v1/referrals/{referralId}.', schema: { type: 'string' } },
        'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer', minimum: 1 } },
        'WWW-Authenticate': { description: 'Bearer.', schema: { type: 'string' } },
        'Accept-Post': { description: 'The media types accepted.', schema: { type: 'string' } },
        'X-Request-Id': { description: 'The request id sent, echoed.', schema: { type: 'string' } },
        'X-Correlation-Id': { description: 'The correlation id sent, echoed.', schema: { type: 'string' } },
      },
      responses: problemResponses,
      schemas: {
        Referral: referralSchema(),
        ReferralAccepted: schemaOf(ReferralAccepted, 'output'),
        ReferralStatus: schemaOf(ReferralStatusView, 'output'),
        ReferralCancelled: schemaOf(ReferralCancelled, 'output'),
        ProviderStatus: schemaOf(ProviderStatusBody),
        ProviderStatusRecorded: schemaOf(ProviderStatusRecorded, 'output'),
        Problem: problemSchema,
        TaskList: schemaOf(TaskList, 'output'),
        TaskDetail: schemaOf(TaskDetail, 'output'),
        TaskCompleted: schemaOf(TaskCompleted, 'output'),
        TaskResult: {
          description: 'The answer of a task: the schema of the task’s type.',
          oneOf: Object.values(taskResultNames).map((name) => ({ $ref: `#/components/schemas/${name}` })),
        },
        ...Object.fromEntries(
          Object.entries(taskResultNames).map(([type, name]) => [name, schemaOf(taskResultSchemas[type as keyof typeof taskResultNames])]),
        ),
        WithdrawRequest: schemaOf(WithdrawRequest),
        Withdrawn: schemaOf(Withdrawn, 'output'),
        ReassignRequest: schemaOf(ReassignRequest),
        Reassigned: schemaOf(Reassigned, 'output'),
        FieldError: fieldErrorSchema,
        FhirReferral: fhirReferralSchema,
        OperationOutcome: operationOutcomeSchema,
      },
    },
  };
}

/** Recursively sorted keys (arrays keep their order), so the written file diffs stably. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

/** Top-level members in the order the OpenAPI specification lists them; everything below is sorted. */
const topLevelOrder = ['openapi', 'jsonSchemaDialect', 'info', 'servers', 'tags', 'security', 'paths', 'webhooks', 'components'];

/** openapi.json as committed: stable key order, two-space indentation, a final newline. */
export function serializeOpenApi(document: Record<string, unknown> = openApiDocument()): string {
  const rank = (key: string) => (topLevelOrder.includes(key) ? topLevelOrder.indexOf(key) : topLevelOrder.length);
  const keys = Object.keys(document).sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  const ordered = Object.fromEntries(keys.map((key) => [key, sortKeys(document[key])]));
  return `${JSON.stringify(ordered, null, 2)}\n`;
}
