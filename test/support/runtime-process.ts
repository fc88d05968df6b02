import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

/**
 * `npm start` as a user runs it (tsx local/start.ts), in its own process group so that SIGKILL
 * takes DynamoDB Local with it: for tests that kill the runtime and start it again on its data.
 */
export interface RuntimeProcess {
  readonly child: ChildProcess;
  readonly output: string[];
  readonly api: string;
  readonly sfnEndpoint: string;
  readonly dynamoEndpoint: string;
  /** SIGKILL to the whole group; resolves when the process has gone. */
  kill(): Promise<void>;
}

export function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
}

export async function startRuntimeProcess(opts: { dataDir: string; port: number; args?: string[]; startTimeoutMs?: number }): Promise<RuntimeProcess> {
  const child = spawn(
    join('node_modules', '.bin', 'tsx'),
    ['local/start.ts', '--port', String(opts.port), '--data-dir', opts.dataDir, ...(opts.args ?? [])],
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PORT: undefined } },
  );
  const output: string[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) killGroup(child);
    await exited;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      killGroup(child);
      reject(new Error(`runtime did not start:\n${output.join('\n')}`));
    }, opts.startTimeoutMs ?? 90_000);
    const onLine = (chunk: Buffer) => {
      output.push(...chunk.toString().split('\n').filter(Boolean));
      const find = (label: string) => output.find((l) => l.includes(label))?.match(/http:\/\/[\d.:]+/)?.[0];
      const api = find('API:');
      const sfnEndpoint = find('Step Functions:');
      const dynamoEndpoint = find('DynamoDB Local:');
      if (api && sfnEndpoint && dynamoEndpoint && output.some((l) => l.includes('Data:'))) {
        clearTimeout(timer);
        resolve({ child, output, api, sfnEndpoint, dynamoEndpoint, kill });
      }
    };
    child.stdout!.on('data', onLine);
    child.stderr!.on('data', onLine);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`runtime exited with ${code}:\n${output.join('\n')}`));
    });
  });
}
