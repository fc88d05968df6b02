import type { z } from 'zod';
import { loadArea, type AreaSettings } from '../../areas/index.ts';
import { requiredEnv } from './aws-clients.ts';

/** Edge helpers for the handlers Step Functions invokes. */

/** The workflow sent an input that does not match the handler's schema (permanent). */
export class InvalidInput extends Error {
  override readonly name = 'InvalidInput';
  constructor(fields: readonly string[]) {
    // Field paths only: never the values.
    super(`Invalid input: ${fields.join(', ') || '(root)'}`);
  }
}

export function parseInput<S extends z.ZodType>(schema: S, event: unknown): z.output<S> {
  const parsed = schema.safeParse(event);
  if (!parsed.success) {
    throw new InvalidInput([...new Set(parsed.error.issues.map((issue) => issue.path.join('.')))]);
  }
  return parsed.data;
}

/** The settings of the area this deployment serves (AREA_SLUG), read at first use. */
export function currentArea(): AreaSettings {
  return loadArea(requiredEnv('AREA_SLUG'));
}

/** The calendar date (YYYY-MM-DD) at `now` in the given IANA time zone. */
export function dateInTimeZone(now: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(now);
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}`;
}

/** Whole seconds in a number of hours (rounded up: Step Functions wants integers). */
export function hoursToSeconds(hours: number): number {
  return Math.ceil(hours * 3600);
}
