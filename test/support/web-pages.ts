import { derivedKey, randomId, seal } from '../../functions/web/seal.ts';

/**
 * Driving the web pages over HTTP as a browser without JavaScript would: the session cookie from
 * Set-Cookie, the CSRF token from the form's hidden field, urlencoded form posts. Redirects are
 * not followed, so each answer is seen as the handler gave it.
 */
export const STAFF_COOKIE = 'workwell_staff';
export const SELF_REFERRAL_COOKIE = 'workwell_self_referral';

/** A web session as a browser holds it: the Cookie header value and the CSRF token of its forms. */
export interface WebSession {
  readonly cookie: string;
  readonly csrf: string;
}

/** `name=value` of the cookie `name` set by the answer, if it set one (and did not clear it). */
export function cookieSet(res: Response, name: string): string | undefined {
  for (const header of res.headers.getSetCookie()) {
    const [pair] = header.split(';');
    if (pair?.startsWith(`${name}=`) && pair.length > name.length + 1 && !/Max-Age=0/i.test(header)) return pair.trim();
  }
  return undefined;
}

export function csrfOf(page: string): string | undefined {
  return /name="csrfToken" value="([^"]+)"/.exec(page)?.[1];
}

export function formBody(fields: Record<string, string | readonly string[]>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) for (const value of typeof v === 'string' ? [v] : v) params.append(k, value);
  return params.toString();
}

export async function getPage(baseUrl: string, path: string, cookie?: string): Promise<Response> {
  return fetch(`${baseUrl}${path}`, { headers: cookie ? { cookie } : {}, redirect: 'manual', signal: AbortSignal.timeout(30_000) });
}

export async function postForm(baseUrl: string, path: string, fields: Record<string, string | readonly string[]>, cookie?: string): Promise<Response> {
  return fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
    body: formBody(fields),
    redirect: 'manual',
    signal: AbortSignal.timeout(30_000),
  });
}

/** A fresh self-referral form session: GET the first question, keep its cookie and token. */
export async function startSelfReferral(baseUrl: string): Promise<WebSession> {
  const res = await getPage(baseUrl, '/self-referral/postcode');
  const page = await res.text();
  const cookie = cookieSet(res, SELF_REFERRAL_COOKIE);
  const csrf = csrfOf(page);
  if (res.status !== 200 || !cookie || !csrf) throw new Error(`no self-referral session: ${res.status}`);
  return { cookie, csrf };
}

/** Answers of a complete self-referral, page by page, for someone eligible in South Yorkshire. */
export function selfReferralAnswers(n: number): [string, Record<string, string | string[]>][] {
  return [
    ['postcode', { postcode: 'S1 2HE' }],
    ['date-of-birth', { 'dateOfBirth-day': '3', 'dateOfBirth-month': '3', 'dateOfBirth-year': String(1970 + (n % 30)) }],
    ['work-situation', { situation: 'on_sick_leave' }],
    ['other-needs', { otherNeeds: 'no' }],
    ['name', { givenName: `Webself${n}`, familyName: `Person${n}` }],
    ['contact-method', { contactMethod: 'phone' }],
    ['phone', { phone: '07700 900982' }],
    ['conditions', { conditions: ['mental_health'] }],
    ['health-details', { healthDetails: '' }],
    ['support', { support: [] }],
    ['consent', { consent: 'yes', evaluationContact: 'no' }],
  ];
}

/**
 * A self-referral session walked through the form with valid answers, page by page as the form
 * asks for them (following its redirects): the cookie as it stood at each page (sessions are
 * stateless, so any of them can be sent again), and the session's CSRF token.
 */
export async function walkSelfReferral(baseUrl: string, n: number, overrides: Record<string, string> = {}): Promise<{ csrf: string; at: Map<string, string> }> {
  const start = await startSelfReferral(baseUrl);
  const answers = new Map(selfReferralAnswers(n));
  const at = new Map<string, string>();
  let cookie = start.cookie;
  let slug = 'postcode';
  while (slug !== 'check-answers') {
    const fields = answers.get(slug);
    if (!fields || at.has(slug)) throw new Error(`self-referral: no answer for the page ${slug} in test/support/web-pages.ts`);
    at.set(slug, cookie);
    const answer = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, overrides[k] ?? v]));
    const res = await postForm(baseUrl, `/self-referral/${slug}`, { ...answer, csrfToken: start.csrf, website: '' }, cookie);
    cookie = cookieSet(res, SELF_REFERRAL_COOKIE) ?? cookie;
    const next = /^\/self-referral\/([a-z-]+)$/.exec(res.headers.get('location') ?? '')?.[1];
    if (res.status !== 303 || !next) throw new Error(`self-referral ${slug}: ${res.status} ${res.headers.get('location')}`);
    slug = next;
  }
  at.set('check-answers', cookie);
  return { csrf: start.csrf, at };
}

/** Signs a demo coach or team lead in through the sign-in page, as the workspace does locally. */
export async function signInStaff(baseUrl: string, staffId: string): Promise<WebSession> {
  const form = await getPage(baseUrl, '/coach/sign-in');
  const first = cookieSet(form, STAFF_COOKIE);
  const token = csrfOf(await form.text());
  if (!first || !token) throw new Error(`no sign-in form: ${form.status}`);
  const signedIn = await postForm(baseUrl, '/coach/sign-in', { staffId, csrfToken: token }, first);
  const cookie = cookieSet(signedIn, STAFF_COOKIE);
  if (signedIn.status !== 303 || !cookie) throw new Error(`sign in as ${staffId}: ${signedIn.status}`);
  const tasks = await getPage(baseUrl, '/coach/tasks', cookie);
  const csrf = csrfOf(await tasks.text());
  if (tasks.status !== 200 || !csrf) throw new Error(`tasks page for ${staffId}: ${tasks.status}`);
  return { cookie: cookieSet(tasks, STAFF_COOKIE) ?? cookie, csrf };
}

/**
 * A staff session cookie sealed here with the runtime's key (the handlers run in this process),
 * as the server would have made it at `lastSeenAt`: for an expired session without moving the
 * clock. `secret` seals it with another key instead (a forged cookie).
 */
export function sealedStaffCookie(data: Record<string, unknown>, times: { createdAt: number; lastSeenAt: number }, secret?: string): string {
  const key = secret === undefined ? derivedKey('session') : derivedKey('session', secret);
  return `${STAFF_COOKIE}=${seal({ id: randomId(), ...times, data }, STAFF_COOKIE, key)}`;
}

/** The cookie with one bit of its sealed value flipped. */
export function tamperedCookie(cookie: string): string {
  const at = cookie.indexOf('=');
  const raw = Buffer.from(cookie.slice(at + 1), 'base64url');
  raw[Math.floor(raw.length / 2)]! ^= 1;
  return `${cookie.slice(0, at)}=${raw.toString('base64url')}`;
}
