import { expect } from 'vitest';
import { listOnwardReferrals } from '../../functions/shared/onward-referral-store.ts';
import { listTasks, listTimeline } from '../../functions/shared/referral-store.ts';
import type { TaskType } from '../../workflows/states.ts';
import { journeyStates } from '../../workflows/states.ts';
import { JourneyDriver, results } from './journey.ts';
import type { LocalProvider } from './provider.ts';
import { HOUR, type TestRuntime } from './runtime.ts';

/**
 * Upgrades with journeys in flight (README: upgrades): journeys left at each kind of wait on one
 * definition version, then driven to their end after another version is deployed on the same data.
 */
const WEEK = 7 * 24 * HOUR;

/** Version N+1 of a definition: Triage renamed, so replaying a journey of N through it would redo its steps. */
export function withTriageRenamed(definition: Record<string, unknown>, to = 'TriageReferral'): Record<string, unknown> {
  const text = JSON.stringify(definition).replaceAll(`"${journeyStates.triage}"`, `"${to}"`);
  const renamed = JSON.parse(text) as Record<string, unknown>;
  expect(JSON.stringify(renamed)).not.toBe(JSON.stringify(definition));
  return renamed;
}

export interface JourneysInFlight {
  readonly atFirstContact: string;
  readonly inAssessment: string;
  readonly waitingForFollowUp: string;
  readonly inOnwardReferral: string;
}

/** One journey at first contact, one in assessment, one in the Wait before a follow-up, one waiting on a provider. */
export async function startJourneysInFlight(rt: TestRuntime): Promise<JourneysInFlight> {
  const j = new JourneyDriver(rt);
  const [atFirstContact, inAssessment, waitingForFollowUp, inOnwardReferral] = [await j.refer(), await j.refer(), await j.refer(), await j.refer()];
  for (const id of [inAssessment, waitingForFollowUp, inOnwardReferral]) await j.complete(id, 'first_contact', results.firstContact('engaged'));
  await j.complete(waitingForFollowUp, 'assessment', results.assessment([]));
  await j.complete(inOnwardReferral, 'assessment', results.assessment(['msk-physiotherapy']));
  expect(await j.liveTask(atFirstContact, 'first_contact')).toBeDefined();
  expect(await j.liveTask(inAssessment, 'assessment')).toBeDefined();
  expect(await listTasks(waitingForFollowUp, 'follow_up')).toHaveLength(0);
  expect(await listOnwardReferrals(inOnwardReferral)).toHaveLength(1);
  return { atFirstContact, inAssessment, waitingForFollowUp, inOnwardReferral };
}

const answers: Record<TaskType, () => unknown> = {
  first_contact: () => results.firstContact('engaged'),
  needs_review: () => results.review('eligible'),
  assessment: () => results.assessment([]),
  follow_up: () => results.followUp('continue'),
  outcome: () => results.outcome(),
  provider_chase: () => results.providerChase(),
};

/**
 * Answers every task and onward referral as people would, a week of the clock at a time, until
 * every journey has ended. The provider answers to the runtime now running (its URL changed).
 */
export async function driveToEnd(rt: TestRuntime, provider: LocalProvider, referralIds: readonly string[]): Promise<void> {
  const j = new JourneyDriver(rt);
  const answered = new Set<string>();
  for (let week = 0; week < 30; week++) {
    const running = referralIds.filter((id) => j.execution(id).status === 'RUNNING');
    if (running.length === 0) return;
    for (const id of running) {
      for (const o of await listOnwardReferrals(id)) {
        const sent = provider.received.find((r) => r.body.onwardReferralId === o.onwardReferralId);
        if (!sent || answered.has(o.onwardReferralId)) continue;
        const url = new URL(new URL(sent.body.respondTo.url).pathname, rt.gatewayUrl);
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${sent.body.respondTo.key}` },
          body: JSON.stringify({ status: 'accepted' }),
        });
        expect(res.status).toBe(200);
        answered.add(o.onwardReferralId);
        await rt.engine.idle();
      }
      for (const type of Object.keys(answers) as TaskType[]) {
        if (await j.liveTask(id, type)) await j.complete(id, type, answers[type]());
      }
    }
    await rt.advance(WEEK);
  }
  throw new Error('journeys still running after 30 weeks');
}

/** Every step of the journey happened once: one triage, one assignment, one of each task but follow-ups, one onward referral sent. */
export async function expectEachStepOnce(referralId: string, provider: LocalProvider): Promise<void> {
  const events = (await listTimeline(referralId)).map((e) => e.event);
  expect(events.filter((e) => e === 'triaged'), referralId).toHaveLength(1);
  expect(events.filter((e) => e === 'coach_assigned'), referralId).toHaveLength(1);
  const tasks = await listTasks(referralId);
  for (const type of ['first_contact', 'assessment', 'outcome'] as const) {
    expect(tasks.filter((t) => t.type === type), `${referralId} ${type}`).toHaveLength(1);
  }
  expect(tasks.every((t) => t.status === 'completed'), referralId).toBe(true);
  for (const o of await listOnwardReferrals(referralId)) {
    expect(provider.received.filter((r) => r.body.onwardReferralId === o.onwardReferralId), o.onwardReferralId).toHaveLength(1);
  }
}
