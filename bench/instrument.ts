import type { Runtime } from '../local/runtime.ts';
import { dynamo } from '../functions/shared/aws-clients.ts';

/**
 * Counters attached from bench code only, nothing in the project changed:
 * - state transitions: the runtime's `log` callback gets one line per StateEntered event
 *   (`<iso> journey <execution name> <state name>`), so lines are counted per execution name;
 * - Lambda invocations and their duration: `runtime.functions.invoke` is wrapped on the instance
 *   (the engine, the gateway and the scheduler all call it);
 * - DynamoDB capacity: a middleware on the handlers' shared document client asks for
 *   ReturnConsumedCapacity=TOTAL and adds up what DynamoDB Local reports.
 */
const NOT_STATES = new Set(['started', 'resumed after restart', 'stopped', 'succeeded', 'aborted', 'timed_out', 'failed']);

export class Transitions {
  readonly perExecution = new Map<string, number>();

  readonly log = (line: string): void => {
    const parts = line.split(' ');
    if (parts[1] !== 'journey' || parts.length < 4) return;
    const name = parts[2]!;
    const rest = parts.slice(3).join(' ');
    if (NOT_STATES.has(rest) || rest.startsWith('failed (') || / retry \d+$/.test(rest) || rest.includes(' caught ')) return;
    this.perExecution.set(name, (this.perExecution.get(name) ?? 0) + 1);
  };

  sum(names: readonly string[]): number {
    return names.reduce((total, n) => total + (this.perExecution.get(n) ?? 0), 0);
  }
}

export class Invocations {
  counts = new Map<string, number>();
  gbSeconds = 0;

  constructor(runtime: Runtime) {
    const functions = runtime.functions;
    const original = functions.invoke.bind(functions);
    functions.invoke = async (name: string, event: unknown) => {
      const def = functions.definition(name);
      this.counts.set(def.name, (this.counts.get(def.name) ?? 0) + 1);
      const memoryMb = def.memoryMb;
      const t0 = performance.now();
      try {
        return await original(name, event);
      } finally {
        // Lambda bills duration rounded up to the millisecond.
        this.gbSeconds += (Math.ceil(performance.now() - t0) / 1000) * (memoryMb / 1024);
      }
    };
  }

  reset(): void {
    this.counts = new Map();
    this.gbSeconds = 0;
  }

  total(): number {
    return [...this.counts.values()].reduce((a, b) => a + b, 0);
  }

  byFunction(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort((a, b) => b[1] - a[1]));
  }
}

const WRITE = /^(Put|Update|Delete|BatchWrite|TransactWrite)(Item|Items)?Command$/;
const CAPACITY = /^(Put|Get|Update|Delete|Query|Scan|BatchGet|BatchWrite|TransactWrite|TransactGet)(Item|Items)?Command$/;

export class Capacity {
  enabled = false;
  wcu = 0;
  rcu = 0;
  writeCalls = 0;
  readCalls = 0;
  /** Calls whose answer carried no ConsumedCapacity (then the figures are estimates). */
  unreported = 0;

  constructor() {
    dynamo().middlewareStack.add(
      (next, context) => async (args) => {
        const command = context.commandName ?? '';
        if (!this.enabled || !CAPACITY.test(command)) return next(args);
        const input = args.input as Record<string, unknown>;
        input.ReturnConsumedCapacity = 'TOTAL';
        const isWrite = WRITE.test(command);
        if (isWrite) this.writeCalls++;
        else this.readCalls++;
        const result = await next(args);
        const consumed = (result.output as { ConsumedCapacity?: unknown }).ConsumedCapacity;
        const list = (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) as { CapacityUnits?: number }[];
        const units = list.reduce((a, c) => a + (c.CapacityUnits ?? 0), 0);
        if (!list.length) this.unreported++;
        if (isWrite) this.wcu += units;
        else this.rcu += units;
        return result;
      },
      { step: 'initialize', name: 'benchConsumedCapacity', priority: 'high' },
    );
  }

  reset(): void {
    this.wcu = this.rcu = this.writeCalls = this.readCalls = this.unreported = 0;
  }
}
