import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { z } from 'zod';
import { getCoach, listCoaches } from '../shared/coach-store.ts';
import { listOnwardReferrals } from '../shared/onward-referral-store.ts';
import { logSafe, observed } from '../shared/observability.ts';
import { findReferralByIdOrReference, findTaskById, getReferral, listTasks, listTimeline, type StoredReferral, TaskNotFound } from '../shared/referral-store.ts';
import { referencePrefixOf } from '../domain/reference.ts';
import { actsFor, isTeamLead, mayHandleTask, type Staff } from '../shared/staff.ts';
import { completeTask, TaskConflict, TaskResultInvalid } from '../shared/task-completion.ts';
import { listStaffTasks } from '../shared/task-list.ts';
import { listWaitlist } from '../shared/waitlist-view.ts';
import { currentArea, dateInTimeZone } from '../shared/workflow.ts';
import { authorizeUrl, demoSignIn, hostedUiConfigured, hostedUiOrigin, logoutUrl, newSignInRequest, sameState, staffIdFromCode } from '../web/coach/hosted-ui.ts';
import {
  coachPaths,
  messagePage,
  referralPage,
  sessionEndedPage,
  type SignedIn,
  signedOutPage,
  signInPage,
  taskPage,
  taskTypeText,
  tasksPage,
  teamPage,
  waitlistPage,
} from '../web/coach/pages.ts';
import { fieldOfPointer, taskForms } from '../web/coach/task-forms.ts';
import type { FieldError } from '../web/components.ts';
import { CSRF_FIELD, csrfToken, validCsrf } from '../web/csrf.ts';
import { webErrors } from '../web/errors.ts';
import { safeReturnPath } from '../web/paths.ts';
import { contentSecurityPolicy, field, htmlPage, readForm, redirect } from '../web/http.ts';
import type { SafeHtml } from '../web/html.ts';
import { endSession, sessionEnded } from '../web/ended-sessions.ts';
import { clearSessionCookie, newSession, readSession, type Session, sessionCookie, sessionKey, type SessionSpec } from '../web/session.ts';

/**
 * The coach workspace (GET and POST /coach/...): sign in (locally by choosing a demo coach, in
 * AWS through the identity provider's hosted sign-in page), my tasks by due date with overdue
 * marked, a task page with the form for its type, a referral page with the journey timeline,
 * and, for team leads, the team and the waitlist. Access follows the coach API's rules
 * (functions/shared/staff.ts), and completing a task is completeTask, exactly as the task API
 * does it. The session is an encrypted cookie with a 30-minute idle time-out; a form posted
 * after it ended is answered with a page saying so, and signing out in AWS also signs out of
 * the hosted UI.
 */
const StaffSessionData = z.strictObject({
  staffId: z.string().max(64).optional(),
  role: z.enum(['coach', 'team_lead']).optional(),
  // Between the redirect to the hosted sign-in page and the code's return (hosted-ui.ts).
  signIn: z.strictObject({ state: z.string().max(64), codeVerifier: z.string().min(43).max(128), nonce: z.string().max(64) }).optional(),
  flash: z.string().max(200).optional(),
  // The page an e-mail's link (or a bookmark) asked for before signing in (paths.ts safeReturnPath).
  returnTo: z.string().max(200).optional(),
});
type StaffSessionData = z.infer<typeof StaffSessionData>;
type StaffSession = Session<StaffSessionData>;

export const staffSession: SessionSpec<StaffSessionData> = {
  cookie: 'workwell_staff',
  data: StaffSessionData,
  idleMs: 30 * 60_000,
  maxAgeMs: 10 * 3600_000,
  // Lax: the identity provider's redirect back (a cross-site navigation) must carry it.
  sameSite: 'Lax',
};

const Id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

function keep(session: StaffSession, data: StaffSessionData = session.data): string {
  return sessionCookie(staffSession, { ...session, data });
}

async function staffMembers(): Promise<{ staffId: string; name: string; role: 'coach' | 'team_lead' }[]> {
  const area = currentArea();
  return [
    ...area.teamLeads.map((l) => ({ staffId: l.id, name: l.name, role: 'team_lead' as const })),
    ...(await listCoaches()).map((c) => ({ staffId: c.coachId, name: c.name, role: 'coach' as const })),
  ];
}

async function roleOf(staffId: string): Promise<Staff['role'] | undefined> {
  if (isTeamLead(staffId)) return 'team_lead';
  return (await getCoach(staffId)) ? 'coach' : undefined;
}

async function namesOf(): Promise<Map<string, string>> {
  return new Map((await staffMembers()).map((s) => [s.staffId, s.name]));
}

/** An absolute address of a workspace page, as the identity provider must be told it. */
function publicUrl(event: APIGatewayProxyEvent, path: string): string {
  return new URL(path.replace(/^\//, ''), `${process.env.PUBLIC_API_URL ?? `https://${event.headers?.Host ?? 'localhost'}`}/`).toString();
}

/**
 * A workspace page. In AWS its forms may end at the hosted UI (sign-out goes on to its /logout),
 * and browsers apply form-action to redirects after a form post: that one origin is allowed.
 */
function coachHtml(statusCode: number, body: SafeHtml, setCookies: readonly string[] = [], extra: Record<string, string> = {}): APIGatewayProxyResult {
  const hostedUi = hostedUiOrigin();
  return htmlPage(statusCode, body, setCookies, { 'Content-Security-Policy': contentSecurityPolicy(hostedUi ? [hostedUi] : []), ...extra });
}

/**
 * Someone not (or no longer) signed in. A GET goes to sign in; a form post is answered here,
 * never redirected: in AWS the way to sign in leads to the hosted UI, another origin, which the
 * browser would refuse after a form post (form-action), so the coach would see nothing happen
 * and lose their answer without a word. 401: nothing was done, for want of a signed-in session.
 */
function notSignedIn(event: APIGatewayProxyEvent, reason: 'timed-out' | 'not-signed-in'): APIGatewayProxyResult {
  if (event.httpMethod === 'POST') return coachHtml(401, sessionEndedPage(reason), [clearSessionCookie(staffSession)]);
  const returnTo = safeReturnPath(event.path);
  const fresh = newSession<StaffSessionData>({ ...(reason === 'timed-out' ? { flash: 'timed-out' } : {}), ...(returnTo ? { returnTo } : {}) });
  return redirect(coachPaths.signIn, [keep(fresh)]);
}

/**
 * Signing out ends the session cookie and, in AWS, the hosted UI's own session (its /logout
 * sends the browser back to /coach/signed-out), so on a shared computer "sign in again" asks
 * for a password.
 */
async function signOut(event: APIGatewayProxyEvent, session: StaffSession | undefined): Promise<APIGatewayProxyResult> {
  const cleared = [clearSessionCookie(staffSession)];
  // Already ended: no session to check the form against, so the hosted UI's sign-out is a link.
  if (!session?.data.staffId) return coachHtml(200, signedOutPage(hostedUiConfigured() ? logoutUrl(publicUrl(event, coachPaths.signedOut)) : undefined), cleared);
  const form = readForm(event);
  if (!form || !validCsrf(session.id, field(form, CSRF_FIELD), sessionKey())) {
    return coachHtml(403, messagePage('Sorry, that form has expired', 'Go back, reload the page and try again.'), [keep(session)]);
  }
  // A copy of the cookie (another tab, another machine) ends with it.
  await endSession(session.id, session.createdAt + staffSession.maxAgeMs);
  logSafe('info', 'staff signed out', { code: session.data.role ?? 'unknown' });
  return redirect(hostedUiConfigured() ? logoutUrl(publicUrl(event, coachPaths.signedOut)) : coachPaths.signedOut, cleared);
}

/** Signs `staffId` in with a fresh session id (no session fixation), onto the page asked for or their tasks. */
function signedIn(staffId: string, role: Staff['role'], returnTo: string | undefined): APIGatewayProxyResult {
  logSafe('info', 'staff signed in', { code: role });
  const session = newSession<StaffSessionData>({ staffId, role });
  return redirect(safeReturnPath(returnTo) ?? coachPaths.tasks, [keep(session)]);
}

async function signInRoutes(page: string, event: APIGatewayProxyEvent, session: StaffSession, notice?: string): Promise<APIGatewayProxyResult> {
  const area = currentArea();
  if (page === 'signed-in' && event.httpMethod === 'GET') {
    const code = event.queryStringParameters?.code;
    const request = session.data.signIn;
    if (!hostedUiConfigured() || !code || !request || !sameState(event.queryStringParameters?.state, request)) return redirect(coachPaths.signIn, [keep(session, {})]);
    const staffId = await staffIdFromCode(code, publicUrl(event, coachPaths.signedIn), request);
    const role = staffId ? await roleOf(staffId) : undefined;
    if (!staffId || !role) return coachHtml(403, messagePage('You cannot use this service', 'Your account is not a coach or team lead of this area.'), [keep(session, {})]);
    return signedIn(staffId, role, session.data.returnTo);
  }
  if (demoSignIn()) {
    const csrf = csrfToken(session.id, sessionKey());
    if (event.httpMethod === 'POST') {
      const form = readForm(event);
      if (!form || !validCsrf(session.id, field(form, CSRF_FIELD), sessionKey())) {
        return coachHtml(403, messagePage('Sorry, that form has expired', 'Go back, reload the page and try again.'), [keep(session)]);
      }
      const staffId = field(form, 'staffId');
      const role = Id.safeParse(staffId).success ? await roleOf(staffId) : undefined;
      if (!role) {
        const errors: FieldError[] = [{ field: 'staffId', message: 'Select who you are signing in as' }];
        return coachHtml(400, signInPage(area, await staffMembers(), csrf, errors), [keep(session)]);
      }
      return signedIn(staffId, role, session.data.returnTo);
    }
    return coachHtml(200, signInPage(area, await staffMembers(), csrf, [], notice), [keep(session)]);
  }
  if (hostedUiConfigured()) {
    const signIn = newSignInRequest();
    const { returnTo } = session.data;
    return redirect(authorizeUrl(publicUrl(event, coachPaths.signedIn), signIn), [keep(session, { signIn, ...(returnTo ? { returnTo } : {}) })]);
  }
  return coachHtml(503, messagePage('Sign in is not set up', 'This workspace has no sign-in configured yet. Contact your service administrator.'));
}

async function mayViewReferral(staff: Staff, referral: StoredReferral): Promise<boolean> {
  if (await actsFor(staff, referral.coachId)) return true;
  // Unassigned referrals (reviews, the waitlist) are the area's team leads' to see.
  return staff.role === 'team_lead' && !referral.coachId;
}

/** The services a referral's onward referrals have no answer from (a provider chase task names them). */
async function silentServices(referralId: string, area: SignedIn['area']): Promise<string[]> {
  const silent = (await listOnwardReferrals(referralId)).filter((o) => o.status === 'no_response' || o.status === 'unreachable');
  return silent.map((o) => area.services.find((s) => s.id === o.serviceId)?.name ?? o.serviceId);
}

async function showTask(who: SignedIn, session: StaffSession, taskId: string, event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const task = Id.safeParse(taskId).success ? await findTaskById(taskId) : undefined;
  const referral = task && (await mayHandleTask(who.staff, task)) ? await getReferral(task.referralId) : undefined;
  if (!task || !referral) return coachHtml(404, messagePage('Task not found', 'It may have been reassigned, or the link is wrong.', { text: 'Go to my tasks', path: coachPaths.tasks }), [keep(session)]);
  const silent = task.type === 'provider_chase' ? await silentServices(referral.referralId, who.area) : [];
  if (event.httpMethod !== 'POST') return coachHtml(200, taskPage(who, task, referral, {}, [], silent), [keep(session)]);

  const form = readForm(event);
  if (!form || !validCsrf(session.id, field(form, CSRF_FIELD), sessionKey())) {
    return coachHtml(403, messagePage('Sorry, that form has expired', 'Go back, reload the page and try again.'), [keep(session)]);
  }
  const area = who.area;
  const { result, errors } = taskForms[task.type].read(form, area, dateInTimeZone(new Date(), area.timeZone));
  if (errors.length) return coachHtml(400, taskPage(who, task, referral, form, errors, silent), [keep(session)]);
  try {
    // Exactly what POST /v1/tasks/{taskId}/complete does: the one path to the journey.
    await completeTask({ referralId: task.referralId, taskId: task.taskId, result, completedBy: who.staff.staffId });
  } catch (error) {
    if (error instanceof TaskResultInvalid) {
      const mapped = error.errors.map((e) => ({ field: fieldOfPointer(e.pointer), message: `Check this answer: it ${e.detail}` }));
      return coachHtml(400, taskPage(who, task, referral, form, mapped, silent), [keep(session)]);
    }
    if (error instanceof TaskConflict || error instanceof TaskNotFound) {
      return coachHtml(409, messagePage('This task is no longer open', 'It was completed, cancelled or replaced by a newer task.', { text: 'Go to my tasks', path: coachPaths.tasks }), [keep(session)]);
    }
    throw error;
  }
  logSafe('info', 'task completed', { referralId: task.referralId, taskId: task.taskId, taskType: task.type, httpStatus: 303 });
  return redirect(coachPaths.referral(task.referralId), [keep(session, { ...session.data, flash: `${taskTypeText[task.type]} task completed` })]);
}

async function showReferral(who: SignedIn, session: StaffSession, referralId: string): Promise<APIGatewayProxyResult> {
  // The id from a link, or the short reference a person read out.
  const referral = await findReferralByIdOrReference(referralId, referencePrefixOf(who.area));
  if (!referral || !(await mayViewReferral(who.staff, referral))) {
    return coachHtml(404, messagePage('Referral not found', 'It may have been reassigned, or the link is wrong.', { text: 'Go to my tasks', path: coachPaths.tasks }), [keep(session)]);
  }
  const [timeline, tasks, names] = await Promise.all([listTimeline(referral.referralId), listTasks(referral.referralId), namesOf()]);
  const { flash, ...rest } = session.data;
  logSafe('info', 'referral shown', { referralId: referral.referralId });
  return coachHtml(200, referralPage(who, referral, timeline, tasks, names, flash), [keep(session, rest)]);
}

async function coachWorkspace(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const path = event.path.replace(/\/+$/, '');
  const page = event.pathParameters?.page ?? (path.endsWith('/coach') ? '' : undefined);
  const read = readSession(staffSession, event);
  // A session its owner signed out of counts as none, wherever its cookie turns up.
  const signedOutOf = read.state === 'active' && read.session.data.staffId !== undefined && (await sessionEnded(read.session.id));
  if (page === 'sign-out' && event.httpMethod === 'POST') return signOut(event, read.state === 'active' && !signedOutOf ? read.session : undefined);
  if (signedOutOf) return notSignedIn(event, 'not-signed-in');
  if (read.state === 'expired') {
    if (page === 'sign-in') return signInRoutes('sign-in', event, newSession<StaffSessionData>({}));
    return notSignedIn(event, 'timed-out');
  }
  const session = read.state === 'active' ? read.session : newSession<StaffSessionData>({});
  if (page === 'signed-out') return coachHtml(200, signedOutPage());
  if (page === 'sign-in' || page === 'signed-in') {
    const notice = session.data.flash === 'timed-out' ? 'You were signed out because you did nothing for 30 minutes.' : undefined;
    const { returnTo } = session.data;
    return signInRoutes(page, event, notice ? { ...session, data: returnTo ? { returnTo } : {} } : session, notice);
  }

  const { staffId, role } = session.data;
  // The staff member is checked again on every request: someone removed since cannot go on.
  const currentRole = staffId ? await roleOf(staffId) : undefined;
  if (!staffId || !role || currentRole !== role) return notSignedIn(event, 'not-signed-in');
  const staff: Staff = { staffId, role };
  const names = await namesOf();
  const who: SignedIn = { staff, name: names.get(staffId) ?? staffId, csrf: csrfToken(session.id, sessionKey()), area: currentArea() };

  const taskId = event.pathParameters?.taskId;
  if (taskId !== undefined) return showTask(who, session, taskId, event);
  const referralId = event.pathParameters?.referralId;
  if (referralId !== undefined) return showReferral(who, session, referralId);
  if (event.httpMethod !== 'GET') return coachHtml(405, messagePage('Page not found', 'If you typed the web address, check it is correct.'), [keep(session)], { Allow: 'GET' });

  if (page === '' || page === 'tasks') {
    if (page === '') return redirect(coachPaths.tasks, [keep(session)]);
    const { tasks } = await listStaffTasks(staff, { scope: 'mine', limit: 100 });
    const { flash, ...rest } = session.data;
    return coachHtml(200, tasksPage(who, tasks, flash, names), [keep(session, rest)]);
  }
  if ((page === 'team' || page === 'waitlist') && role === 'team_lead') {
    if (page === 'waitlist') return coachHtml(200, waitlistPage(who, await listWaitlist()), [keep(session)]);
    const [coaches, { tasks }] = await Promise.all([listCoaches(), listStaffTasks(staff, { scope: 'team', limit: 100 })]);
    return coachHtml(200, teamPage(who, coaches.filter((c) => c.teamLeadId === staffId), tasks, names), [keep(session)]);
  }
  return coachHtml(404, messagePage('Page not found', 'If you typed the web address, check it is correct.', { text: 'Go to my tasks', path: coachPaths.tasks }), [keep(session)]);
}

export const handler = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
  .use(observed())
  .use(webErrors())
  .handler(coachWorkspace);
