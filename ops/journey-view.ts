import type { OnwardReferral } from '../functions/shared/onward-referral-store.ts';
import type { HumanTask, StoredReferral, TimelineEntry } from '../functions/shared/referral-store.ts';
import { shortTime, table } from './table.ts';

/**
 * One journey as an operator needs it (`npm run journeys -- show`): where it stands, what is
 * open, and what happened, in ids, codes and times only. No name, date of birth, NHS number,
 * contact details, health text or answers: those stay with the coach and the subject access export.
 */
export interface JourneyView {
  readonly referral: {
    readonly referralId: string;
    readonly status: string;
    readonly stage: string;
    readonly source: string;
    readonly receivedAt: string;
    readonly priority?: string;
    readonly triage?: { readonly outcome: string; readonly reason: string };
    readonly coachId?: string;
    readonly linkedTo?: string;
    readonly closedAt?: string;
  };
  readonly openTasks: readonly Pick<HumanTask, 'taskId' | 'type' | 'status' | 'attempt' | 'dueAt' | 'assignee'>[];
  readonly onwardReferrals: readonly Pick<OnwardReferral, 'onwardReferralId' | 'serviceId' | 'status' | 'sentAt' | 'lastStatusAt'>[];
  readonly timeline: readonly TimelineEntry[];
}

/** Timeline codes worth a column; anything else an entry carries is left out. */
const timelineCodes = ['reason', 'priority', 'taskType', 'attempt', 'error', 'coachId', 'linkedReferralId'] as const;

export function journeyView(referral: StoredReferral, tasks: readonly HumanTask[], onward: readonly OnwardReferral[], timeline: readonly TimelineEntry[]): JourneyView {
  const { triage } = referral;
  return {
    referral: {
      referralId: referral.referralId,
      status: referral.status,
      stage: referral.stage,
      source: referral.source,
      receivedAt: referral.receivedAt,
      ...(triage ? { priority: triage.priority, triage: { outcome: triage.outcome, reason: triage.reason } } : {}),
      ...(referral.coachId ? { coachId: referral.coachId } : {}),
      ...(referral.linkedTo ? { linkedTo: referral.linkedTo } : {}),
      ...(referral.closedAt ? { closedAt: referral.closedAt } : {}),
    },
    openTasks: tasks
      .filter((t) => t.status === 'open' || t.status === 'overdue')
      .sort((a, b) => a.dueAt.localeCompare(b.dueAt))
      .map(({ taskId, type, status, attempt, dueAt, assignee }) => ({ taskId, type, status, attempt, dueAt, assignee })),
    onwardReferrals: onward.map(({ onwardReferralId, serviceId, status, sentAt, lastStatusAt }) => ({
      onwardReferralId,
      serviceId,
      status,
      ...(sentAt ? { sentAt } : {}),
      ...(lastStatusAt ? { lastStatusAt } : {}),
    })),
    timeline: [...timeline]
      .sort((a, b) => a.at.localeCompare(b.at))
      .map((e) => {
        const kept: Record<string, unknown> = { at: e.at, event: e.event, ...(e.status ? { status: e.status } : {}) };
        for (const code of timelineCodes) if (e[code] !== undefined) kept[code] = e[code];
        return kept as unknown as TimelineEntry;
      }),
  };
}

export function journeyText(view: JourneyView, now: Date): string {
  const r = view.referral;
  const facts: [string, string | undefined][] = [
    ['status', r.status],
    ['stage', r.stage],
    ['source', r.source],
    ['received', shortTime(r.receivedAt)],
    ['triage', r.triage ? `${r.triage.outcome} (${r.triage.reason})` : undefined],
    ['priority', r.priority],
    ['coach', r.coachId],
    ['linked to', r.linkedTo],
    ['closed', r.closedAt ? shortTime(r.closedAt) : undefined],
  ];
  const details = (e: TimelineEntry) =>
    timelineCodes
      .filter((c) => e[c] !== undefined)
      .map((c) => `${c}=${e[c]}`)
      .join(' ');
  return [
    `Journey ${r.referralId} (times UTC; now ${shortTime(now.toISOString())})`,
    table(facts.filter(([, v]) => v !== undefined), [
      { header: 'field', value: ([k]) => k },
      { header: 'value', value: ([, v]) => v },
    ]),
    '',
    'Open tasks',
    table(view.openTasks, [
      { header: 'type', value: (t) => t.type },
      { header: 'status', value: (t) => (t.status === 'open' && Date.parse(t.dueAt) < now.getTime() ? 'open, past due' : t.status) },
      { header: 'attempt', value: (t) => t.attempt, align: 'right' },
      { header: 'due', value: (t) => shortTime(t.dueAt) },
      { header: 'assignee', value: (t) => t.assignee },
      { header: 'task', value: (t) => t.taskId },
    ]),
    '',
    'Onward referrals',
    table(view.onwardReferrals, [
      { header: 'service', value: (o) => o.serviceId },
      { header: 'status', value: (o) => o.status },
      { header: 'sent', value: (o) => shortTime(o.sentAt) },
      { header: 'last answer', value: (o) => shortTime(o.lastStatusAt) },
      { header: 'onward referral', value: (o) => o.onwardReferralId },
    ]),
    '',
    'Timeline',
    table(view.timeline, [
      { header: 'at', value: (e) => shortTime(e.at) },
      { header: 'event', value: (e) => e.event },
      { header: 'status', value: (e) => e.status },
      { header: 'details', value: details },
    ]),
  ].join('\n');
}
