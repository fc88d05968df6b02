/**
 * `npm run coaches -- <command> --area <slug> [options]`: an area's coaches, against a deployed
 * stack (the default AWS SDK configuration) or the local runtime (`--endpoint` for its DynamoDB,
 * `--sfn-endpoint` for its Step Functions: more capacity assigns waitlisted journeys at once).
 *
 *   add    --id <coach id> --name <name> --email <work email> --team-lead <id> --max-caseload <n>
 *          [--specialisms a,b] [--localities S1,S2]     a new coach (or replaces the settings of one)
 *   update --coach <id> [--max-caseload <n>] [--available true|false] [--team-lead <id>]
 *          [--name <name>] [--email <work email>] [--specialisms a,b] [--localities S1,S2]
 *          a change; on leave (--available false) means no new assignments
 *   list   every coach with caseload and capacity (a table, or JSON with --json)
 *   seed   writes the area file's coaches that the table does not have yet (after a first
 *          deploy; coaches already there keep their settings and caseload)
 *
 * The area file's coaches are the starting data; changes made here are kept.
 */
import { listCoaches, putCoach, seedCoaches, updateCoach } from '../functions/shared/coach-store.ts';
import { print, table } from './table.ts';
import { connectToArea, parseCommand, describeFailure as describeOpsFailure, releaseRuntimeClock, runIfMain, UsageError } from './context.ts';

const commands = ['add', 'update', 'list', 'seed'] as const;

function usage(): string {
  return [
    'usage: npm run coaches -- <command> --area <slug> [--endpoint <url>] [--sfn-endpoint <url>] [--data-dir <dir>] [--table <name>] [--json] [options]',
    '  add    --id <id> --name <name> --email <email> --team-lead <id> --max-caseload <n> [--specialisms a,b] [--localities S1,S2]',
    '  update --coach <id> [--max-caseload <n>] [--available true|false] [--team-lead <id>] [--name] [--email] [--specialisms] [--localities]',
    '  list',
    "  seed   (the area file's coaches that are not stored yet)",
  ].join('\n');
}

const list = (value: string | undefined) => (value === undefined ? undefined : value.split(',').map((v) => v.trim()).filter(Boolean));
const whole = (value: string | undefined, flag: string) => {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`${flag} must be a whole number.`);
  return Number(value);
};

export async function main(argv: readonly string[]): Promise<number> {
  try {
    return await run(argv);
  } finally {
    releaseRuntimeClock();
  }
}

async function run(argv: readonly string[]): Promise<number> {
  const parsed = parseCommand(argv, commands, usage(), {
    id: { type: 'string' },
    coach: { type: 'string' },
    name: { type: 'string' },
    email: { type: 'string' },
    'team-lead': { type: 'string' },
    'max-caseload': { type: 'string' },
    available: { type: 'string' },
    specialisms: { type: 'string' },
    localities: { type: 'string' },
  });
  if (!parsed) return 0;
  const { command, values, json } = parsed;
  const area = connectToArea(parsed.connection, usage());
  const leads = new Set(area.teamLeads.map((t) => t.id));
  const teamLead = values['team-lead'];
  if (teamLead !== undefined && !leads.has(teamLead)) {
    throw new UsageError(`--team-lead must be one of the area's team leads: ${[...leads].join(', ')}`);
  }

  switch (command) {
    case 'add': {
      const maxCaseload = whole(values['max-caseload'], '--max-caseload');
      if (!values.id || !values.name || !values.email || !teamLead || maxCaseload === undefined) {
        throw new UsageError('add needs --id, --name, --email, --team-lead and --max-caseload.');
      }
      const coach = await putCoach({
        id: values.id,
        name: values.name,
        email: values.email,
        teamLeadId: teamLead,
        maxCaseload,
        ...(values.specialisms ? { specialisms: list(values.specialisms) as never } : {}),
        ...(values.localities ? { localities: list(values.localities) } : {}),
      });
      console.error(`Coach ${coach.coachId} in ${area.slug}: caseload ${coach.caseload} of ${coach.maxCaseload}.`);
      return 0;
    }
    case 'update': {
      if (!values.coach) throw new UsageError('update needs --coach.');
      if (values.available !== undefined && !['true', 'false'].includes(values.available)) {
        throw new UsageError('--available must be true or false.');
      }
      const coach = await updateCoach(values.coach, {
        ...(values.name !== undefined ? { name: values.name } : {}),
        ...(values.email !== undefined ? { email: values.email } : {}),
        ...(teamLead !== undefined ? { teamLeadId: teamLead } : {}),
        ...(values['max-caseload'] !== undefined ? { maxCaseload: whole(values['max-caseload'], '--max-caseload') } : {}),
        ...(values.available !== undefined ? { available: values.available === 'true' } : {}),
        ...(values.specialisms !== undefined ? { specialisms: list(values.specialisms) as never } : {}),
        ...(values.localities !== undefined ? { localities: list(values.localities) } : {}),
      });
      console.error(
        `Coach ${coach.coachId}: caseload ${coach.caseload} of ${coach.maxCaseload}, ${coach.available ? 'available' : 'on leave'}.`,
      );
      return 0;
    }
    case 'seed': {
      const created = await seedCoaches(area);
      console.error(
        created.length
          ? `Added ${created.length} coach(es) from the area settings: ${created.join(', ')}.`
          : 'Every coach in the area settings is already stored; nothing changed.',
      );
      return 0;
    }
    default: {
      const coaches = await listCoaches({ consistent: true });
      print(json, { area: area.slug, coaches }, () =>
        table(coaches, [
          { header: 'coach', value: (c) => c.coachId },
          { header: 'name', value: (c) => c.name },
          { header: 'team lead', value: (c) => c.teamLeadId },
          { header: 'caseload', value: (c) => `${c.caseload}/${c.maxCaseload}`, align: 'right' },
          { header: 'available', value: (c) => (c.available ? 'yes' : 'on leave') },
          { header: 'specialisms', value: (c) => c.specialisms.join(',') },
          { header: 'localities', value: (c) => c.localities.join(',') },
          { header: 'email', value: (c) => c.email },
        ]),
      );
      return 0;
    }
  }
}

export function describeFailure(error: unknown): { message: string; exitCode: number } {
  return describeOpsFailure(error, usage(), 'coach details');
}

await runIfMain(import.meta.filename, main, describeFailure);
