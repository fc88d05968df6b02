import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { computeManagementInformation, periodBounds, type ManagementInformation } from '../../functions/domain/management-information.ts';
import { partitionAttributes, readJourneysReceived, referralAttributes } from '../../functions/shared/mi-reader.ts';
import { listOnwardReferrals } from '../../functions/shared/onward-referral-store.ts';
import { getReferral } from '../../functions/shared/referral-store.ts';
import { withdrawReferral } from '../../functions/shared/withdrawal.ts';
import { CHART_FILE, describeFailure, JSON_FILE, main } from '../../ops/management-information.ts';
import { type DeepPartial, referralForNewPerson } from '../fixtures/referrals.ts';
import type { ReferralInput } from '../../functions/domain/referral.ts';
import { type JourneyTestbed, results, startJourneyTestbed } from '../support/journey.ts';
import { HOUR } from '../support/runtime.ts';
import { registerPartnerFor } from '../support/partners.ts';

/**
 * `npm run mi` against journeys seeded on the local runtime. Every expected figure is worked
 * out here from the seed plan below (what each journey is and what was done to it, and when),
 * never read back from the command's output.
 */
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
const FROM = '2026-01-05'; // the test clock starts on Monday 5 January 2026, 09:00 UTC (GMT)
const TIME_ZONE = 'Europe/London';

interface Plan {
  readonly source: ReferralInput['source'];
  readonly person: DeepPartial<ReferralInput>;
  readonly triage: { outcome: string; reason: string };
  readonly review?: { outcome: 'eligible' | 'not_eligible'; reason: string };
  /** Hours after receipt that the person was reached (engaged or declined). */
  readonly contactHours?: number;
  readonly assessmentHours?: number;
  readonly onward?: readonly { serviceId: string; status: string; response: string }[];
  readonly followUpsDone?: number;
  readonly followUpsNotDone?: number;
  readonly outcome?: boolean;
  readonly ending?: { ending: string; reason: string; stageReached: string };
  /** Not closed when the MI is taken. */
  readonly open?: boolean;
}

let n = 0;
/** Distinct personal details for each person, so any leak into the output can be found. */
function person(overrides: DeepPartial<ReferralInput> = {}): DeepPartial<ReferralInput> {
  n++;
  const base: DeepPartial<ReferralInput> = {
    participant: {
      familyName: `Miseeded${n}surname`,
      dateOfBirth: `1980-0${1 + (n % 9)}-1${n % 10}`,
      postcode: ['S1 2HE', 'S10 2TN', 'DN1 3AA', 'S60 1QY', 'S70 2RD'][n % 5]!,
      email: `mi.person.${n}@example.com`,
      phone: `07700 900${String(100 + n)}`,
    },
  };
  return { ...base, ...overrides, participant: { ...base.participant, ...overrides.participant } } as DeepPartial<ReferralInput>;
}

const inScope = { outcome: 'eligible', reason: 'in_scope' };
const plans = {
  full: {
    source: 'gp',
    person: person(),
    triage: inScope,
    contactHours: 3,
    assessmentHours: 48,
    onward: [
      { serviceId: 'msk-physiotherapy', status: 'accepted', response: 'accepted' },
      { serviceId: 'talking-therapies', status: 'declined', response: 'declined' },
    ],
    followUpsDone: 5, // check-ins every 2 weeks over 12 weeks, then the outcome
    outcome: true,
  },
  withdrawnInSupport: {
    source: 'employer',
    person: person(),
    triage: inScope,
    contactHours: 10,
    assessmentHours: 72,
    onward: [{ serviceId: 'talking-therapies', status: 'sent', response: 'awaiting_answer' }],
    ending: { ending: 'withdrawn', reason: 'participant_withdrew', stageReached: 'assessed' },
  },
  declined: {
    source: 'self',
    person: person(),
    triage: inScope,
    contactHours: 26,
    ending: { ending: 'declined_at_first_contact', reason: 'declined', stageReached: 'first_contact' },
  },
  unreachable: {
    source: 'jobcentre_plus',
    person: person(),
    triage: inScope,
    ending: { ending: 'not_engaged', reason: 'contact_attempts_failed', stageReached: 'before_first_contact' },
  },
  outsideArea: { source: 'vcs', person: person({ participant: { postcode: 'SW1A 1AA' } }), triage: { outcome: 'not_eligible', reason: 'outside_area' } },
  tooYoung: { source: 'gp', person: person({ participant: { dateOfBirth: '2015-01-01' } }), triage: { outcome: 'not_eligible', reason: 'under_minimum_age' } },
  reviewedIn: {
    source: 'local_authority',
    person: person({ needs: { complexNeeds: true } }),
    triage: { outcome: 'needs_review', reason: 'complex_needs' },
    review: { outcome: 'eligible', reason: 'exception_agreed' },
    contactHours: 26,
    assessmentHours: 60,
    onward: [],
    followUpsDone: 2,
    followUpsNotDone: 1, // withdrawn while the third check-in was open
    ending: { ending: 'withdrawn', reason: 'moved_away', stageReached: 'assessed' },
  },
  reviewedOut: {
    source: 'employer',
    person: person({ work: { situation: 'out_of_work', employer: undefined } }),
    triage: { outcome: 'needs_review', reason: 'out_of_work_date_unknown' },
    review: { outcome: 'not_eligible', reason: 'outside_criteria' },
  },
  cancelled: {
    source: 'gp',
    person: person(),
    triage: inScope,
    ending: { ending: 'withdrawn', reason: 'referrer_cancelled', stageReached: 'before_first_contact' },
  },
  // Still waiting for first contact at the export: each two-week step moves its task one phase.
  awaitingContact: { source: 'primary_care', person: person(), triage: inScope, open: true },
} satisfies Record<string, Plan>;
type Key = keyof typeof plans;

let bed: JourneyTestbed;
const ids = {} as Record<Key, string>;
const bodies: ReferralInput[] = [];
let linkedId: string;
let laterId: string;
let outcomeDate: string;
let outcomeRecordedDate: string;
let out: string;
let mi: ManagementInformation;

const localDate = (at: Date) => at.toLocaleDateString('en-CA', { timeZone: TIME_ZONE });

/** Each source's referrals come from a partner of a kind that may send it (one per source). */
const partnersBySource = new Map<string, Record<string, string>>();
async function partnerFor(source: Plan['source']): Promise<Record<string, string>> {
  if (!partnersBySource.has(source)) partnersBySource.set(source, (await registerPartnerFor(source, 'mi-test')).auth);
  return partnersBySource.get(source)!;
}

async function refer(plan: Plan, auth?: Record<string, string>): Promise<string> {
  const body = referralForNewPerson({ ...plan.person, source: plan.source });
  bodies.push(body);
  const res = await bed.rt.postReferral(body, auth ?? (await partnerFor(plan.source)));
  if (res.status !== 202) throw new Error(`referral refused: ${res.status}`);
  await bed.rt.engine.idle();
  return ((await res.json()) as { referralId: string }).referralId;
}

async function answerAsProvider(onwardReferralId: string, status: string) {
  const sent = bed.provider.received.find((r) => r.body.onwardReferralId === onwardReferralId);
  if (!sent) throw new Error('provider never received the onward referral');
  await fetch(sent.body.respondTo.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${sent.body.respondTo.key}` },
    body: JSON.stringify({ status }),
  });
  await bed.rt.engine.idle();
}

/** Seeds the journeys: everything on 5 January, then time moves as each plan says. */
async function seed() {
  const { rt, j } = bed;
  const start = Date.now();
  const at = (hours: number) => rt.advance(start + hours * HOUR - Date.now());
  for (const key of Object.keys(plans) as Key[]) ids[key] = await refer(plans[key]);
  // The full journey's person referred again by another partner: linked, no journey of its own.
  const again = structuredClone(bodies[0]!);
  again.source = 'employer';
  bodies.push(again);
  const res = await rt.postReferral(again, rt.auth(1));
  linkedId = ((await res.json()) as { referralId: string }).referralId;

  for (let i = 0; i < 3; i++) await j.complete(ids.unreachable, 'first_contact', results.firstContact('unable_to_contact'));
  await withdrawReferral(ids.cancelled, 'referrer_cancelled');
  await j.complete(ids.reviewedIn, 'needs_review', plans.reviewedIn.review, 'team-lead');
  await j.complete(ids.reviewedOut, 'needs_review', plans.reviewedOut.review, 'team-lead');

  await at(plans.full.contactHours);
  await j.complete(ids.full, 'first_contact', results.firstContact('engaged'));
  await at(plans.withdrawnInSupport.contactHours);
  await j.complete(ids.withdrawnInSupport, 'first_contact', results.firstContact('engaged'));
  await at(plans.declined.contactHours);
  await j.complete(ids.declined, 'first_contact', results.firstContact('declined'));
  await j.complete(ids.reviewedIn, 'first_contact', results.firstContact('engaged'));
  laterId = await refer({ source: 'gp', person: person(), triage: inScope }); // 6 January: outside the period

  await at(plans.full.assessmentHours);
  await j.complete(ids.full, 'assessment', results.assessment(plans.full.onward.map((o) => o.serviceId)));
  for (const o of await listOnwardReferrals(ids.full)) {
    await answerAsProvider(o.onwardReferralId, plans.full.onward.find((p) => p.serviceId === o.serviceId)!.status);
  }
  await at(plans.reviewedIn.assessmentHours);
  await j.complete(ids.reviewedIn, 'assessment', results.assessment([]));
  await at(plans.withdrawnInSupport.assessmentHours);
  await j.complete(ids.withdrawnInSupport, 'assessment', results.assessment(plans.withdrawnInSupport.onward.map((o) => o.serviceId)));
  await at(plans.withdrawnInSupport.assessmentHours + 1);
  await withdrawReferral(ids.withdrawnInSupport, 'participant_withdrew');

  // Check-ins, each answered the day it opens; the reviewed-in person moves away at the third.
  let reviewedInDone = 0;
  for (;;) {
    await rt.advance(2 * WEEK);
    if ((await getReferral(ids.reviewedIn))?.closedAt === undefined && (await j.liveTask(ids.reviewedIn, 'follow_up'))) {
      if (reviewedInDone < plans.reviewedIn.followUpsDone) {
        await j.complete(ids.reviewedIn, 'follow_up', results.followUp());
        reviewedInDone++;
      } else {
        await withdrawReferral(ids.reviewedIn, 'moved_away');
        await rt.engine.idle();
      }
    }
    await j.complete(ids.full, 'follow_up', results.followUp());
    if (await j.liveTask(ids.full, 'outcome')) break;
  }
  const outcome = results.outcome();
  outcomeDate = outcome.outcomeDate;
  outcomeRecordedDate = localDate(new Date());
  await j.complete(ids.full, 'outcome', outcome);
}

beforeAll(async () => {
  bed = await startJourneyTestbed('test-mi-export');
  await seed();
  out = join(tmpdir(), `workwell-mi-${process.pid}`);
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  try {
    const code = await main(['--area', bed.area.slug, '--from', FROM, '--to', FROM, '--endpoint', bed.rt.dynamoDbEndpoint, '--out', out]);
    if (code !== 0) throw new Error(`mi exited ${code}`);
  } finally {
    log.mockRestore();
  }
  mi = JSON.parse(await readFile(join(out, JSON_FILE), 'utf8')) as ManagementInformation;
}, 120_000);
afterAll(async () => {
  await bed?.stop();
  if (out) await rm(out, { recursive: true, force: true });
});

// Independent expectations, from the plans alone.
const all = Object.entries(plans) as [Key, Plan][];
const admitted = all.filter(([, p]) => p.triage.outcome === 'eligible' || p.review?.outcome === 'eligible');
function tally<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}
const asTally = <R extends { count: number }>(rows: readonly R[], key: (row: R) => string) =>
  Object.fromEntries(rows.map((r) => [key(r), r.count]));
/** Median / 90th percentile the way a spreadsheet's PERCENTILE.INC does it. */
function spreadsheetPercentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  const rank = 1 + (s.length - 1) * p;
  const whole = Math.floor(rank);
  return s[whole - 1]! + (rank - whole) * ((s[whole] ?? s[whole - 1]!) - s[whole - 1]!);
}

describe('npm run mi', () => {
  it('seeded the journeys as planned', async () => {
    const statuses = Object.fromEntries(await Promise.all(all.map(async ([k]) => [k, (await getReferral(ids[k]))?.status])));
    expect(statuses).toEqual({
      full: 'completed',
      withdrawnInSupport: 'withdrawn',
      declined: 'withdrawn',
      unreachable: 'not_engaged',
      outsideArea: 'not_eligible',
      tooYoung: 'not_eligible',
      reviewedIn: 'withdrawn',
      reviewedOut: 'not_eligible',
      cancelled: 'withdrawn',
      awaitingContact: 'awaiting_first_contact',
    });
    expect((await getReferral(linkedId))?.linkedTo).toBe(ids.full);
  });

  it('counts referrals received in the period by source, the linked one included, the next day excluded', () => {
    const expected = tally([...all.map(([, p]) => p.source), 'employer'], (s) => s);
    expect(asTally(mi.referralsBySource, (r) => r.source)).toEqual(expected);
    const open = all.filter(([, p]) => p.open).length;
    expect(mi.totals).toEqual({ referralsReceived: all.length + 1, linkedToOpenJourney: 1, admitted: admitted.length, open, closed: all.length - open });
    expect(JSON.stringify(mi)).not.toContain(laterId);
  });

  it('reports triage outcomes with reasons, and reviews', () => {
    expect(asTally(mi.triageOutcomes, (r) => `${r.outcome}/${r.reason}`)).toEqual(tally(all, ([, p]) => `${p.triage.outcome}/${p.triage.reason}`));
    const reviewed = all.flatMap(([, p]) => (p.review ? [p.review] : []));
    expect(asTally(mi.reviewOutcomes, (r) => `${r.outcome}/${r.reason}`)).toEqual(tally(reviewed, (r) => `${r.outcome}/${r.reason}`));
  });

  it('times first contact and assessment from receipt: median, 90th percentile, how many reached them', () => {
    for (const [measure, hoursOf] of [
      ['referral_to_first_contact', (p: Plan) => p.contactHours],
      ['referral_to_assessment', (p: Plan) => p.assessmentHours],
    ] as const) {
      const hours = admitted.flatMap(([, p]) => (hoursOf(p) === undefined ? [] : [hoursOf(p)!]));
      const row = mi.timings.find((t) => t.measure === measure);
      expect(row).toMatchObject({
        admitted: admitted.length,
        reached: hours.length,
        notReached: admitted.length - hours.length,
        medianHours: spreadsheetPercentile(hours, 0.5),
        p90Hours: Math.round(spreadsheetPercentile(hours, 0.9) * 10) / 10,
      });
      expect(row?.medianDays).toBe(Math.round((spreadsheetPercentile(hours, 0.5) / 24) * 10) / 10);
    }
    const withinADay = admitted.filter(([, p]) => p.contactHours !== undefined && p.contactHours < 24).length;
    expect(mi.firstContactDistribution.find((d) => d.days === '0-1')?.count).toBe(withinADay);
  });

  it('reports onward referrals by service and provider response', () => {
    const onward = all.flatMap(([, p]) => p.onward ?? []);
    expect(asTally(mi.onwardReferrals, (r) => `${r.serviceId}/${r.status}/${r.response}`)).toEqual(
      tally(onward, (o) => `${o.serviceId}/${o.status}/${o.response}`),
    );
    const names = new Map(bed.area.services.map((s) => [s.id, s.name]));
    for (const row of mi.onwardReferrals) expect(row.serviceName).toBe(names.get(row.serviceId));
  });

  it('reports follow-ups done against due', () => {
    const done = all.reduce((sum, [, p]) => sum + (p.followUpsDone ?? 0), 0);
    const notDone = all.reduce((sum, [, p]) => sum + (p.followUpsNotDone ?? 0), 0);
    expect(mi.followUps).toEqual([{ due: done + notDone, done, doneOnTime: done, outstanding: 0, notDone }]);
  });

  it('lists each outcome with its dates and an opaque referral id, for payment by results', () => {
    const withOutcome = all.filter(([, p]) => p.outcome);
    expect(mi.outcomes).toEqual(
      withOutcome.map(([k]) => ({
        referralId: ids[k],
        employmentOutcome: results.outcome().employmentOutcome,
        outcomeDate,
        dischargeReason: results.outcome().dischargeReason,
        referralReceivedDate: FROM,
        recordedDate: outcomeRecordedDate,
      })),
    );
    expect(asTally(mi.outcomesByType, (r) => r.employmentOutcome)).toEqual({ [results.outcome().employmentOutcome]: withOutcome.length });
  });

  it('reports withdrawals and not engaged, with reasons and how far the journey got', () => {
    const endings = all.flatMap(([, p]) => (p.ending ? [p.ending] : []));
    expect(asTally(mi.endings, (e) => `${e.ending}/${e.reason}/${e.stageReached}`)).toEqual(
      tally(endings, (e) => `${e.ending}/${e.reason}/${e.stageReached}`),
    );
  });

  it('marks counts under five in the metadata, unsuppressed', () => {
    expect(mi.metadata.smallNumbers).toMatchObject({ threshold: 5, suppressed: false });
    const smallSources = Object.entries(tally([...all.map(([, p]) => p.source), 'employer'], (s) => s)).filter(([, c]) => c < 5);
    for (const [source] of smallSources) expect(mi.metadata.smallNumbers.cellsBelowThreshold).toContain(`referralsBySource[source=${source}].count`);
    expect(mi.metadata.period).toMatchObject({ from: FROM, to: FROM, timeZone: TIME_ZONE, ...periodBounds(FROM, FROM, TIME_ZONE) });
  });

  it('writes the CSV tables and the chart', async () => {
    const files = await readdir(out);
    expect(files).toEqual(expect.arrayContaining([JSON_FILE, CHART_FILE, 'referrals-by-source.csv', 'outcomes.csv', 'onward-referrals.csv', 'endings.csv']));
    const bySource = (await readFile(join(out, 'referrals-by-source.csv'), 'utf8')).trim().split('\r\n');
    expect(bySource[0]).toBe('area,period_from,period_to,source,count');
    expect(bySource).toContain(`${bed.area.slug},${FROM},${FROM},gp,${all.filter(([, p]) => p.source === 'gp').length}`);
    const chart = await readFile(join(out, CHART_FILE), 'utf8');
    expect(chart).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(chart).toContain('Referrals by source');
  });

  it('puts nothing personal in any file, and reads no personal field', async () => {
    const personal = bodies.flatMap((b) => {
      const p = b.participant;
      return [p.givenName, p.familyName, p.dateOfBirth, p.nhsNumber, p.postcode, p.postcode.replace(/\s/g, ''), p.email, p.phone, p.phone?.replace(/\s/g, ''), b.referrer.contactName, b.referrer.contactEmail, b.work.employer];
    }).filter((v): v is string => typeof v === 'string');
    expect(personal.length).toBeGreaterThan(50);
    const texts = await Promise.all((await readdir(out)).map((f) => readFile(join(out, f), 'utf8')));
    const records = await readJourneysReceived(periodBounds(FROM, FROM, TIME_ZONE));
    for (const text of [...texts, JSON.stringify(records)]) {
      for (const value of personal) expect(text.toLowerCase()).not.toContain(value.toLowerCase());
    }
    // The reader names what it reads: never the referral document, notes, contact details.
    for (const attribute of [...referralAttributes, ...partitionAttributes]) {
      expect(attribute).not.toMatch(/^(referral|participant|note|to|fields|referrer)(\.|$)/);
    }
    // The same records give the same figures: the command adds nothing of its own.
    const again = computeManagementInformation(records, {
      area: { slug: bed.area.slug, name: bed.area.name, timeZone: TIME_ZONE, services: bed.area.services },
      from: FROM,
      to: FROM,
      generatedAt: new Date(mi.metadata.generatedAt),
    });
    expect(again).toEqual(mi);
  });

  it('--json prints the same management information; with --data-dir "now" is the local runtime clock\'s', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'workwell-mi-clock-'));
    const printed: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line) => void printed.push(String(line)));
    try {
      // The runtime's clock, as `npm start` saves it while running (at 3600x, saved just now).
      const saved = bed.rt.clock.now() + 3600_000;
      await writeFile(join(dir, 'clock.json'), JSON.stringify({ now: saved, speed: 3600, savedAt: Math.floor(performance.timeOrigin + performance.now()) }));
      const code = await main(['--area', bed.area.slug, '--from', FROM, '--to', FROM, '--endpoint', bed.rt.dynamoDbEndpoint, '--out', join(dir, 'mi'), '--json', '--data-dir', dir]);
      expect(code).toBe(0);
      const printedMi = JSON.parse(printed.join('\n')) as ManagementInformation;
      const generatedAt = Date.parse(printedMi.metadata.generatedAt);
      // Saved an hour ahead of the test runtime; a few real seconds at 3600x is a few hours more.
      expect(generatedAt).toBeGreaterThanOrEqual(saved);
      expect(generatedAt).toBeLessThan(saved + 6 * 3600_000);
      expect({ ...printedMi, metadata: { ...printedMi.metadata, generatedAt: mi.metadata.generatedAt } }).toEqual(mi);
      // Afterwards Date is the test runtime's again.
      expect(Date.now()).toBe(bed.rt.clock.now());
    } finally {
      log.mockRestore();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses bad options plainly', async () => {
    const run = (...args: string[]) => main(['--area', bed.area.slug, '--endpoint', bed.rt.dynamoDbEndpoint, ...args]).catch(describeFailure);
    expect(await run('--from', '2026-01-31', '--to', '2026-01-01')).toMatchObject({ exitCode: 2, message: expect.stringMatching(/after/) });
    expect(await run('--from', '2026-13-01', '--to', '2026-12-01')).toMatchObject({ exitCode: 2 });
    expect(await run('--from', FROM, '--to', FROM, '--format', 'xlsx')).toMatchObject({ exitCode: 2 });
  });
});
