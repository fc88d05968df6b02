import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findReferralByReference, getReferral, listTimeline } from '../../functions/shared/referral-store.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { accessibilityViolations, launchBrowser, screenshot, type TestBrowser } from './browser.ts';

/**
 * The self-referral form in a real browser against the local runtime: a person refers
 * themselves end to end, makes a mistake and is shown it, or is not eligible and is signposted.
 * Every page is scanned with axe-core and photographed.
 */
let rt: TestRuntime;
let browser: TestBrowser;

beforeAll(async () => {
  [rt, browser] = await Promise.all([startTestRuntime(), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await rt?.stop();
});

/** A new page with no cookies: each test is a new visitor. */
async function visitor(): Promise<Page> {
  await browser.context.clearCookies();
  const page = await browser.newPage();
  page.setDefaultTimeout(10_000);
  return page;
}

/** The page passes the accessibility scan and is photographed. */
async function check(page: Page, name: string): Promise<void> {
  expect(await accessibilityViolations(page), name).toEqual([]);
  await screenshot(page, `self-referral-${name}`);
}

async function continueTo(page: Page, heading: string | RegExp): Promise<void> {
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect.poll(() => page.locator('h1').innerText()).toMatch(heading);
}

describe('the self-referral form in a browser', () => {
  it('takes a person from the start page to a confirmation with a reference, and starts their journey', async () => {
    const page = await visitor();
    const before = await rt.countReferralItems();
    await page.goto(`${rt.gatewayUrl}/self-referral`);
    await check(page, '01-start');
    await page.getByRole('button', { name: 'Start now' }).click();

    await expect.poll(() => page.locator('h1').innerText()).toBe('What is your postcode?');
    await check(page, '02-postcode');
    await page.getByLabel('What is your postcode?').fill('S1 2HE');
    await continueTo(page, 'What is your date of birth?');
    await check(page, '03-date-of-birth');
    await page.getByLabel('Day').fill('3');
    await page.getByLabel('Month').fill('3');
    await page.getByLabel('Year').fill('1985');
    await continueTo(page, 'Which of these best describes your situation?');
    await check(page, '04-work-situation');
    await page.getByLabel('I am off work sick').check();
    // Everything that can rule someone out is asked before any personal detail.
    await continueTo(page, 'Do you have other significant needs that affect your day-to-day life?');
    await check(page, '05-other-needs');
    await page.getByLabel('No').check();
    await continueTo(page, 'What is your name?');
    await check(page, '06-name');
    await page.getByLabel('First name').fill('Sam');
    await page.getByLabel('Last name').fill('Browser-Tester');
    await continueTo(page, 'How would you like us to contact you?');
    await check(page, '07-contact-method');
    await page.getByLabel('Email').check();
    await continueTo(page, 'What is your email address?');
    await check(page, '08-email');
    await page.getByLabel('What is your email address?').fill('sam@example.com');
    await continueTo(page, 'What health conditions affect your work?');
    await check(page, '09-conditions');
    await page.getByLabel('Mental health, such as anxiety, depression or stress').check();
    await continueTo(page, 'Tell us how your health affects your work (optional)');
    await check(page, '10-health-details');
    await page.getByLabel('Tell us how your health affects your work (optional)').fill('Anxiety makes meetings hard.');
    await continueTo(page, 'What support do you think would help you? (optional)');
    await check(page, '11-support');
    await page.getByLabel('Talking therapy or counselling').check();
    await continueTo(page, 'Agree to your referral');
    await check(page, '12-consent');
    await page.getByLabel('I agree to be referred to WorkWell').check();
    await page.getByRole('group', { name: 'Can researchers contact you' }).getByLabel('No').check();
    await continueTo(page, 'Check your answers before sending your referral');
    await check(page, '13-check-answers');
    await expect.poll(() => page.locator('.govuk-summary-list').innerText()).toContain('Browser-Tester');
    // No answer ever appears in an address.
    expect(page.url()).not.toMatch(/S1|Sam|1985|example/);

    await page.getByRole('button', { name: 'Send referral' }).click();
    await expect.poll(() => page.locator('h1').innerText()).toBe('Referral sent');
    await check(page, '14-confirmation');
    // A short reference to read out on the phone, never the internal id.
    const reference = (await page.locator('.workwell-reference').innerText()).trim();
    expect(reference).toMatch(/^SY-[0-9A-HJKMNP-TV-Y]{4}-[0-9A-HJKMNP-TV-Y]{4}$/);
    expect(page.url()).toBe(`${rt.gatewayUrl}/self-referral/confirmation`);

    expect(await rt.countReferralItems()).toBe(before + 1);
    await rt.engine.idle();
    const referralId = (await findReferralByReference(reference))!.referralId;
    const stored = await getReferral(referralId);
    expect(stored).toMatchObject({ source: 'self', partnerId: 'self-referral' });
    expect(stored!.referral.participant).toMatchObject({ givenName: 'Sam', familyName: 'Browser-Tester', postcode: 'S1 2HE', email: 'sam@example.com', preferredChannel: 'email' });
    expect(stored!.referral.consent).toMatchObject({ given: true, method: 'online', evaluationContact: false });
    // Its journey started: triaged and assigned to a coach, waiting on first contact.
    const events = (await listTimeline(referralId)).map((e) => e.event);
    expect(events).toEqual(expect.arrayContaining(['received', 'triaged', 'coach_assigned', 'task_opened']));
    expect((await getReferral(referralId))!.coachId).toEqual(expect.any(String));

    // The confirmation e-mail in the local mailbox: the reference and what happens next, nothing they told us.
    await rt.scheduler.runNotifier();
    const confirmations = (await rt.mailbox.messages('sam@example.com')).filter((m) => m.subject.startsWith('Your WorkWell referral'));
    expect(confirmations).toHaveLength(1);
    expect(confirmations[0]!.subject).toBe(`Your WorkWell referral: reference ${reference}`);
    expect(confirmations[0]!.body.text).toContain('What happens next');
    expect(JSON.stringify(confirmations[0]!.body)).not.toMatch(/Sam|Browser-Tester|S1 2HE|1985|[0-9a-f]{8}-[0-9a-f]{4}/i);

    // Sending again (back, resubmit) replays the first answer: no second referral.
    await page.goBack();
    await expect.poll(() => page.locator('h1').innerText()).toBe('Referral sent');
    expect(await rt.countReferralItems()).toBe(before + 1);
    await page.close();
  });

  it('links the privacy notice, accessibility statement and cookies page from the footer', async () => {
    const page = await visitor();
    await page.goto(`${rt.gatewayUrl}/self-referral`);
    for (const [link, heading, name] of [
      ['Privacy', 'Privacy notice', 'privacy'],
      ['Accessibility statement', 'Accessibility statement', 'accessibility'],
      ['Cookies', 'Cookies', 'cookies'],
    ] as const) {
      await page.locator('.govuk-footer').getByRole('link', { name: link, exact: true }).click();
      await expect.poll(() => page.locator('h1').innerText()).toBe(heading);
      expect(page.url()).toBe(`${rt.gatewayUrl}/help/${name}`);
      await check(page, `footer-${name}`);
    }
    expect(await page.locator('main').innerText()).toContain('workwell_self_referral');
    await page.close();
  });

  it('shows an error summary linking to the field, and stores nothing', async () => {
    const page = await visitor();
    const before = await rt.countReferralItems();
    await page.goto(`${rt.gatewayUrl}/self-referral/postcode`);
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect.poll(() => page.title()).toMatch(/^Error: What is your postcode\?/);
    const summary = page.locator('.govuk-error-summary');
    await expect.poll(() => summary.innerText()).toContain('Enter your postcode');
    await check(page, 'error-01-postcode-empty');
    await summary.getByRole('link', { name: 'Enter your postcode' }).click();
    expect(await page.evaluate('document.activeElement?.id')).toBe('postcode');

    await page.getByLabel('What is your postcode?').fill('not a postcode');
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect.poll(() => summary.innerText()).toContain('Enter a full UK postcode');
    // The wrong answer is shown back so it can be corrected.
    expect(await page.getByLabel('What is your postcode?').inputValue()).toBe('not a postcode');
    await page.getByLabel('What is your postcode?').fill('S1 2HE');
    await continueTo(page, 'What is your date of birth?');
    await page.getByLabel('Day').fill('31');
    await page.getByLabel('Month').fill('2');
    await page.getByLabel('Year').fill('1990');
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect.poll(() => summary.innerText()).toContain('Date of birth must be a real date');
    expect(await summary.getByRole('link').getAttribute('href')).toBe('#dateOfBirth-day');
    await check(page, 'error-02-date-of-birth');
    expect(await rt.countReferralItems()).toBe(before);
    await page.close();
  });

  it('signposts someone outside the area straight away, and stores nothing', async () => {
    const page = await visitor();
    const before = await rt.countReferralItems();
    await page.goto(`${rt.gatewayUrl}/self-referral/postcode`);
    await page.getByLabel('What is your postcode?').fill('M1 1AE');
    await continueTo(page, 'WorkWell cannot help you at the moment');
    await check(page, 'not-eligible');
    const links = await page.locator('main ul.govuk-list a').allInnerTexts();
    expect(links).toContain('National Careers Service');
    expect(links.length).toBeGreaterThan(1);
    expect(await rt.countReferralItems()).toBe(before);
    await page.close();
  });

  it('refuses a form post without the CSRF token, and one with the honeypot filled', async () => {
    const page = await visitor();
    await page.goto(`${rt.gatewayUrl}/self-referral/postcode`);
    const cookie = (await browser.context.cookies(rt.gatewayUrl)).find((c) => c.name === 'workwell_self_referral')!;
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict' });
    const token = await page.locator('input[name=csrfToken]').inputValue();
    const post = (body: Record<string, string>) =>
      fetch(`${rt.gatewayUrl}/self-referral/postcode`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `${cookie.name}=${cookie.value}` },
        body: new URLSearchParams(body),
      });
    expect((await post({ postcode: 'S1 2HE' })).status).toBe(403);
    expect((await post({ postcode: 'S1 2HE', csrfToken: 'x'.repeat(43) })).status).toBe(403);
    expect((await post({ postcode: 'S1 2HE', csrfToken: token, website: 'http://spam.example' })).status).toBe(400);
    const ok = await post({ postcode: 'S1 2HE', csrfToken: token });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/self-referral/date-of-birth');
    const headers = (await fetch(`${rt.gatewayUrl}/self-referral`)).headers;
    expect(headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(headers.get('cache-control')).toBe('no-store');
    await page.close();
  });
});
