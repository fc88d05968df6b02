import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';

/**
 * AWS SDK clients, created at first use (not at import) with the SDK's default configuration:
 * region, credentials and endpoints come from the environment (in the local runtime,
 * AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_SFN), which may be set after this module loads.
 */
let documentClient: DynamoDBDocumentClient | undefined;
let sfnClient: SFNClient | undefined;

export function dynamo(): DynamoDBDocumentClient {
  documentClient ??= DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return documentClient;
}

export function sfn(): SFNClient {
  sfnClient ??= new SFNClient({});
  return sfnClient;
}

/** Read a required setting from the environment at call time. */
export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new ConfigurationError(name);
  return value;
}

export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
  constructor(variable: string) {
    super(`Missing environment variable ${variable}`);
  }
}

/** Forget the clients (tests that change endpoints between suites). */
export function resetClients(): void {
  documentClient?.destroy();
  sfnClient?.destroy();
  documentClient = undefined;
  sfnClient = undefined;
}
