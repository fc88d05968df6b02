import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScaledClock } from '../../local/clock.ts';
import { type Runtime, startRuntime } from '../../local/runtime.ts';
import { cookieSet, getPage, postForm, SELF_REFERRAL_COOKIE, signInStaff, STAFF_COOKIE, startSelfReferral } from '../support/web-pages.ts';

/**
 * `npm start -- --clock-speed 3600`: journeys run an hour a second, but people do not. Staff
 * sessions, the self-referral form and staff tokens must still work after a minute of real
 * time (60 hours on the journeys' clock, far past a 30-minute idle time-out and a 12-hour token).
 */
const SPEED = 3600;
let rt: Runtime;

beforeAll(async () => {
  rt = await startRuntime({ areaSlug: 'south-yorkshire', port: 0, clock: new ScaledClock(Date.UTC(2026, 0, 5, 9, 0), SPEED), schedule: false });
});
afterAll(async () => {
  await rt?.stop();
});

describe('people’s time at clock speed 3600', () => {
  it('a staff session, a self-referral form and a staff token survive a minute of real time', { timeout: 180_000 }, async () => {
    const lead = rt.staff.find((s) => s.role === 'team_lead')!;
    const staff = await signInStaff(rt.gatewayUrl, lead.staffId);
    const form = await startSelfReferral(rt.gatewayUrl);
    const journeyStart = rt.clock.now();
    const realStart = performance.now();

    await sleep(61_000);
    expect(performance.now() - realStart).toBeGreaterThanOrEqual(60_000);
    // The journeys' clock moved on 60 hours or more.
    expect(rt.clock.now() - journeyStart).toBeGreaterThanOrEqual(60 * 3600_000);

    const tasks = await getPage(rt.gatewayUrl, '/coach/tasks', staff.cookie);
    expect(tasks.status).toBe(200);
    expect(await tasks.text()).toContain(staff.csrf);
    expect(cookieSet(tasks, STAFF_COOKIE)).toBeDefined();

    const answered = await postForm(rt.gatewayUrl, '/self-referral/postcode', { postcode: 'S1 2HE', csrfToken: form.csrf }, form.cookie);
    expect(answered.status).toBe(303);
    expect(answered.headers.get('location')).not.toContain('postcode');
    expect(cookieSet(answered, SELF_REFERRAL_COOKIE)).toBeDefined();

    const api = await fetch(`${rt.gatewayUrl}/v1/tasks`, { headers: { authorization: `Bearer ${lead.token}` } });
    expect(api.status).toBe(200);
  });
});
