import { describe, expect, it } from 'vitest';
import { functionCatalogue } from '../../functions/catalogue.ts';
import { metricCatalogue, metricFamilies } from '../../functions/shared/metric-catalogue.ts';
import { functionSources } from '../support/function-sources.ts';

/**
 * The dashboard and alarms read each metric from the functions its catalogue entry names
 * (`emittedBy`): a function that counts a metric without being named there is invisible to them.
 * Here every function's own source files (its handler and the project files it imports) are read,
 * and each metric they count must name that function.
 */
const byKey = Object.fromEntries(Object.entries(metricCatalogue).map(([key, def]) => [key, def]));

function metricsCountedIn(text: string): string[] {
  return [
    ...[...text.matchAll(/metricCatalogue\.(\w+)\.name/g)].map((m) => byKey[m[1]!]!.name),
    ...[...text.matchAll(/familyMetric\('(\w+)'/g)].map((m) => `family:${m[1]}`),
  ];
}

describe('metric catalogue', () => {
  const counted = new Map<string, Set<string>>();
  for (const fn of functionCatalogue) {
    for (const text of functionSources(fn.entry).values()) {
      for (const metric of metricsCountedIn(text)) counted.set(metric, (counted.get(metric) ?? new Set()).add(fn.name));
    }
  }

  it('names every function that counts a metric, and counts every metric it names', () => {
    const declared = new Map<string, Set<string>>([
      ...Object.values(metricCatalogue).map((d) => [d.name, new Set<string>(d.emittedBy)] as const),
      ...Object.entries(metricFamilies).map(([family, d]) => [`family:${family}`, new Set<string>(d.emittedBy)] as const),
    ]);
    const sorted = (m: Map<string, Set<string>>) => Object.fromEntries([...m].map(([k, v]) => [k, [...v].sort()]).sort());
    expect(sorted(counted)).toEqual(sorted(declared));
  });
});
