import type { AreaSettings } from '../areas/schema.ts';
import { metricCatalogue } from '../functions/shared/metric-catalogue.ts';

/**
 * Every alarm of an area's stack, as data: name, what it means, what an operator does first.
 * infra/alarms.ts builds the CloudWatch alarms from it (the description an operator sees is
 * `meaning` + `firstStep`); the README runbook is written from, and checked against, the same
 * entries (see runbookRows).
 *
 * Not alarmed: the journey's ExecutionsAborted, because cancelling or withdrawing a referral
 * stops its execution on purpose (cancel-referral, caseload-change).
 */
export type AlarmMetric =
  /** A service metric from functions/shared/metric-catalogue.ts. */
  | { readonly source: 'service'; readonly metric: keyof typeof metricCatalogue }
  | { readonly source: 'journey'; readonly metric: 'ExecutionsFailed' | 'ExecutionsTimedOut' }
  /** Executions of the definition version the last deploy published (started after it). */
  | { readonly source: 'journey-version'; readonly metric: 'ExecutionsFailed' }
  | { readonly source: 'api'; readonly metric: '5XXError' }
  /** One alarm per function in the catalogue. */
  | { readonly source: 'function'; readonly metric: 'Errors' | 'Throttles' }
  /** One alarm per dead-letter queue. */
  | { readonly source: 'dead-letter-queue'; readonly metric: 'ApproximateNumberOfMessagesVisible' };

export interface AlarmDefinition {
  /** Alarm name after `WorkWell-<slug>-`; `{function}` stands for each function's name. */
  readonly name: string;
  readonly metric: AlarmMetric;
  readonly statistic: 'Sum' | 'Maximum';
  /** The alarm fires when the statistic over 5 minutes is above this (greater than, not equal). */
  readonly above: (area: AreaSettings) => number;
  /** What it means, for an operator who has never seen it. */
  readonly meaning: string;
  /** The first thing to do (the README runbook has the rest). */
  readonly firstStep: string;
}

export function alarmNamePrefix(areaSlug: string): string {
  return `WorkWell-${areaSlug}-`;
}

const none = () => 0;

export const alarmCatalogue = [
  {
    name: 'journey-failed',
    metric: { source: 'journey', metric: 'ExecutionsFailed' },
    statistic: 'Sum',
    above: none,
    meaning: 'A referral journey (state machine execution) failed: the referral is stuck and nobody is acting on it.',
    firstStep:
      'Open the failed execution in Step Functions (state machine WorkWell-<slug>-journey) and note the failing state and error; once the cause is fixed, `npm run journeys -- redrive --area <slug> --referral <id>` (or `close`).',
  },
  {
    name: 'journey-failed-new-version',
    metric: { source: 'journey-version', metric: 'ExecutionsFailed' },
    statistic: 'Sum',
    above: none,
    meaning: 'A journey that started on the journey definition version published by the last deploy failed: the deploy may have broken the workflow for new referrals.',
    firstStep:
      '`npm run journeys -- versions --area <slug>` shows which versions have journeys running; open the failed execution, and if the new definition is at fault point the alias `live` back to the previous version (see the upgrade runbook in README), then fix and deploy again.',
  },
  {
    name: 'journey-timed-out',
    metric: { source: 'journey', metric: 'ExecutionsTimedOut' },
    statistic: 'Sum',
    above: none,
    meaning: 'A referral journey reached the Step Functions limit of one year and was ended by AWS.',
    firstStep: 'Find the referral from the execution name, check with its coach where it stands, and close it or start a new referral.',
  },
  {
    name: 'needs-attention',
    metric: { source: 'service', metric: 'needsAttention' },
    statistic: 'Sum',
    above: none,
    meaning: 'A journey stopped in needs_attention: something the rules cannot handle (a provider that never answered, data that does not fit).',
    firstStep:
      '`npm run journeys -- needs-attention --area <slug>` lists them with the step and error; fix the cause, then `redrive --referral <id>`, or `close --referral <id> --reason <code>`.',
  },
  {
    name: 'tasks-overdue',
    metric: { source: 'service', metric: 'tasksOverdue' },
    statistic: 'Maximum',
    above: (area) => area.operations.overdueTasksAlarmThreshold,
    meaning: "More coaches' tasks are past their deadline than the area's threshold (operations.overdueTasksAlarmThreshold): people are waiting too long for contact.",
    firstStep: "Tell the area's team lead; check caseloads and whether a coach is away, and reassign tasks with the caseload-change API.",
  },
  {
    name: 'notification-failed',
    metric: { source: 'service', metric: 'notificationFailed' },
    statistic: 'Sum',
    above: none,
    meaning: 'Notifications to staff were given up after retries: a coach may not know about a task.',
    firstStep: "Check the notifier's log group for the failure reason (SES sending limits, a sender not verified, a bounced address) and fix it; coaches still see their tasks in the coach API.",
  },
  {
    name: 'api-5xx',
    metric: { source: 'api', metric: '5XXError' },
    statistic: 'Sum',
    above: none,
    meaning: 'The API answered with server errors: partners may be unable to send referrals, coaches unable to work.',
    firstStep: 'Look at the API access log group and the function Errors alarms to find which route fails, then that function\'s log group.',
  },
  {
    name: '{function}-errors',
    metric: { source: 'function', metric: 'Errors' },
    statistic: 'Sum',
    above: none,
    meaning: 'The Lambda function {function} threw errors (a bug, a timeout, or a service it calls failing).',
    firstStep: 'Open the log group /aws/lambda/<function name> and the X-Ray traces for the error; a journey step that failed is retried, then shows up as needs_attention or a failed execution.',
  },
  {
    name: '{function}-throttles',
    metric: { source: 'function', metric: 'Throttles' },
    statistic: 'Sum',
    above: none,
    meaning: "Lambda refused to run {function} because the account's concurrency limit was reached.",
    firstStep: 'Check the account-wide ConcurrentExecutions metric and which area or function uses it; ask AWS for a higher Lambda concurrency quota if the load is real.',
  },
  {
    name: '{function}-dead-letters',
    metric: { source: 'dead-letter-queue', metric: 'ApproximateNumberOfMessagesVisible' },
    statistic: 'Maximum',
    above: none,
    meaning: 'A scheduled run of {function} failed for good and its event is in the dead-letter queue <function name>-dead-letters.',
    firstStep: "Read the function's log group for the failure; once fixed, the next scheduled run catches up. Purge the queue when done.",
  },
] as const satisfies readonly AlarmDefinition[];

/** The runbook's rows: alarm name pattern, meaning, first step (placeholders left in). */
export function runbookRows(): { readonly alarm: string; readonly meaning: string; readonly firstStep: string }[] {
  return alarmCatalogue.map((a) => ({ alarm: `WorkWell-<slug>-${a.name}`, meaning: a.meaning, firstStep: a.firstStep }));
}
