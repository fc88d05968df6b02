import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listTimeline } from '../../functions/shared/referral-store.ts';
import { ManualClock } from '../../local/clock.ts';
import { type JourneyDriver, type JourneyTestbed, startJourneyTestbed } from '../support/journey.ts';
import type { TestRuntime } from '../support/runtime.ts';

/**
 * Deadlines and the digest on the area's working time (09:00 to 17:00, Monday to Friday, less
 * England and Wales bank holidays), through the synthesized journey on a fixed clock.
 */
let bed: JourneyTestbed;
let rt: TestRuntime;
let j: JourneyDriver;

beforeAll(async () => {
  // Wednesday 23 December 2026, 13:00 in London.
  bed = await startJourneyTestbed(
    'test-working-hours',
    { workingHours: { days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00', bankHolidays: 'england-and-wales' } },
    { clock: new ManualClock(Date.UTC(2026, 11, 23, 13, 0)) },
  );
  ({ rt, j } = bed);
});
afterAll(async () => {
  await bed?.stop();
});

const events = async (referralId: string) => (await listTimeline(referralId)).map((e) => e.event);

describe('working time', () => {
  it('a deadline on a bank holiday moves to the next working morning, and the journey waits until then', async () => {
    const referralId = await j.refer();
    const routine = bed.area.deadlines.firstContactHours.routine;
    const task = (await j.liveTask(referralId, 'first_contact'))!;
    // 120 hours on is 13:00 on Monday 28 December, Boxing Day's substitute: due 09:00 on Tuesday.
    expect(routine).toBe(120);
    expect(task.dueAt).toBe('2026-12-29T09:00:00.000Z');

    // The reminder keeps its lead time before the moved deadline.
    const remindAt = Date.parse(task.dueAt) - bed.area.deadlines.reminderBeforeHours * 3600_000;
    await rt.advance(remindAt - rt.clock.now() - 1000);
    expect(await events(referralId)).not.toContain('task_reminder');
    await rt.advance(1000);
    expect(await events(referralId)).toContain('task_reminder');
    await rt.advance(Date.parse(task.dueAt) - rt.clock.now() - 1000);
    expect((await j.liveTask(referralId, 'first_contact'))?.status).toBe('open');
    expect(await events(referralId)).not.toContain('task_overdue');
    await rt.advance(1000);
    expect((await j.liveTask(referralId, 'first_contact'))?.status).toBe('overdue');
  });

  it('no digest on a bank holiday; the next working morning runs it', async () => {
    await rt.advance(Date.UTC(2027, 0, 1, 7, 30) - rt.clock.now()); // New Year's Day, a Friday
    expect(await rt.scheduler.runDigest()).toMatchObject({ skipped: 'not_a_working_day', queued: 0 });
    await rt.advance(Date.UTC(2027, 0, 4, 7, 30) - rt.clock.now()); // Monday
    const monday = (await rt.scheduler.runDigest()) as { skipped?: string; date: string };
    expect(monday).toMatchObject({ date: '2027-01-04' });
    expect(monday.skipped).toBeUndefined();
  });

  it('a deadline within working hours stays as it is', async () => {
    await rt.advance(Date.UTC(2027, 0, 6, 10, 0) - rt.clock.now()); // Wednesday 10:00
    const referralId = await j.refer();
    expect((await j.liveTask(referralId, 'first_contact'))?.dueAt).toBe('2027-01-11T10:00:00.000Z');
  });
});
