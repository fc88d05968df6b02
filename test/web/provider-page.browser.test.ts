import { describe, expect, it } from 'vitest';
import { loadArea } from '../../areas/index.ts';
import { getOnwardReferral, listOnwardReferrals } from '../../functions/shared/onward-referral-store.ts';
import { getCoach } from '../../functions/shared/coach-store.ts';
import { getReferral } from '../../functions/shared/referral-store.ts';
import { JourneyDriver, results } from '../support/journey.ts';
import { browserTestbed } from './browser-testbed.ts';

/**
 * A provider reached by e-mail answers an onward referral from the e-mail alone, in a real
 * browser against the local runtime: the e-mail's link opens the referral's page (what the
 * person agreed to share, a form), the answers go to the journey, and a link that is not the
 * onward referral's own is refused with a GOV.UK error page. Every page is scanned with axe-core.
 */
const bed = browserTestbed('provider');
const area = loadArea('south-yorkshire');
const service = area.services.find((s) => s.referral.channel === 'email')!;
const check = (name: string) => bed.check(name);

const heading = () => bed.page.locator('h1').innerText();

describe("a provider's page from an onward referral e-mail", () => {
  it('shows what the provider needs and takes its answers, which reach the journey', async () => {
    const j = new JourneyDriver(bed.rt);
    const referralId = await j.refer();
    await j.complete(referralId, 'first_contact', results.firstContact('engaged'));
    await j.complete(referralId, 'assessment', results.assessment([service.id]));
    await bed.rt.engine.idle();
    const [onward] = await listOnwardReferrals(referralId);
    expect(onward!.serviceId).toBe(service.id);
    await bed.rt.scheduler.runNotifier();
    const mail = (await bed.rt.mailbox.messages(service.referral.address)).find((m) => (m.body.text ?? '').includes(onward!.onwardReferralId))!;
    const text = mail.body.text ?? '';
    expect(text).not.toMatch(/sign in/i);
    expect(text).not.toContain('/v1/');
    const { participant } = (await getReferral(referralId))!.referral;
    expect(JSON.stringify(mail)).not.toContain(participant.familyName);
    const link = /https?:\/\/\S+/.exec(text)![0];

    await bed.page.goto(link);
    await expect.poll(heading).toBe(`Onward referral ${onward!.onwardReferralId}`);
    const main = await bed.page.locator('main').innerText();
    expect(main).toContain(service.name);
    expect(main).toContain(participant.familyName);
    expect(main).not.toContain(participant.nhsNumber ?? 'no NHS number');
    await check('01-referral');

    // Declining needs a reason: the form says so, and nothing is recorded.
    await bed.page.getByLabel('Declined', { exact: true }).check();
    await bed.page.getByRole('button', { name: 'Send' }).click();
    await expect.poll(() => bed.page.locator('.govuk-error-summary').innerText()).toContain('Select why you declined');
    await check('02-errors');
    expect((await getOnwardReferral(onward!.onwardReferralId))!.status).toBe('sent');

    await bed.page.getByLabel('Accepted', { exact: true }).check();
    await bed.page.getByLabel('Day').fill('14');
    await bed.page.getByLabel('Month').fill('3');
    await bed.page.getByLabel('Year').fill('2031');
    await bed.page.getByRole('button', { name: 'Send' }).click();
    await expect.poll(heading).toBe('Thank you');
    await check('03-thank-you');
    await bed.rt.engine.idle();
    expect(await getOnwardReferral(onward!.onwardReferralId)).toMatchObject({ status: 'accepted', firstAppointmentOn: '2031-03-14' });

    // The same link goes on: attended, then completed.
    await bed.page.goto(link);
    await bed.page.getByLabel('Attended their first appointment').check();
    await bed.page.getByRole('button', { name: 'Send' }).click();
    await expect.poll(heading).toBe('Thank you');
    await bed.page.goto(link);
    await bed.page.getByLabel('Completed', { exact: true }).check();
    await bed.page.getByRole('button', { name: 'Send' }).click();
    await expect.poll(heading).toBe('Thank you');
    await bed.page.goto(link);
    await expect.poll(() => bed.page.locator('main').innerText()).toContain('You have told us everything we need');
    expect((await getOnwardReferral(onward!.onwardReferralId))!.status).toBe('completed');

    // A forged or altered link: an error page, nothing read or changed.
    const forged = new URL(link);
    forged.searchParams.set('expires', String(Number(forged.searchParams.get('expires')) + 60));
    await bed.page.goto(forged.toString());
    await expect.poll(heading).toBe('This link does not work');
    expect(await bed.page.locator('main').innerText()).not.toContain(participant.familyName);
    await check('04-link-does-not-work');

    // The coach sees which service answered, on the referral's timeline.
    const coach = (await getCoach((await getReferral(referralId))!.coachId!))!;
    await bed.page.goto(`${bed.rt.gatewayUrl}/coach/referrals/${referralId}`);
    await bed.page.getByLabel(coach.name, { exact: true }).check();
    await bed.page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => bed.page.url()).toBe(`${bed.rt.gatewayUrl}/coach/referrals/${referralId}`);
    await expect.poll(() => bed.page.getByTestId('timeline').innerText()).toMatch(new RegExp(`Onward referral status\\s+.*${service.name}, status: Completed`));
  });
});
