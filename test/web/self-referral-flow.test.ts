import { beforeAll, describe, expect, it } from 'vitest';
import { loadArea } from '../../areas/index.ts';
import type { AreaSettings } from '../../areas/schema.ts';
import { ReferralSchema } from '../../functions/domain/referral.ts';
import { triage } from '../../functions/domain/triage.ts';
import { type Answers, formSessionCookie, HEALTH_DETAILS_MAX, selfReferralSession } from '../../functions/web/self-referral/answers.ts';
import { applicableQuestions, eligibilitySoFar, isReachable, nextPage, previousPage, referralFrom, selfReferralPartner } from '../../functions/web/self-referral/flow.ts';
import { questionBySlug } from '../../functions/web/self-referral/questions.ts';
import { COOKIE_MAX_BYTES, newSession, readSession } from '../../functions/web/session.ts';

/** The self-referral form's route and validation, without a browser or a runtime. */
const area = loadArea('south-yorkshire');
/** Complex needs are "not eligible" here (exclusions.complexNeeds). */
const lancashire = loadArea('lancashire-and-south-cumbria');
/** South Yorkshire, as if it also served anyone registered with one of its GP practices. */
const withGpPractices: AreaSettings = { ...area, eligibility: { ...area.eligibility, gpPracticeCodes: ['C88001', 'C88002'] } };
const today = '2026-01-05';
const ctx = { area, today };
const read = (slug: string, form: Record<string, string[]>) => questionBySlug(slug)!.read(form, ctx);

const complete: Answers = {
  postcode: 'S1 2HE',
  dateOfBirth: { day: '3', month: '3', year: '1985' },
  situation: 'on_sick_leave',
  givenName: 'Sam',
  familyName: 'Tester',
  contactMethod: 'phone',
  phone: '07700 900982',
  conditions: ['mental_health'],
  healthDetails: '',
  support: [],
  otherNeeds: 'no',
  consent: 'yes',
  evaluationContact: 'yes',
  consentAt: '2026-01-05T09:00:00.000Z',
};

describe('the route through the form', () => {
  it('asks eligibility first, then details, then consent, then check your answers', () => {
    expect(nextPage({}, area)).toBe('postcode');
    expect(nextPage({ postcode: 'S1 2HE' }, area)).toBe('date-of-birth');
    expect(nextPage({ ...complete, consent: undefined }, area)).toBe('consent');
    expect(nextPage(complete, area)).toBe('check-answers');
  });

  it('asks every question that can rule someone out before any personal or health detail', () => {
    for (const settings of [area, lancashire, withGpPractices]) {
      const slugs = applicableQuestions({ ...complete, situation: 'out_of_work' }, settings).map((q) => q.slug);
      const firstDetail = slugs.indexOf('name');
      const eligibility = slugs.filter((slug) => questionBySlug(slug)!.eligibility);
      expect(eligibility).toContain('other-needs');
      expect(eligibility.every((slug) => slugs.indexOf(slug) < firstDetail)).toBe(true);
    }
    expect(nextPage({ postcode: 'PR1 2HE', dateOfBirth: complete.dateOfBirth, situation: 'on_sick_leave' }, lancashire)).toBe('other-needs');
  });

  it('asks when someone last worked only when they are out of work, and the contact detail for their channel', () => {
    expect(nextPage({ ...complete, situation: 'out_of_work' }, area)).toBe('last-worked');
    const { phone: _phone, ...noPhone } = complete;
    expect(nextPage(noPhone, area)).toBe('phone');
    expect(nextPage({ ...noPhone, contactMethod: 'email' }, area)).toBe('email');
  });

  it('never shows a page before the ones it depends on', () => {
    expect(isReachable('name', { postcode: 'S1 2HE' }, area)).toBe(false);
    expect(isReachable('check-answers', { ...complete, consent: undefined }, area)).toBe(false);
    expect(isReachable('check-answers', complete, area)).toBe(true);
    expect(previousPage('date-of-birth', complete, area)).toBe('postcode');
    expect(previousPage('name', complete, area)).toBe('other-needs');
    expect(previousPage('check-answers', complete, area)).toBe('consent');
  });
});

describe('eligibility as soon as it is answered (the area’s triage rules)', () => {
  it('signposts someone outside the area, too young, or out of work too long', () => {
    const outside = eligibilitySoFar({ postcode: 'M1 1AE' }, area, today);
    expect(outside).toMatchObject({ outcome: 'not_eligible', reason: 'outside_area' });
    expect(outside.signposting.map((s) => s.id)).toEqual(area.signposting.map((s) => s.id));
    expect(eligibilitySoFar({ postcode: 'S1 2HE', dateOfBirth: { day: '1', month: '1', year: '2015' } }, area, today).reason).toBe('under_minimum_age');
    const longOut = { postcode: 'S1 2HE', situation: 'out_of_work' as const, lastWorked: { day: '1', month: '1', year: '2024' } };
    expect(eligibilitySoFar(longOut, area, today).reason).toBe('long_term_unemployed');
  });

  it('does not rule anyone out on what they have not answered yet', () => {
    expect(eligibilitySoFar({}, area, today).outcome).not.toBe('not_eligible');
    expect(eligibilitySoFar({ postcode: 'S1 2HE' }, area, today).outcome).not.toBe('not_eligible');
  });

  it('signposts someone with complex needs at once where the area excludes them, and only there', () => {
    const beforeDetails = { postcode: 'PR1 2HE', dateOfBirth: complete.dateOfBirth, situation: 'on_sick_leave' as const, otherNeeds: 'yes' as const };
    expect(questionBySlug('other-needs')!.eligibility).toBe(true);
    expect(eligibilitySoFar(beforeDetails, lancashire, today)).toMatchObject({ outcome: 'not_eligible', reason: 'complex_needs' });
    expect(eligibilitySoFar({ ...beforeDetails, otherNeeds: 'no' }, lancashire, today).outcome).not.toBe('not_eligible');
    expect(eligibilitySoFar({ ...beforeDetails, postcode: 'S1 2HE' }, area, today).outcome).not.toBe('not_eligible');
  });

  it('asks (optionally) for a GP practice where the area serves its practices’ patients, before turning anyone away', () => {
    const outside = { postcode: 'M1 1AE' };
    expect(nextPage(outside, area)).not.toBe('gp-practice');
    expect(nextPage(outside, withGpPractices)).toBe('gp-practice');
    expect(eligibilitySoFar(outside, withGpPractices, today).outcome).not.toBe('not_eligible');
    expect(eligibilitySoFar({ ...outside, gpPracticeCode: 'C88002' }, withGpPractices, today).outcome).not.toBe('not_eligible');
    expect(eligibilitySoFar({ ...outside, gpPracticeCode: '' }, withGpPractices, today)).toMatchObject({ outcome: 'not_eligible', reason: 'outside_area' });
    expect(eligibilitySoFar({ ...outside, gpPracticeCode: 'Y99999' }, withGpPractices, today).reason).toBe('outside_area');
    // Sent on with the referral, so triage of the referral applies the same rule.
    const built = referralFrom({ ...complete, postcode: 'M1 1AE', gpPracticeCode: 'C88002' }, withGpPractices);
    expect(built.ok && built.referral.participant.gpPracticeCode).toBe('C88002');
    expect(built.ok && triage(built.referral, withGpPractices, today).outcome).toBe('eligible');
  });

  it('reads a GP practice code, or nothing, and refuses anything else with a GOV.UK message', () => {
    const gp = (value: string) => questionBySlug('gp-practice')!.read({ gpPracticeCode: [value] }, { area: withGpPractices, today });
    expect(gp(' c88 001 ')).toEqual({ values: { gpPracticeCode: 'C88001' }, errors: [] });
    expect(gp('')).toEqual({ values: { gpPracticeCode: '' }, errors: [] });
    expect(gp('The Surgery')).toMatchObject({ errors: [{ field: 'gpPracticeCode', message: expect.stringMatching(/^Enter a GP practice code/) }] });
  });

  it('agrees with triage of the referral the complete answers make', () => {
    const variations: Answers[] = [
      complete,
      { ...complete, postcode: 'M1 1AE' },
      { ...complete, otherNeeds: 'yes' },
      { ...complete, situation: 'out_of_work', lastWorked: { day: '1', month: '1', year: '2024' } },
      { ...complete, dateOfBirth: { day: '1', month: '1', year: '2015' } },
      { ...complete, postcode: 'PR1 2HE' },
    ];
    for (const settings of [area, lancashire]) {
      for (const answers of variations) {
        const built = referralFrom(answers, settings);
        if (!built.ok) throw new Error('incomplete answers');
        expect(eligibilitySoFar(answers, settings, today).outcome === 'not_eligible').toBe(triage(built.referral, settings, today).outcome === 'not_eligible');
      }
    }
  });
});

describe('the referral the answers make', () => {
  it('is a valid referral from the area’s self-referral service, source self, consent online', () => {
    const built = referralFrom(complete, area);
    expect(built.ok).toBe(true);
    if (!built.ok) return;
    expect(ReferralSchema.safeParse(built.referral).success).toBe(true);
    expect(built.referral).toMatchObject({
      source: 'self',
      referrer: { organisation: selfReferralPartner(area).name },
      participant: { givenName: 'Sam', dateOfBirth: '1985-03-03', postcode: 'S1 2HE', phone: '07700 900982', preferredChannel: 'phone' },
      consent: { given: true, method: 'online', evaluationContact: true, recordedAt: complete.consentAt },
    });
    // A detail for a channel not chosen is not sent.
    const changed = referralFrom({ ...complete, email: 'old@example.com' }, area);
    expect(changed.ok && 'email' in changed.referral.participant).toBe(false);
  });

  it('is refused without consent', () => {
    expect(referralFrom({ ...complete, consent: undefined }, area).ok).toBe(false);
  });
});

describe('validation with GOV.UK messages', () => {
  it('checks postcodes with the referral schema', () => {
    expect(read('postcode', {}).errors).toEqual([{ field: 'postcode', message: 'Enter your postcode' }]);
    expect(read('postcode', { postcode: ['nonsense'] }).errors[0]!.message).toBe('Enter a full UK postcode, like S1 2HE');
    expect(read('postcode', { postcode: [' s1 2he '] })).toEqual({ values: { postcode: 's1 2he' }, errors: [] });
  });

  it('says what is missing or wrong in a date, linking to its first box', () => {
    const dob = (day: string, month: string, year: string) =>
      read('date-of-birth', { 'dateOfBirth-day': [day], 'dateOfBirth-month': [month], 'dateOfBirth-year': [year] }).errors;
    expect(dob('', '', '')).toEqual([{ field: 'dateOfBirth', target: 'dateOfBirth-day', message: 'Enter date of birth' }]);
    expect(dob('3', '', '1985')[0]!.message).toBe('Date of birth must include a month');
    expect(dob('31', '2', '1985')[0]!.message).toBe('Date of birth must be a real date');
    expect(dob('1', '1', '2030')[0]!.message).toBe('Date of birth must be today or in the past');
    expect(dob('3', '3', '1985')).toEqual([]);
  });

  it('needs a choice where one is asked, and ignores values that are not offered', () => {
    expect(read('work-situation', { situation: ['astronaut'] }).errors[0]!.field).toBe('situation');
    expect(read('conditions', { conditions: ['made_up'] }).errors[0]!.message).toMatch(/Select at least one/);
    expect(read('support', { support: ['physiotherapy', 'made_up'] }).values).toEqual({ support: ['physiotherapy'] });
    expect(read('consent', { evaluationContact: ['no'] }).errors.map((e) => e.field)).toEqual(['consent']);
  });
});

describe('long answers and the form session cookie', () => {
  beforeAll(() => {
    process.env.PROVIDER_KEY_SECRET = 'test-secret-for-web-pages-0123456789';
  });
  /** Deterministic text in a script of 3 bytes a character that hardly compresses. */
  const unrepeatedCjk = (length: number) => {
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    return Array.from({ length }, () => String.fromCodePoint(0x4e00 + Math.floor(next() * 0x5000))).join('');
  };
  const cookieOf = (answers: Answers) => formSessionCookie(newSession({ answers }), { answers });

  it('keeps the longest health details in a non-Latin script within what a browser keeps, and reads them back', () => {
    const healthDetails = '健'.repeat(HEALTH_DETAILS_MAX);
    expect(Buffer.byteLength(JSON.stringify(healthDetails))).toBeGreaterThan(COOKIE_MAX_BYTES * 0.7);
    const header = cookieOf({ ...complete, healthDetails });
    expect(header).toBeDefined();
    expect(Buffer.byteLength(header!)).toBeLessThanOrEqual(COOKIE_MAX_BYTES);
    const read = readSession(selfReferralSession, { headers: { Cookie: header!.split(';')[0]! }, multiValueHeaders: {} });
    expect(read.state === 'active' && read.session.data.answers.healthDetails).toBe(healthDetails);
  });

  it('refuses, rather than loses, answers too long for the cookie, with an error on the field', () => {
    expect(cookieOf({ ...complete, healthDetails: unrepeatedCjk(HEALTH_DETAILS_MAX) })).toBeUndefined();
    expect(cookieOf({ ...complete, healthDetails: unrepeatedCjk(HEALTH_DETAILS_MAX / 4) })).toBeDefined();
    expect(questionBySlug('health-details')!.tooLong).toEqual({ field: 'healthDetails', message: expect.stringMatching(/ is too long/) });
  });
});
