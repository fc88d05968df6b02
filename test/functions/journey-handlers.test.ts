import { randomUUID } from 'node:crypto';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadArea } from '../../areas/index.ts';
import { journeyDeadlines } from '../../functions/domain/deadlines.ts';
import { ReferralSchema } from '../../functions/domain/referral.ts';
import { handler as openTask } from '../../functions/handlers/open-task.ts';
import { handler as recordStage } from '../../functions/handlers/record-stage.ts';
import { handler as triage } from '../../functions/handlers/triage.ts';
import { dynamo } from '../../functions/shared/aws-clients.ts';
import {
  createReferral,
  findOpenTask,
  getReferral,
  getTask,
  keys,
  listTasks,
  listTimeline,
  taskIdFromToken,
  taskTokenOf,
} from '../../functions/shared/referral-store.ts';
import { journeysTable, tableName } from '../../functions/shared/tables.ts';
import { validReferral, type DeepPartial } from '../fixtures/referrals.ts';
import type { ReferralInput } from '../../functions/domain/referral.ts';
import { startTestDatabase, TEST_AREA, type TestDatabase } from '../support/dynamodb-local.ts';
import { lambdaContext } from '../support/events.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await startTestDatabase();
});
afterAll(async () => {
  await db?.stop();
});

const area = loadArea(TEST_AREA);
const hours = (h: number) => h * 3600;

async function seed(overrides?: DeepPartial<ReferralInput>): Promise<string> {
  const referralId = randomUUID();
  await createReferral({ referralId, referral: ReferralSchema.parse(validReferral(overrides)), receivedAt: new Date() });
  return referralId;
}

const runTriage = (referralId: string) => triage({ referralId }, lambdaContext('triage'));
const runOpenTask = (input: { referralId: string; type: string; taskToken: string; dueInSeconds: number }) => {
  const { dueInSeconds, ...rest } = input;
  const timings = { openSeconds: dueInSeconds / 2, remindSeconds: dueInSeconds / 2 };
  return openTask({ ...rest, phase: 'open', timings, graceSeconds: 60 }, lambdaContext('open-task')) as Promise<{ taskId: string }>;
};
const runRecordStage = (input: Record<string, unknown>) => recordStage(input, lambdaContext('record-stage'));

async function events(referralId: string): Promise<string[]> {
  return (await listTimeline(referralId)).map((e) => e.event);
}

describe('triage handler', () => {
  it('triages an eligible referral once, even when invoked twice', async () => {
    const referralId = await seed();
    const first = await runTriage(referralId);
    expect(first).toEqual({
      outcome: 'eligible',
      reason: 'in_scope',
      priority: 'routine',
      deadlines: journeyDeadlines(area, 'routine'),
    });
    expect(await runTriage(referralId)).toEqual(first);
    expect(await events(referralId)).toEqual(['received', 'triaged']);
    const stored = await getReferral(referralId);
    expect(stored).toMatchObject({ status: 'triaged_eligible', stage: 'triage' });
    const [, triaged] = await listTimeline(referralId);
    expect(triaged).toMatchObject({ status: 'triaged_eligible', reason: 'in_scope', priority: 'routine' });
  });

  it('uses the urgent deadline for an urgent situation', async () => {
    const referralId = await seed({ work: { situation: 'on_sick_leave', sickLeaveStart: '2026-01-05' } });
    const result = await runTriage(referralId);
    expect(result).toMatchObject({ outcome: 'eligible', priority: 'urgent' });
    const firstContact = result.deadlines.tasks.first_contact;
    expect(firstContact.openSeconds + firstContact.remindSeconds).toBe(hours(area.deadlines.firstContactHours.urgent));
  });

  it('records not eligible with the signposting list', async () => {
    const referralId = await seed({ participant: { postcode: 'M1 1AE' } });
    expect(await runTriage(referralId)).toMatchObject({ outcome: 'not_eligible', reason: 'outside_area' });
    const stored = await getReferral(referralId);
    expect(stored?.status).toBe('not_eligible');
    expect(stored?.triage?.signposting).toEqual(area.signposting.map((s) => s.id));
    const triaged = (await listTimeline(referralId)).find((e) => e.event === 'triaged');
    expect(triaged?.signposting).toEqual(area.signposting.map((s) => s.id));
  });

  it('records needs review, once, under concurrent invocations', async () => {
    const referralId = await seed({ needs: { complexNeeds: true } });
    const results = await Promise.all([runTriage(referralId), runTriage(referralId), runTriage(referralId)]);
    for (const result of results) expect(result).toMatchObject({ outcome: 'needs_review', reason: 'complex_needs' });
    expect((await getReferral(referralId))?.status).toBe('needs_review');
    expect(await events(referralId)).toEqual(['received', 'triaged']);
  });

  it('fails with ReferralNotFound for a missing referral, and InvalidInput for bad input', async () => {
    await expect(runTriage(randomUUID())).rejects.toMatchObject({ name: 'ReferralNotFound' });
    await expect(triage({ id: 'x' }, lambdaContext('triage'))).rejects.toMatchObject({ name: 'InvalidInput' });
  });
});

describe('open-task and record-stage task_overdue', () => {
  it('opens tasks idempotently, supersedes the previous one, counts attempts and stops at the limit', async () => {
    const referralId = await seed();
    await runTriage(referralId);
    const type = 'first_contact';
    const due = hours(48);

    const first = await runOpenTask({ referralId, type, taskToken: 'token-1', dueInSeconds: due });
    expect(first).toEqual({ taskId: taskIdFromToken('token-1') });
    // A retried invocation with the same token finds the same task.
    expect(await runOpenTask({ referralId, type, taskToken: 'token-1', dueInSeconds: due })).toEqual(first);
    expect(await listTasks(referralId, type)).toHaveLength(1);

    const task1 = await getTask(referralId, first.taskId);
    expect(task1).toMatchObject({ referralId, type, status: 'open', attempt: 1, assignee: null });
    expect(Date.parse(task1!.dueAt) - Date.parse(task1!.openedAt)).toBe(due * 1000);
    expect(task1).not.toHaveProperty('taskToken');
    expect(await taskTokenOf(referralId, first.taskId)).toBe('token-1');
    expect(await getReferral(referralId)).toMatchObject({ status: 'awaiting_first_contact', stage: 'first_contact' });

    // Deadline missed: overdue, another attempt allowed; a retried call changes nothing.
    expect(await runRecordStage({ referralId, stage: 'task_overdue', taskType: type })).toEqual({ attemptsLeft: true });
    expect(await runRecordStage({ referralId, stage: 'task_overdue', taskType: type })).toEqual({ attemptsLeft: true });
    expect((await getTask(referralId, first.taskId))?.status).toBe('overdue');

    const second = await runOpenTask({ referralId, type, taskToken: 'token-2', dueInSeconds: due });
    expect(await getTask(referralId, second.taskId)).toMatchObject({ status: 'open', attempt: 2 });
    expect(await getTask(referralId, first.taskId)).toMatchObject({ status: 'superseded', supersededBy: second.taskId });
    expect(await runRecordStage({ referralId, stage: 'task_overdue', taskType: type })).toEqual({ attemptsLeft: true });

    const third = await runOpenTask({ referralId, type, taskToken: 'token-3', dueInSeconds: due });
    expect((await findOpenTask(referralId, type))?.taskId).toBe(third.taskId);
    expect(await getTask(referralId, third.taskId)).toMatchObject({ attempt: 3 });
    expect(await runRecordStage({ referralId, stage: 'task_overdue', taskType: type })).toEqual({ attemptsLeft: false });

    expect(await events(referralId)).toEqual([
      'received',
      'triaged',
      'task_opened',
      'task_overdue',
      'task_opened',
      'task_overdue',
      'task_opened',
      'task_overdue',
    ]);
    const tasks = await listTasks(referralId, type);
    expect(tasks.map((t) => [t.attempt, t.status])).toEqual([
      [3, 'overdue'],
      [2, 'superseded'],
      [1, 'superseded'],
    ]);
  });

  it('supersedes a still-open task of the same type, and keeps task types apart', async () => {
    const referralId = await seed({ needs: { complexNeeds: true } });
    await runTriage(referralId);
    const review1 = await runOpenTask({ referralId, type: 'needs_review', taskToken: 'review-1', dueInSeconds: 60 });
    const review2 = await runOpenTask({ referralId, type: 'needs_review', taskToken: 'review-2', dueInSeconds: 60 });
    expect(await getTask(referralId, review1.taskId)).toMatchObject({ status: 'superseded', supersededBy: review2.taskId });
    expect(await getTask(referralId, review2.taskId)).toMatchObject({ status: 'open', attempt: 2 });
    expect((await getReferral(referralId))?.status).toBe('needs_review');

    const contact = await runOpenTask({ referralId, type: 'first_contact', taskToken: 'contact-1', dueInSeconds: 60 });
    expect(await getTask(referralId, contact.taskId)).toMatchObject({ status: 'open', attempt: 1 });
    expect((await getTask(referralId, review2.taskId))?.status).toBe('open');
    expect((await getReferral(referralId))?.status).toBe('awaiting_first_contact');
  });

  it('fails permanently when the referral or the task is missing', async () => {
    await expect(
      runOpenTask({ referralId: randomUUID(), type: 'first_contact', taskToken: 't', dueInSeconds: 60 }),
    ).rejects.toMatchObject({ name: 'ReferralNotFound' });
    const referralId = await seed();
    await expect(runRecordStage({ referralId, stage: 'task_overdue', taskType: 'first_contact' })).rejects.toMatchObject({
      name: 'TaskNotFound',
    });
    await expect(runOpenTask({ referralId, type: 'lunch', taskToken: 't', dueInSeconds: 60 })).rejects.toMatchObject({
      name: 'InvalidInput',
    });
  });
});

describe('record-stage', () => {
  async function itemsOf(referralId: string): Promise<Record<string, unknown>[]> {
    const out = await dynamo().send(
      new QueryCommand({
        TableName: tableName(TEST_AREA, journeysTable),
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.pk(referralId) },
        ConsistentRead: true,
      }),
    );
    return out.Items ?? [];
  }

  it('closes a not-eligible referral once and sets the retention expiry on all its items', async () => {
    const referralId = await seed({ participant: { postcode: 'M1 1AE' } });
    await runTriage(referralId);
    const before = Date.now();
    expect(await runRecordStage({ referralId, stage: 'not_eligible' })).toEqual({ recorded: true });
    expect(await runRecordStage({ referralId, stage: 'not_eligible' })).toEqual({ recorded: false });

    const stored = await getReferral(referralId);
    expect(stored).toMatchObject({ status: 'not_eligible', stage: 'closed' });
    const closedAt = new Date(stored!.closedAt!);
    expect(closedAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
    const expected = new Date(closedAt);
    expected.setUTCFullYear(expected.getUTCFullYear() + area.retentionYears);
    expect(stored?.expiresAt).toBe(Math.floor(expected.getTime() / 1000));

    const items = await itemsOf(referralId);
    expect(items.length).toBe(4); // referral + received, triaged, closed_not_eligible
    for (const item of items) expect(item.expiresAt).toBe(stored?.expiresAt);
    expect(await events(referralId)).toEqual(['received', 'triaged', 'closed_not_eligible']);
  });

  it('records engaged (not closing), declined (withdrawn, closing) and needs attention', async () => {
    const engaged = await seed();
    expect(await runRecordStage({ referralId: engaged, stage: 'engaged' })).toEqual({ recorded: true });
    const stored = await getReferral(engaged);
    expect(stored).toMatchObject({ status: 'engaged', stage: 'support' });
    expect(stored?.expiresAt).toBeUndefined();

    const declined = await seed();
    await runRecordStage({ referralId: declined, stage: 'declined' });
    expect(await getReferral(declined)).toMatchObject({ status: 'withdrawn', stage: 'closed' });
    for (const item of await itemsOf(declined)) expect(item.expiresAt).toEqual(expect.any(Number));

    const stuck = await seed();
    await runRecordStage({ referralId: stuck, stage: 'needs_attention', error: 'States.TaskFailed' });
    await runRecordStage({ referralId: stuck, stage: 'needs_attention', error: 'States.TaskFailed' });
    expect(await getReferral(stuck)).toMatchObject({ status: 'needs_attention', stage: 'intake' });
    const timeline = await listTimeline(stuck);
    expect(timeline.map((e) => [e.event, e.error])).toEqual([
      ['received', undefined],
      ['needs_attention', 'States.TaskFailed'],
    ]);

    const odd = await seed();
    await runRecordStage({ referralId: odd, stage: 'needs_attention', error: 'Error: Alex Example, S1 2HE' });
    expect((await listTimeline(odd))[1]?.error).toBe('unrecognised_error');
  });

  it('rejects unknown stages and missing referrals', async () => {
    await expect(runRecordStage({ referralId: randomUUID(), stage: 'lunch' })).rejects.toMatchObject({ name: 'InvalidInput' });
    await expect(runRecordStage({ referralId: randomUUID(), stage: 'engaged' })).rejects.toMatchObject({
      name: 'ReferralNotFound',
    });
  });
});
