import { join, resolve } from 'node:path';
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { ListStateMachinesCommand } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { areaSlugs, loadArea } from '../areas/index.ts';
import type { AreaSettings } from '../areas/schema.ts';
import { resetClients, sfn } from '../functions/shared/aws-clients.ts';
import { forgetKeyRing, PERSON_INDEX_SECRET_ENV } from '../functions/shared/person-index-key.ts';
import { journeysTable, tableName } from '../functions/shared/tables.ts';
import { journeyAliasName, journeyStateMachineName } from '../infra/journey-state-machine.ts';
import { installClockAsDate } from '../local/clock.ts';
import { clockFromFile, realNow } from '../local/clock-file.ts';

/**
 * What every operator command shares: which area's data it works on (a deployed stack through
 * the default AWS SDK configuration, or the local runtime through `--endpoint`), and how it
 * reports a failure.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface AreaConnection {
  readonly area?: string;
  /** The local runtime's DynamoDB Local (printed by `npm start`). */
  readonly endpoint?: string;
  /** The local runtime's Step Functions endpoint, for changes that resume journeys. */
  readonly sfnEndpoint?: string;
  /** The local runtime's Secrets Manager (printed by `npm start`), for the person index's keys. */
  readonly secretsEndpoint?: string;
  readonly table?: string;
  /** The local runtime's data dir (`npm start`'s `.local/<area>`): its clock is the time here. */
  readonly dataDir?: string;
}

let restoreClock: (() => void) | undefined;

/**
 * Against the local runtime's data, times are the runtime's (its clock may run fast, or have
 * run ahead of the wall clock): Date reads its clock file from here on, as handlers read the
 * runtime's clock, so the stores record and compare times as the runtime's own handlers would.
 */
function useRuntimeClock(dataDir: string): void {
  const file = join(dataDir, 'clock.json');
  const clock = clockFromFile(file, realNow());
  if (!clock) throw new UsageError(`No local clock at ${file}: is --data-dir the folder \`npm start\` printed under Data?`);
  releaseRuntimeClock();
  const previous = globalThis.Date;
  installClockAsDate(clock);
  restoreClock = () => {
    globalThis.Date = previous;
  };
}

/** Date as it was before the command (commands run in-process in tests). */
export function releaseRuntimeClock(): void {
  restoreClock?.();
  restoreClock = undefined;
}

/** Points the shared stores at the area's table, as a handler's environment would. */
export function connectToArea(options: AreaConnection, usage: string): AreaSettings {
  let area: AreaSettings;
  try {
    area = loadArea(options.area ?? '');
  } catch {
    throw new UsageError(`--area must be one of the pilot areas: ${areaSlugs.join(', ')}\n${usage}`);
  }
  process.env.AREA_SLUG = area.slug;
  process.env[journeysTable.envVar] = options.table ?? tableName(area.slug, journeysTable);
  if (options.endpoint) {
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_DYNAMODB: options.endpoint,
      AWS_REGION: area.aws.region,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    });
  } else {
    process.env.AWS_REGION ??= area.aws.region;
  }
  if (options.sfnEndpoint) process.env.AWS_ENDPOINT_URL_SFN = options.sfnEndpoint;
  if (options.secretsEndpoint) {
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = options.secretsEndpoint;
    // The local runtime names the secret after the area; in AWS it is found by the stack's output.
    process.env[PERSON_INDEX_SECRET_ENV] ??= `workwell-${area.slug}-person-index-key`;
  }
  if (options.dataDir) useRuntimeClock(options.dataDir);
  resetClients();
  forgetKeyRing();
  return area;
}

/**
 * Points the journey commands at the area's state machine (JOURNEY_STATE_MACHINE_ARN, as a
 * handler's environment would): `--state-machine-arn`, or found by its name in the account
 * (or on the local runtime's endpoint) with ListStateMachines.
 */
export async function connectToJourneys(area: AreaSettings, explicitArn?: string): Promise<string> {
  if (explicitArn) return useStateMachine(explicitArn);
  const name = journeyStateMachineName(area.slug);
  let nextToken: string | undefined;
  do {
    const page = await sfn().send(new ListStateMachinesCommand({ ...(nextToken ? { nextToken } : {}) }));
    const found = page.stateMachines?.find((m) => m.name === name);
    if (found?.stateMachineArn) return useStateMachine(found.stateMachineArn);
    nextToken = page.nextToken;
  } while (nextToken);
  throw new UsageError(`No state machine named ${name} here: check the AWS profile and region, or pass --state-machine-arn.`);
}

/** The state machine (unqualified ARN) and its alias, which journeys start through. */
function useStateMachine(arn: string): string {
  process.env.JOURNEY_ALIAS_ARN = `${arn}:${journeyAliasName}`;
  return (process.env.JOURNEY_STATE_MACHINE_ARN = arn);
}

/** Options every command takes: which area, and where its data is (see AreaConnection). */
const connectionOptions = {
  area: { type: 'string' },
  endpoint: { type: 'string' },
  'sfn-endpoint': { type: 'string' },
  'secrets-endpoint': { type: 'string' },
  'person-index-secret': { type: 'string' },
  table: { type: 'string' },
  'data-dir': { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies ParseArgsOptionsConfig;

/**
 * Parses `<command> --area <slug> [options]`: the connection options plus the command's own.
 * Undefined after printing the usage for --help; a UsageError for a missing or unknown command.
 */
export function parseCommand<C extends string, O extends ParseArgsOptionsConfig>(
  argv: readonly string[],
  commands: readonly C[],
  usage: string,
  options: O,
  maxArguments = 0,
) {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: { ...connectionOptions, ...options },
  });
  // The connection options' types, which the generic spread above leaves unresolved here.
  const common = values as {
    readonly help?: boolean;
    readonly json?: boolean;
    readonly 'sfn-endpoint'?: string;
    readonly 'data-dir'?: string;
    readonly 'secrets-endpoint'?: string;
    readonly 'person-index-secret'?: string;
  } & AreaConnection;
  if (common.help) {
    console.log(usage);
    return undefined;
  }
  const [command, ...rest] = positionals;
  if (!command || !(commands as readonly string[]).includes(command) || rest.length > maxArguments) {
    throw new UsageError(`Unknown or missing command.\n${usage}`);
  }
  // In AWS the person index secret is named by its ARN (a stack output); locally by the area.
  if (common['person-index-secret']) process.env[PERSON_INDEX_SECRET_ENV] = common['person-index-secret'];
  return {
    command: command as C,
    /** What follows the command (at most `maxArguments`), e.g. the referral of `journeys show`. */
    args: rest,
    values,
    json: common.json === true,
    connection: {
      ...common,
      sfnEndpoint: common['sfn-endpoint'],
      secretsEndpoint: common['secrets-endpoint'],
      dataDir: common['data-dir'],
    } as AreaConnection,
  };
}

/** A message for the operator: usage and validation problems plainly, anything else by name. */
export function describeFailure(error: unknown, usage: string, what: string): { message: string; exitCode: number } {
  if (error instanceof UsageError) return { message: error.message, exitCode: 2 };
  if (String((error as { code?: unknown })?.code ?? '').startsWith('ERR_PARSE_ARGS')) {
    return { message: `${(error as Error).message}\n${usage}`, exitCode: 2 };
  }
  if (error instanceof z.ZodError) {
    const lines = error.issues.map((issue) => `  ${issue.path.join('.') || '(input)'}: ${issue.message}`);
    return { message: `Invalid ${what}:\n${lines.join('\n')}`, exitCode: 2 };
  }
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  return { message: `${name}: ${message}`, exitCode: 1 };
}

/** Runs a command's `main` when its file is the one node was started with. */
export async function runIfMain(
  moduleFile: string,
  main: (argv: readonly string[]) => Promise<number>,
  describe: (error: unknown) => { message: string; exitCode: number },
): Promise<void> {
  if (process.argv[1] === undefined || resolve(process.argv[1]) !== moduleFile) return;
  try {
    process.exitCode = await main(process.argv.slice(2));
  } catch (error) {
    const { message, exitCode } = describe(error);
    console.error(message);
    process.exitCode = exitCode;
  }
}
