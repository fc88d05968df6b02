import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allAreas } from '../../areas/index.ts';
import {
  checkCharacter,
  isValidBody,
  newReference,
  parseReference,
  referenceAlphabet,
  referenceBody,
  referencePrefixOf,
} from '../../functions/domain/reference.ts';

const char = fc.constantFrom(...referenceAlphabet.split(''));
const data = fc.array(char, { minLength: 7, maxLength: 7 }).map((chars) => chars.join(''));
const body = data.map((d) => d + checkCharacter(d));

describe('short references', () => {
  it('are the prefix, 4 and 4 characters of the alphabet, and pass their own check', () => {
    for (let i = 0; i < 200; i++) {
      const reference = newReference('SY', randomBytes);
      expect(reference).toMatch(/^SY-[0-9A-HJKMNP-TV-Y]{4}-[0-9A-HJKMNP-TV-Y]{4}$/);
      expect(parseReference(reference, 'SY')).toBe(reference);
    }
  });

  it('catch every single-character error, check character included', () => {
    fc.assert(
      fc.property(body, fc.integer({ min: 0, max: 7 }), char, (b, at, replacement) => {
        fc.pre(b[at] !== replacement);
        expect(isValidBody(b.slice(0, at) + replacement + b.slice(at + 1))).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('catch every swap of two adjacent different characters', () => {
    fc.assert(
      fc.property(body, fc.integer({ min: 0, max: 6 }), (b, at) => {
        fc.pre(b[at] !== b[at + 1]);
        expect(isValidBody(b.slice(0, at) + b[at + 1] + b[at] + b.slice(at + 2))).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('catch every single error and adjacent swap exhaustively for one body', () => {
    const b = referenceBody(randomBytes);
    for (let at = 0; at < 8; at++) {
      for (const c of referenceAlphabet) if (c !== b[at]) expect(isValidBody(b.slice(0, at) + c + b.slice(at + 1))).toBe(false);
      if (at < 7 && b[at] !== b[at + 1]) expect(isValidBody(b.slice(0, at) + b[at + 1] + b[at] + b.slice(at + 2))).toBe(false);
    }
  });

  it('read what people type or hear: case, spaces, dashes, O for 0, I and L for 1', () => {
    fc.assert(
      fc.property(body, (b) => {
        const written = `SY-${b.slice(0, 4)}-${b.slice(4)}`;
        const typed = ` sy ${b.toLowerCase().replace(/0/g, 'o').replace(/1/g, 'l')} `;
        expect(parseReference(typed, 'SY')).toBe(written);
        expect(parseReference(written, 'GM')).toBeUndefined();
      }),
    );
    expect(parseReference('SY-', 'SY')).toBeUndefined();
    expect(parseReference('', 'SY')).toBeUndefined();
    expect(parseReference('SY-UUUU-UUUU', 'SY')).toBeUndefined();
  });

  it('spread evenly over the alphabet (no modulo bias)', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 3000; i++) for (const c of referenceBody(randomBytes).slice(0, 7)) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(31);
    for (const n of counts.values()) expect(n).toBeGreaterThan(450); // 677 expected each
  });

  it('have one prefix per area, different in every area', () => {
    const areas = allAreas();
    const prefixes = areas.map(referencePrefixOf);
    expect(new Set(prefixes).size).toBe(areas.length);
    expect(referencePrefixOf({ slug: 'south-yorkshire' })).toBe('SY');
    expect(referencePrefixOf({ slug: 'cornwall-and-the-isles-of-scilly' })).toBe('CIS');
    for (const prefix of prefixes) expect(prefix).toMatch(/^[A-Z]{1,5}$/);
  });
});
