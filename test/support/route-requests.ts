import type { ApiRoute } from '../../functions/api-routes.ts';
import { gpBundle } from '../fhir/support.ts';
import { referralForNewPerson } from '../fixtures/referrals.ts';
import { results } from './journey.ts';
import { formBody, type WebSession } from './web-pages.ts';

/** Real things a route's path can name, for requests that would succeed from the right caller. */
export interface RouteResources {
  readonly referralId: string;
  readonly taskId: string;
  readonly onwardReferralId: string;
  /** A coach a referral can be moved to. */
  readonly otherCoach: string;
}

export interface RouteRequest {
  readonly path: string;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

export const routeKey = (route: Pick<ApiRoute, 'method' | 'path'>) => `${route.method} ${route.path}`;

/**
 * A request each JSON API route accepts from the right caller (the referral's partner, the task's
 * coach, the onward referral's provider). A new route fails the tests that use this until it is
 * given one here.
 */
export function validRequest(route: ApiRoute, r: RouteResources): RouteRequest {
  const path = route.path
    .replace('{referralId}', r.referralId)
    .replace('{taskId}', r.taskId)
    .replace('{onwardReferralId}', r.onwardReferralId);
  switch (routeKey(route)) {
    case 'POST /v1/referrals':
      return { path, body: referralForNewPerson() };
    case 'POST /v1/fhir/ServiceRequest':
    case 'POST /v1/fhir/$process-message':
      return { path, body: gpBundle(), headers: { 'content-type': 'application/fhir+json' } };
    // Any other FHIR address is answered 404 (an OperationOutcome), whoever asks.
    case 'GET /v1/fhir/{proxy+}':
      return { path: path.replace('{proxy+}', 'Patient') };
    case 'POST /v1/fhir/{proxy+}':
      return { path: path.replace('{proxy+}', 'Appointment'), body: {}, headers: { 'content-type': 'application/fhir+json' } };
    case 'GET /v1/fhir/metadata':
    case 'GET /v1/referrals/{referralId}':
    case 'GET /v1/fhir/ServiceRequest/{referralId}':
    case 'POST /v1/referrals/{referralId}/cancel':
    case 'GET /v1/openapi.json':
    case 'GET /v1/tasks':
    case 'GET /v1/tasks/{taskId}':
      return { path };
    case 'POST /v1/tasks/{taskId}/complete':
      return { path, body: results.firstContact('engaged') };
    case 'POST /v1/caseload/{referralId}/withdraw':
      return { path, body: { reason: 'other' } };
    case 'POST /v1/caseload/{referralId}/reassign':
      return { path, body: { coachId: r.otherCoach } };
    case 'POST /v1/onward-referrals/{onwardReferralId}/status':
      return { path, body: { status: 'accepted' } };
    default:
      throw new Error(`no valid request for ${routeKey(route)} in test/support/route-requests.ts: add one`);
  }
}

/** What a web page route needs to be reached by its rightful visitor. */
export interface PageResources {
  readonly referralId: string;
  /** An open task of the coach whose session `coach` is. */
  readonly taskId: string;
  /** A self-referral form session at its first question. */
  readonly selfReferral: WebSession;
  /** The signed-in session of the coach the task and referral belong to. */
  readonly coach: WebSession;
  /** An onward referral and the key of a link to its provider's page (as e-mailed). */
  readonly provider: ProviderLink;
}

export interface ProviderLink {
  readonly onwardReferralId: string;
  readonly expires: number;
  readonly key: string;
}

/** A provider's page for an onward referral, as its e-mailed link opens it. */
export const providerPagePath = (link: ProviderLink) =>
  `/provider/onward-referrals/${link.onwardReferralId}?${new URLSearchParams({ expires: String(link.expires), key: link.key }).toString()}`;

export interface PageRequest extends RouteRequest {
  /** The urlencoded form, without the CSRF token (the caller adds the right or a wrong one). */
  readonly form?: Record<string, string | string[]>;
  /** The session the request goes with: its cookie and the token its form carries. */
  readonly session?: WebSession;
}

/** A first contact answered on the task page's form. */
export const firstContactForm = {
  outcome: 'engaged',
  channel: 'phone',
  'contactedOn-day': '5',
  'contactedOn-month': '1',
  'contactedOn-year': '2026',
  contactedTime: '09:00',
  note: '',
};

/**
 * A request each web page route (`page: true`) accepts from its rightful visitor: the
 * self-referral form with its session, the coach workspace with the coach's session. Like
 * validRequest, a new page route fails the tests that use this until it has one here.
 */
export function validPageRequest(route: ApiRoute, r: PageResources): PageRequest {
  const withSession = (path: string, session: WebSession, form?: Record<string, string | string[]>): PageRequest => ({
    path,
    session,
    headers: { cookie: session.cookie, ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
    ...(form ? { form, body: formBody({ ...form, csrfToken: session.csrf }) } : {}),
  });
  switch (routeKey(route)) {
    case 'GET /self-referral':
      return { path: '/self-referral' };
    case 'GET /self-referral/{page}':
      return withSession('/self-referral/postcode', r.selfReferral);
    case 'POST /self-referral/{page}':
      return withSession('/self-referral/postcode', r.selfReferral, { postcode: 'S1 2HE', website: '' });
    case 'GET /coach':
      return withSession('/coach', r.coach);
    case 'GET /coach/{page}':
      return withSession('/coach/tasks', r.coach);
    case 'POST /coach/{page}':
      return withSession('/coach/sign-out', r.coach, {});
    case 'GET /coach/tasks/{taskId}':
      return withSession(`/coach/tasks/${r.taskId}`, r.coach);
    case 'POST /coach/tasks/{taskId}':
      return withSession(`/coach/tasks/${r.taskId}`, r.coach, firstContactForm);
    case 'GET /coach/referrals/{referralId}':
      return withSession(`/coach/referrals/${r.referralId}`, r.coach);
    case 'GET /provider/onward-referrals/{onwardReferralId}':
      return { path: providerPagePath(r.provider) };
    case 'POST /provider/onward-referrals/{onwardReferralId}': {
      // No session: the link's expiry and key travel in the form.
      const form = { status: 'accepted', expires: String(r.provider.expires), key: r.provider.key };
      return { path: `/provider/onward-referrals/${r.provider.onwardReferralId}`, form, body: formBody(form), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
    }
    case 'GET /help/{page}':
      return { path: '/help/privacy' };
    case 'GET /assets/{proxy+}':
      return { path: '/assets/govuk-frontend.min.css' };
    default:
      throw new Error(`no valid page request for ${routeKey(route)} in test/support/route-requests.ts: add one`);
  }
}
