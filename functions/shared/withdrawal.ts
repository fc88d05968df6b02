import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import { leaveWaitlist, releaseCaseload } from './assignment-service.ts';
import { requiredEnv, sfn } from './aws-clients.ts';
import { getReferral, listTasks, recordStage, ReferralNotFound } from './referral-store.ts';
import { cancelOpenTasks } from './task-store.ts';
import { currentArea } from './workflow.ts';

/**
 * Withdrawal at any point of a journey (the participant withdraws, or the referrer cancels):
 * recorded first, so the person's wish stands whatever fails next; then open tasks cancelled,
 * the waitlist place given up, the coach's caseload freed (waking the waitlist), and the
 * journey's execution stopped. Every step is idempotent: calling it again finishes the job.
 */
export const withdrawalReasons = ['participant_withdrew', 'referrer_cancelled', 'moved_away', 'duplicate', 'other'] as const;
export type WithdrawalReason = (typeof withdrawalReasons)[number];

export function executionArnFor(referralId: string): string {
  const machine = requiredEnv('JOURNEY_STATE_MACHINE_ARN');
  return `${machine.replace(':stateMachine:', ':execution:')}:${referralId}`;
}

export async function withdrawReferral(referralId: string, reason: WithdrawalReason): Promise<{ withdrawn: boolean }> {
  const referral = await getReferral(referralId);
  if (!referral) throw new ReferralNotFound();
  // A journey that already ended some other way is not withdrawn after the fact.
  if (referral.closedAt && referral.status !== 'withdrawn') return { withdrawn: false };

  const now = new Date();
  await recordStage(referralId, 'withdrawn', { at: now, retentionYears: currentArea().retentionYears, reason });
  await cancelOpenTasks(referralId, await listTasks(referralId), now, reason);
  await leaveWaitlist(referralId);
  if (referral.coachId) await releaseCaseload(referralId);
  try {
    await sfn().send(new StopExecutionCommand({ executionArn: executionArnFor(referralId), error: 'Withdrawn', cause: reason }));
  } catch (error) {
    // A linked referral never had a journey of its own.
    if ((error as Error)?.name !== 'ExecutionDoesNotExist') throw error;
  }
  return { withdrawn: true };
}
