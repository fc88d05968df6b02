import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerArea } from '../../areas/index.ts';
import southYorkshire from '../../areas/south-yorkshire.json' with { type: 'json' };
import { ReferralSchema } from '../../functions/domain/referral.ts';
import { handler as providerStatusHandler } from '../../functions/handlers/provider-status.ts';
import { handler as sendHandler } from '../../functions/handlers/send-onward-referral.ts';
import { dynamo, resetClients } from '../../functions/shared/aws-clients.ts';
import {
  createOnwardReferrals,
  getOnwardReferral,
  hashProviderKey,
  listOnwardReferrals,
  onwardKeys,
  providerKeyFor,
  recordJourneyStatus,
  startDelivery,
} from '../../functions/shared/onward-referral-store.ts';
import { createReferral, keys, listTimeline } from '../../functions/shared/referral-store.ts';
import { journeysTable } from '../../functions/shared/tables.ts';
import { ManualClock } from '../../local/clock.ts';
import { LocalStepFunctions } from '../../local/stepfunctions/engine.ts';
import { handleStepFunctionsRequest } from '../../local/stepfunctions/endpoint.ts';
import { validReferral } from '../fixtures/referrals.ts';
import { startTestDatabase, type TestDatabase } from '../support/dynamodb-local.ts';
import { apiEvent, lambdaContext } from '../support/events.ts';

const AREA = 'test-onward';
const PUBLIC_API_URL = 'https://api.test-onward.workwell.example';
const EMAIL_ADDRESS = 'referrals@employment-advice.test-onward.workwell.example';

// -----------------------------------------------------------------------------------------------
// A provider listening on this machine

interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: any;
}

interface Provider {
  readonly port: number;
  readonly received: Received[];
  /** Runs inside the request to /inline before it is answered (a provider answering at once). */
  inline?: (body: any) => Promise<void>;
  stop(): Promise<void>;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function stopServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

async function startProvider(): Promise<Provider> {
  const provider: Provider = { port: 0, received: [], stop: async () => {} };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
      provider.received.push({ path: req.url ?? '', headers: req.headers, body });
      const answer = async () => {
        if (req.url === '/fail') return 500;
        if (req.url === '/inline') await provider.inline?.(body);
        return 202;
      };
      void answer().then(
        (status) => res.writeHead(status, { 'content-type': 'application/json' }).end('{}'),
        () => res.writeHead(500).end(),
      );
    });
  });
  const port = await listen(server);
  return Object.assign(provider, { port, stop: () => stopServer(server) });
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await stopServer(server);
  return port;
}

function testArea(providerPort: number, deadPort: number) {
  const area = structuredClone(southYorkshire) as Record<string, any>;
  const template = area.services[0];
  const webhook = (id: string, address: string) => ({
    ...template,
    id,
    name: `Test ${id}`,
    referral: { channel: 'webhook', address },
  });
  area.slug = AREA;
  area.name = 'Test onward referrals';
  area.services = [
    webhook('test-webhook', `http://127.0.0.1:${providerPort}/referrals`),
    webhook('test-failing', `http://127.0.0.1:${providerPort}/fail`),
    webhook('test-unreachable', `http://127.0.0.1:${deadPort}/referrals`),
    webhook('test-inline', `http://127.0.0.1:${providerPort}/inline`),
    { ...template, id: 'test-email', name: 'Test e-mail service', referral: { channel: 'email', address: EMAIL_ADDRESS } },
  ];
  return area;
}

// -----------------------------------------------------------------------------------------------
// Set-up

let db: TestDatabase;
let provider: Provider;

beforeAll(async () => {
  db = await startTestDatabase();
  provider = await startProvider();
  registerArea(testArea(provider.port, await closedPort()));
  Object.assign(process.env, {
    AREA_SLUG: AREA,
    PUBLIC_API_URL,
    PROVIDER_KEY_SECRET: 'test-provider-key-secret-0123456789abcdef',
  });
});

afterAll(async () => {
  await provider?.stop();
  await db?.stop();
});

const stateMachineArn = 'arn:aws:states:eu-west-2:000000000000:stateMachine:onward-test';
let engine: LocalStepFunctions;
let sfnServer: Server;

/** The local Step Functions endpoint: handlers answer tokens through it (AWS_ENDPOINT_URL_SFN). */
beforeAll(async () => {
  engine = new LocalStepFunctions({
    stateMachineArn,
    definition: {
      StartAt: 'Send',
      States: {
        Send: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
          Parameters: {
            FunctionName: 'arn:aws:lambda:eu-west-2:000000000000:function:send',
            Payload: {
              'referralId.$': '$.referralId',
              'onwardReferralId.$': '$.onwardReferralId',
              'taskToken.$': '$$.Task.Token',
              chase: false,
            },
          },
          End: true,
        },
      },
    },
    clock: new ManualClock(),
    retryScale: 0,
    invoke: (functionName, payload) => sendHandler(payload, lambdaContext(functionName)),
  });
  sfnServer = createServer((req, res) => handleStepFunctionsRequest([engine], req, res));
  process.env.AWS_ENDPOINT_URL_SFN = `http://127.0.0.1:${await listen(sfnServer)}`;
  resetClients();
});

afterAll(async () => {
  engine?.close();
  if (sfnServer) await stopServer(sfnServer);
});

async function seedReferral(): Promise<string> {
  const referralId = randomUUID();
  await createReferral({ referralId, referral: ReferralSchema.parse(validReferral()), receivedAt: new Date() });
  return referralId;
}

async function seedOnward(serviceId: string): Promise<{ referralId: string; onwardReferralId: string }> {
  const referralId = await seedReferral();
  const [created] = await createOnwardReferrals(referralId, [serviceId]);
  return { referralId, onwardReferralId: created!.onwardReferralId };
}

const send = (input: Record<string, unknown>) => sendHandler(input, lambdaContext('send-onward-referral'));

async function postStatus(
  onwardReferralId: string,
  key: string | undefined,
  body: unknown,
  headers: Record<string, string> = { 'content-type': 'application/json' },
): Promise<{ status: number; headers: APIGatewayProxyResult['headers']; body: any }> {
  const response = await providerStatusHandler(
    apiEvent({
      method: 'POST',
      path: `/v1/onward-referrals/${onwardReferralId}/status`,
      resource: '/v1/onward-referrals/{onwardReferralId}/status',
      pathParameters: { onwardReferralId },
      headers: { ...headers, ...(key ? { Authorization: `Bearer ${key}` } : {}) },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    }),
    lambdaContext('provider-status'),
  );
  return { status: response.statusCode, headers: response.headers, body: JSON.parse(response.body) };
}

async function rawOnward(referralId: string, onwardReferralId: string) {
  const { Item } = await dynamo().send(
    new GetCommand({
      TableName: process.env[journeysTable.envVar],
      Key: onwardKeys.onward(referralId, onwardReferralId),
      ConsistentRead: true,
    }),
  );
  return Item;
}

async function partition(referralId: string, prefix: string) {
  const { Items } = await dynamo().send(
    new QueryCommand({
      TableName: process.env[journeysTable.envVar],
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': keys.pk(referralId), ':prefix': prefix },
      ConsistentRead: true,
    }),
  );
  return Items ?? [];
}

async function onwardTimeline(referralId: string) {
  return (await listTimeline(referralId))
    .filter((entry) => entry.event === 'onward_referral_status')
    .map((entry) => entry.status as string);
}

const receivedFor = (onwardReferralId: string) =>
  provider.received.filter((r) => r.body?.onwardReferralId === onwardReferralId);

/** Personal and health data of the fixture referral. */
const personalData = [
  'Alex',
  'Example',
  '1985-06-15',
  '9434765919',
  'S1 2HE',
  'alex.example@example.com',
  '07700 900123',
  'musculoskeletal',
  'physiotherapy',
];

// -----------------------------------------------------------------------------------------------

describe('createOnwardReferrals', () => {
  it('creates one pending onward referral per service, once', async () => {
    const referralId = await seedReferral();
    const first = await createOnwardReferrals(referralId, ['test-webhook', 'test-email', 'test-webhook']);
    expect(first.map((o) => o.serviceId)).toEqual(['test-webhook', 'test-email']);
    expect(await createOnwardReferrals(referralId, ['test-email', 'test-webhook'])).toEqual([first[1], first[0]]);

    const listed = await listOnwardReferrals(referralId);
    expect(listed).toHaveLength(2);
    for (const onward of listed) {
      expect(onward).toMatchObject({ referralId, status: 'pending', attempts: 0 });
      expect(onward).not.toHaveProperty('taskToken');
    }
    expect(await getOnwardReferral(first[0]!.onwardReferralId)).toMatchObject({ serviceId: 'test-webhook' });
    expect(await onwardTimeline(referralId)).toEqual(['pending', 'pending']);
  });

  it('fails with ReferralNotFound for a referral that does not exist', async () => {
    await expect(createOnwardReferrals(randomUUID(), ['test-webhook'])).rejects.toMatchObject({ name: 'ReferralNotFound' });
  });
});

describe('send-onward-referral, webhook', () => {
  it('posts the referral with the key and where to answer, and marks it sent', async () => {
    const { referralId, onwardReferralId } = await seedOnward('test-webhook');
    const result = await send({ referralId, onwardReferralId, taskToken: 'token-a', chase: false });
    expect(result).toEqual({ delivered: true });

    const [request] = receivedFor(onwardReferralId);
    expect(request?.path).toBe('/referrals');
    expect(request?.headers['content-type']).toBe('application/json');
    const key = request?.body.respondTo.key as string;
    expect(key).toBe(providerKeyFor(onwardReferralId));
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(request?.body).toEqual({
      onwardReferralId,
      referralReference: referralId,
      service: { id: 'test-webhook', name: 'Test test-webhook' },
      chase: false,
      participant: {
        name: { given: 'Alex', family: 'Example' },
        dateOfBirth: '1985-06-15',
        postcode: 'S1 2HE',
        contact: { email: 'alex.example@example.com', phone: '07700 900123', preferredChannel: 'email' },
        reasonableAdjustments: [],
      },
      reasonForReferral: { conditions: ['musculoskeletal'], supportNeeds: ['workplace_adjustments', 'physiotherapy'] },
      respondTo: { url: `${PUBLIC_API_URL}/v1/onward-referrals/${onwardReferralId}/status`, key },
    });

    const onward = await getOnwardReferral(onwardReferralId);
    expect(onward).toMatchObject({ status: 'sent', attempts: 1, providerKeyHash: hashProviderKey(key) });
    expect(onward?.sentAt).toBeDefined();
    expect(onward).not.toHaveProperty('taskToken');
    const raw = await rawOnward(referralId, onwardReferralId);
    expect(raw?.taskToken).toBe('token-a');
    expect(JSON.stringify(raw)).not.toContain(key);
    expect(await onwardTimeline(referralId)).toEqual(['pending', 'sent']);
    for (const entry of await listTimeline(referralId)) {
      for (const value of personalData) expect(JSON.stringify(entry)).not.toContain(value);
    }
  });

  it('re-sends the same key on a retry and a chase, recording sent once', async () => {
    const { referralId, onwardReferralId } = await seedOnward('test-webhook');
    await send({ referralId, onwardReferralId, taskToken: 'token-1', chase: false });
    await send({ referralId, onwardReferralId, taskToken: 'token-1', chase: false });
    await send({ referralId, onwardReferralId, taskToken: 'token-2', chase: true });
    const requests = receivedFor(onwardReferralId);
    expect(requests).toHaveLength(3);
    expect(new Set(requests.map((r) => r.body.respondTo.key)).size).toBe(1);
    expect(requests.map((r) => r.headers['idempotency-key'])).toEqual([
      `${onwardReferralId}:referral`,
      `${onwardReferralId}:referral`,
      `${onwardReferralId}:chase`,
    ]);
    expect(requests[2]?.body.chase).toBe(true);
    const onward = await getOnwardReferral(onwardReferralId);
    expect(onward).toMatchObject({ status: 'sent', attempts: 3 });
    expect(onward?.chasedAt).toBeDefined();
    expect((await rawOnward(referralId, onwardReferralId))?.taskToken).toBe('token-2');
    expect(await onwardTimeline(referralId)).toEqual(['pending', 'sent']);
  });

  it('throws ProviderUnavailable on a 500 answer and leaves the status as it was', async () => {
    const { referralId, onwardReferralId } = await seedOnward('test-failing');
    await expect(send({ referralId, onwardReferralId, taskToken: 't', chase: false })).rejects.toMatchObject({
      name: 'ProviderUnavailable',
      message: 'Provider unavailable: http_500',
    });
    expect(receivedFor(onwardReferralId)).toHaveLength(1);
    expect(await getOnwardReferral(onwardReferralId)).toMatchObject({ status: 'pending', attempts: 1 });
    expect(await onwardTimeline(referralId)).toEqual(['pending']);
  });

  it('throws ProviderUnavailable when nothing listens, with no personal data in the error', async () => {
    const { referralId, onwardReferralId } = await seedOnward('test-unreachable');
    const error = await send({ referralId, onwardReferralId, taskToken: 't', chase: false }).catch((e: Error) => e);
    expect(error).toMatchObject({ name: 'ProviderUnavailable', message: 'Provider unavailable: ECONNREFUSED' });
    expect(await getOnwardReferral(onwardReferralId)).toMatchObject({ status: 'pending' });
    expect(await onwardTimeline(referralId)).toEqual(['pending']);
  });

  it('rejects bad input and unknown onward referrals by name', async () => {
    const { referralId } = await seedOnward('test-webhook');
    await expect(send({ referralId, onwardReferralId: 'x', taskToken: 't', chase: false })).rejects.toMatchObject({
      name: 'InvalidInput',
    });
    await expect(send({ referralId, onwardReferralId: randomUUID(), taskToken: 't', chase: false })).rejects.toMatchObject({
      name: 'OnwardReferralNotFound',
    });
    await expect(
      send({ referralId: randomUUID(), onwardReferralId: randomUUID(), taskToken: 't', chase: false }),
    ).rejects.toMatchObject({ name: 'ReferralNotFound' });
  });
});

describe('send-onward-referral, email', () => {
  it('writes one outbox item per kind with ids and a link only, and marks it sent', async () => {
    const { referralId, onwardReferralId } = await seedOnward('test-email');
    expect(await send({ referralId, onwardReferralId, taskToken: 't1', chase: false })).toEqual({ delivered: true });
    await send({ referralId, onwardReferralId, taskToken: 't1', chase: false });

    let outbox = await partition(referralId, 'NOTIFICATION#');
    expect(outbox).toHaveLength(1);
    const [item] = outbox;
    expect(item).toMatchObject({
      channel: 'email',
      to: EMAIL_ADDRESS,
      template: 'onward_referral',
      status: 'pending',
      gsi1pk: 'NOTIFICATIONS#pending',
      fields: {
        onwardReferralId,
        referralReference: referralId,
        serviceName: expect.any(String),
      },
    });
    // No key and no API address: the notifier makes the keyed link to the provider's page.
    expect(item!.fields).not.toHaveProperty('respondUrl');
    const text = JSON.stringify(item);
    for (const value of personalData) expect(text).not.toContain(value);
    expect(text).not.toContain(providerKeyFor(onwardReferralId));

    const onward = await getOnwardReferral(onwardReferralId);
    expect(onward).toMatchObject({ status: 'sent', providerKeyHash: hashProviderKey(providerKeyFor(onwardReferralId)) });
    expect(receivedFor(onwardReferralId)).toHaveLength(0);

    await send({ referralId, onwardReferralId, taskToken: 't2', chase: true });
    await send({ referralId, onwardReferralId, taskToken: 't2', chase: true });
    outbox = await partition(referralId, 'NOTIFICATION#');
    expect(outbox.map((n) => n.template).sort()).toEqual(['onward_referral', 'onward_referral_chase']);
    expect((await getOnwardReferral(onwardReferralId))?.chasedAt).toBeDefined();
    expect(await onwardTimeline(referralId)).toEqual(['pending', 'sent']);
  });
});

describe('provider-status', () => {
  async function sentWebhook() {
    const ids = await seedOnward('test-webhook');
    await send({ ...ids, taskToken: `token-${randomUUID()}`, chase: false });
    return { ...ids, key: receivedFor(ids.onwardReferralId)[0]!.body.respondTo.key as string };
  }

  it('answers 401 without a key or with a wrong one', async () => {
    const { onwardReferralId, key } = await sentWebhook();
    const missing = await postStatus(onwardReferralId, undefined, { status: 'accepted' });
    expect(missing.status).toBe(401);
    expect(missing.headers?.['Content-Type']).toBe('application/problem+json');
    expect(missing.headers?.['WWW-Authenticate']).toBe('Bearer');
    // The last character changed (to one it is not already), so the key is always wrong.
    const wrongKey = `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`;
    expect((await postStatus(onwardReferralId, wrongKey, { status: 'accepted' })).status).toBe(401);
    // Another onward referral's key does not open this one.
    const other = await sentWebhook();
    expect((await postStatus(onwardReferralId, other.key, { status: 'accepted' })).status).toBe(401);
    expect((await getOnwardReferral(onwardReferralId))?.status).toBe('sent');
  });

  it('answers 404 for an unknown id only to a caller holding its key, 401 otherwise', async () => {
    const unknown = randomUUID();
    expect((await postStatus(unknown, providerKeyFor(unknown), { status: 'accepted' })).status).toBe(404);
    const { key } = await sentWebhook();
    const wrong = await postStatus(unknown, key, { status: 'accepted' });
    expect(wrong.status).toBe(401);
    expect((await postStatus('not-an-id', key, { status: 'accepted' })).status).toBe(404);
  });

  it('answers 400 with a pointer per invalid field, and 415 for a body that is not JSON', async () => {
    const { onwardReferralId, key } = await sentWebhook();
    const invalid = await postStatus(onwardReferralId, key, { status: 'finished', occurredAt: 'yesterday', note: 'x' });
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual([
      '/note',
      '/occurredAt',
      '/status',
    ]);
    const future = await postStatus(onwardReferralId, key, {
      status: 'accepted',
      occurredAt: new Date(Date.now() + 86_400_000).toISOString(),
    });
    expect(future.status).toBe(400);
    expect((await postStatus(onwardReferralId, key, 'status=accepted', { 'content-type': 'text/plain' })).status).toBe(415);
    expect((await getOnwardReferral(onwardReferralId))?.status).toBe('sent');
  });

  it('records allowed transitions with timeline entries, repeats quietly and refuses the rest with 409', async () => {
    const { referralId, onwardReferralId, key } = await sentWebhook();
    expect(await postStatus(onwardReferralId, key, { status: 'completed' })).toMatchObject({ status: 409 });

    const accepted = await postStatus(onwardReferralId, key, { status: 'accepted', occurredAt: '2026-03-02T10:00:00Z' });
    expect(accepted).toMatchObject({ status: 200, body: { onwardReferralId, status: 'accepted' } });
    expect(await getOnwardReferral(onwardReferralId)).toMatchObject({
      status: 'accepted',
      lastStatus: 'accepted',
      lastStatusAt: '2026-03-02T10:00:00.000Z',
    });
    expect((await postStatus(onwardReferralId, key, { status: 'accepted' })).status).toBe(200);
    expect((await postStatus(onwardReferralId, key, { status: 'attended' })).status).toBe(200);
    expect((await postStatus(onwardReferralId, key, { status: 'completed' })).status).toBe(200);

    const refused = await postStatus(onwardReferralId, key, { status: 'declined' });
    expect(refused.status).toBe(409);
    expect(refused.headers?.['Content-Type']).toBe('application/problem+json');
    expect(refused.body).toMatchObject({ currentStatus: 'completed', requestedStatus: 'declined' });
    expect(await onwardTimeline(referralId)).toEqual(['pending', 'sent', 'accepted', 'attended', 'completed']);
    // The dead token (no execution behind it) was tried once and forgotten.
    expect((await rawOnward(referralId, onwardReferralId))?.taskToken).toBeUndefined();
  });

  it('keeps journey statuses apart: no_response only before the provider answers', async () => {
    const { referralId, onwardReferralId, key } = await sentWebhook();
    expect(await recordJourneyStatus({ referralId, onwardReferralId, status: 'no_response', at: new Date() })).toBe(true);
    expect(await recordJourneyStatus({ referralId, onwardReferralId, status: 'no_response', at: new Date() })).toBe(false);
    expect((await postStatus(onwardReferralId, key, { status: 'declined' })).status).toBe(200);
    expect(await recordJourneyStatus({ referralId, onwardReferralId, status: 'unreachable', at: new Date() })).toBe(false);
    expect(await onwardTimeline(referralId)).toEqual(['pending', 'sent', 'no_response', 'declined']);
  });
});

describe('a journey waiting on the provider', () => {
  const start = (ids: { referralId: string; onwardReferralId: string }) =>
    engine.startExecution(`onward-${randomUUID()}`, JSON.stringify(ids)).executionArn;

  it('succeeds with the provider answer posted to the API', async () => {
    const ids = await seedOnward('test-webhook');
    const executionArn = start(ids);
    await engine.idle();
    expect(engine.describeExecution(executionArn).status).toBe('RUNNING');
    expect(await getOnwardReferral(ids.onwardReferralId)).toMatchObject({ status: 'sent' });
    expect((await rawOnward(ids.referralId, ids.onwardReferralId))?.taskToken).toEqual(expect.any(String));

    const key = receivedFor(ids.onwardReferralId)[0]!.body.respondTo.key as string;
    const answer = await postStatus(ids.onwardReferralId, key, { status: 'accepted' });
    expect(answer).toMatchObject({ status: 200, body: { onwardReferralId: ids.onwardReferralId, status: 'accepted' } });

    const ended = await engine.whenEnded(executionArn);
    expect(ended.status).toBe('SUCCEEDED');
    expect(ended.output).toEqual({ onwardReferralId: ids.onwardReferralId, status: 'accepted' });
    expect((await rawOnward(ids.referralId, ids.onwardReferralId))?.taskToken).toBeUndefined();

    // A later status is recorded; there is no journey left to answer, and that is fine.
    expect((await postStatus(ids.onwardReferralId, key, { status: 'attended' })).status).toBe(200);
  });

  it('succeeds when the provider answers inside the referral request', async () => {
    const ids = await seedOnward('test-inline');
    const answers: number[] = [];
    provider.inline = async (body) => {
      answers.push((await postStatus(body.onwardReferralId, body.respondTo.key, { status: 'declined' })).status);
    };
    try {
      const ended = await engine.whenEnded(start(ids));
      expect(ended.status).toBe('SUCCEEDED');
      expect(ended.output).toEqual({ onwardReferralId: ids.onwardReferralId, status: 'declined' });
    } finally {
      provider.inline = undefined;
    }
    expect(answers).toEqual([200]);
    const onward = await getOnwardReferral(ids.onwardReferralId);
    expect(onward).toMatchObject({ status: 'declined' });
    expect(onward?.sentAt).toBeDefined();
    expect(await onwardTimeline(ids.referralId)).toEqual(['pending', 'declined']);
  });

  it('is answered at once, sending nothing, when the provider answered while the journey was not waiting', async () => {
    const ids = await seedOnward('test-webhook');
    // An earlier wait (its token long dead) got the referral to the provider, who answers now.
    await startDelivery({ ...ids, taskToken: 'old-token', providerKeyHash: hashProviderKey(providerKeyFor(ids.onwardReferralId)), at: new Date() });
    expect((await postStatus(ids.onwardReferralId, providerKeyFor(ids.onwardReferralId), { status: 'accepted' })).status).toBe(200);
    expect((await rawOnward(ids.referralId, ids.onwardReferralId))?.taskToken).toBeUndefined();

    const ended = await engine.whenEnded(start(ids));
    expect(ended.status).toBe('SUCCEEDED');
    expect(ended.output).toEqual({ onwardReferralId: ids.onwardReferralId, status: 'accepted' });
    expect(receivedFor(ids.onwardReferralId)).toHaveLength(0);
  });
});
