import type { FunctionName } from '../catalogue.ts';
import { referralSources } from '../domain/referral.ts';
import { employmentOutcomes } from '../domain/task-results.ts';
import { triageOutcomes } from '../domain/triage.ts';

/**
 * The service's CloudWatch metrics: what each counts and which function emits it. Handlers
 * count through these names, and the stack's dashboard and alarms read the same names, so a
 * renamed metric cannot leave an alarm watching nothing.
 *
 * Powertools adds the dimension `service` = `workwell-<function name>` to every metric, so an
 * alarm or graph names the emitting function; no metric carries any other dimension, and no
 * name is built from anything but a fixed code (never personal data).
 */
export function metricNamespace(areaSlug: string): string {
  return `WorkWell/${areaSlug}`;
}

export function metricServiceName(fn: FunctionName | (string & {})): string {
  return `workwell-${fn}`;
}

export interface MetricDefinition {
  readonly name: string;
  readonly emittedBy: readonly FunctionName[];
  /** count: occurrences (summed over a period); gauge: a level sampled each run (maximum). */
  readonly kind: 'count' | 'gauge';
  readonly description: string;
}

const metric = (name: string, kind: MetricDefinition['kind'], emittedBy: readonly FunctionName[], description: string): MetricDefinition => ({
  name,
  kind,
  emittedBy,
  description,
});

/**
 * Metrics counted per code, one metric per value (`Referral_gp`, `Triage_eligible`): the values
 * are fixed enumerations, so the dashboard can graph each one.
 */
export interface MetricFamily {
  readonly prefix: string;
  readonly values: readonly string[];
  readonly emittedBy: readonly FunctionName[];
  readonly description: string;
}

export const metricFamilies = {
  referralReceived: {
    prefix: 'Referral_',
    values: referralSources,
    emittedBy: ['intake', 'fhir-intake', 'web-self-referral'],
    description: 'Referrals accepted, by source',
  },
  triageOutcome: {
    prefix: 'Triage_',
    values: triageOutcomes,
    emittedBy: ['triage'],
    description: 'Triage decisions, by outcome',
  },
  outcomeRecorded: {
    prefix: 'Outcome_',
    values: employmentOutcomes,
    // completeTask, behind the task API and the coach workspace alike.
    emittedBy: ['complete-task', 'web-coach'],
    description: 'Journey outcomes recorded by coaches, by employment outcome',
  },
} as const satisfies Record<string, MetricFamily>;

/** The metric name for one value of a family. */
export function familyMetric<F extends keyof typeof metricFamilies>(
  family: F,
  value: (typeof metricFamilies)[F]['values'][number],
): string {
  return `${metricFamilies[family].prefix}${value}`;
}

export const metricCatalogue = {
  coachAssigned: metric('CoachAssigned', 'count', ['assign-coach'], 'Referrals assigned to a coach'),
  coachNotAvailable: metric('CoachNotAvailable', 'count', ['assign-coach'], 'Assignments that found no coach with capacity'),
  waitlisted: metric('Waitlisted', 'count', ['join-waitlist'], 'Referrals put on the waitlist'),
  waitlistLength: metric('WaitlistLength', 'gauge', ['notifier'], 'Referrals waiting for a coach, sampled each minute'),
  tasksOverdue: metric('TasksOverdue', 'gauge', ['notifier'], 'Open tasks past their deadline, sampled each minute'),
  needsAttention: metric('NeedsAttention', 'count', ['record-stage'], 'Journeys stopped for an operator (needs_attention)'),
  notificationSent: metric('NotificationSent', 'count', ['notifier'], 'Notifications delivered to the mail channel'),
  notificationFailed: metric('NotificationFailed', 'count', ['notifier'], 'Notifications given up after retries'),
  onwardReferralChased: metric('OnwardReferralChased', 'count', ['send-onward-referral'], 'Onward referrals chased after no answer'),
  onwardReferralSent: metric('OnwardReferralSent', 'count', ['send-onward-referral'], 'Onward referrals sent to providers'),
  providerUnavailable: metric('ProviderUnavailable', 'count', ['send-onward-referral'], 'Provider deliveries that failed and will be retried'),
  partnerRateLimited: metric('PartnerRateLimited', 'count', ['intake', 'fhir-intake', 'referral-status', 'cancel-referral'], 'Partner requests refused with 429'),
} as const satisfies Record<string, MetricDefinition>;
