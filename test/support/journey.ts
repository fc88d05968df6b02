import { loadArea, registerArea } from '../../areas/index.ts';
import type { AreaSettings, AreaSettingsInput } from '../../areas/schema.ts';
import { getReferral, listTasks } from '../../functions/shared/referral-store.ts';
import { completeTask } from '../../functions/shared/task-completion.ts';
import type { TaskType } from '../../workflows/states.ts';
import { referralForNewPerson } from '../fixtures/referrals.ts';
import { type LocalProvider, startLocalProvider } from './provider.ts';
import { startTestRuntime, type TestRuntime, type TestRuntimeOptions } from './runtime.ts';

/**
 * Journey tests run a registered copy of South Yorkshire whose webhook services point at a
 * provider on this machine, driven through the same paths people use: referrals over HTTP,
 * tasks completed by the task completion service, provider answers over HTTP.
 */
export function registerJourneyArea(
  slug: string,
  providerBaseUrl: string,
  changes: Partial<Pick<AreaSettingsInput, 'coaches' | 'workingHours'>> = {},
): AreaSettings {
  const area = structuredClone(loadArea('south-yorkshire')) as AreaSettingsInput;
  area.slug = slug;
  delete area.shortSlug;
  area.services = area.services.map((service) =>
    service.referral.channel === 'webhook'
      ? { ...service, referral: { channel: 'webhook' as const, address: `${providerBaseUrl}/referrals/${service.id}` } }
      : service,
  );
  if (changes.coaches) area.coaches = changes.coaches;
  // Round the clock unless a test asks otherwise: the timer tests count exact hours from any
  // moment; working hours have tests of their own.
  area.workingHours = changes.workingHours ?? { days: [1, 2, 3, 4, 5, 6, 7], start: '00:00', end: '24:00' };
  return registerArea(area, `test area ${slug}`);
}

export const results = {
  firstContact: (outcome: 'engaged' | 'declined' | 'unable_to_contact') => ({
    outcome,
    contactedAt: new Date().toISOString(),
    channel: 'phone',
  }),
  review: (outcome: 'eligible' | 'not_eligible') => ({
    outcome,
    reason: outcome === 'eligible' ? 'exception_agreed' : 'outside_criteria',
  }),
  assessment: (onwardReferrals: string[]) => ({
    barriers: { health: ['pain'], social: [], workplace: ['workload', 'adjustments_needed'] },
    goals: ['Return to full duties'],
    actions: [{ description: 'Ask the employer for a phased return', owner: 'participant' }],
    workplaceAdjustments: ['phased_return'],
    employerConversation: true,
    baseline: { wsas: 22, phq9: 11, gad7: 9, sickness_absence_days: 12 },
    employmentStatus: 'employed_off_sick',
    onwardReferrals,
  }),
  followUp: (decision: 'continue' | 'discharge_early' | 'extend' = 'continue') => ({
    progress: 'improving',
    planChanged: false,
    decision,
  }),
  outcome: () => ({
    employmentOutcome: 'returned_to_work',
    outcomeDate: new Date().toISOString().slice(0, 10),
    sicknessAbsenceDaysChange: -12,
    endMeasures: { wsas: 10, phq9: 5, gad7: 4, sickness_absence_days: 0 },
    dischargeReason: 'support_completed',
  }),
  providerChase: () => ({ resolution: 'referred_elsewhere' }),
};

export class JourneyDriver {
  constructor(readonly rt: TestRuntime) {}

  async refer(overrides: Parameters<typeof referralForNewPerson>[0] = {}): Promise<string> {
    const res = await this.rt.postReferral(referralForNewPerson(overrides));
    if (res.status !== 202) throw new Error(`referral refused: ${res.status} ${await res.text()}`);
    const { referralId } = (await res.json()) as { referralId: string };
    await this.rt.engine.idle();
    return referralId;
  }

  /** The task of the type the assignee would see now (open or overdue). */
  async liveTask(referralId: string, type: TaskType) {
    const [latest] = await listTasks(referralId, type);
    return latest && (latest.status === 'open' || latest.status === 'overdue') ? latest : undefined;
  }

  async complete(referralId: string, type: TaskType, result: unknown, by = 'coach') {
    const task = await this.liveTask(referralId, type);
    if (!task) throw new Error(`no live ${type} task for the referral`);
    const done = await completeTask({ referralId, taskId: task.taskId, result, completedBy: by });
    await this.rt.engine.idle();
    return done;
  }

  /** Completes the live task through the coach API as its assignee (or `staffId`): the answer as the coach's front end gets it. */
  async completeOverApi(referralId: string, type: TaskType, result: unknown, staffId?: string): Promise<Response> {
    const task = await this.liveTask(referralId, type);
    if (!task) throw new Error(`no live ${type} task for the referral`);
    const res = await fetch(`${this.rt.gatewayUrl}/v1/tasks/${task.taskId}/complete`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...this.rt.staffAuth(staffId ?? task.assignee!) },
      body: JSON.stringify(result),
    });
    await this.rt.engine.idle();
    return res;
  }

  async status(referralId: string) {
    return (await getReferral(referralId))?.status;
  }

  execution(referralId: string) {
    return this.rt.engine.describeExecution(`${this.rt.stateMachineArn.replace(':stateMachine:', ':execution:')}:${referralId}`);
  }
}

/** A journey test file's setting: a local provider, a registered area pointing at it, the runtime. */
export interface JourneyTestbed {
  readonly provider: LocalProvider;
  readonly area: AreaSettings;
  readonly rt: TestRuntime;
  readonly j: JourneyDriver;
  stop(): Promise<void>;
}

export async function startJourneyTestbed(
  slug: string,
  changes: Parameters<typeof registerJourneyArea>[2] = {},
  runtime: TestRuntimeOptions = {},
): Promise<JourneyTestbed> {
  const provider = await startLocalProvider();
  const area = registerJourneyArea(slug, provider.baseUrl, changes);
  const rt = await startTestRuntime(area.slug, runtime);
  return {
    provider,
    area,
    rt,
    j: new JourneyDriver(rt),
    stop: async () => {
      await rt.stop();
      await provider.stop();
    },
  };
}
