import type { FunctionName } from './catalogue.ts';

/**
 * HTTP routes of an area's API, defined once: API Gateway resources in AWS (infra/api.ts),
 * the local gateway's routing table (local/gateway.ts). Paths use API Gateway's {param} form.
 */
export interface ApiRoute {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly function: FunctionName;
  /**
   * Who may call it: `partner` routes pass the partner authorizer first (API Gateway's Lambda
   * authorizer in AWS, the same function in the local gateway); `coach` routes the coach
   * authorizer (a JWT from the area's identity provider); `public` routes check any credential
   * themselves (a provider's key) or need none.
   */
  readonly auth: 'partner' | 'coach' | 'public';
  /**
   * A web page (HTML for people, not part of the partner API's OpenAPI document). Pages are
   * `public` to API Gateway: they check their own session cookie (functions/web/session.ts).
   */
  readonly page?: true;
}

export const apiRoutes = [
  { method: 'POST', path: '/v1/referrals', function: 'intake', auth: 'partner' },
  { method: 'GET', path: '/v1/referrals/{referralId}', function: 'referral-status', auth: 'partner' },
  { method: 'POST', path: '/v1/referrals/{referralId}/cancel', function: 'cancel-referral', auth: 'partner' },
  // NHS systems speaking the Booking and Referral Standard: referral and cancellation messages,
  // the alias taking a UK Core ServiceRequest (or Bundle) too; what the FHIR API supports; and a
  // BaRS 404 for any other FHIR address (kept last: the local gateway takes the first match).
  { method: 'POST', path: '/v1/fhir/$process-message', function: 'fhir-intake', auth: 'partner' },
  { method: 'POST', path: '/v1/fhir/ServiceRequest', function: 'fhir-intake', auth: 'partner' },
  { method: 'GET', path: '/v1/fhir/ServiceRequest/{referralId}', function: 'fhir-intake', auth: 'partner' },
  { method: 'GET', path: '/v1/fhir/metadata', function: 'openapi', auth: 'public' },
  { method: 'GET', path: '/v1/openapi.json', function: 'openapi', auth: 'public' },
  // Coaches and team leads: their tasks, and the referrals in their caseload.
  { method: 'GET', path: '/v1/tasks', function: 'coach-tasks', auth: 'coach' },
  { method: 'GET', path: '/v1/tasks/{taskId}', function: 'coach-tasks', auth: 'coach' },
  { method: 'POST', path: '/v1/tasks/{taskId}/complete', function: 'complete-task', auth: 'coach' },
  { method: 'POST', path: '/v1/caseload/{referralId}/withdraw', function: 'caseload-change', auth: 'coach' },
  { method: 'POST', path: '/v1/caseload/{referralId}/reassign', function: 'caseload-change', auth: 'coach' },
  // Local service providers answer onward referrals here, with the key sent in the referral.
  { method: 'POST', path: '/v1/onward-referrals/{onwardReferralId}/status', function: 'provider-status', auth: 'public' },
  // Web pages: the self-referral form, the coach workspace, providers' pages and the GOV.UK Frontend assets they use.
  { method: 'GET', path: '/self-referral', function: 'web-self-referral', auth: 'public', page: true },
  { method: 'GET', path: '/self-referral/{page}', function: 'web-self-referral', auth: 'public', page: true },
  { method: 'POST', path: '/self-referral/{page}', function: 'web-self-referral', auth: 'public', page: true },
  // Privacy notice, accessibility statement and cookies, linked from every page's footer.
  { method: 'GET', path: '/help/{page}', function: 'web-self-referral', auth: 'public', page: true },
  { method: 'GET', path: '/coach', function: 'web-coach', auth: 'public', page: true },
  { method: 'GET', path: '/coach/{page}', function: 'web-coach', auth: 'public', page: true },
  { method: 'POST', path: '/coach/{page}', function: 'web-coach', auth: 'public', page: true },
  { method: 'GET', path: '/coach/tasks/{taskId}', function: 'web-coach', auth: 'public', page: true },
  { method: 'POST', path: '/coach/tasks/{taskId}', function: 'web-coach', auth: 'public', page: true },
  { method: 'GET', path: '/coach/referrals/{referralId}', function: 'web-coach', auth: 'public', page: true },
  // A provider reached by e-mail: the onward referral's page, opened with the link's key.
  { method: 'GET', path: '/provider/onward-referrals/{onwardReferralId}', function: 'web-provider', auth: 'public', page: true },
  { method: 'POST', path: '/provider/onward-referrals/{onwardReferralId}', function: 'web-provider', auth: 'public', page: true },
  { method: 'GET', path: '/assets/{proxy+}', function: 'web-assets', auth: 'public', page: true },
  { method: 'GET', path: '/v1/fhir/{proxy+}', function: 'openapi', auth: 'public' },
  { method: 'POST', path: '/v1/fhir/{proxy+}', function: 'openapi', auth: 'public' },
] as const satisfies readonly ApiRoute[];

/** The routes of the partner and coach APIs (the OpenAPI document), without the web pages. */
export type JsonApiRoute = Exclude<(typeof apiRoutes)[number], { readonly page: true }>;
export const jsonApiRoutes = apiRoutes.filter((route): route is JsonApiRoute => !('page' in route));

/** The function API Gateway (and the local gateway) asks before any `partner` route. */
export const partnerAuthorizer = 'partner-authorizer' satisfies FunctionName;

/** The function asked before any `coach` route: it verifies the coach's JWT. */
export const coachAuthorizer = 'coach-authorizer' satisfies FunctionName;
