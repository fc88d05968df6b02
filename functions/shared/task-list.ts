import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from './aws-clients.ts';
import { listCoaches, type StoredCoach } from './coach-store.ts';
import { keys, table, toTask, type HumanTask } from './referral-store.ts';
import type { Staff } from './staff.ts';
import { journeysTable } from './tables.ts';

/**
 * A coach's or team lead's open and overdue tasks by due date, read from the task status index:
 * what the task API (GET /v1/tasks) and the coach workspace pages both list.
 *   - a coach: the tasks assigned to them (`mine`, the only scope a coach has);
 *   - a team lead, `mine`: their own tasks (reviews) and those of their team's coaches on leave,
 *     whom they cover; `team`: their own and every task of their team's coaches.
 */
const gsi = journeysTable.indexes[0].indexName;

export type TaskScope = 'mine' | 'team';

interface IndexedTask {
  readonly sortKey: string;
  readonly task: HumanTask;
}

/** Up to `want` tasks of one status partition after `after` whose assignee is in `assignees`. */
async function tasksAfter(status: 'open' | 'overdue', after: string | undefined, assignees: ReadonlySet<string>, want: number) {
  const found: IndexedTask[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await dynamo().send(
      new QueryCommand({
        TableName: table(),
        IndexName: gsi,
        KeyConditionExpression: after ? 'gsi1pk = :pk AND gsi1sk > :after' : 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.tasksByStatus(status), ...(after ? { ':after': after } : {}) },
        ExclusiveStartKey: startKey,
        Limit: 200,
      }),
    );
    for (const item of page.Items ?? []) {
      const task = toTask(item);
      if (task.assignee && assignees.has(task.assignee)) found.push({ sortKey: String(item.gsi1sk), task });
      if (found.length >= want) return found;
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return found;
}

export function taskSummary(task: HumanTask, now: number, onLeave: ReadonlySet<string>) {
  return {
    taskId: task.taskId,
    referralId: task.referralId,
    type: task.type,
    status: task.status,
    attempt: task.attempt,
    dueAt: task.dueAt,
    openedAt: task.openedAt,
    assignee: task.assignee,
    overdue: task.status === 'overdue' || Date.parse(task.dueAt) < now,
    ...(task.assignee && onLeave.has(task.assignee) ? { assigneeOnLeave: true } : {}),
  };
}
export type TaskSummary = ReturnType<typeof taskSummary>;

/** The scope a caller gets when they name none: a team lead sees their team. */
export function defaultScope(staff: Staff): TaskScope {
  return staff.role === 'team_lead' ? 'team' : 'mine';
}

/**
 * One page of the caller's tasks by due date. `after` is the index sort key of the last task of
 * the previous page; `lastSortKey` is set when there are more. A coach asking for `team` gets
 * their own tasks only (callers refuse that scope first).
 */
export async function listStaffTasks(
  staff: Staff,
  options: { scope: TaskScope; limit: number; after?: string | undefined },
): Promise<{ tasks: TaskSummary[]; lastSortKey?: string }> {
  const assignees = new Set([staff.staffId]);
  const onLeave = new Set<string>();
  if (staff.role === 'team_lead') {
    const team: StoredCoach[] = (await listCoaches()).filter((c) => c.teamLeadId === staff.staffId);
    for (const coach of team) {
      if (!coach.available) onLeave.add(coach.coachId);
      if (options.scope === 'team' || !coach.available) assignees.add(coach.coachId);
    }
  }
  const { limit, after } = options;
  const [open, overdue] = await Promise.all([
    tasksAfter('open', after, assignees, limit + 1),
    tasksAfter('overdue', after, assignees, limit + 1),
  ]);
  const merged = [...open, ...overdue].sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
  const pageItems = merged.slice(0, limit);
  const more = merged.length > limit;
  const now = Date.now();
  return {
    tasks: pageItems.map(({ task }) => taskSummary(task, now, onLeave)),
    ...(more && pageItems.length ? { lastSortKey: pageItems[pageItems.length - 1]!.sortKey } : {}),
  };
}
