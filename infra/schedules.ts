import { Aws, Duration, TimeZone } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { AreaSettings } from '../areas/schema.ts';
import { lambdaName, type FunctionName } from '../functions/catalogue.ts';
import { deadLetterQueue } from './dead-letters.ts';

interface ScheduleDefinition {
  /** Construct id of the schedule in the area stack. */
  readonly id: string;
  readonly function: FunctionName;
  readonly description: string;
  readonly expression: (area: AreaSettings) => scheduler.ScheduleExpression;
  readonly retryAttempts: number;
  readonly maxEventAge: Duration;
  /** Lambda's own retries of a run that failed (0–2), on top of the schedule's. */
  readonly functionRetryAttempts: number;
}

/**
 * EventBridge Scheduler schedules: the notifier every minute, the daily digest at 07:30 on
 * weekdays in the area's time zone (Europe/London). These are the only functions invoked
 * asynchronously, so the only ones with dead-letter queues (infra/nag-acknowledgements.ts says
 * why the others have none).
 */
export const schedules = [
  {
    id: 'NotifierSchedule',
    function: 'notifier',
    description: 'Sends pending notifications',
    expression: () => scheduler.ScheduleExpression.rate(Duration.minutes(1)),
    // A missed minute is caught up by the next one: no retries that would overlap runs.
    retryAttempts: 0,
    maxEventAge: Duration.minutes(1),
    functionRetryAttempts: 0,
  },
  {
    id: 'DailyDigestSchedule',
    function: 'daily-digest',
    description: "Coaches' morning digest of tasks due today and overdue",
    expression: (area) =>
      scheduler.ScheduleExpression.cron({ minute: '30', hour: '7', weekDay: 'MON-FRI', timeZone: TimeZone.of(area.timeZone) }),
    // Retrying is safe: the digest's ids make a repeat the same day a no-op.
    retryAttempts: 2,
    maxEventAge: Duration.hours(2),
    functionRetryAttempts: 2,
  },
] as const satisfies readonly ScheduleDefinition[];

export type ScheduledFunction = (typeof schedules)[number]['function'];
export const scheduledFunctions: readonly ScheduledFunction[] = schedules.map((s) => s.function);

/** Physical schedule name (64 characters at most, hence the short slug). */
export function scheduleName(area: AreaSettings, fn: FunctionName): string {
  return `WorkWell-${area.shortSlug ?? area.slug}-${fn}`;
}

/**
 * One dead-letter queue per scheduled function, shared by the schedule (an invocation
 * Scheduler could not make) and the function's asynchronous invocation (a run that failed
 * after Lambda's own retries).
 */
export function scheduleDeadLetterQueues(
  scope: Construct,
  area: AreaSettings,
  key: kms.IKey,
): Readonly<Record<ScheduledFunction, sqs.Queue>> {
  return Object.fromEntries(
    schedules.map((s) => [
      s.function,
      deadLetterQueue(scope, `${s.id}DeadLetters`, { queueName: `${lambdaName(area.slug, s.function)}-dead-letters`, key }),
    ]),
  ) as Record<ScheduledFunction, sqs.Queue>;
}

export function createSchedules(
  scope: Construct,
  props: {
    readonly area: AreaSettings;
    readonly functions: Readonly<Record<FunctionName, IFunction>>;
    readonly deadLetterQueues: Readonly<Record<ScheduledFunction, sqs.IQueue>>;
    readonly key: kms.IKey;
  },
): void {
  for (const s of schedules) {
    const name = scheduleName(props.area, s.function);
    const queue = props.deadLetterQueues[s.function];
    // A role per schedule (instead of CDK's shared one) so that its permissions have a stable
    // path to acknowledge and can only be assumed for this account's schedules.
    const role = new iam.Role(scope, `${s.id}Role`, {
      description: `EventBridge Scheduler: invokes ${s.function}, dead letters to its queue`,
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: {
            'aws:SourceAccount': Aws.ACCOUNT_ID,
            'aws:SourceArn': `arn:${Aws.PARTITION}:scheduler:${Aws.REGION}:${Aws.ACCOUNT_ID}:schedule/default/${name}`,
          },
        },
      }),
    });
    // The queue is encrypted with the area key: sending needs a data key.
    props.key.grant(role, 'kms:GenerateDataKey', 'kms:Decrypt');
    props.functions[s.function].configureAsyncInvoke({ retryAttempts: s.functionRetryAttempts, maxEventAge: s.maxEventAge });
    new scheduler.Schedule(scope, s.id, {
      scheduleName: name,
      description: s.description,
      schedule: s.expression(props.area),
      target: new schedulerTargets.LambdaInvoke(props.functions[s.function], {
        role,
        deadLetterQueue: queue,
        retryAttempts: s.retryAttempts,
        maxEventAge: s.maxEventAge,
      }),
    });
  }
}
