import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { z } from 'zod';
import { httpErrors, json } from '../shared/http.ts';
import { logSafe, observed } from '../shared/observability.ts';
import { fieldErrors, problem, problems } from '../shared/problem.ts';
import {
  findTaskById,
  getReferral,
  queryPartition,
  type StoredReferral,
} from '../shared/referral-store.ts';
import { mayHandleTask, type Staff, staffOf } from '../shared/staff.ts';
import { defaultScope, listStaffTasks, taskSummary } from '../shared/task-list.ts';

/**
 * GET /v1/tasks: the caller's open and overdue tasks, by due date, paged (limit, opaque cursor).
 *   - a coach: the tasks assigned to them (`scope=mine`, the only scope a coach has);
 *   - a team lead, `scope=mine`: their own tasks (reviews) and those of the coaches of their team
 *     who are on leave (available = false), whom they cover; `scope=team` (their default): their
 *     own and every task of their team's coaches.
 * GET /v1/tasks/{taskId}: one task with what the caller needs to do it (the referral's contact
 * details, situation, needs, and the assessment and plan so far). Only the assignee, the
 * assignee's team lead (a review: any team lead of the area); anyone else gets 404, as for an
 * unknown id. Nothing of the referral is logged: ids and codes only.
 */
const TaskId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
const ListQuery = z.strictObject({
  scope: z.enum(['mine', 'team']).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(25),
  cursor: z.string().max(512).optional(),
});
/** What the cursor carries: the index sort key of the last task answered. */
const Cursor = z.strictObject({ after: z.string().min(1).max(300) });

function encodeCursor(after: string): string {
  return Buffer.from(JSON.stringify({ after })).toString('base64url');
}

function decodeCursor(cursor: string): string | undefined {
  try {
    const parsed = Cursor.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    return parsed.success ? parsed.data.after : undefined;
  } catch {
    return undefined;
  }
}

async function listTasksFor(staff: Staff, event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const query = ListQuery.safeParse(event.queryStringParameters ?? {});
  if (!query.success) return problem(400, 'Bad Request', 'The query parameters are not valid.', fieldErrors(query.error));
  const after = query.data.cursor === undefined ? undefined : decodeCursor(query.data.cursor);
  if (query.data.cursor !== undefined && !after) {
    return problem(400, 'Bad Request', 'The cursor is not one this API gave.', [{ pointer: '/cursor', detail: 'is not valid' }]);
  }
  const scope = query.data.scope ?? defaultScope(staff);
  if (scope === 'team' && staff.role !== 'team_lead') return problem(403, 'Forbidden', 'Only a team lead has a team scope.');

  const page = await listStaffTasks(staff, { scope, limit: query.data.limit, after });
  logSafe('info', 'tasks listed', { code: scope, httpStatus: 200 });
  return json(200, {
    scope,
    tasks: page.tasks,
    ...(page.lastSortKey ? { nextCursor: encodeCursor(page.lastSortKey) } : {}),
  });
}

/** What the coach needs of the referral to do the task (no referrer contact, no consent record). */
function referralView(referral: StoredReferral) {
  const { participant, work, health, needs, reasonableAdjustments } = referral.referral;
  return {
    referralId: referral.referralId,
    status: referral.status,
    stage: referral.stage,
    source: referral.source,
    referrerOrganisation: referral.referrerOrganisation,
    receivedAt: referral.receivedAt,
    priority: referral.triage?.priority,
    ...(referral.triage?.outcome === 'needs_review' ? { reviewReason: referral.triage.reason } : {}),
    // Coaches and team leads see the links: the open journeys this person may already be on.
    ...(referral.identityReview ? { identityReview: referral.identityReview } : {}),
    coachId: referral.coachId ?? null,
    participant: {
      givenName: participant.givenName,
      familyName: participant.familyName,
      dateOfBirth: participant.dateOfBirth,
      postcode: participant.postcode,
      ...(participant.email ? { email: participant.email } : {}),
      ...(participant.phone ? { phone: participant.phone } : {}),
      preferredChannel: participant.preferredChannel,
    },
    reasonableAdjustments,
    work,
    conditions: health.conditions,
    ...(health.details ? { healthDetails: health.details } : {}),
    needs,
  };
}

const stripKeys = (item: Record<string, unknown>) => {
  const { pk: _pk, sk: _sk, referralId: _r, expiresAt: _e, ...rest } = item;
  return rest;
};

/** The assessment, plan, contacts and check-ins so far (tasks later in the journey need them). */
async function journeySoFar(referral: StoredReferral) {
  const items = await queryPartition(referral.referralId, '');
  const ofType = (type: string) => items.filter((i) => i.type === type).map(stripKeys);
  const assessment = items.find((i) => i.sk === 'ASSESSMENT');
  return {
    firstContacts: ofType('contact'),
    ...(assessment ? { assessment: stripKeys(assessment) } : {}),
    ...(referral.plan ? { plan: referral.plan } : {}),
    followUps: ofType('follow_up'),
  };
}

async function getOneTask(staff: Staff, event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const id = TaskId.safeParse(event.pathParameters?.taskId);
  const task = id.success ? await findTaskById(id.data) : undefined;
  // Someone else's task is answered exactly like a missing one.
  if (!task || !(await mayHandleTask(staff, task))) {
    logSafe('info', 'task not found', { httpStatus: 404 });
    return problems.notFound('No task with this id.');
  }
  const referral = await getReferral(task.referralId);
  if (!referral) return problems.notFound('No task with this id.');
  const later = ['assessment', 'follow_up', 'outcome', 'provider_chase'].includes(task.type);
  logSafe('info', 'task shown', { taskId: task.taskId, taskType: task.type, httpStatus: 200 });
  return json(200, {
    task: {
      ...taskSummary(task, Date.now(), new Set()),
      ...(task.completedAt ? { completedAt: task.completedAt, completedBy: task.completedBy } : {}),
    },
    referral: referralView(referral),
    ...(later ? { journey: await journeySoFar(referral) } : {}),
  });
}

async function coachTasks(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const staff = staffOf(event);
  if (!staff) return problem(403, 'Forbidden', 'This route is for coaches and team leads.');
  return event.pathParameters?.taskId !== undefined ? getOneTask(staff, event) : listTasksFor(staff, event);
}

export const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
  .use(observed())
  .use(httpErrors())
  .handler(coachTasks);
