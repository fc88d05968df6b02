import { lambdaName } from '../functions/catalogue.ts';
import { isWorkingMorning, localMoment } from '../functions/domain/digest.ts';
import type { WorkingCalendar } from '../functions/domain/working-time.ts';
import type { Clock } from './clock.ts';
import type { LocalFunctions } from './functions.ts';

/**
 * The local stand-in for the area's EventBridge schedules (infra/area-stack.ts): `notifier`
 * every (simulated) minute and `daily-digest` each working morning at 07:30 in the area's time
 * zone, invoked through LocalFunctions like any catalogue function. It polls the clock in
 * real time and sets no timers on it, so the journey engine's idle() and the clock's
 * nextTimerAt() are unaffected. Runs of one function never overlap; tests may call
 * runNotifier() / runDigest() themselves (each waits for a run in progress, then runs), or
 * pause the automatic runs.
 */
export interface LocalSchedulerOptions {
  readonly areaSlug: string;
  /** The area's working days (its week less bank holidays): the digest goes out on these. */
  readonly calendar: WorkingCalendar;
  readonly clock: Clock;
  readonly functions: LocalFunctions;
  /** Real milliseconds between looks at the clock (default 200). */
  readonly pollMs?: number;
  /** Start with automatic runs on (default true). */
  readonly auto?: boolean;
  readonly log?: (line: string) => void;
}

export class LocalScheduler {
  private timer: NodeJS.Timeout | undefined;
  private auto: boolean;
  private lastMinute: number;
  private lastDigestDate: string | undefined;
  private readonly chains = new Map<string, Promise<unknown>>();

  constructor(private readonly opts: LocalSchedulerOptions) {
    this.auto = opts.auto ?? true;
    this.lastMinute = Math.floor(opts.clock.now() / 60_000);
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.opts.pollMs ?? 200);
    this.timer.unref();
  }

  /** Automatic runs on or off; explicit runs always work. */
  setAuto(on: boolean): void {
    this.auto = on;
  }

  /** Runs the notifier once (after any run in progress) and returns its result. */
  runNotifier(): Promise<unknown> {
    return this.run('notifier', {});
  }

  /** Runs the daily digest once (after any run in progress); `force` ignores weekends. */
  runDigest(options: { force?: boolean } = {}): Promise<unknown> {
    return this.run('daily-digest', options.force ? { force: true } : {});
  }

  /** Stops automatic runs and waits for those in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.auto = false;
    await Promise.allSettled([...this.chains.values()]);
  }

  private run(name: 'notifier' | 'daily-digest', event: unknown): Promise<unknown> {
    const previous = this.chains.get(name) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.opts.functions.invoke(lambdaName(this.opts.areaSlug, name), event));
    this.chains.set(name, next.catch(() => undefined));
    return next;
  }

  private tick(): void {
    if (!this.auto) return;
    const now = this.opts.clock.now();
    const minute = Math.floor(now / 60_000);
    const log = (name: string) => (error: unknown) =>
      this.opts.log?.(`scheduler ${name} failed: ${error instanceof Error ? error.name : 'Error'}`);
    const date = new Date(now);
    const { date: localDate } = localMoment(date, this.opts.calendar.timeZone);
    if (this.lastDigestDate !== localDate && isWorkingMorning(date, this.opts.calendar)) {
      this.lastDigestDate = localDate;
      // The digest's ids make a repeat the same day a no-op, so a restart may safely run it again.
      void this.runDigest()
        .then(() => this.runNotifier())
        .catch(log('daily-digest'));
    }
    if (minute !== this.lastMinute) {
      this.lastMinute = minute;
      void this.runNotifier().catch(log('notifier'));
    }
  }
}
