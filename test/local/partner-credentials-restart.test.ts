import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listCredentials, listPartners } from '../../functions/shared/partner-store.ts';
import { ManualClock } from '../../local/clock.ts';
import { freePort } from '../../local/ports.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';

/** Demo partner credentials are kept with the local data and still work after a restart. */
const dataDir = mkdtempSync(join(tmpdir(), 'workwell-partners-'));
let rt: TestRuntime | undefined;

afterAll(async () => {
  await rt?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const statusWith = (runtime: TestRuntime, token: string) =>
  fetch(`${runtime.gatewayUrl}/v1/referrals/${randomUUID()}`, { headers: { authorization: `Bearer ${token}` } });

describe('demo partner credentials across a restart', () => {
  it('issues them once, in <dataDir>/credentials.json (0600); after a restart the same tokens work and none is added', { timeout: 120_000 }, async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 5, 9, 0, 0));
    // The same ports after the restart: handlers' SDK clients keep their endpoints.
    const options = { dataDir, clock, dynamoDbPort: await freePort(), stepFunctionsPort: await freePort() };
    rt = await startTestRuntime('south-yorkshire', options);
    const file = join(dataDir, 'credentials.json');
    expect(rt.credentialsFile).toBe(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const first = rt.partners.map((p) => p.token);
    expect(first).toHaveLength(5);
    // Partners' credentials stay as they were; staff tokens are signed afresh at each start (they expire).
    const partnersOf = () => (JSON.parse(readFileSync(file, 'utf8')) as { partners: unknown }).partners;
    const saved = partnersOf();
    await rt.stop();
    rt = undefined;

    rt = await startTestRuntime('south-yorkshire', options);
    expect(rt.partners.map((p) => p.token)).toEqual(first);
    expect(partnersOf()).toEqual(saved);
    for (const token of first) expect((await statusWith(rt, token)).status).toBe(404);
    expect(await listPartners()).toHaveLength(5);
    for (const partner of rt.partners) expect(await listCredentials(partner.partnerId)).toHaveLength(1);
  });
});
