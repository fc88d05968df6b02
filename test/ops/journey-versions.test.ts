import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { AreaSettings } from '../../areas/schema.ts';
import { areaDefinition } from '../../infra/definition.ts';
import { ManualClock } from '../../local/clock.ts';
import { freePort } from '../../local/ports.ts';
import { definitionVersion } from '../../local/stepfunctions/versions.ts';
import { main } from '../../ops/journeys.ts';
import { JourneyDriver, registerJourneyArea, results } from '../support/journey.ts';
import { type LocalProvider, startLocalProvider } from '../support/provider.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { withTriageRenamed } from '../support/upgrade.ts';

/** `npm run journeys -- versions` against the local runtime, after a deploy with journeys in flight. */
let provider: LocalProvider;
let area: AreaSettings;
let rt: TestRuntime | undefined;
const dataDir = mkdtempSync(join(tmpdir(), 'workwell-versions-ops-'));

beforeAll(async () => {
  provider = await startLocalProvider();
  area = registerJourneyArea('test-version-ops', provider.baseUrl);
});
afterAll(async () => {
  await rt?.stop();
  await provider?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

it('lists running journeys by definition version and stage, the current version, and versions that can be retired', { timeout: 180_000 }, async () => {
  const n = areaDefinition(area.slug).definition as Record<string, unknown>;
  const next = withTriageRenamed(n);
  const options = { dataDir, clock: new ManualClock(Date.UTC(2026, 2, 2, 9, 0, 0)), dynamoDbPort: await freePort(), stepFunctionsPort: await freePort() };

  rt = await startTestRuntime(area.slug, { ...options, definition: n });
  let j = new JourneyDriver(rt);
  const inAssessment = await j.refer();
  await j.complete(inAssessment, 'first_contact', results.firstContact('engaged'));
  const atFirstContact = await j.refer();
  await rt.stop();

  rt = await startTestRuntime(area.slug, { ...options, definition: next });
  j = new JourneyDriver(rt);
  await j.refer();

  const { code, out, versions } = await listVersions(rt);
  expect(code).toBe(0);
  expect(versions).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ version: definitionVersion(next), current: true, running: 1, byStage: { first_contact: 1 }, retirable: false }),
      expect.objectContaining({ version: definitionVersion(n), current: false, running: 2, byStage: { first_contact: 1, assessment: 1 }, retirable: false }),
    ]),
  );
  expect(versions).toHaveLength(2);
  // Codes and counts only: no referral ids, no personal data.
  expect(out).not.toContain(atFirstContact);

  // Once nothing runs on N, it can be retired.
  for (const id of [inAssessment, atFirstContact]) rt.engine.stopExecution(j.execution(id).executionArn);
  const after = await listVersions(rt);
  expect(after.versions.find((v) => v.version === definitionVersion(n))).toMatchObject({ running: 0, retirable: true });
});

async function listVersions(runtime: TestRuntime) {
  const out: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((line) => void out.push(String(line)));
  const error = vi.spyOn(console, 'error').mockImplementation(() => {});
  try {
    const connection = ['--area', area.slug, '--endpoint', runtime.dynamoDbEndpoint, '--sfn-endpoint', runtime.stepFunctionsEndpoint];
    const code = await main(['versions', ...connection, '--json']);
    const text = out.join('\n');
    const { versions } = JSON.parse(text) as { versions: { version: string; current: boolean; running: number; byStage: Record<string, number>; retirable: boolean }[] };
    // Without --json, the operator reads the same as a table, a line per version.
    out.length = 0;
    expect(await main(['versions', ...connection])).toBe(0);
    const [header, , ...rows] = out.join('\n').split('\n');
    expect(header).toMatch(/^Version\s+Running\s+By stage\s+Note$/);
    expect(rows.map((r) => r.split(/\s+/)[0])).toEqual(versions.map((v) => v.version));
    return { code, out: text, versions };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}
