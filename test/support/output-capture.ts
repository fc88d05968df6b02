/**
 * Everything this process writes to stdout and stderr while capturing (Powertools' logger and
 * EMF metrics write there directly); passed through to the real streams unless `quiet`.
 */
export interface OutputCapture {
  readonly lines: string[];
  stop(): void;
}

export function captureProcessOutput(opts: { quiet?: boolean } = {}): OutputCapture {
  const lines: string[] = [];
  const restore: (() => void)[] = [];
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write;
    stream.write = function write(this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
      lines.push(...(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8')).split('\n').filter(Boolean));
      if (opts.quiet) {
        const done = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
        done?.();
        return true;
      }
      return (original as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof stream.write;
    restore.push(() => {
      stream.write = original;
    });
  }
  return {
    lines,
    stop: () => {
      for (const undo of restore) undo();
    },
  };
}
