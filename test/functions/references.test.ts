import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReferralSchema } from '../../functions/domain/referral.ts';
import { newReference, parseReference } from '../../functions/domain/reference.ts';
import { createReferral, findReferralByReference, referenceOf } from '../../functions/shared/referral-store.ts';
import { validReferral } from '../fixtures/referrals.ts';
import { startTestDatabase, type TestDatabase } from '../support/dynamodb-local.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await startTestDatabase();
});
afterAll(async () => {
  await db?.stop();
});

const referral = () => ReferralSchema.parse(validReferral());

describe('short references in the store', () => {
  it('are stored on the referral and found again by reference', async () => {
    const referralId = randomUUID();
    const stored = await createReferral({ referralId, referral: referral(), receivedAt: new Date(), newReference: () => newReference('SY', randomBytes) });
    expect(parseReference(stored.reference!, 'SY')).toBe(stored.reference);
    expect(await referenceOf(referralId)).toBe(stored.reference);
    expect((await findReferralByReference(stored.reference!))?.referralId).toBe(referralId);
    expect(await findReferralByReference('SY-0000-0000')).toBeUndefined();
  });

  it('are never shared: referrals created at once that draw the same reference get different ones', async () => {
    // Every referral first draws the same reference; only one may keep it, the rest draw again.
    const shared = newReference('SY', randomBytes);
    const drawer = () => {
      let first = true;
      return () => (first ? ((first = false), shared) : newReference('SY', randomBytes));
    };
    const ids = Array.from({ length: 12 }, () => randomUUID());
    const stored = await Promise.all(ids.map((referralId) => createReferral({ referralId, referral: referral(), receivedAt: new Date(), newReference: drawer() })));
    const references = stored.map((s) => s.reference!);
    expect(new Set(references).size).toBe(ids.length);
    expect(references.filter((r) => r === shared)).toHaveLength(1);
    for (const s of stored) expect((await findReferralByReference(s.reference!))?.referralId).toBe(s.referralId);
  });

  it('gives up after a few draws rather than sharing one', async () => {
    const taken = newReference('SY', randomBytes);
    await createReferral({ referralId: randomUUID(), referral: referral(), receivedAt: new Date(), newReference: () => taken });
    await expect(createReferral({ referralId: randomUUID(), referral: referral(), receivedAt: new Date(), newReference: () => taken })).rejects.toThrow(
      'Reference already in use',
    );
  });
});
