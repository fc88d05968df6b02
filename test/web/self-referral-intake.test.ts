import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { findReferralByReference, getReferral, listTimeline, queryPartition } from '../../functions/shared/referral-store.ts';
import { COOKIE_MAX_BYTES } from '../../functions/web/session.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';

/**
 * The self-referral form over HTTP on the local runtime, through the shared intake: what one
 * person's submission may learn of another's (nothing), a double submission of one form session,
 * and answers too long for the session cookie. The client behaves as a browser without
 * JavaScript: it keeps the session cookie, and drops one too big to keep, as browsers do.
 */
let rt: TestRuntime;

beforeAll(async () => {
  rt = await startTestRuntime('south-yorkshire');
});
afterAll(async () => {
  await rt?.stop();
});
// Every test comes from the same client address: a new minute for the per-client limits.
beforeEach(async () => {
  await rt.advance(61_000);
});

const COOKIE = 'workwell_self_referral';

class Visitor {
  private cookie = '';
  private csrf = '';
  /** Every Set-Cookie header the visitor was sent, kept or not. */
  readonly setCookies: string[] = [];

  private keep(res: Response): void {
    for (const header of res.headers.getSetCookie()) {
      this.setCookies.push(header);
      // A browser drops a cookie bigger than it keeps, and keeps the one it had.
      if (!header.startsWith(`${COOKIE}=`) || Buffer.byteLength(header) > COOKIE_MAX_BYTES) continue;
      this.cookie = header.split(';')[0]!;
    }
  }

  async get(slug: string): Promise<{ status: number; html: string; location: string | null }> {
    const res = await fetch(`${rt.gatewayUrl}/self-referral/${slug}`, { headers: this.cookie ? { cookie: this.cookie } : {}, redirect: 'manual' });
    this.keep(res);
    const html = await res.text();
    this.csrf = /name="csrfToken" value="([^"]+)"/.exec(html)?.[1] ?? this.csrf;
    return { status: res.status, html, location: res.headers.get('location') };
  }

  /** Posts with the session cookie held now, or with `cookie` (a request sent before the last answer arrived). */
  async post(slug: string, fields: Record<string, string | string[]>, cookie = this.cookie): Promise<{ status: number; html: string; location: string | null }> {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries({ ...fields, csrfToken: this.csrf, website: '' })) for (const value of [v].flat()) body.append(k, value);
    const res = await fetch(`${rt.gatewayUrl}/self-referral/${slug}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body,
      redirect: 'manual',
    });
    this.keep(res);
    return { status: res.status, html: await res.text(), location: res.headers.get('location') };
  }

  /** Answers page by page, as the form asks, checking each goes on to the page expected. */
  async answer(pages: [string, Record<string, string | string[]>][]): Promise<void> {
    await this.get(pages[0]![0]);
    for (const [slug, fields] of pages) {
      const res = await this.post(slug, fields);
      expect(res.status, slug).toBe(303);
    }
  }

  get sessionCookie(): string {
    return this.cookie;
  }

  async send(cookie = this.cookie): Promise<{ status: number; location: string | null }> {
    return this.post('check-answers', {}, cookie);
  }

  /** The short reference the confirmation shows, and the referral it names. */
  async reference(): Promise<{ reference: string; referralId: string; html: string }> {
    const { html } = await this.get('confirmation');
    const reference = /class="workwell-reference">([^<]+)</.exec(html)?.[1]?.trim();
    if (!reference) throw new Error('no reference on the confirmation page');
    const referralId = (await findReferralByReference(reference))?.referralId;
    if (!referralId) throw new Error('the confirmation names no referral');
    return { reference, referralId, html };
  }
}

let people = 0;
interface Person {
  givenName: string;
  familyName: string;
  phone: string;
  healthDetails?: string;
}
const newPerson = (): Person => ({ givenName: 'Webintake', familyName: `Person${++people}${Math.random().toString(36).slice(2, 7)}`, phone: '07700 900982' });

/** Answers of someone eligible in South Yorkshire, in the order the form asks. */
function pagesFor(p: Person): [string, Record<string, string | string[]>][] {
  return [
    ['postcode', { postcode: 'S1 2HE' }],
    ['date-of-birth', { 'dateOfBirth-day': '3', 'dateOfBirth-month': '3', 'dateOfBirth-year': '1985' }],
    ['work-situation', { situation: 'on_sick_leave' }],
    ['other-needs', { otherNeeds: 'no' }],
    ['name', { givenName: p.givenName, familyName: p.familyName }],
    ['contact-method', { contactMethod: 'phone' }],
    ['phone', { phone: p.phone }],
    ['conditions', { conditions: ['mental_health'] }],
    ['health-details', { healthDetails: p.healthDetails ?? '' }],
    ['support', { support: [] }],
    ['consent', { consent: 'yes', evaluationContact: 'no' }],
  ];
}

async function refer(p: Person): Promise<{ reference: string; referralId: string; html: string }> {
  const visitor = new Visitor();
  await visitor.answer(pagesFor(p));
  expect(await visitor.send()).toMatchObject({ status: 303, location: '/self-referral/confirmation' });
  return visitor.reference();
}

describe('someone else’s self-referral of a person already referred', () => {
  it('gets its own reference, is linked to the open journey with its own details, and the coach is told', async () => {
    const person = newPerson();
    const first = await refer(person);
    await rt.engine.idle();
    const executions = rt.engine.listExecutions().length;

    // A stranger who knows the person's name, date of birth and postcode, with their own phone.
    const stranger = await refer({ ...person, phone: '07700 900123' });
    expect(stranger.reference).not.toBe(first.reference);
    expect(stranger.html).not.toContain(first.reference);
    expect(stranger.html).not.toContain(first.referralId);
    await rt.engine.idle();
    expect(rt.engine.listExecutions().length).toBe(executions);

    const linked = await getReferral(stranger.referralId);
    expect(linked).toMatchObject({ status: 'linked', linkedTo: first.referralId, partnerId: 'self-referral' });
    expect(linked!.referral.participant.phone).toBe('07700 900123');
    expect((await listTimeline(first.referralId)).map((e) => e.event)).toContain('duplicate_referral_linked');
    const told = (await queryPartition(first.referralId, 'NOTIFICATION#')).filter((n) => n.template === 'duplicate_referral_linked');
    expect(told).toHaveLength(1);
    expect(JSON.stringify(told)).not.toContain(person.familyName);
    // The first referral is as it was.
    expect((await getReferral(first.referralId))!.referral.participant.phone).toBe('07700 900982');
  });

  it('one form session sent twice (a double click) is still one referral', async () => {
    const visitor = new Visitor();
    await visitor.answer(pagesFor(newPerson()));
    const before = await rt.countReferralItems();
    const unsent = visitor.sessionCookie;
    // Both clicks carry the cookie from before the first answer arrived; one may be told to
    // wait while the other is in progress, and then tries again.
    const clicks = await Promise.all([visitor.send(unsent), visitor.send(unsent)]);
    expect(clicks.every((c) => c.status === 303 || c.status === 503)).toBe(true);
    const again = await visitor.send(unsent);
    expect(again).toMatchObject({ status: 303, location: '/self-referral/confirmation' });
    const { referralId } = await visitor.reference();
    expect(await rt.countReferralItems()).toBe(before + 1);
    expect(await getReferral(referralId)).toMatchObject({ status: expect.not.stringMatching(/^linked$/) });
  });
});

describe('long answers', () => {
  /** Text in a script of 3 bytes a character that hardly compresses (deterministic). */
  const unrepeatedCjk = (length: number) => {
    let seed = 11;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    return Array.from({ length }, () => String.fromCodePoint(0x4e00 + Math.floor(next() * 0x5000))).join('');
  };

  it('are kept when they fit, and otherwise refused with an error on the field, never silently lost', async () => {
    const person = newPerson();
    const visitor = new Visitor();
    const pages = pagesFor(person);
    const at = pages.findIndex(([slug]) => slug === 'health-details');
    await visitor.answer(pages.slice(0, at));

    const tooLong = unrepeatedCjk(1000);
    const refused = await visitor.post('health-details', { healthDetails: tooLong });
    expect(refused.status).toBe(400);
    expect(refused.html).toContain('govuk-error-summary');
    expect(refused.html).toMatch(/href="#healthDetails">How your health affects your work is too long/);
    // Shown back so it can be shortened; no cookie a browser would drop.
    expect(refused.html).toContain(tooLong);
    expect(visitor.setCookies.every((h) => Buffer.byteLength(h) <= COOKIE_MAX_BYTES)).toBe(true);

    const long = '健'.repeat(1000);
    expect(await visitor.post('health-details', { healthDetails: long })).toMatchObject({ status: 303, location: '/self-referral/support' });
    expect(visitor.setCookies.every((h) => Buffer.byteLength(h) <= COOKIE_MAX_BYTES)).toBe(true);
    for (const [slug, fields] of pages.slice(at + 1)) expect((await visitor.post(slug, fields)).status).toBe(303);
    const check = await visitor.get('check-answers');
    expect(check.status).toBe(200);
    expect(check.html).toContain(long);
    expect((await visitor.send()).status).toBe(303);
    const { referralId } = await visitor.reference();
    expect((await getReferral(referralId))!.referral.health.details).toBe(long);
  });
});
