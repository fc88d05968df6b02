import { isWorkingDay, localMoment, type WorkingCalendar } from './working-time.ts';

/**
 * The coaches' morning digest, pure: what is due today and what is overdue, in the area's time
 * zone, and whether a moment is a working morning (a working day that is not a bank holiday,
 * from 07:30 local time).
 */
export { isWorkingDay, localMoment, type LocalMoment } from './working-time.ts';

export const DIGEST_TIME = { hour: 7, minute: 30 } as const;
/** At most this many lines in one digest (the counts stay exact). */
export const DIGEST_MAX_LINES = 50;

/** A working day (the area's working week, not a bank holiday) at or after the digest time (local). */
export function isWorkingMorning(now: Date, calendar: WorkingCalendar): boolean {
  const { minutes } = localMoment(now, calendar.timeZone);
  return isWorkingDay(now, calendar) && minutes >= DIGEST_TIME.hour * 60 + DIGEST_TIME.minute;
}

export interface DigestTask {
  readonly referralId: string;
  readonly taskId: string;
  readonly taskType: string;
  readonly dueAt: string;
  readonly status: string;
  readonly assignee: string | null;
}

export interface DigestEntry {
  readonly referralReference: string;
  readonly taskId: string;
  readonly taskType: string;
  readonly dueAt: string;
  readonly overdue: boolean;
}

/** Overdue: marked overdue, or past its due time. Due today: the rest due on today's local date. */
export function classifyTask(task: DigestTask, now: Date, timeZone: string): 'overdue' | 'due_today' | undefined {
  if (task.status === 'overdue' || Date.parse(task.dueAt) < now.getTime()) return 'overdue';
  if (task.status === 'open' && localMoment(new Date(task.dueAt), timeZone).date === localMoment(now, timeZone).date) return 'due_today';
  return undefined;
}

/** Each assignee's digest lines, overdue first, then by due time; assignees with nothing are absent. */
export function digestsByAssignee(tasks: readonly DigestTask[], now: Date, timeZone: string): Map<string, DigestEntry[]> {
  const out = new Map<string, DigestEntry[]>();
  for (const task of tasks) {
    if (!task.assignee) continue;
    const kind = classifyTask(task, now, timeZone);
    if (!kind) continue;
    const entry: DigestEntry = {
      referralReference: task.referralId,
      taskId: task.taskId,
      taskType: task.taskType,
      dueAt: task.dueAt,
      overdue: kind === 'overdue',
    };
    out.set(task.assignee, [...(out.get(task.assignee) ?? []), entry]);
  }
  for (const [assignee, entries] of out) {
    out.set(
      assignee,
      entries.sort((a, b) => Number(b.overdue) - Number(a.overdue) || a.dueAt.localeCompare(b.dueAt) || a.taskId.localeCompare(b.taskId)),
    );
  }
  return out;
}
