import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { loadArea } from '../areas/index.ts';
import { functionCatalogue, functionEnvironment } from '../functions/catalogue.ts';
import { seedCoaches } from '../functions/shared/coach-store.ts';
import { tableName, tables } from '../functions/shared/tables.ts';
import { areaDefinition } from '../infra/definition.ts';
import { journeyStateMachineName } from '../infra/journey-state-machine.ts';
import { type Clock, installClockAsDate } from './clock.ts';
import { createTables } from './dynamodb/bootstrap.ts';
import { launchDynamoDbLocal } from './dynamodb/server.ts';
import { freePort } from './ports.ts';
import { LocalFunctions } from './functions.ts';
import { createGatewayHandler } from './gateway.ts';
import { LocalStepFunctions } from './stepfunctions/engine.ts';
import { handleStepFunctionsRequest } from './stepfunctions/endpoint.ts';

/**
 * The whole system on one machine: DynamoDB Local, the area's synthesized state machine on a
 * local Step Functions endpoint, and the API's handlers behind a local gateway. Handlers reach
 * DynamoDB and Step Functions through the real SDK clients via AWS_ENDPOINT_URL_* variables.
 */
export interface RuntimeOptions {
  readonly areaSlug: string;
  /** Gateway port; 0 picks a free one. */
  readonly port: number;
  /** Fixed ports for DynamoDB Local and the Step Functions endpoint (default: free ones). */
  readonly dynamoDbPort?: number;
  readonly stepFunctionsPort?: number;
  /** Where data is kept between runs; without it everything is in memory. */
  readonly dataDir?: string;
  readonly clock: Clock;
  /** Retry interval multiplier for the state machine (0: retry at once). */
  readonly retryScale?: number;
  readonly log?: (line: string) => void;
}

export interface Runtime {
  readonly gatewayUrl: string;
  readonly stepFunctionsEndpoint: string;
  readonly dynamoDbEndpoint: string;
  readonly stateMachineArn: string;
  readonly engine: LocalStepFunctions;
  readonly functions: LocalFunctions;
  readonly clock: Clock;
  readonly env: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

const ACCOUNT = '000000000000';

/** A secret kept with the local data (or made afresh for an in-memory run). */
function localSecret(dataDir: string | undefined, name: string): string {
  if (!dataDir) return randomBytes(48).toString('base64url');
  const file = join(dataDir, name);
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, randomBytes(48).toString('base64url'), { mode: 0o600 });
  }
  return readFileSync(file, 'utf8').trim();
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

export async function startRuntime(opts: RuntimeOptions): Promise<Runtime> {
  const area = loadArea(opts.areaSlug);
  const region = area.aws.region;
  const log = opts.log ?? (() => {});
  const stateMachineArn = `arn:aws:states:${region}:${ACCOUNT}:stateMachine:${journeyStateMachineName(area.slug)}`;

  // The JVM boots while the area's stack is synthesized (both take seconds).
  const dynamo = launchDynamoDbLocal({
    port: opts.dynamoDbPort ?? (await freePort()),
    ...(opts.dataDir ? { dataDir: join(opts.dataDir, 'dynamodb') } : {}),
  });
  const servers: Server[] = [];
  let engine: LocalStepFunctions | undefined;
  let restoreDate: (() => void) | undefined;
  try {
    const { definition } = areaDefinition(area.slug, { region, account: ACCOUNT });
    await dynamo.ready;

    const sfnServer = createServer((req, res) => handleStepFunctionsRequest(engine ? [engine] : [], req, res));
    servers.push(sfnServer);
    const sfnPort = await listen(sfnServer, opts.stepFunctionsPort ?? 0);
    const stepFunctionsEndpoint = `http://127.0.0.1:${sfnPort}`;

    const port = opts.port || (await freePort());
    const gatewayUrl = `http://127.0.0.1:${port}`;
    const tableNames = Object.fromEntries(tables.map((t) => [t.id, tableName(area.slug, t)]));
    const inputs = {
      areaSlug: area.slug,
      tableNames,
      stateMachineArn,
      publicApiUrl: gatewayUrl,
      providerKeySecret: localSecret(opts.dataDir, 'provider-key-secret'),
    };
    const env: Record<string, string> = {
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_SFN: stepFunctionsEndpoint,
    };
    for (const def of functionCatalogue) {
      Object.assign(env, functionEnvironment(def, inputs));
    }
    // Handlers run in this process, so one service name and a quieter log level locally.
    env.POWERTOOLS_SERVICE_NAME = `workwell-${area.slug}`;
    env.POWERTOOLS_LOG_LEVEL = process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN';
    env.POWERTOOLS_METRICS_DISABLED = process.env.POWERTOOLS_METRICS_DISABLED ?? 'true';
    env.POWERTOOLS_TRACE_ENABLED = 'false';
    Object.assign(process.env, env);

    const client = new DynamoDBClient({ region, endpoint: dynamo.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    await createTables(client, area.slug);
    client.destroy();
    // The area's coaches are the starting data; changes made since are kept.
    await seedCoaches(area);

    restoreDate = installClockAsDate(opts.clock);
    const functions = new LocalFunctions(area.slug, region);
    await functions.loadAll();

    engine = new LocalStepFunctions({
      stateMachineArn,
      definition: definition as Record<string, unknown>,
      clock: opts.clock,
      invoke: (name, payload) => functions.invoke(name, payload),
      ...(opts.dataDir ? { journalPath: join(opts.dataDir, 'stepfunctions.jsonl') } : {}),
      retryScale: opts.retryScale ?? 1,
      log: (line) => log(`${new Date(opts.clock.now()).toISOString()} journey ${line}`),
    });
    const resumed = engine.resume();
    if (resumed) log(`resumed ${resumed} journey(s) from ${opts.dataDir}`);

    const running = engine;
    const gateway = createServer(
      createGatewayHandler({
        areaSlug: area.slug,
        functions,
        health: () => ({ area: area.slug, journeysRunning: running.listExecutions('RUNNING').length }),
      }),
    );
    servers.push(gateway);
    await listen(gateway, port);

    const stopDynamo = dynamo;
    const restore = restoreDate;
    return {
      gatewayUrl,
      stepFunctionsEndpoint,
      dynamoDbEndpoint: dynamo.endpoint,
      stateMachineArn,
      engine: running,
      functions,
      clock: opts.clock,
      env,
      stop: async () => {
        running.close();
        await Promise.all(servers.map(close));
        await stopDynamo.stop();
        restore();
      },
    };
  } catch (error) {
    engine?.close();
    await Promise.all(servers.map(close));
    await dynamo.stop();
    restoreDate?.();
    throw error;
  }
}
