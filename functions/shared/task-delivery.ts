import { SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { sfn } from './aws-clients.ts';
import { type HumanTask } from './referral-store.ts';
import { markDelivered } from './task-store.ts';

/** Answers the journey says it no longer waits for: the token was replaced or the task ended. */
const GONE = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

/**
 * Sends a completed task's output to the journey with the given token. False when that token
 * is no longer waited on: the journey has moved to the task's next phase, whose entry delivers
 * the output with its own token (open-task), so the answer is never lost.
 */
export async function deliverTaskOutput(task: HumanTask, taskToken: string, now: Date): Promise<boolean> {
  try {
    await sfn().send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(task.output ?? {}) }));
  } catch (error) {
    if (GONE.has((error as Error)?.name)) return false;
    throw error;
  }
  await markDelivered(task.referralId, task.taskId, now);
  return true;
}
