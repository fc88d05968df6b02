import { describe, expect, it } from 'vitest';
import { WorkingHoursSchema } from '../../areas/schema.ts';
import { digestsByAssignee, isWorkingMorning, type DigestTask } from '../../functions/domain/digest.ts';
import { workingCalendar } from '../../functions/domain/working-time.ts';

/** The morning digest on a fixed clock (Wednesday 14 January 2026, 07:30 in London). */
const now = new Date('2026-01-14T07:30:00Z');
const zone = 'Europe/London';
const calendar = workingCalendar({ timeZone: zone, workingHours: WorkingHoursSchema.parse({}) });
const task = (taskId: string, assignee: string | null, dueAt: string, status = 'open'): DigestTask => ({
  taskId,
  referralId: `case-${taskId}`,
  taskType: 'first_contact',
  dueAt,
  status,
  assignee,
});

describe('digest on a fixed clock', () => {
  it('lists overdue first, then due today; later and unassigned tasks are left out', () => {
    const digests = digestsByAssignee(
      [
        task('today-late', 'coach-1', '2026-01-14T16:00:00Z'),
        task('past-due', 'coach-1', '2026-01-13T12:00:00Z'),
        task('marked-overdue', 'coach-1', '2026-01-14T20:00:00Z', 'overdue'),
        task('tomorrow', 'coach-1', '2026-01-15T09:00:00Z'),
        task('nobody', null, '2026-01-14T10:00:00Z'),
        task('done', 'coach-2', '2026-01-14T10:00:00Z', 'completed'),
      ],
      now,
      zone,
    );
    expect(digests.get('coach-1')?.map((e) => [e.taskId, e.overdue])).toEqual([
      ['past-due', true],
      ['marked-overdue', true],
      ['today-late', false],
    ]);
    // Nothing due or overdue: no digest at all.
    expect(digests.has('coach-2')).toBe(false);
  });

  it('goes out on working mornings only', () => {
    expect(isWorkingMorning(now, calendar)).toBe(true);
    expect(isWorkingMorning(new Date('2026-01-17T07:30:00Z'), calendar)).toBe(false); // Saturday
  });

  it('does not go out on bank holidays, substitute days included', () => {
    expect(isWorkingMorning(new Date('2026-12-25T07:30:00Z'), calendar)).toBe(false); // Christmas Day, a Friday
    expect(isWorkingMorning(new Date('2026-12-28T07:30:00Z'), calendar)).toBe(false); // Boxing Day's substitute Monday
    expect(isWorkingMorning(new Date('2026-12-29T07:30:00Z'), calendar)).toBe(true);
    expect(isWorkingMorning(new Date('2026-05-04T06:30:00Z'), calendar)).toBe(false); // Early May bank holiday, 07:30 BST
    expect(isWorkingMorning(new Date('2026-05-05T06:30:00Z'), calendar)).toBe(true);
  });
});
