import middy from '@middy/core';
import { z } from 'zod';
import { joinWaitlist } from '../shared/assignment-service.ts';
import { countMetric, observed } from '../shared/observability.ts';
import { parseInput } from '../shared/workflow.ts';
import { metricCatalogue } from '../shared/metric-catalogue.ts';

/**
 * Waitlist step of the journey, invoked with .waitForTaskToken: stores the task token on the
 * referral's waitlist entry (a re-entry after a re-check time-out replaces it) and drains the
 * waitlist. The journey resumes when a drain assigns it a coach and answers the token with
 * { assigned: true, coachId }. A referral that already has a coach gets its token answered at
 * once ({ waitlisted: false }). The token is never logged or returned.
 */
const JoinWaitlistInput = z.object({
  referralId: z.string().min(1).max(128),
  taskToken: z.string().min(1).max(2048),
});

export interface JoinWaitlistResult {
  waitlisted: boolean;
}

async function joinWaitlistHandler(event: unknown): Promise<JoinWaitlistResult> {
  const { referralId, taskToken } = parseInput(JoinWaitlistInput, event);
  const result = await joinWaitlist(referralId, taskToken);
  if (result.waitlisted) countMetric(metricCatalogue.waitlisted.name);
  return result;
}

export const handler = middy<unknown, JoinWaitlistResult>().use(observed()).handler(joinWaitlistHandler);
