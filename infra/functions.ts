import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Tags } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  type EnvironmentInputs,
  functionCatalogue,
  functionEnvironment,
  lambdaName,
  type FunctionDefinition,
  type FunctionName,
} from '../functions/catalogue.ts';
import { journeyAliasName } from './journey-state-machine.ts';
import { encryptedLogGroup } from './logs.ts';

/** Repository root: catalogue entries are relative to it, and it holds the lock file. */
export const repoRoot = fileURLToPath(new URL('..', import.meta.url));

export interface AreaFunctionsProps {
  readonly areaSlug: string;
  readonly key: kms.IKey;
  /** Tables keyed by design id. */
  readonly tables: Readonly<Record<string, dynamodb.ITableV2>>;
  readonly tableNames: Readonly<Record<string, string>>;
  /**
   * The journey state machine, referenced by its name-derived ARN rather than the resource:
   * the state machine's definition refers to some functions, so a direct reference from a
   * function (env var, grant) would make a dependency cycle as soon as a workflow function
   * declares state machine access.
   */
  readonly stateMachine: sfn.IStateMachine;
  /** The API's public base URL (a lazy value: the API is built after the functions). */
  readonly publicApiUrl: string;
  /** The secret that providers' keys derive from. */
  readonly providerKeySecret: string;
  /** The person index's key ring: functions that declare the setting read it at run time. */
  readonly personIndexKeySecret?: secretsmanager.ISecret;
  /** Who issues coaches' tokens: the area's staff user pool (issuer, JWKS, app client id). */
  readonly coachIdentity?: EnvironmentInputs['coachIdentity'];
  /** How staff sign in to the web workspace (the staff pool's hosted sign-in page). */
  readonly coachSignIn?: EnvironmentInputs['coachSignIn'];
  /** How notifications go out (sender, channel, link base): for functions with the 'mail' setting. */
  readonly mail?: EnvironmentInputs['mail'];
  /** Dead-letter queues of the functions invoked asynchronously (infra/schedules.ts). */
  readonly deadLetterQueues?: Readonly<Partial<Record<FunctionName, sqs.IQueue>>>;
}

/** Lambda's limit; checked here so the error names the area, not just a length. */
const maxFunctionNameLength = 64;

/** Bundling shared by every function; see the comments for the choices. */
const bundling: nodejs.BundlingOptions = {
  format: nodejs.OutputFormat.ESM,
  minify: true,
  sourceMap: true,
  // Our own code and dependencies are enough to map a stack trace; keeps the asset small.
  sourcesContent: false,
  target: 'node24',
  // Prefer ESM entry points so esbuild can tree-shake the SDK and Powertools.
  mainFields: ['module', 'main'],
  // CommonJS dependencies bundled into ESM still call require() for Node built-ins.
  banner:
    "import { createRequire as __workwellCreateRequire } from 'node:module'; const require = __workwellCreateRequire(import.meta.url);",
  // Bundle everything, the AWS SDK included: the function then runs the exact SDK version the
  // tests and the local runtime ran, not whatever version the Lambda runtime ships that day.
  externalModules: [],
};

/** The shared bundling, plus a copy of the files the catalogue entry reads at run time. */
function withBundledFiles(def: FunctionDefinition): nodejs.BundlingOptions {
  const files = 'bundledFiles' in def ? (def.bundledFiles ?? []) : [];
  if (files.length === 0) return bundling;
  return {
    ...bundling,
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      afterBundling: (inputDir: string, outputDir: string) =>
        files.map(
          ({ from, to }) =>
            `mkdir -p "${path.posix.dirname(`${outputDir}/${to}`)}" && cp -R "${inputDir}/${from}" "${outputDir}/${to}"`,
        ),
    },
  };
}

/** One NodejsFunction per catalogue entry, with its log group, tag and declared grants. */
/**
 * The DynamoDB actions a function's declared access allows. Transactions are authorised per item
 * (PutItem, UpdateItem, DeleteItem, ConditionCheckItem); Scan is for the operators' commands only
 * (management information, subject access), which run with the operator's own credentials.
 */
export const tableActions = {
  read: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem'],
  readWrite: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
} as const satisfies Record<'read' | 'readWrite', readonly string[]>;

/** What each access needs of the area key the table is encrypted with (as CDK's own grants). */
const tableKeyActions = {
  read: ['kms:Decrypt', 'kms:DescribeKey'],
  readWrite: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'],
} as const satisfies Record<'read' | 'readWrite', readonly string[]>;

export class AreaFunctions extends Construct {
  readonly functions: Readonly<Record<FunctionName, nodejs.NodejsFunction>>;

  constructor(scope: Construct, id: string, props: AreaFunctionsProps) {
    super(scope, id);
    const built = {} as Record<FunctionName, nodejs.NodejsFunction>;
    for (const def of functionCatalogue) {
      built[def.name] = this.createFunction(def, props);
    }
    this.functions = built;
  }

  private createFunction(def: FunctionDefinition, props: AreaFunctionsProps): nodejs.NodejsFunction {
    const functionName = lambdaName(props.areaSlug, def.name);
    if (functionName.length > maxFunctionNameLength) {
      throw new Error(
        `Lambda function name "${functionName}" (area ${props.areaSlug}) is ${functionName.length} characters; ` +
          `AWS allows ${maxFunctionNameLength}. lambdaName() in functions/catalogue.ts must give a shorter name.`,
      );
    }
    const aliasArn = `${props.stateMachine.stateMachineArn}:${journeyAliasName}`;
    const logGroup = encryptedLogGroup(this, `${def.name}-logs`, {
      logGroupName: `/aws/lambda/${functionName}`,
      key: props.key,
    });
    const environment = {
      ...functionEnvironment(def, {
        areaSlug: props.areaSlug,
        tableNames: props.tableNames,
        ...(def.stateMachine.length > 0 ? { stateMachineArn: props.stateMachine.stateMachineArn } : {}),
        ...((def.stateMachine as readonly string[]).includes('start') ? { stateMachineAliasArn: aliasArn } : {}),
        publicApiUrl: props.publicApiUrl,
        providerKeySecret: props.providerKeySecret,
        ...(props.personIndexKeySecret ? { personIndexKeySecretId: props.personIndexKeySecret.secretArn } : {}),
        ...(props.coachIdentity ? { coachIdentity: props.coachIdentity } : {}),
        ...(props.coachSignIn ? { coachSignIn: props.coachSignIn } : {}),
        ...(props.mail ? { mail: props.mail } : {}),
      }),
      // Lambda only applies the bundle's source maps to stack traces when asked.
      NODE_OPTIONS: '--enable-source-maps',
    };
    // Our own role instead of CDK's default, which carries the AWS managed
    // AWSLambdaBasicExecutionRole (logs on every log group): this one writes its own log group.
    const role = new iam.Role(this, `${def.name}-role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `${functionName}: its own log group, then what functions/catalogue.ts declares`,
    });
    role.addToPolicy(
      new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }),
    );
    const deadLetterQueue = props.deadLetterQueues?.[def.name as FunctionName];
    const fn = new nodejs.NodejsFunction(this, def.name, {
      role,
      functionName,
      description: def.description,
      entry: path.join(repoRoot, def.entry),
      handler: 'handler',
      projectRoot: repoRoot,
      depsLockFilePath: path.join(repoRoot, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: def.memoryMb,
      timeout: Duration.seconds(def.timeoutSeconds),
      environment,
      // Under the area key, not Lambda's default key: the provider key secret travels here.
      environmentEncryption: props.key,
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      bundling: withBundledFiles(def),
      // Versions behind the journey's aliases are kept, so an alias can go back to the code before.
      currentVersionOptions: { removalPolicy: RemovalPolicy.RETAIN },
      ...(deadLetterQueue ? { deadLetterQueue } : {}),
    });
    Tags.of(fn).add('workwell:function', def.name);
    Tags.of(logGroup).add('workwell:function', def.name);

    for (const { table, access } of def.tables) {
      const resource = props.tables[table.id];
      if (!resource) throw new Error(`${def.name} declares table ${table.id}, which the area does not have`);
      // Item actions only (and the table's indexes): not CDK's read/write sets, which add Scan and
      // batch writes that no function makes.
      resource.grant(fn, ...tableActions[access]);
      // Every table is encrypted with the area key (infra/data.ts).
      props.key.grant(fn, ...tableKeyActions[access]);
    }
    if ((def.settings as readonly string[] | undefined)?.includes('personIndexKey')) {
      if (!props.personIndexKeySecret) throw new Error(`${def.name} needs the person index key secret`);
      // Read only: rotating the key is an operator's job (ops/person-index.ts).
      props.personIndexKeySecret.grantRead(fn);
    }
    for (const access of def.stateMachine) {
      // Journeys start only through the alias (functions/shared/journey-start.ts).
      if (access === 'start') fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [aliasArn] }));
      else if (access === 'read') props.stateMachine.grantRead(fn);
      else if (access === 'respond') props.stateMachine.grantTaskResponse(fn);
      // Stopping acts on the area's journey executions, not on the state machine itself.
      else props.stateMachine.grantExecution(fn, 'states:StopExecution');
    }
    return fn;
  }
}
