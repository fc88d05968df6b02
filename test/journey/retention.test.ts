import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { personKeys } from '../../functions/domain/person-match.ts';
import { ReferralSchema } from '../../functions/domain/referral.ts';
import { dynamo } from '../../functions/shared/aws-clients.ts';
import { getReferral, listTasks, personIndexKey, queryPartition, table, taskPointerKey } from '../../functions/shared/referral-store.ts';
import { referralForNewPerson } from '../fixtures/referrals.ts';
import { JourneyDriver, results } from '../support/journey.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';

/**
 * Retention: when a journey closes, every record about it gets the same expiry (closure + the
 * area's retentionYears), including those outside its own partition: the task pointers, the
 * person index entries that name it, and referrals from other partners linked to it.
 */
let rt: TestRuntime;
let j: JourneyDriver;

beforeAll(async () => {
  rt = await startTestRuntime('south-yorkshire');
  j = new JourneyDriver(rt);
});
afterAll(async () => {
  await rt?.stop();
});

const getItem = async (key: { pk: string; sk: string }) =>
  (await dynamo().send(new GetCommand({ TableName: table(), Key: key, ConsistentRead: true }))).Item;

it('a closed journey, its task pointers, person index entries and linked referrals all expire together', async () => {
  const person = referralForNewPerson();
  const open = await j.refer(person);
  const linkedAnswer = await rt.postReferral({ ...person, source: 'employer', referrer: { organisation: 'Example Employer Ltd' } }, rt.auth(1));
  expect(linkedAnswer.status).toBe(202);
  const linked = ((await linkedAnswer.json()) as { referralId: string }).referralId;
  expect(await getReferral(linked)).toMatchObject({ linkedTo: open });
  const keys = personKeys(ReferralSchema.parse(person));
  expect(keys.length).toBeGreaterThan(0);

  // Nothing expires while the journey is open.
  const [task] = await listTasks(open, 'first_contact');
  expect((await getItem(taskPointerKey(task!.taskId)))?.expiresAt).toBeUndefined();
  for (const key of keys) expect((await getItem(personIndexKey(key)))?.expiresAt).toBeUndefined();
  expect((await getReferral(linked))?.expiresAt).toBeUndefined();

  await j.complete(open, 'first_contact', results.firstContact('declined'));
  const closed = await getReferral(open);
  expect(closed?.closedAt).toEqual(expect.any(String));
  const expiresAt = closed!.expiresAt!;
  expect(expiresAt).toBeGreaterThan(Date.now() / 1000 + 365 * 86_400);

  for (const item of await queryPartition(open, '')) expect(item.expiresAt, String(item.sk)).toBe(expiresAt);
  expect((await getItem(taskPointerKey(task!.taskId)))?.expiresAt).toBe(expiresAt);
  for (const key of keys) expect((await getItem(personIndexKey(key)))?.expiresAt).toBe(expiresAt);
  const linkedItems = await queryPartition(linked, '');
  expect(linkedItems.length).toBeGreaterThan(1);
  for (const item of linkedItems) expect(item.expiresAt, String(item.sk)).toBe(expiresAt);
});

it('a person index entry taken over by the person’s next journey no longer expires', async () => {
  const person = referralForNewPerson();
  const first = await j.refer(person);
  await j.complete(first, 'first_contact', results.firstContact('declined'));
  const keys = personKeys(ReferralSchema.parse(person));
  for (const key of keys) expect((await getItem(personIndexKey(key)))?.expiresAt).toEqual(expect.any(Number));

  const again = await j.refer({ ...person, referrer: { organisation: 'Another practice' } });
  expect(again).not.toBe(first);
  for (const key of keys) {
    const entry = await getItem(personIndexKey(key));
    expect(entry?.referralId).toBe(again);
    expect(entry?.expiresAt).toBeUndefined();
  }
});
