/**
 * The coaches' morning digest, pure: what is due today and what is overdue, in the area's time
 * zone, and whether a moment is a working morning (Monday to Friday, from 07:30 local time).
 * Bank holidays are not known here: the digest then simply goes out as on any weekday.
 */

export const DIGEST_TIME = { hour: 7, minute: 30 } as const;
/** At most this many lines in one digest (the counts stay exact). */
export const DIGEST_MAX_LINES = 50;

export interface LocalMoment {
  /** YYYY-MM-DD */
  readonly date: string;
  /** 1 = Monday … 7 = Sunday */
  readonly isoWeekday: number;
  /** Minutes since local midnight. */
  readonly minutes: number;
}

const weekdays: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

export function localMoment(now: Date, timeZone: string): LocalMoment {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(now);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return {
    date: `${part('year')}-${part('month')}-${part('day')}`,
    isoWeekday: weekdays[part('weekday')] ?? 0,
    minutes: Number(part('hour')) * 60 + Number(part('minute')),
  };
}

export function isWorkingDay(now: Date, timeZone: string): boolean {
  const { isoWeekday } = localMoment(now, timeZone);
  return isoWeekday >= 1 && isoWeekday <= 5;
}

/** A working day at or after the digest time (local). */
export function isWorkingMorning(now: Date, timeZone: string): boolean {
  const { minutes } = localMoment(now, timeZone);
  return isWorkingDay(now, timeZone) && minutes >= DIGEST_TIME.hour * 60 + DIGEST_TIME.minute;
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
