/**
 * The person index: which open journeys might be the same person as a new referral.
 *
 *   item    pk                                  sk                  attributes
 *   head    PERSON#<keyVersion>#<keyed hash>    HEAD                version (a counter)
 *   entry   PERSON#<keyVersion>#<keyed hash>    REFERRAL#<id>       referralId, keyVersion, nhs?
 *
 * One partition per index key (domain/person-match.ts personIndexKeys: NHS number; date of birth
 * and postcode; name and date of birth), named by its HMAC under the area's key
 * (person-index-key.ts), so the table holds nothing anyone can reverse without the key. A key
 * may name several people (twins share a date of birth and postcode): the entries are
 * candidates, and the rules decide (decideMatch). The head serialises writers on the keys that
 * name one person (NHS number; name and date of birth): a new journey's entries are written with
 * the head's counter as it was read, so two referrals for the same person at the same moment
 * never both start a journey. A referral records the partitions it
 * is indexed under (`personIndex`), so retention and rectification need no key. An entry also
 * holds the keyed hash of the person's NHS number (`nhs`), so a lookup passes over people whose
 * NHS number differs (never the same person) without reading their referrals.
 */
import type { PersonDetails } from '../domain/person-match.ts';
import { namesOnePerson, personIndexKeys } from '../domain/person-match.ts';
import { DeleteCommand, QueryCommand, type TransactWriteCommandInput, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo, requiredEnv } from './aws-clients.ts';
import { keyedHash, keyRing } from './person-index-key.ts';
import { journeysTable } from './tables.ts';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];
export const table = () => requiredEnv(journeysTable.envVar);
export const HEAD = 'HEAD';
export const personPartition = (keyVersion: string, hash: string) => `PERSON#${keyVersion}#${hash}`;
export const personEntryKey = (pk: string, referralId: string) => ({ pk, sk: `REFERRAL#${referralId}` });

/** What a lookup saw: candidate journeys, and how to write a new one's entries safely. */
export interface PersonLookup {
  readonly candidates: readonly string[];
  /**
   * The partitions a new journey is indexed under (current key), and for those that name one
   * person (not the date of birth and postcode, which neighbours share) the head's counter as read.
   */
  readonly partitions: readonly { readonly pk: string; readonly guarded: boolean; readonly version: number | undefined }[];
  readonly keyVersion: string;
  /** The keyed hash of the person's NHS number under the current key, written on their entries. */
  readonly nhs?: string;
}

export const nhsHashOf = (person: PersonDetails, key: string) => {
  const nhsKey = personIndexKeys(person).find((k) => k.startsWith('nhs:'));
  return nhsKey ? keyedHash(key, nhsKey) : undefined;
};

/** A person's index partitions under one key version, and whether each names one person (gets a head). */
export function indexPartitions(person: PersonDetails, keyVersion: string, key: string): { pk: string; guarded: boolean }[] {
  return personIndexKeys(person).map((k) => ({ pk: personPartition(keyVersion, keyedHash(key, k)), guarded: namesOnePerson(k) }));
}

export function partitionsOf(person: PersonDetails, keyVersion: string, key: string): string[] {
  return indexPartitions(person, keyVersion, key).map((p) => p.pk);
}

async function partitionItems(pk: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await dynamo().send(
      new QueryCommand({ TableName: table(), KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk }, ConsistentRead: true, ExclusiveStartKey: startKey }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/** Looks the person up under every key version still in the ring (a rotation in progress). */
export async function lookUpPerson(person: PersonDetails): Promise<PersonLookup> {
  const ring = await keyRing();
  const candidates = new Set<string>();
  const partitions: { pk: string; guarded: boolean; version: number | undefined }[] = [];
  // Every partition under every key version at once: intake waits on one round of reads.
  const reads = [...ring.keys].flatMap(([keyVersion, key]) => {
    const nhs = nhsHashOf(person, key);
    return indexPartitions(person, keyVersion, key).map(async ({ pk, guarded }) => ({ keyVersion, nhs, pk, guarded, items: await partitionItems(pk) }));
  });
  for (const { keyVersion, nhs, pk, guarded, items } of await Promise.all(reads)) {
    for (const item of items) {
      if (typeof item.referralId !== 'string') continue;
      if (nhs && typeof item.nhs === 'string' && item.nhs !== nhs) continue; // another NHS number: someone else
      candidates.add(item.referralId);
    }
    if (keyVersion === ring.current) {
      const head = items.find((item) => item.sk === HEAD);
      partitions.push({ pk, guarded, version: typeof head?.version === 'number' ? head.version : undefined });
    }
  }
  const nhs = nhsHashOf(person, ring.keys.get(ring.current)!);
  return { candidates: [...candidates], partitions, keyVersion: ring.current, ...(nhs ? { nhs } : {}) };
}

/**
 * Writes indexing a new journey under every partition the lookup saw, conditional on each head
 * being as it was read (a failed condition: someone else indexed the person meanwhile; look again).
 */
export function indexWrites(referralId: string, lookup: PersonLookup): TransactItem[] {
  return lookup.partitions.flatMap(({ pk, guarded, version }): TransactItem[] => [
    ...(guarded ? [headWrite(pk, version)] : []),
    { Put: { TableName: table(), Item: { ...personEntryKey(pk, referralId), type: 'person_index', referralId, keyVersion: lookup.keyVersion, nhs: lookup.nhs } } },
  ]);
}

/**
 * Entries for a referral linked to a journey: its own details lead to the journey (the entry is
 * the linked referral's, so it goes when that referral's records are released; it names the
 * journey as the candidate).
 */
export function linkedIndexWrites(linkedReferralId: string, journeyId: string, lookup: PersonLookup): TransactItem[] {
  return lookup.partitions.map(({ pk }) => ({
    Put: { TableName: table(), Item: { ...personEntryKey(pk, linkedReferralId), type: 'person_index', referralId: journeyId, keyVersion: lookup.keyVersion, nhs: lookup.nhs } },
  }));
}

/**
 * The head's counter moved on, on the condition that it is as read. Only partitions that name one
 * person have one written: the same person's two referrals share them, while neighbours sharing a
 * date of birth and postcode (a large family, a care home) never wait on each other.
 */
function headWrite(pk: string, version: number | undefined): TransactItem {
  return {
    Put: {
      TableName: table(),
      Item: { pk, sk: HEAD, type: 'person_index_head', version: (version ?? 0) + 1 },
      ConditionExpression: version === undefined ? 'attribute_not_exists(pk)' : 'version = :seen',
      ...(version === undefined ? {} : { ExpressionAttributeValues: { ':seen': version } }),
    },
  };
}

/** Writes removing a referral's entries (rectification, rebuild). */
export function unindexWrites(referralId: string, partitions: readonly string[]): TransactItem[] {
  return partitions.map((pk) => ({ Delete: { TableName: table(), Key: personEntryKey(pk, referralId) } }));
}

/**
 * A closed journey leaves the index: only open journeys can be the same person as a new referral,
 * so its entries go now; a head, which other journeys may share, expires with the journey's
 * records unless a new journey writes it first (idempotent).
 */
export async function releasePersonIndex(referralId: string, partitions: readonly string[], expiresAt: number): Promise<void> {
  await Promise.all(
    partitions.flatMap((pk) => [
      dynamo().send(new DeleteCommand({ TableName: table(), Key: personEntryKey(pk, referralId) })),
      dynamo()
        .send(
          new UpdateCommand({
            TableName: table(),
            Key: { pk, sk: HEAD },
            UpdateExpression: 'SET #ttl = :ttl',
            ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(#ttl) OR #ttl < :ttl)',
            ExpressionAttributeNames: { '#ttl': journeysTable.ttlAttribute },
            ExpressionAttributeValues: { ':ttl': expiresAt },
          }),
        )
        .catch((error: unknown) => {
          if ((error as Error)?.name !== 'ConditionalCheckFailedException') throw error;
        }),
    ]),
  );
}
