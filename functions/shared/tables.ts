/**
 * The DynamoDB table design, defined once. CDK builds the tables from it (infra/data.ts) and
 * the local runtime creates the same tables in DynamoDB Local (local/dynamodb/bootstrap.ts).
 * Handlers take key names from here so a change of design is one edit.
 */
export type AttributeType = 'S' | 'N';

export interface KeyDesign {
  readonly name: string;
  readonly type: AttributeType;
}

export interface IndexDesign {
  readonly indexName: string;
  readonly partitionKey: KeyDesign;
  readonly sortKey?: KeyDesign;
}

export interface TableDesign {
  /** Logical id: the CDK construct id and the suffix of the local table name. */
  readonly id: string;
  /** Environment variable through which handlers learn the physical table name. */
  readonly envVar: string;
  readonly partitionKey: KeyDesign;
  readonly sortKey?: KeyDesign;
  readonly indexes: readonly IndexDesign[];
  /** Attribute holding an epoch-seconds expiry; DynamoDB deletes the item after it. */
  readonly ttlAttribute?: string;
}

/**
 * Single-table design for referrals, their timelines, human tasks and coaches.
 * pk/sk identify an item; gsi1 lists items by a grouping key (e.g. tasks by assignee, by due date).
 */
export const journeysTable = {
  id: 'Journeys',
  envVar: 'JOURNEYS_TABLE',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  indexes: [
    {
      indexName: 'gsi1',
      partitionKey: { name: 'gsi1pk', type: 'S' },
      sortKey: { name: 'gsi1sk', type: 'S' },
    },
  ],
  ttlAttribute: 'expiresAt',
} as const satisfies TableDesign;

/** Powertools idempotency records: partition key `id`, TTL `expiration` (its defaults). */
export const idempotencyTable = {
  id: 'Idempotency',
  envVar: 'IDEMPOTENCY_TABLE',
  partitionKey: { name: 'id', type: 'S' },
  indexes: [],
  ttlAttribute: 'expiration',
} as const satisfies TableDesign;

export const tables: readonly TableDesign[] = [journeysTable, idempotencyTable];

/** Physical name of a table in an area; CDK and the local runtime share it. */
export function tableName(areaSlug: string, table: TableDesign): string {
  return `workwell-${areaSlug}-${table.id.toLowerCase()}`;
}
