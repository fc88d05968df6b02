import { readFileSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getCoach, updateCoach } from '../../functions/shared/coach-store.ts';
import { listOnwardReferrals } from '../../functions/shared/onward-referral-store.ts';
import { getReferral, listTasks, listTimeline } from '../../functions/shared/referral-store.ts';
import type { TaskType } from '../../workflows/states.ts';
import { JourneyDriver, registerJourneyArea, results } from '../support/journey.ts';
import { startLocalProvider, type LocalProvider } from '../support/provider.ts';
import { HOUR, startTestRuntime, type TestRuntime } from '../support/runtime.ts';

/**
 * The coach API over real HTTP on the local runtime: the local gateway runs the coach
 * authorizer (JWTs of the local issuer, verified against its JWKS) before every `coach` route.
 */
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
let provider: LocalProvider;
let rt: TestRuntime;
let j: JourneyDriver;
let area: ReturnType<typeof registerJourneyArea>;
let lead: string;

beforeAll(async () => {
  provider = await startLocalProvider();
  area = registerJourneyArea('test-coach-api', provider.baseUrl);
  rt = await startTestRuntime(area.slug);
  j = new JourneyDriver(rt);
  lead = area.teamLeads[0]!.id;
});
afterAll(async () => {
  await rt?.stop();
  await provider?.stop();
});

type Headers = Record<string, string>;
const bearer = (token: string): Headers => ({ authorization: `Bearer ${token}` });
const get = (path: string, headers: Headers = {}) => fetch(`${rt.gatewayUrl}${path}`, { headers });
const post = (path: string, body: unknown, headers: Headers = {}) =>
  fetch(`${rt.gatewayUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
const complete = async (taskId: string, body: unknown, headers: Headers) => {
  const res = await post(`/v1/tasks/${taskId}/complete`, body, headers);
  await rt.engine.idle();
  return res;
};
type Listed = { taskId: string; referralId: string; type: string; overdue: boolean; assignee: string; assigneeOnLeave?: boolean };
async function listAll(headers: Headers, query = ''): Promise<Listed[]> {
  const out: Listed[] = [];
  let cursor: string | undefined;
  do {
    const params = new URLSearchParams(query);
    params.set('limit', '2');
    if (cursor) params.set('cursor', cursor);
    const res = await get(`/v1/tasks?${params}`, headers);
    expect(res.status).toBe(200);
    const page = (await res.json()) as { tasks: Listed[]; nextCursor?: string };
    out.push(...page.tasks);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}
async function liveTask(referralId: string, type: TaskType) {
  const task = await j.liveTask(referralId, type);
  if (!task) throw new Error(`no live ${type} task`);
  return task;
}
async function expectProblem(res: Response, status: number) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  return (await res.json()) as Record<string, unknown>;
}

describe('coach authentication', () => {
  it('demo tokens for every coach and team lead, in the owner-only credentials file, that work', async () => {
    expect(rt.staff.map((s) => s.staffId).sort()).toEqual([...area.teamLeads.map((t) => t.id), ...area.coaches.map((c) => c.id)].sort());
    expect(rt.staff.find((s) => s.staffId === lead)?.role).toBe('team_lead');
    expect(statSync(rt.credentialsFile).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(readFileSync(rt.credentialsFile, 'utf8')) as { partners: unknown[]; staff: { token: string }[] };
    expect(saved.partners).toHaveLength(rt.partners.length);
    expect(saved.staff.map((s) => s.token)).toEqual(rt.staff.map((s) => s.token));
    for (const member of rt.staff) expect((await get('/v1/tasks', bearer(member.token))).status).toBe(200);
    const jwks = (await (await get('/.well-known/jwks.json')).json()) as { keys: { kty: string; d?: string }[] };
    expect(jwks.keys[0]?.kty).toBe('RSA');
    expect(jwks.keys[0]).not.toHaveProperty('d');
  });

  it('the authorisation matrix on list, get and complete', async () => {
    const referralId = await j.refer();
    const task = await liveTask(referralId, 'first_contact');
    const coach = task.assignee!;
    const other = area.coaches.find((c) => c.id !== coach)!.id;
    const routes = {
      list: (h: Headers) => get('/v1/tasks', h),
      get: (h: Headers) => get(`/v1/tasks/${task.taskId}`, h),
      complete: (h: Headers) => post(`/v1/tasks/${task.taskId}/complete`, results.firstContact('engaged'), h),
    };
    const refused: [string, Headers, number][] = [
      ['no token', {}, 401],
      ['a partner credential', rt.auth(), 401],
      ['not a bearer token', { authorization: 'Basic Y29hY2g6cGFzcw==' }, 401],
      ['expired', bearer(rt.signStaffToken({ staffId: coach }, { expiresInSeconds: -60 })), 401],
      ['forged (another key)', bearer(rt.signStaffToken({ staffId: coach }, { forged: true })), 401],
      ['another issuer', bearer(rt.signStaffToken({ staffId: coach }, { issuer: 'https://issuer.example' })), 401],
      ['another audience', bearer(rt.signStaffToken({ staffId: coach }, { audience: 'someone-else' })), 401],
      ['valid, not staff of the area', bearer(rt.signStaffToken({ staffId: 'coach-of-elsewhere' })), 403],
      ['valid, no staff id', bearer(rt.signStaffToken({})), 403],
    ];
    for (const [why, headers, status] of refused) {
      for (const [name, call] of Object.entries(routes)) {
        const body = await expectProblem(await call(headers), status);
        expect({ why, name, status: body.status }).toEqual({ why, name, status });
        expect(body).not.toHaveProperty('detail');
      }
    }
    // Signed by the issuer, on time: the coach and their team lead see it; another coach does not.
    expect((await listAll(rt.staffAuth(coach))).map((t) => t.taskId)).toContain(task.taskId);
    expect((await listAll(rt.staffAuth(other))).map((t) => t.taskId)).not.toContain(task.taskId);
    expect((await listAll(rt.staffAuth(lead))).map((t) => t.taskId)).toContain(task.taskId);
    expect((await listAll(rt.staffAuth(lead), 'scope=mine')).map((t) => t.taskId)).not.toContain(task.taskId);
    await expectProblem(await get('/v1/tasks?scope=team', rt.staffAuth(coach)), 403);
    await expectProblem(await get('/v1/tasks?limit=0', rt.staffAuth(coach)), 400);
    await expectProblem(await get('/v1/tasks?cursor=nonsense', rt.staffAuth(coach)), 400);

    const shown = await get(`/v1/tasks/${task.taskId}`, rt.staffAuth(coach));
    expect(shown.status).toBe(200);
    const detail = (await shown.json()) as { task: Record<string, unknown>; referral: Record<string, any> };
    expect(detail.task).toMatchObject({ taskId: task.taskId, referralId, type: 'first_contact', status: 'open', attempt: 1, overdue: false });
    expect(detail.referral.participant).toMatchObject({ givenName: expect.any(String), preferredChannel: expect.any(String) });
    expect(detail.referral).toHaveProperty('reasonableAdjustments');
    expect(detail.referral).toHaveProperty('work.situation');
    expect(detail.referral.conditions).toEqual(expect.any(Array));
    expect(JSON.stringify(detail)).not.toContain('taskToken');
    expect((await get(`/v1/tasks/${task.taskId}`, rt.staffAuth(lead))).status).toBe(200);
    await expectProblem(await get(`/v1/tasks/${task.taskId}`, rt.staffAuth(other)), 404);
    await expectProblem(await get('/v1/tasks/unknown-task-id', rt.staffAuth(coach)), 404);

    await expectProblem(await complete(task.taskId, results.firstContact('engaged'), rt.staffAuth(other)), 404);
    const invalid = await expectProblem(await complete(task.taskId, { outcome: 'maybe', channel: 'phone' }, rt.staffAuth(coach)), 400);
    expect((invalid.errors as { pointer: string }[]).map((e) => e.pointer)).toEqual(expect.arrayContaining(['/outcome', '/contactedAt']));
    const done = await complete(task.taskId, results.firstContact('engaged'), rt.staffAuth(coach));
    expect(done.status).toBe(200);
    expect(await done.json()).toEqual({ taskId: task.taskId, type: 'first_contact', status: 'completed' });
    // Twice: 409, and the journey moved once.
    const again = await expectProblem(await complete(task.taskId, results.firstContact('declined'), rt.staffAuth(coach)), 409);
    expect(again.taskStatus).toBe('completed');
    expect(await j.status(referralId)).toBe('engaged');
    expect((await listTasks(referralId, 'first_contact'))[0]?.completedBy).toBe(coach);
    expect((await post(`/v1/caseload/${referralId}/withdraw`, { reason: 'other' }, rt.staffAuth(coach))).status).toBe(200);
    await rt.engine.idle();
  });
});

describe('completing tasks through the API moves the journey on', () => {
  it('first contact, assessment, follow-ups, outcome: discharged', async () => {
    const referralId = await j.refer({ health: { conditions: ['musculoskeletal'] } });
    const coach = (await getReferral(referralId))!.coachId!;
    const as = () => rt.staffAuth(coach);

    const contact = await liveTask(referralId, 'first_contact');
    expect((await complete(contact.taskId, results.firstContact('engaged'), as())).status).toBe(200);
    const assessment = await liveTask(referralId, 'assessment');
    // The assessment task shows the contact so far.
    const shown = (await (await get(`/v1/tasks/${assessment.taskId}`, as())).json()) as { journey: { firstContacts: unknown[] } };
    expect(shown.journey.firstContacts).toHaveLength(1);

    // No onward referral: a silent provider would hold the outcome (see the provider chase test).
    expect((await complete(assessment.taskId, results.assessment([]), as())).status).toBe(200);
    expect(await j.status(referralId)).toBe('in_support');
    expect(await listOnwardReferrals(referralId)).toEqual([]);
    // Waiting for the first follow-up: no follow-up task yet.
    expect(await j.liveTask(referralId, 'follow_up')).toBeUndefined();

    let followUps = 0;
    for (;;) {
      await rt.advance(2 * WEEK);
      const followUp = await j.liveTask(referralId, 'follow_up');
      if (!followUp) break;
      const listed = await listAll(as());
      expect(listed.map((t) => t.taskId)).toContain(followUp.taskId);
      const detail = (await (await get(`/v1/tasks/${followUp.taskId}`, as())).json()) as { journey: { assessment?: unknown; plan?: unknown } };
      expect(detail.journey.assessment).toBeDefined();
      expect(detail.journey.plan).toBeDefined();
      expect((await complete(followUp.taskId, results.followUp(), as())).status).toBe(200);
      followUps++;
    }
    expect(followUps).toBeGreaterThan(0);
    const outcome = await liveTask(referralId, 'outcome');
    const load = (await getCoach(coach))!.caseload;
    expect((await complete(outcome.taskId, results.outcome(), as())).status).toBe(200);
    expect(j.execution(referralId).status).toBe('SUCCEEDED');
    expect(await getReferral(referralId)).toMatchObject({ status: 'completed', stage: 'closed' });
    expect((await getCoach(coach))!.caseload).toBe(load - 1);
    // A closed journey's task cannot be completed again.
    await expectProblem(await complete(outcome.taskId, results.outcome(), as()), 409);
  });

  it('needs review: only a team lead completes it, and the referral goes to a coach', async () => {
    const referralId = await j.refer({ needs: { complexNeeds: true } });
    const review = await liveTask(referralId, 'needs_review');
    const coach = area.coaches[0]!.id;
    await expectProblem(await get(`/v1/tasks/${review.taskId}`, rt.staffAuth(coach)), 404);
    await expectProblem(await complete(review.taskId, results.review('eligible'), rt.staffAuth(coach)), 404);
    expect((await listAll(rt.staffAuth(lead), 'scope=mine')).map((t) => t.taskId)).toContain(review.taskId);
    expect((await complete(review.taskId, results.review('eligible'), rt.staffAuth(lead))).status).toBe(200);
    expect((await getReferral(referralId))?.coachId).toBeDefined();
    expect(await j.liveTask(referralId, 'first_contact')).toBeDefined();
    await withdraw(referralId);
  });

  it('provider chase: the coach resolves a silent provider', async () => {
    const referralId = await j.refer();
    const coach = (await getReferral(referralId))!.coachId!;
    await j.complete(referralId, 'first_contact', results.firstContact('engaged'), coach);
    await j.complete(referralId, 'assessment', results.assessment(['msk-physiotherapy']), coach);
    await rt.advance(area.deadlines.providerResponseHours * HOUR);
    await rt.advance(area.deadlines.providerResponseHours * HOUR);
    const chase = await liveTask(referralId, 'provider_chase');
    expect(chase.assignee).toBe(coach);
    expect((await complete(chase.taskId, results.providerChase(), rt.staffAuth(coach))).status).toBe(200);
    expect((await listTasks(referralId, 'provider_chase'))[0]?.status).toBe('completed');
    expect(j.execution(referralId).status).toBe('RUNNING');
    await withdraw(referralId);
  });
});

async function withdraw(referralId: string) {
  const res = await post(`/v1/caseload/${referralId}/withdraw`, { reason: 'other' }, rt.staffAuth(lead));
  expect(res.status).toBe(200);
  await rt.engine.idle();
}

describe('caseload changes', () => {
  it('withdraw: by the coach or their team lead only; tasks cancelled, caseload freed once', async () => {
    const referralId = await j.refer();
    const coach = (await getReferral(referralId))!.coachId!;
    const other = area.coaches.find((c) => c.id !== coach)!.id;
    const load = (await getCoach(coach))!.caseload;
    await expectProblem(await post(`/v1/caseload/${referralId}/withdraw`, { reason: 'other' }, rt.staffAuth(other)), 404);
    await expectProblem(await post(`/v1/caseload/${referralId}/withdraw`, { reason: 'because' }, rt.staffAuth(coach)), 400);
    await expectProblem(await post(`/v1/caseload/${referralId}/withdraw`, { reason: 'other' }, {}), 401);
    const res = await post(`/v1/caseload/${referralId}/withdraw`, { reason: 'participant_withdrew' }, rt.staffAuth(coach));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ referralId, status: 'withdrawn' });
    await rt.engine.idle();
    expect(j.execution(referralId).status).toBe('ABORTED');
    expect((await listTasks(referralId, 'first_contact'))[0]?.status).toBe('cancelled');
    expect((await getCoach(coach))!.caseload).toBe(load - 1);
    // Again: the same answer, the caseload freed once.
    expect((await post(`/v1/caseload/${referralId}/withdraw`, { reason: 'participant_withdrew' }, rt.staffAuth(lead))).status).toBe(200);
    expect((await getCoach(coach))!.caseload).toBe(load - 1);
    // A cancelled task cannot be completed.
    const task = (await listTasks(referralId, 'first_contact'))[0]!;
    await expectProblem(await complete(task.taskId, results.firstContact('engaged'), rt.staffAuth(coach)), 409);
  });

  it('reassign: team lead only, caseloads -1/+1, open tasks follow, refused for a coach on leave', async () => {
    const referralId = await j.refer();
    const from = (await getReferral(referralId))!.coachId!;
    const to = area.coaches.find((c) => c.id !== from)!.id;
    const before = { from: (await getCoach(from))!.caseload, to: (await getCoach(to))!.caseload };
    const task = await liveTask(referralId, 'first_contact');
    const path = `/v1/caseload/${referralId}/reassign`;

    await expectProblem(await post(path, { coachId: to }, rt.staffAuth(from)), 403);
    await expectProblem(await post(path, { coachId: to }, rt.staffAuth(to)), 404);
    await expectProblem(await post(path, { coachId: 'Not An Id' }, rt.staffAuth(lead)), 400);
    const unknown = await expectProblem(await post(path, { coachId: 'coach-99' }, rt.staffAuth(lead)), 409);
    expect(unknown.code).toBe('coach_not_found');

    const res = await post(path, { coachId: to }, rt.staffAuth(lead));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ referralId, coachId: to, previousCoachId: from, reassigned: true });
    expect((await getCoach(from))!.caseload).toBe(before.from - 1);
    expect((await getCoach(to))!.caseload).toBe(before.to + 1);
    expect((await getReferral(referralId))?.coachId).toBe(to);
    expect((await listTasks(referralId, 'first_contact'))[0]?.assignee).toBe(to);
    expect((await listTimeline(referralId)).some((e) => e.event === 'coach_reassigned' && e.coachId === to)).toBe(true);
    // The new coach now has the task; the old one no longer sees it.
    expect((await listAll(rt.staffAuth(to))).map((t) => t.taskId)).toContain(task.taskId);
    await expectProblem(await get(`/v1/tasks/${task.taskId}`, rt.staffAuth(from)), 404);
    // A repeat changes nothing.
    expect(await (await post(path, { coachId: to }, rt.staffAuth(lead))).json()).toMatchObject({ reassigned: false });
    expect((await getCoach(to))!.caseload).toBe(before.to + 1);

    // A coach on leave takes no one; the team lead covers their tasks (scope=mine).
    await updateCoach(from, { available: false });
    try {
      const refused = await expectProblem(await post(path, { coachId: from }, rt.staffAuth(lead)), 409);
      expect(refused.code).toBe('coach_unavailable');
      await updateCoach(to, { available: false });
      const covered = await listAll(rt.staffAuth(lead), 'scope=mine');
      expect(covered.find((t) => t.taskId === task.taskId)?.assigneeOnLeave).toBe(true);
    } finally {
      await updateCoach(from, { available: true });
      await updateCoach(to, { available: true });
    }
    // The journey goes on with the new coach.
    expect((await complete(task.taskId, results.firstContact('engaged'), rt.staffAuth(to))).status).toBe(200);
    expect((await liveTask(referralId, 'assessment')).assignee).toBe(to);
    await withdraw(referralId);
    expect((await getCoach(to))!.caseload).toBe(before.to);
  });
});
