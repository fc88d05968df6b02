import middy from '@middy/core';
import { z } from 'zod';
import { allTaskTypes, taskPhases, type TaskType } from '../../workflows/states.ts';
import { logSafe, observed } from '../shared/observability.ts';
import { getReferral, listTasks, openTask, ReferralNotFound, type StoredReferral, TaskNotFound } from '../shared/referral-store.ts';
import { deliverTaskOutput } from '../shared/task-delivery.ts';
import { workEmailOf } from '../shared/outbox.ts';
import { rotateTaskToken } from '../shared/task-store.ts';
import { currentArea, parseInput } from '../shared/workflow.ts';
import type { AreaSettings } from '../../areas/schema.ts';
import { type TaskTimings, workingTaskTimings } from '../domain/deadlines.ts';
import { workingCalendar } from '../domain/working-time.ts';

/**
 * One phase of a human task (invoked with .waitForTaskToken; the journey then waits for the
 * assignee's answer until the phase's time-out):
 *  - open: a new task (next attempt) for the referral's coach, or the team lead for a review;
 *  - remind: the same task, reminder recorded, now held by this phase's token;
 *  - grace: the same (overdue) task, held by this phase's token after the escalation.
 * If the latest task of the type was completed but the journey never got the answer (its token
 * had just timed out), the answer is delivered now with this token instead.
 */
const Timings = z.object({ openSeconds: z.number().int().positive(), remindSeconds: z.number().int().positive() });

/** Before each attempt: its timings from now, the deadline within working hours. */
const ScheduleInput = z.object({
  referralId: z.string().min(1).max(128),
  type: z.enum(allTaskTypes),
  phase: z.literal('schedule'),
  timings: Timings,
});

const OpenTaskInput = z.object({
  referralId: z.string().min(1).max(128),
  type: z.enum(allTaskTypes),
  phase: z.enum(taskPhases),
  taskToken: z.string().min(1).max(2048),
  timings: Timings,
  graceSeconds: z.number().int().positive(),
});

function assigneeFor(type: TaskType, referral: StoredReferral, area: AreaSettings): string | null {
  if (type === 'needs_review') return area.teamLeads[0]?.id ?? null;
  return referral.coachId ?? null;
}

async function openTaskHandler(event: unknown): Promise<{ taskId: string } | TaskTimings> {
  if ((event as { phase?: unknown } | null)?.phase === 'schedule') {
    const input = parseInput(ScheduleInput, event);
    const { openSeconds, remindSeconds } = workingTaskTimings(new Date(), input.timings, workingCalendar(currentArea()));
    return { openSeconds, remindSeconds };
  }
  const input = parseInput(OpenTaskInput, event);
  const referral = await getReferral(input.referralId);
  if (!referral) throw new ReferralNotFound();
  const now = new Date();
  const [latest] = await listTasks(input.referralId, input.type);
  const log = (message: string, taskId: string) =>
    logSafe('info', message, { referralId: input.referralId, taskId, taskType: input.type, stage: input.phase });

  if (latest?.status === 'completed' && !latest.deliveredAt) {
    await deliverTaskOutput(latest, input.taskToken, now);
    log('task answer delivered', latest.taskId);
    return { taskId: latest.taskId };
  }

  if (input.phase === 'open') {
    const dueInSeconds = input.timings.openSeconds + input.timings.remindSeconds;
    const assignee = assigneeFor(input.type, referral, currentArea());
    const to = await workEmailOf(assignee);
    const { task, created } = await openTask({
      referralId: input.referralId,
      type: input.type,
      taskToken: input.taskToken,
      dueAt: new Date(now.getTime() + dueInSeconds * 1000),
      at: now,
      assignee,
      ...(to ? { notify: { to } } : {}),
    });
    log(created ? 'task opened' : 'task already open', task.taskId);
    return { taskId: task.taskId };
  }

  if (!latest || (latest.status !== 'open' && latest.status !== 'overdue')) throw new TaskNotFound();
  const to = input.phase === 'remind' && !latest.remindedAt ? await workEmailOf(latest.assignee) : undefined;
  await rotateTaskToken(input.referralId, latest, input.taskToken, input.phase, now, to ? { to } : undefined);
  log(input.phase === 'remind' ? 'task reminder' : 'task grace period', latest.taskId);
  return { taskId: latest.taskId };
}

export const handler = middy<unknown, { taskId: string } | TaskTimings>().use(observed()).handler(openTaskHandler);
