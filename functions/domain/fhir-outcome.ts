/**
 * FHIR issues and UK Core OperationOutcomes, and the translation of the referral model's field
 * errors back to the FHIR elements they were mapped from. Issues name the element and say what
 * is expected; they never quote a submitted value.
 */
import type { z } from 'zod';
import { fhirSystems, UKCORE_OPERATION_OUTCOME, ukCoreExtensions, workwellFhir } from './fhir-terminology.ts';

export type FhirIssueCode =
  | 'required'
  | 'value'
  | 'invalid'
  | 'structure'
  | 'not-supported'
  | 'informational'
  | 'security'
  | 'login'
  | 'forbidden'
  | 'not-found'
  | 'too-long'
  | 'conflict'
  | 'duplicate'
  | 'business-rule'
  | 'throttled'
  | 'transient'
  | 'exception';

export interface FhirIssue {
  readonly severity: 'fatal' | 'error' | 'warning' | 'information';
  readonly code: FhirIssueCode;
  /** FHIRPath expressions of the elements concerned, rooted at the resource type. */
  readonly expression: readonly string[];
  /** Fixed text: what is expected, never what was sent. */
  readonly diagnostics: string;
}

export interface OperationOutcome {
  readonly resourceType: 'OperationOutcome';
  readonly meta: { readonly profile: readonly string[] };
  readonly extension?: readonly Record<string, unknown>[];
  readonly issue: readonly {
    readonly severity: FhirIssue['severity'];
    readonly code: FhirIssueCode;
    readonly details?: { readonly coding?: readonly Record<string, string>[]; readonly text?: string };
    readonly diagnostics: string;
    readonly expression?: readonly string[];
  }[];
}

export interface OutcomeOptions {
  readonly extension?: readonly Record<string, unknown>[];
  /** Coded details for the first issue (such as the referral status of an accepted referral). */
  readonly details?: { readonly coding?: readonly Record<string, string>[]; readonly text?: string };
}

/** A UK Core OperationOutcome for `issues` (one informational issue when there are none). */
export function operationOutcome(issues: readonly FhirIssue[], options: OutcomeOptions = {}): OperationOutcome {
  const list: readonly FhirIssue[] = issues.length
    ? issues
    : [{ severity: 'information', code: 'informational', expression: [], diagnostics: 'No issues.' }];
  return {
    resourceType: 'OperationOutcome',
    meta: { profile: [UKCORE_OPERATION_OUTCOME] },
    ...(options.extension?.length ? { extension: options.extension } : {}),
    issue: list.map((issue, index) => ({
      severity: issue.severity,
      code: issue.code,
      ...(index === 0 && options.details ? { details: options.details } : {}),
      diagnostics: issue.diagnostics,
      ...(issue.expression.length ? { expression: issue.expression } : {}),
    })),
  };
}

/** HTTP status of a rejected FHIR referral: 400 when it cannot be read as FHIR, 422 when it breaks a rule. */
export function fhirRejectionStatus(issues: readonly FhirIssue[]): 400 | 422 {
  return issues.some((issue) => issue.severity === 'error' && (issue.code === 'structure' || issue.code === 'invalid'))
    ? 400
    : 422;
}

// ---------------------------------------------------------------------------------------------
// From referral field errors back to FHIR

/** Referral field (JSON pointer prefix) → the FHIR element it is mapped from, longest prefix first. */
const pointerExpressions: readonly (readonly [string, string])[] = [
  ['/source', `ServiceRequest.extension('${ukCoreExtensions.sourceOfServiceRequest}')`],
  ['/referrer/organisation', 'ServiceRequest.requester'],
  ['/referrer/odsCode', 'Organization.identifier'],
  ['/referrer/contactName', 'Practitioner.name'],
  ['/referrer/contactEmail', 'Organization.telecom'],
  ['/referrer/contactPhone', 'Organization.telecom'],
  ['/referrer', 'ServiceRequest.requester'],
  ['/participant/givenName', 'Patient.name.given'],
  ['/participant/familyName', 'Patient.name.family'],
  ['/participant/dateOfBirth', 'Patient.birthDate'],
  ['/participant/nhsNumber', `Patient.identifier.where(system='${fhirSystems.nhsNumber}').value`],
  ['/participant/postcode', 'Patient.address.postalCode'],
  ['/participant/gpPracticeCode', 'Patient.generalPractitioner'],
  ['/participant/email', "Patient.telecom.where(system='email').value"],
  ['/participant/phone', "Patient.telecom.where(system='phone').value"],
  ['/participant/preferredChannel', `Patient.extension('${workwellFhir.preferredChannel}')`],
  ['/participant', 'Patient'],
  ['/work/situation', `ServiceRequest.extension('${workwellFhir.workSituation}').extension('situation')`],
  ['/work/employer', `ServiceRequest.extension('${workwellFhir.workSituation}').extension('employer')`],
  ['/work/sickLeaveStart', `ServiceRequest.extension('${workwellFhir.workSituation}').extension('sickLeaveStart')`],
  ['/work/lastWorkedDate', `ServiceRequest.extension('${workwellFhir.workSituation}').extension('lastWorkedDate')`],
  ['/work/hasFitNote', `ServiceRequest.extension('${workwellFhir.workSituation}').extension('hasFitNote')`],
  ['/work', `ServiceRequest.extension('${workwellFhir.workSituation}')`],
  ['/health/conditions', 'ServiceRequest.reasonCode'],
  ['/health/details', 'ServiceRequest.note'],
  ['/health', 'ServiceRequest.reasonCode'],
  ['/needs', `ServiceRequest.extension('${workwellFhir.referralNeeds}')`],
  ['/consent/evaluationContact', `ServiceRequest.extension('${workwellFhir.evaluationContactConsent}')`],
  ['/consent/recordedAt', 'Consent.dateTime'],
  ['/consent/method', 'Consent.category'],
  ['/consent', 'Consent'],
  ['/reasonableAdjustments', 'ServiceRequest.supportingInfo'],
];

/** Where the fields of one mapped referral came from (JSON pointer → FHIRPath). */
export type FieldOrigins = ReadonlyMap<string, string>;

function pointerOf(path: readonly PropertyKey[]): string {
  return path.map((segment) => `/${String(segment).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

function startsWithPointer(pointer: string, prefix: string): boolean {
  return pointer === prefix || pointer.startsWith(`${prefix}/`);
}

/** The FHIR element a referral field (JSON pointer such as /participant/postcode) comes from. */
export function fhirExpressionFor(pointer: string, origins?: FieldOrigins): string {
  if (origins) {
    let best: string | undefined;
    let bestLength = -1;
    for (const [prefix, expression] of origins) {
      if (prefix.length > bestLength && startsWithPointer(pointer, prefix)) {
        best = expression;
        bestLength = prefix.length;
      }
    }
    if (best) return best;
  }
  return pointerExpressions.find(([prefix]) => startsWithPointer(pointer, prefix))?.[1] ?? 'ServiceRequest';
}

/**
 * OperationOutcome issues for a referral that was mapped from FHIR but fails ReferralSchema:
 * one per field, naming the FHIR element and the referral field, with zod's message (which
 * states the expectation, never the value).
 */
export function issuesFromReferralError(error: z.ZodError, origins?: FieldOrigins): FhirIssue[] {
  const seen = new Set<string>();
  const out: FhirIssue[] = [];
  for (const issue of error.issues) {
    const pointer = pointerOf(issue.path);
    if (seen.has(pointer)) continue;
    seen.add(pointer);
    const missing = issue.code === 'invalid_type' && /received undefined$/.test(issue.message);
    const field = pointer.slice(1).replaceAll('/', '.') || 'referral';
    out.push({
      severity: 'error',
      code: missing ? 'required' : 'value',
      expression: [fhirExpressionFor(pointer, origins)],
      diagnostics: `Referral field ${field}: ${missing ? 'is required' : issue.message || 'is not valid'}.`,
    });
  }
  return out;
}
