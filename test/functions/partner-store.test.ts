import { GetCommand } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler as authorizer } from '../../functions/handlers/partner-authorizer.ts';
import { wholeApiArn } from '../../functions/shared/authorizer-policy.ts';
import { dynamo } from '../../functions/shared/aws-clients.ts';
import {
  CredentialNotFound,
  getPartner,
  getPracticeEndpoint,
  issueCredential,
  listCredentials,
  listPartners,
  PartnerExists,
  partnerKeys,
  PartnerNotFound,
  registerPartner,
  reinstatePartner,
  revokeCredential,
  suspendPartner,
  verifyCredential,
} from '../../functions/shared/partner-store.ts';
import { partnerRateLimit } from '../../functions/shared/partner-rate-limit.ts';
import { partnerOf, rateKeys, rateWindow, takeRequest } from '../../functions/shared/rate-limit.ts';
import { journeysTable, tableName } from '../../functions/shared/tables.ts';
import { main as partnersCommand } from '../../ops/partners.ts';
import { startTestDatabase, TEST_AREA, type TestDatabase } from '../support/dynamodb-local.ts';
import { apiEvent, lambdaContext } from '../support/events.ts';

let db: TestDatabase;
let counter = 0;
const uniqueId = (prefix: string) => `${prefix}-${process.pid}-${++counter}`;

let logged: string[] = [];

beforeAll(async () => {
  db = await startTestDatabase();
  // Handlers log at INFO here, so the test below sees what they would log in AWS.
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
});
afterAll(async () => {
  await db?.stop();
});
// Capture what the handlers log (Powertools writes JSON lines to stdout).
beforeEach(() => {
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (c: string | Uint8Array, ...r: unknown[]) => boolean;
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      if (text.startsWith('{')) {
        logged.push(text);
        return true;
      }
      return write(chunk, ...rest);
    });
  }
});
afterEach(() => {
  vi.restoreAllMocks();
});

async function credentialItem(partnerId: string, credentialId: string) {
  const { Item } = await dynamo().send(
    new GetCommand({ TableName: tableName(TEST_AREA, journeysTable), Key: partnerKeys.credential(partnerId, credentialId) }),
  );
  return Item;
}

async function partnerWithCredential(organisationType: 'gp' | 'employer' = 'gp') {
  const { partner } = await registerPartner({ partnerId: uniqueId('partner'), name: 'Example Practice', organisationType });
  const credential = await issueCredential(partner.partnerId);
  return { partner, credential };
}

describe('partner store', () => {
  it('registers a partner once; a retry with the same details is answered, other details refused', async () => {
    const partnerId = uniqueId('gp');
    const input = { partnerId, name: 'Example Medical Centre', organisationType: 'gp', odsCode: 'C88001' } as const;
    const first = await registerPartner(input);
    expect(first.created).toBe(true);
    expect(first.partner).toMatchObject({ partnerId, status: 'active', organisationType: 'gp', odsCode: 'C88001' });
    const again = await registerPartner(input);
    expect(again).toEqual({ partner: first.partner, created: false });
    await expect(registerPartner({ ...input, name: 'Another practice' })).rejects.toBeInstanceOf(PartnerExists);
    expect((await listPartners()).map((p) => p.partnerId)).toContain(partnerId);
  });

  it('validates partner details and generates an id when none is given', async () => {
    await expect(registerPartner({ name: 'X', organisationType: 'pharmacy' as 'gp' })).rejects.toThrow();
    await expect(registerPartner({ partnerId: 'Bad_Id', name: 'X', organisationType: 'gp' })).rejects.toThrow();
    await expect(registerPartner({ name: 'X', organisationType: 'gp', odsCode: 'c88001' })).rejects.toThrow();
    const { partner } = await registerPartner({ name: 'Example Council', organisationType: 'local_authority' });
    expect(partner.partnerId).toMatch(/^p-[a-z0-9]{10}$/);
  });

  it('stores only the hash of a credential and verifies the token', async () => {
    const { partner, credential } = await partnerWithCredential();
    const item = await credentialItem(partner.partnerId, credential.credentialId);
    expect(item).toMatchObject({ type: 'credential', partnerId: partner.partnerId, credentialId: credential.credentialId });
    // The whole secret (it may itself contain `_`: everything after the fourth separator).
    const secret = credential.token.split('_').slice(4).join('_');
    expect(secret).toHaveLength(43);
    expect(JSON.stringify(item)).not.toContain(secret);
    expect(item!.hash).toMatch(/^sha256:/);
    expect(await verifyCredential(credential.token)).toEqual({
      partnerId: partner.partnerId,
      partnerName: 'Example Practice',
      organisationType: 'gp',
    });
    const listed = await listCredentials(partner.partnerId);
    expect(listed).toHaveLength(1);
    expect(listed[0]).not.toHaveProperty('hash');
  });

  it('refuses unknown, tampered and malformed tokens as invalid', async () => {
    const { credential } = await partnerWithCredential();
    const tampered = credential.token.slice(0, -2) + (credential.token.endsWith('AA') ? 'BB' : 'AA');
    expect(await verifyCredential(tampered)).toEqual({ error: 'invalid' });
    expect(await verifyCredential(credential.token.replace(credential.credentialId, 'a'.repeat(16)))).toEqual({ error: 'invalid' });
    expect(await verifyCredential('wwp_nope')).toEqual({ error: 'invalid' });
  });

  it('tells another area’s credential apart (other_area), without reading it', async () => {
    const { partner } = await partnerWithCredential();
    const foreign = await issueCredential(partner.partnerId, { areaCode: 'greater-manchester' });
    const send = vi.spyOn(dynamo(), 'send');
    expect(await verifyCredential(foreign.token)).toEqual({ error: 'other_area' });
    expect(send).not.toHaveBeenCalled();
  });

  it('rotation: a second credential works alongside the first until the first is revoked', async () => {
    const { partner, credential: first } = await partnerWithCredential();
    const second = await issueCredential(partner.partnerId);
    expect(second.credentialId).not.toBe(first.credentialId);
    expect(await verifyCredential(first.token)).toMatchObject({ partnerId: partner.partnerId });
    expect(await verifyCredential(second.token)).toMatchObject({ partnerId: partner.partnerId });
    expect(await revokeCredential(partner.partnerId, first.credentialId)).toBe('revoked');
    expect(await revokeCredential(partner.partnerId, first.credentialId)).toBe('already_revoked');
    expect(await verifyCredential(first.token)).toEqual({ error: 'revoked' });
    expect(await verifyCredential(second.token)).toMatchObject({ partnerId: partner.partnerId });
    expect((await listCredentials(partner.partnerId)).map((c) => Boolean(c.revokedAt))).toEqual([true, false]);
    await expect(revokeCredential(partner.partnerId, 'z'.repeat(16))).rejects.toBeInstanceOf(CredentialNotFound);
  });

  it('suspension refuses every credential of the partner until it is reinstated', async () => {
    const { partner, credential } = await partnerWithCredential();
    expect(await suspendPartner(partner.partnerId)).toBe('suspended');
    expect(await suspendPartner(partner.partnerId)).toBe('already_suspended');
    expect(await verifyCredential(credential.token)).toEqual({ error: 'suspended' });
    expect(await reinstatePartner(partner.partnerId)).toBe('reinstated');
    expect(await verifyCredential(credential.token)).toMatchObject({ partnerId: partner.partnerId });
    await expect(suspendPartner('no-such-partner')).rejects.toBeInstanceOf(PartnerNotFound);
  });

  it('issues credentials only to registered partners', async () => {
    await expect(issueCredential('no-such-partner')).rejects.toBeInstanceOf(PartnerNotFound);
  });

  it('records lastUsedAt on first use and then at most hourly', async () => {
    const { partner, credential } = await partnerWithCredential();
    const t0 = new Date('2026-02-01T09:00:00Z');
    await verifyCredential(credential.token, { now: t0 });
    expect((await credentialItem(partner.partnerId, credential.credentialId))!.lastUsedAt).toBe(t0.toISOString());
    await verifyCredential(credential.token, { now: new Date(t0.getTime() + 30 * 60_000) });
    expect((await credentialItem(partner.partnerId, credential.credentialId))!.lastUsedAt).toBe(t0.toISOString());
    const later = new Date(t0.getTime() + 61 * 60_000);
    await verifyCredential(credential.token, { now: later });
    expect((await credentialItem(partner.partnerId, credential.credentialId))!.lastUsedAt).toBe(later.toISOString());
  });
});

// ---------------------------------------------------------------------------------------------

function authorizerEvent(authorization?: string): APIGatewayRequestAuthorizerEvent {
  return {
    type: 'REQUEST',
    methodArn: 'arn:aws:execute-api:eu-west-2:123456789012:abc123/live/GET/v1/referrals/123',
    resource: '/v1/referrals/{referralId}',
    path: '/v1/referrals/123',
    httpMethod: 'GET',
    headers: authorization === undefined ? {} : { Authorization: authorization },
    multiValueHeaders: authorization === undefined ? {} : { Authorization: [authorization] },
    pathParameters: { referralId: '123' },
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: {} as APIGatewayRequestAuthorizerEvent['requestContext'],
  };
}

describe('partner authorizer', () => {
  const call = (authorization?: string) => authorizer(authorizerEvent(authorization), lambdaContext('partner-authorizer'));

  it('allows the whole API for a valid credential, naming the partner', async () => {
    const { partner, credential } = await partnerWithCredential('employer');
    const result = await call(`Bearer ${credential.token}`);
    expect(result).toEqual({
      principalId: partner.partnerId,
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: 'arn:aws:execute-api:eu-west-2:123456789012:abc123/live/*/*' }],
      },
      context: { partnerId: partner.partnerId, partnerName: 'Example Practice', organisationType: 'employer' },
    });
    expect(wholeApiArn('arn:aws:execute-api:r:1:api/stage/POST/v1/a/b')).toBe('arn:aws:execute-api:r:1:api/stage/*/*');
  });

  it("throws 'Unauthorized' (401) for a missing, malformed or unknown credential", async () => {
    const { credential } = await partnerWithCredential();
    for (const header of [undefined, '', 'Basic abc', 'Bearer junk', `Bearer ${credential.token.slice(0, -1)}${credential.token.endsWith('B') ? 'C' : 'B'}`]) {
      await expect(call(header), String(header)).rejects.toThrow(/^Unauthorized$/);
    }
  });

  it('denies (403) revoked credentials, suspended partners and other areas', async () => {
    const revoked = await partnerWithCredential();
    await revokeCredential(revoked.partner.partnerId, revoked.credential.credentialId);
    const suspended = await partnerWithCredential();
    await suspendPartner(suspended.partner.partnerId);
    const foreign = await issueCredential(revoked.partner.partnerId, { areaCode: 'frimley' });
    for (const token of [revoked.credential.token, suspended.credential.token, foreign.token]) {
      const result = await call(`Bearer ${token}`);
      expect(result.policyDocument.Statement).toEqual([
        expect.objectContaining({ Effect: 'Deny', Resource: 'arn:aws:execute-api:eu-west-2:123456789012:abc123/live/*/*' }),
      ]);
      expect(result.context).toBeUndefined();
    }
  });

  it('never logs the token', async () => {
    const { credential } = await partnerWithCredential();
    logged = [];
    await call(`Bearer ${credential.token}`);
    await call(`Bearer ${credential.token.slice(0, -1)}`).catch(() => undefined);
    expect(logged.join('')).toContain('partner credential refused');
    const secret = credential.token.split('_').slice(4).join('_');
    expect(logged.join('')).not.toContain(secret.slice(0, 20));
  });
});

// ---------------------------------------------------------------------------------------------

describe('rate limit', () => {
  const echo = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
    .use(partnerRateLimit({ perMinute: 3 }))
    .handler(async () => ({ statusCode: 200, body: 'ok' }));
  const asPartner = (partnerId: string | null) =>
    echo(apiEvent({ method: 'GET', path: '/v1/referrals/x', partnerId } as Parameters<typeof apiEvent>[0]), lambdaContext('echo'));

  it('windows by UTC minute, with Retry-After to the next one and a TTL a few minutes on', () => {
    const w = rateWindow(new Date('2026-01-05T09:00:45.200Z'));
    expect(w.window).toBe('2026-01-05T09:00');
    expect(w.retryAfterSeconds).toBe(15);
    expect(w.expiresAt).toBe(Date.parse('2026-01-05T09:01:00Z') / 1000 + 300);
  });

  it('counts per partner per minute with a conditional update', async () => {
    const partnerId = uniqueId('rate');
    const now = new Date('2026-01-05T09:00:10Z');
    for (let i = 0; i < 2; i++) expect(await takeRequest(partnerId, 2, now)).toEqual({ allowed: true });
    expect(await takeRequest(partnerId, 2, now)).toEqual({ allowed: false, retryAfterSeconds: 50 });
    expect(await takeRequest(uniqueId('rate'), 2, now)).toEqual({ allowed: true });
    expect(await takeRequest(partnerId, 2, new Date('2026-01-05T09:01:00Z'))).toEqual({ allowed: true });
    const { Item } = await dynamo().send(
      new GetCommand({ TableName: tableName(TEST_AREA, journeysTable), Key: rateKeys.counter(partnerId, '2026-01-05T09:00') }),
    );
    expect(Item).toMatchObject({ count: 2, type: 'rate', expiresAt: Date.parse('2026-01-05T09:01:00Z') / 1000 + 300 });
  });

  it('answers 429 problem+json with Retry-After over the limit; PARTNER_RATE_LIMIT_PER_MINUTE wins', async () => {
    const partnerId = uniqueId('rate');
    const statuses: number[] = [];
    let last: APIGatewayProxyResult | undefined;
    for (let i = 0; i < 4; i++) {
      last = await asPartner(partnerId);
      statuses.push(last.statusCode);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(last!.headers).toMatchObject({ 'Content-Type': 'application/problem+json', 'Retry-After': expect.stringMatching(/^\d+$/) });
    expect(JSON.parse(last!.body)).toMatchObject({ status: 429, title: 'Too Many Requests' });

    const other = uniqueId('rate');
    process.env.PARTNER_RATE_LIMIT_PER_MINUTE = '1';
    try {
      expect((await asPartner(other)).statusCode).toBe(200);
      expect((await asPartner(other)).statusCode).toBe(429);
    } finally {
      delete process.env.PARTNER_RATE_LIMIT_PER_MINUTE;
    }
  });

  it('leaves requests without an authorizer context to the handler', async () => {
    expect((await asPartner(null)).statusCode).toBe(200);
  });

  it('partnerOf reads the authorizer context, and nothing else', () => {
    expect(partnerOf(apiEvent({ method: 'GET', path: '/', partnerId: 'demo-vcs' } as Parameters<typeof apiEvent>[0]))).toMatchObject({
      partnerId: 'demo-vcs',
    });
    expect(partnerOf({ requestContext: { authorizer: { partnerId: 'x', partnerName: 'n', organisationType: 'pharmacy' } } } as never)).toBeUndefined();
    expect(partnerOf({ requestContext: {} } as never)).toBeUndefined();
    expect(partnerOf(undefined)).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------

describe('operator command (npm run partners)', () => {
  const area = TEST_AREA;
  async function run(args: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const spies = [
      vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' '))),
      vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' '))),
    ];
    try {
      const code = await partnersCommand([...args, '--area', area, '--endpoint', db.endpoint]);
      return { code, out: out.join('\n'), err: err.join('\n') };
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  }

  it('registers, issues (rotation), revokes, suspends and lists; prints each token once with a warning', async () => {
    const partnerId = uniqueId('ops');
    const registered = await run(['register', '--name', 'Example Jobcentre Plus', '--type', 'jobcentre_plus', '--id', partnerId]);
    expect(registered.code).toBe(0);
    const firstToken = registered.out.trim();
    expect(firstToken).toMatch(new RegExp(`^wwp_${area}_${partnerId}_[a-z0-9]{16}_[A-Za-z0-9_-]{43}$`));
    expect(registered.err).toMatch(/store it safely/);
    expect(registered.err).not.toContain(firstToken);

    const rotated = await run(['issue', '--partner', partnerId]);
    const secondToken = rotated.out.trim();
    expect(secondToken).not.toBe(firstToken);
    expect(rotated.err).toMatch(/stay valid until you revoke/);
    expect(await verifyCredential(firstToken)).toMatchObject({ partnerId });
    expect(await verifyCredential(secondToken)).toMatchObject({ partnerId });

    const firstId = firstToken.split('_')[3]!;
    expect((await run(['revoke', '--partner', partnerId, '--credential', firstId])).code).toBe(0);
    expect(await verifyCredential(firstToken)).toEqual({ error: 'revoked' });

    expect((await run(['suspend', '--partner', partnerId])).code).toBe(0);
    expect(await verifyCredential(secondToken)).toEqual({ error: 'suspended' });

    const listed = await run(['list', '--json']);
    const body = JSON.parse(listed.out) as { partners: { partnerId: string; status: string; credentials: unknown[] }[] };
    const entry = body.partners.find((p) => p.partnerId === partnerId)!;
    expect(entry).toMatchObject({ status: 'suspended' });
    expect(entry.credentials).toHaveLength(2);
    expect(listed.out).not.toContain('sha256');
    expect(listed.out).not.toContain(secondToken);

    // By default a table: one aligned line per credential, the revoked one dated.
    const text = await run(['list']);
    const lines = text.out.split('\n');
    expect(lines[0]).toMatch(/^partner +name +type +ODS +FHIR endpoint +status +credential +issued +revoked +last used$/);
    const mine = lines.filter((l) => l.startsWith(`${partnerId} `));
    expect(mine).toHaveLength(2);
    const revokedAt = lines[0]!.indexOf('revoked');
    const credentialAt = lines[0]!.indexOf('credential');
    const revokedLine = mine.find((l) => l.slice(credentialAt).startsWith(firstId))!;
    expect(revokedLine.slice(revokedAt)).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}Z/);
    expect(mine.find((l) => l !== revokedLine)!.slice(revokedAt)).toMatch(/^- /);
    for (const line of mine) expect(line).toMatch(/Example Jobcentre Plus +jobcentre_plus +- +- +suspended /);
    expect(text.out).not.toContain(secondToken);
  });

  it('registers and updates a FHIR endpoint for status updates: https only (http on this machine), none removes it', async () => {
    const partnerId = uniqueId('fhir');
    const registered = await run(['register', '--name', 'Example Surgery', '--type', 'gp', '--id', partnerId, '--no-credential', '--fhir-endpoint', 'https://gp.example.nhs.uk/fhir']);
    expect(registered.code).toBe(0);
    expect((await getPartner(partnerId))?.fhirEndpoint).toBe('https://gp.example.nhs.uk/fhir');
    expect((await run(['update', '--partner', partnerId, '--fhir-endpoint', 'http://127.0.0.1:8123/fhir'])).code).toBe(0);
    expect((await getPartner(partnerId))?.fhirEndpoint).toBe('http://127.0.0.1:8123/fhir');
    await expect(run(['update', '--partner', partnerId, '--fhir-endpoint', 'http://gp.example.nhs.uk/fhir'])).rejects.toThrow();
    expect((await getPartner(partnerId))?.fhirEndpoint).toBe('http://127.0.0.1:8123/fhir');
    expect((await run(['update', '--partner', partnerId, '--fhir-endpoint', 'none'])).code).toBe(0);
    expect((await getPartner(partnerId))?.fhirEndpoint).toBeUndefined();
    await expect(run(['update', '--partner', uniqueId('nobody'), '--fhir-endpoint', 'none'])).rejects.toThrow();
  });

  it("registers a GP practice's endpoint for discharge summaries and lists the held ones", async () => {
    expect((await run(['practice', '--ods', 'C81234', '--fhir-endpoint', 'https://practice.example.nhs.uk/fhir'])).code).toBe(0);
    expect(await getPracticeEndpoint('C81234')).toBe('https://practice.example.nhs.uk/fhir');
    expect((await run(['practice', '--ods', 'C81234', '--fhir-endpoint', 'none'])).code).toBe(0);
    expect(await getPracticeEndpoint('C81234')).toBeUndefined();
    await expect(run(['practice', '--ods', 'not-a-code', '--fhir-endpoint', 'https://practice.example.nhs.uk/fhir'])).rejects.toThrow();
    const held = await run(['gp-summaries', '--json']);
    expect(JSON.parse(held.out)).toMatchObject({ held: expect.any(Array) });
  });

  it('refuses unknown commands and areas', async () => {
    await expect(partnersCommand(['frobnicate', '--area', area])).rejects.toThrow(/Unknown or missing command/);
    await expect(partnersCommand(['list', '--area', 'atlantis'])).rejects.toThrow(/--area/);
  });
});
