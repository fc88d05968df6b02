import confusables from 'unhomoglyph/data.json' with { type: 'json' };

/**
 * A person's name as it is compared when recognising the same person: pure, no I/O.
 *
 * Kept: letters and digits of every script (a name in Chinese, Greek or Arabic is a name).
 * Made equal:
 *  - compatibility forms and width (Unicode NFKC: full-width Ｊｏｈｎ, ligatures);
 *  - case (including final sigma);
 *  - accents and other marks on Latin, Greek, Cyrillic, Arabic and Hebrew letters, where they
 *    are often left out when a name is typed (marks of other scripts, such as Indic vowel signs,
 *    are letters of the name and stay);
 *  - letters that decompose to nothing but are commonly written another way (ß ss, ø o, æ ae,
 *    þ th, ð d, ı i, ł l, ...);
 *  - look-alike letters from another script in a name written in Latin letters (Cyrillic а for
 *    Latin a, Greek ο for o: a keyboard or a copy-paste mixing scripts): the Unicode TR39
 *    confusables prototypes (confusables.txt, through the unhomoglyph package), applied to the
 *    letters outside ASCII of a name that has Latin letters. A name in another script keeps its
 *    letters (TR39 makes Cyrillic б and в alike, or Greek θ and ο: Вера and Бера are two
 *    people), and ASCII letters are never remapped (TR39 makes "m" and "rn" alike: "Kom" and
 *    "Korn" are two people).
 * Dropped: spaces, hyphens, apostrophes and other punctuation. A name with nothing left is empty,
 * and an empty name matches nothing (see person-match.ts).
 */

const prototypes = confusables as Readonly<Record<string, string>>;

/** Letters that have no decomposition but a usual spelling in plain letters. */
const transliterations: Readonly<Record<string, string>> = {
  ß: 'ss',
  ø: 'o',
  æ: 'ae',
  œ: 'oe',
  þ: 'th',
  ð: 'd',
  đ: 'd',
  ı: 'i',
  ł: 'l',
  ħ: 'h',
  ŧ: 't',
  ŋ: 'ng',
  ĸ: 'k',
  ſ: 's',
  ƒ: 'f',
  ɨ: 'i',
  ʉ: 'u',
  ƀ: 'b',
  ɍ: 'r',
};

/** Scripts whose combining marks are accents, often omitted when typing a name. */
const OPTIONAL_MARK_BASE = /[\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}\p{Script=Arabic}\p{Script=Hebrew}]/u;
const MARK = /\p{M}/u;
const LATIN = /\p{Script=Latin}/u;
const KEPT = /[\p{L}\p{N}\p{M}]/u;
const ASCII_LETTERS = /^[a-z]+$/;

function stripOptionalMarks(text: string): string {
  let out = '';
  let base = '';
  for (const ch of text.normalize('NFD')) {
    if (MARK.test(ch)) {
      if (!OPTIONAL_MARK_BASE.test(base)) out += ch;
      continue;
    }
    base = ch;
    out += ch;
  }
  return out;
}

/**
 * A look-alike character's plain Latin letters, else the character itself. The prototype is
 * looked up for the lower-case form, then for the upper-case form (confusables.txt is
 * case-sensitive: Cyrillic к maps to ĸ but К to K). An upper-case prototype "l" stands for a
 * capital I, and "rn" for an m (TR39 spells m as rn).
 */
function skeletonOf(ch: string): string {
  if (ch.charCodeAt(0) < 0x80) return ch;
  const lower = prototypes[ch];
  if (lower !== undefined) {
    const plain = plainLatin(lower.toLowerCase());
    if (plain) return plain;
  }
  const upper = prototypes[ch.toUpperCase()];
  if (upper !== undefined) {
    const plain = plainLatin(upper === 'l' ? 'i' : upper.toLowerCase());
    if (plain) return plain;
  }
  return ch;
}

function plainLatin(text: string): string | undefined {
  const stripped = stripOptionalMarks(text).normalize('NFC');
  const mapped = [...stripped].map((c) => transliterations[c] ?? c).join('');
  if (mapped === 'rn') return 'm';
  return ASCII_LETTERS.test(mapped) ? mapped : undefined;
}

/** The comparable form of a name (see the module comment); '' when nothing of it is left. */
export function normaliseName(name: string): string {
  const folded = name.normalize('NFKC').toLowerCase().replace(/ς/g, 'σ');
  const plain = [...stripOptionalMarks(folded)].map((c) => transliterations[c] ?? c).join('');
  const skeleton = LATIN.test(plain) ? [...plain].map(skeletonOf).join('') : plain;
  return [...stripOptionalMarks(skeleton)].filter((c) => KEPT.test(c)).join('').normalize('NFC');
}

/** Edit distance (insert, delete, substitute, swap two neighbours) between two short strings. */
export function editDistance(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  const d: number[][] = Array.from({ length: x.length + 1 }, (_, i) => Array.from({ length: y.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[x.length]![y.length]!;
}
