import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueCredential, registerPartner, revokeCredential } from '../../functions/shared/partner-store.ts';
import { nhsNumberFor, referralForNewPerson, validReferral } from '../fixtures/referrals.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { asSentBy } from '../support/partners.ts';

/**
 * Every status code of POST /v1/referrals and GET /v1/referrals/{id}, over real HTTP through
 * the local gateway. Every error is application/problem+json whose `status` is the HTTP status,
 * never echoes what was sent, and a refused referral stores nothing and starts nothing.
 *
 * The per-partner limit is 30 a minute in this file (the runtime's clock only moves when told,
 * so the whole file is one minute): the 429 test has a demo partner of its own (index 4), and the
 * other tests spread over partners 0 to 2, each well under 30 requests.
 */
const AREA = 'south-yorkshire';
const RATE_LIMIT = 30;
const LIMITED_PARTNER = 4;

let rt: TestRuntime;
let previousLimit: string | undefined;

beforeAll(async () => {
  previousLimit = process.env.PARTNER_RATE_LIMIT_PER_MINUTE;
  process.env.PARTNER_RATE_LIMIT_PER_MINUTE = String(RATE_LIMIT);
  rt = await startTestRuntime(AREA);
});
afterAll(async () => {
  await rt?.stop();
  if (previousLimit === undefined) delete process.env.PARTNER_RATE_LIMIT_PER_MINUTE;
  else process.env.PARTNER_RATE_LIMIT_PER_MINUTE = previousLimit;
});

// -----------------------------------------------------------------------------------------------
// Helpers

/** A referral whose personal values are distinctive enough to search answers for. */
const PERSONAL = {
  givenName: 'Zephyrine',
  familyName: 'Quillborough',
  nhsNumber: nhsNumberFor(424_242),
  postcode: 'S11 8YZ',
  email: 'zephyrine.quillborough@example.com',
  phone: '07700 900457',
  dateOfBirth: '1979-11-23',
};
const personalValues = Object.values(PERSONAL);

function distinctiveReferral() {
  return validReferral({ participant: { ...PERSONAL } });
}

const executions = () => rt.engine.listExecutions().length;

/** Runs `act` and checks that it stored no referral and started no journey. */
async function storesNothing<T>(act: () => Promise<T>): Promise<T> {
  await rt.engine.idle();
  const [journeys, items] = [executions(), await rt.countReferralItems()];
  const result = await act();
  await rt.engine.idle();
  expect(executions()).toBe(journeys);
  expect(await rt.countReferralItems()).toBe(items);
  return result;
}

interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: { pointer: string; detail: string }[];
}

/** problem+json, `status` equal to the HTTP status, none of the personal values echoed. */
async function expectProblem(res: Response, status: number): Promise<Problem> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  const body = JSON.parse(text) as Problem;
  expect(body.status).toBe(status);
  expect(typeof body.title).toBe('string');
  const answer = `${text}\n${[...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}`.toLowerCase();
  for (const value of personalValues) {
    expect(answer).not.toContain(value.toLowerCase());
    expect(answer).not.toContain(value.toLowerCase().replaceAll(' ', ''));
  }
  return body;
}

const post = (body: unknown, headers: Record<string, string> = {}, partner = 0) =>
  fetch(`${rt.gatewayUrl}/v1/referrals`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...rt.auth(partner), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(asSentBy(rt.partners[partner]!.organisationType, body)),
  });
const statusOf = (id: string, headers: Record<string, string>) =>
  fetch(`${rt.gatewayUrl}/v1/referrals/${id}`, { headers });
const idOf = async (res: Response) => ((await res.json()) as { referralId: string }).referralId;

// -----------------------------------------------------------------------------------------------

describe('POST /v1/referrals and GET /v1/referrals/{id}: success', () => {
  it('202 with the referral id, a status link and Location; then 200 from the status route', async () => {
    const journeys = executions();
    const res = await post(referralForNewPerson(), {}, 0);
    expect(res.status).toBe(202);
    expect(res.headers.get('content-type')).toContain('application/json');
    const body = (await res.json()) as { referralId: string; status: string; links: { self: string } };
    expect(body.referralId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(body).toEqual({
      referralId: body.referralId,
      reference: expect.stringMatching(/^[A-Z]{1,5}-[0-9A-HJKMNP-TV-Y]{4}-[0-9A-HJKMNP-TV-Y]{4}$/),
      status: 'received',
      links: { self: `/v1/referrals/${body.referralId}` },
    });
    expect(res.headers.get('location')).toBe(body.links.self);
    await rt.engine.idle();
    expect(executions()).toBe(journeys + 1);

    const status = await rt.referralStatus(body.referralId, 0);
    expect(status.status).toBe(200);
    expect(status.headers.get('content-type')).toContain('application/json');
    expect(await status.json()).toMatchObject({ referralId: body.referralId });
  });
});

describe('400 Bad Request', () => {
  it('invalid fields: one JSON pointer per field, no submitted value, nothing stored', async () => {
    const referral = distinctiveReferral();
    const invalid = {
      ...referral,
      participant: { ...referral.participant, postcode: 'QQ QQQQ Zephyrine', nhsNumber: '9434765918', dateOfBirth: 'Quillborough' },
      consent: { ...referral.consent, given: false },
      health: { conditions: [] },
    };
    const res = await storesNothing(() => post(invalid, {}, 0));
    const body = await expectProblem(res, 400);
    expect(body.title).toBe('Bad Request');
    const pointers = (body.errors ?? []).map((e) => e.pointer).sort();
    expect(pointers).toEqual(
      ['/consent/given', '/health/conditions', '/participant/dateOfBirth', '/participant/nhsNumber', '/participant/postcode'].sort(),
    );
    for (const error of body.errors ?? []) expect(error.detail).toEqual(expect.any(String));
    expect(JSON.stringify(body)).not.toContain('9434765918');
    expect(JSON.stringify(body)).not.toContain('QQ QQQQ');
  });

  it('an unknown field is rejected, named by its pointer; a key that is not a plain name is not repeated', async () => {
    const referral = distinctiveReferral();
    const res = await storesNothing(() =>
      post({ ...referral, participant: { ...referral.participant, favouriteColour: 'Zephyrine blue' }, '<b>Quillborough</b>': 1 }, {}, 0),
    );
    const body = await expectProblem(res, 400);
    expect(body.errors).toEqual(
      expect.arrayContaining([
        { pointer: '/participant/favouriteColour', detail: 'is not an accepted field' },
        { pointer: '', detail: 'has a field that is not accepted' },
      ]),
    );
    expect(body.errors).toHaveLength(2);
  });

  it('malformed JSON', async () => {
    const text = JSON.stringify(distinctiveReferral()).slice(0, -20);
    const body = await expectProblem(await storesNothing(() => post(text, {}, 0)), 400);
    expect(body.detail).toBe('The request body is not valid JSON.');
    expect(body).not.toHaveProperty('errors');
  });

  it('a malformed Idempotency-Key (white space, too long, not ASCII)', async () => {
    for (const key of ['has space', 'k'.repeat(256), 'clé-Zephyrine']) {
      const res = await storesNothing(() => post(distinctiveReferral(), { 'Idempotency-Key': key }, 1));
      const body = await expectProblem(res, 400);
      expect(body.detail).toContain('Idempotency-Key');
    }
  });
});

describe('401 Unauthorized', () => {
  it('no credential or a garbage one: 401 with WWW-Authenticate: Bearer, on both routes, before the body', async () => {
    const cases: Record<string, string>[] = [{}, { authorization: 'Bearer garbage-Zephyrine' }, { authorization: 'Zephyrine' }];
    for (const headers of cases) {
      const posted = await storesNothing(() =>
        fetch(`${rt.gatewayUrl}/v1/referrals`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify(distinctiveReferral()),
        }),
      );
      expect(posted.headers.get('www-authenticate')).toBe('Bearer');
      expect(await expectProblem(posted, 401)).toEqual({ type: 'about:blank', title: 'Unauthorized', status: 401 });

      const got = await statusOf(randomUUID(), headers);
      expect(got.headers.get('www-authenticate')).toBe('Bearer');
      await expectProblem(got, 401);
    }
  });
});

describe('403 Forbidden', () => {
  // partner-auth.test.ts covers revoked, suspended and other-area credentials on GET.
  it('a revoked credential posting a referral: 403, nothing stored', async () => {
    const { partner } = await registerPartner({ partnerId: 'status-codes-revoked', name: 'Example Council', organisationType: 'local_authority' });
    const credential = await issueCredential(partner.partnerId);
    await revokeCredential(partner.partnerId, credential.credentialId);
    const res = await storesNothing(() => post(distinctiveReferral(), { authorization: `Bearer ${credential.token}` }));
    expect(await expectProblem(res, 403)).toEqual({ type: 'about:blank', title: 'Forbidden', status: 403 });
  });
});

describe('404 Not Found', () => {
  it('an unknown referral id, a malformed id and an unknown path', async () => {
    expect((await expectProblem(await statusOf(randomUUID(), rt.auth(2)), 404)).detail).toBe('No referral with this id.');
    await expectProblem(await statusOf('not-a-uuid', rt.auth(2)), 404);
    await expectProblem(await fetch(`${rt.gatewayUrl}/v1/referralz`, { headers: rt.auth(2) }), 404);
  });

  it("another partner's referral is answered exactly like a missing one", async () => {
    const id = await idOf(await post(referralForNewPerson(), {}, 0));
    const theirs = await expectProblem(await rt.referralStatus(id, 2), 404);
    const missing = await expectProblem(await statusOf(randomUUID(), rt.auth(2)), 404);
    expect(theirs).toEqual(missing);
    expect((await rt.referralStatus(id, 0)).status).toBe(200);
  });
});

describe('405 Method Not Allowed', () => {
  it('a wrong method on a known path', async () => {
    const cases: [string, string][] = [
      ['GET', '/v1/referrals'],
      ['PUT', '/v1/referrals'],
      ['DELETE', `/v1/referrals/${randomUUID()}`],
      ['PATCH', `/v1/referrals/${randomUUID()}`],
      ['POST', `/v1/referrals/${randomUUID()}`],
    ];
    for (const [method, path] of cases) {
      const res = await storesNothing(() =>
        fetch(`${rt.gatewayUrl}${path}`, {
          method,
          headers: { ...rt.auth(2), 'content-type': 'application/json' },
          ...(method === 'GET' ? {} : { body: JSON.stringify(distinctiveReferral()) }),
        }),
      );
      await expectProblem(res, 405);
    }
  });
});

describe('413 Content Too Large', () => {
  it('a body over the handler limit (64 KiB): 413 from the handler, nothing stored', async () => {
    const referral = distinctiveReferral();
    const big = { ...referral, health: { ...referral.health, details: `Zephyrine ${'x'.repeat(70_000)}` } };
    const body = await expectProblem(await storesNothing(() => post(big, {}, 1)), 413);
    expect(body.title).toBe('Content Too Large');
  });

  it('a body over the gateway limit (1 MiB): 413 from the gateway', async () => {
    const referral = distinctiveReferral();
    const huge = { ...referral, health: { ...referral.health, details: `Quillborough ${'y'.repeat(1_100_000)}` } };
    await expectProblem(await storesNothing(() => post(huge, {}, 1)), 413);
  });
});

describe('415 Unsupported Media Type', () => {
  it('text/plain, a form, a non-UTF-8 charset and no Content-Type', async () => {
    const text = JSON.stringify(distinctiveReferral());
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=iso-8859-1', undefined]) {
      const res = await storesNothing(() =>
        fetch(`${rt.gatewayUrl}/v1/referrals`, {
          method: 'POST',
          headers: { ...rt.auth(1), ...(contentType ? { 'content-type': contentType } : {}) },
          // A Uint8Array body: fetch adds no Content-Type of its own.
          body: new TextEncoder().encode(text),
        }),
      );
      const body = await expectProblem(res, 415);
      expect(body.title).toBe('Unsupported Media Type');
      expect(res.headers.get('accept-post')).toBe('application/json');
    }
  });
});

describe('422 Unprocessable Content', () => {
  it('the same Idempotency-Key with another body: 422, nothing stored', async () => {
    const key = `status-codes-${randomUUID()}`;
    expect((await post(referralForNewPerson(), { 'Idempotency-Key': key }, 1)).status).toBe(202);
    const res = await storesNothing(() => post(distinctiveReferral(), { 'Idempotency-Key': key }, 1));
    const body = await expectProblem(res, 422);
    expect(body.title).toBe('Unprocessable Content');
  });
});

describe('429 Too Many Requests', () => {
  it(`over ${RATE_LIMIT} a minute: 429 with Retry-After on both routes, nothing stored`, async () => {
    const auth = rt.auth(LIMITED_PARTNER);
    const under = await Promise.all(Array.from({ length: RATE_LIMIT }, () => statusOf(randomUUID(), auth)));
    expect(under.map((r) => r.status)).toEqual(Array(RATE_LIMIT).fill(404));

    const posted = await storesNothing(() => post(distinctiveReferral(), {}, LIMITED_PARTNER));
    const body = await expectProblem(posted, 429);
    expect(body.title).toBe('Too Many Requests');
    const retryAfter = Number(posted.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);

    const got = await statusOf(randomUUID(), auth);
    await expectProblem(got, 429);
    expect(got.headers.get('retry-after')).toMatch(/^\d+$/);

    // Other partners have their own count.
    expect((await statusOf(randomUUID(), rt.auth(2))).status).toBe(404);
  });
});
