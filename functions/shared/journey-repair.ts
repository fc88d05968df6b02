/**
 * Operators' handling of journeys in needs_attention (ops/journeys.ts): listing them, a redrive
 * (a new execution of the journey that repeats no finished work; rules in
 * domain/journey-repair.ts) and closing one for good (withdrawal.ts `closeByOperator`).
 *
 * Adds to the referral item: `redrives` (how many redrives were claimed; the current execution
 * is `journeyExecutionName(referralId, redrives)`) and lastStage 'redriven' until the new
 * execution records a stage, so a repeated failure is recorded again.
 */
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { attentionOf, journeyExecutionName, planRedrive, type RedrivePlan } from '../domain/journey-repair.ts';
import { dynamo, requiredEnv, sfn } from './aws-clients.ts';
import { startJourneyExecution } from './journey-start.ts';
import { listOnwardReferrals } from './onward-referral-store.ts';
import {
  getReferral,
  keys,
  listTasks,
  listTimeline,
  queryAll,
  ReferralNotFound,
  referralUpdate,
  statusAttributes,
  table,
  timelinePut,
  transact,
  type StoredReferral,
} from './referral-store.ts';
import { journeysTable } from './tables.ts';
import { executionArnFor, redrivesOf } from './withdrawal.ts';
import { currentArea } from './workflow.ts';

export interface AttentionRow {
  readonly referralId: string;
  /** When the journey went to needs_attention. */
  readonly since?: string;
  /** The journey stage it stopped in (intake, triage, first_contact, ... support, outcome). */
  readonly stage: string;
  /** The last thing recorded before it stopped (timeline event, with the task type). */
  readonly lastStep?: string;
  /** The error name or code the workflow recorded: never a message. */
  readonly error?: string;
  readonly redrives: number;
}

/** Journeys in needs_attention, oldest first: ids, times and codes only. */
export async function listNeedsAttention(): Promise<AttentionRow[]> {
  const items = await queryAll({
    IndexName: journeysTable.indexes[0].indexName,
    KeyConditionExpression: 'gsi1pk = :pk',
    ExpressionAttributeValues: { ':pk': keys.referralsByStatus('needs_attention') },
    ProjectionExpression: 'referralId',
  });
  const rows = await Promise.all(
    items.map(async (item): Promise<AttentionRow | undefined> => {
      const referral = await getReferral(String(item.referralId));
      if (referral?.status !== 'needs_attention') return undefined; // moved on since the index was read
      const attention = attentionOf(await listTimeline(referral.referralId));
      return {
        referralId: referral.referralId,
        ...(attention.since ? { since: attention.since } : {}),
        stage: referral.stage,
        ...(attention.lastStep ? { lastStep: attention.lastStep } : {}),
        ...(attention.error ? { error: attention.error } : {}),
        redrives: redrivesOf(referral),
      };
    }),
  );
  return rows
    .filter((r): r is AttentionRow => r !== undefined)
    .sort((a, b) => (a.since ?? '').localeCompare(b.since ?? '') || a.referralId.localeCompare(b.referralId));
}

async function executionExists(referralId: string, redrives: number): Promise<boolean> {
  try {
    await sfn().send(new DescribeExecutionCommand({ executionArn: executionArnFor(referralId, redrives) }));
    return true;
  } catch (error) {
    if ((error as Error)?.name === 'ExecutionDoesNotExist') return false;
    throw error;
  }
}

async function startExecution(referralId: string, redrives: number): Promise<string> {
  const name = journeyExecutionName(referralId, redrives);
  try {
    await startJourneyExecution(name, referralId);
  } catch (error) {
    // Started by an earlier attempt of this very redrive (same name, same input).
    if ((error as Error)?.name !== 'ExecutionAlreadyExists') throw error;
  }
  return name;
}

export type RedriveOutcome =
  | { readonly redriven: true; readonly executionName: string; readonly plan: RedrivePlan; readonly resumedEarlierAttempt: boolean }
  | { readonly redriven: false; readonly plan: RedrivePlan };

/** Makes a completed task's answer deliverable again: the new execution gets it, no one is asked. */
async function replayAnswer(referralId: string, taskId: string): Promise<void> {
  try {
    await dynamo().send(
      new UpdateCommand({
        TableName: table(),
        Key: keys.task(referralId, taskId),
        UpdateExpression: 'REMOVE #delivered',
        ConditionExpression: '#status = :completed',
        ExpressionAttributeNames: { '#delivered': 'deliveredAt', '#status': 'status' },
        ExpressionAttributeValues: { ':completed': 'completed' },
      }),
    );
  } catch (error) {
    if ((error as Error)?.name !== 'ConditionalCheckFailedException') throw error;
  }
}

async function redrivePlanFor(referral: StoredReferral): Promise<RedrivePlan> {
  const services = new Map(currentArea().services.map((s) => [s.id, s.referral.channel]));
  const [tasks, onward] = await Promise.all([listTasks(referral.referralId), listOnwardReferrals(referral.referralId)]);
  return planRedrive({
    status: referral.status,
    closed: Boolean(referral.closedAt),
    linked: Boolean(referral.linkedTo),
    tasks,
    onwardReferrals: onward.map((o) => ({
      onwardReferralId: o.onwardReferralId,
      status: o.status,
      // A service gone from the directory fails at once (not sent): treated like e-mail.
      channel: services.get(o.serviceId) === 'webhook' ? 'webhook' : 'email',
    })),
  });
}

/**
 * Gets a needs_attention journey going again, once its cause is fixed: the redrive is claimed on
 * the referral (status back to what it was, a 'redriven' timeline entry, the counter), then a
 * new execution starts under the next name. Re-running after a crash between the two starts the
 * claimed execution; nothing is claimed twice.
 */
export async function redriveJourney(referralId: string): Promise<RedriveOutcome> {
  const referral = await getReferral(referralId);
  if (!referral) throw new ReferralNotFound();
  const claimed = redrivesOf(referral);
  if (referral.lastStage === 'redriven' && !referral.closedAt && !(await executionExists(referralId, claimed))) {
    const plan = await redrivePlanFor({ ...referral, status: 'needs_attention' });
    return { redriven: true, executionName: await startExecution(referralId, claimed), plan, resumedEarlierAttempt: true };
  }

  const plan = await redrivePlanFor(referral);
  if (plan.refused.length) return { redriven: false, plan };
  for (const { taskId } of plan.replay) await replayAnswer(referralId, taskId);

  // A journey whose start failed at intake never ran: its first name is still free.
  const next = (await executionExists(referralId, claimed)) ? claimed + 1 : claimed;
  const at = new Date().toISOString();
  const { statusBefore } = attentionOf(await listTimeline(referralId));
  const failed = await transact([
    referralUpdate(
      referralId,
      { ...statusAttributes(referralId, statusBefore, at, referral.stage), lastStage: 'redriven', redrives: next },
      {
        expression: '#status = :attention AND attribute_not_exists(#closedAt)',
        names: { '#status': 'status', '#closedAt': 'closedAt' },
        values: { ':attention': 'needs_attention' },
      },
    ),
    timelinePut(referralId, { at, event: 'redriven', status: statusBefore, attempt: next }),
  ]);
  if (failed >= 0) {
    const latest = await getReferral(referralId);
    return { redriven: false, plan: { ...plan, refused: [`The journey changed meanwhile (now ${latest?.status ?? 'gone'}); look again.`] } };
  }
  return { redriven: true, executionName: await startExecution(referralId, next), plan, resumedEarlierAttempt: false };
}
