/**
 * npm run bench [-- --full]: intake latency, journey throughput, cost per journey and cold
 * starts on the local runtime, each figure next to a baseline measured in the same run.
 * Writes a table to stdout and everything to bench-results/results.json.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { loadArea } from '../areas/index.ts';
import { listOnwardReferrals } from '../functions/shared/onward-referral-store.ts';
import { getReferral, listTasks } from '../functions/shared/referral-store.ts';
import { tableName, journeysTable } from '../functions/shared/tables.ts';
import { completeTask } from '../functions/shared/task-completion.ts';
import type { TaskType } from '../workflows/states.ts';
import { ManualClock } from '../local/clock.ts';
import { startRuntime, type Runtime } from '../local/runtime.ts';
import { referralForNewPerson } from '../test/fixtures/referrals.ts';
import { registerJourneyArea, results } from '../test/support/journey.ts';
import { startLocalProvider, type LocalProvider } from '../test/support/provider.ts';
import { coldStart } from './cold-start.ts';
import { Capacity, Invocations, Transitions } from './instrument.ts';
import { closedLoop, fmt, pool, type LoadResult } from './stats.ts';

const full = process.argv.includes('--full');
const journeyCounts = full ? [100, 1000] : [20, 100];
const intakePlan = full
  ? [
      { concurrency: 1, requests: 300 },
      { concurrency: 16, requests: 1600 },
      { concurrency: 64, requests: 3200 },
    ]
  : [
      { concurrency: 1, requests: 100 },
      { concurrency: 16, requests: 400 },
      { concurrency: 64, requests: 640 },
    ];
const coldRepeats = full ? 5 : 3;

/** List prices, eu-west-2, as of 2026-11-23: list prices to check before quoting. */
const PRICES = {
  asOf: '2026-11-23 (list prices, eu-west-2: check before quoting)',
  stepFunctionsPerTransition: 0.025 / 1000,
  lambdaPerRequest: 0.2 / 1e6,
  lambdaPerGbSecondArm64: 0.0000133334,
  dynamoPerWru: 1.4135 / 1e6,
  dynamoPerRru: 0.283 / 1e6,
  sesPerEmail: 0.1 / 1000,
  schedulerPerInvocation: 1.0 / 1e6,
};
const POPULATIONS = [59_000, 250_000];
const TARGETS = { intakeRatio: 3, journeyFlat: 1.5, transitions: 60, lambdas: 25, costUsd: 0.005, bundleKb: 300, coldRatio: 2 };

const log = (line: string) => process.stderr.write(`${line}\n`);
const WEEK = 7 * 24 * 3600_000;

process.env.PARTNER_RATE_LIMIT_PER_MINUTE = '100000000';
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';

const total = { started: performance.now() };

// ---------------------------------------------------------------- runtime
const provider: LocalProvider = await startLocalProvider();
const base = loadArea('south-yorkshire');
// Enough coaches (at the schema's maximum caseload) that no bench journey waits on the waitlist.
const coaches = Array.from({ length: 8 }, (_, k) =>
  base.coaches.map((c) => ({ ...c, id: `${c.id}-b${k}`, email: c.email.replace('@', `+b${k}@`), maxCaseload: 500 })),
).flat();
const area = registerJourneyArea('bench-journeys', provider.baseUrl, { coaches });
const transitions = new Transitions();
const clock = new ManualClock(Date.UTC(2026, 0, 5, 9, 0, 0));
log(`starting the local runtime (${area.slug}, ${coaches.length} coaches)...`);
const rt: Runtime = await startRuntime({ areaSlug: area.slug, port: 0, retryScale: 0.01, clock, log: transitions.log, schedule: false });
const invocations = new Invocations(rt);
const capacity = new Capacity();
const auth = { authorization: `Bearer ${rt.partners[0]!.token}` };
const benchDoc = DynamoDBDocumentClient.from(
  new DynamoDBClient({ region: 'eu-west-2', endpoint: rt.dynamoDbEndpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
);
const journeys = tableName(area.slug, journeysTable);

const postReferral = (body: unknown) =>
  fetch(`${rt.gatewayUrl}/v1/referrals`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify(body) });

// ---------------------------------------------------------------- 2 + 3: journeys and their cost
interface JourneyRun {
  n: number;
  wallMs: number;
  journeysPerSec: number;
  msPerJourney: number;
  succeeded: number;
  followUpsPerJourney: number;
  perJourney: {
    transitions: number;
    lambdaInvocations: number;
    lambdaInvocationsWithCoachApi: number;
    lambdaGbSeconds: number;
    wru: number;
    rru: number;
    capacityMeasured: boolean;
    emails: number;
  };
  invocationsByFunction: Record<string, number>;
  dynamo: { writeCalls: number; readCalls: number; wcu: number; rcu: number; unreported: number };
}

async function live(referralId: string, type: TaskType) {
  const [latest] = await listTasks(referralId, type);
  return latest && (latest.status === 'open' || latest.status === 'overdue') ? latest : undefined;
}

/** Finds each journey's live task (driver reads, not counted), then completes them (counted). */
async function completeAll(ids: readonly string[], type: TaskType, result: () => unknown): Promise<number> {
  capacity.enabled = false;
  const tasks = await pool(ids, 16, async (id) => ({ id, task: await live(id, type) }));
  capacity.enabled = true;
  const open = tasks.filter((t) => t.task);
  await pool(open, 8, ({ id, task }) => completeTask({ referralId: id, taskId: task!.taskId, result: result(), completedBy: task!.assignee ?? 'coach' }));
  await rt.engine.idle();
  return open.length;
}

async function runJourneys(n: number): Promise<JourneyRun> {
  log(`journeys: ${n}...`);
  await rt.engine.idle();
  invocations.reset();
  capacity.reset();
  capacity.enabled = true;
  const started = performance.now();
  const ids = await pool(Array.from({ length: n }), 8, async () => {
    const res = await postReferral(referralForNewPerson({ health: { conditions: ['musculoskeletal'] } }));
    if (res.status !== 202) throw new Error(`referral refused: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { referralId: string }).referralId;
  });
  await rt.engine.idle();
  let tasksCompleted = 0;
  tasksCompleted += await completeAll(ids, 'first_contact', () => results.firstContact('engaged'));
  tasksCompleted += await completeAll(ids, 'assessment', () => results.assessment(['msk-physiotherapy', 'talking-therapies']));
  capacity.enabled = false;
  const onward = (await pool(ids, 16, (id) => listOnwardReferrals(id))).flat();
  capacity.enabled = true;
  await pool(onward, 8, async (o) => {
    const sent = provider.received.find((r) => r.body.onwardReferralId === o.onwardReferralId);
    if (!sent) throw new Error('provider never received an onward referral');
    const res = await fetch(sent.body.respondTo.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${sent.body.respondTo.key}` },
      body: JSON.stringify({ status: 'accepted' }),
    });
    if (res.status !== 200) throw new Error(`provider answer refused: ${res.status}`);
  });
  await rt.engine.idle();
  let followUps = 0;
  for (let round = 0; round < 12; round++) {
    clock.advance(2 * WEEK);
    await rt.engine.idle();
    const done = await completeAll(ids, 'follow_up', () => results.followUp());
    if (done === 0) break;
    followUps += done;
  }
  tasksCompleted += followUps;
  tasksCompleted += await completeAll(ids, 'outcome', () => results.outcome());
  const wallMs = performance.now() - started;
  capacity.enabled = false;

  const arn = (id: string) => `${rt.stateMachineArn.replace(':stateMachine:', ':execution:')}:${id}`;
  const succeeded = ids.filter((id) => rt.engine.describeExecution(arn(id)).status === 'SUCCEEDED').length;
  const closed = await pool(ids, 16, async (id) => (await getReferral(id))?.status);
  if (succeeded !== n) log(`  warning: ${n - succeeded} of ${n} journeys did not succeed (statuses: ${[...new Set(closed)].join(', ')})`);
  const emails = await pool(ids, 16, async (id) => {
    const out = await benchDoc.send(
      new QueryCommand({
        TableName: journeys,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :n)',
        ExpressionAttributeValues: { ':pk': `REFERRAL#${id}`, ':n': 'NOTIFICATION#' },
        Select: 'COUNT',
      }),
    );
    return out.Count ?? 0;
  });
  const lambdas = invocations.total();
  const intakes = invocations.counts.get('intake') ?? n;
  // Powertools idempotency writes through its own client (not instrumented): a conditional put
  // and an update per intake, each under 1 KB: 2 WRU per intake, estimated.
  const idempotencyWru = 2 * intakes;
  const measured = capacity.unreported === 0 && capacity.writeCalls > 0;
  return {
    n,
    wallMs,
    journeysPerSec: (n / wallMs) * 1000,
    msPerJourney: wallMs / n,
    succeeded,
    followUpsPerJourney: followUps / n,
    perJourney: {
      transitions: transitions.sum(ids) / n,
      lambdaInvocations: lambdas / n,
      // In AWS a coach completes each task through the coach API: complete-task + coach-authorizer.
      lambdaInvocationsWithCoachApi: (lambdas + 2 * tasksCompleted) / n,
      lambdaGbSeconds: invocations.gbSeconds / n,
      wru: (capacity.wcu + idempotencyWru) / n,
      rru: capacity.rcu / n,
      capacityMeasured: measured,
      emails: emails.reduce((a, b) => a + b, 0) / n,
    },
    invocationsByFunction: invocations.byFunction(),
    dynamo: { writeCalls: capacity.writeCalls, readCalls: capacity.readCalls, wcu: capacity.wcu, rcu: capacity.rcu, unreported: capacity.unreported },
  };
}

const journeyRuns: JourneyRun[] = [];
for (const n of journeyCounts) journeyRuns.push(await runJourneys(n));

// ---------------------------------------------------------------- 1: intake vs bare PutItem
const sampleBody = JSON.stringify(referralForNewPerson());
const raw = new DynamoDBClient({ region: 'eu-west-2', endpoint: rt.dynamoDbEndpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
const putItem = async () => {
  await raw.send(
    new PutItemCommand({
      TableName: journeys,
      Item: { pk: { S: `BENCH#${randomUUID()}` }, sk: { S: 'BENCH' }, payload: { S: sampleBody } },
    }),
  );
  return true;
};
const intake = async () => {
  const res = await postReferral(referralForNewPerson());
  await res.arrayBuffer();
  return res.status === 202;
};
log('intake: warm-up...');
await closedLoop(4, 20, intake);
await closedLoop(4, 50, putItem);
await rt.engine.idle();
const intakeRows: { concurrency: number; intake: LoadResult; bare: LoadResult; ratioP50: number }[] = [];
for (const { concurrency, requests } of intakePlan) {
  log(`intake: concurrency ${concurrency}, ${requests} requests...`);
  const bare = await closedLoop(concurrency, Math.min(requests * 2, 2000), putItem);
  const measured = await closedLoop(concurrency, requests, intake);
  await rt.engine.idle();
  intakeRows.push({ concurrency, intake: measured, bare, ratioP50: measured.p50Ms / bare.p50Ms });
}
raw.destroy();
benchDoc.destroy();

await rt.stop();
await provider.stop();

// ---------------------------------------------------------------- 4: cold start
log('cold start: bundling each catalogue function...');
const cold = await coldStart(coldRepeats, log);

// ---------------------------------------------------------------- report
const typical = journeyRuns[journeyRuns.length - 1]!;
const pj = typical.perJourney;
const costParts = {
  stepFunctions: pj.transitions * PRICES.stepFunctionsPerTransition,
  lambdaRequests: pj.lambdaInvocationsWithCoachApi * PRICES.lambdaPerRequest,
  lambdaDuration: pj.lambdaGbSeconds * PRICES.lambdaPerGbSecondArm64,
  dynamoWrites: pj.wru * PRICES.dynamoPerWru,
  dynamoReads: pj.rru * PRICES.dynamoPerRru,
  ses: pj.emails * PRICES.sesPerEmail,
  scheduler: 0,
};
const costPerJourney = Object.values(costParts).reduce((a, b) => a + b, 0);
// The notifier runs every minute per area whatever the number of journeys (EventBridge Scheduler + Lambda).
const fixedPerAreaYear = 525_600 * (PRICES.schedulerPerInvocation + PRICES.lambdaPerRequest);

const lines: string[] = [];
const out = (s = '') => lines.push(s);
const pad = (s: string | number, w: number) => String(s).padStart(w);
const holds = (ok: boolean) => (ok ? 'holds' : 'DOES NOT HOLD');

out(`WorkWell journeys bench (${full ? 'full' : 'default'}) — Node ${process.version}, ${new Date(Date.now()).toISOString()}`);
out();
out('1. Intake: POST /v1/referrals over HTTP vs bare DynamoDB Local PutItem (same endpoint, same item size, same run)');
out(`${'conc'.padStart(5)} ${'reqs'.padStart(5)} ${'err'.padStart(4)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'req/s'.padStart(7)} | ${'put p50'.padStart(8)} ${'put p99'.padStart(8)} ${'put/s'.padStart(7)} | ${'p50 ratio'.padStart(9)}`);
for (const r of intakeRows) {
  out(
    `${pad(r.concurrency, 5)} ${pad(r.intake.requests, 5)} ${pad(r.intake.errors, 4)} ${pad(fmt(r.intake.p50Ms), 8)} ${pad(fmt(r.intake.p99Ms), 8)} ${pad(fmt(r.intake.throughputPerSec), 7)} | ${pad(fmt(r.bare.p50Ms, 2), 8)} ${pad(fmt(r.bare.p99Ms, 2), 8)} ${pad(fmt(r.bare.throughputPerSec), 7)} | ${pad(fmt(r.ratioP50, 2), 8)}x`,
  );
}
out('  (each intake also starts its journey in the same process: triage, coach assignment, first task run alongside)');
out();
out('2. Journeys: complete typical journeys on the manual clock (refer, engaged, assessment + 2 onward referrals accepted, follow-ups, outcome)');
out(`${'N'.padStart(6)} ${'ok'.padStart(6)} ${'wall s'.padStart(8)} ${'journeys/s'.padStart(11)} ${'ms/journey'.padStart(11)} ${'follow-ups'.padStart(11)}`);
for (const r of journeyRuns) {
  out(`${pad(r.n, 6)} ${pad(r.succeeded, 6)} ${pad(fmt(r.wallMs / 1000), 8)} ${pad(fmt(r.journeysPerSec, 2), 11)} ${pad(fmt(r.msPerJourney), 11)} ${pad(fmt(r.followUpsPerJourney), 11)}`);
}
const flatRatio = journeyRuns[1]!.msPerJourney / journeyRuns[0]!.msPerJourney;
out(`  time per journey N=${journeyRuns[1]!.n} / N=${journeyRuns[0]!.n}: ${fmt(flatRatio, 2)}x`);
out();
out(`3. Cost per typical journey (N=${typical.n}); prices ${PRICES.asOf}`);
out(`  state transitions (StateEntered)       ${fmt(pj.transitions)}`);
out(`  Lambda invocations (measured)          ${fmt(pj.lambdaInvocations)}   with coach API for each task (complete-task + authorizer): ${fmt(pj.lambdaInvocationsWithCoachApi)}`);
out(`  Lambda GB-seconds (local durations)    ${fmt(pj.lambdaGbSeconds, 3)}`);
out(
  `  DynamoDB WRU / RRU                     ${fmt(pj.wru)} / ${fmt(pj.rru)}  (${pj.capacityMeasured ? 'ConsumedCapacity reported by DynamoDB Local' : 'ESTIMATED: DynamoDB Local did not report ConsumedCapacity for every call'}; + 2 WRU/intake idempotency records, estimated)`,
);
out(`  emails (outbox items)                  ${fmt(pj.emails)}`);
out(`  invocations by function (N=${typical.n} total): ${Object.entries(typical.invocationsByFunction).map(([k, v]) => `${k} ${v}`).join(', ')}`);
out(
  `  USD per journey: ${costPerJourney.toFixed(5)} = SFN ${costParts.stepFunctions.toFixed(5)} + Lambda ${(costParts.lambdaRequests + costParts.lambdaDuration).toFixed(5)} + DynamoDB ${(costParts.dynamoWrites + costParts.dynamoReads).toFixed(5)} + SES ${costParts.ses.toFixed(5)}`,
);
for (const p of POPULATIONS) out(`  ${p.toLocaleString('en-GB')} people: USD ${(costPerJourney * p).toFixed(2)}`);
out(`  plus per area per year, whatever the volume: notifier every minute (Scheduler + Lambda requests) USD ${fixedPerAreaYear.toFixed(2)}`);
out();
out(`4. Cold start: esbuild bundles (minified ESM, node24, AWS SDK bundled), fresh node process, ${coldRepeats} runs each, medians`);
out(`${'function'.padEnd(22)} ${'KB'.padStart(6)} ${'process ms'.padStart(11)} ${'load+call ms'.padStart(13)} ${'vs minimal'.padStart(11)}  first call`);
const coldRow = (r: (typeof cold.functions)[number]) =>
  out(
    `${r.name.padEnd(22)} ${pad(fmt(r.bytes / 1024, 0), 6)} ${pad(fmt(r.processMs, 0), 11)} ${pad(fmt(r.loadAndInvokeMs, 0), 13)} ${pad(fmt(r.processMs / cold.baseline.processMs, 2), 10)}x  ${r.outcome}`,
  );
coldRow(cold.baseline);
for (const r of cold.functions) coldRow(r);
const maxKb = Math.max(...cold.functions.map((r) => r.bytes / 1024));
const maxColdRatio = Math.max(...cold.functions.map((r) => r.processMs / cold.baseline.processMs));
out();

const c16 = intakeRows.find((r) => r.concurrency === 16)!;
const targets = [
  { target: `intake p50 at c=16 within ${TARGETS.intakeRatio}x bare PutItem p50`, value: `${fmt(c16.ratioP50, 2)}x (${fmt(c16.intake.p50Ms)} vs ${fmt(c16.bare.p50Ms, 2)} ms)`, ok: c16.ratioP50 <= TARGETS.intakeRatio },
  { target: `journey time flat within ${TARGETS.journeyFlat}x (N=${journeyRuns[0]!.n}→${journeyRuns[1]!.n})`, value: `${fmt(flatRatio, 2)}x`, ok: flatRatio <= TARGETS.journeyFlat },
  { target: `≤ ${TARGETS.transitions} transitions per journey`, value: fmt(pj.transitions), ok: pj.transitions <= TARGETS.transitions },
  { target: `≤ ${TARGETS.lambdas} Lambda invocations per journey (measured)`, value: fmt(pj.lambdaInvocations), ok: pj.lambdaInvocations <= TARGETS.lambdas },
  { target: `≤ ${TARGETS.lambdas} Lambda invocations incl. coach API`, value: fmt(pj.lambdaInvocationsWithCoachApi), ok: pj.lambdaInvocationsWithCoachApi <= TARGETS.lambdas },
  { target: `< USD ${TARGETS.costUsd} per journey`, value: costPerJourney.toFixed(5), ok: costPerJourney < TARGETS.costUsd },
  { target: `every bundle < ${TARGETS.bundleKb} KB minified`, value: `largest ${fmt(maxKb, 0)} KB (${cold.functions.filter((r) => r.bytes / 1024 >= TARGETS.bundleKb).length}/${cold.functions.length} over)`, ok: maxKb < TARGETS.bundleKb },
  { target: `cold start within ${TARGETS.coldRatio}x minimal handler`, value: `worst ${fmt(maxColdRatio, 2)}x`, ok: maxColdRatio <= TARGETS.coldRatio },
];
out('Targets');
for (const t of targets) out(`  ${t.target.padEnd(52)} ${t.value.padEnd(34)} ${holds(t.ok)}`);
out(`\nbench took ${fmt((performance.now() - total.started) / 1000)} s; full results in bench-results/results.json`);

process.stdout.write(`${lines.join('\n')}\n`);
mkdirSync('bench-results', { recursive: true });
writeFileSync(
  'bench-results/results.json',
  `${JSON.stringify(
    {
      mode: full ? 'full' : 'default',
      node: process.version,
      at: new Date(Date.now()).toISOString(),
      prices: PRICES,
      intake: intakeRows,
      journeys: journeyRuns,
      cost: { perJourneyUsd: costPerJourney, parts: costParts, totals: Object.fromEntries(POPULATIONS.map((p) => [p, costPerJourney * p])), fixedPerAreaYearUsd: fixedPerAreaYear },
      coldStart: cold,
      targets,
    },
    null,
    2,
  )}\n`,
);
process.exit(0);
