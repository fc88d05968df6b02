import { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { FunctionName } from '../functions/catalogue.ts';
import { journeyStates as S, taskTypes } from './states.ts';

/**
 * The referral-to-outcome journey of one area, as a Step Functions Standard state machine
 * (JSONPath). Execution input is `{ "referralId": "..." }`: state stays small (ids, not
 * documents). Per-area deadlines arrive from the triage step, so one definition serves all areas.
 */
export interface JourneyProps {
  readonly functions: Readonly<Record<FunctionName, IFunction>>;
}

/** Errors worth retrying: Lambda's own transient faults and DynamoDB throttling surfaced by handlers. */
const transientErrors = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'TransactionConflictException',
  'TransientError',
];

export class JourneyDefinition extends Construct {
  readonly chain: sfn.IChainable;

  constructor(scope: Construct, id: string, props: JourneyProps) {
    super(scope, id);
    const fn = props.functions;

    const needsAttention = this.invoke(S.recordNeedsAttention, fn['record-stage'], {
      referralId: sfn.JsonPath.stringAt('$.referralId'),
      stage: 'needs_attention',
      error: sfn.JsonPath.stringAt('$.failure.Error'),
    }, '$.recorded', false).next(
      new sfn.Fail(this, S.needsAttention, {
        error: 'JourneyNeedsAttention',
        cause: 'A journey step failed after retries; see the referral timeline',
      }),
    );

    const closeWith = (stateName: string, stage: string, endName: string) =>
      this.invoke(stateName, fn['record-stage'], {
        referralId: sfn.JsonPath.stringAt('$.referralId'),
        stage,
      }, '$.recorded', true, needsAttention).next(new sfn.Succeed(this, endName));

    const closeNotEligible = closeWith(S.closeNotEligible, 'not_eligible', S.notEligible);
    const closeNotEngaged = closeWith(S.closeNotEngaged, 'not_engaged', S.notEngaged);
    const closeDeclined = closeWith(S.closeDeclined, 'declined', S.declined);
    const recordEngaged = closeWith(S.recordEngaged, 'engaged', S.engaged);

    // First contact: a coach task due by the area's deadline for the priority. A missed
    // deadline escalates to the team lead and opens a fresh attempt (each with a new token),
    // up to the area's limit of attempts; then the journey closes as not engaged.
    const firstContact = this.humanTask(S.firstContact, fn, {
      type: taskTypes.firstContact,
      dueInSecondsPath: '$.triage.firstContactDueSeconds',
      resultPath: '$.firstContact',
      needsAttention,
      onAttemptsExhausted: closeNotEngaged,
    });
    firstContact.done.next(
      new sfn.Choice(this, S.firstContactOutcome)
        .when(sfn.Condition.stringEquals('$.firstContact.outcome', 'engaged'), recordEngaged)
        .when(sfn.Condition.stringEquals('$.firstContact.outcome', 'declined'), closeDeclined)
        .otherwise(firstContact.retry),
    );

    // Needs review: a decision by the area's team lead, who may admit or turn down the referral.
    const review = this.humanTask(S.review, fn, {
      type: taskTypes.needsReview,
      dueInSecondsPath: '$.triage.reviewDueSeconds',
      resultPath: '$.review',
      needsAttention,
      onAttemptsExhausted: needsAttention,
    });
    review.done.next(
      new sfn.Choice(this, S.reviewOutcome)
        .when(sfn.Condition.stringEquals('$.review.outcome', 'eligible'), firstContact.start)
        .otherwise(closeNotEligible),
    );

    const triage = this.invoke(S.triage, fn.triage, {
      referralId: sfn.JsonPath.stringAt('$.referralId'),
    }, '$.triage', true, needsAttention);

    this.chain = sfn.Chain.start(triage).next(
      new sfn.Choice(this, S.triageOutcome)
        .when(sfn.Condition.stringEquals('$.triage.outcome', 'not_eligible'), closeNotEligible)
        .when(sfn.Condition.stringEquals('$.triage.outcome', 'needs_review'), review.start)
        .otherwise(firstContact.start),
    );
  }

  /** A Lambda step with retry on transient faults; a lasting failure goes to needs attention. */
  private invoke(
    stateName: string,
    lambdaFunction: IFunction,
    payload: Record<string, unknown>,
    resultPath: string,
    catchFailures: boolean,
    needsAttention?: sfn.IChainable,
  ): tasks.LambdaInvoke {
    const step = new tasks.LambdaInvoke(this, stateName, {
      lambdaFunction,
      payload: sfn.TaskInput.fromObject(payload),
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      resultPath,
    });
    step.addRetry({
      errors: transientErrors,
      interval: Duration.seconds(2),
      backoffRate: 2,
      maxAttempts: 4,
      jitterStrategy: sfn.JitterType.FULL,
    });
    if (catchFailures && needsAttention) {
      step.addCatch(needsAttention, { errors: ['States.ALL'], resultPath: '$.failure' });
    }
    return step;
  }

  /**
   * A human task: open it (storing the token), wait for the assignee's answer until the due
   * time; on time-out record an escalation, wait the grace period and open the next attempt.
   */
  private humanTask(
    name: string,
    fn: Readonly<Record<FunctionName, IFunction>>,
    opts: {
      type: string;
      dueInSecondsPath: string;
      resultPath: string;
      needsAttention: sfn.IChainable;
      onAttemptsExhausted: sfn.IChainable;
    },
  ): { start: sfn.IChainable; done: sfn.INextable; retry: sfn.IChainable } {
    const awaitTask = new tasks.LambdaInvoke(this, `${name}Task`, {
      lambdaFunction: fn['open-task'],
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: sfn.TaskInput.fromObject({
        referralId: sfn.JsonPath.stringAt('$.referralId'),
        type: opts.type,
        taskToken: sfn.JsonPath.taskToken,
        dueInSeconds: sfn.JsonPath.numberAt(opts.dueInSecondsPath),
      }),
      // The deadline is the area's, for this referral's priority, computed at triage.
      taskTimeout: sfn.Timeout.at(opts.dueInSecondsPath),
      resultPath: opts.resultPath,
      retryOnServiceExceptions: false,
    });
    awaitTask.addRetry({
      errors: transientErrors,
      interval: Duration.seconds(2),
      backoffRate: 2,
      maxAttempts: 4,
      jitterStrategy: sfn.JitterType.FULL,
    });

    const escalate = this.invoke(`${name}Overdue`, fn['record-stage'], {
      referralId: sfn.JsonPath.stringAt('$.referralId'),
      stage: 'task_overdue',
      taskType: opts.type,
    }, '$.escalation', true, opts.needsAttention);
    const graceWait = new sfn.Wait(this, `${name}Grace`, {
      time: sfn.WaitTime.secondsPath('$.triage.escalationGraceSeconds'),
    });
    const moreAttempts = new sfn.Choice(this, `${name}MoreAttempts`)
      .when(sfn.Condition.booleanEquals('$.escalation.attemptsLeft', true), graceWait.next(awaitTask))
      .otherwise(opts.onAttemptsExhausted);
    escalate.next(moreAttempts);

    awaitTask.addCatch(escalate, { errors: ['States.Timeout'], resultPath: '$.timeout' });
    awaitTask.addCatch(opts.needsAttention, { errors: ['States.ALL'], resultPath: '$.failure' });
    return { start: awaitTask, done: awaitTask, retry: escalate };
  }
}
