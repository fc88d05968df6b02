/**
 * `npm run mi -- --area <slug> --from YYYY-MM-DD --to YYYY-MM-DD [options]`: an area's
 * management information for the referrals received in a period (inclusive dates in the area's
 * time zone), against a deployed stack (the default AWS SDK configuration) or the local runtime
 * (`--endpoint` for its DynamoDB). Writes JSON, CSV and an SVG chart to --out and prints a short
 * summary. Nothing personal is read or written: codes, counts, dates and opaque referral ids.
 *
 *   --out <folder>              default mi/<slug>-<from>-<to>/
 *   --format csv|json|all       csv: the CSV files and the chart; json: management-information.json; default all
 *   --json                      print the management information as JSON instead of the summary
 *   --data-dir <dir>            the local runtime's data (`.local/<slug>`): "now" is its clock's
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  computeManagementInformation,
  periodBounds,
  type ManagementInformation,
} from '../functions/domain/management-information.ts';
import { readJourneysReceived } from '../functions/shared/mi-reader.ts';
import { connectToArea, describeFailure as describeOpsFailure, releaseRuntimeClock, runIfMain, UsageError } from './context.ts';
import { print } from './table.ts';
import { csvFiles, miChart } from './mi-render.ts';

const formats = ['csv', 'json', 'all'] as const;
type Format = (typeof formats)[number];

function usage(): string {
  return [
    'usage: npm run mi -- --area <slug> --from YYYY-MM-DD --to YYYY-MM-DD [--endpoint <url>] [--table <name>]',
    '                     [--data-dir <dir>] [--out <folder>] [--format csv|json|all] [--json]',
    '  referrals received from --from to --to (inclusive, area time zone); default --out mi/<slug>-<from>-<to>/',
  ].join('\n');
}

export const JSON_FILE = 'management-information.json';
export const CHART_FILE = 'chart.svg';

/** Writes the chosen formats; returns the paths written. */
export async function writeManagementInformation(mi: ManagementInformation, out: string, format: Format): Promise<string[]> {
  await mkdir(out, { recursive: true });
  const files: { name: string; content: string }[] = [];
  if (format !== 'csv') files.push({ name: JSON_FILE, content: `${JSON.stringify(mi, null, 2)}\n` });
  if (format !== 'json') files.push(...csvFiles(mi), { name: CHART_FILE, content: miChart(mi) });
  for (const file of files) await writeFile(join(out, file.name), file.content, 'utf8');
  return files.map((f) => join(out, f.name));
}

const hours = (value: number | null) => (value === null ? 'n/a' : `${value} h`);

export function summary(mi: ManagementInformation, out: string): string {
  const t = mi.totals;
  const [contact, assessment] = mi.timings;
  const [followUps] = mi.followUps;
  const endings = (name: string) => mi.endings.filter((e) => e.ending === name).reduce((n, e) => n + e.count, 0);
  const small = mi.metadata.smallNumbers;
  return [
    `WorkWell ${mi.metadata.areaName}: referrals received ${mi.metadata.period.from} to ${mi.metadata.period.to} (${mi.metadata.period.timeZone})`,
    `  received ${t.referralsReceived} (${mi.referralsBySource.map((s) => `${s.source} ${s.count}`).join(', ') || 'none'}); linked ${t.linkedToOpenJourney}`,
    `  triage: ${mi.triageOutcomes.map((r) => `${r.outcome}/${r.reason} ${r.count}`).join(', ') || 'none'}; admitted ${t.admitted}`,
    `  first contact: ${contact?.reached ?? 0} of ${t.admitted}, median ${hours(contact?.medianHours ?? null)}, p90 ${hours(contact?.p90Hours ?? null)}`,
    `  assessment: ${assessment?.reached ?? 0} of ${t.admitted}, median ${hours(assessment?.medianHours ?? null)}, p90 ${hours(assessment?.p90Hours ?? null)}`,
    `  onward referrals ${mi.onwardReferrals.reduce((n, o) => n + o.count, 0)}; follow-ups done ${followUps?.done ?? 0} of ${followUps?.due ?? 0} due`,
    `  outcomes ${mi.outcomes.length}; withdrawn ${endings('withdrawn')}, declined ${endings('declined_at_first_contact')}, not engaged ${endings('not_engaged')}`,
    `  ${small.cellsBelowThreshold.length} counts under ${small.threshold}, not suppressed: suppress before sharing beyond the team`,
    `  written to ${out}`,
  ].join('\n');
}

export async function main(argv: readonly string[]): Promise<number> {
  try {
    return await run(argv);
  } finally {
    releaseRuntimeClock();
  }
}

async function run(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      area: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      endpoint: { type: 'string' },
      table: { type: 'string' },
      'data-dir': { type: 'string' },
      json: { type: 'boolean', default: false },
      out: { type: 'string' },
      format: { type: 'string', default: 'all' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(usage());
    return 0;
  }
  if (!values.from || !values.to) throw new UsageError(`--from and --to are required.\n${usage()}`);
  const format = values.format as Format;
  if (!(formats as readonly string[]).includes(format)) throw new UsageError(`--format must be one of ${formats.join(', ')}.`);
  const area = connectToArea({ ...values, dataDir: values['data-dir'] }, usage());
  let bounds: { startUtc: string; endUtc: string };
  try {
    bounds = periodBounds(values.from, values.to, area.timeZone);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }

  const generatedAt = new Date();
  const records = await readJourneysReceived(bounds);
  const mi = computeManagementInformation(records, {
    area: { slug: area.slug, name: area.name, timeZone: area.timeZone, services: area.services.map((s) => ({ id: s.id, name: s.name })) },
    from: values.from,
    to: values.to,
    generatedAt,
  });
  const out = resolve(values.out ?? join('mi', `${area.slug}-${values.from}-${values.to}`));
  await writeManagementInformation(mi, out, format);
  print(values.json, mi, () => summary(mi, out));
  return 0;
}

export function describeFailure(error: unknown): { message: string; exitCode: number } {
  return describeOpsFailure(error, usage(), 'options');
}

await runIfMain(import.meta.filename, main, describeFailure);
