import { describe, expect, it } from 'vitest';
import { loadArea } from '../../areas/index.ts';
import type { Service } from '../../areas/schema.ts';
import {
  allowedProviderStatuses,
  canMarkByJourney,
  checkServiceChoice,
  checkServiceChoices,
  isFinalOnwardStatus,
  onwardReferralStatuses,
  providerReferralMessage,
  providerResponse,
  providerStatuses,
  providerTransition,
  respondUrl,
} from '../../functions/domain/onward-referral.ts';
import { parsedReferral } from '../fixtures/referrals.ts';

const directory = loadArea('south-yorkshire').services;
const base = directory[0]!;
const service = (overrides: Partial<Service>): Service => ({ ...base, ...overrides });
const person = { dateOfBirth: '1985-06-15', postcode: 'S1 2HE' };
const today = '2026-03-02';

describe('provider status transitions', () => {
  it('allows the usual path and answers the journey with every provider status', () => {
    expect(providerTransition('sent', 'accepted')).toBe('allowed');
    expect(providerTransition('accepted', 'attended')).toBe('allowed');
    expect(providerTransition('attended', 'completed')).toBe('allowed');
    for (const status of providerStatuses) expect(providerResponse(status)).toBe(true);
    for (const status of ['pending', 'sent', 'unreachable', 'no_response'] as const) {
      expect(providerResponse(status)).toBe(false);
    }
  });

  it('needs attended before completed and allows nothing after completed or declined', () => {
    expect(providerTransition('sent', 'completed')).toBe('not_allowed');
    expect(providerTransition('accepted', 'completed')).toBe('not_allowed');
    for (const status of providerStatuses.filter((s) => s !== 'completed')) {
      expect(providerTransition('completed', status)).toBe('not_allowed');
    }
    for (const status of providerStatuses.filter((s) => s !== 'declined')) {
      expect(providerTransition('declined', status)).toBe('not_allowed');
    }
    expect(isFinalOnwardStatus('completed')).toBe(true);
    expect(isFinalOnwardStatus('declined')).toBe(true);
    expect(isFinalOnwardStatus('accepted')).toBe(false);
  });

  it('treats the current status again as a repeat, and accepts answers before delivery is recorded or late', () => {
    expect(providerTransition('accepted', 'accepted')).toBe('repeat');
    expect(providerTransition('completed', 'completed')).toBe('repeat');
    expect(providerTransition('pending', 'accepted')).toBe('allowed');
    expect(providerTransition('no_response', 'accepted')).toBe('allowed');
    expect(providerTransition('unreachable', 'declined')).toBe('allowed');
  });

  it('never lists a status it would refuse', () => {
    for (const from of onwardReferralStatuses) {
      for (const to of allowedProviderStatuses(from)) expect(providerTransition(from, to)).toBe('allowed');
    }
  });

  it('lets the journey mark unreachable or no_response only before the provider answered', () => {
    expect(canMarkByJourney('sent', 'no_response')).toBe(true);
    expect(canMarkByJourney('pending', 'unreachable')).toBe(true);
    expect(canMarkByJourney('accepted', 'no_response')).toBe(false);
    expect(canMarkByJourney('no_response', 'no_response')).toBe(false);
  });
});

describe('checkServiceChoice', () => {
  it('accepts an active service with no limits that serves the whole area', () => {
    expect(checkServiceChoice(service({ minimum_age: undefined, service_areas: [] }), person, today)).toBeUndefined();
  });

  it('names why a service does not fit', () => {
    expect(checkServiceChoice(undefined, person, today)).toBe('unknown_service');
    expect(checkServiceChoice(service({ status: 'temporarily closed' }), person, today)).toBe('service_not_active');
    expect(checkServiceChoice(service({ status: 'defunct' }), person, today)).toBe('service_not_active');
    expect(checkServiceChoice(service({ minimum_age: 41 }), person, today)).toBe('under_minimum_age');
    expect(checkServiceChoice(service({ maximum_age: 39 }), person, today)).toBe('over_maximum_age');
    expect(checkServiceChoice(service({ service_areas: ['S2', 'S10'] }), person, today)).toBe('outside_service_area');
  });

  it('counts age on the day (birthday inclusive) and matches the postcode district', () => {
    expect(checkServiceChoice(service({ maximum_age: 40 }), person, '2026-06-14')).toBeUndefined();
    expect(checkServiceChoice(service({ maximum_age: 40 }), person, '2026-06-15')).toBe('over_maximum_age');
    expect(checkServiceChoice(service({ service_areas: ['S1'] }), { ...person, postcode: 's12he' }, today)).toBeUndefined();
    expect(checkServiceChoice(service({ service_areas: ['S1'] }), { ...person, postcode: 'S10 2TN' }, today)).toBe(
      'outside_service_area',
    );
  });

  it('checks a set of choices against the directory', () => {
    const ok = checkServiceChoices(directory, ['msk-physiotherapy', 'employment-advice', 'msk-physiotherapy'], person, today);
    expect(ok).toEqual({ ok: true, services: [directory[0], directory[2]] });
    expect(checkServiceChoices(directory, ['msk-physiotherapy', 'nope'], person, today)).toEqual({
      ok: false,
      problems: [{ serviceId: 'nope', reason: 'unknown_service' }],
    });
  });
});

describe('providerReferralMessage', () => {
  it('carries the least the provider needs, and where to answer', () => {
    const referral = parsedReferral({ health: { conditions: ['musculoskeletal'], details: 'free text' } });
    const message = providerReferralMessage({
      onwardReferralId: 'o-1',
      referralId: 'r-1',
      service: base,
      chase: false,
      referral,
      respondUrl: respondUrl('https://api.example/', 'o-1'),
      key: 'k',
    });
    expect(message.respondTo).toEqual({ url: 'https://api.example/v1/onward-referrals/o-1/status', key: 'k' });
    expect(message.participant).toMatchObject({
      name: { given: 'Alex', family: 'Example' },
      dateOfBirth: '1985-06-15',
      postcode: 'S1 2HE',
      contact: { email: 'alex.example@example.com', phone: '07700 900123', preferredChannel: 'email' },
    });
    const text = JSON.stringify(message);
    for (const absent of ['9434765919', 'free text', 'C88001', 'Example Manufacturing', 'Dr Sam']) {
      expect(text).not.toContain(absent);
    }
  });
});
