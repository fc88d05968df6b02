import { readdirSync, readFileSync } from 'node:fs';
import { lambdaName } from '../../functions/catalogue.ts';

/**
 * The journey definitions of earlier releases, kept by scripts/write-release-asl.ts in
 * test/fixtures/asl/<release>.json with the Lambda name prefix as a placeholder.
 */
export const FUNCTION_PREFIX_PLACEHOLDER = '{{functionPrefix}}';

const dir = new URL('../fixtures/asl/', import.meta.url);

/** The newest kept release: its date and its ASL with the area's function names filled in. */
export function previousRelease(areaSlug: string): { release: string; definition: Record<string, unknown> } {
  const files = readdirSync(dir).filter((f) => /^\d{4}-\d{2}-\d{2}\.json$/.test(f)).sort();
  const newest = files.at(-1);
  if (!newest) throw new Error('No release definition in test/fixtures/asl: run npm run release-asl on the release commit');
  const text = readFileSync(new URL(newest, dir), 'utf8').split(FUNCTION_PREFIX_PLACEHOLDER).join(lambdaName(areaSlug, ''));
  const { release, definition } = JSON.parse(text) as { release: string; definition: Record<string, unknown> };
  return { release, definition };
}
