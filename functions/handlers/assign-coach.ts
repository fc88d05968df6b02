import middy from '@middy/core';
import { z } from 'zod';
import { assignCoach, type AssignResult } from '../shared/assignment-service.ts';
import { countMetric, observed } from '../shared/observability.ts';
import { parseInput } from '../shared/workflow.ts';
import { metricCatalogue } from '../shared/metric-catalogue.ts';

/**
 * Assigns an eligible referral to the best coach with free caseload. Idempotent: an assigned
 * referral answers its coach again (the workflow's re-check after a waitlist time-out relies on
 * it). { assigned: false } sends the journey to the waitlist. DynamoDB throttling errors keep
 * their names; lost races beyond the internal retries end as TransientError (both retried).
 */
const AssignCoachInput = z.object({ referralId: z.string().min(1).max(128) });

async function assignCoachHandler(event: unknown): Promise<AssignResult> {
  const { referralId } = parseInput(AssignCoachInput, event);
  const result = await assignCoach(referralId);
  countMetric(result.assigned ? metricCatalogue.coachAssigned.name : metricCatalogue.coachNotAvailable.name);
  return result;
}

export const handler = middy<unknown, AssignResult>().use(observed()).handler(assignCoachHandler);
