import { describe, expect, it } from 'vitest';
import { loadArea } from '../../areas/index.ts';
import { ReferralSchema } from '../../functions/domain/referral.ts';
import type { Answers } from '../../functions/web/self-referral/answers.ts';
import { eligibilitySoFar, isReachable, nextPage, previousPage, referralFrom, selfReferralPartner } from '../../functions/web/self-referral/flow.ts';
import { questionBySlug } from '../../functions/web/self-referral/questions.ts';

/** The self-referral form's route and validation, without a browser or a runtime. */
const area = loadArea('south-yorkshire');
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
    expect(nextPage({})).toBe('postcode');
    expect(nextPage({ postcode: 'S1 2HE' })).toBe('date-of-birth');
    expect(nextPage({ ...complete, consent: undefined })).toBe('consent');
    expect(nextPage(complete)).toBe('check-answers');
  });

  it('asks when someone last worked only when they are out of work, and the contact detail for their channel', () => {
    expect(nextPage({ ...complete, situation: 'out_of_work' })).toBe('last-worked');
    const { phone: _phone, ...noPhone } = complete;
    expect(nextPage(noPhone)).toBe('phone');
    expect(nextPage({ ...noPhone, contactMethod: 'email' })).toBe('email');
  });

  it('never shows a page before the ones it depends on', () => {
    expect(isReachable('name', { postcode: 'S1 2HE' })).toBe(false);
    expect(isReachable('check-answers', { ...complete, consent: undefined })).toBe(false);
    expect(isReachable('check-answers', complete)).toBe(true);
    expect(previousPage('date-of-birth', complete)).toBe('postcode');
    expect(previousPage('check-answers', complete)).toBe('consent');
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
