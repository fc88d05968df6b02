import middy from '@middy/core';
import { z } from 'zod';
import { taskTypes } from '../../workflows/states.ts';
import { logSafe, observed } from '../shared/observability.ts';
import { getReferral, openTask, ReferralNotFound } from '../shared/referral-store.ts';
import { parseInput } from '../shared/workflow.ts';

/**
 * Opens a human task for the journey (invoked with .waitForTaskToken): stores the token on a
 * task due in `dueInSeconds`, superseding the previous task of the type. The task id derives
 * from the token, so a retried invocation finds the task it created instead of adding one.
 * The coach's answer later completes the task with SendTaskSuccess.
 */
const OpenTaskInput = z.object({
  referralId: z.string().min(1).max(128),
  type: z.enum([taskTypes.firstContact, taskTypes.needsReview]),
  taskToken: z.string().min(1).max(2048),
  dueInSeconds: z.number().int().positive(),
});

async function openTaskHandler(event: unknown): Promise<{ taskId: string }> {
  const input = parseInput(OpenTaskInput, event);
  if (!(await getReferral(input.referralId))) throw new ReferralNotFound();
  const now = new Date();
  const { task, created } = await openTask({
    referralId: input.referralId,
    type: input.type,
    taskToken: input.taskToken,
    dueAt: new Date(now.getTime() + input.dueInSeconds * 1000),
    at: now,
  });
  logSafe('info', created ? 'task opened' : 'task already open', {
    referralId: input.referralId,
    taskId: task.taskId,
    taskType: task.type,
    attempt: task.attempt,
  });
  return { taskId: task.taskId };
}

export const handler = middy<unknown, { taskId: string }>().use(observed()).handler(openTaskHandler);
