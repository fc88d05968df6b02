/**
 * Moving the person index to a new key (operators only: ops/person-index.ts). Every lookup reads
 * every version in the ring, so intake keeps finding people while the index moves from one key
 * to the next. A table Scan: kept apart from person-index.ts so no function carries it.
 */
import { DeleteCommand, ScanCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { PersonDetails } from '../domain/person-match.ts';
import { dynamo } from './aws-clients.ts';
import { keyRing } from './person-index-key.ts';
import { HEAD, indexPartitions, nhsHashOf, personEntryKey, table, type TransactItem, unindexWrites } from './person-index.ts';
import { journeysTable } from './tables.ts';

async function scanAll(filter: string, values: Record<string, unknown>): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await dynamo().send(
      new ScanCommand({ TableName: table(), FilterExpression: filter, ExpressionAttributeNames: { '#type': 'type' }, ExpressionAttributeValues: values, ExclusiveStartKey: startKey, ConsistentRead: true }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

const versionOf = (pk: unknown) => String(pk).split('#')[1] ?? '';

/** Index items per key version: how far a rotation has got. */
export async function indexItemsByVersion(): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const item of await scanAll('#type IN (:entry, :head)', { ':entry': 'person_index', ':head': 'person_index_head' })) {
    counts.set(versionOf(item.pk), (counts.get(versionOf(item.pk)) ?? 0) + 1);
  }
  return counts;
}

export interface RebuildResult {
  readonly keyVersion: string;
  readonly journeysReindexed: number;
  readonly journeysAlreadyCurrent: number;
  readonly oldItemsRemoved: number;
}

/**
 * Indexes every open journey under the ring's current key, then removes the items of older keys
 * (closed journeys' too). Idempotent: run it again after a failure. Intake may run meanwhile.
 */
export async function rebuildPersonIndex(): Promise<RebuildResult> {
  const ring = await keyRing();
  const key = ring.keys.get(ring.current)!;
  const journeys = await scanAll('#type = :referral AND attribute_not_exists(closedAt) AND attribute_not_exists(linkedTo)', { ':referral': 'referral' });
  let reindexed = 0;
  for (const item of journeys) {
    const referralId = String(item.referralId);
    const person = (item.referral as { participant: PersonDetails }).participant;
    const partitions = indexPartitions(person, ring.current, key);
    const now = partitions.map((p) => p.pk);
    const before = Array.isArray(item.personIndex) ? (item.personIndex as string[]) : [];
    if (now.length === before.length && now.every((pk) => before.includes(pk))) continue;
    await dynamo().send(
      new TransactWriteCommand({
        TransactItems: [
          ...partitions.flatMap(({ pk, guarded }): TransactItem[] => [
            { Put: { TableName: table(), Item: { ...personEntryKey(pk, referralId), type: 'person_index', referralId, keyVersion: ring.current, nhs: nhsHashOf(person, key) } } },
            // ADD, not a conditional put: an intake writing the same partition meanwhile retries.
            ...(guarded ? [{
              Update: {
                TableName: table(),
                Key: { pk, sk: HEAD },
                UpdateExpression: 'ADD version :one SET #type = :head REMOVE #ttl',
                ExpressionAttributeNames: { '#type': 'type', '#ttl': journeysTable.ttlAttribute },
                ExpressionAttributeValues: { ':one': 1, ':head': 'person_index_head' },
              },
            }] : []),
          ]),
          {
            Update: {
              TableName: table(),
              Key: { pk: item.pk, sk: item.sk },
              UpdateExpression: 'SET personIndex = :now',
              ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(closedAt)',
              ExpressionAttributeValues: { ':now': now },
            },
          },
          ...unindexWrites(referralId, before.filter((pk) => !now.includes(pk))),
        ],
      }),
    ).catch((error: unknown) => {
      // Closed meanwhile: its entries expire with it, and the sweep below removes old ones.
      if ((error as Error)?.name !== 'TransactionCanceledException') throw error;
    });
    reindexed++;
  }
  const old = await scanAll('#type IN (:entry, :head)', { ':entry': 'person_index', ':head': 'person_index_head' });
  let removed = 0;
  for (const item of old.filter((i) => versionOf(i.pk) !== ring.current)) {
    await dynamo().send(new DeleteCommand({ TableName: table(), Key: { pk: item.pk, sk: item.sk } }));
    removed++;
  }
  return { keyVersion: ring.current, journeysReindexed: reindexed, journeysAlreadyCurrent: journeys.length - reindexed, oldItemsRemoved: removed };
}
