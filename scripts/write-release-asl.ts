/**
 * Keeps the journey definition of a release as a fixture: the synthesized, resolved ASL of
 * South Yorkshire, with its Lambda name prefix made a placeholder so any area's functions can
 * run it. Run on the release commit (`npm run release-asl -- --release <YYYY-MM-DD>`) and commit
 * test/fixtures/asl/<release>.json: test/journey/previous-release.test.ts runs journeys started
 * on the newest such file to completion against today's handlers (README: upgrades).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { lambdaName } from '../functions/catalogue.ts';
import { areaDefinition } from '../infra/definition.ts';
import { FUNCTION_PREFIX_PLACEHOLDER } from '../test/support/release-asl.ts';

const { values } = parseArgs({ options: { release: { type: 'string', default: new Date().toISOString().slice(0, 10) } } });
const release = values.release;
if (!/^\d{4}-\d{2}-\d{2}$/.test(release)) throw new Error('--release must be a date, YYYY-MM-DD');

const area = 'south-yorkshire';
const prefix = lambdaName(area, '');
const text = JSON.stringify(areaDefinition(area).definition).split(prefix).join(FUNCTION_PREFIX_PLACEHOLDER);
const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
const dir = fileURLToPath(new URL('../test/fixtures/asl/', import.meta.url));
mkdirSync(dir, { recursive: true });
const target = `${dir}${release}.json`;
writeFileSync(target, `${JSON.stringify({ release, commit, definition: JSON.parse(text) }, null, 2)}\n`);
console.log(`wrote ${target}`);
