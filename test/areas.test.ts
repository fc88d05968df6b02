import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { allAreas, areaSlugs, isAreaSlug, loadArea, parseAreaSettings } from '../areas/index.ts';
import { AreaSettingsSchema } from '../areas/schema.ts';

const areasDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'areas');
const jsonFiles = readdirSync(areasDir).filter((f) => f.endsWith('.json')).sort();

/** A fresh, mutable copy of an area file exactly as stored. */
function rawArea(slug: string): Record<string, any> {
  return JSON.parse(readFileSync(join(areasDir, `${slug}.json`), 'utf8'));
}

function errorOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected an error');
}

const pilotAreas = [
  'birmingham-and-solihull',
  'black-country',
  'bristol-north-somerset-and-south-gloucestershire',
  'cambridgeshire-and-peterborough',
  'cornwall-and-the-isles-of-scilly',
  'coventry-and-warwickshire',
  'frimley',
  'greater-manchester',
  'herefordshire-and-worcestershire',
  'lancashire-and-south-cumbria',
  'leicester-leicestershire-and-rutland',
  'north-central-london',
  'north-west-london',
  'south-yorkshire',
  'surrey-heartlands',
];
const publishedAreas = [
  'greater-manchester',
  'lancashire-and-south-cumbria',
  'leicester-leicestershire-and-rutland',
  'north-central-london',
  'south-yorkshire',
];

describe('area files', () => {
  it('has the 15 pilot areas, sorted and unique', () => {
    expect(areaSlugs).toEqual(pilotAreas);
    expect([...areaSlugs].sort()).toEqual(areaSlugs);
    expect(new Set(areaSlugs).size).toBe(15);
  });

  it('has exactly one JSON file per slug, and every file is imported', () => {
    expect(jsonFiles).toEqual(areaSlugs.map((s) => `${s}.json`));
  });

  it.each(jsonFiles)('%s parses with AreaSettingsSchema and its slug matches the file name', (file) => {
    const raw = rawArea(file.replace(/\.json$/, ''));
    expect(() => AreaSettingsSchema.parse(raw)).not.toThrow();
    expect(`${raw.slug}.json`).toBe(file);
  });

  it('loads all 15 areas', () => {
    const areas = allAreas();
    expect(areas).toHaveLength(15);
    expect(areas.map((a) => a.slug)).toEqual(areaSlugs);
    expect(new Set(areas.map((a) => a.name)).size).toBe(15);
  });

  it.each(areaSlugs)('%s has sensible settings', (slug) => {
    const area = loadArea(slug);
    expect(area.slug).toBe(slug);
    expect(area.retentionYears).toBe(8);
    expect(area.timeZone).toBe('Europe/London');
    expect(area.aws.region).toBe('eu-west-2');
    expect(area.eligibility.minAge).toBeGreaterThanOrEqual(16);
    expect(area.settingsSource).toBe(publishedAreas.includes(slug) ? 'published' : 'default');
    expect(area.deadlines.firstContactHours.urgent).toBeLessThanOrEqual(area.deadlines.firstContactHours.routine);
    const urls = area.signposting.map((s) => s.url);
    expect(urls).toContain('https://nationalcareers.service.gov.uk');
    expect(urls.some((u) => /^https:\/\/[a-z.-]*gov\.uk/.test(u) && /skills/i.test(u))).toBe(true);
    const national = ['nationalcareers.service.gov.uk', 'skillsforlife.campaign.gov.uk', 'www.gov.uk'];
    expect(urls.some((u) => !national.includes(new URL(u).host))).toBe(true);
    for (const url of urls) expect(url.startsWith('https://')).toBe(true);
  });

  it('gives no postcode district to two areas', () => {
    const owner = new Map<string, string>();
    const clashes: string[] = [];
    for (const area of allAreas()) {
      for (const district of area.eligibility.postcodeDistricts) {
        const other = owner.get(district);
        if (other) clashes.push(`${district}: ${other} and ${area.slug}`);
        owner.set(district, area.slug);
      }
    }
    expect(clashes).toEqual([]);
  });

  it('uses the published criteria where domain.md gives them', () => {
    const lsc = loadArea('lancashire-and-south-cumbria');
    expect(lsc.eligibility.maxWeeksOutOfWork).toBe(26);
    expect(lsc.eligibility.exclusions.complexNeeds).toBe('not_eligible');
    expect(lsc.support).toMatchObject({ maxWeeksInWork: 12, maxWeeksOutOfWork: 12 });
    expect(loadArea('north-central-london').support).toMatchObject({ maxWeeksInWork: 8, maxWeeksOutOfWork: 16 });
    expect(loadArea('leicester-leicestershire-and-rutland').eligibility.focusConditions).toEqual([
      'mental_health',
      'musculoskeletal',
    ]);
    expect(loadArea('greater-manchester').eligibility).toMatchObject({ minAge: 16 });
    expect(loadArea('greater-manchester').eligibility.maxAge).toBeUndefined();
    expect(loadArea('south-yorkshire').eligibility.situations).toHaveLength(4);
  });

  it('returns the same frozen settings each time', () => {
    const area = loadArea('south-yorkshire');
    expect(loadArea('south-yorkshire')).toBe(area);
    expect(Object.isFrozen(area.eligibility.postcodeDistricts)).toBe(true);
  });
});

describe('loadArea', () => {
  it('throws for an unknown slug, listing the known ones', () => {
    const message = errorOf(() => loadArea('west-yorkshire'));
    expect(message).toContain('Unknown area "west-yorkshire"');
    for (const slug of areaSlugs) expect(message).toContain(slug);
  });

  it('knows its slugs', () => {
    expect(isAreaSlug('frimley')).toBe(true);
    expect(isAreaSlug('toString')).toBe(false);
  });
});

describe('parseAreaSettings', () => {
  it('accepts a stored file', () => {
    expect(parseAreaSettings(rawArea('south-yorkshire'), 'areas/south-yorkshire.json').slug).toBe('south-yorkshire');
  });

  it('names the file and the field path of a value out of range', () => {
    const broken = rawArea('south-yorkshire');
    broken.eligibility.minAge = 10;
    expect(errorOf(() => parseAreaSettings(broken, 'areas/south-yorkshire.json'))).toBe(
      'Invalid area settings in areas/south-yorkshire.json: eligibility.minAge: Too small: expected number to be >=16',
    );
  });

  it('names an unknown field by its own path', () => {
    const broken = rawArea('frimley');
    broken.eligibility.maxAgee = 70;
    broken.colour = 'blue';
    const message = errorOf(() => parseAreaSettings(broken, 'areas/frimley.json'));
    expect(message).toMatch(/^Invalid area settings in areas\/frimley\.json: /);
    expect(message).toContain('eligibility.maxAgee: Unrecognized key');
    expect(message).toContain('colour: Unrecognized key');
  });

  it('lists every bad field, with array indexes in the path', () => {
    const broken = rawArea('greater-manchester');
    broken.eligibility.minAge = 10;
    broken.eligibility.postcodeDistricts[2] = 'm3 ';
    broken.signposting[1].url = 'not a url';
    delete broken.retentionYears;
    const message = errorOf(() => parseAreaSettings(broken, 'areas/greater-manchester.json'));
    expect(message).toContain('eligibility.minAge:');
    expect(message).toContain('eligibility.postcodeDistricts.2: an outward postcode district such as S1 or LS10');
    expect(message).toContain('signposting.1.url:');
    expect(message).toContain('retentionYears:');
    expect(message.split('; ')).toHaveLength(4);
  });

  it('rejects a slug that does not match the file name', () => {
    const copy = rawArea('south-yorkshire');
    expect(errorOf(() => parseAreaSettings(copy, 'areas/frimley.json'))).toBe(
      'Invalid area settings in areas/frimley.json: slug: "south-yorkshire" does not match the file name "frimley.json"',
    );
  });

  it('rejects repeated postcode districts', () => {
    const copy = rawArea('south-yorkshire');
    copy.eligibility.postcodeDistricts.push('S1');
    expect(errorOf(() => parseAreaSettings(copy, 'areas/south-yorkshire.json'))).toContain(
      'eligibility.postcodeDistricts: duplicate values S1',
    );
  });

  it('reports a non-object at the root', () => {
    expect(errorOf(() => parseAreaSettings('nope', 'areas/x.json'))).toMatch(
      /^Invalid area settings in areas\/x\.json: \(root\): /,
    );
  });
});
