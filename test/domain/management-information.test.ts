import { describe, expect, it } from 'vitest';
import {
  computeManagementInformation,
  type MiContext,
  type MiJourney,
  percentile,
  periodBounds,
} from '../../functions/domain/management-information.ts';

/** The MI computation on hand-made records: periods, percentiles, check-in chains, endings, small numbers. */
const context: MiContext = {
  area: { slug: 'test', name: 'Test', timeZone: 'Europe/London', services: [{ id: 'physio', name: 'Physio' }] },
  from: '2026-06-01',
  to: '2026-06-30',
  generatedAt: new Date('2026-09-01T00:00:00Z'),
};

function journey(overrides: Partial<MiJourney> & { referralId: string }): MiJourney {
  return {
    source: 'gp',
    receivedAt: '2026-06-10T09:00:00.000Z',
    status: 'triaged_eligible',
    linked: false,
    triage: { outcome: 'eligible', reason: 'in_scope' },
    contacts: [],
    followUps: [],
    onwardReferrals: [],
    ...overrides,
  };
}

describe('periodBounds', () => {
  it('takes whole days in the area time zone, across a clock change', () => {
    // British Summer Time: local midnight is 23:00 UTC the day before.
    expect(periodBounds('2026-06-01', '2026-06-30', 'Europe/London')).toEqual({
      startUtc: '2026-05-31T23:00:00.000Z',
      endUtc: '2026-06-30T23:00:00.000Z',
    });
    // Clocks go forward on 29 March 2026: the period starts in GMT and ends in BST.
    expect(periodBounds('2026-03-01', '2026-03-31', 'Europe/London')).toEqual({
      startUtc: '2026-03-01T00:00:00.000Z',
      endUtc: '2026-03-31T23:00:00.000Z',
    });
  });

  it('refuses impossible or reversed dates', () => {
    expect(() => periodBounds('2026-02-30', '2026-03-01', 'Europe/London')).toThrow(/--from/);
    expect(() => periodBounds('2026-03-02', '2026-03-01', 'Europe/London')).toThrow(/after/);
  });
});

describe('percentile', () => {
  it('interpolates between order statistics like PERCENTILE.INC', () => {
    expect(percentile([], 0.5)).toBeNull();
    expect(percentile([7], 0.9)).toBe(7);
    expect(percentile([4, 1, 3, 2], 0.5)).toBe(2.5);
    expect(percentile([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 0.9)).toBe(91);
  });
});

describe('computeManagementInformation', () => {
  it('counts only referrals received in the period, by the area day', () => {
    const mi = computeManagementInformation(
      [
        journey({ referralId: 'a', receivedAt: '2026-05-31T23:30:00.000Z' }), // 00:30 on 1 June, BST
        journey({ referralId: 'b', receivedAt: '2026-05-31T22:59:59.000Z' }), // 31 May
        journey({ referralId: 'c', receivedAt: '2026-06-30T23:00:00.000Z', source: 'self' }), // 1 July
      ],
      context,
    );
    expect(mi.totals.referralsReceived).toBe(1);
    expect(mi.referralsBySource).toEqual([{ source: 'gp', count: 1 }]);
  });

  it('times first contact from the earliest contact made, and counts check-ins once per chain', () => {
    const mi = computeManagementInformation(
      [
        journey({
          referralId: 'a',
          contacts: [
            { outcome: 'unable_to_contact', contactedAt: '2026-06-10T10:00:00.000Z' },
            { outcome: 'engaged', contactedAt: '2026-06-11T09:00:00.000Z' },
          ],
          assessedAt: '2026-06-13T09:00:00.000Z',
          followUps: [
            { taskId: 't1', status: 'superseded', dueAt: '2026-06-20T09:00:00.000Z', supersededBy: 't2' },
            { taskId: 't2', status: 'completed', dueAt: '2026-06-22T09:00:00.000Z', completedAt: '2026-06-21T09:00:00.000Z' },
            { taskId: 't3', status: 'completed', dueAt: '2026-07-05T09:00:00.000Z', completedAt: '2026-07-04T09:00:00.000Z' },
            { taskId: 't4', status: 'cancelled', dueAt: '2026-07-19T09:00:00.000Z' },
          ],
        }),
        journey({ referralId: 'b', contacts: [{ outcome: 'declined', contactedAt: '2026-06-10T21:00:00.000Z' }], lastStage: 'declined' }),
        journey({ referralId: 'c', triage: { outcome: 'not_eligible', reason: 'outside_area' }, lastStage: 'not_eligible' }),
      ],
      context,
    );
    expect(mi.timings[0]).toMatchObject({ admitted: 2, reached: 2, notReached: 0, medianHours: 18, p90Hours: 22.8 });
    expect(mi.timings[1]).toMatchObject({ reached: 1, medianHours: 72, medianDays: 3 });
    // t1 was retried as t2: one check-in, done but not on time.
    expect(mi.followUps).toEqual([{ due: 3, done: 2, doneOnTime: 1, outstanding: 0, notDone: 1 }]);
    expect(mi.endings).toEqual([{ ending: 'declined_at_first_contact', reason: 'declined', stageReached: 'first_contact', count: 1 }]);
    // 12 hours and exactly a day: the day falls in the second bucket.
    expect(mi.firstContactDistribution.slice(0, 3).map((d) => d.count)).toEqual([1, 1, 0]);
  });

  it('names every count under five in the metadata without suppressing it', () => {
    const mi = computeManagementInformation([journey({ referralId: 'a' }), journey({ referralId: 'b', source: 'self' })], context);
    expect(mi.referralsBySource).toEqual([
      { source: 'gp', count: 1 },
      { source: 'self', count: 1 },
    ]);
    expect(mi.metadata.smallNumbers).toMatchObject({ threshold: 5, suppressed: false });
    expect(mi.metadata.smallNumbers.cellsBelowThreshold).toEqual(
      expect.arrayContaining(['referralsBySource[source=gp].count', 'referralsBySource[source=self].count', 'funnel[stage=received].count']),
    );
  });
});
