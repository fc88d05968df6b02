import type { TaskType } from '../../workflows/states.ts';
import type { ReferralStatus } from './referral.ts';
import type { TriageOutcome } from './triage.ts';

/**
 * Journey stages and what each does to a referral: pure rules, no I/O.
 *
 * `status` is the referral's status (functions/domain/referral.ts); `journeyStage` is the coarse
 * step of the journey a partner sees next to it; `event` is the timeline entry written.
 */
export const journeyStages = [
  'intake',
  'triage',
  'review',
  'waitlist',
  'first_contact',
  'assessment',
  'support',
  'outcome',
  'closed',
] as const;
export type JourneyStage = (typeof journeyStages)[number];

/** Stages the workflow records through the record-stage function. */
export const recordedStages = [
  'task_overdue',
  'contact_attempt_failed',
  'provider_no_answer',
  'engaged',
  'declined',
  'not_engaged',
  'not_eligible',
  'completed',
  'withdrawn',
  'needs_attention',
  'closed_by_operator',
] as const;
export type RecordedStage = (typeof recordedStages)[number];
/** Stages about one task or onward referral; the others set the referral's status. */
export const eventStages = ['task_overdue', 'contact_attempt_failed', 'provider_no_answer'] as const;
export type StatusStage = Exclude<RecordedStage, (typeof eventStages)[number]>;

export interface StageEffect {
  readonly status: ReferralStatus;
  readonly event: string;
  /** Closing stages end the journey and start the retention clock. */
  readonly closes: boolean;
  /** Undefined: the journey stays where it was (needs attention keeps the stuck step visible). */
  readonly journeyStage?: JourneyStage;
}

export function stageEffect(stage: StatusStage): StageEffect {
  switch (stage) {
    case 'engaged':
      return { status: 'engaged', event: 'engaged', closes: false, journeyStage: 'support' };
    case 'declined':
      // The person turned the service down at first contact: it is voluntary.
      return { status: 'withdrawn', event: 'declined', closes: true, journeyStage: 'closed' };
    case 'not_engaged':
      return { status: 'not_engaged', event: 'not_engaged', closes: true, journeyStage: 'closed' };
    case 'not_eligible':
      return { status: 'not_eligible', event: 'closed_not_eligible', closes: true, journeyStage: 'closed' };
    case 'completed':
      // Discharged after the outcome was recorded.
      return { status: 'completed', event: 'discharged', closes: true, journeyStage: 'closed' };
    case 'withdrawn':
      // The participant withdrew or the referrer cancelled: the service is voluntary.
      return { status: 'withdrawn', event: 'withdrawn', closes: true, journeyStage: 'closed' };
    case 'needs_attention':
      return { status: 'needs_attention', event: 'needs_attention', closes: false };
    case 'closed_by_operator':
      // An operator ended a journey that could not go on (ops/journeys.ts close), with a reason code.
      return { status: 'closed', event: 'closed_by_operator', closes: true, journeyStage: 'closed' };
  }
}

export function triageStatus(outcome: TriageOutcome): ReferralStatus {
  switch (outcome) {
    case 'eligible':
      return 'triaged_eligible';
    case 'not_eligible':
      return 'not_eligible';
    case 'needs_review':
      return 'needs_review';
  }
}

/** Status and journey stage while a human task of this type is open. */
export function taskStatus(type: TaskType): { status: ReferralStatus; journeyStage: JourneyStage } {
  switch (type) {
    case 'first_contact':
      return { status: 'awaiting_first_contact', journeyStage: 'first_contact' };
    case 'needs_review':
      return { status: 'needs_review', journeyStage: 'review' };
    case 'assessment':
      return { status: 'engaged', journeyStage: 'assessment' };
    case 'follow_up':
    case 'provider_chase':
      return { status: 'in_support', journeyStage: 'support' };
    case 'outcome':
      return { status: 'in_support', journeyStage: 'outcome' };
  }
}

/**
 * Which try a task is at, for the attempts limit. Tasks of a type are numbered across the whole
 * journey, but follow-ups and provider chases recur: each new one starts counting again after
 * the last one completed, so a coach late with the fourth check-in is not out of tries. A first
 * contact (or any other one-off task) counts every task of its type, answered or not, since an
 * "unable to contact" answer is itself a spent attempt.
 */
export function attemptInOccurrence(
  tasks: readonly { readonly type: string; readonly attempt: number; readonly status: string }[],
): number {
  const newestFirst = [...tasks].sort((a, b) => b.attempt - a.attempt);
  const latest = newestFirst[0];
  if (!latest) return 0;
  if (!recurringTaskTypes.has(latest.type)) return latest.attempt;
  const lastDone = newestFirst.findIndex((task) => task.status === 'completed');
  return lastDone < 0 ? newestFirst.length : lastDone;
}

const recurringTaskTypes: ReadonlySet<string> = new Set(['follow_up', 'provider_chase']);

/** Whether another attempt may follow the given (1-based) attempt. */
export function attemptsLeft(attempt: number, maxAttempts: number): boolean {
  return attempt < maxAttempts;
}

/** Epoch seconds at which a closed referral's records expire: close time plus whole years. */
export function retentionExpiry(closedAt: Date, retentionYears: number): number {
  const expiry = new Date(closedAt.getTime());
  expiry.setUTCFullYear(expiry.getUTCFullYear() + retentionYears);
  return Math.floor(expiry.getTime() / 1000);
}

/** Error codes recorded on the timeline: Step Functions error names only, never messages. */
export function errorCode(error: string | undefined): string | undefined {
  if (error === undefined) return undefined;
  return /^[A-Za-z0-9_.:-]{1,100}$/.test(error) ? error : 'unrecognised_error';
}
