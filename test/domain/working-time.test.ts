import { describe, expect, it } from 'vitest';
import { WorkingHoursSchema } from '../../areas/schema.ts';
import { workingTaskTimings } from '../../functions/domain/deadlines.ts';
import {
  bankHolidayList,
  bankHolidaysKnownUntil,
  instantOf,
  isWorkingDay,
  nextWorkingMoment,
  workingCalendar,
} from '../../functions/domain/working-time.ts';

const division = 'england-and-wales';
const events = bankHolidayList[division]!.events;
const calendar = workingCalendar({ timeZone: 'Europe/London', workingHours: WorkingHoursSchema.parse({}) });

/** Easter Sunday by the anonymous Gregorian algorithm (Meeus/Jones/Butcher). */
function easterSunday(year: number): string {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return iso(Date.UTC(year, month - 1, day));
}

const iso = (t: number) => new Date(t).toISOString().slice(0, 10);
const plusDays = (date: string, n: number) => iso(Date.parse(date) + n * 86_400_000);
const weekday = (date: string) => new Date(date).getUTCDay(); // 0 Sunday … 6 Saturday
const mondays = (year: number, month: number) =>
  Array.from({ length: 31 }, (_, i) => iso(Date.UTC(year, month - 1, i + 1))).filter(
    (d) => Number(d.slice(5, 7)) === month && weekday(d) === 1,
  );

/** The standing England and Wales rules (no one-off changes fall in the years the list holds). */
function expectedHolidays(year: number): string[] {
  const easter = easterSunday(year);
  // A fixed holiday on a weekend moves to the next weekday not already a holiday.
  const fixed: string[] = [];
  for (const date of [`${year}-01-01`, `${year}-12-25`, `${year}-12-26`]) {
    let day = date;
    while (weekday(day) === 0 || weekday(day) === 6 || fixed.includes(day)) day = plusDays(day, 1);
    fixed.push(day);
  }
  return [
    ...fixed,
    plusDays(easter, -2),
    plusDays(easter, 1),
    mondays(year, 5)[0]!,
    mondays(year, 5).at(-1)!,
    mondays(year, 8).at(-1)!,
  ].sort();
}

describe('the England and Wales bank holiday list', () => {
  it('is in the shape GOV.UK publishes', () => {
    expect(bankHolidayList[division]?.division).toBe(division);
    for (const e of events) {
      expect(Object.keys(e).sort()).toEqual(['bunting', 'date', 'notes', 'title']);
      expect(e.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
  });

  const years = [...new Set(events.map((e) => Number(e.date.slice(0, 4))))];
  it.each(years)('holds every bank holiday of %i, Easter and substitute days computed', (year) => {
    expect(events.filter((e) => e.date.startsWith(`${year}-`)).map((e) => e.date).sort()).toEqual(expectedHolidays(year));
    // A substitute day is marked so, as GOV.UK marks it.
    for (const e of events.filter((x) => x.date.startsWith(`${year}-`))) {
      const onItsOwnDay = (e.title.startsWith('New Year') && e.date.endsWith('-01-01')) ||
        (e.title === 'Christmas Day' && e.date.endsWith('-12-25')) ||
        (e.title === 'Boxing Day' && e.date.endsWith('-12-26'));
      const fixed = /^(New Year|Christmas Day|Boxing Day)/.test(e.title);
      expect(e.notes === 'Substitute day').toBe(fixed && !onItsOwnDay);
    }
  });

  it('knows the published dates of 2026 and 2027', () => {
    const of = (year: string) => events.filter((e) => e.date.startsWith(year)).map((e) => e.date.slice(5));
    expect(of('2026')).toEqual(['01-01', '04-03', '04-06', '05-04', '05-25', '08-31', '12-25', '12-28']);
    expect(of('2027')).toEqual(['01-01', '03-26', '03-29', '05-03', '05-31', '08-30', '12-27', '12-28']);
  });

  it('computes Easter correctly for known years', () => {
    expect(['2024', '2025', '2026', '2027', '2028'].map((y) => easterSunday(Number(y)))).toEqual([
      '2024-03-31', '2025-04-20', '2026-04-05', '2027-03-28', '2028-04-16',
    ]);
  });

  // On the real date, not a test clock: a list about to run out must be refreshed from GOV.UK
  // (areas/bank-holidays/README.md says how).
  it('covers at least the next 6 months', () => {
    const sixMonths = new Date();
    sixMonths.setUTCMonth(sixMonths.getUTCMonth() + 6);
    expect(bankHolidaysKnownUntil(division) >= iso(sixMonths.getTime())).toBe(true);
  });
});

describe('working time on a fixed clock', () => {
  it('is a working day on weekdays that are not bank holidays', () => {
    expect(isWorkingDay(new Date('2026-12-24T12:00:00Z'), calendar)).toBe(true);
    expect(isWorkingDay(new Date('2026-12-26T12:00:00Z'), calendar)).toBe(false); // Saturday
    expect(isWorkingDay(new Date('2026-12-28T12:00:00Z'), calendar)).toBe(false); // substitute day
  });

  it('keeps a moment within working hours', () => {
    const at = new Date('2026-01-14T16:59:00Z');
    expect(nextWorkingMoment(at, calendar)).toEqual(at);
  });

  it('moves an evening deadline to the next working morning', () => {
    expect(nextWorkingMoment(new Date('2026-01-14T17:00:00Z'), calendar).toISOString()).toBe('2026-01-15T09:00:00.000Z');
    expect(nextWorkingMoment(new Date('2026-01-15T06:10:00Z'), calendar).toISOString()).toBe('2026-01-15T09:00:00.000Z');
  });

  it('moves 7 pm on a Sunday to Monday 09:00, in summer time too', () => {
    expect(nextWorkingMoment(new Date('2026-01-18T19:00:00Z'), calendar).toISOString()).toBe('2026-01-19T09:00:00.000Z');
    expect(nextWorkingMoment(new Date('2026-06-14T18:00:00Z'), calendar).toISOString()).toBe('2026-06-15T08:00:00.000Z');
  });

  it('skips bank holidays: Christmas Eve evening moves past Christmas and the substitute day', () => {
    expect(nextWorkingMoment(new Date('2026-12-24T18:00:00Z'), calendar).toISOString()).toBe('2026-12-29T09:00:00.000Z');
    // Good Friday evening before Easter Monday (summer time).
    expect(nextWorkingMoment(new Date('2026-04-02T17:30:00Z'), calendar).toISOString()).toBe('2026-04-07T08:00:00.000Z');
  });

  it('follows the area’s own hours and week', () => {
    const sixDays = workingCalendar({
      timeZone: 'Europe/London',
      workingHours: WorkingHoursSchema.parse({ days: [1, 2, 3, 4, 5, 6], start: '08:30', end: '12:00' }),
    });
    expect(nextWorkingMoment(new Date('2026-01-16T13:00:00Z'), sixDays).toISOString()).toBe('2026-01-17T08:30:00.000Z');
  });

  it('reads local clock times across the change to summer time', () => {
    expect(instantOf('2026-03-29', 9 * 60, 'Europe/London').toISOString()).toBe('2026-03-29T08:00:00.000Z');
    expect(instantOf('2026-03-28', 9 * 60, 'Europe/London').toISOString()).toBe('2026-03-28T09:00:00.000Z');
  });

  it('refuses working hours that end before they start', () => {
    expect(WorkingHoursSchema.safeParse({ start: '17:00', end: '09:00' }).success).toBe(false);
    expect(WorkingHoursSchema.safeParse({ start: '9am' }).success).toBe(false);
  });
});

describe('task timings from the moment a task opens', () => {
  const timings = { openSeconds: 40 * 3600, remindSeconds: 8 * 3600 };

  it('leave a deadline within working hours alone', () => {
    // Monday 10:00 + 48 h: Wednesday 10:00.
    expect(workingTaskTimings(new Date('2026-01-12T10:00:00Z'), timings, calendar)).toEqual({ ...timings, dueAt: '2026-01-14T10:00:00.000Z' });
  });

  it('move a Sunday evening deadline to Monday 09:00, the reminder keeping its lead', () => {
    // Friday 19:00 + 48 h: Sunday 19:00, so Monday 09:00, 14 hours later; the reminder at 01:00.
    const moved = workingTaskTimings(new Date('2026-01-16T19:00:00Z'), timings, calendar);
    expect(moved).toEqual({ openSeconds: (40 + 14) * 3600, remindSeconds: 8 * 3600, dueAt: '2026-01-19T09:00:00.000Z' });
  });
});
