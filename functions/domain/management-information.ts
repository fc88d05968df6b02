/**
 * Management information (MI) for an area and a period: pure computation, records in, figures
 * out. The basis is the cohort of referrals received in the period (dates in the area's time
 * zone); everything that happened to them since, up to `generatedAt`, is counted.
 *
 * No personal data can reach the output: the input records (MiJourney) carry only codes, dates
 * and the opaque referral id, and the output types are built from those alone.
 */
import type { OnwardReferralStatus } from './onward-referral.ts';
import type { ReferralSource, ReferralStatus } from './referral.ts';
import type { TriageOutcome, TriageReason } from './triage.ts';
import { localMoment } from './digest.ts';

// ---------------------------------------------------------------------------------------------
// Input: what the reader hands over about one referral (functions/shared/mi-reader.ts)

export interface MiFollowUpTask {
  readonly taskId: string;
  /** open | overdue | superseded | completed | cancelled */
  readonly status: string;
  readonly dueAt: string;
  readonly completedAt?: string;
  /** The retry that replaced this task (same check-in, next attempt). */
  readonly supersededBy?: string;
}

export interface MiJourney {
  readonly referralId: string;
  readonly source: ReferralSource;
  readonly receivedAt: string;
  readonly status: ReferralStatus;
  readonly lastStage?: string;
  readonly closedAt?: string;
  /** The person already had an open journey: this referral was linked to it, no journey of its own. */
  readonly linked: boolean;
  readonly triage?: { readonly outcome: TriageOutcome; readonly reason: TriageReason };
  readonly review?: { readonly outcome: string; readonly reason: string };
  /** First-contact attempts recorded by the coach: outcome code and when contact happened. */
  readonly contacts: readonly { readonly outcome: string; readonly contactedAt: string }[];
  readonly assessedAt?: string;
  readonly followUps: readonly MiFollowUpTask[];
  readonly onwardReferrals: readonly { readonly serviceId: string; readonly status: OnwardReferralStatus }[];
  readonly outcome?: {
    readonly employmentOutcome: string;
    readonly outcomeDate: string;
    readonly dischargeReason: string;
    readonly recordedAt: string;
  };
  /** The reason code of a withdrawal (participant_withdrew, referrer_cancelled, ...). */
  readonly withdrawalReason?: string;
}

export interface MiContext {
  readonly area: {
    readonly slug: string;
    readonly name: string;
    readonly timeZone: string;
    readonly services: readonly { readonly id: string; readonly name: string }[];
  };
  /** YYYY-MM-DD, inclusive, in the area's time zone. */
  readonly from: string;
  readonly to: string;
  readonly generatedAt: Date;
}

// ---------------------------------------------------------------------------------------------
// Output

export interface Timing {
  readonly measure: 'referral_to_first_contact' | 'referral_to_assessment';
  /** Referrals admitted to the service (eligible at triage or on review). */
  readonly admitted: number;
  readonly reached: number;
  readonly notReached: number;
  readonly medianHours: number | null;
  readonly p90Hours: number | null;
  readonly medianDays: number | null;
  readonly p90Days: number | null;
}

export type OnwardResponse = 'awaiting_answer' | 'accepted' | 'declined' | 'no_answer' | 'not_delivered';

export interface ManagementInformation {
  readonly metadata: {
    readonly area: string;
    readonly areaName: string;
    readonly period: { readonly from: string; readonly to: string; readonly timeZone: string; readonly startUtc: string; readonly endUtc: string };
    readonly generatedAt: string;
    readonly basis: string;
    readonly percentileMethod: string;
    readonly personalData: string;
    readonly smallNumbers: {
      readonly threshold: number;
      readonly suppressed: false;
      readonly note: string;
      /** Cells holding a count from 1 to threshold - 1, as `table[dimensions].field`. */
      readonly cellsBelowThreshold: readonly string[];
    };
  };
  readonly totals: {
    readonly referralsReceived: number;
    readonly linkedToOpenJourney: number;
    readonly admitted: number;
    readonly open: number;
    readonly closed: number;
  };
  readonly referralsBySource: readonly { source: string; count: number }[];
  readonly triageOutcomes: readonly { outcome: string; reason: string; count: number }[];
  readonly reviewOutcomes: readonly { outcome: string; reason: string; count: number }[];
  readonly timings: readonly Timing[];
  readonly firstContactDistribution: readonly { days: string; count: number }[];
  readonly onwardReferrals: readonly { serviceId: string; serviceName: string; status: string; response: OnwardResponse; count: number }[];
  readonly followUps: readonly { due: number; done: number; doneOnTime: number; outstanding: number; notDone: number }[];
  readonly outcomesByType: readonly { employmentOutcome: string; count: number }[];
  /** One line per recorded outcome (payment by results): opaque referral id, codes and dates. */
  readonly outcomes: readonly {
    referralId: string;
    employmentOutcome: string;
    outcomeDate: string;
    dischargeReason: string;
    referralReceivedDate: string;
    recordedDate: string;
  }[];
  readonly endings: readonly { ending: string; reason: string; stageReached: string; count: number }[];
  readonly funnel: readonly { stage: string; count: number }[];
}

export const SMALL_NUMBER_THRESHOLD = 5;
const HOUR_MS = 3_600_000;

// ---------------------------------------------------------------------------------------------
// Period and time zone

const isoDate = /^(\d{4})-(\d{2})-(\d{2})$/;

function parseDate(value: string, flag: string): { y: number; m: number; d: number } {
  const match = isoDate.exec(value);
  if (match) {
    const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
    const date = new Date(Date.UTC(y, m - 1, d));
    if (date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d) return { y, m, d };
  }
  throw new RangeError(`${flag} must be a date, YYYY-MM-DD`);
}

/** Milliseconds the zone is ahead of UTC at `instant`. */
function zoneOffset(instant: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(instant));
  const part = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second'));
  return wall - Math.floor(instant / 1000) * 1000;
}

/** The UTC instant of local midnight starting the given day in the zone. */
function localMidnight(y: number, m: number, d: number, timeZone: string): number {
  const wall = Date.UTC(y, m - 1, d);
  // Twice: the offset at the guess may differ from the offset at the answer (a clock change).
  const guess = wall - zoneOffset(wall, timeZone);
  return wall - zoneOffset(guess, timeZone);
}

/** The period as UTC instants: [start of `from`, start of the day after `to`) in the zone. */
export function periodBounds(from: string, to: string, timeZone: string): { startUtc: string; endUtc: string } {
  const a = parseDate(from, '--from');
  const b = parseDate(to, '--to');
  if (from > to) throw new RangeError('--from must not be after --to');
  const start = localMidnight(a.y, a.m, a.d, timeZone);
  const end = localMidnight(b.y, b.m, b.d + 1, timeZone);
  return { startUtc: new Date(start).toISOString(), endUtc: new Date(end).toISOString() };
}

// ---------------------------------------------------------------------------------------------
// Statistics

/** The p-th percentile (0..1) by linear interpolation between order statistics (R type 7, Excel PERCENTILE.INC). */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((x, y) => x - y);
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

const round1 = (value: number | null) => (value === null ? null : Math.round(value * 10) / 10);

function timing(measure: Timing['measure'], admitted: number, hours: readonly number[]): Timing {
  const median = percentile(hours, 0.5);
  const p90 = percentile(hours, 0.9);
  return {
    measure,
    admitted,
    reached: hours.length,
    notReached: admitted - hours.length,
    medianHours: round1(median),
    p90Hours: round1(p90),
    medianDays: round1(median === null ? null : median / 24),
    p90Days: round1(p90 === null ? null : p90 / 24),
  };
}

/** Counts by a key, in first-seen order of `order` then the rest alphabetically. */
function countBy<T>(items: readonly T[], key: (item: T) => string, order: readonly string[] = []): [string, number][] {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  const rank = (k: string) => (order.includes(k) ? order.indexOf(k) : order.length);
  return [...counts].sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
}

// ---------------------------------------------------------------------------------------------
// Journey facts

const hoursBetween = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / HOUR_MS;

export function isAdmitted(j: MiJourney): boolean {
  return j.triage?.outcome === 'eligible' || (j.triage?.outcome === 'needs_review' && j.review?.outcome === 'eligible');
}

/** The first time the person was actually reached (engaged, or declined the service). */
export function firstContactAt(j: MiJourney): string | undefined {
  return j.contacts
    .filter((c) => c.outcome === 'engaged' || c.outcome === 'declined')
    .map((c) => c.contactedAt)
    .sort()[0];
}

function stageReached(j: MiJourney): string {
  if (j.outcome) return 'outcome';
  if (j.assessedAt) return 'assessed';
  if (firstContactAt(j)) return 'first_contact';
  return 'before_first_contact';
}

/** How a journey ended early, if it did: withdrawal, declined at first contact, or not engaged. */
function ending(j: MiJourney): { ending: string; reason: string } | undefined {
  switch (j.lastStage) {
    case 'withdrawn':
      return { ending: 'withdrawn', reason: j.withdrawalReason ?? 'not_recorded' };
    case 'declined':
      return { ending: 'declined_at_first_contact', reason: 'declined' };
    case 'not_engaged':
      return {
        ending: 'not_engaged',
        reason: j.contacts.some((c) => c.outcome === 'unable_to_contact') ? 'contact_attempts_failed' : 'no_contact_recorded',
      };
    default:
      return undefined;
  }
}

/** What a provider has said so far, in the words an analyst reports. */
export function onwardResponse(status: OnwardReferralStatus): OnwardResponse {
  switch (status) {
    case 'pending':
    case 'sent':
      return 'awaiting_answer';
    case 'accepted':
    case 'attended':
    case 'completed':
    case 'did_not_attend':
      return 'accepted';
    case 'declined':
      return 'declined';
    case 'no_response':
      return 'no_answer';
    case 'unreachable':
      return 'not_delivered';
  }
}

/**
 * Follow-up check-ins: a check-in is one chain of tasks (a missed task is superseded by its
 * retry), so only the last task of each chain counts. A check-in is due once its task opened.
 */
function followUpFigures(journeys: readonly MiJourney[]) {
  let due = 0;
  let done = 0;
  let doneOnTime = 0;
  let outstanding = 0;
  let notDone = 0;
  for (const j of journeys) {
    const retried = new Set(j.followUps.map((t) => t.supersededBy).filter((id): id is string => id !== undefined));
    for (const task of j.followUps) {
      if (task.status === 'superseded') continue;
      due++;
      if (task.status === 'completed') {
        done++;
        if (!retried.has(task.taskId) && task.completedAt !== undefined && task.completedAt <= task.dueAt) doneOnTime++;
      } else if (task.status === 'open' || task.status === 'overdue') outstanding++;
      else notDone++;
    }
  }
  return { due, done, doneOnTime, outstanding, notDone };
}

const distributionBuckets: readonly { label: string; upToDays: number }[] = [
  { label: '0-1', upToDays: 1 },
  { label: '1-2', upToDays: 2 },
  { label: '2-3', upToDays: 3 },
  { label: '3-5', upToDays: 5 },
  { label: '5-7', upToDays: 7 },
  { label: '7-14', upToDays: 14 },
  { label: '14+', upToDays: Infinity },
];

// ---------------------------------------------------------------------------------------------
// The computation

const sourceOrder = ['gp', 'primary_care', 'employer', 'jobcentre_plus', 'local_authority', 'vcs', 'self', 'other'];
const triageOrder = ['eligible', 'needs_review', 'not_eligible', 'awaiting_triage'];

export function computeManagementInformation(records: readonly MiJourney[], context: MiContext): ManagementInformation {
  const { area, from, to, generatedAt } = context;
  const bounds = periodBounds(from, to, area.timeZone);
  const received = records
    .filter((j) => j.receivedAt >= bounds.startUtc && j.receivedAt < bounds.endUtc)
    .sort((a, b) => a.receivedAt.localeCompare(b.receivedAt) || a.referralId.localeCompare(b.referralId));
  const journeys = received.filter((j) => !j.linked);
  const admitted = journeys.filter(isAdmitted);
  const localDate = (iso: string) => localMoment(new Date(iso), area.timeZone).date;

  const contactHours = admitted.flatMap((j) => {
    const at = firstContactAt(j);
    return at === undefined ? [] : [Math.max(0, hoursBetween(j.receivedAt, at))];
  });
  const assessmentHours = admitted.flatMap((j) => (j.assessedAt ? [Math.max(0, hoursBetween(j.receivedAt, j.assessedAt))] : []));

  const serviceNames = new Map(area.services.map((s) => [s.id, s.name]));
  const onward = journeys.flatMap((j) => j.onwardReferrals);
  const onwardRows = countBy(onward, (o) => `${o.serviceId}\u0000${o.status}`).map(([key, count]) => {
    const [serviceId = '', status = ''] = key.split('\u0000');
    return {
      serviceId,
      serviceName: serviceNames.get(serviceId) ?? 'not in the directory',
      status,
      response: onwardResponse(status as OnwardReferralStatus),
      count,
    };
  });

  const withOutcome = journeys.filter((j) => j.outcome !== undefined);
  const endings = journeys.flatMap((j) => {
    const e = ending(j);
    return e ? [{ ...e, stageReached: stageReached(j) }] : [];
  });

  const reviewed = journeys.filter((j) => j.triage?.outcome === 'needs_review');
  const tables = {
    totals: {
      referralsReceived: received.length,
      linkedToOpenJourney: received.length - journeys.length,
      admitted: admitted.length,
      open: journeys.filter((j) => j.closedAt === undefined).length,
      closed: journeys.filter((j) => j.closedAt !== undefined).length,
    },
    referralsBySource: countBy(received, (j) => j.source, sourceOrder).map(([source, count]) => ({ source, count })),
    triageOutcomes: countBy(journeys, (j) => `${j.triage?.outcome ?? 'awaiting_triage'}\u0000${j.triage?.reason ?? ''}`)
      .map(([key, count]) => {
        const [outcome = '', reason = ''] = key.split('\u0000');
        return { outcome, reason, count };
      })
      .sort((a, b) => triageOrder.indexOf(a.outcome) - triageOrder.indexOf(b.outcome) || a.reason.localeCompare(b.reason)),
    reviewOutcomes: countBy(reviewed, (j) => `${j.review?.outcome ?? 'awaiting_review'}\u0000${j.review?.reason ?? ''}`).map(([key, count]) => {
      const [outcome = '', reason = ''] = key.split('\u0000');
      return { outcome, reason, count };
    }),
    timings: [
      timing('referral_to_first_contact', admitted.length, contactHours),
      timing('referral_to_assessment', admitted.length, assessmentHours),
    ],
    firstContactDistribution: distributionBuckets.map((bucket, i) => {
      const lower = i === 0 ? -Infinity : distributionBuckets[i - 1]!.upToDays;
      return { days: bucket.label, count: contactHours.filter((h) => h / 24 >= lower && h / 24 < bucket.upToDays).length };
    }),
    onwardReferrals: onwardRows,
    followUps: [followUpFigures(journeys)],
    outcomesByType: countBy(withOutcome, (j) => j.outcome!.employmentOutcome).map(([employmentOutcome, count]) => ({ employmentOutcome, count })),
    outcomes: withOutcome.map((j) => ({
      referralId: j.referralId,
      employmentOutcome: j.outcome!.employmentOutcome,
      outcomeDate: j.outcome!.outcomeDate,
      dischargeReason: j.outcome!.dischargeReason,
      referralReceivedDate: localDate(j.receivedAt),
      recordedDate: localDate(j.outcome!.recordedAt),
    })),
    endings: countBy(endings, (e) => `${e.ending}\u0000${e.reason}\u0000${e.stageReached}`).map(([key, count]) => {
      const [endingName = '', reason = '', stage = ''] = key.split('\u0000');
      return { ending: endingName, reason, stageReached: stage, count };
    }),
    funnel: [
      { stage: 'received', count: journeys.length },
      { stage: 'admitted', count: admitted.length },
      { stage: 'first_contact', count: contactHours.length },
      { stage: 'assessed', count: assessmentHours.length },
      { stage: 'outcome_recorded', count: withOutcome.length },
    ],
  };

  return {
    metadata: {
      area: area.slug,
      areaName: area.name,
      period: { from, to, timeZone: area.timeZone, ...bounds },
      generatedAt: generatedAt.toISOString(),
      basis:
        'Referrals received in the period (dates in the area time zone), followed to the time of the export. ' +
        'Linked referrals (a person already on an open journey) count under referrals by source only.',
      percentileMethod: 'Linear interpolation between order statistics (R type 7, Excel PERCENTILE.INC); hours from receipt, 1 decimal place.',
      personalData: 'None: codes, counts, dates and opaque referral ids only.',
      smallNumbers: {
        threshold: SMALL_NUMBER_THRESHOLD,
        suppressed: false,
        note:
          'Operator export, not suppressed. Before sharing beyond the service team, suppress counts from 1 to 4 ' +
          '(and any total from which they could be worked out), following NHS England statistical disclosure guidance.',
        cellsBelowThreshold: smallCells(tables),
      },
    },
    ...tables,
  };
}

const countFields = new Set(['count', 'due', 'done', 'doneOnTime', 'outstanding', 'notDone', 'reached', 'notReached', 'admitted']);

/** Every count from 1 to threshold - 1, named by its table, its row's codes and its field. */
function smallCells(tables: Record<string, unknown>): string[] {
  const cells: string[] = [];
  for (const [name, value] of Object.entries(tables)) {
    if (!Array.isArray(value)) continue;
    for (const row of value as Record<string, unknown>[]) {
      const dims = Object.entries(row)
        .filter(([k, v]) => typeof v === 'string' && k !== 'serviceName')
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(',');
      for (const [field, v] of Object.entries(row)) {
        if (countFields.has(field) && typeof v === 'number' && v > 0 && v < SMALL_NUMBER_THRESHOLD) {
          cells.push(`${name}[${dims}].${field}`);
        }
      }
    }
  }
  return cells;
}
