import { describe, expect, it } from 'vitest';
import type { ConditionCategory } from '../../areas/schema.ts';
import { rankCoaches, waitlistSortKey, type CoachLoad } from '../../functions/domain/assignment.ts';

function coach(coachId: string, overrides: Partial<CoachLoad> = {}): CoachLoad {
  return { coachId, specialisms: [], localities: [], maxCaseload: 10, caseload: 0, available: true, ...overrides };
}

const need = (conditions: ConditionCategory[], postcodeDistrict = 'S1') => ({ conditions, postcodeDistrict });
const ids = (coaches: CoachLoad[]) => coaches.map((c) => c.coachId);

describe('rankCoaches', () => {
  const cases: { name: string; need: ReturnType<typeof need>; coaches: CoachLoad[]; expected: string[] }[] = [
    {
      name: 'no coaches: nobody',
      need: need(['mental_health']),
      coaches: [],
      expected: [],
    },
    {
      name: 'unavailable and full coaches are left out',
      need: need(['mental_health']),
      coaches: [
        coach('on-leave', { available: false }),
        coach('full', { caseload: 10, maxCaseload: 10 }),
        coach('over', { caseload: 12, maxCaseload: 10 }),
        coach('zero', { maxCaseload: 0 }),
        coach('free', { caseload: 9 }),
      ],
      expected: ['free'],
    },
    {
      name: 'a matching specialism (any overlap) beats locality and load',
      need: need(['musculoskeletal', 'mental_health'], 'S1'),
      coaches: [
        coach('local-idle', { localities: ['S1'] }),
        coach('specialist-busy', { specialisms: ['mental_health'], localities: ['DN1'], caseload: 9 }),
      ],
      expected: ['specialist-busy', 'local-idle'],
    },
    {
      name: 'locality: explicit district, then whole area, then elsewhere',
      need: need(['musculoskeletal'], 'S10'),
      coaches: [
        coach('elsewhere', { localities: ['S1', 'DN1'] }),
        coach('whole-area'),
        coach('explicit', { localities: ['S1', 'S10'], caseload: 8 }),
      ],
      expected: ['explicit', 'whole-area', 'elsewhere'],
    },
    {
      name: 'district match is exact, not a prefix (S1 is not S10)',
      need: need(['other'], 'S10'),
      coaches: [coach('s1', { localities: ['S1'] }), coach('s10', { localities: ['S10'] })],
      expected: ['s10', 's1'],
    },
    {
      name: 'least loaded by ratio, then by caseload, then coachId',
      need: need(['other']),
      coaches: [
        coach('half-of-10', { caseload: 5, maxCaseload: 10 }),
        coach('fifth-of-20', { caseload: 4, maxCaseload: 20 }),
        coach('half-of-4', { caseload: 2, maxCaseload: 4 }),
        coach('b-idle'),
        coach('a-idle'),
      ],
      expected: ['a-idle', 'b-idle', 'fifth-of-20', 'half-of-4', 'half-of-10'],
    },
    {
      name: 'all criteria together',
      need: need(['mental_health'], 'S1'),
      coaches: [
        coach('mh-elsewhere', { specialisms: ['mental_health'], localities: ['DN1'] }),
        coach('mh-area-busy', { specialisms: ['mental_health'], caseload: 3 }),
        coach('mh-local-busy', { specialisms: ['mental_health'], localities: ['S1'], caseload: 9 }),
        coach('msk-local', { specialisms: ['musculoskeletal'], localities: ['S1'] }),
        coach('mh-local-idle', { specialisms: ['mental_health'], localities: ['S1'] }),
      ],
      expected: ['mh-local-idle', 'mh-local-busy', 'mh-area-busy', 'mh-elsewhere', 'msk-local'],
    },
  ];

  it.each(cases)('$name', ({ need: n, coaches, expected }) => {
    expect(ids(rankCoaches(n, coaches))).toEqual(expected);
  });

  it('is deterministic whatever the input order and does not change its input', () => {
    const coaches = [coach('c'), coach('a'), coach('b', { specialisms: ['other'] })];
    const copy = structuredClone(coaches);
    expect(ids(rankCoaches(need(['other']), coaches))).toEqual(['b', 'a', 'c']);
    expect(ids(rankCoaches(need(['other']), [...coaches].reverse()))).toEqual(['b', 'a', 'c']);
    expect(coaches).toEqual(copy);
  });
});

describe('waitlistSortKey', () => {
  it('orders urgent before routine, then by arrival, then by id', () => {
    const entries = [
      { id: 'r-routine-early', key: waitlistSortKey('routine', '2026-01-01T09:00:00.000Z', 'r-routine-early') },
      { id: 'u-late', key: waitlistSortKey('urgent', '2026-03-01T09:00:00.000Z', 'u-late') },
      { id: 'r-late', key: waitlistSortKey('routine', '2026-02-01T09:00:00.000Z', 'r-late') },
      { id: 'u-early', key: waitlistSortKey('urgent', '2026-01-02T09:00:00.000Z', 'u-early') },
      { id: 'u-early-b', key: waitlistSortKey('urgent', '2026-01-02T09:00:00.000Z', 'u-early-b') },
    ];
    const sorted = [...entries].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((e) => e.id);
    expect(sorted).toEqual(['u-early', 'u-early-b', 'u-late', 'r-routine-early', 'r-late']);
  });

  it('normalises the time so that string order is time order', () => {
    expect(waitlistSortKey('routine', '2026-01-01T10:00:00+01:00', 'x')).toBe(
      waitlistSortKey('routine', '2026-01-01T09:00:00.000Z', 'x'),
    );
    expect(() => waitlistSortKey('routine', 'yesterday', 'x')).toThrow();
  });
});
