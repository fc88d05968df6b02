import fc from 'fast-check';
import confusables from 'unhomoglyph/data.json' with { type: 'json' };
import { describe, expect, it } from 'vitest';
import { comparePeople, decideMatch, personIndexKeys, type PersonDetails } from '../../functions/domain/person-match.ts';
import { editDistance, normaliseName } from '../../functions/domain/person-name.ts';
import { nhsNumberFor } from '../fixtures/referrals.ts';

/**
 * The matching rules (functions/domain/person-match.ts) as tables, and as properties over names
 * from many scripts and over the Unicode confusables data (confusables.txt v13 as the
 * unhomoglyph package ships it, which we did not write).
 */
const base: PersonDetails = { givenName: 'Amelia', familyName: 'Hartley', dateOfBirth: '1985-06-15', postcode: 'S1 2HE' };
const nhsA = nhsNumberFor(1);
const nhsB = nhsNumberFor(2);
const person = (overrides: Partial<PersonDetails>): PersonDetails => ({ ...base, ...overrides });

describe('comparePeople: the rules', () => {
  it.each([
    ['different NHS numbers, everything else equal', person({ nhsNumber: nhsA }), person({ nhsNumber: nhsB }), 'different'],
    ['same NHS number, same name and date of birth, another postcode', person({ nhsNumber: nhsA }), person({ nhsNumber: nhsA, postcode: 'S10 2TN' }), 'same'],
    ['same NHS number written with spaces and dashes', person({ nhsNumber: `${nhsA.slice(0, 3)} ${nhsA.slice(3, 6)}-${nhsA.slice(6)}` }), person({ nhsNumber: nhsA }), 'same'],
    ['same NHS number, another date of birth (a mistyped number?)', person({ nhsNumber: nhsA }), person({ nhsNumber: nhsA, dateOfBirth: '1990-01-01' }), 'conflict'],
    ['same NHS number, another name', person({ nhsNumber: nhsA }), person({ nhsNumber: nhsA, givenName: 'Rukhsana', familyName: 'Begum' }), 'conflict'],
    ['no NHS numbers, same name, date of birth and postcode', person({}), person({}), 'same'],
    ['one NHS number, same name, date of birth and postcode', person({ nhsNumber: nhsA }), person({}), 'same'],
    ['postcode spaced and cased differently', person({ postcode: 's12he' }), person({}), 'same'],
    ['a typo in the family name', person({ familyName: 'Hartly' }), person({}), 'possible'],
    ['given and family names swapped', person({ givenName: 'Hartley', familyName: 'Amelia' }), person({}), 'possible'],
    ['a shortened given name', person({ givenName: 'Amy' }), person({ givenName: 'Amy-Louise' }), 'possible'],
    ['names split differently', person({ givenName: 'Mary Ann', familyName: 'Smith' }), person({ givenName: 'Mary', familyName: 'Ann Smith' }), 'possible'],
    ['same name and date of birth at another postcode (moved?)', person({}), person({ postcode: 'S10 2TN' }), 'possible'],
    ['twins: same date of birth and postcode, other given names', person({ givenName: 'Oliver' }), person({ givenName: 'Harriet' }), 'different'],
    ['same name and postcode, another date of birth', person({}), person({ dateOfBirth: '1986-06-15' }), 'different'],
    ['Latin look-alikes in ASCII are different people (m and rn)', person({ familyName: 'Kom' }), person({ familyName: 'Korn' }), 'possible'],
    ['names only of punctuation never match', person({ givenName: '-', familyName: "'" }), person({ givenName: '-', familyName: "'" }), 'different'],
    ['Chinese names, different people', person({ givenName: '伟', familyName: '王' }), person({ givenName: '娜', familyName: '李' }), 'different'],
    ['Chinese names, the same person', person({ givenName: '伟', familyName: '王' }), person({ givenName: '伟', familyName: '王' }), 'same'],
    ['Greek, accented and not', person({ givenName: 'Ελένη', familyName: 'Παπαδοπούλου' }), person({ givenName: 'ΕΛΕΝΗ', familyName: 'ΠΑΠΑΔΟΠΟΥΛΟΥ' }), 'same'],
    ['Arabic with and without vowel marks', person({ givenName: 'مُحَمَّد', familyName: 'علي' }), person({ givenName: 'محمد', familyName: 'علي' }), 'same'],
    ['German sharp s', person({ familyName: 'Straße' }), person({ familyName: 'Strasse' }), 'same'],
    ['Scandinavian o-slash', person({ givenName: 'Søren' }), person({ givenName: 'Soren' }), 'same'],
    ['a Cyrillic letter that looks Latin', person({ givenName: 'Аmelia' }), person({}), 'same'],
    ['full-width letters', person({ givenName: 'Ａｍｅｌｉａ' }), person({}), 'same'],
  ] as const)('%s', (_, a, b, expected) => {
    expect(comparePeople(a, b)).toBe(expected);
    expect(comparePeople(b, a)).toBe(expected);
  });

  it('every pair the rules call the same, a conflict or a possible match shares an index key', () => {
    const pairs: [PersonDetails, PersonDetails][] = [
      [person({ nhsNumber: nhsA }), person({ nhsNumber: nhsA, dateOfBirth: '1990-01-01', postcode: 'M1 1AA', givenName: 'X', familyName: 'Y' })],
      [person({ familyName: 'Hartly' }), person({})],
      [person({}), person({ postcode: 'S10 2TN' })],
      [person({ givenName: 'Аmelia' }), person({})],
    ];
    for (const [a, b] of pairs) {
      expect(comparePeople(a, b)).not.toBe('different');
      expect(personIndexKeys(a).some((k) => personIndexKeys(b).includes(k))).toBe(true);
    }
  });
});

describe('decideMatch', () => {
  const open = (referralId: string, p: PersonDetails) => ({ referralId, person: p });

  it('links only when exactly one open journey is the same person and nothing else is in doubt', () => {
    expect(decideMatch(person({}), [open('r1', person({ givenName: 'Oliver' })), open('r2', person({}))])).toEqual({ kind: 'link', referralId: 'r2' });
    // Two journeys both the same person (two people with other NHS numbers, say): a person decides.
    expect(decideMatch(person({}), [open('r2', person({ nhsNumber: nhsA })), open('r3', person({ nhsNumber: nhsB }))])).toEqual({
      kind: 'review',
      reason: 'possible_match',
      matches: ['r2', 'r3'],
    });
    // One the same, another in conflict on the NHS number: reviewed, listing both.
    expect(decideMatch(person({ nhsNumber: nhsA }), [open('r1', person({})), open('r2', person({ nhsNumber: nhsA, dateOfBirth: '1970-01-01' }))])).toEqual({
      kind: 'review',
      reason: 'nhs_number_conflict',
      matches: ['r2', 'r1'],
    });
  });

  it('a journey is compared with everyone linked to it: another NHS number among them is a conflict', () => {
    const journey = (referralId: string, ...people: PersonDetails[]) => ({ referralId, people });
    // Started without an NHS number; a referral with number B was linked to it. A referral with number A is not that person.
    expect(decideMatch(person({ nhsNumber: nhsA }), [journey('j1', person({}), person({ nhsNumber: nhsB }))])).toEqual({
      kind: 'review',
      reason: 'nhs_number_conflict',
      matches: ['j1'],
    });
    // The linked referral's NHS number finds the journey even when the journey's own details moved on.
    expect(decideMatch(person({ nhsNumber: nhsB, postcode: 'S10 2TN' }), [journey('j1', person({}), person({ nhsNumber: nhsB }))])).toEqual({ kind: 'link', referralId: 'j1' });
  });

  it('someone known by one name still matches themselves', () => {
    expect(comparePeople(person({ givenName: 'Madonna', familyName: '-' }), person({ givenName: 'MADONNA', familyName: '.' }))).toBe('same');
  });
  it('an NHS number conflict is reviewed, listing every open journey it may be', () => {
    const decision = decideMatch(person({ nhsNumber: nhsA }), [open('r1', person({ nhsNumber: nhsA, dateOfBirth: '1970-01-01' })), open('r2', person({ familyName: 'Hartly' }))]);
    expect(decision).toEqual({ kind: 'review', reason: 'nhs_number_conflict', matches: ['r1', 'r2'] });
  });
  it('a possible match is reviewed; nobody like them is a new journey', () => {
    expect(decideMatch(person({ familyName: 'Hartly' }), [open('r1', person({}))])).toEqual({ kind: 'review', reason: 'possible_match', matches: ['r1'] });
    expect(decideMatch(person({}), [open('r1', person({ dateOfBirth: '1999-09-09' }))])).toEqual({ kind: 'new' });
    expect(decideMatch(person({}), [])).toEqual({ kind: 'new' });
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

/** Names drawn from many scripts: Latin with accents, Greek, Cyrillic, Arabic, Hebrew, Devanagari, CJK, Hangul, Thai. */
const scripts: readonly [number, number][] = [
  [0x41, 0x5a], [0x61, 0x7a], [0xc0, 0x17f], [0x391, 0x3c9], [0x410, 0x44f], [0x621, 0x64a], [0x5d0, 0x5ea],
  [0x915, 0x939], [0x4e00, 0x4fff], [0xac00, 0xad00], [0xe01, 0xe2e],
];
const letter = fc
  .constantFrom(...scripts)
  .chain(([from, to]) => fc.integer({ min: from, max: to }).map((cp) => String.fromCodePoint(cp)))
  .filter((c) => /^\p{L}$/u.test(c)); // the blocks hold a few unassigned code points
const name = fc.array(letter, { minLength: 1, maxLength: 12 }).map((letters) => letters.join(''));
const latinName = fc.array(fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz'), { minLength: 2, maxLength: 12 }).map((l) => l.join(''));
const punctuationOnly = fc.array(fc.constantFrom(...' -\'’.,‐_()'), { minLength: 1, maxLength: 6 }).map((l) => l.join(''));
const nhs = fc.integer({ min: 1, max: 5_000_000 }).map(nhsNumberFor);

/** For each ASCII letter, characters of other scripts that confusables.txt says look like it. */
const lookAlikes = new Map<string, string[]>();
for (const [source, target] of Object.entries(confusables as Record<string, string>)) {
  const cp = source.codePointAt(0)!;
  // Letters of another script standing for one Latin letter, whose case partner keeps the likeness.
  if (cp < 0x80 || [...source].length !== 1 || !/^\p{L}$/u.test(source) || !/^[a-z]$/.test(target)) continue;
  // Compatibility forms (mathematical letters, ℐ for I) are NFKC's business, covered by 'width'.
  if (source.toLowerCase() !== source || source.normalize('NFKC') !== source) continue;
  lookAlikes.set(target, [...(lookAlikes.get(target) ?? []), source]);
}

const accents = ['\u0301', '\u0300', '\u0308', '\u0302', '\u0327', '\u030c', '\u0303'];
const transliterated: [string, string][] = [['ß', 'ss'], ['ø', 'o'], ['æ', 'ae'], ['þ', 'th'], ['ð', 'd'], ['ł', 'l'], ['œ', 'oe']];

/** A variant of a Latin name a person (or a keyboard) might write for the same name. */
const variantOf = (original: string) =>
  fc
    .tuple(
      fc.constantFrom('upper', 'title', 'accents', 'width', 'decomposed', 'confusable', 'spaces'),
      fc.array(fc.nat(), { minLength: original.length, maxLength: original.length }),
    )
    .map(([kind, picks]) => {
      const chars = [...original];
      switch (kind) {
        case 'upper':
          return original.toUpperCase();
        case 'title':
          return original[0]!.toUpperCase() + original.slice(1);
        case 'accents':
          return chars.map((c, i) => (picks[i]! % 3 === 0 ? (c + accents[picks[i]! % accents.length]).normalize('NFC') : c)).join('');
        case 'width':
          return chars.map((c, i) => (picks[i]! % 2 === 0 ? String.fromCodePoint(c.codePointAt(0)! - 0x61 + 0xff41) : c)).join('');
        case 'decomposed':
          return chars.map((c, i) => (picks[i]! % 3 === 0 ? `${c}\u0301` : c)).join('').normalize('NFC').normalize('NFD');
        case 'confusable':
          // A name written in Latin letters with some look-alikes of another script (the first stays Latin).
          return chars.map((c, i) => {
            const options = lookAlikes.get(c);
            return i > 0 && options && picks[i]! % 2 === 0 ? options[picks[i]! % options.length]! : c;
          }).join('');
        default:
          return chars.map((c, i) => (picks[i]! % 4 === 0 ? `${c}-` : c)).join('');
      }
    });

describe('properties', () => {
  it('the confusables data gives look-alikes for most Latin letters', () => {
    expect(lookAlikes.size).toBeGreaterThan(15);
  });

  it('two people with different NHS numbers are never the same person, whatever their names', () => {
    fc.assert(
      fc.property(name, name, name, name, nhs, nhs, fc.boolean(), (g1, f1, g2, f2, n1, n2, sameName) => {
        fc.pre(n1 !== n2);
        const a = person({ givenName: g1, familyName: f1, nhsNumber: n1 });
        const b = person({ givenName: sameName ? g1 : g2, familyName: sameName ? f1 : f2, nhsNumber: n2 });
        expect(comparePeople(a, b)).toBe('different');
        expect(decideMatch(a, [{ referralId: 'r', person: b }]).kind).toBe('new');
      }),
      { seed: 15, numRuns: 500 },
    );
  });

  it('a name and its case, accent, width, decomposition and confusable variants always match', () => {
    fc.assert(
      fc.property(latinName.chain((n) => fc.tuple(fc.constant(n), variantOf(n))), ([original, variant]) => {
        expect(normaliseName(variant)).toBe(normaliseName(original));
        expect(comparePeople(person({ givenName: variant }), person({ givenName: original }))).toBe('same');
      }),
      { seed: 15, numRuns: 1000 },
    );
  });

  it('transliterated letters match their usual spelling', () => {
    fc.assert(
      fc.property(latinName, fc.constantFrom(...transliterated), fc.boolean(), (stem, [letterForm, spelt], upper) => {
        const written = upper ? `${stem}${letterForm}`.toUpperCase() : `${stem}${letterForm}`;
        expect(normaliseName(written)).toBe(normaliseName(`${stem}${spelt}`));
      }),
      { seed: 15, numRuns: 300 },
    );
  });

  it('a name in any script is kept: it matches itself, in either case, and not a different name', () => {
    fc.assert(
      fc.property(name, name, (a, b) => {
        expect(normaliseName(a)).not.toBe('');
        expect(normaliseName(a.toUpperCase())).toBe(normaliseName(a.toLowerCase()));
        if (normaliseName(a) !== normaliseName(b)) expect(comparePeople(person({ givenName: a }), person({ givenName: b }))).not.toBe('same');
      }),
      { seed: 15, numRuns: 500 },
    );
  });

  it('names in one script that differ in a letter stay different (look-alikes within a script are other letters)', () => {
    const alphabet = (from: number, to: number, except: string) =>
      Array.from({ length: to - from + 1 }, (_, i) => String.fromCodePoint(from + i)).filter((c) => !except.includes(c));
    const scripts = [alphabet(0x430, 0x44f, 'й'), alphabet(0x3b1, 0x3c9, 'ς'), alphabet(0x5d0, 0x5ea, ''), alphabet(0x561, 0x586, '')];
    fc.assert(
      fc.property(fc.constantFrom(...scripts), fc.array(fc.nat(), { minLength: 2, maxLength: 10 }), fc.nat(), fc.nat(), (letters, picks, at, other) => {
        const original = picks.map((p) => letters[p % letters.length]!);
        const i = at % original.length;
        const replacement = letters[other % letters.length]!;
        fc.pre(replacement !== original[i]);
        const changed = original.map((c, j) => (j === i ? replacement : c));
        expect(normaliseName(changed.join(''))).not.toBe(normaliseName(original.join('')));
      }),
      { seed: 15, numRuns: 1000 },
    );
  });

  it('a name that normalises to nothing never matches anything', () => {
    fc.assert(
      fc.property(punctuationOnly, punctuationOnly, fc.oneof(punctuationOnly, name), (empty, alsoEmpty, other) => {
        expect(normaliseName(empty)).toBe('');
        const nameless = person({ givenName: empty, familyName: alsoEmpty });
        expect(comparePeople(nameless, person({ givenName: other }))).toBe('different');
        expect(comparePeople(nameless, person({ givenName: alsoEmpty, familyName: empty }))).toBe('different');
        // One part empty: a person known by one name, never the same as someone with a different one.
        if (normaliseName(other) !== '') expect(comparePeople(person({ givenName: empty }), person({ givenName: other }))).not.toBe('same');
      }),
      { seed: 15, numRuns: 300 },
    );
  });

  it('edit distance counts a swap of neighbours as one edit', () => {
    expect(editDistance('hartley', 'hartely')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('王伟', '李娜')).toBe(2);
  });
});
