import { existsSync, readFileSync } from 'node:fs';
import { ScaledClock } from './clock.ts';
import { writeFileAtomically } from './files.ts';

/**
 * The local runtime's clock, kept in `<data dir>/clock.json` so a restart carries on at the same
 * time, and so operator commands run against the local data can tell the time it is there:
 * `now` on the runtime's clock, and (while it runs) its speed and the real time of the save.
 */
interface SavedClock {
  readonly now: number;
  readonly speed?: number;
  readonly savedAt?: number;
}

/** Wall-clock milliseconds, whatever Date has been made to read. */
export const realNow = (): number => Math.floor(performance.timeOrigin + performance.now());

/** The runtime saves every second: a save older than this means it is not running. */
const RUNNING_WITHIN_MS = 5000;

export function saveClock(file: string, clock: { now(): number }, speed: number, realNow: number): void {
  writeFileAtomically(file, JSON.stringify({ now: clock.now(), speed, savedAt: realNow } satisfies SavedClock));
}

export function readSavedClock(file: string): SavedClock | undefined {
  if (!existsSync(file)) return undefined;
  const saved = JSON.parse(readFileSync(file, 'utf8')) as Partial<SavedClock>;
  const now = Number(saved.now);
  if (!Number.isFinite(now)) return undefined;
  return { now, ...(typeof saved.speed === 'number' ? { speed: saved.speed } : {}), ...(typeof saved.savedAt === 'number' ? { savedAt: saved.savedAt } : {}) };
}

/**
 * The runtime's time as a clock running from now: while the runtime runs, at its speed from its
 * last save; once stopped, its clock stands still where it stopped (the next start resumes
 * there), so from then on it moves at real speed. Undefined without a clock file.
 */
export function clockFromFile(file: string, realNow: number): ScaledClock | undefined {
  const saved = readSavedClock(file);
  if (!saved) return undefined;
  const running = saved.speed !== undefined && saved.savedAt !== undefined && realNow - saved.savedAt < RUNNING_WITHIN_MS;
  return running ? new ScaledClock(saved.now + Math.max(0, realNow - saved.savedAt!) * saved.speed!, saved.speed!) : new ScaledClock(saved.now, 1);
}
