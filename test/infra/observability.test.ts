import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../infra/functions.ts';
import { loadArea, registerArea } from '../../areas/index.ts';
import { functionCatalogue } from '../../functions/catalogue.ts';
import { metricCatalogue, metricFamilies, metricNamespace, metricServiceName } from '../../functions/shared/metric-catalogue.ts';
import { alarmCatalogue, runbookRows } from '../../infra/alarm-catalogue.ts';
import { dashboardName } from '../../infra/dashboard.ts';
import { operatorsTopicName } from '../../infra/operators-topic.ts';
import { scheduledFunctions } from '../../infra/schedules.ts';
import { asText, buildAllAreas, buildArea, resourcesOfType, type AreaBuild } from './support/area-builds.ts';

/** Alarms, the operators' topic, dead-letter queues and the dashboard of every area (issue 7). */
let builds: AreaBuild[];
let custom: AreaBuild;
const customOperations = { alarmEmails: ['ops-one@example.nhs.uk', 'ops-two@example.nhs.uk'], overdueTasksAlarmThreshold: 7, wafRequestsPer5MinutesPerIp: 300 };

beforeAll(() => {
  builds = buildAllAreas();
  // An area of our own, to see the operations settings reach the stack.
  registerArea({ ...structuredClone(loadArea('frimley')), slug: 'observability-test-area', operations: customOperations }, 'observability test');
  custom = buildArea('observability-test-area');
}, 180_000);

const alarmsOf = (b: AreaBuild) => resourcesOfType(b.template, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
const topicIdOf = (b: AreaBuild) => resourcesOfType(b.template, 'AWS::SNS::Topic')[0]![0];

/** The alarm names the catalogue promises for an area. */
function expectedAlarmNames(slug: string): string[] {
  return alarmCatalogue.flatMap((a) => {
    const fns = a.metric.source === 'function' ? functionCatalogue.map((f) => f.name) : a.metric.source === 'dead-letter-queue' ? scheduledFunctions : [undefined];
    return fns.map((fn) => `WorkWell-${slug}-${fn ? a.name.replace('{function}', fn) : a.name}`);
  });
}

describe('observability, all 15 areas', () => {
  it('has exactly the catalogue alarms, named WorkWell-<slug>-..., each notifying the operators topic', () => {
    for (const b of [...builds, custom]) {
      const alarms = alarmsOf(b);
      expect(alarms.map((a) => a.AlarmName).sort(), b.slug).toEqual(expectedAlarmNames(b.slug).sort());
      for (const a of alarms) {
        expect(a.AlarmActions, a.AlarmName).toEqual([{ Ref: topicIdOf(b) }]);
        expect(a.AlarmDescription, a.AlarmName).toMatch(/\. First step: .{20,}/);
        expect(a.AlarmDescription, a.AlarmName).not.toMatch(/<slug>|\{function\}/);
        expect(a.TreatMissingData).toBe('notBreaching');
      }
    }
  });

  it('watches the right metrics: journey failures, needs_attention, overdue tasks over the threshold, API 5xx, failed notifications', () => {
    for (const b of [...builds, custom]) {
      const byName = new Map(alarmsOf(b).map((a) => [a.AlarmName.replace(`WorkWell-${b.slug}-`, ''), a]));
      const service = (name: string, fn: string) => ({ Namespace: metricNamespace(b.slug), MetricName: name, Dimensions: [{ Name: 'service', Value: metricServiceName(fn) }] });
      expect(byName.get('journey-failed')).toMatchObject({ Namespace: 'AWS/States', MetricName: 'ExecutionsFailed', Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
      expect(byName.get('journey-timed-out')).toMatchObject({ Namespace: 'AWS/States', MetricName: 'ExecutionsTimedOut' });
      expect(byName.get('needs-attention')).toMatchObject({ ...service(metricCatalogue.needsAttention.name, 'record-stage'), Statistic: 'Sum', Threshold: 0 });
      expect(byName.get('tasks-overdue')).toMatchObject({
        ...service(metricCatalogue.tasksOverdue.name, 'notifier'),
        Statistic: 'Maximum',
        Threshold: b.area.operations.overdueTasksAlarmThreshold,
        ComparisonOperator: 'GreaterThanThreshold',
      });
      expect(byName.get('notification-failed')).toMatchObject({ ...service(metricCatalogue.notificationFailed.name, 'notifier'), Threshold: 0 });
      expect(byName.get('api-5xx')).toMatchObject({ Namespace: 'AWS/ApiGateway', MetricName: '5XXError' });
      expect(byName.get('intake-errors')).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Errors' });
      expect(byName.get('notifier-throttles')).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Throttles' });
      expect(byName.get('notifier-dead-letters')).toMatchObject({ Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 0 });
    }
    expect(custom.template.Resources).toBeDefined();
    expect(alarmsOf(custom).find((a) => a.AlarmName.endsWith('-tasks-overdue'))!.Threshold).toBe(7);
  });

  it("has an operators' topic under the area key that CloudWatch alarms of this area may use, subscribing alarmEmails", () => {
    for (const b of [...builds, custom]) {
      const [, topic] = resourcesOfType(b.template, 'AWS::SNS::Topic')[0]!;
      expect(topic.Properties.TopicName).toBe(operatorsTopicName(b.slug));
      const subscriptions = resourcesOfType(b.template, 'AWS::SNS::Subscription').map(([, s]) => s.Properties);
      expect(subscriptions.map((s) => s.Endpoint).sort(), b.slug).toEqual([...b.area.operations.alarmEmails].sort());
      for (const s of subscriptions) expect(s).toMatchObject({ Protocol: 'email', TopicArn: { Ref: topicIdOf(b) } });
      const [, key] = resourcesOfType(b.template, 'AWS::KMS::Key')[0]!;
      const cloudwatch = key.Properties.KeyPolicy.Statement.find((s: any) => s.Principal?.Service === 'cloudwatch.amazonaws.com');
      expect(cloudwatch.Action).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
      expect(asText(cloudwatch.Condition.ArnLike['aws:SourceArn'], b.template)).toMatch(new RegExp(`:alarm:WorkWell-${b.slug}-\\*$`));
    }
    expect(resourcesOfType(custom.template, 'AWS::SNS::Subscription')).toHaveLength(2);
  });

  it('gives each scheduled function one dead-letter queue, used by its schedule and its asynchronous invocations', () => {
    for (const b of builds) {
      const queues = resourcesOfType(b.template, 'AWS::SQS::Queue');
      expect(queues, b.slug).toHaveLength(scheduledFunctions.length);
      const functions = resourcesOfType(b.template, 'AWS::Lambda::Function');
      const schedules = resourcesOfType(b.template, 'AWS::Scheduler::Schedule');
      for (const fn of scheduledFunctions) {
        const [fnId, lambda] = functions.find(([, f]) => f.Properties.FunctionName.endsWith(`-${fn}`))!;
        const queueRef = lambda.Properties.DeadLetterConfig.TargetArn['Fn::GetAtt'][0];
        expect(queues.map(([id]) => id)).toContain(queueRef);
        const schedule = schedules.find(([, s]) => s.Properties.Target.Arn['Fn::GetAtt'][0] === fnId)![1];
        expect(schedule.Properties.Target.DeadLetterConfig.Arn, `${b.slug} ${fn}`).toEqual({ 'Fn::GetAtt': [queueRef, 'Arn'] });
      }
      // Lambda's own retries follow the schedule's: the notifier's next run is the retry.
      const invokeConfigs = resourcesOfType(b.template, 'AWS::Lambda::EventInvokeConfig');
      const notifierId = functions.find(([, f]) => f.Properties.FunctionName.endsWith('-notifier'))![0];
      const notifierConfig = invokeConfigs.find(([, c]) => JSON.stringify(c.Properties.FunctionName).includes(notifierId));
      expect(notifierConfig?.[1].Properties.MaximumRetryAttempts, b.slug).toBe(0);
      // No other function is invoked asynchronously, so none other has a dead-letter queue.
      expect(functions.filter(([, f]) => f.Properties.DeadLetterConfig)).toHaveLength(scheduledFunctions.length);
    }
  });

  it('has a dashboard of the service figures and the machinery', () => {
    for (const b of builds) {
      const dashboards = resourcesOfType(b.template, 'AWS::CloudWatch::Dashboard');
      expect(dashboards, b.slug).toHaveLength(1);
      expect(dashboards[0]![1].Properties.DashboardName).toBe(dashboardName(b.slug));
      const body = asText(dashboards[0]![1].Properties.DashboardBody, b.template);
      expect(body).toContain(metricNamespace(b.slug));
      for (const family of Object.values(metricFamilies)) {
        for (const value of family.values) expect(body, `${family.prefix}${value}`).toContain(`"${family.prefix}${value}"`);
      }
      for (const key of ['coachAssigned', 'waitlistLength', 'tasksOverdue', 'notificationSent', 'notificationFailed'] as const) {
        expect(body).toContain(`"${metricCatalogue[key].name}"`);
      }
      for (const name of ['ExecutionsStarted', 'ExecutionsSucceeded', 'ExecutionsFailed', '4XXError', '5XXError', 'Latency', 'Errors']) {
        expect(body).toContain(`"${name}"`);
      }
    }
  });

  it('keeps the runbook rows and the alarms one list', () => {
    const rows = runbookRows();
    expect(rows.map((r) => r.alarm)).toEqual(alarmCatalogue.map((a) => `WorkWell-<slug>-${a.name}`));
    for (const r of rows) expect(r.meaning.length + r.firstStep.length).toBeGreaterThan(80);
  });

  it("has every alarm in the README's runbook, with its meaning and first step", () => {
    const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    for (const r of runbookRows()) {
      const line = readme.split('\n').find((l) => l.startsWith(`| \`${r.alarm}\``));
      expect(line, r.alarm).toBeDefined();
      expect(line).toContain(r.meaning);
      expect(line).toContain(r.firstStep);
    }
  });
});
