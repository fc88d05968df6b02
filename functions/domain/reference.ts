/**
 * Short referral references that people can read out on the phone, e.g. `SY-4K7P-2MXQ`: the
 * area's prefix, then 7 random characters and 1 check character. Pure: randomness comes in.
 *
 * The alphabet is Crockford's base32 (no I, L, O or U) less Z, which is read "zed" or "zee":
 * 31 characters, a prime number, so a weighted sum modulo 31 (weights 1..8, all distinct and
 * invertible) catches every single-character error and every swap of two adjacent characters,
 * the check character included, and the check is itself one of the 31 characters.
 * 31^7 (about 27 billion) references per area; uniqueness is still guarded by the store.
 */
export const referenceAlphabet = '0123456789ABCDEFGHJKMNPQRSTVWXY';
const MOD = referenceAlphabet.length; // 31, prime
export const referenceBodyLength = 8;

function valueOf(char: string): number {
  return referenceAlphabet.indexOf(char);
}

/** The check character making sum(weight_i * value_i) ≡ 0 (mod 31) over all 8 characters. */
export function checkCharacter(data: string): string {
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum += (i + 1) * valueOf(data[i]!);
  // Weight 8 for the check: find c with sum + 8c ≡ 0; 8 * 4 = 32 ≡ 1, so 4 is 8's inverse mod 31.
  const check = (((MOD - (sum % MOD)) % MOD) * 4) % MOD;
  return referenceAlphabet[check]!;
}

/** Whether 8 characters (data and check) satisfy the check. */
export function isValidBody(body: string): boolean {
  if (body.length !== referenceBodyLength) return false;
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    const value = valueOf(body[i]!);
    if (value < 0) return false;
    sum += (i + 1) * value;
  }
  return sum % MOD === 0;
}

/**
 * A new reference body from random bytes (at least 7; each byte picks one character, rejection
 * sampled so every character is equally likely).
 */
export function referenceBody(randomBytes: (size: number) => Uint8Array): string {
  let data = '';
  while (data.length < referenceBodyLength - 1) {
    for (const byte of randomBytes(16)) {
      // 248 = 8 * 31: bytes above it would favour the first characters.
      if (byte < 248 && data.length < referenceBodyLength - 1) data += referenceAlphabet[byte % MOD];
    }
  }
  return data + checkCharacter(data);
}

/** How a reference is written: `SY-4K7P-2MXQ`. */
export function formatReference(prefix: string, body: string): string {
  return `${prefix}-${body.slice(0, 4)}-${body.slice(4)}`;
}

export function newReference(prefix: string, randomBytes: (size: number) => Uint8Array): string {
  return formatReference(prefix, referenceBody(randomBytes));
}

/**
 * A reference as typed or heard: case, spaces and dashes do not matter, and the letters people
 * confuse with digits (O for 0, I and L for 1) are read as Crockford reads them. Answers the
 * written form, or undefined when it is not a valid reference of this area.
 */
export function parseReference(text: string, prefix: string): string | undefined {
  const compact = text.toUpperCase().replace(/[\s-]/g, '');
  if (!compact.startsWith(prefix) || compact.length !== prefix.length + referenceBodyLength) return undefined;
  const body = compact.slice(prefix.length).replace(/O/g, '0').replace(/[IL]/g, '1');
  return isValidBody(body) ? formatReference(prefix, body) : undefined;
}

/** The area's reference prefix: its own setting, else the initials of its slug's words. */
export function referencePrefixOf(area: { slug: string; referencePrefix?: string | undefined }): string {
  if (area.referencePrefix) return area.referencePrefix;
  const minor = new Set(['and', 'the', 'of']);
  return area.slug
    .split('-')
    .filter((word) => !minor.has(word))
    .map((word) => word[0]!.toUpperCase())
    .join('');
}
