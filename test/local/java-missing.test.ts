import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';

it('npm start without Java says so in one line naming the package to install', () => {
  const bin = join(import.meta.dirname, '..', '..', 'node_modules', '.bin');
  // Only the project's own tools on PATH: node and tsx, but no java.
  const run = spawnSync(join(bin, 'tsx'), ['local/start.ts', '--in-memory', '--port', '0'], {
    cwd: join(import.meta.dirname, '..', '..'),
    env: { PATH: bin, HOME: process.env.HOME ?? '/tmp' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(run.status).toBe(1);
  const lines = run.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/Java 17.*apt-get install openjdk-17-jre-headless/);
});
