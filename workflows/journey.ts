import { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import type { FunctionName } from '../functions/catalogue.ts';
import { journeyStates as S, type TaskType, taskTypes } from './states.ts';

/**
 * The referral-to-outcome journey of one area, as a Step Functions Standard state machine
 * (JSONPath). Execution input is `{ "referralId": "..." }`: state stays small (ids and codes, not
 * documents; coaches' answers are stored by the task completion service, which sends the journey
 * only what it branches on). Per-area deadlines arrive from the triage step, so one definition
 * serves all areas.
 *
 * Each deploy that changes this definition publishes a new version, and journeys already
 * running stay on theirs while calling today's handlers: every handler must accept the inputs
 * and task results of the previous version (README: upgrades; test/local/upgrade.test.ts).
 */
export interface JourneyProps {
  readonly functions: Readonly<Record<FunctionName, IFunction>>;
}

/** Errors worth retrying: Lambda's own transient faults and DynamoDB throttling surfaced by handlers. */
export const transientErrors = [
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
  // The SDK's name for a request that timed out on the network (a busy endpoint, a dropped socket).
  'TimeoutError',
  // A function that ran out of time; every handler is idempotent, so running it again is safe.
  'Sandbox.Timedout',
];

const referralId = sfn.JsonPath.stringAt('$.referralId');

interface HumanTaskOptions {
  readonly type: TaskType;
  /** Where the assignee's answer goes in the state. */
  readonly resultPath: string;
  /** Where an unexpected failure goes (needs attention, or the branch's Fail state). */
  readonly onFailure: sfn.IChainable;
  /** After the last escalation's grace period runs out unanswered. */
  readonly onExhausted: sfn.IChainable;
}

interface HumanTask {
  readonly start: sfn.IChainable;
  /** Sets the state every phase goes to once the task is answered. */
  then(next: sfn.IChainable): void;
}

export class JourneyDefinition extends Construct {
  readonly chain: sfn.IChainable;
  private readonly fn: Readonly<Record<FunctionName, IFunction>>;

  constructor(scope: Construct, id: string, props: JourneyProps) {
    super(scope, id);
    this.fn = props.functions;
    const fn = this.fn;

    const needsAttention = this.lambda(S.recordNeedsAttention, fn['record-stage'], {
      referralId,
      stage: 'needs_attention',
      error: sfn.JsonPath.stringAt('$.failure.Error'),
    }, '$.recorded').next(
      new sfn.Fail(this, S.needsAttention, {
        error: 'JourneyNeedsAttention',
        cause: 'A journey step failed after retries; see the referral timeline',
      }),
    );

    // A task nobody answered after every try: no step failed, so the reason is set here for
    // RecordNeedsAttention to read (it reads $.failure.Error).
    const exhausted = new sfn.Pass(this, S.attemptsExhausted, {
      result: sfn.Result.fromObject({ Error: 'TaskAttemptsExhausted', Cause: 'No answer after the last try' }),
      resultPath: '$.failure',
    }).next(needsAttention);

    const close = (stateName: string, stage: string, endName: string) =>
      this.lambda(stateName, fn['record-stage'], { referralId, stage }, '$.recorded', needsAttention).next(
        new sfn.Succeed(this, endName),
      );
    const closeNotEligible = close(S.closeNotEligible, 'not_eligible', S.notEligible);
    const closeNotEngaged = close(S.closeNotEngaged, 'not_engaged', S.notEngaged);
    const closeDeclined = close(S.closeDeclined, 'declined', S.declined);

    // Outcome and discharge: the coach's caseload is freed, which may wake the waitlist.
    const outcome = this.humanTask(S.outcome, {
      type: taskTypes.outcome,
      resultPath: '$.outcome',
      onFailure: needsAttention,
      onExhausted: exhausted,
    });
    outcome.then(close(S.discharge, 'completed', S.completed));

    // Support: onward referrals (one branch each) alongside the follow-up check-ins.
    const support = new sfn.Parallel(this, S.support, { resultPath: sfn.JsonPath.DISCARD })
      .branch(this.onwardReferrals())
      .branch(this.followUps());
    support.addCatch(needsAttention, { errors: ['States.ALL'], resultPath: '$.failure' });
    support.next(outcome.start);

    const assessment = this.humanTask(S.assessment, {
      type: taskTypes.assessment,
      resultPath: '$.plan',
      onFailure: needsAttention,
      onExhausted: exhausted,
    });
    assessment.then(support);

    // First contact: engaged, declined, or a failed attempt that may be tried again.
    const firstContact = this.humanTask(S.firstContact, {
      type: taskTypes.firstContact,
      resultPath: '$.firstContact',
      onFailure: needsAttention,
      onExhausted: closeNotEngaged,
    });
    const attemptFailed = this.lambda(S.contactAttemptFailed, fn['record-stage'], {
      referralId,
      stage: 'contact_attempt_failed',
      taskType: taskTypes.firstContact,
    }, '$.attempts', needsAttention).next(
      new sfn.Choice(this, S.moreContactAttempts)
        .when(sfn.Condition.booleanEquals('$.attempts.attemptsLeft', true), firstContact.start)
        .otherwise(closeNotEngaged),
    );
    firstContact.then(
      new sfn.Choice(this, S.firstContactOutcome)
        .when(sfn.Condition.stringEquals('$.firstContact.outcome', 'engaged'), assessment.start)
        .when(sfn.Condition.stringEquals('$.firstContact.outcome', 'declined'), closeDeclined)
        .otherwise(attemptFailed),
    );

    // Coach assignment; with no capacity the journey waits on the waitlist, re-checking now
    // and then in case a wake-up was missed.
    const assign = this.lambda(S.assignCoach, fn['assign-coach'], { referralId }, '$.assignment', needsAttention);
    const waitlist = this.callback(S.waitlist, fn['join-waitlist'], { referralId }, {
      timeoutPath: '$.triage.deadlines.waitlistRecheckSeconds',
      resultPath: '$.assignment',
    });
    waitlist.addCatch(assign, { errors: ['States.Timeout'], resultPath: sfn.JsonPath.DISCARD });
    waitlist.addCatch(needsAttention, { errors: ['States.ALL'], resultPath: '$.failure' });
    const assigned = new sfn.Choice(this, S.assigned)
      .when(sfn.Condition.booleanEquals('$.assignment.assigned', true), firstContact.start)
      .otherwise(waitlist);
    assign.next(assigned);
    waitlist.next(assigned);

    // Needs review: the area's team lead admits or turns down the referral.
    const review = this.humanTask(S.review, {
      type: taskTypes.needsReview,
      resultPath: '$.review',
      onFailure: needsAttention,
      onExhausted: exhausted,
    });
    review.then(
      new sfn.Choice(this, S.reviewOutcome)
        .when(sfn.Condition.stringEquals('$.review.outcome', 'eligible'), assign)
        .otherwise(closeNotEligible),
    );

    const triage = this.lambda(S.triage, fn.triage, { referralId }, '$.triage', needsAttention);
    this.chain = sfn.Chain.start(triage).next(
      new sfn.Choice(this, S.triageOutcome)
        .when(sfn.Condition.stringEquals('$.triage.outcome', 'not_eligible'), closeNotEligible)
        .when(sfn.Condition.stringEquals('$.triage.outcome', 'needs_review'), review.start)
        .otherwise(assign),
    );
  }

  /** One onward referral per chosen service, in parallel; a silent provider goes to the coach. */
  private onwardReferrals(): sfn.IChainable {
    const fn = this.fn;
    const branchFailed = new sfn.Fail(this, 'OnwardReferralFailed', { error: 'OnwardReferralFailed' });
    const answered = new sfn.Succeed(this, S.providerAnswered);
    const send = (name: string, chase: boolean) => {
      const step = this.callback(name, fn['send-onward-referral'], {
        referralId,
        onwardReferralId: sfn.JsonPath.stringAt('$.onwardReferralId'),
        chase,
      }, { timeoutPath: '$.triage.deadlines.providerResponseSeconds', resultPath: '$.answer' });
      // A failing provider endpoint is retried with backoff, and never blocks the journey.
      step.addRetry({ errors: ['ProviderUnavailable'], interval: Duration.minutes(1), backoffRate: 2, maxAttempts: 4 });
      return step;
    };
    const first = send(S.sendOnwardReferral, false);
    const chase = send(S.chaseProvider, true);
    const chaseTask = this.humanTask(S.providerChase, {
      type: taskTypes.providerChase,
      resultPath: '$.chase',
      onFailure: branchFailed,
      onExhausted: answered,
    });
    chaseTask.then(answered);
    const noAnswer = this.lambda(S.providerNoAnswer, fn['record-stage'], {
      referralId,
      stage: 'provider_no_answer',
      onwardReferralId: sfn.JsonPath.stringAt('$.onwardReferralId'),
    }, '$.recorded', branchFailed).next(chaseTask.start);
    first.addCatch(chase, { errors: ['States.Timeout'], resultPath: sfn.JsonPath.DISCARD });
    first.addCatch(noAnswer, { errors: ['States.ALL'], resultPath: sfn.JsonPath.DISCARD });
    chase.addCatch(noAnswer, { errors: ['States.ALL'], resultPath: sfn.JsonPath.DISCARD });
    first.next(answered);
    chase.next(answered);

    return new sfn.Map(this, S.onwardReferrals, {
      itemsPath: '$.plan.onwardReferrals',
      itemSelector: {
        referralId: sfn.JsonPath.stringAt('$.referralId'),
        triage: sfn.JsonPath.objectAt('$.triage'),
        onwardReferralId: sfn.JsonPath.stringAt('$$.Map.Item.Value.onwardReferralId'),
      },
      resultPath: sfn.JsonPath.DISCARD,
    }).itemProcessor(first);
  }

  /** Check-ins at the scheduled dates until the plan says the outcome is next. */
  private followUps(): sfn.IChainable {
    const branchFailed = new sfn.Fail(this, 'FollowUpFailed', { error: 'FollowUpFailed' });
    const followUp = this.humanTask(S.followUp, {
      type: taskTypes.followUp,
      resultPath: '$.plan.followUp',
      onFailure: branchFailed,
      onExhausted: branchFailed,
    });
    const next = new sfn.Choice(this, S.followUpOrOutcome)
      .when(
        sfn.Condition.stringEquals('$.plan.followUp.next', 'follow_up'),
        new sfn.Wait(this, S.waitForFollowUp, { time: sfn.WaitTime.secondsPath('$.plan.followUp.waitSeconds') }).next(
          followUp.start,
        ),
      )
      .otherwise(new sfn.Succeed(this, S.followUpsDone));
    followUp.then(next);
    return next;
  }

  /** A Lambda step with retry on transient faults; a lasting failure goes to `onFailure`. */
  private lambda(
    stateName: string,
    lambdaFunction: IFunction,
    payload: Record<string, unknown>,
    resultPath: string,
    onFailure?: sfn.IChainable,
  ): tasks.LambdaInvoke {
    const step = new tasks.LambdaInvoke(this, stateName, {
      lambdaFunction,
      payload: sfn.TaskInput.fromObject(payload),
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      resultPath,
    });
    this.retryTransient(step);
    if (onFailure) step.addCatch(onFailure, { errors: ['States.ALL'], resultPath: '$.failure' });
    return step;
  }

  /** A Lambda invoked with a task token; the journey waits for SendTaskSuccess or the time-out. */
  private callback(
    stateName: string,
    lambdaFunction: IFunction,
    payload: Record<string, unknown>,
    opts: { timeoutPath: string; resultPath: string },
  ): tasks.LambdaInvoke {
    const step = new tasks.LambdaInvoke(this, stateName, {
      lambdaFunction,
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: sfn.TaskInput.fromObject({ ...payload, taskToken: sfn.JsonPath.taskToken }),
      taskTimeout: sfn.Timeout.at(opts.timeoutPath),
      resultPath: opts.resultPath,
      retryOnServiceExceptions: false,
    });
    this.retryTransient(step);
    return step;
  }

  private retryTransient(step: tasks.LambdaInvoke): void {
    step.addRetry({
      errors: transientErrors,
      interval: Duration.seconds(2),
      backoffRate: 2,
      maxAttempts: 4,
      jitterStrategy: sfn.JitterType.FULL,
    });
  }

  /**
   * A human task in three phases, each one entry of a callback state with its own time-out:
   * open until the reminder, remind until the deadline, then (after the escalation to the team
   * lead) a grace period. Every entry issues a new token; the stored task keeps its id, so the
   * assignee sees one task throughout. After the grace period the next attempt opens, up to the
   * area's limit. The task itself lives in DynamoDB (open-task), never in the state.
   */
  private humanTask(name: string, opts: HumanTaskOptions): HumanTask {
    const fn = this.fn;
    // Each attempt's timings from when it opens: a deadline outside working hours moves to the
    // next working morning, which only a step that knows the date can work out.
    const schedule = this.lambda(`${name}Schedule`, fn['open-task'], {
      referralId,
      type: opts.type,
      phase: 'schedule',
      timings: sfn.JsonPath.objectAt(`$.triage.deadlines.tasks.${opts.type}`),
    }, '$.taskTimings', opts.onFailure);
    const timings = '$.taskTimings';
    const phase = (phaseName: 'open' | 'remind' | 'grace', timeoutPath: string) => {
      const step = this.callback(`${name}${phaseName === 'open' ? 'Open' : phaseName === 'remind' ? 'Reminder' : 'Grace'}`, fn['open-task'], {
        referralId,
        type: opts.type,
        phase: phaseName,
        timings: {
          openSeconds: sfn.JsonPath.numberAt(`${timings}.openSeconds`),
          remindSeconds: sfn.JsonPath.numberAt(`${timings}.remindSeconds`),
        },
        graceSeconds: sfn.JsonPath.numberAt('$.triage.deadlines.graceSeconds'),
      }, { timeoutPath, resultPath: opts.resultPath });
      return step;
    };
    const open = phase('open', `${timings}.openSeconds`);
    const remind = phase('remind', `${timings}.remindSeconds`);
    const grace = phase('grace', '$.triage.deadlines.graceSeconds');
    const overdue = this.lambda(`${name}Overdue`, fn['record-stage'], {
      referralId,
      stage: 'task_overdue',
      taskType: opts.type,
    }, '$.escalation', opts.onFailure);
    const moreAttempts = new sfn.Choice(this, `${name}MoreAttempts`)
      .when(sfn.Condition.booleanEquals('$.escalation.attemptsLeft', true), schedule)
      .otherwise(opts.onExhausted);

    open.addCatch(remind, { errors: ['States.Timeout'], resultPath: sfn.JsonPath.DISCARD });
    remind.addCatch(overdue, { errors: ['States.Timeout'], resultPath: sfn.JsonPath.DISCARD });
    overdue.next(grace);
    grace.addCatch(moreAttempts, { errors: ['States.Timeout'], resultPath: sfn.JsonPath.DISCARD });
    for (const step of [open, remind, grace]) {
      step.addCatch(opts.onFailure, { errors: ['States.ALL'], resultPath: '$.failure' });
    }
    schedule.next(open);
    return {
      start: schedule,
      then: (next) => {
        open.next(next);
        remind.next(next);
        grace.next(next);
      },
    };
  }
}
