import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AreaSettings } from '../../areas/schema.ts';
import { areaDefinition } from '../../infra/definition.ts';
import { ManualClock } from '../../local/clock.ts';
import { freePort } from '../../local/ports.ts';
import { definitionVersion } from '../../local/stepfunctions/versions.ts';
import { JourneyDriver, registerJourneyArea } from '../support/journey.ts';
import { type LocalProvider, startLocalProvider } from '../support/provider.ts';
import { previousRelease } from '../support/release-asl.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { driveToEnd, expectEachStepOnce, startJourneysInFlight, withTriageRenamed } from '../support/upgrade.ts';

/**
 * A deploy with journeys in flight, on the local runtime as in AWS: each execution keeps the
 * definition version it started on, new ones start on the new version; the handlers of today
 * serve both (README: upgrades).
 */
let provider: LocalProvider;
let area: AreaSettings;
const dirs: string[] = [];
let running: TestRuntime | undefined;
// The same ports for every runtime here: handlers keep their SDK clients for the life of the process, as in Lambda.
let ports: { dynamoDbPort: number; stepFunctionsPort: number };

beforeAll(async () => {
  provider = await startLocalProvider();
  area = registerJourneyArea('test-upgrade', provider.baseUrl);
  ports = { dynamoDbPort: await freePort(), stepFunctionsPort: await freePort() };
});
afterAll(async () => {
  await running?.stop();
  await provider?.stop();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Runtimes one after the other on the same data, clock and ports: a deploy between them. */
async function deployment() {
  const dataDir = mkdtempSync(join(tmpdir(), 'workwell-upgrade-'));
  dirs.push(dataDir);
  const lines: string[] = [];
  const options = {
    dataDir,
    clock: new ManualClock(Date.UTC(2026, 2, 2, 9, 0, 0)),
    ...ports,
    log: (line: string) => lines.push(line),
  };
  const start = async (definition: Record<string, unknown>) => {
    await running?.stop();
    lines.length = 0;
    running = await startTestRuntime(area.slug, { ...options, definition });
    return running;
  };
  return { start, lines };
}

describe('a deploy with journeys in flight', () => {
  it('journeys started on version N finish on N after N+1 is deployed, each step once; a new journey runs on N+1', { timeout: 240_000 }, async () => {
    const n = areaDefinition(area.slug).definition as Record<string, unknown>;
    const next = withTriageRenamed(n);
    const [versionN, versionNext] = [definitionVersion(n), definitionVersion(next)];
    const { start, lines } = await deployment();

    let rt = await start(n);
    const inFlight = await startJourneysInFlight(rt);
    const ids = Object.values(inFlight);

    rt = await start(next);
    // What `npm start` says: how many journeys run on each version.
    expect(lines).toContain(`journeys running by definition version: ${versionNext} (current): 0, ${versionN}: 4`);
    const j = new JourneyDriver(rt);
    for (const id of ids) expect(j.execution(id)).toMatchObject({ status: 'RUNNING', version: versionN });

    const newcomer = await j.refer();
    expect(j.execution(newcomer).version).toBe(versionNext);
    expect(lines).toContain(`${new Date(rt.clock.now()).toISOString()} journey ${newcomer} TriageReferral`);

    await driveToEnd(rt, provider, [...ids, newcomer]);
    for (const id of [...ids, newcomer]) {
      expect(j.execution(id).status, id).toBe('SUCCEEDED');
      await expectEachStepOnce(id, provider);
    }
    // Journeys of N never entered a state that only N+1 has.
    expect(lines.filter((l) => l.endsWith(' TriageReferral')).map((l) => l.split(' ')[2])).toEqual([newcomer]);
    expect(j.execution(inFlight.atFirstContact).version).toBe(versionN);
  });

  it("journeys started on the last release's definition (test/fixtures/asl) finish against today's handlers", { timeout: 240_000 }, async () => {
    const { release, definition } = previousRelease(area.slug);
    const today = areaDefinition(area.slug).definition as Record<string, unknown>;
    const { start, lines } = await deployment();

    let rt = await start(definition);
    const ids = Object.values(await startJourneysInFlight(rt));

    rt = await start(today);
    const j = new JourneyDriver(rt);
    for (const id of ids) expect(j.execution(id).version, `started on ${release}`).toBe(definitionVersion(definition));
    expect(lines.some((l) => l.startsWith('journeys running by definition version:'))).toBe(true);
    await driveToEnd(rt, provider, ids);
    for (const id of ids) {
      expect(j.execution(id).status, id).toBe('SUCCEEDED');
      await expectEachStepOnce(id, provider);
    }
  });
});
