import middy from '@middy/core';
import { z } from 'zod';
import type { AreaSettings } from '../../areas/index.ts';
import { journeyDeadlines, type JourneyDeadlines } from '../domain/deadlines.ts';
import { triageStatus } from '../domain/stages.ts';
import { lifecycleOutbox } from '../shared/bars-lifecycle.ts';
import { triage } from '../domain/triage.ts';
import { countMetric, logSafe, observed } from '../shared/observability.ts';
import {
  getReferral,
  recordTriage,
  ReferralNotFound,
  type StoredTriage,
} from '../shared/referral-store.ts';
import { currentArea, dateInTimeZone, parseInput } from '../shared/workflow.ts';
import { familyMetric } from '../shared/metric-catalogue.ts';

/**
 * Triage step of the journey: applies the area's rules to the stored referral once. A repeated
 * invocation (Step Functions retry after a crash) returns the stored decision and writes nothing.
 */
const TriageInput = z.object({ referralId: z.string().min(1).max(128) });

/** What the journey keeps: the decision's codes and every deadline it will wait by. */
export interface TriageResult {
  outcome: StoredTriage['outcome'];
  reason: StoredTriage['reason'];
  priority: StoredTriage['priority'];
  deadlines: JourneyDeadlines;
}

function result(decision: StoredTriage, area: AreaSettings): TriageResult {
  return {
    outcome: decision.outcome,
    reason: decision.reason,
    priority: decision.priority,
    deadlines: journeyDeadlines(area, decision.priority),
  };
}

async function triageHandler(event: unknown): Promise<TriageResult> {
  const { referralId } = parseInput(TriageInput, event);
  const area = currentArea();
  const referral = await getReferral(referralId);
  if (!referral) throw new ReferralNotFound();
  if (referral.triage) return result(referral.triage, area);

  const now = new Date();
  const decision = triage(referral.referral, area, dateInTimeZone(now, area.timeZone), { possibleDuplicate: Boolean(referral.identityReview) });
  const stored: StoredTriage = {
    outcome: decision.outcome,
    reason: decision.reason,
    priority: decision.priority,
    firstContactDueHours: decision.firstContactDueHours,
    signposting: decision.signposting.map((signpost) => signpost.id),
    decidedAt: now.toISOString(),
  };
  const status = triageStatus(decision.outcome);
  // Accepted now; a refusal is told when the journey closes it (record-stage not_eligible).
  const statusUpdate = await lifecycleOutbox(referral, decision.outcome === 'eligible' ? 'accepted' : undefined, status, stored.decidedAt);
  if (!(await recordTriage(referralId, status, stored, statusUpdate))) {
    // Triaged concurrently by another invocation: its decision stands.
    const again = await getReferral(referralId);
    if (!again?.triage) throw new ReferralNotFound();
    return result(again.triage, area);
  }
  // The reason code stays out of logs: some (immediate_risk, complex_needs) are health data.
  logSafe('info', 'referral triaged', { referralId, outcome: stored.outcome, priority: stored.priority });
  countMetric(familyMetric('triageOutcome', stored.outcome));
  return result(stored, area);
}

export const handler = middy<unknown, TriageResult>().use(observed()).handler(triageHandler);
