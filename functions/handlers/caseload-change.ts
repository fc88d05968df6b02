import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { z } from 'zod';
import { ReassignRefused, reassignReferral } from '../shared/assignment-service.ts';
import { httpErrors, json, readJsonBody } from '../shared/http.ts';
import { logSafe, observed } from '../shared/observability.ts';
import { fieldErrors, problem, problems } from '../shared/problem.ts';
import { getReferral } from '../shared/referral-store.ts';
import { actsFor, type Staff, staffOf } from '../shared/staff.ts';
import { withdrawReferral, withdrawalReasons } from '../shared/withdrawal.ts';

/**
 * A coach's caseload changes:
 *  - POST /v1/caseload/{referralId}/withdraw { reason }: the referral's coach or their team lead
 *    withdraws it (withdrawReferral: tasks cancelled, caseload freed, journey stopped). Again:
 *    the same answer; a journey that ended some other way: 409.
 *  - POST /v1/caseload/{referralId}/reassign { coachId }: a team lead (of the referral's coach)
 *    moves it to another coach with capacity (reassignReferral); 409 when the journey is closed
 *    or not assigned, or the coach is unknown, on leave or full.
 * A referral the caller may not act on is answered 404, like an unknown one.
 */
const ReferralId = z.uuid();
const WithdrawBody = z.strictObject({ reason: z.enum(withdrawalReasons) });
const ReassignBody = z.strictObject({ coachId: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'must be a coach id') });

function invalid(error: z.ZodError): APIGatewayProxyResult {
  return problem(400, 'Bad Request', 'The request body is not valid.', fieldErrors(error));
}

async function withdraw(staff: Staff, referralId: string, event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const referral = await getReferral(referralId);
  if (!referral || !(await actsFor(staff, referral.coachId))) return problems.notFound('No referral with this id in your caseload.');
  const body = readJsonBody(event);
  if (!body.ok) return body.response;
  const parsed = WithdrawBody.safeParse(body.value);
  if (!parsed.success) return invalid(parsed.error);
  if (referral.closedAt && referral.status !== 'withdrawn') {
    return problem(409, 'Conflict', 'The journey has already ended.', undefined, { extensions: { status: referral.status } });
  }
  await withdrawReferral(referralId, parsed.data.reason);
  logSafe('info', 'referral withdrawn by staff', { referralId, reason: parsed.data.reason, httpStatus: 200 });
  return json(200, { referralId, status: 'withdrawn' });
}

async function reassign(staff: Staff, referralId: string, event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const referral = await getReferral(referralId);
  if (!referral || !(await actsFor(staff, referral.coachId))) return problems.notFound('No referral with this id in your caseload.');
  if (staff.role !== 'team_lead') return problem(403, 'Forbidden', 'Only a team lead may reassign a referral.');
  const body = readJsonBody(event);
  if (!body.ok) return body.response;
  const parsed = ReassignBody.safeParse(body.value);
  if (!parsed.success) return invalid(parsed.error);
  try {
    const moved = await reassignReferral(referralId, parsed.data.coachId, staff.staffId);
    logSafe('info', 'referral reassigned by staff', { referralId, code: moved.toCoachId, httpStatus: 200 });
    return json(200, { referralId, coachId: moved.toCoachId, previousCoachId: moved.fromCoachId, reassigned: moved.reassigned });
  } catch (error) {
    if (error instanceof ReassignRefused) {
      logSafe('info', 'reassignment refused', { referralId, code: error.code, httpStatus: 409 });
      const detail = {
        closed: 'The journey has ended.',
        not_assigned: 'The referral has no coach yet.',
        coach_not_found: 'No coach with this id in the area.',
        coach_unavailable: 'The coach is on leave or has no free caseload.',
      }[error.code];
      return problem(409, 'Conflict', detail, undefined, { extensions: { code: error.code } });
    }
    throw error;
  }
}

async function caseloadChange(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const staff = staffOf(event);
  if (!staff) return problem(403, 'Forbidden', 'This route is for coaches and team leads.');
  const id = ReferralId.safeParse(event.pathParameters?.referralId);
  if (!id.success) return problems.notFound('No referral with this id in your caseload.');
  return event.resource.endsWith('/reassign') ? reassign(staff, id.data, event) : withdraw(staff, id.data, event);
}

export const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
  .use(observed())
  .use(httpErrors())
  .handler(caseloadChange);
