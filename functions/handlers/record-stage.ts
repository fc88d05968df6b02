import middy from '@middy/core';
import { z } from 'zod';
import { taskTypes } from '../../workflows/states.ts';
import { attemptsLeft, errorCode, recordedStages } from '../domain/stages.ts';
import { logSafe, observed } from '../shared/observability.ts';
import {
  getReferral,
  listTasks,
  markTaskOverdue,
  recordStage,
  ReferralNotFound,
  TaskNotFound,
} from '../shared/referral-store.ts';
import { currentArea, parseInput } from '../shared/workflow.ts';

/**
 * Records a journey stage on the referral. 'task_overdue' marks the open task of `taskType`
 * overdue and answers whether another attempt may follow; the other stages set the status
 * (closing stages also start the retention clock). Every stage is recorded at most once.
 */
const RecordStageInput = z.discriminatedUnion('stage', [
  z.object({
    stage: z.literal('task_overdue'),
    referralId: z.string().min(1).max(128),
    taskType: z.enum([taskTypes.firstContact, taskTypes.needsReview]),
  }),
  z.object({
    stage: z.enum(recordedStages).exclude(['task_overdue']),
    referralId: z.string().min(1).max(128),
    error: z.string().max(256).optional(),
  }),
]);

export type RecordStageResult = { attemptsLeft: boolean } | { recorded: boolean };

async function recordStageHandler(event: unknown): Promise<RecordStageResult> {
  const input = parseInput(RecordStageInput, event);
  const area = currentArea();
  const now = new Date();

  if (input.stage === 'task_overdue') {
    if (!(await getReferral(input.referralId))) throw new ReferralNotFound();
    // The latest attempt of the type: open (mark it overdue); already overdue (a retried call)
    // or answered without a final outcome (the workflow loops to a new attempt): no write.
    const [task] = await listTasks(input.referralId, input.taskType);
    if (!task) throw new TaskNotFound();
    const marked = task.status === 'open' && (await markTaskOverdue(input.referralId, task, now));
    const left = attemptsLeft(task.attempt, area.deadlines.maxContactAttempts);
    logSafe('info', marked ? 'task overdue' : 'task not open', {
      referralId: input.referralId,
      taskId: task.taskId,
      taskType: task.type,
      attempt: task.attempt,
    });
    return { attemptsLeft: left };
  }

  const error = errorCode(input.error);
  const { recorded, referral } = await recordStage(input.referralId, input.stage, {
    at: now,
    retentionYears: area.retentionYears,
    ...(error ? { error } : {}),
  });
  logSafe(input.stage === 'needs_attention' ? 'warn' : 'info', recorded ? 'stage recorded' : 'stage already recorded', {
    referralId: input.referralId,
    stage: input.stage,
    status: referral.status,
    ...(error ? { errorName: error } : {}),
  });
  return { recorded };
}

export const handler = middy<unknown, RecordStageResult>().use(observed()).handler(recordStageHandler);
