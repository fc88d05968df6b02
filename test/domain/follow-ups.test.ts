import { describe, expect, it } from 'vitest';
import { loadArea } from '../../areas/index.ts';
import { journeyDeadlines, taskTimings } from '../../functions/domain/deadlines.ts';
import { afterFollowUp, maxSupportWeeks, newPlan, nextStep } from '../../functions/domain/follow-ups.ts';

const WEEK = 7 * 24 * 3600;
const ncl = loadArea('north-central-london');
const sy = loadArea('south-yorkshire');

describe('follow-up plans', () => {
  it.each([
    ['in work', ncl, 'in_work_struggling', ncl.support.maxWeeksInWork],
    ['out of work', ncl, 'out_of_work', ncl.support.maxWeeksOutOfWork],
    ['in work, another area', sy, 'on_sick_leave', sy.support.maxWeeksInWork],
  ] as const)('the maximum support length follows the area and the work situation (%s)', (_, area, situation, weeks) => {
    expect(maxSupportWeeks(area, situation)).toBe(weeks);
    expect(newPlan(area, situation, {}).supportWeeks).toBe(weeks);
    expect(newPlan(area, situation, { supportWeeks: weeks + 10 }).supportWeeks).toBe(weeks);
  });

  it.each([
    [{ everyWeeks: 2, supportWeeks: 12, done: 0 }, 'follow_up', 2 * WEEK],
    [{ everyWeeks: 2, supportWeeks: 12, done: 4 }, 'follow_up', 2 * WEEK],
    [{ everyWeeks: 2, supportWeeks: 12, done: 5 }, 'outcome', 0],
    [{ everyWeeks: 4, supportWeeks: 4, done: 0 }, 'outcome', 0],
    [{ everyWeeks: 3, supportWeeks: 8, done: 1 }, 'follow_up', 3 * WEEK],
  ] as const)('after %o check-ins the next step is %s', (plan, next, wait) => {
    expect(nextStep(plan)).toEqual({ next, waitSeconds: wait });
  });

  it('early discharge goes to the outcome; an extension adds weeks up to the maximum only', () => {
    const plan = { everyWeeks: 2, supportWeeks: 8, done: 2 };
    expect(afterFollowUp(plan, 'discharge_early', 16).step.next).toBe('outcome');
    expect(afterFollowUp(plan, 'extend', 16, 4).plan).toEqual({ everyWeeks: 2, supportWeeks: 12, done: 3 });
    expect(afterFollowUp(plan, 'extend', 10, 6).plan.supportWeeks).toBe(10);
    expect(afterFollowUp({ ...plan, done: 3 }, 'continue', 16).step.next).toBe('outcome');
  });
});

describe('deadlines', () => {
  it('puts the reminder before the deadline by the area setting, or half-way for short deadlines', () => {
    expect(taskTimings(120, 8)).toEqual({ openSeconds: 112 * 3600, remindSeconds: 8 * 3600 });
    expect(taskTimings(4, 8)).toEqual({ openSeconds: 2 * 3600, remindSeconds: 2 * 3600 });
  });

  it('urgent referrals get the earlier first contact deadline', () => {
    const urgent = journeyDeadlines(sy, 'urgent').tasks.first_contact;
    const routine = journeyDeadlines(sy, 'routine').tasks.first_contact;
    expect(urgent.openSeconds + urgent.remindSeconds).toBe(sy.deadlines.firstContactHours.urgent * 3600);
    expect(routine.openSeconds + routine.remindSeconds).toBe(sy.deadlines.firstContactHours.routine * 3600);
    expect(journeyDeadlines(sy, 'urgent').graceSeconds).toBe(sy.deadlines.escalationGraceHours * 3600);
  });
});
