import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { functionCatalogue } from '../functions/catalogue.ts';
import { median } from './stats.ts';

/**
 * Cold start: each catalogue function bundled as infra/functions.ts bundles it for CDK
 * (esbuild, minified, ESM, platform node, target node24, module-first main fields, the AWS SDK
 * bundled, the createRequire banner), then a fresh `node` process loads the bundle and calls
 * the handler once with a trivial event. A minimal handler bundled the same way is the baseline.
 */
const repoRoot = fileURLToPath(new URL('..', import.meta.url));

const banner =
  "import { createRequire as __workwellCreateRequire } from 'node:module'; const require = __workwellCreateRequire(import.meta.url);";

export interface ColdStartRow {
  readonly name: string;
  readonly bytes: number;
  /** Median wall time of the whole fresh process (spawn to exit). */
  readonly processMs: number;
  /** Median in-process time: import of the bundle plus the first handler call. */
  readonly loadAndInvokeMs: number;
  readonly importMs: number;
  readonly firstCallMs: number;
  readonly outcome: string;
}

const RUNNER = `
const t0 = performance.now();
const mod = await import(process.argv[2]);
const t1 = performance.now();
const context = { functionName: 'bench', awsRequestId: 'bench', getRemainingTimeInMillis: () => 3000, callbackWaitsForEmptyEventLoop: false };
let outcome = 'ok';
try {
  await Promise.race([
    mod.handler({}, context),
    new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 5000).unref()),
  ]);
} catch (e) { outcome = 'error:' + (e && e.name || 'Error'); }
const t2 = performance.now();
process.stdout.write(JSON.stringify({ importMs: t1 - t0, firstCallMs: t2 - t1, outcome }));
process.exit(0);
`;

function runOnce(bundle: string, runner: string): Promise<{ processMs: number; importMs: number; firstCallMs: number; outcome: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [runner, bundle], {
      env: {
        PATH: process.env.PATH ?? '',
        AWS_REGION: 'eu-west-2',
        AWS_ACCESS_KEY_ID: 'bench',
        AWS_SECRET_ACCESS_KEY: 'bench',
        // Nothing listens here: calls fail fast instead of reaching AWS.
        AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
        AWS_MAX_ATTEMPTS: '1',
        POWERTOOLS_METRICS_DISABLED: 'true',
        POWERTOOLS_TRACE_ENABLED: 'false',
        POWERTOOLS_LOG_LEVEL: 'SILENT',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.resume();
    child.on('error', reject);
    child.on('close', () => {
      const processMs = performance.now() - started;
      try {
        resolve({ processMs, ...(JSON.parse(out) as { importMs: number; firstCallMs: number; outcome: string }) });
      } catch {
        resolve({ processMs, importMs: Number.NaN, firstCallMs: Number.NaN, outcome: 'crashed' });
      }
    });
  });
}

export async function coldStart(repeats: number, log: (line: string) => void): Promise<{ baseline: ColdStartRow; functions: ColdStartRow[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'workwell-bench-bundles-'));
  try {
    const runner = join(dir, 'runner.mjs');
    writeFileSync(runner, RUNNER);
    const minimalEntry = join(dir, 'minimal-handler.ts');
    writeFileSync(minimalEntry, 'export const handler = async (event: unknown) => ({ statusCode: 200, body: JSON.stringify(event) });\n');
    const entries = [{ name: '(minimal handler)', entry: minimalEntry }, ...functionCatalogue.map((d) => ({ name: d.name, entry: join(repoRoot, d.entry) }))];
    const rows: ColdStartRow[] = [];
    for (const { name, entry } of entries) {
      const outfile = join(dir, `${name.replace(/[^a-z0-9-]/gi, '_')}.mjs`);
      await build({
        entryPoints: [entry],
        outfile,
        bundle: true,
        minify: true,
        format: 'esm',
        platform: 'node',
        target: 'node24',
        mainFields: ['module', 'main'],
        banner: { js: banner },
        logLevel: 'silent',
      });
      const bytes = statSync(outfile).size;
      const runs = [];
      for (let i = 0; i < repeats; i++) runs.push(await runOnce(outfile, runner));
      const row: ColdStartRow = {
        name,
        bytes,
        processMs: median(runs.map((r) => r.processMs)),
        importMs: median(runs.map((r) => r.importMs)),
        firstCallMs: median(runs.map((r) => r.firstCallMs)),
        loadAndInvokeMs: median(runs.map((r) => r.importMs + r.firstCallMs)),
        outcome: runs[0]?.outcome ?? 'n/a',
      };
      rows.push(row);
      log(`  cold start ${name}: ${(bytes / 1024).toFixed(0)} KB, process ${row.processMs.toFixed(0)} ms, load+call ${row.loadAndInvokeMs.toFixed(0)} ms (${row.outcome})`);
    }
    const [baseline, ...functions] = rows;
    return { baseline: baseline!, functions };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
