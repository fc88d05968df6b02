import type { DateValue } from './components.ts';

/**
 * A GOV.UK date input (day, month, year typed separately) read into an ISO date, with the
 * design system's error messages: what is missing, not a real date, not in the past.
 */
export type DateCheck = { readonly ok: true; readonly iso: string } | { readonly ok: false; readonly message: string };

export function readDate(value: DateValue | undefined, what: string, today: string): DateCheck {
  const day = value?.day?.trim() ?? '';
  const month = value?.month?.trim() ?? '';
  const year = value?.year?.trim() ?? '';
  if (!day && !month && !year) return { ok: false, message: `Enter ${what.toLowerCase()}` };
  const missing = [!day && 'a day', !month && 'a month', !year && 'a year'].filter(Boolean) as string[];
  if (missing.length) return { ok: false, message: `${what} must include ${missing.join(' and ')}` };
  if (!/^\d{1,2}$/.test(day) || !/^\d{1,2}$/.test(month) || !/^\d{4}$/.test(year)) {
    return { ok: false, message: `${what} must be a real date` };
  }
  const [d, m, y] = [Number(day), Number(month), Number(year)];
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) {
    return { ok: false, message: `${what} must be a real date` };
  }
  const iso = `${year}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
  if (iso > today) return { ok: false, message: `${what} must be today or in the past` };
  if (y < 1900) return { ok: false, message: `${what} must be after 1900` };
  return { ok: true, iso };
}

/** The date as people read it: 3 March 1990. */
export function formatDate(iso: string): string {
  const [y, m, d] = iso.slice(0, 10).split('-').map(Number);
  return new Date(Date.UTC(y!, m! - 1, d!)).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
}

/** A date and time as people read it, in the area's time zone: 5 January 2026 at 9:00am. */
export function formatDateTime(iso: string, timeZone: string): string {
  const at = new Date(iso);
  const date = at.toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone });
  const time = at.toLocaleTimeString('en-GB', { hour: 'numeric', minute: '2-digit', hour12: true, timeZone }).replace(' ', '').toLowerCase();
  return `${date} at ${time}`;
}
