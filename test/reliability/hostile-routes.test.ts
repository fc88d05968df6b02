import { request as httpRequest } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ApiRoute, apiRoutes } from '../../functions/api-routes.ts';
import { findReferralByReference, findTaskById, getReferral } from '../../functions/shared/referral-store.ts';
import { type JourneyTestbed, results, startJourneyTestbed } from '../support/journey.ts';
import { newProviderPageKey } from '../../functions/shared/provider-page-key.ts';
import { type PageResources, providerPagePath, routeKey, type RouteResources, validPageRequest, validRequest } from '../support/route-requests.ts';
import { getPage, postForm, selfReferralAnswers, SELF_REFERRAL_COOKIE, cookieSet, signInStaff, walkSelfReferral } from '../support/web-pages.ts';

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

// -----------------------------------------------------------------------------------------------
// The web pages (`page: true`): the self-referral form, the coach workspace and the assets, as
// their rightful visitor (the form's session and CSRF token; a signed-in coach), with hostile
// path segments, queries, cookies, headers, content types and urlencoded form bodies.
//
// Properties: never a 5xx; refusals are HTML pages with the security headers (the gateway's own
// refusals problem+json, a missing asset plain text) with a 4xx status, redirects 303 to a site
// path; hostile text may come back only HTML-escaped (GOV.UK forms show an answer again in its
// input): never a raw `<`, `>` or quote right after a marker, no marker in a tag, a URL or any
// header; referral items and journeys grow only by completed self-referrals, a task completes
// only from a valid form; Object.prototype unpolluted.

const WEB_RUNS_PER_ROUTE = 5;
const WEB_BATCH = 4;

const pageInjections = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "'><svg onload=alert(1)>",
  '</textarea><script>alert(1)</script>',
  '" autofocus onfocus="alert(1)',
  'javascript:alert(1)//',
  '<a href="https://evil.example/">x</a>',
  '&lt;script&gt;&#60;img&#62;',
  ...injections,
];
const pageText = fc
  .tuple(marker, fc.oneof({ arbitrary: fc.constantFrom(...pageInjections), weight: 4 }, { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 1 }, { arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }), weight: 1 }))
  .map(([m, text]) => `${m}${text}`.toWellFormed());

const selfReferralSlugs = ['postcode', 'date-of-birth', 'work-situation', 'last-worked', 'name', 'contact-method', 'email', 'phone', 'conditions', 'health-details', 'support', 'other-needs', 'consent', 'check-answers', 'not-eligible', 'confirmation'];
const coachPages = ['tasks', 'team', 'waitlist', 'sign-in', 'sign-out', 'signed-in', 'signed-out'];
const assetPaths = ['govuk-frontend.min.css', 'govuk-frontend.min.js', 'workwell.css', 'workwell-init.js'];

interface PageSent {
  readonly method: 'GET' | 'POST';
  /** With `{taskId}`, `{referralId}` where the real resource goes (they change between batches). */
  readonly path: string;
  /** The self-referral page whose session it is sent with. */
  readonly slug: string;
  readonly session: 'right' | 'none' | 'prefixed' | 'suffixed';
  readonly hostileCookie: string;
  readonly csrf: 'right' | 'missing' | 'wrong' | 'hostile';
  readonly contentType: string;
  readonly form?: [string, string][];
  readonly rawBody?: string;
  readonly extraHeader?: [string, string];
  /** Every hostile text the request carries. */
  readonly hostile: string[];
}

/** The form a page's rightful visitor would post. */
function baseForm(route: ApiRoute, slug: string): Record<string, string | string[]> {
  if (route.function === 'web-self-referral') return Object.fromEntries(selfReferralAnswers(0))[slug] ?? {};
  return { ...(validPageRequest(route, web).form ?? {}) };
}

function pageRequestArbitrary(route: ApiRoute): fc.Arbitrary<PageSent> {
  const params = [...route.path.matchAll(/\{(\w+)\+?\}/g)].map((m) => m[1]!);
  const hostileSegment = fc.oneof(
    pageText.map((t) => encodeURIComponent(t.slice(0, 300))),
    fc.constantFrom('__proto__', 'constructor', 'toString', '..', '%2e%2e', '%00', '%C0%AF', '9'.repeat(400), '%F0%9F%92%A9', '%3Cscript%3E', '..%2f..%2fpackage.json', 'a/../../package.json'),
  );
  const realSegment = (name: string) =>
    name === 'page'
      ? fc.constantFrom(...(route.function === 'web-self-referral' ? selfReferralSlugs : coachPages))
      : name === 'proxy'
        ? fc.constantFrom(...assetPaths, 'images/favicon.ico', 'fonts/../govuk-frontend.min.css')
        : fc.constant(`{${name}}`);
  const segments = fc.tuple(...params.map((name) => fc.oneof({ arbitrary: realSegment(name), weight: 3 }, { arbitrary: hostileSegment, weight: 1 })));
  const query = fc.option(fc.tuple(fc.constantFrom('code', 'state', 'page', 'next', 'returnTo', '__proto__', 'constructor', 'scope'), pageText), { freq: 3 });
  const extraHeader = fc.option(fc.tuple(fc.constantFrom('x-forwarded-for', 'origin', 'referer', 'accept', 'accept-language', 'x-forwarded-host'), pageText), { freq: 3 });
  const field = fc.constantFrom('__proto__', 'constructor', '__proto__[polluted]', 'constructor[prototype][polluted]', 'toString', 'website', 'staffId', 'csrfToken', 'postcode', 'givenName', 'healthDetails', 'note', 'outcome');
  return fc
    .record({
      segments,
      query,
      extraHeader,
      session: fc.constantFrom<PageSent['session']>('right', 'right', 'right', 'right', 'right', 'none', 'prefixed', 'suffixed'),
      hostileCookie: fc.tuple(fc.constantFrom('__proto__', 'constructor', STAFF_COOKIE_NAME, SELF_REFERRAL_COOKIE), pageText).map(([k, v]) => `${k}=${latin1(v).replace(/[;,\s]/g, '')}`),
      csrf: fc.constantFrom<PageSent['csrf']>('right', 'right', 'right', 'right', 'right', 'missing', 'wrong', 'hostile'),
      contentType: fc.constantFrom('application/x-www-form-urlencoded', 'application/x-www-form-urlencoded', 'application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; charset=utf-16', 'APPLICATION/X-WWW-FORM-URLENCODED', 'multipart/form-data; boundary=x', 'application/json', 'text/plain', ''),
      change: fc.oneof(
        { arbitrary: fc.constant({ kind: 'none' as const }), weight: 2 },
        { arbitrary: fc.record({ kind: fc.constant('one' as const), at: fc.nat(), value: pageText }), weight: 4 },
        { arbitrary: fc.record({ kind: fc.constant('add' as const), key: field, value: pageText }), weight: 2 },
        { arbitrary: fc.record({ kind: fc.constant('every' as const), values: fc.array(pageText, { minLength: 12, maxLength: 12 }) }), weight: 2 },
        { arbitrary: fc.record({ kind: fc.constant('raw' as const), body: fc.oneof(pageText, fc.constant(`a=${'x'.repeat(40_000)}`), fc.constant('a=%E0%A4%A&b=%&=&&==')) }), weight: 1 },
      ),
    })
    .map(({ segments, query, extraHeader, session, hostileCookie, csrf, contentType, change }) => {
      const hostile: string[] = [];
      let path = route.path;
      const ids = segments as readonly string[];
      params.forEach((name, i) => {
        path = path.replace(new RegExp(`\\{${name}\\+?\\}`), ids[i]!);
        if (ids[i]!.includes('MK')) hostile.push(decodeURIComponent(ids[i]!));
      });
      const slug = route.function === 'web-self-referral' && ids[0] && selfReferralSlugs.includes(ids[0]) ? ids[0] : 'check-answers';
      if (query) {
        path += `?${encodeURIComponent(query[0])}=${encodeURIComponent(query[1])}`;
        hostile.push(query[1]);
      }
      if (extraHeader) hostile.push(latin1(extraHeader[1]));
      if (session === 'prefixed' || session === 'suffixed') hostile.push(hostileCookie.slice(hostileCookie.indexOf('=') + 1));
      if (route.method === 'GET') return { method: 'GET', path, slug, session, hostileCookie, csrf, contentType, hostile, ...(extraHeader ? { extraHeader: [extraHeader[0], latin1(extraHeader[1])] as [string, string] } : {}) };
      const entries = Object.entries(baseForm(route, slug)).flatMap(([k, v]) => (typeof v === 'string' ? [[k, v]] : v.length ? v.map((x) => [k, x]) : [[k, '']])) as [string, string][];
      let form: [string, string][] | undefined = entries;
      let rawBody: string | undefined;
      if (change.kind === 'one' && entries.length) entries[change.at % entries.length]![1] = change.value;
      if (change.kind === 'one' && !entries.length) entries.push(['answer', change.value]);
      if (change.kind === 'add') entries.push([change.key, change.value]);
      if (change.kind === 'every') entries.forEach((e, i) => (e[1] = change.values[i % change.values.length]!));
      if (change.kind === 'raw') {
        form = undefined;
        rawBody = change.body;
      }
      for (const [, v] of form ?? []) if (v.includes('MK')) hostile.push(v);
      if (rawBody?.includes('MK')) hostile.push(rawBody);
      if (csrf === 'hostile') hostile.push('MKcsrf000000<script>');
      return {
        method: 'POST',
        path,
        slug,
        session,
        hostileCookie,
        csrf,
        contentType,
        hostile,
        ...(form ? { form } : {}),
        ...(rawBody !== undefined ? { rawBody } : {}),
        ...(extraHeader ? { extraHeader: [extraHeader[0], latin1(extraHeader[1])] as [string, string] } : {}),
      };
    });
}

const STAFF_COOKIE_NAME = 'workwell_staff';

/** The web resources of the current batch: sessions are made afresh, the task replaced once done. */
let web: PageResources & { assignee: string; selfReferralAt: Map<string, string>; foreignCsrf: string };
let webPeople = 0;

async function prepareWeb(route: ApiRoute): Promise<void> {
  const { rt, j } = tb;
  let taskId = web?.taskId ?? resources.taskId;
  let referralId = web?.referralId ?? resources.referralId;
  let staffId = web?.assignee ?? assignee;
  const task = await findTaskById(taskId);
  if (!task || (task.status !== 'open' && task.status !== 'overdue')) {
    referralId = await j.refer();
    const live = (await j.liveTask(referralId, 'first_contact'))!;
    taskId = live.taskId;
    staffId = live.assignee!;
  }
  let walk = { csrf: web?.selfReferral.csrf ?? '', at: web?.selfReferralAt ?? new Map<string, string>() };
  if (route.function === 'web-self-referral' || !web) {
    // Form posts are limited per client and minute: each batch in a window of its own.
    rt.clock.advance(61_000);
    walk = await walkSelfReferral(rt.gatewayUrl, 5000 + ++webPeople);
  }
  const coach = await signInStaff(rt.gatewayUrl, staffId);
  web = {
    referralId,
    taskId,
    assignee: staffId,
    coach,
    selfReferral: { cookie: walk.at.get('postcode')!, csrf: walk.csrf },
    selfReferralAt: walk.at,
    foreignCsrf: (await signInStaff(rt.gatewayUrl, tb.area.teamLeads[0]!.id)).csrf,
    provider: { onwardReferralId: resources.onwardReferralId, ...newProviderPageKey(resources.onwardReferralId, new Date()) },
  };
  if (route.function === 'web-provider') {
    // The provider has answered for good (declined, or completed after attending): nothing a
    // fuzzed form sends may change it, so any change would be a refusal that stored something.
    for (const status of ['declined', 'completed']) {
      await fetch(`${rt.gatewayUrl}/v1/onward-referrals/${resources.onwardReferralId}/status`, {
        method: 'POST',
        headers: { authorization: `Bearer ${providerKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ status }),
      });
    }
  }
}

interface RawAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** node:http, not fetch: the path goes exactly as written (no dot-segment normalising). */
function rawSend(method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<RawAnswer> {
  const url = new URL(tb.rt.gatewayUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) }, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.end(body);
  });
}

const webTally = { sent: 0, ok: 0, redirected: 0, refused: 0, serverErrors: 0, echoedEscaped: 0, unescaped: 0, inUrlOrHeader: 0, storedFromRefusals: 0, referralsSent: 0, tasksCompleted: 0, storedXssPages: 0 };
const webProblems: string[] = [];
const MARKER = /MK[a-z0-9]{10}/g;

/** The hostile text's first HTML-special character right after its marker means it was not escaped. */
function unescapedIn(body: string, hostile: readonly string[]): string[] {
  const found: string[] = [];
  for (const value of hostile) {
    for (const m of value.matchAll(MARKER)) {
      const rest = value.slice(m.index + m[0].length);
      const special = rest.search(/[<>"'`]/);
      if (special >= 0 && body.includes(`${m[0]}${rest.slice(0, special + 1)}`)) found.push(m[0]);
    }
  }
  // Inside a quoted attribute value a marker is harmless (quotes are escaped, so it cannot close
  // the value): only one left in a tag once every quoted value is taken out was injected.
  if (/<(script|img|svg|iframe|a|input|textarea)\b[^>]*MK[a-z0-9]{10}/i.test(body.replace(/="[^"]*"/g, '=""'))) found.push('marker inside a tag');
  if (/MK[a-z0-9]{10}[^<]*<(script|img|svg|iframe)\b/i.test(body)) found.push('markup after a marker');
  return found;
}

function checkPageAnswer(route: ApiRoute, req: PageSent | { method: string; path: string; hostile: string[] }, answer: RawAnswer): void {
  const { status, headers, body } = answer;
  const type = String(headers['content-type'] ?? '');
  const what = `${req.method} ${req.path.slice(0, 200)} ${JSON.stringify(req).slice(0, status >= 500 ? 3000 : 400)} → ${status} ${type} ${String(headers.location ?? '')} ${body.slice(0, 200)}`;
  webTally.sent++;
  const isPage = type.startsWith('text/html') && String(headers['content-security-policy'] ?? '').includes("default-src 'self'") && headers['cache-control'] === 'no-store';
  if (status >= 500) {
    webTally.serverErrors++;
    webProblems.push(`5xx: ${what}`);
  } else if (status >= 400) {
    webTally.refused++;
    const gatewayRefusal = type.startsWith('application/problem+json') && [400, 404, 405, 413].includes(status);
    const missingAsset = route.function === 'web-assets' && status === 404 && type.startsWith('text/plain');
    if (![400, 401, 403, 404, 405, 409, 413, 429].includes(status) || !(isPage || gatewayRefusal || missingAsset)) webProblems.push(`not a proper refusal: ${what}`);
  } else if (status >= 300) {
    webTally.redirected++;
    const location = String(headers.location ?? '');
    if (status !== 303 || !/^\/(self-referral|coach)(\/[a-z-]+)*(\/[A-Za-z0-9_-]+)?$/.test(location)) webProblems.push(`not a redirect to a site page: ${what}`);
  } else {
    webTally.ok++;
    if (route.function !== 'web-assets' && !isPage) webProblems.push(`a page without its security headers: ${what}`);
  }
  const markers = new Set(req.hostile.flatMap((h) => h.match(MARKER) ?? []));
  const headerText = JSON.stringify(headers);
  const inHeaders = [...markers].filter((m) => headerText.includes(m) || safeDecode(headerText).includes(m));
  const inUrls = [...body.matchAll(/(?:href|src|action|formaction)\s*=\s*"([^"]*)"/gi)].map((u) => safeDecode(u[1]!)).filter((u) => [...markers].some((m) => u.includes(m)));
  if (inHeaders.length || inUrls.length) {
    webTally.inUrlOrHeader++;
    webProblems.push(`marker in a header or URL (${[...inHeaders, ...inUrls].join(', ')}): ${what}`);
  }
  if ([...markers].some((m) => body.includes(m))) webTally.echoedEscaped++;
  const unescaped = unescapedIn(body, req.hostile);
  if (unescaped.length) {
    webTally.unescaped++;
    webProblems.push(`unescaped ${unescaped.join(', ')}: ${what}`);
  }
}

async function sendPageBatch(route: ApiRoute, batch: PageSent[]): Promise<void> {
  const { rt } = tb;
  await prepareWeb(route);
  await rt.engine.idle();
  const itemsBefore = await rt.countReferralItems();
  const journeysBefore = rt.engine.listExecutions().length;
  const taskBefore = (await findTaskById(web.taskId))?.status;
  const answers = await Promise.all(
    batch.map(async (req) => {
      let path = req.path.replaceAll('{taskId}', web.taskId).replaceAll('{referralId}', web.referralId).replaceAll('{onwardReferralId}', web.provider.onwardReferralId);
      // A provider's page opens with its link's key: the fuzzed query comes on top.
      if (route.function === 'web-provider' && req.method === 'GET') path += `${path.includes('?') ? '&' : '?'}${providerPagePath(web.provider).split('?')[1]}`;
      const own = route.function === 'web-coach' ? web.coach : { cookie: web.selfReferralAt.get(req.slug) ?? web.selfReferralAt.get('check-answers')!, csrf: web.selfReferral.csrf };
      const cookie = { right: own.cookie, none: '', prefixed: `${req.hostileCookie}; ${own.cookie}`, suffixed: `${own.cookie}; ${req.hostileCookie}` }[req.session];
      const csrf = { right: own.csrf, missing: undefined, wrong: web.foreignCsrf, hostile: 'MKcsrf000000<script>' }[req.csrf];
      const headers: Record<string, string> = { ...(cookie ? { cookie } : {}), ...(req.extraHeader ? { [req.extraHeader[0]]: req.extraHeader[1] } : {}) };
      let body: Buffer | undefined;
      if (req.method === 'POST') {
        if (req.contentType) headers['content-type'] = req.contentType;
        const params = new URLSearchParams(req.form ?? []);
        if (csrf !== undefined) params.append('csrfToken', csrf);
        body = Buffer.from(req.rawBody ?? params.toString());
      }
      return { req: { ...req, path }, answer: await rawSend(req.method, path, headers, body) };
    }),
  );
  await rt.engine.idle();
  for (const { req, answer } of answers) checkPageAnswer(route, req, answer);
  // Only a completed self-referral stores anything: one referral per form session, however often sent.
  const sentReferral = answers.some(({ req, answer }) => req.method === 'POST' && req.path.startsWith('/self-referral/check-answers') && answer.status === 303 && answer.headers.location === '/self-referral/confirmation');
  const grew = (await rt.countReferralItems()) - itemsBefore;
  const started = rt.engine.listExecutions().length - journeysBefore;
  const expected = route.function === 'web-self-referral' && sentReferral ? 1 : 0;
  webTally.referralsSent += Math.min(grew, expected);
  if (grew !== expected || started !== expected) {
    webTally.storedFromRefusals += Math.max(0, grew - expected);
    webProblems.push(`${routeKey(route)}: ${grew} referral items and ${started} journeys for ${expected} completed self-referrals`);
  }
  // A task completes only from a valid form of its coach: then its page redirects to the referral.
  const completions = answers.filter(({ answer }) => answer.status === 303 && String(answer.headers.location).startsWith('/coach/referrals/')).length;
  const taskAfter = (await findTaskById(web.taskId))?.status;
  if (taskBefore !== taskAfter) webTally.tasksCompleted++;
  if ((taskBefore !== taskAfter) !== completions > 0 || completions > 1) webProblems.push(`${routeKey(route)}: task ${taskBefore} → ${taskAfter} with ${completions} completions answered`);
  const pollution = Object.getOwnPropertyNames(Object.prototype).sort();
  if (JSON.stringify(pollution) !== JSON.stringify(prototypeKeys)) webProblems.push(`Object.prototype polluted: ${pollution.join(',')}`);
}

/** A self-referral carrying markup in what it may: shown back escaped on the form, and to the coach. */
async function storedMarkup(): Promise<void> {
  const { rt } = tb;
  rt.clock.advance(61_000);
  const hostile = ['MKstoredxss1<script>alert(1)</script>', 'MKstoredxss2"><img src=x onerror=alert(1)>', 'MKstoredxss3</textarea><script>alert(1)</script>'];
  const itemsBefore = await rt.countReferralItems();
  const walk = await walkSelfReferral(rt.gatewayUrl, 5000 + ++webPeople, { givenName: hostile[0]!, familyName: hostile[1]!, healthDetails: hostile[2]! });
  const check = await getPage(rt.gatewayUrl, '/self-referral/check-answers', walk.at.get('check-answers'));
  checkPageAnswer(routeOf('GET /self-referral/{page}'), { method: 'GET', path: '/self-referral/check-answers', hostile }, await asRaw(check));
  const sent = await postForm(rt.gatewayUrl, '/self-referral/check-answers', { csrfToken: walk.csrf, website: '' }, walk.at.get('check-answers'));
  const confirmation = await getPage(rt.gatewayUrl, '/self-referral/confirmation', cookieSet(sent, SELF_REFERRAL_COOKIE));
  const confirmationPage = await confirmation.text();
  // The confirmation shows the short reference; the referral is found by it.
  const reference = /<strong class="workwell-reference">([^<]+)<\/strong>/.exec(confirmationPage)?.[1];
  const referralId = reference ? (await findReferralByReference(reference))?.referralId : undefined;
  await rt.engine.idle();
  const grew = (await rt.countReferralItems()) - itemsBefore;
  if (sent.status !== 303 || !referralId || grew !== 1) {
    webProblems.push(`a self-referral with markup in its answers not sent: ${sent.status} ${sent.headers.get('location')}, confirmation ${confirmation.status}, ${grew} stored`);
    return;
  }
  webTally.referralsSent++;
  const referral = await getReferral(referralId);
  if (!referral) {
    webProblems.push(`the confirmation's reference ${referralId} is not a referral`);
    return;
  }
  const viewer = await signInStaff(rt.gatewayUrl, referral.coachId ?? tb.area.teamLeads[0]!.id);
  const pages = [`/coach/referrals/${referralId}`];
  const task = await tb.j.liveTask(referralId, referral.coachId ? 'first_contact' : 'needs_review');
  if (task) pages.push(`/coach/tasks/${task.taskId}`);
  for (const path of pages) {
    const raw = await asRaw(await getPage(rt.gatewayUrl, path, viewer.cookie));
    if (raw.status !== 200 || !raw.body.includes('MKstoredxss1')) webProblems.push(`${path} as the referral's coach: ${raw.status}, the name not shown`);
    checkPageAnswer(routeOf(path.startsWith('/coach/tasks') ? 'GET /coach/tasks/{taskId}' : 'GET /coach/referrals/{referralId}'), { method: 'GET', path, hostile }, raw);
    webTally.storedXssPages++;
  }
}

const routeOf = (key: string) => (apiRoutes as readonly ApiRoute[]).find((r) => routeKey(r) === key)!;

async function asRaw(res: Response): Promise<RawAnswer> {
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of res.headers) headers[k] = v;
  const cookies = res.headers.getSetCookie();
  if (cookies.length) headers['set-cookie'] = cookies;
  return { status: res.status, headers, body: await res.text() };
}

it('every web page, fuzzed as its rightful visitor: no 5xx, proper refusals, nothing unescaped, nothing stored from a refusal', { timeout: 300_000 }, async () => {
  const routes = (apiRoutes as readonly ApiRoute[]).filter((r) => 'page' in r);
  for (const [i, route] of routes.entries()) {
    await prepareWeb(route);
    await fc.assert(
      fc.asyncProperty(fc.array(pageRequestArbitrary(route), { minLength: WEB_BATCH, maxLength: WEB_BATCH }), async (batch) => {
        await sendPageBatch(route, batch);
      }),
      { seed: SEED + 100 + i, numRuns: WEB_RUNS_PER_ROUTE, endOnFailure: true },
    );
  }
  await storedMarkup();
  const t = webTally;
  console.log(
    `hostile-input (web pages): ${routes.length} routes, ${t.sent} sent, ${t.ok} 2xx, ${t.redirected} redirected, ${t.refused} refused, ${t.serverErrors} 5xx, ` +
      `${t.echoedEscaped} echoed HTML-escaped, ${t.unescaped} unescaped, ${t.inUrlOrHeader} in a URL or header, ${t.storedFromRefusals} stored from refusals, ` +
      `${t.referralsSent} referrals from completed forms, ${t.tasksCompleted} tasks completed by valid forms, ${t.storedXssPages} coach pages showing stored markup escaped`,
  );
  if (webProblems.length) console.log(webProblems.slice(0, 15).join("\n"));
  expect(webProblems).toEqual([]);
  expect(t.sent).toBe(routes.length * WEB_RUNS_PER_ROUTE * WEB_BATCH + 1 + t.storedXssPages);
  expect(t.ok + t.redirected + t.refused + t.serverErrors).toBe(t.sent);
  expect({ serverErrors: t.serverErrors, unescaped: t.unescaped, inUrlOrHeader: t.inUrlOrHeader, storedFromRefusals: t.storedFromRefusals }).toEqual({ serverErrors: 0, unescaped: 0, inUrlOrHeader: 0, storedFromRefusals: 0 });
  // The handlers were reached, hostile answers shown back (escaped), and valid forms did their work.
  expect(t.ok).toBeGreaterThan(0);
  expect(t.redirected).toBeGreaterThan(0);
  expect(t.refused).toBeGreaterThan(0);
  expect(t.echoedEscaped).toBeGreaterThan(0);
  expect(t.referralsSent).toBeGreaterThanOrEqual(1);
  expect(t.storedXssPages).toBeGreaterThanOrEqual(1);
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeys);
});
