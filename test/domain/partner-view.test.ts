import { describe, expect, it } from 'vitest';
import {
  partnerNotEligibleReason,
  partnerReasonCodes,
  partnerReasonWords,
  partnerStatus,
  partnerTimeline,
} from '../../functions/domain/partner-view.ts';
import { triageReasons } from '../../functions/domain/triage.ts';

const at = '2026-12-01T10:00:00.000Z';

describe('what a partner sees of its referral', () => {
  it('gives a not-eligible reason as a code and words; health and safety reasons become referred_elsewhere', () => {
    expect(partnerNotEligibleReason({ status: 'not_eligible', triageReason: 'outside_area' })).toEqual({
      code: 'outside_area',
      description: partnerReasonWords.outside_area,
    });
    expect(partnerNotEligibleReason({ status: 'not_eligible', triageReason: 'long_term_unemployed' })?.code).toBe('long_term_unemployed');
    for (const health of ['immediate_risk', 'complex_needs', 'condition_outside_focus'] as const) {
      expect(partnerNotEligibleReason({ status: 'not_eligible', triageReason: health })?.code).toBe('referred_elsewhere');
    }
    // A reviewer's decision wins over triage's reason; its judgement of risk is not disclosed.
    expect(partnerNotEligibleReason({ status: 'not_eligible', triageReason: 'possible_same_person', reviewReason: 'risk_too_high' })?.code).toBe(
      'referred_elsewhere',
    );
    expect(partnerNotEligibleReason({ status: 'not_eligible', triageReason: 'complex_needs', reviewReason: 'outside_criteria' })?.code).toBe(
      'outside_criteria',
    );
    expect(partnerNotEligibleReason({ status: 'in_support', triageReason: 'outside_area' })).toBeUndefined();
  });

  it('has words for every reason, none naming health or risk', () => {
    for (const reason of triageReasons) {
      const seen = partnerNotEligibleReason({ status: 'not_eligible', triageReason: reason })!;
      expect(partnerReasonCodes).toContain(seen.code);
    }
    for (const words of Object.values(partnerReasonWords)) expect(words).not.toMatch(/health|risk|condition|complex|safeguard|mental/i);
  });

  it('shows timeline events in words, never linked, another referral, or the staff work', () => {
    const timeline = partnerTimeline([
      { at, event: 'linked', status: 'linked' },
      { at, event: 'duplicate_referral_linked' },
      { at, event: 'triaged', status: 'not_eligible' },
      { at, event: 'task_opened' },
      { at, event: 'notification_failed' },
      { at, event: 'onward_referral_status' },
      { at, event: 'closed_not_eligible', status: 'not_eligible' },
    ]);
    expect(timeline).toEqual([
      { at, event: 'received', description: 'Referral received' },
      { at, event: 'triaged', description: 'Eligibility checked: the person is not eligible' },
      { at, event: 'closed_not_eligible', description: 'Closed: the person is not eligible for the service' },
    ]);
  });

  it('answers a not-eligible referral with its reason, the signposting offered and its short reference', () => {
    const answer = partnerStatus({
      referral: {
        referralId: 'r1',
        reference: 'SY-4K7P-2MXQ',
        status: 'not_eligible',
        stage: 'closed',
        closedAt: at,
        receivedAt: at,
        updatedAt: at,
        triage: { reason: 'immediate_risk', signposting: ['ncs'] },
      },
      timeline: [{ at, event: 'received', status: 'received' }],
      signposts: [
        { id: 'ncs', name: 'National Careers Service', url: 'https://nationalcareers.service.gov.uk', description: 'Careers advice' },
        { id: 'other', name: 'Other', url: 'https://example.org', description: 'Not offered' },
      ],
    });
    expect(answer).toMatchObject({
      reference: 'SY-4K7P-2MXQ',
      progress: 'closed',
      notEligibleReason: { code: 'referred_elsewhere' },
      signposting: [{ name: 'National Careers Service', url: 'https://nationalcareers.service.gov.uk', description: 'Careers advice' }],
    });
    expect(JSON.stringify(answer)).not.toMatch(/immediate_risk/);
  });

  it('shows a linked referral as the partner\'s own, received then closed, never linked', () => {
    const referral = { referralId: 'r2', status: 'linked' as const, stage: 'closed', linkedTo: 'r1', receivedAt: at, updatedAt: at };
    const open = partnerStatus({ referral, journey: { status: 'in_support' }, timeline: [{ at, event: 'linked', status: 'linked' }], signposts: [] });
    expect(open).toMatchObject({ status: 'received', progress: 'received', timeline: [{ event: 'received' }] });
    expect(JSON.stringify(open)).not.toContain('linked');
    expect(open).not.toHaveProperty('notEligibleReason');
  });
});
