/**
 * Management information as files: one CSV per table and an SVG chart, from the computed
 * figures alone (functions/domain/management-information.ts). No dependencies.
 *
 * CSV: one file per table rather than one long file, because the tables have different shapes
 * (counts by codes, timings, a list of outcomes) and each opens as it is in a spreadsheet; every
 * file starts with area, period_from and period_to, so exports of several periods or areas
 * stack into one table by simple concatenation.
 */
import type { ManagementInformation } from '../functions/domain/management-information.ts';

type Row = Record<string, string | number | boolean | null>;

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function cell(value: string | number | boolean | null): string {
  if (value === null) return '';
  let text = String(value);
  // A spreadsheet must not run a cell as a formula.
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(rows: readonly Row[], columns: readonly string[]): string {
  const lines = [columns.map(snake).join(',')];
  for (const row of rows) lines.push(columns.map((c) => cell(row[c] ?? null)).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/** The tables written as CSV, by file name. */
export const csvTables = [
  'referralsBySource',
  'triageOutcomes',
  'reviewOutcomes',
  'timings',
  'firstContactDistribution',
  'onwardReferrals',
  'followUps',
  'outcomesByType',
  'outcomes',
  'endings',
  'funnel',
] as const satisfies readonly (keyof ManagementInformation)[];

/** Column lists are fixed per table, so an empty table still has its header. */
const columns: Record<(typeof csvTables)[number], readonly string[]> = {
  referralsBySource: ['source', 'count'],
  triageOutcomes: ['outcome', 'reason', 'count'],
  reviewOutcomes: ['outcome', 'reason', 'count'],
  timings: ['measure', 'admitted', 'reached', 'notReached', 'medianHours', 'p90Hours', 'medianDays', 'p90Days'],
  firstContactDistribution: ['days', 'count'],
  onwardReferrals: ['serviceId', 'serviceName', 'status', 'response', 'count'],
  followUps: ['due', 'done', 'doneOnTime', 'outstanding', 'notDone'],
  outcomesByType: ['employmentOutcome', 'count'],
  outcomes: ['referralId', 'employmentOutcome', 'outcomeDate', 'dischargeReason', 'referralReceivedDate', 'recordedDate'],
  endings: ['ending', 'reason', 'stageReached', 'count'],
  funnel: ['stage', 'count'],
};

export function csvFiles(mi: ManagementInformation): { name: string; content: string }[] {
  const period = { area: mi.metadata.area, periodFrom: mi.metadata.period.from, periodTo: mi.metadata.period.to };
  return csvTables.map((name) => ({
    name: `${snake(name).replace(/_/g, '-')}.csv`,
    content: toCsv(
      (mi[name] as readonly Row[]).map((row) => ({ ...period, ...row })),
      ['area', 'periodFrom', 'periodTo', ...columns[name]],
    ),
  }));
}

// ---------------------------------------------------------------------------------------------
// SVG

const escapeXml = (text: string) =>
  text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);

const label = (code: string) => code.replace(/_/g, ' ');

interface Panel {
  readonly title: string;
  readonly bars: readonly { label: string; value: number }[];
}

const WIDTH = 760;
const LABEL_WIDTH = 230;
const BAR_SPACE = 440;
const ROW = 22;

/** Horizontal bar panels, one under the other, each scaled to its own largest value. */
export function barChart(title: string, subtitle: string, panels: readonly Panel[]): string {
  const parts: string[] = [];
  let y = 30;
  parts.push(`<text x="16" y="${y}" font-size="18" font-weight="bold">${escapeXml(title)}</text>`);
  y += 20;
  parts.push(`<text x="16" y="${y}" font-size="12" fill="#505a5f">${escapeXml(subtitle)}</text>`);
  y += 16;
  for (const panel of panels) {
    y += 26;
    parts.push(`<text x="16" y="${y}" font-size="14" font-weight="bold">${escapeXml(panel.title)}</text>`);
    y += 8;
    const max = Math.max(1, ...panel.bars.map((b) => b.value));
    if (panel.bars.length === 0) {
      y += ROW;
      parts.push(`<text x="${LABEL_WIDTH}" y="${y - 6}" font-size="12" fill="#505a5f">none in the period</text>`);
    }
    for (const bar of panel.bars) {
      const width = Math.round((bar.value / max) * BAR_SPACE);
      parts.push(
        `<text x="${LABEL_WIDTH - 8}" y="${y + 15}" font-size="12" text-anchor="end">${escapeXml(bar.label)}</text>`,
        `<rect x="${LABEL_WIDTH}" y="${y + 3}" width="${width}" height="${ROW - 6}" fill="#005eb8"><title>${escapeXml(`${bar.label}: ${bar.value}`)}</title></rect>`,
        `<text x="${LABEL_WIDTH + width + 6}" y="${y + 15}" font-size="12">${bar.value}</text>`,
      );
      y += ROW;
    }
  }
  y += 16;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y}" viewBox="0 0 ${WIDTH} ${y}" font-family="Arial, sans-serif" role="img" aria-label="${escapeXml(title)}">`,
    `<rect width="${WIDTH}" height="${y}" fill="#ffffff"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

/** The chart: where referrals come from, how far journeys got, how long first contact took, outcomes. */
export function miChart(mi: ManagementInformation): string {
  const { metadata } = mi;
  return barChart(
    `WorkWell ${metadata.areaName}: referrals received ${metadata.period.from} to ${metadata.period.to}`,
    `Generated ${metadata.generatedAt}. Counts under ${metadata.smallNumbers.threshold} are not suppressed: do not publish as is.`,
    [
      { title: 'Referrals by source', bars: mi.referralsBySource.map((r) => ({ label: label(r.source), value: r.count })) },
      { title: 'Where journeys got to', bars: mi.funnel.map((f) => ({ label: label(f.stage), value: f.count })) },
      {
        title: 'Time from referral to first contact (days)',
        bars: mi.firstContactDistribution.map((d) => ({ label: `${d.days} days`, value: d.count })),
      },
      { title: 'Outcomes by type', bars: mi.outcomesByType.map((o) => ({ label: label(o.employmentOutcome), value: o.count })) },
    ],
  );
}
