/**
 * `npm run partners -- <command> --area <slug> [options]`: an area's referral partners and
 * their API credentials, against a deployed stack (the default AWS SDK configuration: profile,
 * region, credentials) or the local runtime's DynamoDB (`--endpoint`).
 *
 *   register --name <name> --type <organisation type> [--ods <code>] [--id <partner id>]
 *            [--fhir-endpoint <https url>] [--no-credential]
 *            registers a partner and (unless --no-credential) issues its first credential;
 *            `register --id <id>` alone registers a partner listed in the area's settings
 *   update   --partner <id> --fhir-endpoint <https url | none>
 *            where BaRS status updates about the partner's referrals are posted (none: not sent)
 *   practice --ods <code> --fhir-endpoint <https url | none>
 *            a GP practice's endpoint for discharge summaries (practices need not be partners)
 *   gp-summaries                                 discharge summaries held for want of an endpoint
 *   issue    --partner <id>                      a new credential (rotation: the old one stays
 *                                                valid until revoked)
 *   revoke   --partner <id> --credential <id>    the credential is refused from now on
 *   suspend  --partner <id>                      every credential of the partner is refused
 *   reinstate --partner <id>                     a suspended partner is active again
 *   list                                         partners and their credentials (ids and dates):
 *                                                a table, or JSON with --json
 *
 * Common options:
 *   --area <slug>       the pilot area (required)
 *   --endpoint <url>    DynamoDB endpoint, e.g. the local runtime's http://127.0.0.1:<port>
 *                       (printed by `npm start`); without it, the area's AWS account
 *   --table <name>      table name (default workwell-<slug>-journeys, as the stack names it)
 *   --data-dir <dir>    the local runtime's data (`.local/<slug>`): times on its clock
 *
 * A new credential is printed once, on standard output; nothing keeps it but its hash.
 * The AWS API Gateway caches authorizer answers for 5 minutes: a revocation or suspension takes
 * up to that long to apply to a partner's requests in AWS (at once locally).
 */
import { organisationTypes } from '../functions/domain/credentials.ts';
import {
  issueCredential,
  listCredentials,
  listPartners,
  registerPartner,
  reinstatePartner,
  revokeCredential,
  setPartnerEndpoint,
  setPracticeEndpoint,
  suspendPartner,
  type IssuedCredential,
} from '../functions/shared/partner-store.ts';
import { listHeldSummaries } from '../functions/shared/gp-summary.ts';
import { print, shortTime, table } from './table.ts';
import { connectToArea, parseCommand, describeFailure as describeOpsFailure, releaseRuntimeClock, runIfMain, UsageError } from './context.ts';

export { UsageError };

const commands = ['register', 'update', 'practice', 'gp-summaries', 'issue', 'revoke', 'suspend', 'reinstate', 'list'] as const;
type Command = (typeof commands)[number];

function usage(): string {
  return [
    'usage: npm run partners -- <command> --area <slug> [--endpoint <url>] [--data-dir <dir>] [--table <name>] [--json] [options]',
    '  register --name <name> --type <type> [--ods <code>] [--id <partner id>] [--fhir-endpoint <https url>] [--no-credential]',
    "  register --id <partner id>   (a partner listed in the area's settings: name, type and ODS code from there)",
    '  update   --partner <id> --fhir-endpoint <https url | none>   (where BaRS status updates about its referrals go)',
    '  practice --ods <GP practice code> --fhir-endpoint <https url | none>   (where discharge summaries for the practice go)',
    '  gp-summaries   (discharge summaries held because the practice has no endpoint)',
    '  issue    --partner <id>',
    '  revoke   --partner <id> --credential <id>',
    '  suspend  --partner <id>',
    '  reinstate --partner <id>',
    '  list',
    `organisation types: ${organisationTypes.join(', ')}`,
  ].join('\n');
}

function printCredential(issued: IssuedCredential, rotation: boolean): void {
  console.error('');
  console.error('New credential. It is shown this once and cannot be shown again: store it safely (a secret');
  console.error('manager, not email or chat) and give it to the partner over a secure channel.');
  if (rotation) console.error('Earlier credentials of this partner stay valid until you revoke them.');
  console.error(`  partner:    ${issued.partnerId}`);
  console.error(`  credential: ${issued.credentialId}`);
  console.error('  token (send as Authorization: Bearer <token>):');
  console.log(issued.token);
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
    name: { type: 'string' },
    type: { type: 'string' },
    ods: { type: 'string' },
    id: { type: 'string' },
    partner: { type: 'string' },
    credential: { type: 'string' },
    'no-credential': { type: 'boolean', default: false },
    'fhir-endpoint': { type: 'string' },
  });
  if (!parsed) return 0;
  const { command, values, json } = parsed;
  const area = connectToArea(parsed.connection, usage());

  const partnerId = (): string => {
    if (!values.partner) throw new UsageError(`--partner is required for ${command}.`);
    return values.partner;
  };

  switch (command) {
    case 'register': {
      // A partner organisation listed in the area's settings brings its own name, type and ODS code.
      const listed = values.id ? area.partners.find((p) => p.id === values.id) : undefined;
      const name = values.name ?? listed?.name;
      const type = values.type ?? listed?.organisationType;
      const ods = values.ods ?? listed?.odsCode;
      if (!name || !type) {
        const known = area.partners.map((p) => p.id).join(', ') || 'none';
        throw new UsageError(`register needs --name and --type, or --id of a partner in the area's settings (${known}).`);
      }
      const { partner, created } = await registerPartner({
        name,
        organisationType: type as (typeof organisationTypes)[number],
        ...(ods ? { odsCode: ods } : {}),
        ...(values.id ? { partnerId: values.id } : {}),
        ...(values['fhir-endpoint'] ? { fhirEndpoint: values['fhir-endpoint'] } : {}),
      });
      console.error(`${created ? 'Registered' : 'Already registered'}: ${partner.partnerId} (${partner.organisationType}) in ${area.slug}`);
      if (created && !values['no-credential']) printCredential(await issueCredential(partner.partnerId), false);
      else if (!created) console.error('No credential issued: use `issue` to give it one.');
      return 0;
    }
    case 'update': {
      const endpoint = values['fhir-endpoint'];
      if (!endpoint) throw new UsageError('update needs --fhir-endpoint (a URL, or none to remove it).');
      const partner = await setPartnerEndpoint(partnerId(), endpoint === 'none' ? null : endpoint);
      console.error(`Updated ${partner.partnerId}: ${partner.fhirEndpoint ? `FHIR endpoint ${partner.fhirEndpoint}` : 'no FHIR endpoint'}.`);
      return 0;
    }
    case 'practice': {
      const endpoint = values['fhir-endpoint'];
      if (!values.ods || !endpoint) throw new UsageError('practice needs --ods and --fhir-endpoint (a URL, or none to remove it).');
      await setPracticeEndpoint(values.ods, endpoint === 'none' ? null : endpoint);
      console.error(`GP practice ${values.ods}: ${endpoint === 'none' ? 'no endpoint (summaries are held for the team lead)' : `discharge summaries go to ${endpoint}`}.`);
      return 0;
    }
    case 'gp-summaries': {
      const held = await listHeldSummaries();
      print(json, { area: area.slug, held }, () =>
        table(held, [
          { header: 'referral', value: (h) => h.referralId },
          { header: 'practice', value: (h) => h.practice },
          { header: 'held since', value: (h) => shortTime(h.heldAt) },
        ]),
      );
      return 0;
    }
    case 'issue':
      printCredential(await issueCredential(partnerId()), true);
      return 0;
    case 'revoke': {
      if (!values.credential) throw new UsageError('revoke needs --credential.');
      const result = await revokeCredential(partnerId(), values.credential);
      console.error(result === 'revoked' ? `Revoked ${values.credential}.` : `${values.credential} was already revoked.`);
      return 0;
    }
    case 'suspend': {
      const result = await suspendPartner(partnerId());
      console.error(result === 'suspended' ? `Suspended ${values.partner}.` : `${values.partner} was already suspended.`);
      return 0;
    }
    case 'reinstate': {
      const result = await reinstatePartner(partnerId());
      console.error(result === 'reinstated' ? `Reinstated ${values.partner}.` : `${values.partner} was already active.`);
      return 0;
    }
    case 'list': {
      const partners = await listPartners();
      const rows = await Promise.all(
        partners.map(async (p) => ({ ...p, credentials: await listCredentials(p.partnerId) })),
      );
      // One line per credential (a partner without one still has its line).
      const lines = rows.flatMap((p) => (p.credentials.length ? p.credentials : [undefined]).map((c) => ({ p, c })));
      print(json, { area: area.slug, partners: rows }, () =>
        table(lines, [
          { header: 'partner', value: ({ p }) => p.partnerId },
          { header: 'name', value: ({ p }) => p.name },
          { header: 'type', value: ({ p }) => p.organisationType },
          { header: 'ODS', value: ({ p }) => p.odsCode },
          { header: 'FHIR endpoint', value: ({ p }) => p.fhirEndpoint },
          { header: 'status', value: ({ p }) => p.status },
          { header: 'credential', value: ({ c }) => c?.credentialId },
          { header: 'issued', value: ({ c }) => shortTime(c?.createdAt) },
          { header: 'revoked', value: ({ c }) => shortTime(c?.revokedAt) },
          { header: 'last used', value: ({ c }) => shortTime(c?.lastUsedAt) },
        ]),
      );
      return 0;
    }
  }
}

export function describeFailure(error: unknown): { message: string; exitCode: number } {
  return describeOpsFailure(error, usage(), 'partner details');
}

await runIfMain(import.meta.filename, main, describeFailure);
