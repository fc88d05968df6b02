import type { OnwardReferralStatus } from './onward-referral.ts';
import type { ReferralStatus } from './referral.ts';
import { allTaskTypes, type TaskType } from '../../workflows/states.ts';

/**
 * Operators' repair of a journey stuck in needs_attention: pure rules, no I/O.
 *
 * A journey fails into needs_attention through RecordNeedsAttention and then a Fail state, so
 * AWS's RedriveExecution (which restarts from the failed state) would only fail again. A redrive
 * here is a new execution of the same journey for the same referral, from the start: every step
 * before the failure answers from what is stored (triage decided, coach assigned, provider
 * answered), and each human task's latest completed answer is handed to the new execution
 * instead of asking again (open-task delivers a completed task's output that was not yet
 * delivered). What cannot be replayed without repeating work to someone outside is refused.
 */

/** Why an operator closed a journey for good (recorded on the timeline as a code). */
export const operatorCloseReasons = [
  'cannot_resume',
  'duplicate',
  'participant_withdrew',
  'moved_away',
  'data_error',
  'other',
] as const;
export type OperatorCloseReason = (typeof operatorCloseReasons)[number];

/**
 * The execution name of a journey: the referral id for the first, then one new name per
 * redrive. Deterministic and never reused (the counter only grows); at most 80 characters.
 */
export function journeyExecutionName(referralId: string, redrives = 0): string {
  return redrives === 0 ? referralId : `${referralId}-redrive-${redrives}`;
}

/** Timeline events that put a journey in needs_attention (workflow, or intake unable to start it). */
export const attentionEvents = ['needs_attention', 'journey_start_failed'] as const;

interface TimelineLike {
  readonly at: string;
  readonly event: string;
  readonly status?: ReferralStatus;
  readonly error?: string;
  readonly taskType?: string;
}

/** When and why the journey last went to needs_attention, and what it was doing just before. */
export function attentionOf(timeline: readonly TimelineLike[]): {
  since?: string;
  error?: string;
  statusBefore: ReferralStatus;
  lastStep?: string;
} {
  let index = -1;
  for (let i = timeline.length - 1; i >= 0; i--) {
    if ((attentionEvents as readonly string[]).includes(timeline[i]!.event)) {
      index = i;
      break;
    }
  }
  const entry = timeline[index];
  let statusBefore: ReferralStatus = 'received';
  let lastStep: string | undefined;
  for (let i = index - 1; i >= 0; i--) {
    const e = timeline[i]!;
    lastStep ??= e.taskType ? `${e.event}:${e.taskType}` : e.event;
    if (e.status && e.status !== 'needs_attention') {
      statusBefore = e.status;
      break;
    }
  }
  return {
    ...(entry ? { since: entry.at } : {}),
    ...(entry?.error ? { error: entry.error } : {}),
    statusBefore,
    ...(lastStep ? { lastStep } : {}),
  };
}

export interface RedriveFacts {
  readonly status: ReferralStatus;
  readonly closed: boolean;
  readonly linked: boolean;
  readonly tasks: readonly { taskId: string; type: TaskType; status: string; attempt: number; deliveredAt?: string }[];
  readonly onwardReferrals: readonly { onwardReferralId: string; status: OnwardReferralStatus; channel: 'webhook' | 'email' }[];
}

export interface RedrivePlan {
  /** Problems that make a new execution unsafe; empty when it may go ahead. */
  readonly refused: readonly string[];
  /** Completed tasks whose answers the new execution is given again (no one is asked twice). */
  readonly replay: readonly { taskId: string; type: TaskType }[];
  /** Open tasks the new execution reissues as a new attempt of the same type. */
  readonly reissued: readonly TaskType[];
  /** What the operator should know (codes and counts only). */
  readonly notes: readonly string[];
}

/** Onward referral statuses still waiting on the provider: a new execution sends and chases again. */
const awaitingProvider: readonly OnwardReferralStatus[] = ['sent', 'no_response', 'unreachable'];

export function planRedrive(facts: RedriveFacts): RedrivePlan {
  const refused: string[] = [];
  if (facts.linked) refused.push('The referral is linked to another journey and has none of its own.');
  if (facts.closed) refused.push('The journey is closed.');
  else if (facts.status !== 'needs_attention') refused.push(`The journey is ${facts.status}, not needs_attention.`);

  const replay: { taskId: string; type: TaskType }[] = [];
  const reissued: TaskType[] = [];
  for (const type of allTaskTypes) {
    // Tasks come highest attempt first: the latest decides what the new execution meets.
    const latest = facts.tasks.filter((t) => t.type === type).sort((a, b) => b.attempt - a.attempt)[0];
    if (latest?.status === 'completed') replay.push({ taskId: latest.taskId, type });
    if (latest?.status === 'open' || latest?.status === 'overdue') reissued.push(type);
  }

  const waiting = facts.onwardReferrals.filter((o) => awaitingProvider.includes(o.status));
  const webhook = waiting.filter((o) => o.channel === 'webhook');
  if (webhook.length) {
    // The send step posts again to a webhook provider that has not answered: a second referral.
    refused.push(
      `${webhook.length} onward referral(s) to a webhook provider still await an answer (${webhook.map((o) => o.onwardReferralId).join(', ')}): ` +
        'a new execution would send them again. Record the provider\'s answer first, or close the journey.',
    );
  }
  const chases = facts.tasks.filter((t) => t.type === 'provider_chase' && t.status === 'completed').length;
  if (waiting.length > 1 && chases > 0) {
    // One chase answer cannot be told apart from another: a coach would be asked again.
    refused.push('More than one onward referral awaits an answer and a provider chase was answered: the chase answers cannot be replayed safely.');
  }

  const notes: string[] = [];
  if (waiting.length && !webhook.length) {
    notes.push(`${waiting.length} onward referral(s) by e-mail still await an answer: not e-mailed again, but the wait for the provider starts again.`);
  }
  if (reissued.length) notes.push(`Open task(s) reissued as a new attempt: ${reissued.join(', ')}.`);
  if (replay.some((r) => r.type === 'follow_up')) {
    notes.push('Follow-ups resume from the stored plan; the next check-in is due up to two follow-up intervals after the redrive.');
  }
  return { refused, replay, reissued, notes };
}
