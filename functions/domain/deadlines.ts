import type { AreaSettings } from '../../areas/schema.ts';
import type { TaskType } from '../../workflows/states.ts';
import { nextWorkingMoment, type WorkingCalendar } from './working-time.ts';

/**
 * The journey's clock settings for one referral, in whole seconds, computed once at triage from
 * the area's deadlines and the referral's priority. The state machine reads them through
 * TimeoutSecondsPath / SecondsPath, so one definition serves every area.
 */
export interface TaskTimings {
  /** From opening the task to the reminder. */
  readonly openSeconds: number;
  /** From the reminder to the deadline. */
  readonly remindSeconds: number;
}

export interface JourneyDeadlines {
  readonly tasks: Readonly<Record<TaskType, TaskTimings>>;
  /** After a missed deadline: the team lead is told and the assignee has this long more. */
  readonly graceSeconds: number;
  readonly providerResponseSeconds: number;
  readonly waitlistRecheckSeconds: number;
}

const seconds = (hours: number) => Math.max(1, Math.ceil(hours * 3600));

/** Splits a deadline into the time before the reminder and the reminder's lead time. */
export function taskTimings(dueHours: number, reminderBeforeHours: number): TaskTimings {
  // A reminder needs some time before it; with short deadlines it comes half-way.
  const remindBefore = Math.min(reminderBeforeHours, dueHours / 2);
  return { openSeconds: seconds(dueHours - remindBefore), remindSeconds: seconds(remindBefore) };
}

export function journeyDeadlines(area: AreaSettings, priority: 'urgent' | 'routine'): JourneyDeadlines {
  const d = area.deadlines;
  const timings = (hours: number) => taskTimings(hours, d.reminderBeforeHours);
  return {
    tasks: {
      first_contact: timings(d.firstContactHours[priority]),
      needs_review: timings(d.needsReviewHours),
      assessment: timings(d.assessmentHours),
      follow_up: timings(d.followUpHours),
      outcome: timings(d.outcomeHours),
      provider_chase: timings(d.followUpHours),
    },
    graceSeconds: seconds(d.escalationGraceHours),
    providerResponseSeconds: seconds(d.providerResponseHours),
    waitlistRecheckSeconds: seconds(d.waitlistRecheckHours),
  };
}

/**
 * A task's timings from the moment it opens, its deadline moved to the next working morning
 * when it would fall outside the area's working hours (the reminder keeps its lead time).
 */
export function workingTaskTimings(openedAt: Date, timings: TaskTimings, calendar: WorkingCalendar): TaskTimings & { dueAt: string } {
  const due = new Date(openedAt.getTime() + (timings.openSeconds + timings.remindSeconds) * 1000);
  const workingDue = nextWorkingMoment(due, calendar);
  const shiftSeconds = Math.ceil((workingDue.getTime() - due.getTime()) / 1000);
  return { openSeconds: timings.openSeconds + shiftSeconds, remindSeconds: timings.remindSeconds, dueAt: workingDue.toISOString() };
}
