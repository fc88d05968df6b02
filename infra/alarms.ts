import { Duration } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { AreaSettings } from '../areas/schema.ts';
import type { FunctionName } from '../functions/catalogue.ts';
import { alarmCatalogue, alarmNamePrefix, type AlarmDefinition } from './alarm-catalogue.ts';
import { serviceMetric } from './service-metrics.ts';

/** Alarms are judged over 5 minutes: quick enough for a working day, calm enough not to flap. */
export const alarmPeriod = Duration.minutes(5);

export interface AreaAlarmsProps {
  readonly area: AreaSettings;
  readonly topic: sns.ITopic;
  readonly stateMachine: sfn.IStateMachine;
  /** The journey version the last deploy published. */
  readonly journeyVersionArn: string;
  readonly api: apigw.RestApi;
  readonly functions: Readonly<Record<FunctionName, lambda.IFunction>>;
  readonly deadLetterQueues: Readonly<Partial<Record<FunctionName, sqs.IQueue>>>;
}

/** The CloudWatch alarms of alarm-catalogue.ts, each notifying the operators' topic. */
export class AreaAlarms extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: AreaAlarmsProps) {
    super(scope, id);
    for (const def of alarmCatalogue as readonly AlarmDefinition[]) {
      for (const { name, fn, metric } of this.metricsFor(def, props)) {
        const alarm = new cloudwatch.Alarm(this, name, {
          alarmName: `${alarmNamePrefix(props.area.slug)}${name}`,
          alarmDescription: describe(def, props.area.slug, fn),
          metric,
          threshold: def.above(props.area),
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          // No data means nothing happened (no failures, no runs): not an alarm.
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        });
        alarm.addAlarmAction(new actions.SnsAction(props.topic));
        this.alarms.push(alarm);
      }
    }
  }

  private metricsFor(def: AlarmDefinition, props: AreaAlarmsProps): { name: string; fn?: string; metric: cloudwatch.IMetric }[] {
    const opts = { period: alarmPeriod, statistic: def.statistic };
    const m = def.metric;
    switch (m.source) {
      case 'service':
        return [{ name: def.name, metric: serviceMetric(props.area.slug, m.metric, opts) }];
      case 'journey':
        return [{ name: def.name, metric: props.stateMachine.metric(m.metric, opts) }];
      case 'journey-version':
        // Step Functions also publishes execution metrics per version, with its ARN as StateMachineArn.
        return [{ name: def.name, metric: new cloudwatch.Metric({ namespace: 'AWS/States', metricName: m.metric, dimensionsMap: { StateMachineArn: props.journeyVersionArn }, ...opts }) }];
      case 'api':
        return [{ name: def.name, metric: props.api.metricServerError(opts) }];
      case 'function':
        return Object.entries(props.functions).map(([fn, f]) => ({
          name: def.name.replace('{function}', fn),
          fn,
          metric: m.metric === 'Errors' ? f.metricErrors(opts) : f.metricThrottles(opts),
        }));
      case 'dead-letter-queue':
        return Object.entries(props.deadLetterQueues).map(([fn, q]) => ({
          name: def.name.replace('{function}', fn),
          fn,
          metric: q!.metricApproximateNumberOfMessagesVisible(opts),
        }));
    }
  }
}

function describe(def: AlarmDefinition, slug: string, fn: string | undefined): string {
  const fill = (text: string) => text.replaceAll('<slug>', slug).replaceAll('{function}', fn ?? '');
  return `${fill(def.meaning)} First step: ${fill(def.firstStep)}`;
}
