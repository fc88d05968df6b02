import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ApiRoute, apiRoutes } from '../../functions/api-routes.ts';
import { getOnwardReferral } from '../../functions/shared/onward-referral-store.ts';
import { issueCredential, revokeCredential, suspendPartner } from '../../functions/shared/partner-store.ts';
import { getReferral, listTasks } from '../../functions/shared/referral-store.ts';
import { referralForNewPerson } from '../fixtures/referrals.ts';
import { type JourneyTestbed, results, startJourneyTestbed } from '../support/journey.ts';
import { registerTestPartners } from '../support/partners.ts';
import { newProviderPageKey } from '../../functions/shared/provider-page-key.ts';
import { type PageRequest, type ProviderLink, providerPagePath, validPageRequest, validRequest } from '../support/route-requests.ts';
import { formBody, getPage, postForm, sealedStaffCookie, SELF_REFERRAL_COOKIE, signInStaff, STAFF_COOKIE, startSelfReferral, tamperedCookie, walkSelfReferral, type WebSession } from '../support/web-pages.ts';

/**
 * Access: every route of the partner, coach and provider APIs (functions/api-routes.ts, so a new
 * route is tried too, and fails here until test/support/route-requests.ts has a request for it) is sent a request that would
 * succeed with the right credential, with each wrong one instead: none, revoked, suspended,
 * another area's, tampered, another kind's (a coach's JWT on a partner route and so on), another
 * partner's, another coach's, an expired, forged or foreign JWT. Each is refused with the status
 * the contract names, the answer discloses nothing (no ids, names or details of what is behind
 * it), and nothing changes: no referral stored, no journey started, no task completed.
 *
 * The OpenAPI document is public on purpose. The web pages check their own session cookie: they
 * have a test of their own below.
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
  } else if (res.headers.get('content-type')?.includes('application/fhir+json')) {
    // FHIR routes refuse with an OperationOutcome: its issues and nothing else.
    const extra = Object.keys(JSON.parse(text) as object).filter((k) => !['resourceType', 'meta', 'issue'].includes(k));
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
    ...(await changedSince(itemsBefore, journeysBefore)),
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

/** What refused requests must not have changed: referral items and journeys added since, the task and the referral. */
async function changedSince(itemsBefore: number, journeysBefore: number) {
  const { rt } = tb;
  return {
    referralItems: (await rt.countReferralItems()) - itemsBefore,
    journeys: rt.engine.listExecutions().length - journeysBefore,
    task: (await listTasks(referralId, 'first_contact')).find((t) => t.taskId === taskId)?.status,
    referral: await getReferral(referralId).then((r) => ({ status: r?.status, coachId: r?.coachId })),
  };
}

/** A JWT whose payload names another staff id, keeping the original signature. */
function alterPayload(jwt: string, staffId: string): string {
  const [header, payload, signature] = jwt.split('.');
  const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as Record<string, unknown>;
  const altered = { ...claims, 'custom:staff_id': staffId };
  return [header, Buffer.from(JSON.stringify(altered)).toString('base64url'), signature].join('.');
}

/**
 * Access to the web pages (the `page: true` routes): every coach workspace page with no session,
 * an expired one (idle, or past its 10 hours), one its owner signed out of, a forged, tampered or
 * renamed cookie, a removed staff member's or a role it does not have; another coach's session
 * on a task or referral not theirs (404, as if there were none); a coach on the team leads' pages (404); and every form
 * post without, or with another session's, CSRF token (403). The self-referral form's posts
 * without a session (its "answers deleted" page) or token. Each is refused as the code's
 * contract says (no session: 303 to sign in, 401 for a post), discloses nothing, and changes
 * nothing: no referral stored, no journey started, the task still open, the session still valid.
 * The self-referral start and question pages and the assets need no session: they are public.
 * A provider's page wants its e-mailed link's key: none, a forged one, another onward
 * referral's or one whose expiry was moved on is refused (403), an expired one too (410).
 */
it('every web page refuses a wrong, missing or expired session and a wrong CSRF token, disclosing nothing and changing nothing', { timeout: 120_000 }, async () => {
  const { rt, area } = tb;
  const url = rt.gatewayUrl;
  const coach = await signInStaff(url, assignee);
  const other = await signInStaff(url, otherCoach);
  const lead = await signInStaff(url, teamLead);
  // A session its owner signed out of: a copy of its cookie is refused like no session at all.
  const signedOut = await signInStaff(url, assignee);
  expect((await postForm(url, '/coach/sign-out', { csrfToken: signedOut.csrf }, signedOut.cookie)).status).toBe(303);
  rt.clock.advance(61_000); // the form's per-minute post limit: a window of its own
  const walked = await walkSelfReferral(url, 9100);
  const selfReferral: WebSession = { cookie: walked.at.get('postcode')!, csrf: walked.csrf };
  const completed: WebSession = { cookie: walked.at.get('check-answers')!, csrf: walked.csrf };
  const anotherForm = await startSelfReferral(url);
  const familyName = (await getReferral(referralId))!.referral.participant.familyName;
  const assigneeName = area.coaches.find((c) => c.id === assignee)!.name;
  const now = Date.now();
  const staffData = { staffId: assignee, role: 'coach' };
  const otherCookie = (session: WebSession, name: string) => `${name}=${session.cookie.slice(session.cookie.indexOf('=') + 1)}`;
  // A provider's page opens with its e-mailed link's key (made as the notifier makes it).
  const linkTo = (id: string, at = new Date()): ProviderLink => ({ onwardReferralId: id, ...newProviderPageKey(id, at) });
  const provider = linkTo(onward[0]!.id);
  const pages = { referralId, taskId, selfReferral, coach, provider };

  interface PageAttempt {
    readonly route: string;
    readonly who: string;
    readonly expected: number;
    readonly status: number;
    readonly location: string | null;
    readonly disclosed: string[];
  }
  const secrets = [referralId, taskId, givenName, familyName, assigneeName, 'Webself9100'];
  async function tryPage(route: ApiRoute, who: string, req: PageRequest, cookie: string | undefined, csrf: string | undefined, expected: number, path = req.path): Promise<PageAttempt> {
    const res = await fetch(`${url}${path}`, {
      method: route.method,
      headers: { ...(cookie ? { cookie } : {}), ...(req.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      ...(req.form ? { body: formBody({ ...req.form, ...(csrf === undefined ? {} : { csrfToken: csrf }) }) } : {}),
      redirect: 'manual',
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    const headers = [...res.headers].filter(([k]) => k !== 'set-cookie').map(([k, v]) => `${k}: ${v}`).join('\n');
    const disclosed = secrets.filter((s) => `${text}\n${headers}`.includes(s));
    if (res.status >= 400 && !res.headers.get('content-type')?.startsWith('text/html')) disclosed.push(`content-type ${res.headers.get('content-type')}`);
    // A refusal's redirect leads to signing in, and nowhere else.
    const location = res.headers.get('location');
    if (res.status === 303 && location !== '/coach/sign-in') disclosed.push(`location ${location}`);
    return { route: `${route.method} ${route.path}`, who, expected, status: res.status, location, disclosed };
  }

  const itemsBefore = await rt.countReferralItems();
  const journeysBefore = rt.engine.listExecutions().length;
  const attempts: PageAttempt[] = [];
  const pageRoutes = (apiRoutes as readonly ApiRoute[]).filter((r) => 'page' in r);
  const publicRoutes: string[] = [];
  for (const route of pageRoutes) {
    const key = `${route.method} ${route.path}`;
    if (route.function === 'web-coach') {
      const req = validPageRequest(route, pages);
      const post = route.method === 'POST';
      // No session: GET pages send to sign in; a post is answered 401 ("your session has ended"),
      // except signing out, which has nothing to end (200, the signed-out page, the cookie cleared)
      // or, for a sealed session of someone it no longer names, still wants the session's token (403).
      const signOut = key === 'POST /coach/{page}';
      const signIn = signOut ? 200 : post ? 401 : 303;
      const noSession: [string, string | undefined][] = [
        ['no session', undefined],
        ['an idle-expired session', sealedStaffCookie(staffData, { createdAt: now - 40 * 60_000, lastSeenAt: now - 31 * 60_000 })],
        ['a session past its 10 hours', sealedStaffCookie(staffData, { createdAt: now - 10 * 3600_000 - 60_000, lastSeenAt: now - 60_000 })],
        ['a forged session (another key)', sealedStaffCookie(staffData, { createdAt: now, lastSeenAt: now }, 'not-the-stack-secret-0123456789')],
        ['a tampered session', tamperedCookie(coach.cookie)],
        ['the self-referral cookie renamed', otherCookie(selfReferral, STAFF_COOKIE)],
        ['a removed staff member', sealedStaffCookie({ staffId: 'coach-removed', role: 'coach' }, { createdAt: now, lastSeenAt: now })],
        ['a coach claiming team lead', sealedStaffCookie({ staffId: assignee, role: 'team_lead' }, { createdAt: now, lastSeenAt: now })],
        ['a session signed out of', signedOut.cookie],
      ];
      for (const [who, cookie] of noSession) {
        const sealedByUs = who === 'a removed staff member' || who === 'a coach claiming team lead';
        attempts.push(await tryPage(route, who, req, cookie, coach.csrf, signOut && sealedByUs ? 403 : signIn));
      }
      if (route.path.includes('{taskId}') || route.path.includes('{referralId}')) attempts.push(await tryPage(route, "another coach's session", req, other.cookie, other.csrf, 404));
      if (post) {
        attempts.push(await tryPage(route, 'no CSRF token', req, coach.cookie, undefined, 403));
        attempts.push(await tryPage(route, "another session's CSRF token", req, coach.cookie, other.csrf, 403));
        attempts.push(await tryPage(route, 'a CSRF token of the self-referral form', req, coach.cookie, selfReferral.csrf, 403));
      }
      if (key === 'GET /coach/{page}') {
        for (const page of ['team', 'waitlist']) attempts.push(await tryPage(route, `a coach on /coach/${page}`, req, coach.cookie, undefined, 404, `/coach/${page}`));
      }
    } else if (key === 'POST /self-referral/{page}') {
      const req = validPageRequest(route, pages);
      const send = { ...req, path: '/self-referral/check-answers', form: { website: '' } };
      for (const [who, r] of [['a question', req], ['sending the completed form', send]] as const) {
        const cookie = r === send ? completed.cookie : selfReferral.cookie;
        attempts.push(await tryPage(route, `${who}: no session`, r, undefined, walked.csrf, 200));
        attempts.push(await tryPage(route, `${who}: a tampered session`, r, tamperedCookie(cookie), walked.csrf, 200));
        attempts.push(await tryPage(route, `${who}: the staff cookie renamed`, r, otherCookie(coach, SELF_REFERRAL_COOKIE), coach.csrf, 200));
        attempts.push(await tryPage(route, `${who}: no CSRF token`, r, cookie, undefined, 403));
        attempts.push(await tryPage(route, `${who}: another form's CSRF token`, r, cookie, anotherForm.csrf, 403));
        attempts.push(await tryPage(route, `${who}: a coach's CSRF token`, r, cookie, coach.csrf, 403));
      }
    } else if (route.function === 'web-provider') {
      // Refused with a GOV.UK error page: no key, a forged one, another onward referral's, one
      // whose expiry was moved on (403), an expired one (410).
      const req = validPageRequest(route, pages);
      const withLink = (link: ProviderLink): PageRequest =>
        route.method === 'GET' ? { path: providerPagePath(link) } : { ...req, form: { ...req.form, expires: String(link.expires), key: link.key } };
      const forged = { ...provider, key: `${provider.key.slice(0, -2)}${provider.key.endsWith('AA') ? 'BB' : 'AA'}` };
      const cases: [string, PageRequest, number][] = [
        ['no key', route.method === 'GET' ? { path: `/provider/onward-referrals/${provider.onwardReferralId}` } : { ...req, form: { status: 'accepted' } }, 403],
        ['a forged key', withLink(forged), 403],
        ["another onward referral's key", withLink({ ...linkTo(onward[1]!.id), onwardReferralId: provider.onwardReferralId }), 403],
        ['a key with its expiry moved on', withLink({ ...provider, expires: provider.expires + 86_400 }), 403],
        ['an expired key', withLink(linkTo(provider.onwardReferralId, new Date(now - 31 * 86_400_000))), 410],
      ];
      for (const [who, r, expected] of cases) attempts.push(await tryPage(route, who, r, undefined, undefined, expected));
    } else {
      publicRoutes.push(key);
    }
  }
  await rt.engine.idle();
  const wrong = attempts.filter((a) => a.status !== a.expected);
  const disclosing = attempts.filter((a) => a.disclosed.length > 0);
  const unchanged = await changedSince(itemsBefore, journeysBefore);
  console.log(
    `access (web pages): ${pageRoutes.length} routes (${publicRoutes.length} public), ${attempts.length} refused attempts, ${attempts.length - wrong.length} with the right status, ` +
      `${wrong.length} wrong, ${disclosing.length} disclosing, ${unchanged.referralItems} referrals stored, ${unchanged.journeys} journeys started, ` +
      `task ${unchanged.task}`,
  );
  expect(wrong.map((a) => `${a.route} as ${a.who}: ${a.status} ${a.location ?? ''}, expected ${a.expected}`)).toEqual([]);
  expect(disclosing.map((a) => `${a.route} as ${a.who}: ${a.disclosed.join(', ')}`)).toEqual([]);
  expect(publicRoutes.sort()).toEqual(['GET /assets/{proxy+}', 'GET /help/{page}', 'GET /self-referral', 'GET /self-referral/{page}']);
  expect(attempts.length).toBe(attempts.length - wrong.length);
  expect(unchanged).toEqual({ referralItems: 0, journeys: 0, task: 'open', referral: { status: 'awaiting_first_contact', coachId: assignee } });
  // The rightful visitors do get through with what was refused: the coach sees and completes the
  // task, the team lead sees the team, the completed form is sent once.
  expect((await getPage(url, `/coach/tasks/${taskId}`, coach.cookie)).status).toBe(200);
  expect((await getPage(url, `/coach/referrals/${referralId}`, coach.cookie)).status).toBe(200);
  expect((await getPage(url, '/coach/team', lead.cookie)).status).toBe(200);
  expect((await getPage(url, providerPagePath(provider))).status).toBe(200);
  const taskRoute = pageRoutes.find((r) => r.method === 'POST' && r.path === '/coach/tasks/{taskId}')!;
  const done = await tryPage(taskRoute, 'the assignee', validPageRequest(taskRoute, pages), coach.cookie, coach.csrf, 303);
  expect(done.status).toBe(303);
  const sendRoute = pageRoutes.find((r) => r.method === 'POST' && r.path === '/self-referral/{page}')!;
  const sent = await tryPage(sendRoute, 'the person', { path: '/self-referral/check-answers', form: { website: '' } }, completed.cookie, completed.csrf, 303);
  expect(sent.status).toBe(303);
  await rt.engine.idle();
  expect((await rt.countReferralItems()) - itemsBefore).toBe(1);
  expect((await listTasks(referralId, 'first_contact')).find((t) => t.taskId === taskId)?.status).toBe('completed');
});
