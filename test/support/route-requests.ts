import type { ApiRoute } from '../../functions/api-routes.ts';
import { gpBundle } from '../fhir/support.ts';
import { referralForNewPerson } from '../fixtures/referrals.ts';
import { results } from './journey.ts';

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
      return { path, body: gpBundle(), headers: { 'content-type': 'application/fhir+json' } };
    case 'GET /v1/referrals/{referralId}':
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
