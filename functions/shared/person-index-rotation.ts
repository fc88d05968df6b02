/**
 * Moving the person index to a new key (operators only: ops/person-index.ts). Every lookup reads
 * every version in the ring, so intake keeps finding people while the index moves from one key
 * to the next. A table Scan: kept apart from person-index.ts so no function carries it.
 */
import { DeleteCommand, GetCommand, ScanCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
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

/** Functions cache the key ring for 5 minutes: twice that before a new key may be relied on. */
export const KEY_SETTLE_MS = 10 * 60_000;

/**
 * Indexes every open journey (and every referral linked to one) under the ring's current key,
 * then removes the items of older keys (closed journeys' too). Refused until the current key has
 * been current for KEY_SETTLE_MS, so no function still writes under an older one. Idempotent:
 * run it again after a failure. Intake may run meanwhile.
 */
export async function rebuildPersonIndex(now = new Date()): Promise<RebuildResult> {
  const ring = await keyRing();
  if (ring.activatedAt && now.getTime() - Date.parse(ring.activatedAt) < KEY_SETTLE_MS) throw new KeyNotSettled(ring.current, ring.activatedAt);
  const referrals = await scanAll('#type = :referral AND attribute_not_exists(closedAt) AND attribute_not_exists(expiresAt)', { ':referral': 'referral' });
  let reindexed = 0;
  for (const item of referrals) if (await reindex(item, ring.current, ring.keys.get(ring.current)!)) reindexed++;
  const old = await scanAll('#type IN (:entry, :head)', { ':entry': 'person_index', ':head': 'person_index_head' });
  let removed = 0;
  for (const item of old.filter((i) => versionOf(i.pk) !== ring.current)) {
    await dynamo().send(new DeleteCommand({ TableName: table(), Key: { pk: item.pk, sk: item.sk } }));
    removed++;
  }
  return { keyVersion: ring.current, journeysReindexed: reindexed, journeysAlreadyCurrent: referrals.length - reindexed, oldItemsRemoved: removed };
}

export class KeyNotSettled extends Error {
  override readonly name = 'KeyNotSettled';
  constructor(version: string, since: string) {
    super(`Key ${version} has been current only since ${since}: wait until ${KEY_SETTLE_MS / 60_000} minutes have passed, so no function still writes under the old key.`);
  }
}

/**
 * One referral's entries under the current key, in one transaction conditional on the referral
 * being as read (a rectification or a closure meanwhile: read it again). True when it wrote.
 */
async function reindex(first: Record<string, unknown>, version: string, key: string): Promise<boolean> {
  let item: Record<string, unknown> | undefined = first;
  for (let attempt = 1; item; attempt++) {
    if (item.closedAt || item.expiresAt) return false; // closed: its entries went with it
    const referralId = String(item.referralId);
    // A linked referral's entries name its journey, and take no part in the journey's heads.
    const candidate = typeof item.linkedTo === 'string' ? item.linkedTo : referralId;
    const person = (item.referral as { participant: PersonDetails }).participant;
    const partitions = indexPartitions(person, version, key);
    const now = partitions.map((p) => p.pk);
    const before = Array.isArray(item.personIndex) ? (item.personIndex as string[]) : [];
    if (now.length === before.length && now.every((pk) => before.includes(pk))) return false;
    const writes: TransactItem[] = [
      ...partitions.flatMap(({ pk, guarded }): TransactItem[] => [
        { Put: { TableName: table(), Item: { ...personEntryKey(pk, referralId), type: 'person_index', referralId: candidate, keyVersion: version, nhs: nhsHashOf(person, key) } } },
        // ADD, not a conditional put: an intake writing the same partition meanwhile retries.
        ...(guarded && candidate === referralId ? [headBump(pk)] : []),
      ]),
      {
        Update: {
          TableName: table(),
          Key: { pk: item.pk, sk: item.sk },
          UpdateExpression: 'SET personIndex = :now',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(closedAt) AND attribute_not_exists(expiresAt) AND updatedAt = :seen',
          ExpressionAttributeValues: { ':now': now, ':seen': item.updatedAt },
        },
      },
      ...unindexWrites(referralId, before.filter((pk) => !now.includes(pk))),
    ];
    try {
      await dynamo().send(new TransactWriteCommand({ TransactItems: writes }));
      return true;
    } catch (error) {
      if ((error as Error)?.name !== 'TransactionCanceledException' || attempt >= 5) throw error;
      // Changed or closed meanwhile, or a write clashed: read it again and decide afresh.
      item = (await dynamo().send(new GetCommand({ TableName: table(), Key: { pk: item.pk, sk: item.sk }, ConsistentRead: true }))).Item;
    }
  }
  return false;
}

function headBump(pk: string): TransactItem {
  return {
    Update: {
      TableName: table(),
      Key: { pk, sk: HEAD },
      UpdateExpression: 'ADD version :one SET #type = :head REMOVE #ttl',
      ExpressionAttributeNames: { '#type': 'type', '#ttl': journeysTable.ttlAttribute },
      ExpressionAttributeValues: { ':one': 1, ':head': 'person_index_head' },
    },
  };
}
