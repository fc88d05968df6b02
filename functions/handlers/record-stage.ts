import middy from '@middy/core';
import { z } from 'zod';
import { allTaskTypes } from '../../workflows/states.ts';
import { attemptInOccurrence, attemptsLeft, errorCode, stageEffect, type StatusStage } from '../domain/stages.ts';
import { releaseCaseload } from '../shared/assignment-service.ts';
import { countMetric, logSafe, observed } from '../shared/observability.ts';
import {
  getReferral,
  listTasks,
  markTaskOverdue,
  recordStage,
  ReferralNotFound,
  TaskNotFound,
} from '../shared/referral-store.ts';
import { recordJourneyStatus } from '../shared/onward-referral-store.ts';
import { stageLifecycleOutbox } from '../shared/bars-lifecycle.ts';
import { recordEventOnce } from '../shared/task-store.ts';
import { currentArea, parseInput } from '../shared/workflow.ts';
import { metricCatalogue } from '../shared/metric-catalogue.ts';

/**
 * Records a journey stage on the referral, each at most once:
 *  - task_overdue: the latest task of the type is marked overdue (escalation to the team lead);
 *    answers whether another attempt may follow;
 *  - contact_attempt_failed: a first contact attempt ended unable to contact; same answer;
 *  - provider_no_answer: an onward referral's provider did not answer, even after a chase;
 *  - the other stages set the status; closing ones start the retention clock and free the
 *    coach's caseload, which may wake the waitlist.
 */
const referralId = z.string().min(1).max(128);
const RecordStageInput = z.discriminatedUnion('stage', [
  z.object({ stage: z.literal('task_overdue'), referralId, taskType: z.enum(allTaskTypes) }),
  z.object({ stage: z.literal('contact_attempt_failed'), referralId, taskType: z.enum(allTaskTypes) }),
  z.object({ stage: z.literal('provider_no_answer'), referralId, onwardReferralId: z.string().min(1).max(128) }),
  z.object({
    stage: z.enum(['engaged', 'declined', 'not_engaged', 'not_eligible', 'completed', 'needs_attention']),
    referralId,
    error: z.string().max(256).optional(),
  }),
]);

export type RecordStageResult = { attemptsLeft: boolean } | { recorded: boolean };

/** The referral's tasks of one type, newest first (at least one). */
async function typedTasks(id: string, type: (typeof allTaskTypes)[number]) {
  if (!(await getReferral(id))) throw new ReferralNotFound();
  const tasks = await listTasks(id, type);
  if (!tasks[0]) throw new TaskNotFound();
  return tasks;
}

async function latestTask(id: string, type: (typeof allTaskTypes)[number]) {
  return (await typedTasks(id, type))[0]!;
}

async function recordStageHandler(event: unknown): Promise<RecordStageResult> {
  const input = parseInput(RecordStageInput, event);
  const area = currentArea();
  const now = new Date();
  const max = area.deadlines.maxContactAttempts;

  switch (input.stage) {
    case 'task_overdue': {
      // Only an open task is marked: a repeat (retry) or an answered task writes nothing.
      const tasks = await typedTasks(input.referralId, input.taskType);
      const task = tasks[0]!;
      const marked = task.status === 'open' && (await markTaskOverdue(input.referralId, task, now));
      logSafe('info', marked ? 'task overdue' : 'task not open', {
        referralId: input.referralId,
        taskId: task.taskId,
        taskType: task.type,
        attempt: task.attempt,
      });
      return { attemptsLeft: attemptsLeft(attemptInOccurrence(tasks), max) };
    }
    case 'contact_attempt_failed': {
      const task = await latestTask(input.referralId, input.taskType);
      await recordEventOnce(input.referralId, `contact_attempt_failed#${task.taskId}`, {
        at: now.toISOString(),
        event: 'contact_attempt_failed',
        taskId: task.taskId,
        taskType: task.type,
        attempt: task.attempt,
      });
      return { attemptsLeft: attemptsLeft(task.attempt, max) };
    }
    case 'provider_no_answer': {
      // Not answered even after a chase (or unreachable after retries): the coach is told next.
      if (!(await getReferral(input.referralId))) throw new ReferralNotFound();
      const recorded = await recordJourneyStatus({
        referralId: input.referralId,
        onwardReferralId: input.onwardReferralId,
        status: 'no_response',
        at: now,
      });
      return { recorded };
    }
    default:
      return recordStatusStage(input.referralId, input.stage, now, area.retentionYears, input.error);
  }
}

async function recordStatusStage(
  referralId: string,
  stage: StatusStage,
  now: Date,
  retentionYears: number,
  rawError: string | undefined,
): Promise<RecordStageResult> {
  const error = errorCode(rawError);
  const { recorded, referral } = await recordStage(referralId, stage, {
    at: now,
    retentionYears,
    ...(error ? { error } : {}),
    alsoWrite: stageLifecycleOutbox(stage),
  });
  if (recorded && stage === 'needs_attention') countMetric(metricCatalogue.needsAttention.name);
  // Also on a repeat: a crash between closing and freeing the caseload is finished here.
  if (stageEffect(stage).closes && referral.coachId) await releaseCaseload(referralId);
  logSafe(stage === 'needs_attention' ? 'warn' : 'info', recorded ? 'stage recorded' : 'stage already recorded', {
    referralId,
    stage,
    status: referral.status,
    ...(error ? { errorName: error } : {}),
  });
  return { recorded };
}

export const handler = middy<unknown, RecordStageResult>().use(observed()).handler(recordStageHandler);
