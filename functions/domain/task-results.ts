import { z } from 'zod';
import { type AreaSettings, measureRanges, MeasureName } from '../../areas/schema.ts';
import type { TaskType } from '../../workflows/states.ts';

/**
 * What a coach (or team lead) sends to complete each type of task, validated at the edge.
 * Free text is capped: it is personal and health data and stays in the task's record.
 */
const note = z.string().trim().min(1).max(1000);
const shortText = z.string().trim().min(1).max(300);
const isoDate = z.iso.date();

const measures = z
  .partialRecord(MeasureName, z.number().int())
  .superRefine((values, ctx) => {
    for (const [name, value] of Object.entries(values)) {
      const range = measureRanges[name as keyof typeof measureRanges];
      if (value !== undefined && (value < range.min || value > range.max)) {
        ctx.addIssue({ code: 'custom', path: [name], message: `must be between ${range.min} and ${range.max}` });
      }
    }
  });

export const FirstContactResult = z.strictObject({
  outcome: z.enum(['engaged', 'declined', 'unable_to_contact']),
  contactedAt: z.iso.datetime({ offset: true }),
  channel: z.enum(['phone', 'video', 'in_person', 'email', 'sms', 'letter']),
  note: note.optional(),
});

export const ReviewResult = z.strictObject({
  outcome: z.enum(['eligible', 'not_eligible']),
  reason: z.enum(['meets_criteria', 'exception_agreed', 'outside_criteria', 'needs_other_service', 'risk_too_high']),
  note: note.optional(),
});

export const barrierCategories = {
  health: ['pain', 'fatigue', 'mental_health', 'mobility', 'medication', 'waiting_for_treatment', 'other'],
  social: ['caring_responsibilities', 'finances', 'housing', 'transport', 'confidence', 'digital_access', 'other'],
  workplace: ['workload', 'relationships', 'adjustments_needed', 'working_hours', 'commute', 'job_security', 'other'],
} as const;

export const AssessmentResult = z.strictObject({
  barriers: z.strictObject({
    health: z.array(z.enum(barrierCategories.health)).max(7),
    social: z.array(z.enum(barrierCategories.social)).max(7),
    workplace: z.array(z.enum(barrierCategories.workplace)).max(7),
  }),
  goals: z.array(shortText).min(1).max(10),
  actions: z
    .array(
      z.strictObject({
        description: shortText,
        owner: z.enum(['participant', 'coach', 'employer', 'provider']),
        dueDate: isoDate.optional(),
      }),
    )
    .max(20),
  workplaceAdjustments: z
    .array(
      z.enum([
        'flexible_working',
        'phased_return',
        'adjusted_duties',
        'adaptive_technology',
        'workstation_assessment',
        'time_off_for_appointments',
        'other',
      ]),
    )
    .max(7),
  employerConversation: z.boolean(),
  baseline: measures,
  employmentStatus: z.enum(['employed_at_work', 'employed_off_sick', 'self_employed', 'unemployed']),
  /** Service ids from the area's directory; one onward referral each. */
  onwardReferrals: z.array(z.string().min(1).max(80)).max(5),
  followUp: z
    .strictObject({
      everyWeeks: z.number().int().min(1).max(8).optional(),
      supportWeeks: z.number().int().min(1).max(52).optional(),
    })
    .default({}),
});

export const FollowUpResult = z.strictObject({
  progress: z.enum(['improving', 'no_change', 'worse']),
  measures: measures.default({}),
  planChanged: z.boolean(),
  decision: z.enum(['continue', 'discharge_early', 'extend']),
  extendWeeks: z.number().int().min(1).max(26).optional(),
  note: note.optional(),
});

export const employmentOutcomes = ['stayed_in_work', 'returned_to_work', 'started_new_work', 'not_in_work'] as const;

export const OutcomeResult = z.strictObject({
  employmentOutcome: z.enum(employmentOutcomes),
  /** Payment-by-results areas need the date the outcome happened. */
  outcomeDate: isoDate,
  sicknessAbsenceDaysChange: z.number().int().min(-366).max(366).optional(),
  endMeasures: measures,
  dischargeReason: z.enum(['support_completed', 'goals_met', 'early_discharge', 'disengaged', 'moved_away', 'other']),
  note: note.optional(),
});

export const ProviderChaseResult = z.strictObject({
  resolution: z.enum(['provider_responded', 'referred_elsewhere', 'no_longer_needed', 'gave_up']),
  note: note.optional(),
});

export const taskResultSchemas = {
  first_contact: FirstContactResult,
  needs_review: ReviewResult,
  assessment: AssessmentResult,
  follow_up: FollowUpResult,
  outcome: OutcomeResult,
  provider_chase: ProviderChaseResult,
} as const satisfies Record<TaskType, z.ZodType>;

export type TaskResult<T extends TaskType> = z.infer<(typeof taskResultSchemas)[T]>;

/** Checks that need the area: measures the area takes, services in its directory. */
export function areaProblems(type: TaskType, result: unknown, area: AreaSettings): { path: string[]; message: string }[] {
  const problems: { path: string[]; message: string }[] = [];
  const requireMeasures = (values: Partial<Record<string, number>>, field: string) => {
    for (const name of area.support.measures) {
      if (values[name] === undefined) problems.push({ path: [field, name], message: 'this area records this measure' });
    }
  };
  if (type === 'assessment') {
    const a = result as TaskResult<'assessment'>;
    requireMeasures(a.baseline, 'baseline');
    const services = new Map(area.services.map((s) => [s.id, s]));
    a.onwardReferrals.forEach((id, i) => {
      const service = services.get(id);
      if (!service) problems.push({ path: ['onwardReferrals', String(i)], message: "is not in the area's service directory" });
      else if (service.status !== 'active') problems.push({ path: ['onwardReferrals', String(i)], message: 'service is not active' });
    });
    if (new Set(a.onwardReferrals).size !== a.onwardReferrals.length) {
      problems.push({ path: ['onwardReferrals'], message: 'each service once' });
    }
  }
  if (type === 'outcome') requireMeasures((result as TaskResult<'outcome'>).endMeasures, 'endMeasures');
  if (type === 'follow_up') {
    const f = result as TaskResult<'follow_up'>;
    if (f.decision === 'extend' && f.extendWeeks === undefined) {
      problems.push({ path: ['extendWeeks'], message: 'required when extending' });
    }
  }
  return problems;
}
