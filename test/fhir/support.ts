import { readFileSync } from 'node:fs';

/** FHIR fixtures (test/fixtures/fhir) and helpers to edit copies of them. All data is fictitious. */
export type Json = Record<string, any>;

export function fhirFixture(name: 'gp-referral-bundle' | 'service-request-contained'): Json {
  return JSON.parse(readFileSync(new URL(`../fixtures/fhir/${name}.json`, import.meta.url), 'utf8')) as Json;
}

export const gpBundle = () => fhirFixture('gp-referral-bundle');
export const containedRequest = () => fhirFixture('service-request-contained');

/** The first resource of `type` in a Bundle (or among a resource's contained ones). */
export function resourceOf(container: Json, type: string): Json {
  const list: Json[] =
    container.resourceType === 'Bundle' ? (container.entry as Json[]).map((e) => e.resource as Json) : (container.contained as Json[]);
  const found = list.find((r) => r.resourceType === type);
  if (!found) throw new Error(`no ${type}`);
  return found;
}

export function withoutEntry(bundle: Json, type: string): Json {
  return { ...bundle, entry: (bundle.entry as Json[]).filter((e) => e.resource.resourceType !== type) };
}

export function extensionOf(resource: Json, url: string): Json | undefined {
  return (resource.extension as Json[] | undefined)?.find((e) => e.url === url);
}

export function dropExtension(resource: Json, url: string): void {
  resource.extension = (resource.extension as Json[]).filter((e) => e.url !== url);
}

/** Personal and health values in the fixtures: none may appear in an OperationOutcome or a log. */
export const personalValues = [
  'Alex',
  'Example Manufacturing',
  'S1 2HE',
  '9434765919',
  'alex.example@example.com',
  '07700 900123',
  '1985-06-15',
  'Lower back pain for six weeks',
  'Prefers appointments after 2pm',
  'Sample',
  'S10 2TN',
  '9449306621',
  '07700 900456',
  '1979-11-02',
];
