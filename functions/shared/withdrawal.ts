import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import { journeyExecutionName } from '../domain/journey-repair.ts';
import { leaveWaitlist, releaseCaseload } from './assignment-service.ts';
import { stageLifecycleOutbox } from './bars-lifecycle.ts';
import { requiredEnv, sfn } from './aws-clients.ts';
import { getReferral, listTasks, recordStage, ReferralNotFound, type StoredReferral } from './referral-store.ts';
import { cancelOpenTasks } from './task-store.ts';
import { currentArea } from './workflow.ts';

/**
 * Withdrawal at any point of a journey (the participant withdraws, or the referrer cancels):
 * recorded first, so the person's wish stands whatever fails next; then open tasks cancelled,
 * the waitlist place given up, the coach's caseload freed (waking the waitlist), and the
 * journey's execution stopped. Every step is idempotent: calling it again finishes the job.
 * An operator closing a stuck journey (`closeByOperator`) ends it the same way.
 */
export const withdrawalReasons = ['participant_withdrew', 'referrer_cancelled', 'moved_away', 'duplicate', 'other'] as const;
export type WithdrawalReason = (typeof withdrawalReasons)[number];

/** The journey's current execution: the first, or the latest redrive's (ops/journeys.ts). */
export function executionArnFor(referralId: string, redrives = 0): string {
  const machine = requiredEnv('JOURNEY_STATE_MACHINE_ARN');
  return `${machine.replace(':stateMachine:', ':execution:')}:${journeyExecutionName(referralId, redrives)}`;
}

/** The redrive count stored on the referral by a redrive (absent before the first). */
export const redrivesOf = (referral: StoredReferral): number => (referral as { redrives?: number }).redrives ?? 0;

/** Records the closing stage (once), then finishes everything it implies; safe to call again. */
async function endJourney(
  referral: StoredReferral,
  stage: 'withdrawn' | 'closed_by_operator',
  reason: string,
  stopError: string,
): Promise<void> {
  const { referralId } = referral;
  const now = new Date();
  await recordStage(referralId, stage, { at: now, retentionYears: currentArea().retentionYears, reason, alsoWrite: stageLifecycleOutbox(stage, reason) });
  await cancelOpenTasks(referralId, await listTasks(referralId), now, reason);
  await leaveWaitlist(referralId);
  if (referral.coachId) await releaseCaseload(referralId);
  try {
    await sfn().send(
      new StopExecutionCommand({ executionArn: executionArnFor(referralId, redrivesOf(referral)), error: stopError, cause: reason }),
    );
  } catch (error) {
    // A linked referral never had a journey of its own; intake may have failed to start one.
    if ((error as Error)?.name !== 'ExecutionDoesNotExist') throw error;
  }
}

/** A referrer's BaRS cancellation of a referral made by mistake (ServiceRequest entered-in-error). */
export type ReferrerErrorReason = 'referrer_entered_in_error';

export async function withdrawReferral(referralId: string, reason: WithdrawalReason | ReferrerErrorReason): Promise<{ withdrawn: boolean }> {
  const referral = await getReferral(referralId);
  if (!referral) throw new ReferralNotFound();
  // A journey that already ended some other way is not withdrawn after the fact.
  if (referral.closedAt && referral.status !== 'withdrawn') return { withdrawn: false };
  await endJourney(referral, 'withdrawn', reason, 'Withdrawn');
  return { withdrawn: true };
}

/**
 * An operator closes a journey that cannot go on (needs_attention), for good. A repeat of a
 * closure finishes it; a journey that is neither stuck nor closed this way is left alone.
 */
export async function closeByOperator(referralId: string, reason: string): Promise<{ closed: boolean; status: string }> {
  const referral = await getReferral(referralId);
  if (!referral) throw new ReferralNotFound();
  const repeat = referral.lastStage === 'closed_by_operator';
  if (!repeat && (referral.closedAt || referral.status !== 'needs_attention')) return { closed: false, status: referral.status };
  await endJourney(referral, 'closed_by_operator', reason, 'ClosedByOperator');
  return { closed: true, status: 'closed' };
}
