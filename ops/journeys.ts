/**
 * `npm run journeys -- <command> --area <slug> [options]`: journeys stopped in needs_attention,
 * against a deployed stack (the default AWS SDK configuration) or the local runtime
 * (`--endpoint` for its DynamoDB, `--sfn-endpoint` for its Step Functions).
 *
 *   needs-attention                       journeys in needs_attention, oldest first: referral id,
 *                                         since when, the journey stage, the last step recorded
 *                                         and the error name (codes only, no personal data)
 *   show <referral id or reference>       one journey: status and stage, open tasks, onward
 *                                         referrals and timeline (ids, codes and times only)
 *   redrive --referral <id>               once the cause is fixed: a new execution of the journey
 *                                         that repeats no finished work (refused, saying why, when
 *                                         it could not be done safely)
 *   close --referral <id> --reason <code> ends the journey for good (tasks cancelled, waitlist
 *                                         place and caseload released, retention applied)
 *
 * Output is a readable table; `--json` prints JSON instead. With `--data-dir` (the local
 * runtime's data), times are the runtime's clock's.
 *   versions                              running journeys by definition version and stage, which
 *                                         version new journeys start on, and which can be retired
 */
import { operatorCloseReasons } from '../functions/domain/journey-repair.ts';
import { listNeedsAttention, redriveJourney } from '../functions/shared/journey-repair.ts';
import { listJourneysByVersion } from '../functions/shared/journey-versions.ts';
import { closeByOperator } from '../functions/shared/withdrawal.ts';
import { listOnwardReferrals } from '../functions/shared/onward-referral-store.ts';
import { findReferralByIdOrReference, listTasks, listTimeline } from '../functions/shared/referral-store.ts';
import { referencePrefixOf } from '../functions/domain/reference.ts';
import {
  connectToArea,
  connectToJourneys,
  parseCommand,
  describeFailure as describeOpsFailure,
  releaseRuntimeClock,
  runIfMain,
  UsageError,
} from './context.ts';
import { journeyText, journeyView } from './journey-view.ts';
import { print, shortTime, table } from './table.ts';

const commands = ['needs-attention', 'show', 'redrive', 'close', 'versions'] as const;

function usage(): string {
  return [
    'usage: npm run journeys -- <command> --area <slug> [--endpoint <url>] [--sfn-endpoint <url>] [--data-dir <dir>] [--state-machine-arn <arn>] [--table <name>] [--json]',
    '  needs-attention',
    '  show    <referral id>',
    '  redrive --referral <id>',
    `  close   --referral <id> --reason <${operatorCloseReasons.join('|')}>`,
    '  versions'
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
  const parsed = parseCommand(
    argv,
    commands,
    usage(),
    {
      'state-machine-arn': { type: 'string' },
      referral: { type: 'string' },
      reason: { type: 'string' },
    },
    1,
  );
  if (!parsed) return 0;
  const { command, values, json } = parsed;
  if (parsed.args.length && command !== 'show') throw new UsageError(`Unknown or missing command.\n${usage()}`);
  const area = connectToArea(parsed.connection, usage());

  if (command === 'needs-attention') {
    const journeys = await listNeedsAttention();
    print(json, { area: area.slug, journeys }, () =>
      table(journeys, [
        { header: 'referral', value: (j) => j.referralId },
        { header: 'since', value: (j) => shortTime(j.since) },
        { header: 'stage', value: (j) => j.stage },
        { header: 'last step', value: (j) => j.lastStep },
        { header: 'error', value: (j) => j.error },
        { header: 'redrives', value: (j) => j.redrives, align: 'right' },
      ]),
    );
    console.error(`${journeys.length} journey(s) in needs_attention in ${area.slug}.`);
    return 0;
  }

  if (command === 'versions') {
    await connectToJourneys(area, values['state-machine-arn']);
    const versions = await listJourneysByVersion();
    print(json, { area: area.slug, versions }, () =>
      table(versions, [
        { header: 'Version', value: (v) => v.version },
        { header: 'Running', value: (v) => v.running, align: 'right' },
        { header: 'By stage', value: (v) => Object.entries(v.byStage).map(([stage, n]) => `${stage} ${n}`).join(', ') },
        { header: 'Note', value: (v) => (v.current ? 'new journeys start here' : v.retirable ? 'nothing running: can be retired' : '') },
      ]),
    );
    return 0;
  }

  if (command === 'show') {
    const asked = parsed.args[0] ?? values.referral;
    if (!asked) throw new UsageError(`show needs a referral id or short reference.\n${usage()}`);
    // A reference as a person reads it out on the phone (SY-4K7P-2MXQ), or the referral id.
    const referral = await findReferralByIdOrReference(asked, referencePrefixOf(area));
    if (!referral) {
      console.error(`No referral ${asked} in ${area.slug}.`);
      return 1;
    }
    const referralId = referral.referralId;
    const [tasks, onward, timeline] = await Promise.all([listTasks(referralId), listOnwardReferrals(referralId), listTimeline(referralId)]);
    const view = journeyView(referral, tasks, onward, timeline);
    print(json, { area: area.slug, ...view }, () => journeyText(view, new Date()));
    return 0;
  }

  const referralId = values.referral;
  if (!referralId) throw new UsageError(`${command} needs --referral.\n${usage()}`);
  if (command === 'close' && !(operatorCloseReasons as readonly string[]).includes(values.reason ?? '')) {
    throw new UsageError(`close needs --reason, one of: ${operatorCloseReasons.join(', ')}`);
  }
  await connectToJourneys(area, values['state-machine-arn']);

  if (command === 'close') {
    const result = await closeByOperator(referralId, values.reason!);
    if (!result.closed) {
      console.error(`Not closed: the journey is ${result.status}, not needs_attention.`);
      return 1;
    }
    console.error(`Closed ${referralId} (${values.reason}): open tasks cancelled, waitlist place and caseload released, retention applied.`);
    return 0;
  }

  const outcome = await redriveJourney(referralId);
  const { plan } = outcome;
  if (!outcome.redriven) {
    console.error(`Not redriven:\n${plan.refused.map((r) => `  - ${r}`).join('\n')}`);
    return 1;
  }
  console.error(
    `Redriven ${referralId}: execution ${outcome.executionName}${outcome.resumedEarlierAttempt ? ' (started for an earlier, unfinished redrive)' : ''}.`,
  );
  console.error(`  Answers given again, not asked again: ${plan.replay.map((r) => r.type).join(', ') || 'none'}.`);
  for (const note of plan.notes) console.error(`  ${note}`);
  return 0;
}

export function describeFailure(error: unknown): { message: string; exitCode: number } {
  return describeOpsFailure(error, usage(), 'journey command');
}

await runIfMain(import.meta.filename, main, describeFailure);
