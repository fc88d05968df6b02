import { chmodSync, renameSync, writeFileSync } from 'node:fs';

/**
 * Writes a file so that a reader, or the next start after a SIGKILL, sees either the old
 * content or the new, never a half-written file: write beside it, then rename over it.
 */
export function writeFileAtomically(path: string, data: string, options: { mode?: number } = {}): void {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, data, options.mode === undefined ? {} : { mode: options.mode });
  // writeFileSync's mode applies only to a new file; a temp left by a killed run keeps its own.
  if (options.mode !== undefined) chmodSync(temp, options.mode);
  renameSync(temp, path);
}
