/**
 * Readable output for operators: aligned plain-text tables (the default) or, with `--json`,
 * the same data as JSON for scripts.
 */
export interface Column<R> {
  readonly header: string;
  readonly value: (row: R) => string | number | boolean | null | undefined;
  /** Numbers read best right-aligned. */
  readonly align?: 'left' | 'right';
}

const width = (text: string) => [...text].length;
const pad = (text: string, size: number, align: 'left' | 'right') =>
  align === 'right' ? ' '.repeat(size - width(text)) + text : text + ' '.repeat(size - width(text));

/** A header, a rule and one line per row, columns two spaces apart; `empty` when there are no rows. */
export function table<R>(rows: readonly R[], columns: readonly Column<R>[], empty = '(none)'): string {
  if (!rows.length) return empty;
  const cells = rows.map((row) =>
    columns.map((c) => {
      const v = c.value(row);
      // One line per row: a stray newline in a value must not break the columns.
      return v === null || v === undefined || v === '' ? '-' : String(v).replace(/\s+/g, ' ');
    }),
  );
  const widths = columns.map((c, i) => Math.max(width(c.header), ...cells.map((r) => width(r[i]!))));
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => pad(v, widths[i]!, columns[i]!.align ?? 'left'))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/** An ISO time as operators read it: date and minutes, in UTC (marked so). */
export function shortTime(iso: string | undefined | null): string {
  if (!iso) return '-';
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? iso : `${at.toISOString().slice(0, 16).replace('T', ' ')}Z`;
}

/** Prints `data` as JSON with `--json`, else the readable text. */
export function print(json: boolean, data: unknown, text: () => string): void {
  console.log(json ? JSON.stringify(data, null, 2) : text());
}
