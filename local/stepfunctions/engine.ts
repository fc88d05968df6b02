import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../clock.ts';
import { SfnApiError, taskError } from './errors.ts';
import { type ExecutionRecord, Journal, type StepRecord, type TokenRecord } from './journal.ts';
import {
  functionNameFromArn,
  type TaskSpec,
  TOKEN_PLACEHOLDER,
  withToken,
  type WrappedInput,
} from './prepare.ts';
import { DefinitionVersions, UnreplayableVersion } from './versions.ts';

/** Runs one Lambda handler; throws an Error whose name is the Lambda error type. */
export type InvokeFunction = (functionName: string, payload: unknown) => Promise<unknown>;

export interface EngineOptions {
  readonly stateMachineArn: string;
  /** The plain ASL document synthesized by CDK: the current version, which new executions start on. */
  readonly definition: Record<string, unknown>;
  /** The alias that always points at the current version (StartExecution through it). */
  readonly aliasName?: string;
  /** Whether this runtime can run a Lambda function (an old definition may call one that is gone). */
  readonly hasFunction?: (functionName: string) => boolean;
  readonly invoke: InvokeFunction;
  readonly clock: Clock;
  /** Journal file; executions survive a restart. Without it, state is memory only. */
  readonly journalPath?: string;
  /** Multiplies Retry intervals (0 in tests; 1/speed with a sped-up clock). Default 1. */
  readonly retryScale?: number;
  readonly log?: (line: string) => void;
}

const MAX_INPUT_BYTES = 256 * 1024;
const NAME_PATTERN = /^[A-Za-z0-9_-]{1,80}$/;

/** An execution that could not be resumed on its version, and why (no personal data). */
export interface HeldExecution {
  readonly name: string;
  readonly version: string | undefined;
  readonly reason: string;
}

export interface ResumeReport {
  readonly resumed: number;
  readonly held: readonly HeldExecution[];
  /** Running executions from a journal without versions, pinned to the current version. */
  readonly migrated: number;
}

interface Run {
  abort: AbortController;
  libraryAbort?: () => void;
  counters: Map<string, number>;
  replaying: boolean;
}

/**
 * A local Step Functions service for one state machine: the synthesized definition runs on
 * aws-local-stepfunctions; this class adds executions by name, the callback pattern with
 * task tokens, time-outs and Wait states on the runtime clock, and replay from the journal so
 * executions continue after a restart. Replay re-runs an execution from its input, answering
 * each step already done from the journal, which is exact because ASL is deterministic given
 * task results (the workflow must not use States.UUID or other random intrinsics).
 */
export class LocalStepFunctions {
  readonly stateMachineArn: string;
  readonly aliasName: string;
  private readonly journal: Journal;
  private readonly definitions: DefinitionVersions;
  private readonly runs = new Map<string, Run>();
  private readonly tokenWaiters = new Map<string, () => void>();
  private readonly completions = new Map<string, Promise<void>>();
  private activity = 0;
  private inflight = 0;
  /** Until when a Retry pause (real time) may still be running. */
  private retryPauseUntil = 0;

  constructor(private readonly opts: EngineOptions) {
    this.stateMachineArn = opts.stateMachineArn;
    this.aliasName = opts.aliasName ?? 'live';
    this.journal = new Journal(opts.journalPath);
    this.definitions = new DefinitionVersions(this.journal, opts.definition, opts.hasFunction ?? (() => true), opts.clock.now());
  }

  /** The version new executions start on. */
  get currentVersion(): string {
    return this.definitions.current;
  }

  /** The ARN of a version, as AWS shows it: the state machine ARN qualified by the version. */
  versionArn(version: string): string {
    return `${this.stateMachineArn}:${version}`;
  }

  get aliasArn(): string {
    return `${this.stateMachineArn}:${this.aliasName}`;
  }

  /** Versions this runtime holds (the current one and those running executions started on), newest first. */
  versions(): { version: string; recordedAt: number }[] {
    return this.definitions.list();
  }

  /** Running executions per version, the current version always listed. */
  runningByVersion(): { version: string; current: boolean; running: number }[] {
    return this.definitions.running();
  }

  /**
   * Continues every execution that was running when the runtime stopped, each on the version it
   * started on. One whose definition is missing or cannot run here is held, never moved onto
   * another version: it stays RUNNING in the journal, and the report says why.
   */
  resume(): ResumeReport {
    let resumed = 0;
    const held: HeldExecution[] = [];
    for (const ex of this.journal.executions.values()) {
      if (ex.status !== 'RUNNING' || this.runs.has(ex.executionArn)) continue;
      try {
        this.definitions.of(ex);
      } catch (error) {
        if (!(error instanceof UnreplayableVersion)) throw error;
        held.push({ name: ex.name, version: ex.version, reason: error.message });
        continue;
      }
      this.run(ex, true);
      resumed++;
    }
    return { resumed, held, migrated: this.definitions.migrated };
  }

  /**
   * Starts an execution on the current version (unqualified ARN or the alias, as `qualifier`) or
   * on a version this runtime holds (its id as `qualifier`).
   */
  startExecution(name: string, input = '{}', qualifier?: string): { executionArn: string; startDate: number } {
    const version = qualifier === undefined || qualifier === this.aliasName ? this.currentVersion : qualifier;
    if (!this.definitions.has(version)) {
      throw new SfnApiError('StateMachineDoesNotExist', `State machine does not exist: '${this.stateMachineArn}:${qualifier}'`);
    }
    if (!NAME_PATTERN.test(name)) throw new SfnApiError('InvalidName', 'Invalid execution name');
    if (Buffer.byteLength(input) > MAX_INPUT_BYTES) {
      throw new SfnApiError('InvalidExecutionInput', 'Input exceeds 256 KiB');
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(input);
    } catch {
      throw new SfnApiError('InvalidExecutionInput', 'Input is not valid JSON');
    }
    const executionArn = this.executionArn(name);
    const existing = this.journal.executions.get(executionArn);
    if (existing) {
      // Standard workflows: the same name and input while open returns the original execution.
      if (existing.status === 'RUNNING' && JSON.stringify(existing.input) === JSON.stringify(parsed)) {
        return { executionArn, startDate: existing.startDate };
      }
      throw new SfnApiError('ExecutionAlreadyExists', `Execution already exists: '${executionArn}'`);
    }
    const ex = this.journal.startExecution({
      executionArn,
      stateMachineArn: this.stateMachineArn,
      name,
      version,
      ...(qualifier === this.aliasName ? { aliasName: qualifier } : {}),
      input: parsed,
      startDate: this.opts.clock.now(),
      status: 'RUNNING',
    });
    this.touch();
    this.run(ex, false);
    return { executionArn, startDate: ex.startDate };
  }

  describeExecution(executionArn: string): ExecutionRecord {
    const ex = this.journal.executions.get(executionArn);
    if (!ex) throw new SfnApiError('ExecutionDoesNotExist', `Execution does not exist: '${executionArn}'`);
    return ex;
  }

  /** Newest first; with `qualifier`, only those started on that version or through that alias. */
  listExecutions(status?: ExecutionRecord['status'], qualifier?: string): ExecutionRecord[] {
    return [...this.journal.executions.values()]
      .filter((ex) => !status || ex.status === status)
      .filter((ex) => qualifier === undefined || (qualifier === this.aliasName ? ex.aliasName === qualifier : ex.version === qualifier))
      .sort((a, b) => b.startDate - a.startDate);
  }

  sendTaskSuccess(token: string, output: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(output);
    } catch {
      throw new SfnApiError('InvalidOutput', 'Output is not valid JSON');
    }
    this.settleToken(token, { outcome: 'ok', result: parsed });
  }

  sendTaskFailure(token: string, error = '', cause = ''): void {
    this.settleToken(token, { outcome: 'error', error, cause });
  }

  sendTaskHeartbeat(token: string): void {
    const record = this.openToken(token);
    this.journal.updateToken(token, { lastHeartbeatAt: this.opts.clock.now() });
    this.wake(record.token);
  }

  stopExecution(executionArn: string, error?: string, cause?: string): { stopDate: number } {
    const ex = this.describeExecution(executionArn);
    const stopDate = this.opts.clock.now();
    if (ex.status !== 'RUNNING') return { stopDate: ex.stopDate ?? stopDate };
    this.journal.endExecution(executionArn, { status: 'ABORTED', stopDate, error, cause });
    const run = this.runs.get(executionArn);
    run?.abort.abort(new Error('Execution stopped'));
    run?.libraryAbort?.();
    this.log(`${ex.name} stopped`);
    return { stopDate };
  }

  /** Resolves when the execution has ended (for tests and tools). */
  async whenEnded(executionArn: string): Promise<ExecutionRecord> {
    await this.completions.get(executionArn);
    return this.describeExecution(executionArn);
  }

  /**
   * Resolves once nothing is running: every execution has ended or waits on a person or the
   * clock. Tests call it after each action instead of sleeping.
   */
  async idle(): Promise<void> {
    for (let quiet = 0; quiet < 3; ) {
      const before = this.activity;
      await new Promise((resolve) => setTimeout(resolve, 5));
      const pausing = performance.now() < this.retryPauseUntil;
      quiet = this.inflight === 0 && before === this.activity && !pausing ? quiet + 1 : 0;
    }
  }

  /** Stops every run without recording anything, as a crash would. */
  close(): void {
    for (const run of this.runs.values()) {
      run.abort.abort(new Error('Runtime closing'));
      run.libraryAbort?.();
    }
    this.runs.clear();
  }

  private executionArn(name: string): string {
    return `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  }

  private touch(): void {
    this.activity++;
  }

  private log(line: string): void {
    this.opts.log?.(line);
  }

  private run(ex: ExecutionRecord, replaying: boolean): void {
    const { prepared, machine } = this.definitions.of(ex);
    const run: Run = { abort: new AbortController(), counters: new Map(), replaying };
    this.runs.set(ex.executionArn, run);
    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const spec of prepared.tasks.values()) {
      handlers[spec.stateName] = (input) => this.runTask(ex, run, spec, input as WrappedInput);
    }
    const scale = this.opts.retryScale ?? 1;
    const retryIntervalOverrides: Record<string, number[]> = {};
    if (scale !== 1) {
      for (const { name, intervalsSeconds } of prepared.retryableStates) {
        retryIntervalOverrides[name] = intervalsSeconds.map((seconds) => Math.round(seconds * 1000 * scale));
      }
    }
    const smName = this.stateMachineArn.split(':').pop();
    const execution = machine.run(ex.input as never, {
      overrides: { taskResourceLocalHandlers: handlers as never, retryIntervalOverrides },
      noThrowOnAbort: true,
      context: {
        Execution: { Id: ex.executionArn, Name: ex.name, StartTime: new Date(ex.startDate).toISOString() },
        StateMachine: { Id: ex.version ? this.versionArn(ex.version) : this.stateMachineArn, Name: smName },
        Task: { Token: TOKEN_PLACEHOLDER },
      },
    });
    run.libraryAbort = execution.abort;
    if (!replaying) this.log(`${ex.name} started`);
    else this.log(`${ex.name} resumed after restart`);
    void this.logEvents(ex, run, execution.eventLogs);
    const done = execution.result.then(
      (output) => this.finish(ex, run, { status: 'SUCCEEDED', output }),
      (error: unknown) => {
        const cause = (error as { cause?: Error }).cause ?? (error as Error);
        this.finish(ex, run, { status: 'FAILED', error: cause.name, cause: cause.message });
      },
    );
    this.completions.set(ex.executionArn, done);
  }

  private finish(ex: ExecutionRecord, run: Run, end: Pick<ExecutionRecord, 'status' | 'output' | 'error' | 'cause'>): void {
    if (this.runs.get(ex.executionArn) !== run) return; // closed or superseded
    this.runs.delete(ex.executionArn);
    if (ex.status !== 'RUNNING') return; // already stopped
    this.journal.endExecution(ex.executionArn, { ...end, stopDate: this.opts.clock.now() });
    this.touch();
    this.log(`${ex.name} ${end.status.toLowerCase()}${end.error ? ` (${end.error})` : ''}`);
  }

  private async logEvents(ex: ExecutionRecord, run: Run, events: AsyncGenerator<any>): Promise<void> {
    for await (const event of events) {
      if (run.abort.signal.aborted) continue;
      this.touch();
      if (event.type === 'StateEntered' && !run.replaying) {
        this.log(`${ex.name} ${event.state.name}`);
      } else if (event.type === 'StateRetried') {
        // The library now pauses in real time before the retry: nothing is idle until it ends.
        const pauseMs = (event.retry.retrier.IntervalSeconds ?? 1) * 1000 * (this.opts.retryScale ?? 1);
        this.retryPauseUntil = Math.max(this.retryPauseUntil, performance.now() + pauseMs + 20);
        this.log(`${ex.name} ${event.state.name} retry ${event.retry.attempt}`);
      } else if (event.type === 'StateCaught') {
        this.log(`${ex.name} ${event.state.name} caught ${event.catch.catcher.ErrorEquals.join(',')} -> ${event.catch.catcher.Next}`);
      }
    }
  }

  /** Step ids name a step by state, input and occurrence, so replay finds the same step. */
  private stepId(run: Run, stateName: string, input: unknown): string {
    const hash = createHash('sha256').update(JSON.stringify(input)).digest('base64url').slice(0, 16);
    const key = `${stateName}#${hash}`;
    const n = run.counters.get(key) ?? 0;
    run.counters.set(key, n + 1);
    return `${key}#${n}`;
  }

  private async runTask(ex: ExecutionRecord, run: Run, spec: TaskSpec, wrapped: WrappedInput): Promise<unknown> {
    const id = this.stepId(run, spec.stateName, wrapped);
    this.touch();
    switch (spec.kind) {
      case 'wait':
        return this.runWait(ex, run, id, wrapped);
      case 'callback':
        return this.runCallback(ex, run, id, wrapped);
      case 'lambda':
        return this.runLambda(ex, run, id, spec.functionName!, wrapped.payload, wrapped.timeoutSeconds);
      case 'lambda-invoke': {
        const { FunctionName, Payload } = wrapped.payload as { FunctionName: string; Payload: unknown };
        const result = await this.runLambda(ex, run, id, lambdaName(FunctionName), Payload, wrapped.timeoutSeconds);
        return { Payload: result, StatusCode: 200, ExecutedVersion: '$LATEST' };
      }
    }
  }

  private replayed(run: Run, record: StepRecord): unknown {
    if (record.outcome === 'ok') return record.result;
    throw taskError(record.error ?? 'States.TaskFailed', record.cause ?? '');
  }

  private async runLambda(
    ex: ExecutionRecord,
    run: Run,
    id: string,
    functionName: string,
    payload: unknown,
    timeoutSeconds?: number,
  ): Promise<unknown> {
    const recorded = ex.steps[id];
    if (recorded) return this.replayed(run, recorded);
    run.replaying = false;
    const record = await this.invokeRecorded(functionName, payload, run.abort.signal, timeoutSeconds);
    if (run.abort.signal.aborted) throw run.abort.signal.reason;
    this.journal.recordStep(ex.executionArn, id, record);
    return this.replayed(run, record);
  }

  private async invokeRecorded(
    functionName: string,
    payload: unknown,
    signal: AbortSignal,
    timeoutSeconds?: number,
  ): Promise<StepRecord> {
    this.inflight++;
    const stopTimer = new AbortController();
    try {
      const invocation = this.opts.invoke(functionName, payload);
      const racers: Promise<unknown>[] = [invocation];
      if (timeoutSeconds) {
        const deadline = this.opts.clock.now() + timeoutSeconds * 1000;
        racers.push(
          this.opts.clock.sleepUntil(deadline, AbortSignal.any([signal, stopTimer.signal])).then(() => {
            throw taskError('States.Timeout', 'Task timed out');
          }),
        );
      }
      const result = await Promise.race(racers);
      return { outcome: 'ok', result: result === undefined ? null : result };
    } catch (error) {
      const e = error as Error;
      const name = e?.name && e.name !== 'Error' ? e.name : 'Error';
      return {
        outcome: 'error',
        error: name,
        cause: name === 'States.Timeout' ? e.message : JSON.stringify({ errorType: name, errorMessage: e?.message ?? '' }),
      };
    } finally {
      stopTimer.abort();
      this.inflight--;
      this.touch();
    }
  }

  private async runWait(ex: ExecutionRecord, run: Run, id: string, wrapped: WrappedInput): Promise<unknown> {
    let until = ex.waits[id];
    if (until === undefined) {
      run.replaying = false;
      until =
        wrapped.waitTimestamp !== undefined
          ? Date.parse(wrapped.waitTimestamp)
          : this.opts.clock.now() + (wrapped.waitSeconds ?? 0) * 1000;
      this.journal.recordWait(ex.executionArn, id, until);
    }
    await this.opts.clock.sleepUntil(until, run.abort.signal);
    return wrapped.payload;
  }

  private async runCallback(ex: ExecutionRecord, run: Run, id: string, wrapped: WrappedInput): Promise<unknown> {
    const clock = this.opts.clock;
    let token = ex.tokens[id];
    if (!token) {
      run.replaying = false;
      token = randomBytes(48).toString('base64url');
      const now = clock.now();
      this.journal.issueToken({
        token,
        executionArn: ex.executionArn,
        stepId: id,
        dueAt: wrapped.timeoutSeconds ? now + wrapped.timeoutSeconds * 1000 : undefined,
        heartbeatSeconds: wrapped.heartbeatSeconds,
        lastHeartbeatAt: now,
        invoked: false,
      });
    }
    const record = this.journal.tokens.get(token)!;
    if (!record.result && !record.invoked) {
      run.replaying = false;
      const { FunctionName, Payload } = wrapped.payload as { FunctionName: string; Payload: unknown };
      const invoked = await this.invokeRecorded(lambdaName(FunctionName), withToken(Payload, token), run.abort.signal);
      if (run.abort.signal.aborted) throw run.abort.signal.reason;
      if (invoked.outcome === 'error') {
        if (!record.result) this.journal.updateToken(token, { result: invoked });
      } else {
        this.journal.updateToken(token, { invoked: true });
      }
    }
    return this.awaitToken(record, run);
  }

  private async awaitToken(record: TokenRecord, run: Run): Promise<unknown> {
    const clock = this.opts.clock;
    while (!record.result) {
      const heartbeatDue =
        record.heartbeatSeconds && record.lastHeartbeatAt !== undefined
          ? record.lastHeartbeatAt + record.heartbeatSeconds * 1000
          : undefined;
      const deadlines = [record.dueAt, heartbeatDue].filter((d): d is number => d !== undefined);
      const deadline = deadlines.length ? Math.min(...deadlines) : undefined;
      if (deadline !== undefined && clock.now() >= deadline) {
        const error = deadline === record.dueAt ? 'States.Timeout' : 'States.HeartbeatTimeout';
        this.journal.updateToken(record.token, { result: { outcome: 'error', error, cause: 'Task timed out' } });
        this.touch();
        break;
      }
      const stop = new AbortController();
      const signal = AbortSignal.any([run.abort.signal, stop.signal]);
      const woken = new Promise<void>((resolve) => this.tokenWaiters.set(record.token, resolve));
      const timer = deadline === undefined ? new Promise<never>(() => {}) : clock.sleepUntil(deadline, signal);
      // The listener goes with `stop`, so a finished wait leaves no rejection behind.
      const aborted = new Promise<never>((_, reject) => {
        if (run.abort.signal.aborted) return reject(run.abort.signal.reason);
        run.abort.signal.addEventListener('abort', () => reject(run.abort.signal.reason), {
          once: true,
          signal: stop.signal,
        });
      });
      try {
        await Promise.race([woken, timer.catch(() => {}), aborted]);
      } finally {
        stop.abort();
        this.tokenWaiters.delete(record.token);
      }
    }
    return this.replayed(run, record.result!);
  }

  private openToken(token: string): TokenRecord {
    if (typeof token !== 'string' || token.length < 1 || token.length > 2048) {
      throw new SfnApiError('InvalidToken', 'Invalid token');
    }
    const record = this.journal.tokens.get(token);
    if (!record) throw new SfnApiError('TaskDoesNotExist', 'Task does not exist');
    const ex = this.journal.executions.get(record.executionArn);
    if (record.result || !ex || ex.status !== 'RUNNING') throw new SfnApiError('TaskTimedOut', 'Task Timed Out');
    return record;
  }

  private settleToken(token: string, result: StepRecord): void {
    this.openToken(token);
    this.journal.updateToken(token, { result });
    this.touch();
    this.wake(token);
  }

  private wake(token: string): void {
    this.tokenWaiters.get(token)?.();
  }
}

/** Lambda integrations name a function by ARN or by plain name. */
function lambdaName(functionName: string): string {
  return functionName.startsWith('arn:') ? functionNameFromArn(functionName) : functionName;
}
