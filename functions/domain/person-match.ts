import { createHash } from 'node:crypto';
import type { Referral } from './referral.ts';

/**
 * Keys that recognise the same person across referrals: the NHS number when given, and always
 * name, date of birth and postcode (normalised). Stored only as hashes, so the index holds no
 * readable personal data.
 */
const normalise = (text: string) =>
  text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');

const hash = (text: string) => createHash('sha256').update(text).digest('base64url');

/** The details that identify a person (a referral's participant, or a subject access search). */
export type PersonDetails = Pick<Referral['participant'], 'givenName' | 'familyName' | 'dateOfBirth' | 'postcode' | 'nhsNumber'>;

export function personKeys(referral: { readonly participant: PersonDetails }): string[] {
  const p = referral.participant;
  const keys = [hash(`ndp:${normalise(p.givenName)}|${normalise(p.familyName)}|${p.dateOfBirth}|${normalise(p.postcode)}`)];
  if (p.nhsNumber) keys.unshift(hash(`nhs:${p.nhsNumber.replace(/\s+/g, '')}`));
  return keys;
}
