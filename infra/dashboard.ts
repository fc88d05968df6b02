import { Duration } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { FunctionName } from '../functions/catalogue.ts';
import { metricCatalogue, metricFamilies, type MetricFamily } from '../functions/shared/metric-catalogue.ts';
import { namedMetric, serviceMetric } from './service-metrics.ts';

export function dashboardName(areaSlug: string): string {
  return `WorkWell-${areaSlug}`;
}

const period = Duration.hours(1);
const width = 12;
const height = 6;

export interface AreaDashboardProps {
  readonly areaSlug: string;
  readonly stateMachine: sfn.IStateMachine;
  readonly api: apigw.RestApi;
  readonly functions: Readonly<Record<FunctionName, lambda.IFunction>>;
}

/**
 * The area's CloudWatch dashboard: the service's own figures first (referrals, triage,
 * assignments, waitlist, overdue tasks, notifications, outcomes), then the machinery (journey
 * executions, API, Lambda errors). Hourly sums; gauges at their hourly maximum.
 */
export function createDashboard(scope: Construct, props: AreaDashboardProps): cloudwatch.Dashboard {
  const slug = props.areaSlug;
  const family = (f: MetricFamily) =>
    f.values.map((value) => namedMetric(slug, `${f.prefix}${value}`, f.emittedBy, { period, statistic: 'Sum', label: value }));
  const service = (key: keyof typeof metricCatalogue, label: string) => serviceMetric(slug, key, { period, label });
  const graph = (title: string, left: cloudwatch.IMetric[], opts: Partial<cloudwatch.GraphWidgetProps> = {}) =>
    new cloudwatch.GraphWidget({ title, left, width, height, ...opts });

  const dashboard = new cloudwatch.Dashboard(scope, 'Dashboard', {
    dashboardName: dashboardName(slug),
    defaultInterval: Duration.days(7),
  });
  dashboard.addWidgets(
    graph('Referrals received, by source', family(metricFamilies.referralReceived), { stacked: true }),
    graph('Triage outcomes', family(metricFamilies.triageOutcome), { stacked: true }),
  );
  dashboard.addWidgets(
    graph('Assignments', [
      service('coachAssigned', 'assigned to a coach'),
      service('coachNotAvailable', 'no coach with capacity'),
      service('waitlisted', 'put on the waitlist'),
    ]),
    graph('Waitlist length and tasks overdue', [
      service('waitlistLength', 'waiting for a coach'),
      service('tasksOverdue', 'tasks overdue'),
    ]),
  );
  dashboard.addWidgets(
    graph('Notifications', [service('notificationSent', 'sent'), service('notificationFailed', 'failed')]),
    graph('Outcomes recorded', family(metricFamilies.outcomeRecorded), { stacked: true }),
  );
  const sm = props.stateMachine;
  dashboard.addWidgets(
    graph('Journeys (executions)', [
      sm.metricStarted({ period, label: 'started' }),
      sm.metricSucceeded({ period, label: 'succeeded' }),
      sm.metricFailed({ period, label: 'failed' }),
      sm.metricTimedOut({ period, label: 'timed out' }),
      sm.metricAborted({ period, label: 'stopped (cancelled, withdrawn)' }),
    ]),
    graph('Needs attention and onward referrals', [
      service('needsAttention', 'needs attention'),
      service('onwardReferralSent', 'onward referrals sent'),
      service('providerUnavailable', 'provider unavailable (retried)'),
    ]),
  );
  const api = props.api;
  dashboard.addWidgets(
    graph('API responses', [
      api.metricCount({ period, label: 'requests' }),
      api.metricClientError({ period, label: '4xx' }),
      api.metricServerError({ period, label: '5xx' }),
      service('partnerRateLimited', 'partner rate limited (429)'),
    ]),
    graph('API latency (ms)', [
      api.metricLatency({ period, statistic: 'p50', label: 'p50' }),
      api.metricLatency({ period, statistic: 'p90', label: 'p90' }),
      api.metricLatency({ period, statistic: 'p99', label: 'p99' }),
    ]),
  );
  dashboard.addWidgets(
    graph(
      'Lambda errors, by function',
      Object.entries(props.functions).map(([name, fn]) => fn.metricErrors({ period, label: name })),
      { width: 24, stacked: true },
    ),
  );
  return dashboard;
}
