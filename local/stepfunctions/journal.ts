import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomically } from '../files.ts';

/**
 * The local runtime's durable record of executions: an append-only JSON-lines file written
 * synchronously before anything depends on it, so a killed process (even SIGKILL) loses
 * nothing it had acknowledged. On start the file is folded back into state and compacted.
 * With no path it is memory only (tests that do not restart).
 */
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';

export interface StepRecord {
  outcome: 'ok' | 'error';
  result?: unknown;
  error?: string;
  cause?: string;
}

export interface TokenRecord {
  token: string;
  executionArn: string;
  stepId: string;
  /** Clock time after which the task fails with States.Timeout. */
  dueAt?: number;
  heartbeatSeconds?: number;
  lastHeartbeatAt?: number;
  invoked: boolean;
  result?: StepRecord;
}

export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  /** The definition version it started on (absent in journals written before versions). */
  version?: string;
  /** The alias it was started through, if any. */
  aliasName?: string;
  input: unknown;
  startDate: number;
  status: ExecutionStatus;
  stopDate?: number;
  output?: unknown;
  error?: string;
  cause?: string;
  /** Completed Lambda steps and recorded wait deadlines, by step id, for replay. */
  steps: Record<string, StepRecord>;
  waits: Record<string, number>;
  /** Tokens issued, by step id. */
  tokens: Record<string, string>;
}

/** A definition an execution runs on, kept while any running execution needs it. */
export interface DefinitionRecord {
  id: string;
  recordedAt: number;
  definition: Record<string, unknown>;
}

type Entry =
  | { t: 'definition'; r: DefinitionRecord }
  | { t: 'version'; arn: string; id: string }
  | { t: 'start'; e: Omit<ExecutionRecord, 'steps' | 'waits' | 'tokens'> }
  | { t: 'step'; arn: string; id: string; r: StepRecord }
  | { t: 'wait'; arn: string; id: string; until: number }
  | { t: 'token'; r: TokenRecord }
  | { t: 'token-update'; token: string; r: Partial<TokenRecord> }
  | { t: 'end'; arn: string; e: Pick<ExecutionRecord, 'status' | 'stopDate' | 'output' | 'error' | 'cause'> };

export class Journal {
  readonly executions = new Map<string, ExecutionRecord>();
  readonly tokens = new Map<string, TokenRecord>();
  readonly definitions = new Map<string, DefinitionRecord>();

  constructor(private readonly path?: string) {
    if (!path) return;
    mkdirSync(dirname(path), { recursive: true });
    if (existsSync(path)) this.load(readFileSync(path, 'utf8'));
    this.compact();
  }

  private load(text: string): void {
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      let entry: Entry;
      try {
        entry = JSON.parse(line) as Entry;
      } catch {
        continue; // a line cut short by a kill: nothing after it was acknowledged
      }
      this.apply(entry);
    }
  }

  private apply(entry: Entry): void {
    switch (entry.t) {
      case 'definition':
        this.definitions.set(entry.r.id, entry.r);
        break;
      case 'version': {
        const ex = this.executions.get(entry.arn);
        if (ex) ex.version = entry.id;
        break;
      }
      case 'start':
        this.executions.set(entry.e.executionArn, { ...entry.e, steps: {}, waits: {}, tokens: {} });
        break;
      case 'step': {
        const ex = this.executions.get(entry.arn);
        if (ex) ex.steps[entry.id] = entry.r;
        break;
      }
      case 'wait': {
        const ex = this.executions.get(entry.arn);
        if (ex) ex.waits[entry.id] = entry.until;
        break;
      }
      case 'token': {
        this.tokens.set(entry.r.token, { ...entry.r });
        const ex = this.executions.get(entry.r.executionArn);
        if (ex) ex.tokens[entry.r.stepId] = entry.r.token;
        break;
      }
      case 'token-update': {
        const record = this.tokens.get(entry.token);
        if (record) Object.assign(record, entry.r);
        break;
      }
      case 'end': {
        const ex = this.executions.get(entry.arn);
        if (ex) Object.assign(ex, entry.e);
        break;
      }
    }
  }

  private write(entry: Entry): void {
    this.apply(entry);
    if (this.path) appendFileSync(this.path, `${JSON.stringify(entry)}\n`);
  }

  /**
   * Rewrites the file with only what is still needed: finished executions lose their steps, and
   * definitions no running execution started on are dropped (the runtime records its current one).
   */
  private compact(): void {
    if (!this.path) return;
    const lines: string[] = [];
    const needed = new Set([...this.executions.values()].filter((ex) => ex.status === 'RUNNING').map((ex) => ex.version));
    for (const [id, r] of this.definitions) {
      if (needed.has(id)) lines.push(JSON.stringify({ t: 'definition', r } satisfies Entry));
      else this.definitions.delete(id);
    }
    for (const ex of this.executions.values()) {
      const { steps, waits, tokens, ...summary } = ex;
      lines.push(JSON.stringify({ t: 'start', e: { ...summary, status: 'RUNNING' } } satisfies Entry));
      if (ex.status === 'RUNNING') {
        for (const [id, r] of Object.entries(steps)) lines.push(JSON.stringify({ t: 'step', arn: ex.executionArn, id, r }));
        for (const [id, until] of Object.entries(waits)) lines.push(JSON.stringify({ t: 'wait', arn: ex.executionArn, id, until }));
        for (const token of Object.values(tokens)) {
          const r = this.tokens.get(token);
          if (r) lines.push(JSON.stringify({ t: 'token', r }));
        }
      } else {
        const { status, stopDate, output, error, cause } = ex;
        lines.push(JSON.stringify({ t: 'end', arn: ex.executionArn, e: { status, stopDate, output, error, cause } }));
        for (const token of Object.values(tokens)) this.tokens.delete(token);
        ex.steps = {};
        ex.waits = {};
        ex.tokens = {};
      }
    }
    writeFileAtomically(this.path, lines.length ? `${lines.join('\n')}\n` : '');
  }

  /** Keeps a definition (once) so executions that started on it can be replayed after a restart. */
  recordDefinition(r: DefinitionRecord): void {
    if (!this.definitions.has(r.id)) this.write({ t: 'definition', r });
  }

  /** Records the version of an execution from a journal written before versions (README: upgrades). */
  assignVersion(arn: string, id: string): void {
    this.write({ t: 'version', arn, id });
  }

  startExecution(e: Omit<ExecutionRecord, 'steps' | 'waits' | 'tokens'>): ExecutionRecord {
    this.write({ t: 'start', e });
    return this.executions.get(e.executionArn)!;
  }

  recordStep(arn: string, id: string, r: StepRecord): void {
    this.write({ t: 'step', arn, id, r });
  }

  recordWait(arn: string, id: string, until: number): void {
    this.write({ t: 'wait', arn, id, until });
  }

  issueToken(r: TokenRecord): void {
    this.write({ t: 'token', r });
  }

  updateToken(token: string, r: Partial<TokenRecord>): void {
    this.write({ t: 'token-update', token, r });
  }

  endExecution(arn: string, e: Pick<ExecutionRecord, 'status' | 'stopDate' | 'output' | 'error' | 'cause'>): void {
    this.write({ t: 'end', arn, e });
  }
}
