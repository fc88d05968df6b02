import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dynamo } from '../../functions/shared/aws-clients.ts';
import { personEntryKey } from '../../functions/shared/person-index.ts';
import { getReferral, listTasks, queryPartition, table, taskPointerKey } from '../../functions/shared/referral-store.ts';
import { referralForNewPerson } from '../fixtures/referrals.ts';
import { JourneyDriver, results } from '../support/journey.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';

/**
 * Retention: when a journey closes, every record about it gets the same expiry (closure + the
 * area's retentionYears), including those outside its own partition: the task pointers, the
 * person index heads it used (its own index entries are removed at once), and referrals from
 * other partners linked to it.
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
  const partitions = (await getReferral(open))!.personIndex!;
  expect(partitions.length).toBe(3); // NHS number; date of birth and postcode; name and date of birth
  const entries = partitions.map((pk) => personEntryKey(pk, open));

  // Nothing expires while the journey is open.
  const [task] = await listTasks(open, 'first_contact');
  expect((await getItem(taskPointerKey(task!.taskId)))?.expiresAt).toBeUndefined();
  for (const key of entries) {
    const item = await getItem(key);
    expect(item?.referralId).toBe(open);
    expect(item?.expiresAt).toBeUndefined();
  }
  expect((await getReferral(linked))?.expiresAt).toBeUndefined();

  await j.complete(open, 'first_contact', results.firstContact('declined'));
  const closed = await getReferral(open);
  expect(closed?.closedAt).toEqual(expect.any(String));
  const expiresAt = closed!.expiresAt!;
  expect(expiresAt).toBeGreaterThan(Date.now() / 1000 + 365 * 86_400);

  for (const item of await queryPartition(open, '')) expect(item.expiresAt, String(item.sk)).toBe(expiresAt);
  expect((await getItem(taskPointerKey(task!.taskId)))?.expiresAt).toBe(expiresAt);
  // Only open journeys can be someone's match: the entries go, the partitions' heads expire.
  for (const key of entries) expect(await getItem(key)).toBeUndefined();
  // Heads exist for the partitions that name one person (NHS number; name and date of birth).
  const heads = (await Promise.all(partitions.map((pk) => getItem({ pk, sk: 'HEAD' })))).filter(Boolean);
  expect(heads.length).toBe(2);
  for (const head of heads) expect(head?.expiresAt).toBe(expiresAt);
  const linkedItems = await queryPartition(linked, '');
  expect(linkedItems.length).toBeGreaterThan(1);
  for (const item of linkedItems) expect(item.expiresAt, String(item.sk)).toBe(expiresAt);
});

it('a person index partition used by the person’s next journey no longer expires', async () => {
  const person = referralForNewPerson();
  const first = await j.refer(person);
  await j.complete(first, 'first_contact', results.firstContact('declined'));
  const partitions = (await getReferral(first))!.personIndex!;
  const headed = [];
  for (const pk of partitions) {
    expect(await getItem(personEntryKey(pk, first))).toBeUndefined();
    const head = await getItem({ pk, sk: 'HEAD' });
    if (head) headed.push(pk);
    if (head) expect(head.expiresAt).toEqual(expect.any(Number));
  }
  expect(headed.length).toBe(2);

  const again = await j.refer({ ...person, referrer: { organisation: 'Another practice' } });
  expect(again).not.toBe(first);
  expect((await getReferral(again))!.personIndex).toEqual(partitions);
  for (const pk of partitions) {
    const item = await getItem(personEntryKey(pk, again));
    expect(item?.referralId).toBe(again);
    expect(item?.expiresAt).toBeUndefined();
    if (headed.includes(pk)) expect((await getItem({ pk, sk: 'HEAD' }))?.expiresAt).toBeUndefined();
    expect(await getItem(personEntryKey(pk, first))).toBeUndefined();
  }
});
