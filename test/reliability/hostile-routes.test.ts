import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ApiRoute, apiRoutes } from '../../functions/api-routes.ts';
import { type JourneyTestbed, results, startJourneyTestbed } from '../support/journey.ts';
import { routeKey, type RouteResources, validRequest } from '../support/route-requests.ts';

/**
 * Hostile input on every route of the partner, coach and provider APIs (functions/api-routes.ts;
 * test/api/hostile-input.test.ts goes deeper into intake, status and provider answers), with
 * fast-check over real HTTP, as the route's rightful caller so the handler itself is reached:
 * path parameters (unicode, traversal, encoded NULs, huge numbers, `__proto__`), query strings,
 * content types and extra headers, and bodies (the route's valid body with one field replaced,
 * arbitrary JSON, `__proto__` / `constructor` keys, raw huge numbers, text that is not JSON).
 * Every text carries a marker and an injection string.
 *
 * Properties: never a 5xx; a refusal is problem+json (OperationOutcome on the FHIR route);
 * no answer repeats a marker from its request; referral items and journeys grow only by the
 * new referral ids answered 2xx; nothing pollutes Object.prototype (the handlers run in this
 * process).
 * Seed and run counts are fixed; RELIABILITY_SEED=<n> explores others.
 */
const SEED = Number(process.env.RELIABILITY_SEED ?? 20260105);
const RUNS_PER_ROUTE = 6;
const BATCH = 6;

let tb: JourneyTestbed;
let resources: RouteResources;
let providerKey: string;
let assignee: string;
const savedLimit = process.env.PARTNER_RATE_LIMIT_PER_MINUTE;
const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();

beforeAll(async () => {
  // The runtime's clock stands still: every request of the file is in one rate window.
  process.env.PARTNER_RATE_LIMIT_PER_MINUTE = '1000000';
  tb = await startJourneyTestbed('test-reliability-hostile');
  const { j, area, provider } = tb;
  const referralId = await j.refer();
  const task = (await j.liveTask(referralId, 'first_contact'))!;
  assignee = task.assignee!;
  const withOnward = await j.refer();
  await j.complete(withOnward, 'first_contact', results.firstContact('engaged'));
  const webhook = area.services.find((s) => s.referral.channel === 'webhook')!.id;
  await j.complete(withOnward, 'assessment', results.assessment([webhook]));
  const [sent] = provider.received;
  providerKey = sent!.body.respondTo.key;
  resources = { referralId, taskId: task.taskId, onwardReferralId: sent!.body.onwardReferralId, otherCoach: area.coaches.find((c) => c.id !== assignee)!.id };
});
afterAll(async () => {
  await tb?.stop();
  if (savedLimit === undefined) delete process.env.PARTNER_RATE_LIMIT_PER_MINUTE;
  else process.env.PARTNER_RATE_LIMIT_PER_MINUTE = savedLimit;
});

// -----------------------------------------------------------------------------------------------
// What is sent

const injections = [
  "' OR '1'='1' --",
  '"; DROP TABLE referrals; --',
  '<script>alert(1)</script>',
  '${jndi:ldap://example.invalid/a}',
  '{{7*7}}',
  '../../../../etc/passwd',
  '\u0000\u0007\u001b[31m',
  '\u202e\u200b\ufeff',
  '𝕳𝖊𝖑𝖑𝖔 👩‍⚕️ ﷽',
  '{"$gt":""}',
  '%00%0d%0aSet-Cookie: a=b',
  'a'.repeat(10_000),
];
const marker = fc.stringMatching(/^[a-z0-9]{10}$/).map((s) => `MK${s}`);
const hostileText = fc
  .tuple(marker, fc.oneof(fc.constantFrom(...injections), fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 40 })))
  .map(([m, text]) => `${m}${text}`);
/** A JSON value as raw text, so `__proto__` keys and number tokens JSON.stringify would drop survive. */
const hostileJsonText: fc.Arbitrary<string> = fc.oneof(
  hostileText.map((t) => JSON.stringify(t)),
  fc.constantFrom('1e309', '-1e309', '-0', '9'.repeat(400), '123456789012345678901234567890', '0.1e-400', 'null', 'true', '[]', '{}'),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
  hostileText.map((t) => `{"__proto__":{"polluted":${JSON.stringify(t)}},"constructor":{"prototype":{"polluted":true}}}`),
  fc.constant(`${'['.repeat(5000)}${']'.repeat(5000)}`),
);

/** The valid body with the value at one top-level field replaced, or a key added. */
function replaceField(valid: unknown, field: number, value: string, add: string | undefined): string {
  if (valid === null || typeof valid !== 'object' || Array.isArray(valid)) return value;
  const entries = Object.entries(valid).map(([k, v]) => [k, JSON.stringify(v)] as [string, string]);
  if (add !== undefined) entries.push([add, value]);
  else if (entries.length) entries[field % entries.length]![1] = value;
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
}

interface Sent {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

/** Header values must be Latin-1 for fetch: the hostile text's code points folded into that range. */
const latin1 = (text: string) => text.replace(/[^\x20-\x7e\xa0-\xff]/g, '?').slice(0, 2000);

function requestArbitrary(route: ApiRoute): fc.Arbitrary<Sent> {
  const valid = validRequest(route, resources);
  const params = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  const segment = fc.oneof(
    { arbitrary: fc.constant(undefined), weight: 3 }, // the real resource
    { arbitrary: hostileText.map((t) => encodeURIComponent(t.slice(0, 300))), weight: 2 },
    { arbitrary: fc.constantFrom('__proto__', 'constructor', '..', '%2e%2e', '%00', '%C0%AF', '9'.repeat(400), '-1', 'null', '%F0%9F%92%A9'), weight: 2 },
  );
  const body = fc.oneof(
    { arbitrary: fc.constant(valid.body === undefined ? undefined : JSON.stringify(valid.body)), weight: 1 },
    { arbitrary: fc.tuple(fc.nat(), hostileJsonText, fc.option(fc.constantFrom('__proto__', 'constructor', 'prototype', 'extra'), { freq: 3 })).map(([field, v, add]) => replaceField(valid.body ?? {}, field, v, add ?? undefined)), weight: 4 },
    { arbitrary: hostileJsonText, weight: 2 },
    { arbitrary: hostileText, weight: 1 },
  );
  const contentType = fc.constantFrom(
    valid.headers?.['content-type'] ?? 'application/json',
    'application/json',
    'application/json; charset=utf-16',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/xml',
    '',
  );
  const query = fc.option(
    // Object.prototype names as keys too: the gateway's maps have no prototype, like API Gateway's.
    fc.tuple(fc.constantFrom('limit', 'cursor', 'scope', 'prototype', 'x', '__proto__', 'constructor', 'toString', 'hasOwnProperty'), fc.oneof(hostileText, fc.constantFrom('0', '-1', '1e309', '9'.repeat(50), 'team', 'mine'))),
    { freq: 2 },
  );
  const extraHeader = fc.option(fc.tuple(fc.constantFrom('x-forwarded-for', 'idempotency-key', 'accept', 'x-amz-date', 'origin'), hostileText), { freq: 2 });
  return fc.record({ ids: fc.array(segment, { minLength: params.length, maxLength: params.length }), body, contentType, query, extraHeader }).map(({ ids, body, contentType, query, extraHeader }) => {
    let path = route.path;
    params.forEach((name, i) => {
      path = path.replace(`{${name}}`, ids[i] ?? String(resources[name as keyof RouteResources]));
    });
    if (query) path += `?${encodeURIComponent(query[0])}=${encodeURIComponent(query[1])}`;
    const credential =
      route.auth === 'partner' ? tb.rt.auth(0) : route.auth === 'coach' ? tb.rt.staffAuth(assignee) : { authorization: `Bearer ${providerKey}` };
    const headers: Record<string, string> = { ...credential, ...(contentType ? { 'content-type': contentType } : {}) };
    if (extraHeader) headers[extraHeader[0]] = latin1(extraHeader[1]);
    return { method: route.method, path, headers, ...(route.method === 'GET' || body === undefined ? {} : { body }) };
  });
}

// -----------------------------------------------------------------------------------------------
// What is checked

const tally = { sent: 0, accepted: 0, refused: 0, serverErrors: 0, reflected: 0, stored: 0 };
const seenIds = new Set<string>();
const problems: string[] = [];

async function sendBatch(route: ApiRoute, batch: Sent[]): Promise<void> {
  const { rt } = tb;
  await rt.engine.idle();
  const itemsBefore = await rt.countReferralItems();
  const journeysBefore = rt.engine.listExecutions().length;
  const answers = await Promise.all(
    batch.map(async (req) => {
      const res = await fetch(`${rt.gatewayUrl}${req.path}`, {
        method: req.method,
        headers: req.headers,
        ...(req.body === undefined ? {} : { body: new TextEncoder().encode(req.body) }),
        redirect: 'manual',
        signal: AbortSignal.timeout(30_000),
      });
      return { req, status: res.status, contentType: res.headers.get('content-type') ?? '', text: `${await res.text()}\n${[...res.headers].join('\n')}` };
    }),
  );
  await rt.engine.idle();
  let newIds = 0;
  for (const { req, status, contentType, text } of answers) {
    tally.sent++;
    const what = `${req.method} ${req.path.slice(0, 200)} ${JSON.stringify(req.headers).slice(0, 300)} ${String(req.body).slice(0, 300)} → ${status} ${text.slice(0, 300)}`;
    if (status >= 500) {
      tally.serverErrors++;
      problems.push(`5xx: ${what}`);
    }
    if (status >= 200 && status < 300) {
      tally.accepted++;
      // JSON answers name it; the FHIR answer's Location header links to it.
      const id = /"referralId":"([0-9a-f-]{36})"|\/v1\/referrals\/([0-9a-f-]{36})/.exec(text)?.slice(1).find(Boolean);
      if ((routeKey(route) === 'POST /v1/referrals' || route.function === 'fhir-intake') && id && !seenIds.has(id)) {
        seenIds.add(id);
        newIds++;
      }
    } else {
      tally.refused++;
      if (status >= 400 && !/application\/(problem|fhir)\+json/.test(contentType)) problems.push(`not a problem document: ${what}`);
    }
    const markers = new Set(`${req.path} ${JSON.stringify(req.headers)} ${req.body ?? ''}`.match(/MK[a-z0-9]{10}/g) ?? []);
    const decoded = safeDecode(text);
    const echoed = [...markers].filter((m) => text.includes(m) || decoded.includes(m));
    if (echoed.length) {
      tally.reflected++;
      problems.push(`reflected ${echoed.join(',')}: ${what}`);
    }
  }
  const grew = (await rt.countReferralItems()) - itemsBefore;
  const started = rt.engine.listExecutions().length - journeysBefore;
  // Linked referrals (the same person) are stored without a journey; none are sent here.
  if (grew !== newIds || started !== newIds) {
    tally.stored += Math.max(0, grew - newIds);
    problems.push(`${routeKey(route)}: ${grew} referral items and ${started} journeys for ${newIds} new ids answered 2xx`);
  }
  const pollution = Object.getOwnPropertyNames(Object.prototype).sort();
  if (JSON.stringify(pollution) !== JSON.stringify(prototypeKeys)) problems.push(`Object.prototype polluted: ${pollution.join(',')}`);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

it('every route, fuzzed: no 5xx, refusals as problem documents, no input reflected, nothing stored from a refusal', { timeout: 600_000 }, async () => {
  const routes = (apiRoutes as readonly ApiRoute[]).filter((r) => !('page' in r));
  for (const [i, route] of routes.entries()) {
    await fc.assert(
      fc.asyncProperty(fc.array(requestArbitrary(route), { minLength: BATCH, maxLength: BATCH }), async (batch) => {
        await sendBatch(route, batch);
      }),
      { seed: SEED + i, numRuns: RUNS_PER_ROUTE, endOnFailure: true },
    );
  }
  console.log(
    `hostile-input (every route): ${routes.length} routes, ${tally.sent} sent, ${tally.accepted} accepted, ${tally.refused} refused, ` +
      `${tally.serverErrors} 5xx, ${tally.reflected} reflected, ${tally.stored} stored from refusals`,
  );
  expect(problems).toEqual([]);
});
