import type { AreaSettings } from '../../areas/schema.ts';
import type { TaskType } from '../../workflows/states.ts';
import { afterFollowUp, maxSupportWeeks, newPlan, nextStep } from '../domain/follow-ups.ts';
import type { JourneyStage } from '../domain/stages.ts';
import type { ReferralStatus } from '../domain/referral.ts';
import { areaProblems, type TaskResult, taskResultSchemas } from '../domain/task-results.ts';
import { lifecycleEventOfTask } from '../domain/bars-lifecycle.ts';
import { lifecycleOutbox } from './bars-lifecycle.ts';
import { familyMetric } from './metric-catalogue.ts';
import { countMetric } from './observability.ts';
import { createOnwardReferrals } from './onward-referral-store.ts';
import { type FieldError, fieldErrors, jsonPointer } from './problem.ts';
import { getReferral, getTask, type HumanTask, ReferralNotFound, type StoredReferral, TaskNotFound, taskTokenOf } from './referral-store.ts';
import { deliverTaskOutput } from './task-delivery.ts';
import { recordCompletion } from './task-store.ts';
import { currentArea } from './workflow.ts';

/**
 * Completing a human task: the one path by which a coach's or team lead's answer reaches a
 * journey (the task API calls it). The answer is validated for the task's type and the area,
 * stored in the referral's partition, and the journey is sent only the codes and ids it
 * branches on. A task completes once; a second completion or one of a cancelled task is a
 * TaskConflict, never a second transition.
 */
export class TaskConflict extends Error {
  override readonly name = 'TaskConflict';
  constructor(readonly state: string) {
    super(`Task is ${state}`);
  }
}

export class TaskResultInvalid extends Error {
  override readonly name = 'TaskResultInvalid';
  constructor(readonly errors: FieldError[]) {
    super('Task result is not valid');
  }
}

interface CompletionPlan {
  output: Record<string, unknown>;
  record?: { sk: string; item: Record<string, unknown> };
  status?: { status: ReferralStatus; stage?: JourneyStage };
  referralChanges?: Record<string, unknown>;
  timeline: Record<string, string | number | boolean>;
}

async function plan(type: TaskType, result: unknown, referral: StoredReferral, task: HumanTask, area: AreaSettings, at: string): Promise<CompletionPlan> {
  switch (type) {
    case 'first_contact': {
      const r = result as TaskResult<'first_contact'>;
      return {
        output: { outcome: r.outcome },
        record: { sk: `CONTACT#${task.taskId}`, item: { type: 'contact', ...r, recordedAt: at } },
        ...(r.outcome === 'engaged' ? { status: { status: 'engaged' as const, stage: 'assessment' as const } } : {}),
        timeline: { outcome: r.outcome },
      };
    }
    case 'needs_review': {
      const r = result as TaskResult<'needs_review'>;
      return {
        output: { outcome: r.outcome },
        record: { sk: `REVIEW#${task.taskId}`, item: { type: 'review', ...r, recordedAt: at } },
        ...(r.outcome === 'eligible' ? { status: { status: 'triaged_eligible' as const, stage: 'triage' as const } } : {}),
        timeline: { outcome: r.outcome, reason: r.reason },
      };
    }
    case 'assessment': {
      const r = result as TaskResult<'assessment'>;
      const followUps = newPlan(area, referral.referral.work.situation, r.followUp);
      const onwardReferrals = await createOnwardReferrals(referral.referralId, r.onwardReferrals);
      return {
        output: { onwardReferrals, followUp: nextStep(followUps) },
        record: { sk: 'ASSESSMENT', item: { type: 'assessment', ...r, recordedAt: at } },
        status: { status: 'in_support', stage: 'support' },
        referralChanges: { plan: followUps },
        timeline: { onwardReferrals: onwardReferrals.length },
      };
    }
    case 'follow_up': {
      const r = result as TaskResult<'follow_up'>;
      const current = referral.plan ?? newPlan(area, referral.referral.work.situation, {});
      const max = maxSupportWeeks(area, referral.referral.work.situation);
      const { plan: updated, step } = afterFollowUp(current, r.decision, max, r.extendWeeks);
      return {
        output: { ...step },
        record: { sk: `FOLLOWUP#${task.taskId}`, item: { type: 'follow_up', ...r, recordedAt: at } },
        status: { status: 'in_support', stage: step.next === 'outcome' ? 'outcome' : 'support' },
        referralChanges: { plan: updated },
        timeline: { outcome: r.decision },
      };
    }
    case 'outcome': {
      const r = result as TaskResult<'outcome'>;
      return {
        output: { employmentOutcome: r.employmentOutcome },
        record: { sk: 'OUTCOME', item: { type: 'outcome', ...r, recordedAt: at } },
        timeline: { outcome: r.employmentOutcome, reason: r.dischargeReason },
      };
    }
    case 'provider_chase': {
      const r = result as TaskResult<'provider_chase'>;
      return {
        output: { resolution: r.resolution },
        record: { sk: `CHASE#${task.taskId}`, item: { type: 'provider_chase', ...r, recordedAt: at } },
        timeline: { outcome: r.resolution },
      };
    }
  }
}

export async function completeTask(input: {
  referralId: string;
  taskId: string;
  result: unknown;
  /** Staff id of whoever completed it (coach or team lead), for the audit trail. */
  completedBy: string;
}): Promise<{ taskId: string; type: TaskType; output: Record<string, unknown>; delivered: boolean }> {
  const task = await getTask(input.referralId, input.taskId);
  if (!task) throw new TaskNotFound();
  if (task.status !== 'open' && task.status !== 'overdue') throw new TaskConflict(task.status);
  const referral = await getReferral(input.referralId);
  if (!referral) throw new ReferralNotFound();
  if (referral.closedAt) throw new TaskConflict('closed');

  const area = currentArea();
  const parsed = taskResultSchemas[task.type].safeParse(input.result);
  if (!parsed.success) throw new TaskResultInvalid(fieldErrors(parsed.error));
  const problems = areaProblems(task.type, parsed.data, area);
  if (problems.length) throw new TaskResultInvalid(problems.map((p) => ({ pointer: jsonPointer(p.path), detail: p.message })));

  const now = new Date();
  const steps = await plan(task.type, parsed.data, referral, task, area, now.toISOString());
  const alsoWrite = await lifecycleOutbox(referral, lifecycleEventOfTask(task.type, steps.status?.status), steps.status?.status ?? referral.status, now.toISOString());
  const completed = await recordCompletion({ referralId: input.referralId, task, completedBy: input.completedBy, now, ...steps, alsoWrite });
  if (!completed) {
    const latest = await getTask(input.referralId, input.taskId);
    throw new TaskConflict(latest?.status ?? 'gone');
  }
  if (task.type === 'outcome') countMetric(familyMetric('outcomeRecorded', (parsed.data as TaskResult<'outcome'>).employmentOutcome));
  // The token read after completing: a phase change now finds the task completed and delivers it.
  const token = await taskTokenOf(input.referralId, input.taskId);
  const stored = (await getTask(input.referralId, input.taskId))!;
  const delivered = token ? await deliverTaskOutput(stored, token, now) : false;
  return { taskId: task.taskId, type: task.type, output: steps.output, delivered };
}
