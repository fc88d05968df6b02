import { loadArea } from '../areas/index.ts';
import { metricNamespace, metricServiceName } from './shared/metric-catalogue.ts';
import { PERSON_INDEX_SECRET_ENV } from './shared/person-index-key.ts';
import { DEFAULT_PARTNER_RATE_LIMIT_PER_MINUTE, RATE_LIMIT_ENV } from './shared/rate-limit.ts';
import { idempotencyTable, journeysTable, type TableDesign } from './shared/tables.ts';

/**
 * The function catalogue, defined once. CDK makes one Lambda function per entry
 * (infra/functions.ts); the local runtime loads the same handler module for each Task state
 * and API route (local/functions.ts). Permissions are declared here, granted by CDK.
 */
export type StateMachineAccess = 'start' | 'read' | 'respond' | 'stop';

export interface FunctionDefinition {
  /** Short name; the Lambda is called `WorkWell-<area>-<name>`. */
  readonly name: string;
  /** Handler module, relative to the repository root; it exports `handler`. */
  readonly entry: string;
  readonly description: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  readonly tables: readonly { readonly table: TableDesign; readonly access: 'read' | 'readWrite' }[];
  /** What the function may do with the area's journey state machine. */
  readonly stateMachine: readonly StateMachineAccess[];
  /**
   * Further settings it needs: the API's public URL, the secret provider keys derive from,
   * the per-partner request limit (partner-facing functions; functions/shared/rate-limit.ts).
   */
  readonly settings?: readonly Setting[];
  /**
   * Files the function reads at run time, copied next to its bundle (from: relative to the
   * repository root; to: relative to the bundle).
   */
  readonly bundledFiles?: readonly { readonly from: string; readonly to: string }[];
}

const common = { memoryMb: 512, timeoutSeconds: 10 } as const;

export const functionCatalogue = [
  {
    name: 'intake',
    entry: 'functions/handlers/intake.ts',
    description: 'Accepts a referral from a partner, stores it and starts its journey',
    ...common,
    tables: [
      { table: journeysTable, access: 'readWrite' },
      { table: idempotencyTable, access: 'readWrite' },
    ],
    stateMachine: ['start'],
    settings: ['partnerRateLimit', 'personIndexKey'],
  },
  {
    name: 'referral-status',
    entry: 'functions/handlers/referral-status.ts',
    description: 'Answers a partner with the status and stage of a referral it made',
    ...common,
    // Writes only the partner's rate limit counter.
    tables: [{ table: journeysTable, access: 'readWrite' }],
    stateMachine: [],
    settings: ['partnerRateLimit'],
  },
  {
    name: 'triage',
    entry: 'functions/handlers/triage.ts',
    description: "Applies the area's eligibility and priority rules to a referral",
    ...common,
    tables: [{ table: journeysTable, access: 'readWrite' }],
    stateMachine: [],
  },
  {
    name: 'open-task',
    entry: 'functions/handlers/open-task.ts',
    description: 'Opens a human task holding the journey task token, due by the area deadline',
    ...common,
    tables: [{ table: journeysTable, access: 'readWrite' }],
    // Delivers an answer that arrived while the journey changed phase.
    stateMachine: ['respond'],
  },
  {
    name: 'record-stage',
    entry: 'functions/handlers/record-stage.ts',
    description: 'Records a journey stage (escalation, closure, needs attention) on the referral',
    ...common,
    tables: [{ table: journeysTable, access: 'readWrite' }],
    // Closing frees caseload, which may assign a waitlisted journey and resume it.
    stateMachine: ['respond'],
  },
  {
    name: 'assign-coach',
    entry: 'functions/handlers/assign-coach.ts',
    description: 'Assigns an eligible referral to a coach with free caseload, best match first',
    ...common,
    // Under contention it retries other coaches before answering.
    timeoutSeconds: 30,
    tables: [{ table: journeysTable, access: 'readWrite' }],
    stateMachine: [],
  },
  {
    name: 'join-waitlist',
    entry: 'functions/handlers/join-waitlist.ts',
    description: 'Puts a referral on the waitlist until a coach has capacity',
    ...common,
    // Under contention it retries other coaches before answering.
    timeoutSeconds: 30,
    tables: [{ table: journeysTable, access: 'readWrite' }],
    stateMachine: ['respond'],
  },
  {
    name: 'send-onward-referral',
    entry: 'functions/handlers/send-onward-referral.ts',
    description: 'Sends an onward referral to a local service and waits for its answer',
    ...common,
    timeoutSeconds: 30,
    tables: [{ table: journeysTable, access: 'readWrite' }],
    // Answers at once when the provider already replied.
    stateMachine: ['respond'],
    settings: ['publicApiUrl', 'providerKeySecret'],
  },
  {
    name: 'provider-status',
    entry: 'functions/handlers/provider-status.ts',
    description: 'Receives a local service provider status for an onward referral',
    ...common,
    tables: [{ table: journeysTable, access: 'readWrite' }],
    stateMachine: ['respond'],
    settings: ['providerKeySecret'],
  },
  {
    name: 'partner-authorizer',
    entry: 'functions/handlers/partner-authorizer.ts',
    description: "Checks a referral partner's credential for this area and names the partner",
    ...common,
    // Writes only a credential's lastUsedAt (at most hourly).
    tables: [{ table: journeysTable, access: 'readWrite' }],
    stateMachine: [],
  },
  {
    name: 'cancel-referral',
    entry: 'functions/handlers/cancel-referral.ts',
    description: 'Cancels a referral the calling partner made, ending its journey',
    ...common,
    tables: [{ table: journeysTable, access: 'readWrite' }],
    stateMachine: ['stop', 'respond'],
    settings: ['partnerRateLimit'],
  },
  {
    name: 'fhir-intake',
    entry: 'functions/handlers/fhir-intake.ts',
    description: 'Accepts, cancels and reads back referrals as FHIR (Booking and Referral Standard messages)',
    ...common,
    tables: [
      { table: journeysTable, access: 'readWrite' },
      { table: idempotencyTable, access: 'readWrite' },
    ],
    // Start a journey; a cancellation stops it and frees the coach's caseload, as cancel-referral does.
    stateMachine: ['start', 'stop', 'respond'],
    settings: ['partnerRateLimit', 'personIndexKey'],
  },
  {
    name: 'openapi',
    entry: 'functions/handlers/openapi.ts',
    description: 'Serves the OpenAPI document and the FHIR CapabilityStatement of the partner API',
    ...common,
    tables: [],
    stateMachine: [],
  },
  {
    name: 'coach-authorizer',
    entry: 'functions/handlers/coach-authorizer.ts',
    description: "Verifies a coach's or team lead's token from the area's identity provider",
    ...common,
    tables: [{ table: journeysTable, access: 'read' }],
    stateMachine: [],
    settings: ['coachIdentity'],
  },
  {
    name: 'coach-tasks',
    entry: 'functions/handlers/coach-tasks.ts',
    description: "Lists a coach's open tasks and shows one with what the coach needs",
    ...common,
    tables: [{ table: journeysTable, access: 'read' }],
    stateMachine: [],
  },
  {
    name: 'complete-task',
    entry: 'functions/handlers/complete-task.ts',
    description: 'Completes a task and moves its journey on',
    ...common,
    tables: [{ table: journeysTable, access: 'readWrite' }],
    stateMachine: ['respond'],
  },
  {
    name: 'caseload-change',
    entry: 'functions/handlers/caseload-change.ts',
    description: 'Withdraws a referral or reassigns it to another coach, keeping caseloads right',
    ...common,
    tables: [{ table: journeysTable, access: 'readWrite' }],
    stateMachine: ['stop', 'respond'],
  },
  {
    name: 'notifier',
    entry: 'functions/handlers/notifier.ts',
    description: 'Sends pending notifications by email, each once, and records failures',
    ...common,
    timeoutSeconds: 60,
    tables: [{ table: journeysTable, access: 'readWrite' }],
    stateMachine: [],
    // The provider key secret makes the keyed links to providers' pages in onward referral e-mails.
    settings: ['mail', 'providerKeySecret'],
  },
  {
    name: 'daily-digest',
    entry: 'functions/handlers/daily-digest.ts',
    description: "Queues each coach's morning digest of tasks due today and overdue",
    ...common,
    timeoutSeconds: 60,
    tables: [{ table: journeysTable, access: 'readWrite' }],
    stateMachine: [],
  },
  {
    name: 'web-self-referral',
    entry: 'functions/handlers/web-self-referral.ts',
    description: 'Serves the self-referral form and sends a completed referral through intake',
    ...common,
    tables: [
      { table: journeysTable, access: 'readWrite' },
      { table: idempotencyTable, access: 'readWrite' },
    ],
    stateMachine: ['start'],
    // The web session key is derived from the provider key secret (functions/web/seal.ts).
    settings: ['publicApiUrl', 'providerKeySecret', 'personIndexKey'],
  },
  {
    name: 'web-coach',
    entry: 'functions/handlers/web-coach.ts',
    description: "Serves the coach workspace: tasks, task forms, referral timelines, waitlist and team",
    ...common,
    tables: [{ table: journeysTable, access: 'readWrite' }],
    // Completing a task sends the journey its answer.
    stateMachine: ['respond'],
    settings: ['publicApiUrl', 'providerKeySecret', 'coachIdentity', 'coachSignIn'],
  },
  {
    name: 'web-provider',
    entry: 'functions/handlers/web-provider.ts',
    description: "Serves a provider's page for an onward referral (from the e-mailed link) and records its answer",
    ...common,
    tables: [{ table: journeysTable, access: 'readWrite' }],
    // An answer completes the journey's wait for the provider, as the webhook route does.
    stateMachine: ['respond'],
    settings: ['publicApiUrl', 'providerKeySecret'],
  },
  {
    name: 'web-assets',
    entry: 'functions/handlers/web-assets.ts',
    description: "Serves GOV.UK Frontend's stylesheet, script, fonts and images for the web pages",
    ...common,
    tables: [],
    stateMachine: [],
    settings: ['publicApiUrl'],
    // functions/web/assets.ts looks for them in govuk-frontend/ beside the bundle.
    bundledFiles: ['govuk-frontend.min.css', 'govuk-frontend.min.js', 'assets'].map((name) => ({
      from: `node_modules/govuk-frontend/dist/govuk/${name}`,
      to: `govuk-frontend/${name}`,
    })),
  },
] as const satisfies readonly FunctionDefinition[];

export type FunctionName = (typeof functionCatalogue)[number]['name'];

export function functionDefinition(name: FunctionName): FunctionDefinition {
  const found = functionCatalogue.find((f) => f.name === name);
  if (!found) throw new Error(`Unknown function ${name}`);
  return found;
}

/**
 * Lambda function name in an area's stack; also the key the local runtime maps ARNs by.
 * Lambda allows 64 characters, so areas with long slugs use their short slug here.
 */
export function lambdaName(areaSlug: string, name: FunctionName | string): string {
  const area = loadArea(areaSlug);
  return `WorkWell-${area.shortSlug ?? area.slug}-${name}`;
}

export interface EnvironmentInputs {
  readonly areaSlug: string;
  /** Physical table names, keyed by table design id. */
  readonly tableNames: Readonly<Record<string, string>>;
  readonly stateMachineArn?: string;
  /** The alias new journeys start through (functions that start executions). */
  readonly stateMachineAliasArn?: string;
  readonly publicApiUrl?: string;
  readonly providerKeySecret?: string;
  /** The person index's key ring secret (Secrets Manager id or ARN), read at run time. */
  readonly personIndexKeySecretId?: string;
  /** Requests a partner may make per minute (default 120). */
  readonly partnerRateLimitPerMinute?: number;
  /** Who issues coaches' tokens (a Cognito user pool in AWS, the local issuer locally). */
  readonly coachIdentity?: { readonly issuer: string; readonly jwksUri: string; readonly audience: string };
  /** How notifications go out: sender address and the link base put in messages. */
  readonly mail?: { readonly from: string; readonly channel: 'ses' | 'notify'; readonly linkBaseUrl: string };
  /**
   * How staff sign in to the coach workspace: `demo` (local only: choose a demo coach) or the
   * identity provider's hosted sign-in page (Cognito hosted UI: its domain and app client id).
   * Optional: without it the workspace says sign-in is not set up.
   */
  readonly coachSignIn?: { readonly mode: 'demo' } | { readonly mode: 'hosted-ui'; readonly domain: string; readonly clientId: string };
}

export type Setting = 'publicApiUrl' | 'providerKeySecret' | 'personIndexKey' | 'partnerRateLimit' | 'coachIdentity' | 'mail' | 'coachSignIn';

/** Environment of a function, built the same way in AWS and locally. */
export function functionEnvironment(
  def: FunctionDefinition,
  inputs: EnvironmentInputs,
): Record<string, string> {
  const env: Record<string, string> = {
    AREA_SLUG: inputs.areaSlug,
    POWERTOOLS_SERVICE_NAME: metricServiceName(def.name),
    // One namespace per area: areas sharing an account never mix their figures.
    POWERTOOLS_METRICS_NAMESPACE: metricNamespace(inputs.areaSlug),
    POWERTOOLS_LOG_LEVEL: 'INFO',
  };
  for (const { table } of def.tables) {
    const physical = inputs.tableNames[table.id];
    if (!physical) throw new Error(`No table name for ${table.id}`);
    env[table.envVar] = physical;
  }
  if (def.stateMachine.length > 0) {
    if (!inputs.stateMachineArn) throw new Error(`${def.name} needs the state machine ARN`);
    env.JOURNEY_STATE_MACHINE_ARN = inputs.stateMachineArn;
  }
  if ((def.stateMachine as readonly StateMachineAccess[]).includes('start')) {
    // Journeys start through the alias, so each runs on the version deployed when it started.
    if (!inputs.stateMachineAliasArn) throw new Error(`${def.name} needs the state machine alias ARN`);
    env.JOURNEY_ALIAS_ARN = inputs.stateMachineAliasArn;
  }
  const settings: Record<Setting, () => Record<string, string | undefined>> = {
    publicApiUrl: () => ({ PUBLIC_API_URL: inputs.publicApiUrl }),
    providerKeySecret: () => ({ PROVIDER_KEY_SECRET: inputs.providerKeySecret }),
    personIndexKey: () => ({ [PERSON_INDEX_SECRET_ENV]: inputs.personIndexKeySecretId }),
    partnerRateLimit: () => ({
      [RATE_LIMIT_ENV]: String(inputs.partnerRateLimitPerMinute ?? DEFAULT_PARTNER_RATE_LIMIT_PER_MINUTE),
    }),
    coachIdentity: () => ({
      COACH_TOKEN_ISSUER: inputs.coachIdentity?.issuer,
      COACH_TOKEN_JWKS_URI: inputs.coachIdentity?.jwksUri,
      COACH_TOKEN_AUDIENCE: inputs.coachIdentity?.audience,
    }),
    mail: () => ({
      MAIL_FROM: inputs.mail?.from,
      MAIL_CHANNEL: inputs.mail?.channel,
      MAIL_LINK_BASE_URL: inputs.mail?.linkBaseUrl,
    }),
    // Optional (see EnvironmentInputs): nothing set means no way to sign in yet.
    coachSignIn: () => {
      const signIn = inputs.coachSignIn;
      if (!signIn) return {};
      return signIn.mode === 'demo'
        ? { COACH_SIGN_IN: 'demo' }
        : { COACH_SIGN_IN: 'hosted-ui', COACH_HOSTED_UI_DOMAIN: signIn.domain, COACH_HOSTED_UI_CLIENT_ID: signIn.clientId };
    },
  };
  for (const setting of def.settings ?? []) {
    for (const [name, value] of Object.entries(settings[setting]())) {
      if (!value) throw new Error(`${def.name} needs ${setting} (${name})`);
      env[name] = value;
    }
  }
  return env;
}
