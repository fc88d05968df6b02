import { describe, expect, it } from 'vitest';
import {
  constantTimeEqual,
  credentialAreaCode,
  decideCredential,
  formatToken,
  generateCredential,
  hashToken,
  lastUsedIsStale,
  newCredentialId,
  newPartnerId,
  parseAuthorization,
  parseToken,
  screenToken,
  tokenMatches,
  type PartnerRecord,
} from '../../functions/domain/credentials.ts';

const area = 'south-yorkshire';

describe('credential tokens', () => {
  it('generates wwp_<area>_<partner>_<credential>_<secret> with a 32-byte base64url secret', () => {
    const { token, credentialId, hash } = generateCredential({ areaCode: area, partnerId: 'demo-gp-practice' });
    expect(token.startsWith(`wwp_${area}_demo-gp-practice_${credentialId}_`)).toBe(true);
    const parts = parseToken(token)!;
    expect(parts).toEqual({ areaCode: area, partnerId: 'demo-gp-practice', credentialId, secret: expect.any(String) });
    expect(Buffer.from(parts.secret, 'base64url')).toHaveLength(32);
    expect(hash).toBe(hashToken(token));
    expect(hash).toMatch(/^sha256:[A-Za-z0-9_-]{43}$/);
    expect(hash).not.toContain(parts.secret);
  });

  it('parses secrets that contain the separator (`_` is a base64url character)', () => {
    const secret = `ab_cd-${'x'.repeat(37)}`;
    const token = formatToken({ areaCode: 'llr', partnerId: 'p-1', credentialId: 'a'.repeat(16), secret });
    expect(parseToken(token)).toEqual({ areaCode: 'llr', partnerId: 'p-1', credentialId: 'a'.repeat(16), secret });
  });

  it('gives fresh ids and secrets each time', () => {
    const a = generateCredential({ areaCode: area, partnerId: 'p' });
    const b = generateCredential({ areaCode: area, partnerId: 'p' });
    expect(a.token).not.toBe(b.token);
    expect(a.credentialId).not.toBe(b.credentialId);
    expect(newCredentialId()).toMatch(/^[a-z0-9]{16}$/);
    expect(newPartnerId()).toMatch(/^p-[a-z0-9]{10}$/);
  });

  it('refuses malformed tokens', () => {
    const good = generateCredential({ areaCode: area, partnerId: 'p' }).token;
    for (const bad of [
      '',
      'nonsense',
      good.replace(/^wwp_/, 'wwx_'),
      good.slice(0, -1),
      `${good}A`,
      good.replace('_p_', '_P_'),
      good.replace('_p_', '__'),
      'wwp_south-yorkshire_p_short_secret',
      `wwp_south_yorkshire_p_${'a'.repeat(16)}_${'b'.repeat(43)}`,
    ]) {
      expect(parseToken(bad), bad).toBeUndefined();
    }
  });

  it('uses the short slug as area code where an area has one', () => {
    expect(credentialAreaCode({ slug: 'leicester-leicestershire-and-rutland', shortSlug: 'llr' })).toBe('llr');
    expect(credentialAreaCode({ slug: 'frimley' })).toBe('frimley');
  });
});

describe('hashing and comparison', () => {
  it('matches only the token that was hashed', () => {
    const { token, hash } = generateCredential({ areaCode: area, partnerId: 'p' });
    expect(tokenMatches(token, hash)).toBe(true);
    expect(tokenMatches(`${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`, hash)).toBe(false);
    expect(tokenMatches(token, 'sha256:')).toBe(false);
  });

  it('compares strings of any length without throwing', () => {
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('abc', 'abcd')).toBe(false);
    expect(constantTimeEqual('', '')).toBe(true);
  });
});

describe('Authorization header', () => {
  it('takes the token of a Bearer header, scheme in any case', () => {
    expect(parseAuthorization('Bearer abc.DEF_-~+/=')).toBe('abc.DEF_-~+/=');
    expect(parseAuthorization('bearer abc')).toBe('abc');
    expect(parseAuthorization('BEARER   abc  ')).toBe('abc');
  });

  it('refuses other schemes, missing tokens and junk', () => {
    for (const value of [undefined, null, '', 'Bearer', 'Bearer ', 'Basic dXNlcjpwYXNz', 'abc', 'Bearer a b', 'Bearer a\nb', `Bearer ${'a'.repeat(2000)}`]) {
      expect(parseAuthorization(value), String(value)).toBeUndefined();
    }
  });
});

describe('verification decision', () => {
  const issued = generateCredential({ areaCode: area, partnerId: 'demo-gp-practice' });
  const parts = parseToken(issued.token)!;
  const credential = { partnerId: 'demo-gp-practice', credentialId: issued.credentialId, hash: issued.hash };
  const partner: PartnerRecord = { partnerId: 'demo-gp-practice', name: 'Example Medical Centre', organisationType: 'gp', status: 'active' };

  it('screens out malformed tokens (invalid) and other areas (other_area) before any read', () => {
    expect(screenToken('junk', area)).toEqual({ error: 'invalid' });
    expect(screenToken(issued.token, 'greater-manchester')).toEqual({ error: 'other_area' });
    expect(screenToken(issued.token, area)).toEqual(parts);
  });

  it('names the partner of a valid, active credential', () => {
    expect(decideCredential(issued.token, parts, credential, partner)).toEqual({
      partnerId: 'demo-gp-practice',
      partnerName: 'Example Medical Centre',
      organisationType: 'gp',
    });
  });

  it('invalid without a record or with the wrong secret; revoked and suspended only with the right one', () => {
    const other = generateCredential({ areaCode: area, partnerId: 'demo-gp-practice', credentialId: issued.credentialId });
    expect(decideCredential(issued.token, parts, undefined, partner)).toEqual({ error: 'invalid' });
    expect(decideCredential(other.token, parseToken(other.token)!, credential, partner)).toEqual({ error: 'invalid' });
    const revoked = { ...credential, revokedAt: '2026-01-01T00:00:00.000Z' };
    expect(decideCredential(issued.token, parts, revoked, partner)).toEqual({ error: 'revoked' });
    expect(decideCredential(other.token, parseToken(other.token)!, revoked, partner)).toEqual({ error: 'invalid' });
    expect(decideCredential(issued.token, parts, credential, { ...partner, status: 'suspended' })).toEqual({ error: 'suspended' });
    expect(decideCredential(issued.token, parts, credential, undefined)).toEqual({ error: 'invalid' });
  });

  it('records use at most hourly', () => {
    const now = new Date('2026-01-05T10:00:00Z');
    expect(lastUsedIsStale(undefined, now)).toBe(true);
    expect(lastUsedIsStale('2026-01-05T09:30:00.000Z', now)).toBe(false);
    expect(lastUsedIsStale('2026-01-05T09:00:00.000Z', now)).toBe(true);
  });
});
