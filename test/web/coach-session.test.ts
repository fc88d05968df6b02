import { createHash } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadArea } from '../../areas/index.ts';
import { handler, staffSession } from '../../functions/handlers/web-coach.ts';
import type { HumanTask } from '../../functions/shared/referral-store.ts';
import { taskSummary } from '../../functions/shared/task-list.ts';
import { authorizeUrl, codeChallenge, logoutUrl, newSignInRequest, staffIdOfClaims } from '../../functions/web/coach/hosted-ui.ts';
import { type SignedIn, tasksPage } from '../../functions/web/coach/pages.ts';
import { CSRF_FIELD, csrfToken } from '../../functions/web/csrf.ts';
import { CONTENT_SECURITY_POLICY, contentSecurityPolicy } from '../../functions/web/http.ts';
import { newSession, readSession, sessionCookie, sessionKey } from '../../functions/web/session.ts';
import { sessionEnded } from '../../functions/web/ended-sessions.ts';
import { safeReturnPath } from '../../functions/web/paths.ts';
import { setHandlerEnvironment, startTestDatabase, type TestDatabase } from '../support/dynamodb-local.ts';
import { lambdaContext } from '../support/events.ts';

/**
 * The coach workspace's sessions as AWS runs them (signing in on the hosted UI), by calling the
 * handler directly: a form posted after the session ended, signing out of the identity provider
 * too (and of every copy of the session's cookie: recorded in DynamoDB Local), and the
 * authorisation code flow's PKCE, state and nonce.
 */
const HOSTED_UI = 'https://workwell-south-yorkshire.auth.eu-west-2.amazoncognito.com';
const CLIENT_ID = 'coach-client-id';
const PUBLIC_API_URL = 'https://api.workwell.example/live';
const area = loadArea('south-yorkshire');
const teamLead = area.teamLeads[0]!;

let db: TestDatabase;
beforeAll(async () => {
  db = await startTestDatabase();
  setHandlerEnvironment({ dynamoEndpoint: db.endpoint });
  process.env.PROVIDER_KEY_SECRET = 'test-secret-for-web-pages-0123456789';
  process.env.AREA_SLUG = 'south-yorkshire';
  process.env.PUBLIC_API_URL = PUBLIC_API_URL;
  process.env.COACH_SIGN_IN = 'hosted-ui';
  process.env.COACH_HOSTED_UI_DOMAIN = HOSTED_UI;
  process.env.COACH_HOSTED_UI_CLIENT_ID = CLIENT_ID;
});
afterAll(async () => {
  await db?.stop();
});
afterEach(() => {
  vi.unstubAllGlobals();
  process.env.COACH_SIGN_IN = 'hosted-ui';
});

function coachEvent(o: { method: 'GET' | 'POST'; path: string; cookie?: string; body?: string; query?: Record<string, string> }): APIGatewayProxyEvent {
  const headers: Record<string, string> = {
    Host: 'api.workwell.example',
    ...(o.cookie ? { Cookie: o.cookie } : {}),
    ...(o.body !== undefined ? { 'Content-Type': 'application/x-www-form-urlencoded' } : {}),
  };
  const [, , page, id] = o.path.split('/');
  const pathParameters = id ? { [page === 'tasks' ? 'taskId' : 'referralId']: id } : page ? { page } : null;
  return {
    httpMethod: o.method,
    path: o.path,
    resource: o.path,
    body: o.body ?? null,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    isBase64Encoded: false,
    pathParameters,
    queryStringParameters: o.query ?? null,
    multiValueQueryStringParameters: null,
    stageVariables: null,
    requestContext: {} as APIGatewayProxyEvent['requestContext'],
  };
}

const call = (event: APIGatewayProxyEvent) => handler(event, lambdaContext('web-coach')) as Promise<APIGatewayProxyResult>;
const setCookies = (res: APIGatewayProxyResult) => (res.multiValueHeaders?.['Set-Cookie'] ?? []).map(String);
const cookieOf = (setCookie: string) => setCookie.split(';')[0]!;
const headingOf = (res: APIGatewayProxyResult) => /<h1[^>]*>([^<]*)<\/h1>/.exec(res.body)?.[1];

/** A signed-in team lead's session cookie, last used at `lastUsed`. */
function signedInCookie(lastUsed = Date.now()) {
  const session = newSession({ staffId: teamLead.id, role: 'team_lead' as const }, lastUsed);
  return { id: session.id, cookie: cookieOf(sessionCookie(staffSession, session, lastUsed)), csrf: csrfToken(session.id, sessionKey()) };
}

describe('a form posted after the session ended', () => {
  const completeTask = (cookie?: string) =>
    call(coachEvent({ method: 'POST', path: '/coach/tasks/task-1', body: `${CSRF_FIELD}=x&outcome=engaged`, ...(cookie ? { cookie } : {}) }));

  it('is answered with a page saying nothing was saved, never a redirect towards the hosted UI', async () => {
    const { cookie } = signedInCookie(Date.now() - 31 * 60_000);
    const res = await completeTask(cookie);
    expect(res.statusCode).toBe(401);
    expect(res.headers?.Location).toBeUndefined();
    expect(res.headers?.['Cache-Control']).toBe('no-store');
    expect(headingOf(res)).toBe('Your session has ended');
    expect(res.body).toContain('had not done anything for 30 minutes');
    expect(res.body).toContain('We have not saved what you entered');
    expect(res.body).toContain('href="/live/coach/sign-in"'); // a link (GET), which form-action does not govern
    expect(setCookies(res).join()).toMatch(/workwell_staff=;.*Max-Age=0/);
  });

  it('says the same without any session, and still sends a GET to sign in', async () => {
    const res = await completeTask();
    expect(res.statusCode).toBe(401);
    expect(res.body).toContain('You are not signed in.');
    const anotherPost = await call(coachEvent({ method: 'POST', path: '/coach/tasks', body: `${CSRF_FIELD}=x` }));
    expect(anotherPost.statusCode).toBe(401);

    const get = await call(coachEvent({ method: 'GET', path: '/coach/tasks/task-1', cookie: signedInCookie(Date.now() - 31 * 60_000).cookie }));
    expect(get.statusCode).toBe(303);
    expect(get.headers?.Location).toBe('/live/coach/sign-in');
  });
});

describe('signing out', () => {
  const signOut = (cookie: string | undefined, csrf: string) =>
    call(coachEvent({ method: 'POST', path: '/coach/sign-out', body: `${CSRF_FIELD}=${encodeURIComponent(csrf)}`, ...(cookie ? { cookie } : {}) }));

  it("in AWS clears the session and ends the hosted UI's session, returning to a registered page", async () => {
    const { cookie, csrf } = signedInCookie();
    const res = await signOut(cookie, csrf);
    expect(res.statusCode).toBe(303);
    const location = new URL(String(res.headers?.Location));
    expect(location.origin + location.pathname).toBe(`${HOSTED_UI}/logout`);
    expect(Object.fromEntries(location.searchParams)).toEqual({ client_id: CLIENT_ID, logout_uri: `${PUBLIC_API_URL}/coach/signed-out` });
    expect(setCookies(res).join()).toMatch(/workwell_staff=;.*Max-Age=0/);
  });

  it('lets every workspace page post a form that ends at the hosted UI, and no other origin', async () => {
    const res = await call(coachEvent({ method: 'GET', path: '/coach/signed-out' }));
    expect(headingOf(res)).toBe('You have signed out');
    const directives = (policy: string) => policy.split('; ');
    const policy = directives(String(res.headers?.['Content-Security-Policy']));
    expect(policy).toContain(`form-action 'self' ${HOSTED_UI}`);
    expect(policy).toContain("frame-ancestors 'none'");
    expect(directives(CONTENT_SECURITY_POLICY)).toContain("form-action 'self'"); // the self-referral form keeps to this site
    expect(() => contentSecurityPolicy(["https://x.example; script-src 'unsafe-inline'"])).toThrow();
  });

  it('ends every copy of the session: its cookie, sent again, is signed out', async () => {
    const { id, cookie, csrf } = signedInCookie();
    expect(await sessionEnded(id)).toBe(false);
    expect((await signOut(cookie, csrf)).statusCode).toBe(303);
    expect(await sessionEnded(id)).toBe(true);
    const page = await call(coachEvent({ method: 'GET', path: '/coach/tasks', cookie }));
    expect(page.statusCode).toBe(303);
    expect(page.headers?.Location).toBe('/live/coach/sign-in');
    const post = await call(coachEvent({ method: 'POST', path: '/coach/tasks/task-1', body: `${CSRF_FIELD}=${encodeURIComponent(csrf)}&outcome=engaged`, cookie }));
    expect(post.statusCode).toBe(401);
    // Signing out of it again has nothing left to end.
    expect((await signOut(cookie, csrf)).statusCode).toBe(200);
  });

  it('refuses a forged form, and keeps the session', async () => {
    const { cookie } = signedInCookie();
    const res = await signOut(cookie, 'forged');
    expect(res.statusCode).toBe(403);
    expect(setCookies(res).join()).not.toContain('Max-Age=0');
  });

  it("after the session ended, says so and offers the hosted UI's sign-out as a link", async () => {
    const res = await signOut(signedInCookie(Date.now() - 31 * 60_000).cookie, 'stale');
    expect(res.statusCode).toBe(200);
    expect(res.headers?.Location).toBeUndefined();
    expect(headingOf(res)).toBe('You have signed out');
    expect(res.body).toContain(`href="${logoutUrl(`${PUBLIC_API_URL}/coach/signed-out`).replaceAll('&', '&amp;')}"`);
  });

  it('locally just clears the session', async () => {
    process.env.COACH_SIGN_IN = 'demo';
    const { cookie, csrf } = signedInCookie();
    const res = await signOut(cookie, csrf);
    expect(res.statusCode).toBe(303);
    expect(res.headers?.Location).toBe('/live/coach/signed-out');
    expect(setCookies(res).join()).toMatch(/Max-Age=0/);
    const page = await call(coachEvent({ method: 'GET', path: '/coach/signed-out' }));
    expect(page.headers?.['Content-Security-Policy']).toBe(CONTENT_SECURITY_POLICY);
  });
});

describe('signing in on the hosted UI', () => {
  async function startSignIn() {
    const res = await call(coachEvent({ method: 'GET', path: '/coach/sign-in' }));
    expect(res.statusCode).toBe(303);
    const cookie = cookieOf(setCookies(res)[0]!);
    const read = readSession(staffSession, { headers: { Cookie: cookie }, multiValueHeaders: {} });
    if (read.state !== 'active' || !read.session.data.signIn) throw new Error('no sign-in request kept');
    return { authorize: new URL(String(res.headers?.Location)), cookie, request: read.session.data.signIn };
  }

  it('sends a PKCE S256 challenge, a state and a nonce, keeping the verifier only in the sealed cookie', async () => {
    const { authorize, cookie, request } = await startSignIn();
    expect(authorize.origin + authorize.pathname).toBe(`${HOSTED_UI}/oauth2/authorize`);
    const query = Object.fromEntries(authorize.searchParams);
    expect(query).toMatchObject({ response_type: 'code', client_id: CLIENT_ID, redirect_uri: `${PUBLIC_API_URL}/coach/signed-in`, scope: 'openid', code_challenge_method: 'S256' });
    expect(query.code_challenge).toBe(createHash('sha256').update(request.codeVerifier).digest('base64url'));
    expect(query.state).toBe(request.state);
    expect(query.nonce).toBe(request.nonce);
    expect(request.codeVerifier).toMatch(/^[A-Za-z0-9_-]{43,128}$/);
    expect(authorize.toString()).not.toContain(request.codeVerifier);
    expect(cookie).not.toContain(request.codeVerifier);
  });

  it('refuses a code that comes back with another state, without asking for tokens', async () => {
    const fetchMock = vi.fn();
    vi.stubGlobal('fetch', fetchMock);
    const { cookie } = await startSignIn();
    const res = await call(coachEvent({ method: 'GET', path: '/coach/signed-in', cookie, query: { code: 'code-1', state: 'another' } }));
    expect(res.statusCode).toBe(303);
    expect(res.headers?.Location).toBe('/live/coach/sign-in');
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it('sends the PKCE verifier with the code to the token endpoint', async () => {
    const fetchMock = vi.fn(async (_url: URL, _init: RequestInit) => new Response('{"error":"invalid_grant"}', { status: 400 }));
    vi.stubGlobal('fetch', fetchMock);
    const { cookie, request } = await startSignIn();
    const res = await call(coachEvent({ method: 'GET', path: '/coach/signed-in', cookie, query: { code: 'code-1', state: request.state } }));
    expect(res.statusCode).toBe(403); // the token endpoint said no: nobody is signed in
    expect(fetchMock).toHaveBeenCalledOnce();
    const [url, init] = fetchMock.mock.calls[0]!;
    expect(String(url)).toBe(`${HOSTED_UI}/oauth2/token`);
    expect(Object.fromEntries(new URLSearchParams(String(init.body)))).toEqual({
      grant_type: 'authorization_code',
      client_id: CLIENT_ID,
      code: 'code-1',
      redirect_uri: `${PUBLIC_API_URL}/coach/signed-in`,
      code_verifier: request.codeVerifier,
    });
  });

  it("takes the staff id only from an ID token carrying this sign-in's nonce", () => {
    const request = newSignInRequest();
    expect(codeChallenge(request.codeVerifier)).toBe(new URL(authorizeUrl('https://x.example/cb', request)).searchParams.get('code_challenge'));
    expect(staffIdOfClaims({ 'custom:staff_id': 'coach-1', nonce: request.nonce }, request.nonce)).toBe('coach-1');
    expect(staffIdOfClaims({ 'custom:staff_id': 'coach-1', nonce: 'replayed' }, request.nonce)).toBeUndefined();
    expect(staffIdOfClaims({ 'custom:staff_id': 'coach-1' }, request.nonce)).toBeUndefined();
  });
});

describe('my tasks', () => {
  const now = Date.parse('2026-01-05T12:00:00.000Z');
  const task = (taskId: string, dueAt: string, status: HumanTask['status'] = 'open'): HumanTask => ({
    taskId,
    referralId: `ref-${taskId}`,
    type: 'first_contact',
    status,
    attempt: 1,
    dueAt,
    openedAt: '2026-01-01T09:00:00.000Z',
    assignee: teamLead.id,
  });

  it('lists tasks soonest due first, marking overdue ones, on a fixed clock', () => {
    const tasks = [
      task('later', '2026-01-07T09:00:00.000Z'),
      // Past due, but its overdue timer has not run yet: the clock marks it all the same.
      task('due-yesterday', '2026-01-04T09:00:00.000Z'),
      task('escalated', '2026-01-02T09:00:00.000Z', 'overdue'),
      task('today', '2026-01-05T17:00:00.000Z'),
    ].map((t) => taskSummary(t, now, new Set()));
    const who: SignedIn = { staff: { staffId: 'coach-1', role: 'coach' }, name: 'A Coach', csrf: 'token', area };
    const body = tasksPage(who, tasks, undefined, new Map()).value;

    expect(body).toContain('4 open tasks, 2 overdue. Soonest due first.');
    const rows = body.split('<tbody')[1]!.split('<tr class="govuk-table__row">').slice(1);
    const rowOf = (row: string) => ({ taskId: /\/coach\/tasks\/([^"]+)"/.exec(row)![1], overdue: row.includes('<strong class="govuk-tag govuk-tag--red">Overdue</strong>') });
    expect(rows.map(rowOf)).toEqual([
      { taskId: 'escalated', overdue: true },
      { taskId: 'due-yesterday', overdue: true },
      { taskId: 'today', overdue: false },
      { taskId: 'later', overdue: false },
    ]);
    expect(rows[0]).toContain('2 January 2026 at 9:00am');
  });
});

describe('signing in from a link to a workspace page (an e-mail, a bookmark)', () => {
  const sessionOf = (cookie: string) => {
    const read = readSession(staffSession, coachEvent({ method: 'GET', path: '/coach/sign-in', cookie }));
    if (read.state !== 'active') throw new Error('no session');
    return read.session;
  };

  it('comes back to the page asked for', async () => {
    process.env.COACH_SIGN_IN = 'demo';
    const get = await call(coachEvent({ method: 'GET', path: '/coach/tasks/task-1' }));
    expect(get.statusCode).toBe(303);
    expect(get.headers?.Location).toBe('/live/coach/sign-in');
    const cookie = cookieOf(setCookies(get)[0]!);
    const csrf = csrfToken(sessionOf(cookie).id, sessionKey());
    const body = `${CSRF_FIELD}=${encodeURIComponent(csrf)}&staffId=${encodeURIComponent(teamLead.id)}`;
    const post = await call(coachEvent({ method: 'POST', path: '/coach/sign-in', cookie, body }));
    expect(post.statusCode).toBe(303);
    expect(post.headers?.Location).toBe('/live/coach/tasks/task-1');
  });

  it('keeps the page through the hosted UI sign-in', async () => {
    const get = await call(coachEvent({ method: 'GET', path: '/coach/referrals/ref-1' }));
    const signIn = await call(coachEvent({ method: 'GET', path: '/coach/sign-in', cookie: cookieOf(setCookies(get)[0]!) }));
    expect(signIn.headers?.Location).toMatch(new RegExp(`^${HOSTED_UI}/oauth2/authorize`));
    expect(sessionOf(cookieOf(setCookies(signIn)[0]!)).data).toMatchObject({ returnTo: '/coach/referrals/ref-1', signIn: expect.any(Object) });
  });

  it('never leads off the workspace: only same-site workspace pages are return targets', () => {
    for (const hostile of ['//evil.example/coach/tasks/x', 'https://evil.example/coach/tasks/x', '/coach/tasks/../../v1/tasks', '/coach/tasks/a\\b', '/coach/sign-in', '/coach/sign-out', '/v1/tasks/x', '/coach/tasks/x?next=//evil', '']) {
      expect(safeReturnPath(hostile), hostile).toBeUndefined();
    }
    expect(safeReturnPath('/coach/tasks/task-1')).toBe('/coach/tasks/task-1');
    expect(safeReturnPath('/coach/referrals/ref_1-A')).toBe('/coach/referrals/ref_1-A');
  });
});

describe('a provider chase task', () => {
  it('names the services with no answer', async () => {
    const { referralForNewPerson } = await import('../fixtures/referrals.ts');
    const { taskPage } = await import('../../functions/web/coach/pages.ts');
    const who: SignedIn = { staff: { staffId: 'coach-1', role: 'coach' }, name: 'A Coach', csrf: 'token', area };
    const task: HumanTask = { taskId: 't-1', referralId: 'r-1', type: 'provider_chase', status: 'open', attempt: 1, dueAt: '2026-01-07T09:00:00.000Z', openedAt: '2026-01-01T09:00:00.000Z', assignee: 'coach-1' };
    const referral = { referralId: 'r-1', referral: referralForNewPerson(), source: 'gp', referrerOrganisation: 'A practice', receivedAt: '2026-01-01T09:00:00.000Z' } as unknown as Parameters<typeof taskPage>[2];
    const body = taskPage(who, task, referral, {}, [], ['South Yorkshire employment advice']).value;
    expect(/data-testid="silent-services">([^<]*)</.exec(body)?.[1]).toBe('No answer from South Yorkshire employment advice');
    expect(taskPage(who, task, referral, {}, []).value).not.toContain('silent-services');
  });
});
