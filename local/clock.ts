/**
 * The local runtime's clock. Wait states, task deadlines and handler time (through Date) all
 * read it, so a 12-week journey can run in minutes (scaled) or instantly (manual, in tests).
 */
export interface Clock {
  now(): number;
  /** Resolves once now() >= at; rejects with the signal's reason when aborted. */
  sleepUntil(at: number, signal?: AbortSignal): Promise<void>;
}

interface Timer {
  at: number;
  resolve: () => void;
}

abstract class TimerClock implements Clock {
  protected timers: Timer[] = [];
  abstract now(): number;

  sleepUntil(at: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (at <= this.now()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer: Timer = {
        at,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.timers = this.timers.filter((t) => t !== timer);
        this.rearm();
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.timers.push(timer);
      this.timers.sort((a, b) => a.at - b.at);
      this.rearm();
    });
  }

  /** The earliest pending timer, for tests that step from one deadline to the next. */
  nextTimerAt(): number | undefined {
    return this.timers[0]?.at;
  }

  protected fireDue(): void {
    const now = this.now();
    while (this.timers[0] && this.timers[0].at <= now) this.timers.shift()!.resolve();
  }

  protected rearm(): void {}
}

/** Time under test control: it moves only when advanced. */
export class ManualClock extends TimerClock {
  private current: number;

  constructor(start: number | Date = Date.UTC(2026, 0, 5, 9, 0, 0)) {
    super();
    this.current = typeof start === 'number' ? start : start.getTime();
  }

  now(): number {
    return this.current;
  }

  /** Moves time forward and releases every timer now due, earliest first. */
  advance(ms: number): void {
    this.set(this.current + ms);
  }

  set(at: number): void {
    if (at < this.current) throw new Error('The clock cannot go backwards');
    this.current = at;
    this.fireDue();
  }
}

/** Longest delay setTimeout honours; longer ones fire at once, so re-arm in steps. */
const MAX_TIMEOUT_MS = 2_147_483_647;

/** Real time, optionally sped up: `speed` simulated milliseconds per real millisecond. */
export class ScaledClock extends TimerClock {
  private readonly realStart = performance.now();
  private handle: NodeJS.Timeout | undefined;

  constructor(
    private readonly start: number,
    readonly speed: number,
  ) {
    super();
    if (!(speed > 0)) throw new Error('Clock speed must be a positive number');
  }

  now(): number {
    return Math.floor(this.start + (performance.now() - this.realStart) * this.speed);
  }

  protected override rearm(): void {
    if (this.handle) clearTimeout(this.handle);
    this.handle = undefined;
    const next = this.timers[0];
    if (!next) return;
    const delay = Math.min(Math.max(0, (next.at - this.now()) / this.speed), MAX_TIMEOUT_MS);
    this.handle = setTimeout(() => {
      this.fireDue();
      this.rearm();
    }, Math.ceil(delay));
    this.handle.unref();
  }
}

const RealDate = globalThis.Date;

/**
 * Makes `Date.now()` and `new Date()` read the clock, so handlers, which only know Date,
 * see the same time as the journeys they serve. Returns a function restoring the real Date.
 */
export function installClockAsDate(clock: Clock): () => void {
  class ClockDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(clock.now());
      else super(...(args as [string | number | Date]));
    }
    static override now(): number {
      return clock.now();
    }
  }
  globalThis.Date = ClockDate as DateConstructor;
  return () => {
    globalThis.Date = RealDate;
  };
}
