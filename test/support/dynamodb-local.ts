import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type DynamoDbLocal, startDynamoDbLocal } from '../../local/dynamodb/server.ts';
import { createTables } from '../../local/dynamodb/bootstrap.ts';
import { idempotencyTable, journeysTable, tableName } from '../../functions/shared/tables.ts';
import { resetClients } from '../../functions/shared/aws-clients.ts';
import { forgetKeyRing, PERSON_INDEX_SECRET_ENV } from '../../functions/shared/person-index-key.ts';
import { newPersonIndexKeyRing, startLocalSecretsManager } from '../../local/secrets-manager.ts';
import { journeyAliasName } from '../../infra/journey-state-machine.ts';

/**
 * DynamoDB Local in memory for handler tests: started on a random free port, tables created
 * from functions/shared/tables.ts, and the environment set the way the local runtime sets it
 * for a function (endpoint, region, fake credentials, table names, area).
 */
export const TEST_AREA = 'south-yorkshire';
const region = 'eu-west-2';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

export interface TestDatabase extends DynamoDbLocal {
  readonly client: DynamoDBClient;
}

/** Sets the environment a handler sees (read lazily by the handlers). */
export function setHandlerEnvironment(opts: { dynamoEndpoint: string; sfnEndpoint?: string; stateMachineArn?: string }): void {
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: opts.dynamoEndpoint,
    AWS_REGION: region,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AREA_SLUG: TEST_AREA,
    [journeysTable.envVar]: tableName(TEST_AREA, journeysTable),
    [idempotencyTable.envVar]: tableName(TEST_AREA, idempotencyTable),
    POWERTOOLS_SERVICE_NAME: 'workwell-test',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
  });
  if (opts.sfnEndpoint) process.env.AWS_ENDPOINT_URL_SFN = opts.sfnEndpoint;
  if (opts.stateMachineArn) {
    process.env.JOURNEY_STATE_MACHINE_ARN = opts.stateMachineArn;
    // Journeys start through the alias (functions/shared/journey-start.ts).
    process.env.JOURNEY_ALIAS_ARN = `${opts.stateMachineArn}:${journeyAliasName}`;
  }
  resetClients();
}

/** DynamoDB Local with the test area's tables and the handler environment pointing at it. */
export async function startTestDatabase(): Promise<TestDatabase> {
  const server = await startDynamoDbLocal();
  const client = new DynamoDBClient({ endpoint: server.endpoint, region, credentials, maxAttempts: 1 });
  // The person index's key ring lives in Secrets Manager: the local stand-in, in memory.
  const secrets = await startLocalSecretsManager();
  const db: TestDatabase = {
    endpoint: server.endpoint,
    client,
    stop: async () => {
      client.destroy();
      await secrets.stop();
      await server.stop();
    },
  };
  try {
    await createTables(client, TEST_AREA);
    setHandlerEnvironment({ dynamoEndpoint: db.endpoint });
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
      [PERSON_INDEX_SECRET_ENV]: secrets.ensure('test-person-index-key', newPersonIndexKeyRing),
    });
    forgetKeyRing();
  } catch (error) {
    await db.stop();
    throw error;
  }
  return db;
}
