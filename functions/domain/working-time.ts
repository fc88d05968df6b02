import bankHolidayFile from '../../areas/bank-holidays/bank-holidays.json' with { type: 'json' };
import type { AreaSettings } from '../../areas/schema.ts';

/**
 * Working time, pure: which days are working days (the area's working week, less the bank
 * holidays of its division as GOV.UK publishes them, kept in areas/bank-holidays/), and the
 * next moment within working hours. All in the area's time zone.
 */

/** The shape of GOV.UK's bank-holidays.json (https://www.gov.uk/bank-holidays.json). */
export interface BankHolidayEvent {
  readonly title: string;
  /** YYYY-MM-DD */
  readonly date: string;
  readonly notes: string;
  readonly bunting: boolean;
}
export type BankHolidayList = Readonly<Record<string, { readonly division: string; readonly events: readonly BankHolidayEvent[] }>>;

export const bankHolidayList: BankHolidayList = bankHolidayFile;

export type WorkingHours = AreaSettings['workingHours'];

export interface WorkingCalendar {
  readonly timeZone: string;
  readonly hours: WorkingHours;
  /** Local dates (YYYY-MM-DD) that are not working days whatever the weekday. */
  readonly holidays: ReadonlySet<string>;
}

export function bankHolidayDates(division: string, list: BankHolidayList = bankHolidayList): Set<string> {
  const found = list[division];
  if (!found) throw new Error(`No bank holidays for division ${division}`);
  return new Set(found.events.map((e) => e.date));
}

/** The last date the list covers: after it, bank holidays are unknown. */
export function bankHolidaysKnownUntil(division: string, list: BankHolidayList = bankHolidayList): string {
  return [...bankHolidayDates(division, list)].sort().at(-1) ?? '';
}

export function workingCalendar(area: Pick<AreaSettings, 'timeZone' | 'workingHours'>, list: BankHolidayList = bankHolidayList): WorkingCalendar {
  return { timeZone: area.timeZone, hours: area.workingHours, holidays: bankHolidayDates(area.workingHours.bankHolidays, list) };
}

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

export function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

export function isWorkingDate(date: string, isoWeekday: number, calendar: WorkingCalendar): boolean {
  return calendar.hours.days.includes(isoWeekday) && !calendar.holidays.has(date);
}

export function isWorkingDay(now: Date, calendar: WorkingCalendar): boolean {
  const { date, isoWeekday } = localMoment(now, calendar.timeZone);
  return isWorkingDate(date, isoWeekday, calendar);
}

/** The instant a local date and time (in `timeZone`) names; across a clock change, the later reading. */
export function instantOf(date: string, minutes: number, timeZone: string): Date {
  const [y, mo, d] = date.split('-').map(Number);
  const asUtc = Date.UTC(y!, mo! - 1, d!, Math.floor(minutes / 60), minutes % 60);
  const offsetAt = (t: number) => {
    const m = localMoment(new Date(t), timeZone);
    const [ly, lmo, ld] = m.date.split('-').map(Number);
    return Date.UTC(ly!, lmo! - 1, ld!, Math.floor(m.minutes / 60), m.minutes % 60) - t;
  };
  let at = asUtc - offsetAt(asUtc);
  at = asUtc - offsetAt(at);
  return new Date(at);
}

const addDays = (date: string, days: number) => new Date(Date.parse(`${date}T12:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
const isoWeekdayOf = (date: string) => ((new Date(`${date}T12:00:00Z`).getUTCDay() + 6) % 7) + 1;

/**
 * `at` itself when it falls within working hours of a working day; otherwise the start of the
 * next working day's hours (a deadline of 19:00 on Sunday moves to 09:00 on Monday, or Tuesday
 * after a bank holiday Monday).
 */
export function nextWorkingMoment(at: Date, calendar: WorkingCalendar): Date {
  const { date, isoWeekday, minutes } = localMoment(at, calendar.timeZone);
  const start = minutesOf(calendar.hours.start);
  const end = minutesOf(calendar.hours.end);
  if (isWorkingDate(date, isoWeekday, calendar)) {
    if (minutes >= start && minutes < end) return at;
    if (minutes < start) return instantOf(date, start, calendar.timeZone);
  }
  // A year of days is far more than any run of holidays and weekends; a guard against bad data.
  for (let next = 1; next <= 366; next++) {
    const day = addDays(date, next);
    if (isWorkingDate(day, isoWeekdayOf(day), calendar)) return instantOf(day, start, calendar.timeZone);
  }
  throw new Error('No working day within a year: check the working hours');
}
