import { DynamoDBClient, ScanCommand, type ScanCommandOutput } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { ManualClock } from '../../local/clock.ts';
import { type Runtime, startRuntime } from '../../local/runtime.ts';
import { journeysTable } from '../../functions/shared/tables.ts';
import { referralForNewPerson } from '../fixtures/referrals.ts';

/**
 * The local runtime in this test process: in memory, on a manual clock, with short retry pauses.
 * Handlers see the runtime's clock through Date, as they do under `npm start`.
 */
export interface TestRuntime extends Runtime {
  readonly clock: ManualClock;
  readonly sfn: SFNClient;
  postReferral(body?: unknown, headers?: Record<string, string>): Promise<Response>;
  /** The Authorization header of one of the local demo partners (default the first). */
  auth(partner?: number): Record<string, string>;
  /** Referral items stored in the area's Journeys table (Scan, COUNT): what intake kept. */
  countReferralItems(): Promise<number>;
  /** GET /v1/referrals/{id} as the partner that made it (the first demo partner by default). */
  referralStatus(referralId: string, partner?: number): Promise<Response>;
  /** The Authorization header of a coach or team lead: a fresh token from the local issuer (the clock moves). */
  staffAuth(staffId: string): Record<string, string>;
  /** Advances the clock by `ms` and waits until every journey is waiting again. */
  advance(ms: number): Promise<void>;
}

export interface TestRuntimeOptions {
  /** Reuse a clock (a restarted runtime carries on at the same time). */
  readonly clock?: ManualClock;
  /** Keep data on disk, to restart on it; default in memory. */
  readonly dataDir?: string;
  readonly dynamoDbPort?: number;
  readonly stepFunctionsPort?: number;
  /** The runtime's own lines (journey steps, scheduler), as `npm start` prints them. */
  readonly log?: (line: string) => void;
  /** Another journey definition to deploy (test/support/upgrade.ts). */
  readonly definition?: Record<string, unknown>;
}

export async function startTestRuntime(areaSlug = 'south-yorkshire', opts: TestRuntimeOptions = {}): Promise<TestRuntime> {
  const clock = opts.clock ?? new ManualClock(Date.UTC(2026, 0, 5, 9, 0, 0));
  // Retries pause a hundredth of their real interval (2 s becomes 20 ms): short, but a retry
  // under contention still backs off as it would in AWS.
  const runtime = await startRuntime({ areaSlug, port: 0, retryScale: 0.01, ...opts, clock });
  const sfn = new SFNClient({
    endpoint: runtime.stepFunctionsEndpoint,
    region: 'eu-west-2',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const stopRuntime = runtime.stop;
  const ddb = new DynamoDBClient({
    endpoint: runtime.dynamoDbEndpoint,
    region: 'eu-west-2',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const countReferralItems = async () => {
    let count = 0;
    let start: ScanCommandOutput['LastEvaluatedKey'];
    do {
      const page = await ddb.send(
        new ScanCommand({
          TableName: runtime.env[journeysTable.envVar],
          Select: 'COUNT',
          FilterExpression: '#type = :referral',
          ExpressionAttributeNames: { '#type': 'type' },
          ExpressionAttributeValues: { ':referral': { S: 'referral' } },
          ExclusiveStartKey: start,
          ConsistentRead: true,
        }),
      );
      count += page.Count ?? 0;
      start = page.LastEvaluatedKey;
    } while (start);
    return count;
  };
  const auth = (partner = 0) => {
    const demo = runtime.partners[partner];
    if (!demo) throw new Error(`no demo partner ${partner}`);
    return { authorization: `Bearer ${demo.token}` };
  };
  return Object.assign(runtime, {
    clock,
    sfn,
    auth,
    countReferralItems,
    staffAuth: (staffId: string) => ({ authorization: `Bearer ${runtime.signStaffToken({ staffId })}` }),
    postReferral: (body: unknown = referralForNewPerson(), headers: Record<string, string> = {}) =>
      fetch(`${runtime.gatewayUrl}/v1/referrals`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth(), ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    referralStatus: (referralId: string, partner = 0) =>
      fetch(`${runtime.gatewayUrl}/v1/referrals/${referralId}`, { headers: auth(partner) }),
    advance: async (ms: number) => {
      clock.advance(ms);
      await runtime.engine.idle();
    },
    stop: async () => {
      sfn.destroy();
      ddb.destroy();
      await stopRuntime();
    },
  });
}

export const HOUR = 3600_000;
