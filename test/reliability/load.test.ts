import { afterAll, beforeAll, expect, it } from 'vitest';
import { nhsNumberFor, validReferral } from '../fixtures/referrals.ts';
import { registerTestPartners, type TestPartner } from '../support/partners.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';

/**
 * Load: a burst of 1,000 referrals from 20 partners at once over HTTP, 10% sent twice with the
 * same Idempotency-Key and 5% twice without one (same body), each pair at the same moment.
 * Every referral answered 202 has one referral item and one journey; the table holds exactly
 * as many referral items as referrals were accepted; no answer is a 5xx.
 *
 * A 409 (the same key still in progress) or a 429 (the partner's per-minute limit) is a refusal,
 * not a loss: it is counted and the request sent again, as a partner would. The runtime's clock
 * stands still, so every request is in one rate window: 20 partners × ~58 requests stay under
 * the default 120 a minute, and a 429 moves the clock to the next minute before the retry.
 */
const PARTNERS = 20;
const REFERRALS = 1000;
const WITH_KEY_TWICE = 100;
const WITHOUT_KEY_TWICE = 50;
const REQUEST_TIMEOUT_MS = 60_000;
const MAX_TRIES = 20;

let rt: TestRuntime;
let partners: TestPartner[];

beforeAll(async () => {
  rt = await startTestRuntime('south-yorkshire');
  partners = await registerTestPartners(PARTNERS, 'load-partner');
});
afterAll(async () => {
  await rt?.stop();
});

interface Planned {
  readonly index: number;
  readonly partner: TestPartner;
  readonly body: string;
  readonly idempotencyKey?: string;
  readonly twice: boolean;
}

/** Referral i is person i (distinct NHS number and name), partner i mod 20; the first 150 are repeated. */
function plan(): Planned[] {
  return Array.from({ length: REFERRALS }, (_, index) => {
    const body = JSON.stringify(
      // The load partners are employers (registerTestPartners): each sends what an employer may.
      validReferral({ source: 'employer', participant: { givenName: `Load${index}`, familyName: 'Burst', nhsNumber: nhsNumberFor(900_000 + index) } }),
    );
    const withKey = index < WITH_KEY_TWICE;
    const withoutKey = index >= WITH_KEY_TWICE && index < WITH_KEY_TWICE + WITHOUT_KEY_TWICE;
    return {
      index,
      partner: partners[index % PARTNERS]!,
      body,
      twice: withKey || withoutKey,
      // Half of the referrals sent once carry a key too, as some partners' systems do.
      ...(withKey || (!withoutKey && index % 2 === 0) ? { idempotencyKey: `load-${index}` } : {}),
    };
  });
}

const tally = { requests: 0, serverErrors: 0, inProgress: 0, rateLimited: 0, other: new Map<number, number>() };

/** Sends until the referral is answered 202 (refusals counted); returns the referral id. */
async function send(p: Planned, idempotencyKey: string | undefined): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    tally.requests++;
    const res = await fetch(`${rt.gatewayUrl}/v1/referrals`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...p.partner.auth, ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}) },
      body: p.body,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await res.text();
    if (res.status === 202) return (JSON.parse(text) as { referralId: string }).referralId;
    if (res.status >= 500) tally.serverErrors++;
    else if (res.status === 409) tally.inProgress++;
    else if (res.status === 429) {
      tally.rateLimited++;
      rt.clock.advance(Number(res.headers.get('retry-after') ?? 60) * 1000);
    } else tally.other.set(res.status, (tally.other.get(res.status) ?? 0) + 1);
    if (attempt >= MAX_TRIES || ![409, 429, 503].includes(res.status)) {
      throw new Error(`referral ${p.index} answered ${res.status} after ${attempt} tries: ${text.slice(0, 300)}`);
    }
    await new Promise((r) => setTimeout(r, 50 * attempt));
  }
}

it('1,000 referrals from 20 partners at once, 15% sent twice: one journey each, none lost, none duplicated', { timeout: 600_000 }, async () => {
  const started = performance.now();
  const planned = plan();
  const byPartner = partners.map((partner) => planned.filter((p) => p.partner === partner));
  // Each partner sends its referrals one after another; the 20 partners at once. A repeated
  // referral goes at the same moment as its first copy (with the same key, or the same body).
  const answers = new Map<number, string[]>();
  await Promise.all(
    byPartner.map(async (mine) => {
      for (const p of mine) {
        const copies = p.twice ? [p.idempotencyKey, p.idempotencyKey] : [p.idempotencyKey];
        answers.set(p.index, await Promise.all(copies.map((key) => send(p, key))));
      }
    }),
  );
  await rt.engine.idle();
  const seconds = (performance.now() - started) / 1000;

  const accepted = new Set([...answers.values()].flat());
  const repeatsAnsweredAlike = [...answers.values()].filter((ids) => ids.length === 2 && ids[0] === ids[1]).length;
  const executions = rt.engine.listExecutions();
  const journeysPer = new Map<string, number>();
  for (const ex of executions) journeysPer.set(ex.name, (journeysPer.get(ex.name) ?? 0) + 1);
  const lost = [...accepted].filter((id) => !journeysPer.has(id)).length;
  const duplicated = [...journeysPer.values()].filter((n) => n > 1).length + executions.filter((ex) => !accepted.has(ex.name)).length;
  const stored = await rt.countReferralItems();
  const failed = executions.filter((ex) => ex.status === 'FAILED' || ex.status === 'TIMED_OUT').length;

  console.log(
    `load: ${REFERRALS} sent, ${accepted.size} accepted, ${journeysPer.size} journeys, ${lost} lost, ${stored - accepted.size + duplicated} duplicated` +
      ` (${tally.requests} requests, ${WITH_KEY_TWICE + WITHOUT_KEY_TWICE} repeats of which ${repeatsAnsweredAlike} answered with the first id,` +
      ` ${tally.inProgress} 409 retried, ${tally.rateLimited} 429, ${tally.serverErrors} 5xx, ${stored} referral items, ${failed} journeys failed, ${seconds.toFixed(0)} s)`,
  );
  expect(tally.serverErrors).toBe(0);
  expect(Object.fromEntries(tally.other)).toEqual({});
  expect(accepted.size).toBe(REFERRALS);
  expect(repeatsAnsweredAlike).toBe(WITH_KEY_TWICE + WITHOUT_KEY_TWICE);
  expect(lost).toBe(0);
  expect(duplicated).toBe(0);
  expect(journeysPer.size).toBe(accepted.size);
  expect(stored).toBe(accepted.size);
  expect(failed).toBe(0);
});
