import type { AreaSettings } from '../../areas/schema.ts';
import type { WorkSituation } from '../../areas/schema.ts';

/**
 * The follow-up schedule of a plan: check-ins every few weeks until the support length is
 * reached, then the outcome. Coaches may end early or extend within the area's maximum, which
 * differs for people in work and out of work.
 */
export interface FollowUpPlan {
  readonly everyWeeks: number;
  readonly supportWeeks: number;
  readonly done: number;
}

export interface NextStep {
  readonly next: 'follow_up' | 'outcome';
  /** Wait before the next check-in (0 when the outcome is next). */
  readonly waitSeconds: number;
}

const WEEK_SECONDS = 7 * 24 * 3600;

export function maxSupportWeeks(area: AreaSettings, situation: WorkSituation | 'unknown'): number {
  return situation === 'out_of_work' ? area.support.maxWeeksOutOfWork : area.support.maxWeeksInWork;
}

/** A new plan: the coach's choices, else the area's defaults; never beyond the area's maximum. */
export function newPlan(
  area: AreaSettings,
  situation: WorkSituation | 'unknown',
  choice: { everyWeeks?: number; supportWeeks?: number },
): FollowUpPlan {
  const max = maxSupportWeeks(area, situation);
  return {
    everyWeeks: choice.everyWeeks ?? area.support.followUpEveryWeeks,
    supportWeeks: Math.min(choice.supportWeeks ?? max, max),
    done: 0,
  };
}

/** The step after the plan's `done` check-ins. */
export function nextStep(plan: FollowUpPlan): NextStep {
  const nextAtWeek = (plan.done + 1) * plan.everyWeeks;
  return nextAtWeek < plan.supportWeeks
    ? { next: 'follow_up', waitSeconds: plan.everyWeeks * WEEK_SECONDS }
    : { next: 'outcome', waitSeconds: 0 };
}

/** The plan after a check-in, given the coach's decision. */
export function afterFollowUp(
  plan: FollowUpPlan,
  decision: 'continue' | 'discharge_early' | 'extend',
  maxWeeks: number,
  extendWeeks = 0,
): { plan: FollowUpPlan; step: NextStep } {
  const done = plan.done + 1;
  if (decision === 'discharge_early') return { plan: { ...plan, done }, step: { next: 'outcome', waitSeconds: 0 } };
  const supportWeeks = decision === 'extend' ? Math.min(plan.supportWeeks + extendWeeks, maxWeeks) : plan.supportWeeks;
  const updated = { ...plan, supportWeeks, done };
  return { plan: updated, step: nextStep(updated) };
}
