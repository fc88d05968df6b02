import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ApiRoute, apiRoutes } from '../../functions/api-routes.ts';
import { getOnwardReferral } from '../../functions/shared/onward-referral-store.ts';
import { issueCredential, revokeCredential, suspendPartner } from '../../functions/shared/partner-store.ts';
import { getReferral, listTasks } from '../../functions/shared/referral-store.ts';
import { referralForNewPerson } from '../fixtures/referrals.ts';
import { type JourneyTestbed, results, startJourneyTestbed } from '../support/journey.ts';
import { registerTestPartners } from '../support/partners.ts';
import { validRequest } from '../support/route-requests.ts';

/**
 * Access: every route of the partner, coach and provider APIs (functions/api-routes.ts, so a new
 * route is tried too, and fails here until test/support/route-requests.ts has a request for it) is sent a request that would
 * succeed with the right credential, with each wrong one instead: none, revoked, suspended,
 * another area's, tampered, another kind's (a coach's JWT on a partner route and so on), another
 * partner's, another coach's, an expired, forged or foreign JWT. Each is refused with the status
 * the contract names, the answer discloses nothing (no ids, names or details of what is behind
 * it), and nothing changes: no referral stored, no journey started, no task completed.
 *
 * Web pages check their own session cookie and are tested with the pages; the OpenAPI document is
 * public on purpose.
 */
type Headers = Record<string, string>;
let tb: JourneyTestbed;
/** The referral of the owner partner with a live first contact task. */
let referralId: string;
let taskId: string;
let assignee: string;
let otherCoach: string;
let teamLead: string;
let givenName: string;
let onward: { id: string; key: string }[] = [];
let onwardReferralOf: string;

beforeAll(async () => {
  tb = await startJourneyTestbed('test-reliability-access');
  const { rt, j, area } = tb;
  const person = referralForNewPerson();
  givenName = person.participant.givenName;
  referralId = await j.refer(person);
  const task = (await j.liveTask(referralId, 'first_contact'))!;
  taskId = task.taskId;
  assignee = task.assignee!;
  otherCoach = area.coaches.find((c) => c.id !== assignee)!.id;
  teamLead = area.teamLeads[0]!.id;
  // A journey with two onward referrals by webhook: real ids, and the keys the provider was sent.
  onwardReferralOf = await j.refer();
  await j.complete(onwardReferralOf, 'first_contact', results.firstContact('engaged'));
  const webhooks = area.services.filter((s) => s.referral.channel === 'webhook').map((s) => s.id);
  expect(webhooks.length).toBeGreaterThanOrEqual(2);
  await j.complete(onwardReferralOf, 'assessment', results.assessment(webhooks.slice(0, 2)));
  onward = tb.provider.received.map((r) => ({ id: r.body.onwardReferralId, key: r.body.respondTo.key }));
  expect(onward).toHaveLength(2);
  await rt.engine.idle();
});
afterAll(async () => {
  await tb?.stop();
});

interface Attempt {
  readonly route: string;
  readonly who: string;
  readonly expected: number;
  readonly status: number;
  readonly disclosed: string[];
}

async function attempt(route: ApiRoute, who: string, credential: Headers, expected: number): Promise<Attempt> {
  const req = validRequest(route, { referralId, taskId, onwardReferralId: onward[0]!.id, otherCoach });
  const res = await fetch(`${tb.rt.gatewayUrl}${req.path}`, {
    method: route.method,
    headers: { ...(req.body === undefined ? {} : { 'content-type': 'application/json' }), ...req.headers, ...credential },
    ...(req.body === undefined ? {} : { body: JSON.stringify(req.body) }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  const answer = `${text}\n${[...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}`;
  const secrets = [referralId, taskId, onwardReferralOf, givenName, assignee, otherCoach, ...onward.map((o) => o.id), ...onward.map((o) => o.key)];
  const disclosed = secrets.filter((s) => answer.includes(s));
  // Anything but the problem's plain fields is a disclosure too.
  if (res.headers.get('content-type')?.includes('application/problem+json')) {
    const extra = Object.keys(JSON.parse(text) as object).filter((k) => !['type', 'title', 'status', 'detail'].includes(k));
    disclosed.push(...extra.map((k) => `field ${k}`));
  } else if (res.status >= 400) disclosed.push(`content-type ${res.headers.get('content-type')}`);
  return { route: `${route.method} ${route.path}`, who, expected, status: res.status, disclosed };
}

it('every route refuses every wrong credential with the right status, disclosing nothing and changing nothing', { timeout: 300_000 }, async () => {
  const { rt } = tb;
  const bearer = (token: string): Headers => ({ authorization: `Bearer ${token}` });
  const [revoked, suspended, foreign] = await registerTestPartners(3, 'access-test');
  await revokeCredential(revoked!.partnerId, revoked!.credentialId);
  await suspendPartner(suspended!.partnerId);
  const otherArea = await issueCredential(foreign!.partnerId, { areaCode: 'greater-manchester' });
  const owner = rt.auth(0);
  const token = owner.authorization!.slice('Bearer '.length);
  const tampered = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
  const coachJwt = bearer(rt.signStaffToken({ staffId: assignee }));

  const jwtRefusals: [string, Headers, number][] = [
    ['no credential', {}, 401],
    ['a partner credential', owner, 401],
    ['not a bearer token', { authorization: 'Basic Y29hY2g6cGFzcw==' }, 401],
    ['an expired JWT', bearer(rt.signStaffToken({ staffId: assignee }, { expiresInSeconds: -60 })), 401],
    ['a forged JWT (another key)', bearer(rt.signStaffToken({ staffId: assignee }, { forged: true })), 401],
    ["another area's issuer", bearer(rt.signStaffToken({ staffId: assignee }, { issuer: 'https://cognito-idp.eu-west-2.amazonaws.com/elsewhere' })), 401],
    ['another audience', bearer(rt.signStaffToken({ staffId: assignee }, { audience: 'another-client' })), 401],
    ['a JWT with its payload altered', bearer(alterPayload(rt.signStaffToken({ staffId: otherCoach }), assignee)), 401],
    ['staff of another area', bearer(rt.signStaffToken({ staffId: 'coach-of-elsewhere' })), 403],
  ];
  const partnerRefusals: [string, Headers, number][] = [
    ['no credential', {}, 401],
    ['a tampered credential', bearer(tampered), 401],
    ['a coach JWT', coachJwt, 401],
    ['a revoked credential', bearer(revoked!.token), 403],
    ['a suspended partner', bearer(suspended!.token), 403],
    ["another area's credential", bearer(otherArea.token), 403],
  ];
  const providerRefusals: [string, Headers, number][] = [
    ['no key', {}, 401],
    ['a partner credential', owner, 401],
    ['a coach JWT', coachJwt, 401],
    ["another onward referral's key", bearer(onward[1]!.key), 401],
  ];

  const itemsBefore = await rt.countReferralItems();
  const onwardBefore = (await getOnwardReferral(onward[0]!.id))?.status;
  const journeysBefore = rt.engine.listExecutions().length;
  const attempts: Attempt[] = [];
  const routes = (apiRoutes as readonly ApiRoute[]).filter((r) => !('page' in r) && r.function !== 'openapi');
  for (const route of routes) {
    const has = (param: string) => route.path.includes(`{${param}}`);
    if (route.auth === 'partner') {
      for (const [who, h, status] of partnerRefusals) attempts.push(await attempt(route, who, h, status));
      // Another partner's referral is answered as if there were none.
      if (has('referralId')) attempts.push(await attempt(route, "another partner's credential", rt.auth(1), 404));
    } else if (route.auth === 'coach') {
      for (const [who, h, status] of jwtRefusals) attempts.push(await attempt(route, who, h, status));
      if (has('taskId') || has('referralId')) attempts.push(await attempt(route, "another coach's token", rt.staffAuth(otherCoach), 404));
      if (route.path.endsWith('/reassign')) attempts.push(await attempt(route, 'a coach on a team lead route', rt.staffAuth(assignee), 403));
    } else if (has('onwardReferralId')) {
      for (const [who, h, status] of providerRefusals) attempts.push(await attempt(route, who, h, status));
    } else {
      throw new Error(`${route.method} ${route.path}: a public route this test does not know; add its refusals`);
    }
  }
  // Another coach's list does not show the task.
  const listed = await fetch(`${rt.gatewayUrl}/v1/tasks?limit=100`, { headers: rt.staffAuth(otherCoach) });
  expect(listed.status).toBe(200);
  expect(await listed.text()).not.toContain(taskId);
  await rt.engine.idle();

  const wrong = attempts.filter((a) => a.status !== a.expected);
  const disclosing = attempts.filter((a) => a.disclosed.length > 0);
  // Nothing changed: no referral stored or journey started, the task still open, the referral
  // with its coach, the onward referral unanswered.
  const unchanged = {
    referralItems: (await rt.countReferralItems()) - itemsBefore,
    journeys: rt.engine.listExecutions().length - journeysBefore,
    task: (await listTasks(referralId, 'first_contact')).find((t) => t.taskId === taskId)?.status,
    referral: await getReferral(referralId).then((r) => ({ status: r?.status, coachId: r?.coachId })),
    onward: (await getOnwardReferral(onward[0]!.id))?.status,
  };
  console.log(
    `access: ${routes.length} routes, ${attempts.length} refused attempts, ${attempts.length - wrong.length} with the right status, ` +
      `${wrong.length} wrong, ${disclosing.length} disclosing, ${unchanged.referralItems} referrals stored, ${unchanged.journeys} journeys started`,
  );
  expect(wrong.map((a) => `${a.route} as ${a.who}: ${a.status}, expected ${a.expected}`)).toEqual([]);
  expect(disclosing.map((a) => `${a.route} as ${a.who}: ${a.disclosed.join(', ')}`)).toEqual([]);
  expect(unchanged).toEqual({
    referralItems: 0,
    journeys: 0,
    task: 'open',
    referral: { status: 'awaiting_first_contact', coachId: assignee },
    onward: onwardBefore,
  });
  // The right callers do reach what was refused (the refusals were not for want of a resource).
  expect((await rt.referralStatus(referralId, 0)).status).toBe(200);
  expect((await fetch(`${rt.gatewayUrl}/v1/tasks/${taskId}`, { headers: rt.staffAuth(assignee) })).status).toBe(200);
});

/** A JWT whose payload names another staff id, keeping the original signature. */
function alterPayload(jwt: string, staffId: string): string {
  const [header, payload, signature] = jwt.split('.');
  const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as Record<string, unknown>;
  const altered = { ...claims, 'custom:staff_id': staffId };
  return [header, Buffer.from(JSON.stringify(altered)).toString('base64url'), signature].join('.');
}
