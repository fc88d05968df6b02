import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { loadArea } from '../../areas/index.ts';
import { findOpenTask, listTimeline } from '../../functions/shared/referral-store.ts';
import { ManualClock } from '../../local/clock.ts';
import { freePort } from '../../local/ports.ts';
import { startRuntime } from '../../local/runtime.ts';
import { validReferral } from '../fixtures/referrals.ts';
import { HOUR } from '../support/runtime.ts';

/** A journey inside a Wait when the runtime stops resumes the remaining wait on the same clock. */
const area = loadArea('south-yorkshire');
const dataDir = mkdtempSync(join(tmpdir(), 'workwell-timer-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

it('resumes a journey in its grace wait after a restart, without repeating finished steps', async () => {
  const clock = new ManualClock(Date.UTC(2026, 1, 2, 9, 0, 0));
  // Same ports both times: handlers keep their SDK clients for the life of the process, as in Lambda.
  const ports = { dynamoDbPort: await freePort(), stepFunctionsPort: await freePort() };
  const options = { areaSlug: 'south-yorkshire', port: 0, dataDir, clock, retryScale: 0, ...ports };
  let rt = await startRuntime(options);
  const res = await fetch(`${rt.gatewayUrl}/v1/referrals`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(validReferral()),
  });
  const { referralId } = (await res.json()) as { referralId: string };
  await rt.engine.idle();
  clock.advance(area.deadlines.firstContactHours.routine * HOUR);
  await rt.engine.idle();
  // Escalated and now in the grace wait; an hour of it passes before the stop.
  clock.advance(HOUR);
  await rt.engine.idle();
  expect(await findOpenTask(referralId, 'first_contact')).toBeUndefined();
  await rt.stop();

  rt = await startRuntime(options);
  try {
    await rt.engine.idle();
    expect(await findOpenTask(referralId, 'first_contact')).toBeUndefined();
    clock.advance(area.deadlines.escalationGraceHours * HOUR - HOUR - 1000);
    await rt.engine.idle();
    expect(await findOpenTask(referralId, 'first_contact')).toBeUndefined();
    clock.advance(1000);
    await rt.engine.idle();
    const second = await findOpenTask(referralId, 'first_contact');
    expect(second?.attempt).toBe(2);
    const timeline = (await listTimeline(referralId)).map((e) => e.event);
    expect(timeline.filter((e) => e === 'task_overdue')).toHaveLength(1);
    expect(timeline.filter((e) => e === 'triaged')).toHaveLength(1);
  } finally {
    await rt.stop();
  }
});
