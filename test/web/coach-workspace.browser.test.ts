import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getCoach } from '../../functions/shared/coach-store.ts';
import { staffSession } from '../../functions/handlers/web-coach.ts';
import { getReferral, listTasks } from '../../functions/shared/referral-store.ts';
import { newSession, sessionCookie } from '../../functions/web/session.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { accessibilityViolations, launchBrowser, screenshot, type TestBrowser } from './browser.ts';

/**
 * The coach workspace in a real browser against the local runtime: a coach signs in by choosing
 * a demo coach, completes a first contact and an assessment, and the referral's timeline shows
 * the journey moving on; a team lead sees the team and the waitlist. Every page is scanned
 * with axe-core and photographed.
 */
let rt: TestRuntime;
let browser: TestBrowser;
let page: Page;

beforeAll(async () => {
  [rt, browser] = await Promise.all([startTestRuntime(), launchBrowser()]);
  page = await browser.newPage();
  page.setDefaultTimeout(10_000);
});
afterAll(async () => {
  await browser?.close();
  await rt?.stop();
});

async function check(name: string): Promise<void> {
  expect(await accessibilityViolations(page), name).toEqual([]);
  await screenshot(page, `coach-${name}`);
}

const heading = () => page.locator('h1').innerText();
const timeline = () => page.getByTestId('timeline').innerText();

async function signInAs(name: string): Promise<void> {
  await page.goto(`${rt.gatewayUrl}/coach`);
  await expect.poll(heading).toBe('Sign in as a demo coach or team lead');
  await page.getByLabel(name, { exact: true }).check();
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect.poll(heading).toBe('My tasks');
}

describe('the coach workspace in a browser', () => {
  it('lets a coach complete a first contact and an assessment, and shows the journey moving on', async () => {
    const res = await rt.postReferral();
    const { referralId } = (await res.json()) as { referralId: string };
    await rt.engine.idle();
    const coachId = (await getReferral(referralId))!.coachId!;
    const coach = (await getCoach(coachId))!;

    await page.goto(`${rt.gatewayUrl}/coach`);
    await expect.poll(heading).toBe('Sign in as a demo coach or team lead');
    await check('01-sign-in');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('.govuk-error-summary').innerText()).toContain('Select who you are signing in as');
    await check('02-sign-in-error');
    await page.getByLabel(coach.name, { exact: true }).check();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(heading).toBe('My tasks');
    const session = (await browser.context.cookies(rt.gatewayUrl)).find((c) => c.name === 'workwell_staff')!;
    expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax' });
    expect(session.value).not.toContain(coachId); // sealed, not readable
    await check('03-my-tasks');

    // First contact: the form for its type, validated on the server, then completed.
    const firstContact = (await listTasks(referralId, 'first_contact'))[0]!;
    await page.locator(`a[href="/coach/tasks/${firstContact.taskId}"]`).click();
    await expect.poll(heading).toBe('Record first contact');
    expect(page.url()).toBe(`${rt.gatewayUrl}/coach/tasks/${firstContact.taskId}`);
    await check('04-first-contact');
    await page.getByRole('button', { name: 'Complete task' }).click();
    await expect.poll(() => page.locator('.govuk-error-summary').innerText()).toContain('Select what happened');
    await check('05-first-contact-errors');
    await page.getByLabel('Spoke to them and they want support').check();
    await page.getByLabel('Phone', { exact: true }).check();
    await page.getByLabel('Day').fill('5');
    await page.getByLabel('Month').fill('1');
    await page.getByLabel('Year').fill('2026');
    await page.getByLabel('Time of contact').fill('09:00');
    await page.getByRole('button', { name: 'Complete task' }).click();
    await expect.poll(() => page.url()).toBe(`${rt.gatewayUrl}/coach/referrals/${referralId}`);
    await expect.poll(() => page.locator('.govuk-notification-banner').innerText()).toContain('First contact task completed');
    expect((await listTasks(referralId, 'first_contact'))[0]!.status).toBe('completed');

    // The journey moves on: the assessment opens, and the timeline shows both steps.
    await rt.engine.idle();
    await page.reload();
    await expect.poll(timeline).toContain('Task completed');
    expect(await timeline()).toMatch(/First contact.*outcome: Engaged/);
    expect(await timeline()).toMatch(/Task opened\s+.*Assessment and plan/);
    await check('06-referral-after-first-contact');
    // The caption gives the short reference, and the page opens by it too, as a person reads it out.
    const reference = (await getReferral(referralId))!.reference!;
    expect(await page.locator('.govuk-caption-l').innerText()).toBe(`Reference ${reference}`);
    await page.goto(`${rt.gatewayUrl}/coach/referrals/${reference.toLowerCase().replaceAll('-', '')}`);
    await expect.poll(() => page.locator('.govuk-caption-l').innerText()).toBe(`Reference ${reference}`);
    await page.goto(`${rt.gatewayUrl}/coach/referrals/${referralId}`);

    const assessment = (await listTasks(referralId, 'assessment'))[0]!;
    expect(assessment.status).toBe('open');
    await page.getByRole('link', { name: 'Assessment and plan' }).click();
    await expect.poll(heading).toBe('Record assessment and plan');
    await check('07-assessment');
    // The session times out while the form is open: the post is answered with a page (not a
    // redirect, which in AWS would lead off-site and be blocked), and nothing is recorded.
    const longAgo = Date.now() - 31 * 60_000;
    const stale = sessionCookie(staffSession, newSession({ staffId: coachId, role: 'coach' as const }, longAgo), longAgo).split(';')[0]!;
    await browser.context.addCookies([{ ...session, value: stale.slice(stale.indexOf('=') + 1) }]);
    await page.getByRole('button', { name: 'Complete task' }).click();
    await expect.poll(heading).toBe('Your session has ended');
    await check('07a-session-ended');
    expect((await listTasks(referralId, 'assessment'))[0]!.status).toBe('open');
    await signInAs(coach.name);
    await page.goto(`${rt.gatewayUrl}/coach/tasks/${assessment.taskId}`);
    await expect.poll(heading).toBe('Record assessment and plan');
    await page.getByLabel('Mental health').first().check();
    await page.getByLabel('Goals').fill('Return to full hours\nAgree adjustments with manager');
    await page.getByLabel('Actions for the participant (optional)').fill('Book a GP review');
    await page.getByLabel('Flexible working').check();
    await page.getByRole('group', { name: 'Will the coach talk to the employer?' }).getByLabel('Yes').check();
    await page.getByLabel('Employed off sick').check();
    await page.getByLabel('WSAS score').fill('22');
    await page.getByLabel('PHQ-9 score').fill('12');
    await page.getByLabel('GAD-7 score').fill('99');
    await page.getByLabel('Sickness absence days').fill('10');
    await page.getByRole('button', { name: 'Complete task' }).click();
    await expect.poll(() => page.locator('.govuk-error-summary').innerText()).toContain('GAD-7 score must be a whole number from 0 to 21');
    expect((await listTasks(referralId, 'assessment'))[0]!.status).toBe('open');
    await page.getByLabel('GAD-7 score').fill('9');
    await page.getByRole('button', { name: 'Complete task' }).click();
    await expect.poll(() => page.url()).toBe(`${rt.gatewayUrl}/coach/referrals/${referralId}`);
    await rt.engine.idle();
    await page.reload();
    await expect.poll(timeline).toMatch(/Task completed\s+.*Assessment and plan/);
    expect((await getReferral(referralId))!.status).toBe('in_support');
    expect(await page.locator('.govuk-summary-list').first().innerText()).toContain('In support');
    await check('08-referral-in-support');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(heading).toBe('You have signed out');
    await check('09-signed-out');
    // Signed out means signed out: the workspace asks to sign in again.
    await page.goto(`${rt.gatewayUrl}/coach/referrals/${referralId}`);
    await expect.poll(heading).toBe('Sign in as a demo coach or team lead');
  });

  it('shows a team lead the team and the waitlist, and a coach neither', async () => {
    const area = (await import('../../areas/index.ts')).loadArea('south-yorkshire');
    await signInAs(area.teamLeads[0]!.name);
    await check('10-team-lead-tasks');
    await page.getByRole('link', { name: 'Team' }).click();
    await expect.poll(heading).toBe('Team');
    expect(await page.locator('main').innerText()).toContain(area.coaches[0]!.name);
    await check('11-team');
    await page.getByRole('link', { name: 'Waitlist' }).click();
    await expect.poll(heading).toBe('Waitlist');
    await check('12-waitlist');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(heading).toBe('You have signed out');

    await signInAs(area.coaches[0]!.name);
    expect(await page.getByRole('link', { name: 'Waitlist' }).count()).toBe(0);
    await page.goto(`${rt.gatewayUrl}/coach/waitlist`);
    await expect.poll(heading).toBe('Page not found');
  });
});
