import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LocalStepFunctions } from './engine.ts';
import { SfnApiError } from './errors.ts';
import type { ExecutionRecord } from './journal.ts';

/**
 * The Step Functions API (AWS JSON 1.0 protocol) for the calls handlers and tools make, so
 * they use the real @aws-sdk/client-sfn pointed at AWS_ENDPOINT_URL_SFN.
 */
const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);

/** As AWS lists an execution: with the version it runs on and the alias it was started through. */
function summary(engine: LocalStepFunctions, ex: ExecutionRecord) {
  return {
    executionArn: ex.executionArn,
    stateMachineArn: ex.stateMachineArn,
    name: ex.name,
    status: ex.status,
    startDate: seconds(ex.startDate),
    stopDate: seconds(ex.stopDate),
    stateMachineVersionArn: ex.version ? engine.versionArn(ex.version) : undefined,
    stateMachineAliasArn: ex.aliasName ? engine.aliasArn : undefined,
  };
}

/** `...:stateMachine:<name>:<qualifier>`: a version or alias; undefined for the state machine itself. */
function qualifierOf(arn: unknown): string | undefined {
  return String(arn ?? '').split(':')[7];
}

type Operation = (engine: LocalStepFunctions, body: Record<string, any>) => unknown;

const operations: Record<string, { arnField?: string; run: Operation }> = {
  StartExecution: {
    arnField: 'stateMachineArn',
    run: (engine, body) => {
      const { executionArn, startDate } = engine.startExecution(body.name ?? crypto.randomUUID(), body.input ?? '{}', qualifierOf(body.stateMachineArn));
      return { executionArn, startDate: seconds(startDate) };
    },
  },
  DescribeExecution: {
    arnField: 'executionArn',
    run: (engine, body) => {
      const ex = engine.describeExecution(body.executionArn);
      return {
        ...summary(engine, ex),
        input: JSON.stringify(ex.input),
        output: ex.output === undefined ? undefined : JSON.stringify(ex.output),
        error: ex.error,
        cause: ex.cause,
      };
    },
  },
  ListExecutions: {
    arnField: 'stateMachineArn',
    run: (engine, body) => ({
      executions: engine
        .listExecutions(body.statusFilter, qualifierOf(body.stateMachineArn))
        .slice(0, body.maxResults || 1000)
        .map((ex) => summary(engine, ex)),
    }),
  },
  ListStateMachineVersions: {
    arnField: 'stateMachineArn',
    run: (engine) => ({
      stateMachineVersions: engine.versions().map((v) => ({ stateMachineVersionArn: engine.versionArn(v.version), creationDate: seconds(v.recordedAt) })),
    }),
  },
  // The alias always routes every start to the current version.
  DescribeStateMachineAlias: {
    arnField: 'stateMachineAliasArn',
    run: (engine, body) => {
      if (qualifierOf(body.stateMachineAliasArn) !== engine.aliasName) {
        throw new SfnApiError('ResourceNotFound', `Alias does not exist: '${body.stateMachineAliasArn}'`);
      }
      return {
        stateMachineAliasArn: engine.aliasArn,
        name: engine.aliasName,
        routingConfiguration: [{ stateMachineVersionArn: engine.versionArn(engine.currentVersion), weight: 100 }],
        creationDate: 0,
        updateDate: 0,
      };
    },
  },
  StopExecution: {
    arnField: 'executionArn',
    run: (engine, body) => ({ stopDate: seconds(engine.stopExecution(body.executionArn, body.error, body.cause).stopDate) }),
  },
  SendTaskSuccess: { run: (engine, body) => (engine.sendTaskSuccess(body.taskToken, body.output), {}) },
  SendTaskFailure: { run: (engine, body) => (engine.sendTaskFailure(body.taskToken, body.error, body.cause), {}) },
  SendTaskHeartbeat: { run: (engine, body) => (engine.sendTaskHeartbeat(body.taskToken), {}) },
  DescribeStateMachine: {
    arnField: 'stateMachineArn',
    run: (engine) => ({
      stateMachineArn: engine.stateMachineArn,
      name: engine.stateMachineArn.split(':').pop(),
      status: 'ACTIVE',
      type: 'STANDARD',
      definition: '{}',
      roleArn: 'arn:aws:iam::000000000000:role/local',
      creationDate: 0,
    }),
  },
};

/** Token operations carry no ARN: the engine that issued the token answers. */
function engineFor(engines: readonly LocalStepFunctions[], arnField: string | undefined, body: Record<string, any>) {
  if (!arnField) return engines;
  const arn = String(body[arnField] ?? '');
  // Versions and aliases (a qualifier after the name) belong to their state machine.
  const machineArn = arn.replace(':execution:', ':stateMachine:').split(':').slice(0, 7).join(':');
  const engine = engines.find((e) => e.stateMachineArn === machineArn);
  if (!engine) {
    throw arnField === 'executionArn'
      ? new SfnApiError('ExecutionDoesNotExist', `Execution does not exist: '${arn}'`)
      : new SfnApiError('StateMachineDoesNotExist', `State machine does not exist: '${arn}'`);
  }
  return [engine];
}

export function handleStepFunctionsRequest(
  engines: readonly LocalStepFunctions[],
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const reply = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify(payload));
    };
    try {
      const target = String(req.headers['x-amz-target'] ?? '');
      // Every machine this endpoint runs (operator tools find an area's journey by its name).
      if (target === 'AWSStepFunctions.ListStateMachines') {
        const stateMachines = engines.map((e) => ({ stateMachineArn: e.stateMachineArn, name: e.stateMachineArn.split(':').pop(), type: 'STANDARD', creationDate: 0 }));
        return reply(200, { stateMachines });
      }
      const op = operations[target.replace(/^AWSStepFunctions\./, '')];
      if (!op) throw new SfnApiError('UnknownOperationException', `Unsupported operation ${target}`);
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, any>;
      const candidates = engineFor(engines, op.arnField, body);
      let lastError: unknown;
      for (const engine of candidates) {
        try {
          return reply(200, op.run(engine, body));
        } catch (error) {
          lastError = error;
          if (!(error instanceof SfnApiError && error.type === 'TaskDoesNotExist')) break;
        }
      }
      throw lastError;
    } catch (error) {
      if (error instanceof SfnApiError) return reply(400, { __type: error.type, message: error.message });
      if (error instanceof SyntaxError) return reply(400, { __type: 'ValidationException', message: 'Malformed JSON' });
      return reply(500, { __type: 'InternalFailure', message: 'Internal error' });
    }
  });
}
