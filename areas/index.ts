/**
 * The settings of the 15 WorkWell pilot areas, validated against AreaSettingsSchema.
 *
 * The JSON files are imported statically so esbuild bundles them into each Lambda function:
 * nothing reads the file system at run time. Each file is validated the first time it is asked
 * for and cached (frozen) after that, so one Lambda only pays for the area it serves.
 */
import type { z } from 'zod';
import { AreaSettingsSchema, type AreaSettings } from './schema.ts';

import birminghamAndSolihull from './birmingham-and-solihull.json' with { type: 'json' };
import blackCountry from './black-country.json' with { type: 'json' };
import bristolNorthSomersetAndSouthGloucestershire from './bristol-north-somerset-and-south-gloucestershire.json' with { type: 'json' };
import cambridgeshireAndPeterborough from './cambridgeshire-and-peterborough.json' with { type: 'json' };
import cornwallAndTheIslesOfScilly from './cornwall-and-the-isles-of-scilly.json' with { type: 'json' };
import coventryAndWarwickshire from './coventry-and-warwickshire.json' with { type: 'json' };
import frimley from './frimley.json' with { type: 'json' };
import greaterManchester from './greater-manchester.json' with { type: 'json' };
import herefordshireAndWorcestershire from './herefordshire-and-worcestershire.json' with { type: 'json' };
import lancashireAndSouthCumbria from './lancashire-and-south-cumbria.json' with { type: 'json' };
import leicesterLeicestershireAndRutland from './leicester-leicestershire-and-rutland.json' with { type: 'json' };
import northCentralLondon from './north-central-london.json' with { type: 'json' };
import northWestLondon from './north-west-london.json' with { type: 'json' };
import southYorkshire from './south-yorkshire.json' with { type: 'json' };
import surreyHeartlands from './surrey-heartlands.json' with { type: 'json' };

export type { AreaSettings } from './schema.ts';

/** Raw (unvalidated) area files, keyed by slug = file name without `.json`. */
const areaFiles = {
  'birmingham-and-solihull': birminghamAndSolihull,
  'black-country': blackCountry,
  'bristol-north-somerset-and-south-gloucestershire': bristolNorthSomersetAndSouthGloucestershire,
  'cambridgeshire-and-peterborough': cambridgeshireAndPeterborough,
  'cornwall-and-the-isles-of-scilly': cornwallAndTheIslesOfScilly,
  'coventry-and-warwickshire': coventryAndWarwickshire,
  frimley: frimley,
  'greater-manchester': greaterManchester,
  'herefordshire-and-worcestershire': herefordshireAndWorcestershire,
  'lancashire-and-south-cumbria': lancashireAndSouthCumbria,
  'leicester-leicestershire-and-rutland': leicesterLeicestershireAndRutland,
  'north-central-london': northCentralLondon,
  'north-west-london': northWestLondon,
  'south-yorkshire': southYorkshire,
  'surrey-heartlands': surreyHeartlands,
} satisfies Record<string, unknown>;

export type AreaSlug = keyof typeof areaFiles;

/** The 15 pilot area slugs, sorted. */
export const areaSlugs: readonly AreaSlug[] = Object.freeze(
  (Object.keys(areaFiles) as AreaSlug[]).sort(),
);

export function isAreaSlug(value: string): value is AreaSlug {
  return Object.hasOwn(areaFiles, value);
}

/** The path an area's file is reported under in error messages. */
export function areaFileName(slug: string): string {
  return `areas/${slug}.json`;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(root)' : path.map(String).join('.');
}

function describeIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      // Name each unknown field by its own path, not its parent's.
      return issue.keys.map((key) => `${formatPath([...issue.path, key])}: Unrecognized key`);
    }
    return [`${formatPath(issue.path)}: ${issue.message}`];
  });
}

function duplicates(values: readonly string[]): string[] {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const value of values) (seen.has(value) ? repeated : seen).add(value);
  return [...repeated];
}

/** Checks the schema cannot express: no repeats in lists, slug agrees with the file name. */
function crossChecks(settings: AreaSettings, sourceName: string): string[] {
  const problems: string[] = [];
  const fileName = sourceName.split('/').pop() ?? sourceName;
  if (fileName.endsWith('.json') && fileName !== `${settings.slug}.json`) {
    problems.push(`slug: "${settings.slug}" does not match the file name "${fileName}"`);
  }
  const lists: [string, string[]][] = [
    ['eligibility.postcodeDistricts', settings.eligibility.postcodeDistricts],
    ['eligibility.gpPracticeCodes', settings.eligibility.gpPracticeCodes],
    ['eligibility.situations', settings.eligibility.situations],
    ['priority.urgentSituations', settings.priority.urgentSituations],
    ['signposting.id', settings.signposting.map((s) => s.id)],
    ['teamLeads.id', settings.teamLeads.map((t) => t.id)],
    ['coaches.id', settings.coaches.map((c) => c.id)],
    ['services.id', settings.services.map((s) => s.id)],
    ['partners.id', settings.partners.map((p) => p.id)],
    ['operations.alarmEmails', settings.operations.alarmEmails],
  ];
  const leads = new Set(settings.teamLeads.map((t) => t.id));
  settings.coaches.forEach((coach, i) => {
    if (!leads.has(coach.teamLeadId)) problems.push(`coaches.${i}.teamLeadId: no team lead "${coach.teamLeadId}"`);
  });
  for (const [path, values] of lists) {
    const repeated = duplicates(values);
    if (repeated.length > 0) problems.push(`${path}: duplicate values ${repeated.join(', ')}`);
  }
  return problems;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * Validates one area's settings. `sourceName` (e.g. `areas/south-yorkshire.json`) is used in the
 * error message and, when it names a `.json` file, must match the slug. Throws an Error listing
 * every bad field by its dotted path.
 */
/** Settings that fail validation: the message names the file and each bad field. */
export class InvalidAreaSettings extends Error {
  override readonly name = 'InvalidAreaSettings';
}

export function parseAreaSettings(data: unknown, sourceName: string): AreaSettings {
  const result = AreaSettingsSchema.safeParse(data);
  const problems = result.success ? crossChecks(result.data, sourceName) : describeIssues(result.error.issues);
  if (problems.length > 0 || !result.success) {
    throw new InvalidAreaSettings(`Invalid area settings in ${sourceName}: ${problems.join('; ')}`);
  }
  return result.data;
}

const cache = new Map<AreaSlug, AreaSettings>();
const extraAreas = new Map<string, AreaSettings>();

/**
 * Adds an area that is not one of the shipped pilot areas, for this process only: tests and
 * local trials use it for settings of their own (e.g. a provider listening on this machine).
 */
export function registerArea(data: unknown, sourceName = 'registered area'): AreaSettings {
  const settings = deepFreeze(parseAreaSettings(data, sourceName));
  if (isAreaSlug(settings.slug)) throw new Error(`Area "${settings.slug}" is a pilot area and cannot be replaced`);
  extraAreas.set(settings.slug, settings);
  return settings;
}

/** The validated settings of one area. Throws for an unknown slug or an invalid file. */
export function loadArea(slug: string): AreaSettings {
  const extra = extraAreas.get(slug);
  if (extra) return extra;
  if (!isAreaSlug(slug)) {
    throw new InvalidAreaSettings(`Unknown area "${slug}"; known areas: ${areaSlugs.join(', ')}`);
  }
  let settings = cache.get(slug);
  if (!settings) {
    settings = deepFreeze(parseAreaSettings(areaFiles[slug], areaFileName(slug)));
    cache.set(slug, settings);
  }
  return settings;
}

/** The validated settings of every area, in slug order. */
export function allAreas(): AreaSettings[] {
  return areaSlugs.map((slug) => loadArea(slug));
}
