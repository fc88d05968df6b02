import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { z } from 'zod';
import { httpErrors, json, readJsonBody } from '../shared/http.ts';
import { logSafe, observed } from '../shared/observability.ts';
import { problem, problems } from '../shared/problem.ts';
import { findTaskById, TaskNotFound } from '../shared/referral-store.ts';
import { mayHandleTask, staffOf } from '../shared/staff.ts';
import { completeTask, TaskConflict, TaskResultInvalid } from '../shared/task-completion.ts';

/**
 * POST /v1/tasks/{taskId}/complete: the assignee (or their team lead; a review: a team lead of
 * the area) completes a task with the answer its type takes (functions/domain/task-results.ts),
 * through completeTask, the one path to the journey. 200 { taskId, type, status: 'completed' };
 * 400 with one pointer per invalid field; 409 when the task is already completed, cancelled,
 * superseded or its journey closed; 404 for a task that is not the caller's or does not exist.
 */
const TaskId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

async function completeTaskHandler(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const staff = staffOf(event);
  if (!staff) return problem(403, 'Forbidden', 'This route is for coaches and team leads.');
  const id = TaskId.safeParse(event.pathParameters?.taskId);
  const task = id.success ? await findTaskById(id.data) : undefined;
  if (!task || !(await mayHandleTask(staff, task))) {
    logSafe('info', 'task not found', { httpStatus: 404 });
    return problems.notFound('No task with this id.');
  }
  const body = readJsonBody(event);
  if (!body.ok) return body.response;
  try {
    const done = await completeTask({ referralId: task.referralId, taskId: task.taskId, result: body.value, completedBy: staff.staffId });
    logSafe('info', 'task completed', { referralId: task.referralId, taskId: task.taskId, taskType: task.type, httpStatus: 200 });
    return json(200, { taskId: done.taskId, type: done.type, status: 'completed' });
  } catch (error) {
    if (error instanceof TaskResultInvalid) {
      logSafe('info', 'task answer refused', { taskId: task.taskId, taskType: task.type, httpStatus: 400 });
      return problem(400, 'Bad Request', `The answer does not match what a ${task.type} task takes.`, error.errors);
    }
    if (error instanceof TaskConflict) {
      logSafe('info', 'task not open', { taskId: task.taskId, status: error.state, httpStatus: 409 });
      return problem(409, 'Conflict', 'The task is no longer open.', undefined, { extensions: { taskStatus: error.state } });
    }
    if (error instanceof TaskNotFound) return problems.notFound('No task with this id.');
    throw error;
  }
}

export const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
  .use(observed())
  .use(httpErrors())
  .handler(completeTaskHandler);
