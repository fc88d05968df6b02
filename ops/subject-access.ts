/**
 * `npm run subject-access -- <command> --area <slug> [options]`: a person's rights over their
 * records (UK GDPR), against a deployed stack (the default AWS SDK configuration) or the local
 * runtime (`--endpoint`).
 *
 *   export  --nhs-number <n> | --name "<given names> <family name>" --date-of-birth <YYYY-MM-DD> --postcode <pc>
 *           [--out <file>]   every record the area holds about the person, as one JSON document
 *                            (standard output, or the file, readable by its owner only)
 *   rectify --referral <id> --set <field>=<value> [--set ...]
 *                            corrects personal details (givenName, familyName, dateOfBirth,
 *                            postcode, nhsNumber, email, phone, preferredChannel; an empty value
 *                            removes nhsNumber, email or phone), validated as intake validates
 *                            them; lists who received the old details and should be told
 *                            (a table, or JSON with --json)
 *
 * The export is a JSON document for the person whatever the options. With --data-dir (the local
 * runtime's data), times are the runtime's clock's.
 *
 * The export holds special category data: it goes to standard output or the file only, never to
 * a log. Messages on standard error name counts and ids, never details.
 */
import { writeFileSync } from 'node:fs';
import { parseCorrections, RectificationInvalid, rectifiableFields, SubjectQuery } from '../functions/domain/subject-access.ts';
import { rectifyReferral, subjectAccessExport } from '../functions/shared/subject-access-store.ts';
import { print, shortTime, table } from './table.ts';
import { connectToArea, parseCommand, describeFailure as describeOpsFailure, releaseRuntimeClock, runIfMain, UsageError } from './context.ts';

const commands = ['export', 'rectify'] as const;

function usage(): string {
  return [
    'usage: npm run subject-access -- <command> --area <slug> [--endpoint <url>] [--data-dir <dir>] [--table <name>] [--json] [options]',
    '  export  --nhs-number <n> [--out <file>]',
    '  export  --name "<given names> <family name>" --date-of-birth <YYYY-MM-DD> --postcode <postcode> [--out <file>]',
    '  rectify --referral <id> --set <field>=<value> [--set <field>=<value> ...]',
    `          fields: ${rectifiableFields.join(', ')} (an empty value removes nhsNumber, email or phone)`,
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
  const parsed = parseCommand(argv, commands, usage(), {
    'nhs-number': { type: 'string' },
    name: { type: 'string' },
    'date-of-birth': { type: 'string' },
    postcode: { type: 'string' },
    out: { type: 'string' },
    referral: { type: 'string' },
    set: { type: 'string', multiple: true },
  });
  if (!parsed) return 0;
  const { command, values, json } = parsed;
  const area = connectToArea(parsed.connection, usage());

  if (command === 'export') {
    const byNumber = values['nhs-number'] !== undefined;
    const byDetails = values.name !== undefined || values['date-of-birth'] !== undefined || values.postcode !== undefined;
    if (byNumber === byDetails) {
      throw new UsageError(`export needs either --nhs-number, or --name, --date-of-birth and --postcode.\n${usage()}`);
    }
    const query = SubjectQuery.parse(
      byNumber
        ? { nhsNumber: values['nhs-number']!.replace(/\s+/g, '') }
        : { name: values.name, dateOfBirth: values['date-of-birth'], postcode: values.postcode },
    );
    const document = await subjectAccessExport(query);
    const text = `${JSON.stringify(document, null, 2)}\n`;
    if (values.out) {
      writeFileSync(values.out, text, { mode: 0o600 });
      console.error(`${document.referralCount} referral(s) exported from ${area.slug} to ${values.out}.`);
    } else {
      process.stdout.write(text);
      console.error(`${document.referralCount} referral(s) exported from ${area.slug}.`);
    }
    if (document.referralCount === 0) console.error('No records match these details: check them, or search by the other details.');
    return 0;
  }

  if (!values.referral || !values.set?.length) throw new UsageError(`rectify needs --referral and at least one --set.\n${usage()}`);
  let result;
  try {
    result = await rectifyReferral(values.referral, parseCorrections(values.set));
  } catch (error) {
    if (error instanceof RectificationInvalid) throw new UsageError(error.message);
    throw error;
  }
  const referralId = values.referral;
  print(json, { referralId, ...result }, () =>
    [
      `Referral ${referralId}: ${result.changed.length ? `changed ${result.changed.join(', ')}` : 'nothing changed'}`,
      '',
      'Received the old details (tell them of the correction)',
      table(result.recipients, [
        { header: 'service', value: (r) => r.serviceId },
        { header: 'sent', value: (r) => shortTime(r.sentAt) },
        { header: 'onward referral', value: (r) => r.onwardReferralId },
      ]),
    ].join('\n'),
  );
  if (!result.changed.length) {
    console.error('Nothing changed: the referral already holds these details.');
  } else {
    console.error(`Rectified ${values.referral}: ${result.changed.join(', ')}.`);
    if (result.recipients.length) {
      console.error(`Tell the ${result.recipients.length} service(s) that received the old details (listed above) of the correction.`);
    }
  }
  return 0;
}

export function describeFailure(error: unknown): { message: string; exitCode: number } {
  return describeOpsFailure(error, usage(), 'details');
}

await runIfMain(import.meta.filename, main, describeFailure);
