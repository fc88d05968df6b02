/**
 * Human task changes beyond opening one (referral-store.ts): the phases of a waiting task, its
 * completion, and the delivery of the completion to the journey. Item layout: see
 * referral-store.ts (task items under the referral's partition).
 */
import { keys, buildUpdate, type HumanTask, referralUpdate, statusAttributes, table, timelinePut, transact, type TransactItem } from './referral-store.ts';
import { notificationId, notificationPut, taskFields } from './outbox.ts';
import type { JourneyStage } from '../domain/stages.ts';
import type { ReferralStatus } from '../domain/referral.ts';

const LIVE = ['open', 'overdue'] as const;

function taskUpdate(
  referralId: string,
  taskId: string,
  set: Record<string, unknown>,
  condition: string,
  values: Record<string, unknown>,
  remove: readonly string[] = [],
): TransactItem {
  const update = buildUpdate(set, remove);
  return {
    Update: {
      TableName: table(),
      Key: keys.task(referralId, taskId),
      ...update,
      ExpressionAttributeNames: { ...update.ExpressionAttributeNames, '#status': 'status' },
      ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ...values },
      ConditionExpression: `attribute_exists(pk) AND ${condition}`,
    },
  };
}

/**
 * Gives a waiting task the token of the journey's new phase (reminder or grace period); the
 * assignee keeps seeing the same task. A reminder is recorded once per task, with (given
 * `notify`) a 'task_reminder' e-mail to the assignee.
 */
export async function rotateTaskToken(
  referralId: string,
  task: HumanTask,
  taskToken: string,
  phase: 'remind' | 'grace',
  now: Date,
  notify?: { to: string },
): Promise<boolean> {
  const at = now.toISOString();
  const items: TransactItem[] = [
    taskUpdate(
      referralId,
      task.taskId,
      { taskToken, phase, ...(phase === 'remind' ? { remindedAt: at } : {}) },
      '#status IN (:open, :overdue)',
      { ':open': LIVE[0], ':overdue': LIVE[1] },
    ),
  ];
  if (phase === 'remind' && !task.remindedAt) {
    items.push(timelinePut(referralId, { at, event: 'task_reminder', taskId: task.taskId, taskType: task.type, attempt: task.attempt }));
    if (notify) {
      items.push(
        notificationPut(referralId, notificationId('task_reminder', task.taskId), { to: notify.to, template: 'task_reminder', fields: taskFields(task) }, at),
      );
    }
  }
  const failed = await transact(items);
  // The reminder was written before (a stale `task`): still hand the task the new token.
  if (failed > 0) return (await transact(items.slice(0, 1))) < 0;
  return failed < 0;
}

/**
 * Records a task as completed, once: its output for the journey, an optional record of the
 * answer (assessment, check-in, outcome) in the referral's partition, the referral's new status
 * and a timeline entry. False when the task was no longer open (completed, superseded, cancelled).
 */
export async function recordCompletion(input: {
  referralId: string;
  task: HumanTask;
  output: Record<string, unknown>;
  completedBy: string;
  now: Date;
  record?: { sk: string; item: Record<string, unknown> };
  status?: { status: ReferralStatus; stage?: JourneyStage };
  referralChanges?: Record<string, unknown>;
  timeline: Record<string, string | number | boolean>;
  /** Written in the same transaction (the referrer's status update). */
  alsoWrite?: TransactItem[];
}): Promise<boolean> {
  const at = input.now.toISOString();
  const items: TransactItem[] = [
    taskUpdate(
      input.referralId,
      input.task.taskId,
      { status: 'completed', completedAt: at, completedBy: input.completedBy, output: input.output },
      '#status IN (:open, :overdue)',
      { ':open': LIVE[0], ':overdue': LIVE[1] },
      // Out of the open-task index: nobody should be asked for it again.
      ['gsi1pk', 'gsi1sk'],
    ),
    timelinePut(input.referralId, { at, event: 'task_completed', taskId: input.task.taskId, taskType: input.task.type, ...input.timeline }),
  ];
  const referralSet = {
    ...(input.status ? statusAttributes(input.referralId, input.status.status, at, input.status.stage) : { updatedAt: at }),
    ...input.referralChanges,
  };
  items.push(referralUpdate(input.referralId, referralSet, { expression: 'attribute_not_exists(closedAt)' }));
  if (input.record) {
    items.push({
      Put: {
        TableName: table(),
        Item: { pk: keys.pk(input.referralId), sk: input.record.sk, referralId: input.referralId, ...input.record.item },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    });
  }
  items.push(...(input.alsoWrite ?? []));
  return (await transact(items)) < 0;
}

/** Notes that the journey has the completed task's answer, so no later phase sends it again. */
export async function markDelivered(referralId: string, taskId: string, now: Date): Promise<void> {
  const update = buildUpdate({ deliveredAt: now.toISOString() });
  await transact([
    {
      Update: {
        TableName: table(),
        Key: keys.task(referralId, taskId),
        ...update,
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(deliveredAt)',
      },
    },
  ]);
}

/** Cancels every open or overdue task of a referral (withdrawal). */
export async function cancelOpenTasks(referralId: string, tasks: readonly HumanTask[], now: Date, reason: string): Promise<number> {
  const at = now.toISOString();
  let cancelled = 0;
  for (const task of tasks.filter((t) => t.status === 'open' || t.status === 'overdue')) {
    const update = buildUpdate({ status: 'cancelled', cancelledAt: at, cancelReason: reason }, ['gsi1pk', 'gsi1sk', 'taskToken']);
    const failed = await transact([
      {
        Update: {
          TableName: table(),
          Key: keys.task(referralId, task.taskId),
          ...update,
          ExpressionAttributeNames: { ...update.ExpressionAttributeNames, '#status': 'status' },
          ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ':open': 'open', ':overdue': 'overdue' },
          ConditionExpression: '#status IN (:open, :overdue)',
        },
      },
      timelinePut(referralId, { at, event: 'task_cancelled', taskId: task.taskId, taskType: task.type }),
    ]);
    if (failed < 0) cancelled++;
  }
  return cancelled;
}

/**
 * Writes a timeline entry once per `key` (e.g. `provider_no_answer#<onwardReferralId>`): a
 * marker item and the entry in one transaction, so a retried step does not repeat it.
 */
export async function recordEventOnce(
  referralId: string,
  key: string,
  entry: { at: string; event: string } & Record<string, string | number>,
): Promise<boolean> {
  const failed = await transact([
    {
      Put: {
        TableName: table(),
        Item: { pk: keys.pk(referralId), sk: `EVENT#${key}`, referralId, at: entry.at },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    timelinePut(referralId, entry),
  ]);
  return failed < 0;
}
