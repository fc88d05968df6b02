import { randomUUID } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  issueCredential,
  registerPartner,
  revokeCredential,
  suspendPartner,
} from '../../functions/shared/partner-store.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';

/**
 * Partner authentication over real HTTP on the local runtime: the local gateway runs the
 * partner authorizer before every `partner` route, as API Gateway does in AWS.
 */
let rt: TestRuntime;

beforeAll(async () => {
  rt = await startTestRuntime('south-yorkshire');
});
afterAll(async () => {
  await rt?.stop();
});

const statusOf = (headers: Record<string, string> = {}) =>
  fetch(`${rt.gatewayUrl}/v1/referrals/${randomUUID()}`, { headers });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

let partners = 0;
async function newPartner() {
  const { partner } = await registerPartner({
    partnerId: `auth-test-${++partners}`,
    name: 'Example Council',
    organisationType: 'local_authority',
  });
  return { partnerId: partner.partnerId, credential: await issueCredential(partner.partnerId) };
}

async function expectProblem(res: Response, status: number) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  const body = (await res.json()) as Record<string, unknown>;
  expect(body).toMatchObject({ status });
  return body;
}

describe('partner authentication on the local gateway', () => {
  it('no credential: 401 problem+json with WWW-Authenticate: Bearer and no detail', async () => {
    const res = await statusOf();
    const body = await expectProblem(res, 401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(body).toEqual({ type: 'about:blank', title: 'Unauthorized', status: 401 });
  });

  it('malformed, unknown or tampered credentials: 401', async () => {
    const { credential } = await newPartner();
    const tampered = `${credential.token.slice(0, -1)}${credential.token.endsWith('A') ? 'B' : 'A'}`;
    for (const headers of [
      { authorization: 'Bearer' },
      { authorization: 'Bearer not-a-token' },
      { authorization: `Basic ${Buffer.from('user:pass').toString('base64')}` },
      { authorization: credential.token },
      bearer(tampered),
      bearer(credential.token.replace(credential.credentialId, 'q'.repeat(16))),
    ]) {
      const res = await statusOf(headers);
      const body = await expectProblem(res, 401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(body).not.toHaveProperty('detail');
    }
  });

  it('a valid credential reaches the handler: an unknown referral is 404, not 401', async () => {
    const res = await statusOf(rt.auth());
    const body = await expectProblem(res, 404);
    expect(body.title).toBe('Not Found');
  });

  it('every local demo partner has a working credential, kept in an owner-only file', async () => {
    expect(rt.partners.map((p) => p.organisationType)).toEqual(['gp', 'employer', 'jobcentre_plus', 'vcs', 'self_referral_service']);
    for (const partner of rt.partners) expect((await statusOf(bearer(partner.token))).status).toBe(404);
    expect(statSync(rt.credentialsFile).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(readFileSync(rt.credentialsFile, 'utf8')) as { partners: { partnerId: string; token: string }[] };
    expect(saved.partners.map((p) => p.token)).toEqual(rt.partners.map((p) => p.token));
  });

  it('a revoked credential: 403', async () => {
    const { partnerId, credential } = await newPartner();
    await revokeCredential(partnerId, credential.credentialId);
    const body = await expectProblem(await statusOf(bearer(credential.token)), 403);
    expect(body).toEqual({ type: 'about:blank', title: 'Forbidden', status: 403 });
  });

  it("another area's credential: 403", async () => {
    const { partnerId } = await newPartner();
    const foreign = await issueCredential(partnerId, { areaCode: 'greater-manchester' });
    await expectProblem(await statusOf(bearer(foreign.token)), 403);
  });

  it('a suspended partner: 403 for each of its credentials', async () => {
    const { partnerId, credential } = await newPartner();
    const second = await issueCredential(partnerId);
    await suspendPartner(partnerId);
    await expectProblem(await statusOf(bearer(credential.token)), 403);
    await expectProblem(await statusOf(bearer(second.token)), 403);
  });

  it('rotation: both credentials work until the old one is revoked', async () => {
    const { partnerId, credential: old } = await newPartner();
    const fresh = await issueCredential(partnerId);
    expect((await statusOf(bearer(old.token))).status).toBe(404);
    expect((await statusOf(bearer(fresh.token))).status).toBe(404);
    await revokeCredential(partnerId, old.credentialId);
    expect((await statusOf(bearer(old.token))).status).toBe(403);
    expect((await statusOf(bearer(fresh.token))).status).toBe(404);
  });

  it('authenticates POST routes too, before the body is looked at', async () => {
    const res = await fetch(`${rt.gatewayUrl}/v1/referrals`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"not":"a referral"}',
    });
    await expectProblem(res, 401);
  });

  it('over the per-minute limit: 429 problem+json with Retry-After; other partners and the next minute unaffected', async () => {
    const { credential } = await newPartner();
    const previous = process.env.PARTNER_RATE_LIMIT_PER_MINUTE;
    process.env.PARTNER_RATE_LIMIT_PER_MINUTE = '3';
    try {
      // Start at the top of a minute of the runtime's clock, so the window cannot turn mid-test.
      await rt.advance(60_000 - (Date.now() % 60_000));
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await statusOf(bearer(credential.token))).status);
      expect(statuses).toEqual([404, 404, 404]);
      const limited = await statusOf(bearer(credential.token));
      const body = await expectProblem(limited, 429);
      expect(body.title).toBe('Too Many Requests');
      expect(Number(limited.headers.get('retry-after'))).toBe(60);
      // Another partner has its own count.
      expect((await statusOf(rt.auth(1))).status).toBe(404);
      // The next minute starts a new count.
      await rt.advance(60_000);
      expect((await statusOf(bearer(credential.token))).status).toBe(404);
    } finally {
      if (previous === undefined) delete process.env.PARTNER_RATE_LIMIT_PER_MINUTE;
      else process.env.PARTNER_RATE_LIMIT_PER_MINUTE = previous;
    }
  });
});
