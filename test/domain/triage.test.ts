import { describe, expect, it } from 'vitest';
import { loadArea, type AreaSettings, type AreaSlug } from '../../areas/index.ts';
import type { ReferralInput } from '../../functions/domain/referral.ts';
import {
  ageOn,
  postcodeDistrict,
  triage,
  triageReasons,
  type TriageDecision,
  type TriageReason,
} from '../../functions/domain/triage.ts';
import { parsedReferral, type DeepPartial } from '../fixtures/referrals.ts';

const TODAY = '2026-03-10';

/** YYYY-MM-DD `days` before `date`. */
function daysBefore(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - days);
  return d.toISOString().slice(0, 10);
}

/** A mutable copy of a real area with some settings changed. */
function modifiedArea(slug: AreaSlug, change: (area: AreaSettings) => void): AreaSettings {
  const area = structuredClone(loadArea(slug));
  change(area);
  return area;
}

// Real postcodes (public buildings) in each area used below.
const SHEFFIELD = 'S1 2HE';
const MANCHESTER = 'M13 9PL';
const PRESTON = 'PR1 8UY';
const LEICESTER = 'LE1 7RH';
const FRIMLEY = 'GU16 7UJ';
const ISLINGTON = 'N19 5NF';

interface Case {
  name: string;
  area: AreaSlug | (() => AreaSettings);
  referral: DeepPartial<ReferralInput>;
  today?: string;
  /** Intake found an open journey that may be the same person. */
  possibleDuplicate?: boolean;
  expected: Pick<TriageDecision, 'outcome' | 'reason'> & Partial<Pick<TriageDecision, 'priority' | 'firstContactDueHours'>>;
}

const cases: Case[] = [
  // Possibly someone already supported: reviewed, but only when nothing else decides
  {
    name: 'an eligible referral that may be the same person as an open journey is reviewed',
    area: 'south-yorkshire',
    referral: {},
    possibleDuplicate: true,
    expected: { outcome: 'needs_review', reason: 'possible_same_person' },
  },
  {
    name: 'a possible same person who is not eligible anyway is simply not eligible',
    area: 'south-yorkshire',
    referral: { participant: { dateOfBirth: '2015-01-01' } },
    possibleDuplicate: true,
    expected: { outcome: 'not_eligible', reason: 'under_minimum_age' },
  },
  // Eligible, and priority from the work situation
  {
    name: 'South Yorkshire: in work and struggling is in scope, routine',
    area: 'south-yorkshire',
    referral: {},
    expected: { outcome: 'eligible', reason: 'in_scope', priority: 'routine', firstContactDueHours: 120 },
  },
  {
    name: 'South Yorkshire: on sick leave is urgent',
    area: 'south-yorkshire',
    referral: { work: { situation: 'on_sick_leave', sickLeaveStart: '2026-02-01', hasFitNote: true } },
    expected: { outcome: 'eligible', reason: 'in_scope', priority: 'urgent', firstContactDueHours: 48 },
  },
  {
    name: 'South Yorkshire: at risk of losing work is urgent',
    area: 'south-yorkshire',
    referral: { work: { situation: 'at_risk_of_losing_work' } },
    expected: { outcome: 'eligible', reason: 'in_scope', priority: 'urgent' },
  },
  {
    name: 'Greater Manchester: resident in M13 is in scope',
    area: 'greater-manchester',
    referral: { participant: { postcode: MANCHESTER } },
    expected: { outcome: 'eligible', reason: 'in_scope', priority: 'routine' },
  },
  {
    name: 'North Central London: recently out of work is in scope, routine',
    area: 'north-central-london',
    referral: { participant: { postcode: ISLINGTON }, work: { situation: 'out_of_work', employer: undefined, lastWorkedDate: '2026-01-09' } },
    expected: { outcome: 'eligible', reason: 'in_scope', priority: 'routine' },
  },
  {
    name: 'postcode is matched without a space and in lower case',
    area: 'south-yorkshire',
    referral: { participant: { postcode: 's12he' } },
    expected: { outcome: 'eligible', reason: 'in_scope' },
  },
  {
    name: 'first contact hours come from the area (urgent)',
    area: () => modifiedArea('south-yorkshire', (a) => { a.deadlines.firstContactHours = { urgent: 4, routine: 36 }; }),
    referral: { work: { situation: 'on_sick_leave' } },
    expected: { outcome: 'eligible', reason: 'in_scope', priority: 'urgent', firstContactDueHours: 4 },
  },
  {
    name: 'first contact hours come from the area (routine)',
    area: () => modifiedArea('south-yorkshire', (a) => { a.deadlines.firstContactHours = { urgent: 4, routine: 36 }; }),
    referral: {},
    expected: { outcome: 'eligible', reason: 'in_scope', priority: 'routine', firstContactDueHours: 36 },
  },

  // Age, with the boundary on the birthday
  {
    name: 'South Yorkshire: 16 today (birthday) is old enough',
    area: 'south-yorkshire',
    referral: { participant: { dateOfBirth: '2010-03-10' } },
    expected: { outcome: 'eligible', reason: 'in_scope' },
  },
  {
    name: 'South Yorkshire: 16 tomorrow is under the minimum age',
    area: 'south-yorkshire',
    referral: { participant: { dateOfBirth: '2010-03-11' } },
    expected: { outcome: 'not_eligible', reason: 'under_minimum_age', priority: 'routine' },
  },
  {
    name: 'Frimley (maxAge 66): 66 until tomorrow is still in range',
    area: 'frimley',
    referral: { participant: { postcode: FRIMLEY, dateOfBirth: '1959-03-11' } },
    expected: { outcome: 'eligible', reason: 'in_scope' },
  },
  {
    name: 'Frimley (maxAge 66): 67 today is over the maximum age',
    area: 'frimley',
    referral: { participant: { postcode: FRIMLEY, dateOfBirth: '1959-03-10' } },
    expected: { outcome: 'not_eligible', reason: 'over_maximum_age' },
  },
  {
    name: 'Lancashire and South Cumbria (16+, no maximum): 80 is in range',
    area: 'lancashire-and-south-cumbria',
    referral: { participant: { postcode: PRESTON, dateOfBirth: '1946-01-01' } },
    expected: { outcome: 'eligible', reason: 'in_scope' },
  },

  // Area: postcode district or GP practice
  {
    name: 'South Yorkshire: Manchester resident is outside the area',
    area: 'south-yorkshire',
    referral: { participant: { postcode: MANCHESTER } },
    expected: { outcome: 'not_eligible', reason: 'outside_area' },
  },
  {
    name: 'Greater Manchester: Sheffield resident is outside the area',
    area: 'greater-manchester',
    referral: {},
    expected: { outcome: 'not_eligible', reason: 'outside_area' },
  },
  {
    name: 'registered with a practice in the area counts even when living outside it',
    area: () => modifiedArea('south-yorkshire', (a) => { a.eligibility.gpPracticeCodes = ['C88001']; }),
    referral: { participant: { postcode: MANCHESTER, gpPracticeCode: 'C88001' } },
    expected: { outcome: 'eligible', reason: 'in_scope' },
  },
  {
    name: 'a practice not in the area does not help someone living outside it',
    area: () => modifiedArea('south-yorkshire', (a) => { a.eligibility.gpPracticeCodes = ['C88001']; }),
    referral: { participant: { postcode: MANCHESTER, gpPracticeCode: 'P84001' } },
    expected: { outcome: 'not_eligible', reason: 'outside_area' },
  },

  // Situation
  {
    name: 'a situation the area does not serve is not in scope',
    area: () => modifiedArea('south-yorkshire', (a) => {
      a.eligibility.situations = ['in_work_struggling', 'on_sick_leave', 'at_risk_of_losing_work'];
    }),
    referral: { work: { situation: 'out_of_work', lastWorkedDate: '2026-02-01' } },
    expected: { outcome: 'not_eligible', reason: 'situation_not_in_scope', priority: 'routine' },
  },

  // Out of work: boundary at exactly maxWeeksOutOfWork (26 weeks = 182 days in Lancashire and South Cumbria)
  {
    name: 'Lancashire and South Cumbria: out of work exactly 26 weeks is in scope',
    area: 'lancashire-and-south-cumbria',
    referral: { participant: { postcode: PRESTON }, work: { situation: 'out_of_work', lastWorkedDate: daysBefore(TODAY, 182) } },
    expected: { outcome: 'eligible', reason: 'in_scope' },
  },
  {
    name: 'Lancashire and South Cumbria: out of work 26 weeks and a day is long-term unemployed',
    area: 'lancashire-and-south-cumbria',
    referral: { participant: { postcode: PRESTON }, work: { situation: 'out_of_work', lastWorkedDate: daysBefore(TODAY, 183) } },
    expected: { outcome: 'not_eligible', reason: 'long_term_unemployed', priority: 'routine' },
  },
  {
    name: 'out of work with no last-worked date needs review',
    area: 'south-yorkshire',
    referral: { work: { situation: 'out_of_work', employer: undefined } },
    expected: { outcome: 'needs_review', reason: 'out_of_work_date_unknown', priority: 'routine' },
  },
  {
    name: 'needs review is urgent when the area treats the situation as urgent',
    area: () => modifiedArea('south-yorkshire', (a) => { a.priority.urgentSituations = ['out_of_work']; }),
    referral: { work: { situation: 'out_of_work' } },
    expected: { outcome: 'needs_review', reason: 'out_of_work_date_unknown', priority: 'urgent', firstContactDueHours: 48 },
  },
  {
    name: 'last-worked date is ignored for people in work',
    area: 'lancashire-and-south-cumbria',
    referral: { participant: { postcode: PRESTON }, work: { situation: 'on_sick_leave', lastWorkedDate: '2024-01-01' } },
    expected: { outcome: 'eligible', reason: 'in_scope', priority: 'urgent' },
  },

  // Exclusions: the area decides the action
  {
    name: 'Lancashire and South Cumbria: complex needs are not eligible',
    area: 'lancashire-and-south-cumbria',
    referral: { participant: { postcode: PRESTON }, needs: { complexNeeds: true } },
    expected: { outcome: 'not_eligible', reason: 'complex_needs' },
  },
  {
    name: 'South Yorkshire: complex needs go to review, urgent when on sick leave',
    area: 'south-yorkshire',
    referral: { work: { situation: 'on_sick_leave' }, needs: { complexNeeds: true } },
    expected: { outcome: 'needs_review', reason: 'complex_needs', priority: 'urgent', firstContactDueHours: 48 },
  },
  {
    name: 'South Yorkshire: immediate risk goes to review',
    area: 'south-yorkshire',
    referral: { needs: { immediateRisk: true } },
    expected: { outcome: 'needs_review', reason: 'immediate_risk', priority: 'routine' },
  },
  {
    name: 'an area that declines immediate risk returns not eligible',
    area: () => modifiedArea('south-yorkshire', (a) => { a.eligibility.exclusions.immediateRisk = 'not_eligible'; }),
    referral: { needs: { immediateRisk: true } },
    expected: { outcome: 'not_eligible', reason: 'immediate_risk' },
  },

  // Focus conditions (Leicester, Leicestershire and Rutland: mental health and MSK)
  {
    name: 'LLR: a condition outside the focus needs review',
    area: 'leicester-leicestershire-and-rutland',
    referral: { participant: { postcode: LEICESTER }, health: { conditions: ['long_term_condition'] } },
    expected: { outcome: 'needs_review', reason: 'condition_outside_focus' },
  },
  {
    name: 'LLR: one focus condition among others is enough',
    area: 'leicester-leicestershire-and-rutland',
    referral: { participant: { postcode: LEICESTER }, health: { conditions: ['long_term_condition', 'mental_health'] } },
    expected: { outcome: 'eligible', reason: 'in_scope' },
  },
  {
    name: 'South Yorkshire (no focus): any condition is in scope',
    area: 'south-yorkshire',
    referral: { health: { conditions: ['sensory'] } },
    expected: { outcome: 'eligible', reason: 'in_scope' },
  },

  // Order of checks
  {
    name: 'order: immediate risk comes before age and area',
    area: 'south-yorkshire',
    referral: { participant: { dateOfBirth: '2012-01-01', postcode: MANCHESTER }, needs: { immediateRisk: true } },
    expected: { outcome: 'needs_review', reason: 'immediate_risk' },
  },
  {
    name: 'order: age comes before area',
    area: 'south-yorkshire',
    referral: { participant: { dateOfBirth: '2012-01-01', postcode: MANCHESTER } },
    expected: { outcome: 'not_eligible', reason: 'under_minimum_age' },
  },
  {
    name: 'order: area comes before complex needs',
    area: 'south-yorkshire',
    referral: { participant: { postcode: MANCHESTER }, needs: { complexNeeds: true } },
    expected: { outcome: 'not_eligible', reason: 'outside_area' },
  },
  {
    name: 'order: long-term unemployed comes before complex needs review',
    area: 'south-yorkshire',
    referral: { work: { situation: 'out_of_work', lastWorkedDate: '2024-01-01' }, needs: { complexNeeds: true } },
    expected: { outcome: 'not_eligible', reason: 'long_term_unemployed' },
  },
  {
    name: 'order: complex needs comes before an unknown out-of-work date',
    area: 'lancashire-and-south-cumbria',
    referral: { participant: { postcode: PRESTON }, work: { situation: 'out_of_work' }, needs: { complexNeeds: true } },
    expected: { outcome: 'not_eligible', reason: 'complex_needs' },
  },
  {
    name: 'order: unknown out-of-work date comes before focus conditions',
    area: 'leicester-leicestershire-and-rutland',
    referral: { participant: { postcode: LEICESTER }, work: { situation: 'out_of_work' }, health: { conditions: ['sensory'] } },
    expected: { outcome: 'needs_review', reason: 'out_of_work_date_unknown' },
  },
];

function areaOf(c: Case): AreaSettings {
  return typeof c.area === 'string' ? loadArea(c.area) : c.area();
}

describe('triage', () => {
  it.each(cases)('$name', (c) => {
    const area = areaOf(c);
    const decision = triage(parsedReferral(c.referral), area, c.today ?? TODAY, { possibleDuplicate: c.possibleDuplicate ?? false });
    expect(decision).toMatchObject(c.expected);
    const priority = decision.priority;
    expect(decision.firstContactDueHours).toBe(area.deadlines.firstContactHours[priority]);
    // Signposting only when not eligible, and then the area's whole list.
    if (decision.outcome === 'not_eligible') {
      expect(decision.signposting).toEqual(area.signposting);
      expect(decision.signposting.map((s) => s.url)).toContain('https://nationalcareers.service.gov.uk');
    } else {
      expect(decision.signposting).toEqual([]);
    }
  });

  it('covers every reason code', () => {
    const seen = new Set<TriageReason>(
      cases.map((c) => triage(parsedReferral(c.referral), areaOf(c), c.today ?? TODAY, { possibleDuplicate: c.possibleDuplicate ?? false }).reason),
    );
    expect([...seen].sort()).toEqual([...triageReasons].sort());
  });

  it('covers every outcome and priority', () => {
    const decisions = cases.map((c) => triage(parsedReferral(c.referral), areaOf(c), c.today ?? TODAY, { possibleDuplicate: c.possibleDuplicate ?? false }));
    expect(new Set(decisions.map((d) => d.outcome))).toEqual(new Set(['eligible', 'not_eligible', 'needs_review']));
    expect(new Set(decisions.map((d) => d.priority))).toEqual(new Set(['urgent', 'routine']));
  });

  it('uses the date it is given, not the clock', () => {
    const referral = parsedReferral({ participant: { dateOfBirth: '2010-06-01' } });
    const area = loadArea('south-yorkshire');
    expect(triage(referral, area, '2026-05-31').reason).toBe('under_minimum_age');
    expect(triage(referral, area, '2026-06-01').reason).toBe('in_scope');
  });

  it('returns a copy of the signposting, so callers cannot change the area', () => {
    const area = loadArea('south-yorkshire');
    const decision = triage(parsedReferral({ participant: { postcode: MANCHESTER } }), area, TODAY);
    decision.signposting[0]!.name = 'changed';
    expect(area.signposting[0]!.name).not.toBe('changed');
  });

  it('rejects a malformed today without echoing it', () => {
    const run = () => triage(parsedReferral(), loadArea('south-yorkshire'), '10/03/2026');
    expect(run).toThrow('today must be a valid YYYY-MM-DD date');
    expect(run).not.toThrow(/10\/03\/2026/);
  });

  it('puts no personal data in errors about a bad referral', () => {
    // Bypasses the schema on purpose, as a caller with unvalidated data might.
    const referral = { ...parsedReferral(), participant: { ...parsedReferral().participant, dateOfBirth: '1985-13-45', postcode: 'S1 2HE' } };
    let message = '';
    try {
      triage(referral, loadArea('south-yorkshire'), TODAY);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe('dateOfBirth must be a valid YYYY-MM-DD date');
    for (const personal of ['1985', 'S1 2HE', 'Alex', 'Example', '9434765919']) expect(message).not.toContain(personal);
  });
});

describe('postcodeDistrict', () => {
  it.each([
    ['S1 2HE', 'S1'],
    ['s1 2he', 'S1'],
    ['S10 2TN', 'S10'],
    ['M13 9PL', 'M13'],
    ['LE1 7RH', 'LE1'],
    ['DN1 2HD', 'DN1'],
    ['SW1A 1AA', 'SW1A'],
    ['EC1V9NR', 'EC1V'],
    ['W1G  8YS', 'W1G'],
    [' TR21 0LW ', 'TR21'],
  ])('%s -> %s', (postcode, district) => {
    expect(postcodeDistrict(postcode)).toBe(district);
  });

  it.each(['S1', 'NOT A POSTCODE', '12345', 'S1 2H'])('rejects %j without echoing it', (postcode) => {
    expect(() => postcodeDistrict(postcode)).toThrow('postcode must be a full UK postcode');
    expect(() => postcodeDistrict(postcode)).not.toThrow(postcode);
  });
});

describe('ageOn', () => {
  it.each([
    ['1985-06-15', '2026-06-14', 40],
    ['1985-06-15', '2026-06-15', 41],
    ['1985-06-15', '2026-06-16', 41],
    ['2010-03-10', '2026-03-10', 16],
    ['2010-03-11', '2026-03-10', 15],
    ['2010-12-31', '2026-01-01', 15],
    // Born on 29 February: a year older on 1 March in other years.
    ['2008-02-29', '2024-02-28', 15],
    ['2008-02-29', '2024-02-29', 16],
    ['2008-02-29', '2025-02-28', 16],
    ['2008-02-29', '2025-03-01', 17],
  ])('born %s, on %s is %i', (dateOfBirth, today, age) => {
    expect(ageOn(dateOfBirth, today)).toBe(age);
  });

  it('rejects impossible dates without echoing them', () => {
    expect(() => ageOn('1985-02-30', TODAY)).toThrow('dateOfBirth must be a valid YYYY-MM-DD date');
    expect(() => ageOn('1985-02-30', TODAY)).not.toThrow(/1985/);
    expect(() => ageOn('1985-06-15', '2026-3-1')).toThrow('today must be a valid YYYY-MM-DD date');
  });
});
