import type { OrganisationType } from '../../functions/domain/credentials.ts';
import { allowedSourcesByOrganisation } from '../../functions/domain/intake-rules.ts';
import type { ReferralSource } from '../../functions/domain/referral.ts';
import { issueCredential, registerPartner } from '../../functions/shared/partner-store.ts';

/**
 * Referral partners registered for a test with one credential each, the way
 * `npm run partners -- register` does it (partner store, hashed credential), on the runtime
 * whose DynamoDB the process environment points at.
 */
export interface TestPartner {
  readonly partnerId: string;
  readonly credentialId: string;
  readonly token: string;
  readonly auth: Record<string, string>;
}

export async function registerTestPartners(count: number, prefix: string): Promise<TestPartner[]> {
  const out: TestPartner[] = [];
  for (let i = 0; i < count; i++) {
    const { partner } = await registerPartner({ partnerId: `${prefix}-${i + 1}`, name: `Example Partner ${i + 1}`, organisationType: 'employer' });
    const { credentialId, token } = await issueCredential(partner.partnerId);
    out.push({ partnerId: partner.partnerId, credentialId, token, auth: { authorization: `Bearer ${token}` } });
  }
  return out;
}

/**
 * A referral body as a partner of this kind of organisation may send it: the source changed to
 * one it may send (intake refuses others, e.g. an employer saying the GP referred).
 */
export function asSentBy<T>(organisationType: OrganisationType, body: T): T {
  if (!body || typeof body !== 'object' || !('source' in body)) return body;
  const allowed = allowedSourcesByOrganisation[organisationType];
  return allowed.includes((body as { source: ReferralSource }).source) ? body : { ...body, source: allowed[0] };
}

/** A partner registered for a test whose kind of organisation may send `source`. */
export async function registerPartnerFor(source: ReferralSource, prefix: string): Promise<TestPartner> {
  const organisationType = (Object.entries(allowedSourcesByOrganisation) as [OrganisationType, readonly ReferralSource[]][]).find(([, sources]) => sources[0] === source)![0];
  const partnerId = `${prefix}-${organisationType.replaceAll('_', '-')}`;
  const { partner } = await registerPartner({ partnerId, name: `Example ${organisationType}`, organisationType });
  const { credentialId, token } = await issueCredential(partner.partnerId);
  return { partnerId, credentialId, token, auth: { authorization: `Bearer ${token}` } };
}
