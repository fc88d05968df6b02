import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';

/**
 * One module talks to Step Functions: functions/shared/aws-clients.ts makes the only SFN client,
 * with the SDK's default configuration, so every start, stop and answer goes to the same place
 * (the area's state machine, or the local runtime's endpoint) and journeys start through the
 * alias in one place (functions/shared/journey-start.ts).
 */
const repoRoot = path.resolve(import.meta.dirname, '../..');

function sources(dir: string): string[] {
  return readdirSync(path.join(repoRoot, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.relative(repoRoot, path.join(e.parentPath, e.name)));
}

it('only functions/shared/aws-clients.ts makes a Step Functions client, and only journey-start starts executions', () => {
  const files = ['functions', 'ops', 'local', 'infra', 'scripts', 'bench'].flatMap(sources);
  const text = (f: string) => readFileSync(path.join(repoRoot, f), 'utf8');
  expect(files.filter((f) => text(f).includes('new SFNClient('))).toEqual(['functions/shared/aws-clients.ts']);
  expect(files.filter((f) => text(f).includes('StartExecutionCommand'))).toEqual(['functions/shared/journey-start.ts']);
});
