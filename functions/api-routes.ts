import type { FunctionName } from './catalogue.ts';

/**
 * HTTP routes of an area's API, defined once: API Gateway resources in AWS (infra/api.ts),
 * the local gateway's routing table (local/gateway.ts). Paths use API Gateway's {param} form.
 */
export interface ApiRoute {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly function: FunctionName;
}

export const apiRoutes = [
  { method: 'POST', path: '/v1/referrals', function: 'intake' },
  { method: 'GET', path: '/v1/referrals/{referralId}', function: 'referral-status' },
  // Local service providers answer onward referrals here, with the key sent in the referral.
  { method: 'POST', path: '/v1/onward-referrals/{onwardReferralId}/status', function: 'provider-status' },
] as const satisfies readonly ApiRoute[];
