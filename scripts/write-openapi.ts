/**
 * Writes openapi.json at the repository root from functions/domain/openapi.ts (sorted keys,
 * two-space indentation). Run with `npm run openapi` after changing a route or a schema, and
 * commit the result: test/fhir/openapi.test.ts fails while the file is out of date.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { serializeOpenApi } from '../functions/domain/openapi.ts';

const target = fileURLToPath(new URL('../openapi.json', import.meta.url));
writeFileSync(target, serializeOpenApi());
console.log(`wrote ${target}`);
