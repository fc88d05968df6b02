import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ReferralInput } from '../../functions/domain/referral.ts';
import { listOnwardReferrals } from '../../functions/shared/onward-referral-store.ts';
import { getReferral } from '../../functions/shared/referral-store.ts';
import { nhsNumberFor, validReferral } from '../fixtures/referrals.ts';
import { type JourneyTestbed, results, startJourneyTestbed } from '../support/journey.ts';
import { captureProcessOutput, type OutputCapture } from '../support/output-capture.ts';
import { HOUR } from '../support/runtime.ts';
import { until } from '../support/until.ts';
import { asSentBy } from '../support/partners.ts';

/**
 * Leaks: journeys of every kind for five recognisable (fictitious) people, through the partner
 * API, the coach API and a provider over HTTP, with logs at DEBUG and EMF metrics switched on.
 * Then every line the process wrote (Powertools logs and metrics go to stdout), every line of
 * the runtime's own log, every e-mail in the local mailbox and every answer a partner, coach or
 * provider got that was an error, or a partner's status answer, is scanned for each person's
 * name, date of birth, NHS number, postcode, e-mail, phone, employer and health free text (as
 * sent and in the forms they are commonly rewritten to). None may contain any.
 */
const WEEK = 7 * 24 * HOUR;

interface Person {
  readonly label: string;
  readonly referral: ReferralInput;
}

function person(label: string, p: { given: string; family: string; dob: string; nhs: string; postcode: string; phone: string; employer: string; details: string; adjustment: string }, overrides: Parameters<typeof validReferral>[0] = {}): Person {
  return {
    label,
    referral: validReferral({
      ...overrides,
      participant: {
        givenName: p.given,
        familyName: p.family,
        dateOfBirth: p.dob,
        nhsNumber: p.nhs,
        postcode: p.postcode,
        email: `${p.given}.${p.family}@example.com`.toLowerCase(),
        phone: p.phone,
        ...overrides.participant,
      },
      work: { situation: 'in_work_struggling', employer: p.employer, hasFitNote: false },
      health: { conditions: ['musculoskeletal'], details: p.details },
      reasonableAdjustments: [p.adjustment],
    }),
  };
}

// Valid-format NHS test numbers (modulus 11), Ofcom drama-range phones, example.com addresses.
const people = {
  full: person('full journey', { given: 'Zephyrine', family: 'Quillfeather', dob: '1961-07-23', nhs: nhsNumberFor(424242), postcode: 'S11 7QX', phone: '07700 900871', employer: 'Quillfeather Glassworks Ltd', details: 'Recurrent tinnitus after the Thistlewick warehouse fire', adjustment: 'Needs a Makaton interpreter on Thursdays' }),
  review: person('needs review, then withdrawn', { given: 'Oswaldo', family: 'Brackenridge', dob: '1958-02-11', nhs: nhsNumberFor(424243), postcode: 'S8 0WR', phone: '07700 900342', employer: 'Brackenridge Ferry Co', details: 'Panic attacks on the Dunmire night shift', adjustment: 'Large print letters only, pale yellow paper' }, { needs: { complexNeeds: true, immediateRisk: false, support: ['workplace_adjustments'] } }),
  outside: person('not eligible (outside the area)', { given: 'Perpetua', family: 'Vanstone', dob: '1970-12-30', nhs: nhsNumberFor(424244), postcode: 'LS6 4QZ', phone: '07700 900563', employer: 'Vanstone Kite Repairs', details: 'Crohns flare since the Orlemere allotment move', adjustment: 'Calls after 4pm because of dialysis at Oakvale' }),
  cancelled: person('cancelled by the partner', { given: 'Isambard', family: 'Thistlewood', dob: '1983-04-05', nhs: nhsNumberFor(424245), postcode: 'DN4 8PJ', phone: '07700 900614', employer: 'Thistlewood Organ Builders', details: 'Migraines since the Harrowgate Yard scaffold fall', adjustment: 'Avoid the lift at Corvell House' }),
  invalid: person('rejected referral', { given: 'Marigold', family: 'Fenwickshaw', dob: '1992-09-17', nhs: nhsNumberFor(424246), postcode: 'S35 2YH', phone: '07700 900725', employer: 'Fenwickshaw Bell Foundry', details: 'Long covid fatigue after the Pellowby choir tour', adjustment: 'Needs a quiet room at Eldergate' }),
};

/** Each value of a person as sent and in the forms it is often rewritten to (case ignored). */
function needles(p: Person): { what: string; value: string }[] {
  const q = p.referral.participant;
  const [y, m, d] = q.dateOfBirth.split('-');
  const values: [string, string[]][] = [
    ['given name', [q.givenName]],
    ['family name', [q.familyName]],
    ['date of birth', [q.dateOfBirth, `${d}/${m}/${y}`, `${y}${m}${d}`]],
    ['NHS number', [q.nhsNumber!, `${q.nhsNumber!.slice(0, 3)} ${q.nhsNumber!.slice(3, 6)} ${q.nhsNumber!.slice(6)}`]],
    ['postcode', [q.postcode, q.postcode.replace(' ', '')]],
    ['email', [q.email!]],
    ['phone', [q.phone!, q.phone!.replace(/ /g, ''), `+44${q.phone!.replace(/ /g, '').slice(1)}`]],
    ['employer', [p.referral.work.employer!]],
    ['health free text', [p.referral.health.details!, ...p.referral.reasonableAdjustments!]],
  ];
  return values.flatMap(([what, forms]) => forms.map((value) => ({ what, value: value.toLowerCase() })));
}

let tb: JourneyTestbed;
let output: OutputCapture;
const runtimeLog: string[] = [];
/** Answers scanned: every error answer, and partners' status answers. */
const answers: { what: string; text: string }[] = [];
const saved: Record<string, string | undefined> = {};

beforeAll(async () => {
  // Everything the handlers log, and their metrics as EMF on stdout (off by default locally).
  for (const [name, value] of [['POWERTOOLS_LOG_LEVEL', 'DEBUG'], ['POWERTOOLS_METRICS_DISABLED', 'false']] as const) {
    saved[name] = process.env[name];
    process.env[name] = value;
  }
  // Kept for the scan, not printed: DEBUG logs and EMF would drown the test run's output.
  output = captureProcessOutput({ quiet: true });
  tb = await startJourneyTestbed('test-reliability-leaks', {}, { log: (line) => runtimeLog.push(line) });
});
afterAll(async () => {
  output?.stop();
  await tb?.stop();
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

async function call(what: string, path: string, init: RequestInit & { headers: Record<string, string> }, keepIfOk = false): Promise<Response> {
  const res = await fetch(`${tb.rt.gatewayUrl}${path}`, { ...init, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  if (!res.ok || keepIfOk) answers.push({ what: `${what}: ${res.status}`, text: `${text}\n${[...res.headers].join('\n')}` });
  return new Response(text, { status: res.status, headers: res.headers });
}

const json = (body: unknown, headers: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

async function refer(p: Person, partner = 0): Promise<string> {
  const res = await call(`refer ${p.label}`, '/v1/referrals', json(asSentBy(tb.rt.partners[partner]!.organisationType, p.referral), tb.rt.auth(partner)));
  expect(res.status).toBe(202);
  await tb.rt.engine.idle();
  return ((await res.json()) as { referralId: string }).referralId;
}

async function keepAnswer(what: string, res: Response): Promise<Response> {
  const text = await res.clone().text();
  if (!res.ok) answers.push({ what: `${what}: ${res.status}`, text });
  return res;
}

it('no log line, metric, e-mail or error answer of a full set of journeys names anyone', { timeout: 300_000 }, async () => {
  const { rt, j, area, provider } = tb;
  const d = area.deadlines;

  // A full journey: a late first contact (reminder and escalation e-mails), an assessment with two
  // onward referrals by webhook (the first delivery fails once), follow-ups, the outcome.
  const full = await refer(people.full);
  await rt.advance((d.firstContactHours.routine + 1) * HOUR);
  await rt.scheduler.runNotifier();
  expect((await keepAnswer('complete first contact', await j.completeOverApi(full, 'first_contact', results.firstContact('engaged')))).status).toBe(200);
  // A wrong answer carrying health free text is refused without repeating it.
  const wrong = { ...results.assessment([]), goals: people.full.referral.health.details, barriers: people.full.referral.reasonableAdjustments };
  expect((await keepAnswer('invalid assessment', await j.completeOverApi(full, 'assessment', wrong))).status).toBe(400);
  provider.failNext(1);
  const webhooks = area.services.filter((s) => s.referral.channel === 'webhook').map((s) => s.id);
  expect((await keepAnswer('complete assessment', await j.completeOverApi(full, 'assessment', results.assessment(webhooks.slice(0, 2))))).status).toBe(200);
  // The failed delivery is retried after a (shortened, real-time) pause.
  await until(async () => {
    await rt.engine.idle();
    return provider.received.length >= 2 ? true : undefined;
  }, 'both onward referrals delivered');
  for (const o of await listOnwardReferrals(full)) {
    const sent = provider.received.find((r) => r.body.onwardReferralId === o.onwardReferralId);
    expect(sent).toBeDefined();
    const path = new URL(sent!.body.respondTo.url).pathname;
    const res = await call('provider answer', path, json({ status: 'accepted' }, { authorization: `Bearer ${sent!.body.respondTo.key}` }));
    expect(res.status).toBe(200);
    // Answered twice: a refusal, which must not say more than the first answer did.
    await call('provider answer again', path, json({ status: 'pending' }, { authorization: `Bearer ${sent!.body.respondTo.key}` }));
  }
  await rt.engine.idle();
  for (;;) {
    await rt.advance(2 * WEEK);
    if (!(await j.liveTask(full, 'follow_up'))) break;
    await keepAnswer('follow up', await j.completeOverApi(full, 'follow_up', results.followUp()));
  }
  const outcomeTask = await j.liveTask(full, 'outcome');
  expect((await keepAnswer('outcome', await j.completeOverApi(full, 'outcome', results.outcome()))).status).toBe(200);
  await call('outcome again', `/v1/tasks/${outcomeTask!.taskId}/complete`, json(results.outcome(), rt.staffAuth(outcomeTask!.assignee!)));

  // Needs review: the team lead admits the person, who then declines at first contact.
  const review = await refer(people.review);
  const lead = area.teamLeads[0]!.id;
  expect((await keepAnswer('review', await j.completeOverApi(review, 'needs_review', results.review('eligible'), lead))).status).toBe(200);
  expect((await keepAnswer('first contact', await j.completeOverApi(review, 'first_contact', results.firstContact('declined')))).status).toBe(200);

  // Outside the area: not eligible, signposted in the partner's status answer.
  const outside = await refer(people.outside);

  // Referred by a second partner while the journey is open (linked, the coach told), then cancelled.
  const cancelled = await refer(people.cancelled);
  await refer(people.cancelled, 1);
  await call('cancel', `/v1/referrals/${cancelled}/cancel`, { method: 'POST', headers: rt.auth(0) });
  await call('cancel again by another partner', `/v1/referrals/${cancelled}/cancel`, { method: 'POST', headers: rt.auth(1) });

  // Rejected requests with a person's details in them.
  const invalid = people.invalid.referral;
  await call('referral with a bad consent', '/v1/referrals', json({ ...invalid, consent: { ...invalid.consent, given: 'yes' } }, rt.auth(0)));
  await call('referral with a bad date of birth', '/v1/referrals', json({ ...invalid, participant: { ...invalid.participant, dateOfBirth: '23/07/1961' } }, rt.auth(0)));
  await call('referral with an unknown field', '/v1/referrals', json({ ...invalid, notes: invalid.health.details }, rt.auth(0)));
  await call('referral without a credential', '/v1/referrals', json(invalid, {}));
  await call('same key, other body', '/v1/referrals', json(people.full.referral, { ...rt.auth(0), 'idempotency-key': 'leaks-1' }));
  await call('same key, other body', '/v1/referrals', json(invalid, { ...rt.auth(0), 'idempotency-key': 'leaks-1' }));

  await rt.advance(HOUR);
  await rt.scheduler.runDigest({ force: true });
  await rt.scheduler.runNotifier();
  await rt.engine.idle();
  for (const id of [full, review, outside, cancelled]) await call('status', `/v1/referrals/${id}`, { headers: rt.auth(0) }, true);

  // The journeys went where they should (so there was something to leak).
  expect(j.execution(full).status).toBe('SUCCEEDED');
  expect((await getReferral(full))?.status).toBe('completed');
  expect((await getReferral(review))?.status).toBe('withdrawn');
  expect((await getReferral(outside))?.status).toBe('not_eligible');
  expect((await getReferral(cancelled))?.status).toBe('withdrawn');

  const mail = await rt.mailbox.messages();
  const logLines = output.lines.filter((l) => !l.startsWith('leaks:'));
  const metricRecords = logLines.filter((l) => l.includes('"_aws"'));
  const haystacks = [
    ...logLines.map((text) => ({ where: 'process output', text })),
    ...runtimeLog.map((text) => ({ where: 'runtime log', text })),
    ...mail.map((m) => ({ where: `e-mail "${m.subject}"`, text: JSON.stringify(m) })),
    ...answers.map((a) => ({ where: `answer to ${a.what}`, text: a.text })),
  ];
  const found: string[] = [];
  for (const p of Object.values(people)) {
    for (const needle of needles(p)) {
      for (const hay of haystacks) {
        if (hay.text.toLowerCase().includes(needle.value)) found.push(`${p.label}: ${needle.what} in ${hay.where}: ${hay.text.slice(0, 300)}`);
      }
    }
  }
  console.log(
    `leaks: ${Object.keys(people).length} people, ${rt.engine.listExecutions().length} journeys, ${logLines.length - metricRecords.length} log lines, ` +
      `${metricRecords.length} metric records, ${runtimeLog.length} runtime lines, ${mail.length} e-mails, ${answers.length} answers scanned, ${found.length} containing personal data`,
  );
  // The scan saw real output: logs, metrics and e-mails were produced.
  expect(logLines.length - metricRecords.length).toBeGreaterThan(20);
  expect(metricRecords.length).toBeGreaterThan(5);
  expect(mail.length).toBeGreaterThan(5);
  expect(found).toEqual([]);
});
