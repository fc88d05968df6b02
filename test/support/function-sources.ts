import { readFileSync } from 'node:fs';
import path from 'node:path';

const repoRoot = path.resolve(import.meta.dirname, '../..');

/**
 * A function's own source files: its handler and every project file it imports, transitively
 * (relative imports only; type-only imports carry no code). What its bundle can run, at most.
 */
export function functionSources(entry: string): Map<string, string> {
  const seen = new Map<string, string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    const text = readFileSync(file, 'utf8');
    seen.set(file, text);
    for (const m of text.matchAll(/^import\s+(?!type\s)[^;]*?from\s+'(\.[^']+)'/gms)) visit(path.resolve(path.dirname(file), m[1]!));
  };
  visit(path.join(repoRoot, entry));
  return seen;
}
