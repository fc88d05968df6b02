import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { HumanTask } from './referral-store.ts';
import { getCoach, type StoredCoach } from './coach-store.ts';
import { currentArea } from './workflow.ts';

/**
 * Who is calling a `coach` route, as the coach authorizer put it in the request context, and
 * the access rules of the coach API: a coach sees and acts on their own tasks and caseload; a
 * team lead also on those of the coaches in their team (teamLeadId) and on the area's reviews.
 */
export type StaffRole = 'coach' | 'team_lead';

export interface Staff {
  readonly staffId: string;
  readonly role: StaffRole;
}

/** The claim of a coach's token naming their staff id (a Cognito custom attribute in AWS). */
export const STAFF_ID_CLAIM = 'custom:staff_id';

export function staffOf(event: Pick<APIGatewayProxyEvent, 'requestContext'>): Staff | undefined {
  const context = event.requestContext?.authorizer as Record<string, unknown> | null | undefined;
  const staffId = context?.staffId;
  const role = context?.role;
  if (typeof staffId !== 'string' || !staffId) return undefined;
  if (role !== 'coach' && role !== 'team_lead') return undefined;
  return { staffId, role };
}

export function isTeamLead(staffId: string): boolean {
  return currentArea().teamLeads.some((lead) => lead.id === staffId);
}

/** Whether `staff` may see or act for `coachId`: the coach themself, or their team lead. */
export async function actsFor(staff: Staff, coachId: string | null | undefined, coach?: StoredCoach): Promise<boolean> {
  if (!coachId) return false;
  if (coachId === staff.staffId) return true;
  if (staff.role !== 'team_lead') return false;
  const found = coach ?? (await getCoach(coachId));
  return found?.teamLeadId === staff.staffId;
}

/**
 * Whether `staff` may see and complete `task`: the assignee, the assignee's team lead; a review
 * (needs_review) any team lead of the area, since it is the area's decision.
 */
export async function mayHandleTask(staff: Staff, task: HumanTask): Promise<boolean> {
  if (task.type === 'needs_review') return staff.role === 'team_lead' || task.assignee === staff.staffId;
  return actsFor(staff, task.assignee);
}
