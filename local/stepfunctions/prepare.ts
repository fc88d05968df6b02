/**
 * Adapts a synthesized (plain) ASL document for aws-local-stepfunctions, adding what it lacks
 * (see shared platform notes): every Task is run by a local override, Task time-outs and Wait
 * states are moved onto the runtime's clock, and the values they need are computed by the
 * library itself from the state input by wrapping them into Parameters.
 */
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type StateDef = Record<string, any>;

export const TOKEN_PLACEHOLDER = '__local_task_token__';

/** Far below setTimeout's limit (24.8 days) so the library's own timer never fires early. */
const LIBRARY_TIMEOUT_SECONDS = 2_000_000;

export type TaskKind = 'lambda' | 'lambda-invoke' | 'callback' | 'wait';

export interface TaskSpec {
  readonly stateName: string;
  readonly kind: TaskKind;
  /** Lambda function name for direct function ARNs; integrations carry it in FunctionName. */
  readonly functionName?: string;
}

/** What a local override receives: the original effective input plus clock settings. */
export interface WrappedInput {
  payload: Json;
  timeoutSeconds?: number;
  heartbeatSeconds?: number;
  waitSeconds?: number;
  waitTimestamp?: string;
}

export interface RetryableState {
  readonly name: string;
  readonly intervalsSeconds: readonly number[];
}

export interface PreparedDefinition {
  readonly definition: StateDef;
  readonly tasks: ReadonlyMap<string, TaskSpec>;
  /** States with Retry, and each retrier's IntervalSeconds, for scaled retry pauses. */
  readonly retryableStates: readonly RetryableState[];
}

export function functionNameFromArn(arn: string): string {
  const match = /^arn:[^:]+:lambda:[^:]*:[^:]*:function:([^:]+)(?::[^:]+)?$/.exec(arn);
  if (!match) throw new Error(`Not a Lambda function ARN: ${arn}`);
  return match[1]!;
}

function taskKind(resource: string): Omit<TaskSpec, 'stateName'> {
  if (resource.includes(':lambda:') && resource.includes(':function:')) {
    return { kind: 'lambda', functionName: functionNameFromArn(resource) };
  }
  if (/^arn:[^:]+:states:::lambda:invoke$/.test(resource)) return { kind: 'lambda-invoke' };
  if (/^arn:[^:]+:states:::lambda:invoke\.waitForTaskToken$/.test(resource)) return { kind: 'callback' };
  throw new Error(`The local runtime cannot run Task resource ${resource}`);
}

/** Puts a value or a path reference into a Parameters template. */
function field(template: Record<string, Json>, key: string, value: unknown, path: unknown): void {
  if (value !== undefined) template[key] = value as Json;
  else if (typeof path === 'string') template[`${key}.$`] = path;
}

function prepareTask(name: string, state: StateDef, tasks: Map<string, TaskSpec>): StateDef {
  tasks.set(name, { stateName: name, ...taskKind(state.Resource) });
  const {
    TimeoutSeconds,
    TimeoutSecondsPath,
    HeartbeatSeconds,
    HeartbeatSecondsPath,
    Parameters,
    ...rest
  } = state;
  const wrapped: Record<string, Json> = {};
  if (Parameters !== undefined) wrapped.payload = Parameters;
  else wrapped['payload.$'] = '$';
  field(wrapped, 'timeoutSeconds', TimeoutSeconds, TimeoutSecondsPath);
  field(wrapped, 'heartbeatSeconds', HeartbeatSeconds, HeartbeatSecondsPath);
  return { ...rest, Parameters: wrapped, TimeoutSeconds: LIBRARY_TIMEOUT_SECONDS };
}

/** A Wait becomes a Task run by the clock: same InputPath/OutputPath, output = its input. */
function prepareWait(name: string, state: StateDef, tasks: Map<string, TaskSpec>): StateDef {
  tasks.set(name, { stateName: name, kind: 'wait' });
  const { Seconds, SecondsPath, Timestamp, TimestampPath, Type: _type, ...rest } = state;
  const wrapped: Record<string, Json> = { 'payload.$': '$' };
  field(wrapped, 'waitSeconds', Seconds, SecondsPath);
  field(wrapped, 'waitTimestamp', Timestamp, TimestampPath);
  return {
    ...rest,
    Type: 'Task',
    Resource: 'arn:aws:states:::local:wait',
    Parameters: wrapped,
    TimeoutSeconds: LIBRARY_TIMEOUT_SECONDS,
  };
}

function prepareStates(
  states: Record<string, StateDef>,
  tasks: Map<string, TaskSpec>,
  retryable: RetryableState[],
): Record<string, StateDef> {
  const out: Record<string, StateDef> = {};
  for (const [name, state] of Object.entries(states)) {
    let prepared: StateDef = state;
    if (state.Type === 'Task') prepared = prepareTask(name, state, tasks);
    else if (state.Type === 'Wait') prepared = prepareWait(name, state, tasks);
    else if (state.Type === 'Parallel') {
      prepared = {
        ...state,
        Branches: state.Branches.map((b: StateDef) => ({
          ...b,
          States: prepareStates(b.States, tasks, retryable),
        })),
      };
    } else if (state.Type === 'Map') {
      const key = state.ItemProcessor ? 'ItemProcessor' : 'Iterator';
      const processor = state[key];
      if (processor.ProcessorConfig?.Mode === 'DISTRIBUTED') {
        throw new Error(`The local runtime cannot run the distributed Map ${name}`);
      }
      prepared = { ...state, [key]: { ...processor, States: prepareStates(processor.States, tasks, retryable) } };
    }
    if (Array.isArray(prepared.Retry)) {
      // ASL's default interval is one second.
      retryable.push({ name, intervalsSeconds: prepared.Retry.map((r: StateDef) => r.IntervalSeconds ?? 1) });
    }
    out[name] = prepared;
  }
  return out;
}

export function prepareDefinition(definition: StateDef): PreparedDefinition {
  if (definition.QueryLanguage === 'JSONata') {
    throw new Error('The local runtime runs JSONPath state machines only');
  }
  const tasks = new Map<string, TaskSpec>();
  const retryableStates: RetryableState[] = [];
  const { TimeoutSeconds: _executionTimeout, ...top } = definition;
  return {
    definition: { ...top, States: prepareStates(definition.States, tasks, retryableStates) },
    tasks,
    retryableStates,
  };
}

/** Replaces the task token placeholder anywhere in a payload. */
export function withToken<T>(value: T, token: string): T {
  if (value === TOKEN_PLACEHOLDER) return token as T;
  if (Array.isArray(value)) return value.map((v) => withToken(v, token)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withToken(v, token)])) as T;
  }
  return value;
}
