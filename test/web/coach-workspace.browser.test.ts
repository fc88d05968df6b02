import { describe, expect, it } from 'vitest';
import { getCoach } from '../../functions/shared/coach-store.ts';
import { staffSession } from '../../functions/handlers/web-coach.ts';
import { getReferral, listTasks } from '../../functions/shared/referral-store.ts';
import { newSession, sessionCookie } from '../../functions/web/session.ts';
import { browserTestbed } from './browser-testbed.ts';

/**
 * The coach workspace in a real browser against the local runtime: a coach signs in by choosing
 * a demo coach, completes a first contact and an assessment, and the referral's timeline shows
 * the journey moving on; a team lead sees the team and the waitlist. Every page is scanned
 * with axe-core and photographed.
 */
const bed = browserTestbed('coach');
const check = (name: string) => bed.check(name);

const heading = () => bed.page.locator('h1').innerText();
const timeline = () => bed.page.getByTestId('timeline').innerText();

async function signInAs(name: string): Promise<void> {
  await bed.page.goto(`${bed.rt.gatewayUrl}/coach`);
  await expect.poll(heading).toBe('Sign in as a demo coach or team lead');
  await bed.page.getByLabel(name, { exact: true }).check();
  await bed.page.getByRole('button', { name: 'Sign in' }).click();
  await expect.poll(heading).toBe('My tasks');
}

describe('the coach workspace in a browser', () => {
  it('lets a coach complete a first contact and an assessment, and shows the journey moving on', async () => {
    const res = await bed.rt.postReferral();
    const { referralId } = (await res.json()) as { referralId: string };
    await bed.rt.engine.idle();
    const coachId = (await getReferral(referralId))!.coachId!;
    const coach = (await getCoach(coachId))!;

    await bed.page.goto(`${bed.rt.gatewayUrl}/coach`);
    await expect.poll(heading).toBe('Sign in as a demo coach or team lead');
    await check('01-sign-in');
    await bed.page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => bed.page.locator('.govuk-error-summary').innerText()).toContain('Select who you are signing in as');
    await check('02-sign-in-error');
    await bed.page.getByLabel(coach.name, { exact: true }).check();
    await bed.page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(heading).toBe('My tasks');
    const session = (await bed.browser.context.cookies(bed.rt.gatewayUrl)).find((c) => c.name === 'workwell_staff')!;
    expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax' });
    expect(session.value).not.toContain(coachId); // sealed, not readable
    await check('03-my-tasks');

    // First contact: the form for its type, validated on the server, then completed.
    const firstContact = (await listTasks(referralId, 'first_contact'))[0]!;
    await bed.page.locator(`a[href="/coach/tasks/${firstContact.taskId}"]`).click();
    await expect.poll(heading).toBe('Record first contact');
    expect(bed.page.url()).toBe(`${bed.rt.gatewayUrl}/coach/tasks/${firstContact.taskId}`);
    await check('04-first-contact');
    await bed.page.getByRole('button', { name: 'Complete task' }).click();
    await expect.poll(() => bed.page.locator('.govuk-error-summary').innerText()).toContain('Select what happened');
    await check('05-first-contact-errors');
    await bed.page.getByLabel('Spoke to them and they want support').check();
    await bed.page.getByLabel('Phone', { exact: true }).check();
    await bed.page.getByLabel('Day').fill('5');
    await bed.page.getByLabel('Month').fill('1');
    await bed.page.getByLabel('Year').fill('2026');
    await bed.page.getByLabel('Time of contact').fill('09:00');
    await bed.page.getByRole('button', { name: 'Complete task' }).click();
    await expect.poll(() => bed.page.url()).toBe(`${bed.rt.gatewayUrl}/coach/referrals/${referralId}`);
    await expect.poll(() => bed.page.locator('.govuk-notification-banner').innerText()).toContain('First contact task completed');
    expect((await listTasks(referralId, 'first_contact'))[0]!.status).toBe('completed');

    // The journey moves on: the assessment opens, and the timeline shows both steps.
    await bed.rt.engine.idle();
    await bed.page.reload();
    await expect.poll(timeline).toContain('Task completed');
    expect(await timeline()).toMatch(/First contact.*outcome: Engaged/);
    expect(await timeline()).toMatch(/Task opened\s+.*Assessment and plan/);
    await check('06-referral-after-first-contact');
    // The caption gives the short reference, and the page opens by it too, as a person reads it out.
    const reference = (await getReferral(referralId))!.reference!;
    expect(await bed.page.locator('.govuk-caption-l').innerText()).toBe(`Reference ${reference}`);
    await bed.page.goto(`${bed.rt.gatewayUrl}/coach/referrals/${reference.toLowerCase().replaceAll('-', '')}`);
    await expect.poll(() => bed.page.locator('.govuk-caption-l').innerText()).toBe(`Reference ${reference}`);
    await bed.page.goto(`${bed.rt.gatewayUrl}/coach/referrals/${referralId}`);

    const assessment = (await listTasks(referralId, 'assessment'))[0]!;
    expect(assessment.status).toBe('open');
    await bed.page.getByRole('link', { name: 'Assessment and plan' }).click();
    await expect.poll(heading).toBe('Record assessment and plan');
    await check('07-assessment');
    // The session times out while the form is open: the post is answered with a page (not a
    // redirect, which in AWS would lead off-site and be blocked), and nothing is recorded.
    const longAgo = Date.now() - 31 * 60_000;
    const stale = sessionCookie(staffSession, newSession({ staffId: coachId, role: 'coach' as const }, longAgo), longAgo).split(';')[0]!;
    await bed.browser.context.addCookies([{ ...session, value: stale.slice(stale.indexOf('=') + 1) }]);
    await bed.page.getByRole('button', { name: 'Complete task' }).click();
    await expect.poll(heading).toBe('Your session has ended');
    await check('07a-session-ended');
    expect((await listTasks(referralId, 'assessment'))[0]!.status).toBe('open');
    await signInAs(coach.name);
    await bed.page.goto(`${bed.rt.gatewayUrl}/coach/tasks/${assessment.taskId}`);
    await expect.poll(heading).toBe('Record assessment and plan');
    await bed.page.getByLabel('Mental health').first().check();
    await bed.page.getByLabel('Goals').fill('Return to full hours\nAgree adjustments with manager');
    await bed.page.getByLabel('Actions for the participant (optional)').fill('Book a GP review');
    await bed.page.getByLabel('Flexible working').check();
    await bed.page.getByRole('group', { name: 'Will the coach talk to the employer?' }).getByLabel('Yes').check();
    await bed.page.getByLabel('Employed off sick').check();
    await bed.page.getByLabel('WSAS score').fill('22');
    await bed.page.getByLabel('PHQ-9 score').fill('12');
    await bed.page.getByLabel('GAD-7 score').fill('99');
    await bed.page.getByLabel('Sickness absence days').fill('10');
    await bed.page.getByRole('button', { name: 'Complete task' }).click();
    await expect.poll(() => bed.page.locator('.govuk-error-summary').innerText()).toContain('GAD-7 score must be a whole number from 0 to 21');
    expect((await listTasks(referralId, 'assessment'))[0]!.status).toBe('open');
    await bed.page.getByLabel('GAD-7 score').fill('9');
    await bed.page.getByRole('button', { name: 'Complete task' }).click();
    await expect.poll(() => bed.page.url()).toBe(`${bed.rt.gatewayUrl}/coach/referrals/${referralId}`);
    await bed.rt.engine.idle();
    await bed.page.reload();
    await expect.poll(timeline).toMatch(/Task completed\s+.*Assessment and plan/);
    expect((await getReferral(referralId))!.status).toBe('in_support');
    expect(await bed.page.locator('.govuk-summary-list').first().innerText()).toContain('In support');
    await check('08-referral-in-support');

    await bed.page.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(heading).toBe('You have signed out');
    await check('09-signed-out');
    // Signed out means signed out: the workspace asks to sign in again.
    await bed.page.goto(`${bed.rt.gatewayUrl}/coach/referrals/${referralId}`);
    await expect.poll(heading).toBe('Sign in as a demo coach or team lead');
  });

  it("takes a coach from a new-task e-mail's link through sign-in to the task", async () => {
    const res = await bed.rt.postReferral();
    const { referralId } = (await res.json()) as { referralId: string };
    await bed.rt.engine.idle();
    const coach = (await getCoach((await getReferral(referralId))!.coachId!))!;
    const task = (await listTasks(referralId, 'first_contact'))[0]!;
    await bed.rt.scheduler.runNotifier();
    // E-mails name the case by its short reference and link to the task's page.
    const mail = (await bed.rt.mailbox.messages(coach.email)).find((m) => m.subject.startsWith('New WorkWell task') && (m.body.text ?? '').includes(`/coach/tasks/${task.taskId}`));
    const link = /https?:\/\/\S+/.exec(mail!.body.text ?? '')![0];
    expect(new URL(link).pathname).toBe(`/coach/tasks/${task.taskId}`);

    await bed.browser.context.clearCookies();
    await bed.page.goto(link);
    await expect.poll(heading).toBe('Sign in as a demo coach or team lead');
    await bed.page.getByLabel(coach.name, { exact: true }).check();
    await bed.page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => bed.page.url()).toBe(`${bed.rt.gatewayUrl}/coach/tasks/${task.taskId}`);
    await expect.poll(heading).toBe('Record first contact');
    await check('13-task-from-email');
    await bed.page.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(heading).toBe('You have signed out');
  });

  it('shows a team lead the team and the waitlist, and a coach neither', async () => {
    const area = (await import('../../areas/index.ts')).loadArea('south-yorkshire');
    await signInAs(area.teamLeads[0]!.name);
    await check('10-team-lead-tasks');
    await bed.page.getByRole('link', { name: 'Team' }).click();
    await expect.poll(heading).toBe('Team');
    expect(await bed.page.locator('main').innerText()).toContain(area.coaches[0]!.name);
    await check('11-team');
    await bed.page.getByRole('link', { name: 'Waitlist' }).click();
    await expect.poll(heading).toBe('Waitlist');
    await check('12-waitlist');
    await bed.page.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(heading).toBe('You have signed out');

    await signInAs(area.coaches[0]!.name);
    expect(await bed.page.getByRole('link', { name: 'Waitlist' }).count()).toBe(0);
    await bed.page.goto(`${bed.rt.gatewayUrl}/coach/waitlist`);
    await expect.poll(heading).toBe('Page not found');
  });
});
