import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { listTasks, listTimeline } from '../../functions/shared/referral-store.ts';
import { ManualClock } from '../../local/clock.ts';
import { freePort } from '../../local/ports.ts';
import { JourneyDriver, results } from '../support/journey.ts';
import { HOUR, startTestRuntime } from '../support/runtime.ts';

/** A journey inside a Wait state when the runtime stops resumes the remaining wait on the same clock. */
const WEEK = 7 * 24 * HOUR;
const dataDir = mkdtempSync(join(tmpdir(), 'workwell-timer-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

it('resumes a journey waiting for its first follow-up after a restart, without repeating finished steps', async () => {
  const clock = new ManualClock(Date.UTC(2026, 1, 2, 9, 0, 0));
  // Same ports both times: handlers keep their SDK clients for the life of the process, as in Lambda.
  const ports = { dynamoDbPort: await freePort(), stepFunctionsPort: await freePort() };
  const options = { clock, dataDir, ...ports };

  let rt = await startTestRuntime('south-yorkshire', options);
  let j = new JourneyDriver(rt);
  const referralId = await j.refer();
  await j.complete(referralId, 'first_contact', results.firstContact('engaged'));
  await j.complete(referralId, 'assessment', results.assessment([]));
  // In the Wait before the first check-in; a week of it passes before the stop.
  clock.advance(WEEK);
  await rt.engine.idle();
  expect(await listTasks(referralId, 'follow_up')).toHaveLength(0);
  await rt.stop();

  rt = await startTestRuntime('south-yorkshire', options);
  j = new JourneyDriver(rt);
  try {
    await rt.engine.idle();
    expect(j.execution(referralId).status).toBe('RUNNING');
    clock.advance(WEEK - 1000);
    await rt.engine.idle();
    expect(await listTasks(referralId, 'follow_up')).toHaveLength(0);
    clock.advance(1000);
    await rt.engine.idle();
    expect(await j.liveTask(referralId, 'follow_up')).toBeDefined();
    await j.complete(referralId, 'follow_up', results.followUp('discharge_early'));
    expect(await j.liveTask(referralId, 'outcome')).toBeDefined();

    const timeline = (await listTimeline(referralId)).map((e) => e.event);
    // Replay answered the finished steps from the journal: each happened once.
    expect(timeline.filter((e) => e === 'triaged')).toHaveLength(1);
    expect(timeline.filter((e) => e === 'coach_assigned')).toHaveLength(1);
    expect(timeline.filter((e) => e === 'task_completed')).toHaveLength(3);
  } finally {
    await rt.stop();
  }
});
