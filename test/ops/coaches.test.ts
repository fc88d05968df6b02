import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '../../functions/shared/aws-clients.ts';
import { coachKeys, getCoach } from '../../functions/shared/coach-store.ts';
import { getReferral, table } from '../../functions/shared/referral-store.ts';
import { describeFailure, main } from '../../ops/coaches.ts';
import { startLocalProvider, type LocalProvider } from '../support/provider.ts';
import { JourneyDriver, registerJourneyArea } from '../support/journey.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';

/** The coaches command against the local runtime: the admin path for an area's coaches. */
let provider: LocalProvider;
let rt: TestRuntime;
let j: JourneyDriver;
let slug: string;

beforeAll(async () => {
  provider = await startLocalProvider();
  const area = registerJourneyArea('test-coach-ops', provider.baseUrl, {
    coaches: [{ id: 'only-coach', name: 'Only Coach', email: 'only@test.workwell.example', teamLeadId: 'team-lead', maxCaseload: 1 }],
  });
  slug = area.slug;
  rt = await startTestRuntime(slug);
  j = new JourneyDriver(rt);
});
afterAll(async () => {
  await rt?.stop();
  await provider?.stop();
});

const run = (...args: string[]) =>
  main([...args, '--area', slug, '--endpoint', rt.dynamoDbEndpoint, '--sfn-endpoint', rt.stepFunctionsEndpoint]);

describe('npm run coaches', () => {
  it("seeds the area file's coaches that are not stored, and only those", async () => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      // The runtime seeded them at start: nothing to add.
      expect(await run('seed')).toBe(0);
      expect(String(err.mock.calls.at(-1)?.[0])).toContain('nothing changed');
      await dynamo().send(new DeleteCommand({ TableName: table(), Key: coachKeys.coach('only-coach') }));
      expect(await run('seed')).toBe(0);
      expect(String(err.mock.calls.at(-1)?.[0])).toContain('only-coach');
    } finally {
      err.mockRestore();
    }
    expect(await getCoach('only-coach')).toMatchObject({ caseload: 0, maxCaseload: 1, available: true });
  });

  it('more capacity assigns the waitlist at once', async () => {
    const first = await j.refer();
    const second = await j.refer();
    expect((await getReferral(first))?.coachId).toBe('only-coach');
    expect(await j.status(second)).toBe('waitlisted');

    expect(await run('update', '--coach', 'only-coach', '--max-caseload', '2')).toBe(0);
    await rt.engine.idle();
    expect((await getReferral(second))?.coachId).toBe('only-coach');
    expect(await j.liveTask(second, 'first_contact')).toBeDefined();
  });

  it('adds a coach, lists coaches, and a coach on leave gets no new referrals', async () => {
    expect(await run('add', '--id', 'new-coach', '--name', 'New Coach', '--email', 'new@test.workwell.example', '--team-lead', 'team-lead', '--max-caseload', '3')).toBe(0);
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      expect(await run('list', '--json')).toBe(0);
      const listed = JSON.parse(String(log.mock.calls[0]?.[0])) as { coaches: { coachId: string }[] };
      expect(listed.coaches.map((c) => c.coachId).sort()).toEqual(['new-coach', 'only-coach']);

      // By default, a table: a header, a rule, one aligned line per coach.
      expect(await run('list')).toBe(0);
      const lines = String(log.mock.calls[1]?.[0]).split('\n');
      expect(lines[0]).toMatch(/^coach +name +team lead +caseload +available +specialisms +localities +email$/);
      expect(lines.slice(2).map((l) => l.split(/ {2,}/)[0]).sort()).toEqual(['new-coach', 'only-coach']);
      const newCoach = lines.find((l) => l.startsWith('new-coach'))!;
      expect(newCoach).toMatch(/^new-coach +New Coach +team-lead +0\/3 +yes /);
      const caseloadEnd = lines[0]!.indexOf('caseload') + 'caseload'.length;
      for (const line of lines.slice(2)) expect(line.slice(caseloadEnd - 3, caseloadEnd)).toMatch(/^\d\/\d$/);
    } finally {
      log.mockRestore();
    }
    expect(await run('update', '--coach', 'only-coach', '--available', 'false')).toBe(0);
    const referralId = await j.refer();
    expect((await getReferral(referralId))?.coachId).toBe('new-coach');
    expect((await getCoach('only-coach'))?.available).toBe(false);
  });

  it('refuses bad input plainly, changing nothing', async () => {
    await expect(run('update', '--coach', 'new-coach', '--team-lead', 'nobody')).rejects.toThrow(/team leads/);
    const failure = await run('update', '--coach', 'new-coach', '--max-caseload', 'lots').catch(describeFailure);
    expect(failure).toMatchObject({ exitCode: 2 });
    expect((await getCoach('new-coach'))?.maxCaseload).toBe(3);
  });
});
