/**
 * `npm run journeys -- <command> --area <slug> [options]`: journeys stopped in needs_attention,
 * against a deployed stack (the default AWS SDK configuration) or the local runtime
 * (`--endpoint` for its DynamoDB, `--sfn-endpoint` for its Step Functions).
 *
 *   needs-attention                       journeys in needs_attention, oldest first: referral id,
 *                                         since when, the journey stage, the last step recorded
 *                                         and the error name (codes only, no personal data)
 *   redrive --referral <id>               once the cause is fixed: a new execution of the journey
 *                                         that repeats no finished work (refused, saying why, when
 *                                         it could not be done safely)
 *   close --referral <id> --reason <code> ends the journey for good (tasks cancelled, waitlist
 *                                         place and caseload released, retention applied)
 *   versions                              running journeys by definition version and stage, which
 *                                         version new journeys start on, and which can be retired
 */
import { operatorCloseReasons } from '../functions/domain/journey-repair.ts';
import { listNeedsAttention, redriveJourney } from '../functions/shared/journey-repair.ts';
import { listJourneysByVersion } from '../functions/shared/journey-versions.ts';
import { closeByOperator } from '../functions/shared/withdrawal.ts';
import { connectToArea, connectToJourneys, parseCommand, describeFailure as describeOpsFailure, runIfMain, UsageError } from './context.ts';

const commands = ['needs-attention', 'redrive', 'close', 'versions'] as const;

function usage(): string {
  return [
    'usage: npm run journeys -- <command> --area <slug> [--endpoint <url>] [--sfn-endpoint <url>] [--state-machine-arn <arn>] [--table <name>]',
    '  needs-attention',
    '  redrive --referral <id>',
    `  close   --referral <id> --reason <${operatorCloseReasons.join('|')}>`,
    '  versions'
  ].join('\n');
}

export async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseCommand(argv, commands, usage(), {
    'state-machine-arn': { type: 'string' },
    referral: { type: 'string' },
    reason: { type: 'string' },
  });
  if (!parsed) return 0;
  const { command, values } = parsed;
  const area = connectToArea(parsed.connection, usage());

  if (command === 'needs-attention') {
    const journeys = await listNeedsAttention();
    console.log(JSON.stringify({ area: area.slug, journeys }, null, 2));
    console.error(`${journeys.length} journey(s) in needs_attention in ${area.slug}.`);
    return 0;
  }

  if (command === 'versions') {
    await connectToJourneys(area, values['state-machine-arn']);
    const versions = await listJourneysByVersion();
    console.log(JSON.stringify({ area: area.slug, versions }, null, 2));
    for (const v of versions) {
      const note = v.current ? ' (new journeys start here)' : v.retirable ? ' (nothing running: can be retired)' : '';
      console.error(`${v.version}: ${v.running} journey(s) running${note}`);
    }
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
