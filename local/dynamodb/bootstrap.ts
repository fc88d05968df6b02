import {
  CreateTableCommand,
  DescribeTimeToLiveCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
  type AttributeDefinition,
  type DynamoDBClient,
  type KeySchemaElement,
} from '@aws-sdk/client-dynamodb';
import { tableName, tables, type KeyDesign, type TableDesign } from '../../functions/shared/tables.ts';

/**
 * Creates an area's tables (functions/shared/tables.ts) in DynamoDB Local, on demand billing,
 * with TTL enabled. Idempotent: tables that already exist are left as they are (TTL is still
 * checked and enabled).
 */
export async function createTables(client: DynamoDBClient, areaSlug: string): Promise<void> {
  await Promise.all(tables.map((design) => createTable(client, tableName(areaSlug, design), design)));
}

function keySchema(partitionKey: KeyDesign, sortKey?: KeyDesign): KeySchemaElement[] {
  return [
    { AttributeName: partitionKey.name, KeyType: 'HASH' },
    ...(sortKey ? [{ AttributeName: sortKey.name, KeyType: 'RANGE' as const }] : []),
  ];
}

function attributeDefinitions(design: TableDesign): AttributeDefinition[] {
  const keysUsed = [
    design.partitionKey,
    design.sortKey,
    ...design.indexes.flatMap((index) => [index.partitionKey, index.sortKey]),
  ].filter((key): key is KeyDesign => key !== undefined);
  const byName = new Map(keysUsed.map((key) => [key.name, key.type]));
  return [...byName].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType }));
}

async function createTable(client: DynamoDBClient, name: string, design: TableDesign): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: keySchema(design.partitionKey, design.sortKey),
        AttributeDefinitions: attributeDefinitions(design),
        ...(design.indexes.length > 0
          ? {
              GlobalSecondaryIndexes: design.indexes.map((index) => ({
                IndexName: index.indexName,
                KeySchema: keySchema(index.partitionKey, index.sortKey),
                Projection: { ProjectionType: 'ALL' },
              })),
            }
          : {}),
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException || (error as Error)?.name === 'ResourceInUseException')) {
      throw error;
    }
  }
  await waitUntilTableExists({ client, maxWaitTime: 60, minDelay: 1, maxDelay: 2 }, { TableName: name });
  if (design.ttlAttribute) await enableTtl(client, name, design.ttlAttribute);
}

async function enableTtl(client: DynamoDBClient, name: string, attribute: string): Promise<void> {
  const { TimeToLiveDescription } = await client.send(new DescribeTimeToLiveCommand({ TableName: name }));
  const status = TimeToLiveDescription?.TimeToLiveStatus;
  if (status === 'ENABLED' || status === 'ENABLING') return;
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: name,
        TimeToLiveSpecification: { AttributeName: attribute, Enabled: true },
      }),
    );
  } catch (error) {
    // Two callers racing: the other one enabled it.
    if ((error as Error)?.name !== 'ValidationException') throw error;
  }
}
