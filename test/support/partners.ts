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
