import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { loadArea } from '../areas/index.ts';
import { notificationSettings } from '../areas/schema.ts';
import { functionCatalogue, functionEnvironment } from '../functions/catalogue.ts';
import type { OrganisationType } from '../functions/domain/credentials.ts';
import { listCoaches, seedCoaches } from '../functions/shared/coach-store.ts';
import { issueCredential, registerPartner, type PartnerInput } from '../functions/shared/partner-store.ts';
import { tableName, tables } from '../functions/shared/tables.ts';
import { areaDefinition } from '../infra/definition.ts';
import { journeyAliasName, journeyStateMachineName } from '../infra/journey-state-machine.ts';
import { type Clock, installClockAsDate, ScaledClock } from './clock.ts';
import { PEOPLE_TIME_ENV } from '../functions/web/people-time.ts';
import { workingCalendar } from '../functions/domain/working-time.ts';
import { createCoachIssuer, type DemoStaff, type SignOptions, type StaffClaims } from './coach-issuer.ts';
import { createTables } from './dynamodb/bootstrap.ts';
import { launchDynamoDbLocal } from './dynamodb/server.ts';
import { writeFileAtomically } from './files.ts';
import { freePort } from './ports.ts';
import { LocalFunctions } from './functions.ts';
import { connectMailbox, type LocalMailbox, startMailbox } from './mailbox.ts';
import { LocalScheduler } from './scheduler.ts';
import { createGatewayHandler } from './gateway.ts';
import { LocalStepFunctions, type ResumeReport } from './stepfunctions/engine.ts';
import { handleStepFunctionsRequest } from './stepfunctions/endpoint.ts';
import { type LocalSecretsManager, newPersonIndexKeyRing, startLocalSecretsManager } from './secrets-manager.ts';

/**
 * The whole system on one machine: DynamoDB Local, the area's synthesized state machine on a
 * local Step Functions endpoint, and the API's handlers behind a local gateway. Handlers reach
 * DynamoDB and Step Functions through the real SDK clients via AWS_ENDPOINT_URL_* variables.
 */
export interface RuntimeOptions {
  readonly areaSlug: string;
  /** Gateway port; 0 picks a free one. */
  readonly port: number;
  /** Fixed ports for DynamoDB Local and the Step Functions endpoint (default: free ones). */
  readonly dynamoDbPort?: number;
  readonly stepFunctionsPort?: number;
  /** Where data is kept between runs; without it everything is in memory. */
  readonly dataDir?: string;
  readonly clock: Clock;
  /** Retry interval multiplier for the state machine (0: retry at once). */
  readonly retryScale?: number;
  readonly log?: (line: string) => void;
  /** Port of the local mailbox (SES v2 API and web page); default a free one. */
  readonly mailPort?: number;
  /** A mailbox already running (its URL) to send to instead of starting one. */
  readonly mailEndpoint?: string;
  /** Run notifier and daily digest on the clock automatically (default true). */
  readonly schedule?: boolean;
  /**
   * The ASL to run as the current version instead of the area's synthesized one (tests deploying
   * another release on the same data). Its function names must be this area's.
   */
  readonly definition?: Record<string, unknown>;
}

export interface Runtime {
  readonly gatewayUrl: string;
  readonly stepFunctionsEndpoint: string;
  readonly dynamoDbEndpoint: string;
  /** The local Secrets Manager (the person index's key ring, for operator commands). */
  readonly secretsManagerEndpoint: string;
  readonly stateMachineArn: string;
  readonly engine: LocalStepFunctions;
  readonly functions: LocalFunctions;
  readonly clock: Clock;
  readonly env: Readonly<Record<string, string>>;
  /** The local demo partners whose credentials this runtime knows (issued now or in an earlier run). */
  readonly partners: readonly DemoPartner[];
  /** Where their credentials are kept (`<dataDir>/credentials.json`, or a temp file in memory). */
  readonly credentialsFile: string;
  /** The area's coaches and team leads with a token from the local issuer (also in the credentials file, `staff`). */
  readonly staff: readonly DemoStaff[];
  /** Signs a staff token with the local issuer (tests: expired, other issuer, forged). */
  signStaffToken(claims: StaffClaims, options?: SignOptions): string;
  /** The local mailbox every e-mail goes to (local SES): its web page URL and its messages. */
  readonly mailbox: LocalMailbox;
  /** Runs notifier every simulated minute and daily-digest each working morning; or on demand. */
  readonly scheduler: LocalScheduler;
  stop(): Promise<void>;
}

export interface DemoPartner {
  readonly partnerId: string;
  readonly name: string;
  readonly organisationType: OrganisationType;
  readonly token: string;
}

/** Referral partners a local run starts with, one of each common kind (example names). */
export const demoPartners: readonly (PartnerInput & { partnerId: string })[] = [
  { partnerId: 'demo-gp-practice', name: 'Example Medical Centre', organisationType: 'gp', odsCode: 'C88001' },
  { partnerId: 'demo-employer', name: 'Example Logistics Ltd', organisationType: 'employer' },
  { partnerId: 'demo-jobcentre-plus', name: 'Example Jobcentre Plus', organisationType: 'jobcentre_plus' },
  { partnerId: 'demo-vcs', name: 'Example Community Wellbeing Trust', organisationType: 'vcs' },
  { partnerId: 'demo-self-referral', name: 'WorkWell self-referral form', organisationType: 'self_referral_service' },
];

interface CredentialsFile {
  readonly note: string;
  readonly area: string;
  readonly partners: DemoPartner[];
  /** Coaches' and team leads' tokens from the local issuer, fresh each start (they expire). */
  readonly staff?: DemoStaff[];
}

function readCredentials(file: string): DemoPartner[] {
  if (!existsSync(file)) return [];
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<CredentialsFile>;
    return Array.isArray(parsed.partners) ? parsed.partners : [];
  } catch {
    return [];
  }
}

/** Written whole and renamed into place, readable by the owner only; staff tokens kept unless given. */
function writeCredentials(file: string, area: string, partners: DemoPartner[], staff?: DemoStaff[]): void {
  let kept: DemoStaff[] | undefined = staff;
  if (!kept && existsSync(file)) {
    try {
      const saved = (JSON.parse(readFileSync(file, 'utf8')) as Partial<CredentialsFile>).staff;
      kept = Array.isArray(saved) ? saved : undefined;
    } catch {
      kept = undefined;
    }
  }
  const content: CredentialsFile = {
    note: 'Local demo credentials: send one as `Authorization: Bearer <token>` (partners: partner routes; staff: coach routes). Never commit or share this file.',
    area,
    partners,
    ...(kept ? { staff: kept } : {}),
  };
  writeFileAtomically(file, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
}

/**
 * Registers the demo partners that do not exist yet and issues each one a credential, saved
 * to `file` at once. Partners registered in an earlier run keep the credentials saved then:
 * nothing is issued or revoked for them.
 */
async function seedDemoPartners(file: string, area: string, log: (line: string) => void): Promise<DemoPartner[]> {
  let known = readCredentials(file);
  for (const input of demoPartners) {
    const { partner, created } = await registerPartner(input);
    if (!created) continue;
    const { token } = await issueCredential(partner.partnerId);
    known = [
      ...known.filter((p) => p.partnerId !== partner.partnerId),
      { partnerId: partner.partnerId, name: partner.name, organisationType: partner.organisationType, token },
    ];
    writeCredentials(file, area, known);
  }
  const missing = demoPartners.filter((d) => !known.some((k) => k.partnerId === d.partnerId));
  if (missing.length) {
    log(`no saved credential for demo partner(s) ${missing.map((m) => m.partnerId).join(', ')}: issue one with npm run partners -- issue`);
  }
  // In the order of demoPartners (the GP practice first), then any others the file holds.
  const order = (id: string) => {
    const at = demoPartners.findIndex((d) => d.partnerId === id);
    return at < 0 ? demoPartners.length : at;
  };
  return [...known].sort((a, b) => order(a.partnerId) - order(b.partnerId));
}

/** A positive whole number from the environment, if one is set. */
function envLimit(name: string): number | undefined {
  const value = Number(process.env[name]);
  return Number.isInteger(value) && value > 0 ? value : undefined;
}

const ACCOUNT = '000000000000';

/** A secret kept with the local data (or made afresh for an in-memory run). */
function localSecret(dataDir: string | undefined, name: string): string {
  if (!dataDir) return randomBytes(48).toString('base64url');
  const file = join(dataDir, name);
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileAtomically(file, randomBytes(48).toString('base64url'), { mode: 0o600 });
  }
  return readFileSync(file, 'utf8').trim();
}

/** What a start did with the journeys it found: resumed each on its own version, or held and why. */
function reportResume(engine: LocalStepFunctions, report: ResumeReport, dataDir: string | undefined, log: (line: string) => void): void {
  if (report.migrated) {
    log(`${report.migrated} journey(s) from a journal without definition versions taken as version ${engine.currentVersion} (README: upgrades)`);
  }
  if (report.resumed) log(`resumed ${report.resumed} journey(s) from ${dataDir}`);
  for (const h of report.held) log(`journey ${h.name} NOT resumed: ${h.reason}; it is left as it was (README: upgrades)`);
  const counts = engine.runningByVersion().map((v) => `${v.version}${v.current ? ' (current)' : ''}: ${v.running}`);
  log(`journeys running by definition version: ${counts.join(', ')}`);
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

export async function startRuntime(opts: RuntimeOptions): Promise<Runtime> {
  const area = loadArea(opts.areaSlug);
  const region = area.aws.region;
  const log = opts.log ?? (() => {});
  const stateMachineArn = `arn:aws:states:${region}:${ACCOUNT}:stateMachine:${journeyStateMachineName(area.slug)}`;

  // The JVM boots while the area's stack is synthesized (both take seconds).
  const dynamo = launchDynamoDbLocal({
    port: opts.dynamoDbPort ?? (await freePort()),
    ...(opts.dataDir ? { dataDir: join(opts.dataDir, 'dynamodb') } : {}),
  });
  const servers: Server[] = [];
  let engine: LocalStepFunctions | undefined;
  let restoreDate: (() => void) | undefined;
  let credentialsDir: string | undefined;
  let mailbox: LocalMailbox | undefined;
  let secretsManager: LocalSecretsManager | undefined;
  let scheduler: LocalScheduler | undefined;
  const removeCredentials = () => {
    if (credentialsDir) rmSync(credentialsDir, { recursive: true, force: true });
  };
  try {
    const definition = opts.definition ?? areaDefinition(area.slug, { region, account: ACCOUNT }).definition;
    await dynamo.ready;

    const sfnServer = createServer((req, res) => handleStepFunctionsRequest(engine ? [engine] : [], req, res));
    servers.push(sfnServer);
    const sfnPort = await listen(sfnServer, opts.stepFunctionsPort ?? 0);
    const stepFunctionsEndpoint = `http://127.0.0.1:${sfnPort}`;

    mailbox = opts.mailEndpoint ? connectMailbox(opts.mailEndpoint) : await startMailbox(opts.mailPort);
    secretsManager = await startLocalSecretsManager(opts.dataDir ? { dataDir: opts.dataDir } : {});
    const personIndexKeySecretId = secretsManager.ensure(`workwell-${area.slug}-person-index-key`, newPersonIndexKeyRing);
    const port = opts.port || (await freePort());
    const gatewayUrl = `http://127.0.0.1:${port}`;
    const tableNames = Object.fromEntries(tables.map((t) => [t.id, tableName(area.slug, t)]));
    // Coaches' tokens: the local stand-in for the area's Cognito user pool, its JWKS on the gateway.
    // A sped-up clock would end people's sessions, forms and staff tokens in real seconds:
    // sessions and forms then run on real time, and staff tokens last as long in real time.
    const speed = opts.clock instanceof ScaledClock ? opts.clock.speed : 1;
    const coachIssuer = createCoachIssuer({ gatewayUrl, lifetimeScale: Math.max(1, speed), ...(opts.dataDir ? { dataDir: opts.dataDir } : {}) });
    const inputs = {
      areaSlug: area.slug,
      tableNames,
      stateMachineArn,
      stateMachineAliasArn: `${stateMachineArn}:${journeyAliasName}`,
      publicApiUrl: gatewayUrl,
      providerKeySecret: localSecret(opts.dataDir, 'provider-key-secret'),
      personIndexKeySecretId,
      coachIdentity: { issuer: coachIssuer.issuer, jwksUri: coachIssuer.jwksUri, audience: coachIssuer.audience },
      // Locally the coach workspace signs in by choosing a demo coach (no identity provider).
      coachSignIn: { mode: 'demo' as const },
      // Links in e-mails lead to the coach task routes on the local gateway.
      mail: { ...notificationSettings(area), channel: 'ses' as const, linkBaseUrl: gatewayUrl },
      // PARTNER_RATE_LIMIT_PER_MINUTE=<n> npm start sets the limit locally (default 120).
      ...(envLimit('PARTNER_RATE_LIMIT_PER_MINUTE') ? { partnerRateLimitPerMinute: envLimit('PARTNER_RATE_LIMIT_PER_MINUTE') } : {}),
    };
    const env: Record<string, string> = {
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_SFN: stepFunctionsEndpoint,
      AWS_ENDPOINT_URL_SESV2: mailbox.url,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.endpoint,
    };
    for (const def of functionCatalogue) {
      Object.assign(env, functionEnvironment(def, inputs));
    }
    // Handlers run in this process, so one service name and a quieter log level locally.
    env.POWERTOOLS_SERVICE_NAME = `workwell-${area.slug}`;
    env.POWERTOOLS_LOG_LEVEL = process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN';
    env.POWERTOOLS_METRICS_DISABLED = process.env.POWERTOOLS_METRICS_DISABLED ?? 'true';
    env.POWERTOOLS_TRACE_ENABLED = 'false';
    env[PEOPLE_TIME_ENV] = speed === 1 ? 'clock' : 'real';
    Object.assign(process.env, env);

    const client = new DynamoDBClient({ region, endpoint: dynamo.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    await createTables(client, area.slug);
    client.destroy();
    // The area's coaches are the starting data; changes made since are kept.
    await seedCoaches(area);
    // Demo referral partners and their credentials (kept with the data, or in a temp file).
    if (opts.dataDir) mkdirSync(opts.dataDir, { recursive: true });
    else credentialsDir = mkdtempSync(join(tmpdir(), 'workwell-credentials-'));
    const credentialsFile = join(opts.dataDir ?? credentialsDir!, 'credentials.json');
    const partners = await seedDemoPartners(credentialsFile, area.slug, log);

    restoreDate = installClockAsDate(opts.clock);
    // Signed on the runtime's clock, which the coach authorizer checks expiry against.
    const staff: DemoStaff[] = [
      ...area.teamLeads.map((lead) => ({ staffId: lead.id, role: 'team_lead' as const, name: lead.name })),
      ...(await listCoaches()).map((coach) => ({ staffId: coach.coachId, role: 'coach' as const, name: coach.name })),
    ].map((member) => ({ ...member, token: coachIssuer.sign({ staffId: member.staffId }) }));
    writeCredentials(credentialsFile, area.slug, [...partners], staff);
    const functions = new LocalFunctions(area.slug, region);
    await functions.loadAll();

    engine = new LocalStepFunctions({
      stateMachineArn,
      definition: definition as Record<string, unknown>,
      aliasName: journeyAliasName,
      hasFunction: (name) => functions.has(name),
      clock: opts.clock,
      invoke: (name, payload) => functions.invoke(name, payload),
      ...(opts.dataDir ? { journalPath: join(opts.dataDir, 'stepfunctions.jsonl') } : {}),
      retryScale: opts.retryScale ?? 1,
      log: (line) => log(`${new Date(opts.clock.now()).toISOString()} journey ${line}`),
    });
    scheduler = new LocalScheduler({ areaSlug: area.slug, calendar: workingCalendar(area), clock: opts.clock, functions, auto: opts.schedule ?? true, log });
    scheduler.start();
    reportResume(engine, engine.resume(), opts.dataDir, log);

    const running = engine;
    const gateway = createServer(
      createGatewayHandler({
        areaSlug: area.slug,
        functions,
        health: () => ({ area: area.slug, journeysRunning: running.listExecutions('RUNNING').length }),
        jwks: () => coachIssuer.jwks(),
      }),
    );
    servers.push(gateway);
    await listen(gateway, port);

    const stopDynamo = dynamo;
    const restore = restoreDate;
    return {
      gatewayUrl,
      stepFunctionsEndpoint,
      dynamoDbEndpoint: dynamo.endpoint,
      secretsManagerEndpoint: secretsManager.endpoint,
      stateMachineArn,
      engine: running,
      functions,
      clock: opts.clock,
      env,
      partners,
      credentialsFile,
      staff,
      signStaffToken: (claims, options) => coachIssuer.sign(claims, options),
      mailbox,
      scheduler,
      stop: async () => {
        await scheduler?.stop();
        running.close();
        await mailbox?.stop();
        await secretsManager?.stop();
        await Promise.all(servers.map(close));
        await stopDynamo.stop();
        restore();
        removeCredentials();
      },
    };
  } catch (error) {
    await scheduler?.stop();
    engine?.close();
    await mailbox?.stop();
    await secretsManager?.stop();
    await Promise.all(servers.map(close));
    await dynamo.stop();
    restoreDate?.();
    removeCredentials();
    throw error;
  }
}
