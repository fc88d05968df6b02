import { CfnElement, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import type { AreaSettings } from '../areas/schema.ts';
import { apiRoutes } from '../functions/api-routes.ts';
import { functionCatalogue, type FunctionName } from '../functions/catalogue.ts';
import { apiStageName } from './api.ts';
import { journeyStateMachineName } from './journey-state-machine.ts';
import { scheduledFunctions, schedules } from './schedules.ts';

/**
 * Every cdk-nag finding (AwsSolutions, HIPAA Security) that an area stack keeps on purpose, with
 * the reason. Findings are acknowledged on the construct they concern (a path in the area
 * stack) and, for IAM5, on the one wildcard they are about; only a rule that holds for every
 * resource of its kind is acknowledged for the whole stack, and says so.
 */
export interface NagAcknowledgement {
  /** Construct path inside the area stack ('' for the stack itself). */
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

/**
 * The only actions allowed on `Resource: *` in the stack's IAM policies: none of them supports
 * resource-level permissions (AWS service authorization reference).
 */
export const resourceWildcardActions: Readonly<Record<string, string>> = {
  'xray:PutTraceSegments': 'X-Ray tracing (Lambda active tracing, state machine tracing)',
  'xray:PutTelemetryRecords': 'X-Ray tracing',
  'xray:GetSamplingRules': 'X-Ray tracing (state machine)',
  'xray:GetSamplingTargets': 'X-Ray tracing (state machine)',
  'logs:CreateLogDelivery': 'Step Functions log delivery to CloudWatch Logs',
  'logs:GetLogDelivery': 'Step Functions log delivery',
  'logs:UpdateLogDelivery': 'Step Functions log delivery',
  'logs:DeleteLogDelivery': 'Step Functions log delivery',
  'logs:ListLogDeliveries': 'Step Functions log delivery',
  'logs:PutResourcePolicy': 'Step Functions log delivery',
  'logs:DescribeResourcePolicies': 'Step Functions log delivery',
  'logs:DescribeLogGroups': 'Step Functions log delivery',
};

/** The only wildcard actions in the stack's IAM policies, each on the area key alone. */
export const wildcardActions: Readonly<Record<string, string>> = {
  'kms:ReEncrypt*': "CDK's grant for a table or queue encrypted with the area key; resource: that key only",
  'kms:GenerateDataKey*': "CDK's grant for a table or queue encrypted with the area key; resource: that key only",
};

const reasons = {
  xray: 'X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) support no resource-level permissions, so IAM needs Resource "*".',
  stateMachineStar:
    'X-Ray tracing and the CloudWatch Logs log-delivery actions Step Functions needs for logging (CreateLogDelivery, PutResourcePolicy, ...) support no resource-level permissions.',
  keyWildcard: (action: string) =>
    `${action} comes from CDK's grant for the area's CMK-encrypted table or queue (DynamoDB and SQS ask for data keys and re-encryption on the caller's behalf); the statement's only resource is the area key.`,
  index: (table: string) =>
    `Queries use the ${table} table's global secondary indexes; /index/* names indexes of this area's own table only, not other tables.`,
  executions:
    "StopExecution acts on executions, whose names (one per referral) are not known in advance; the ARN is limited to executions of this area's journey state machine.",
  invokeVersions: (fn: string) =>
    `CDK grants lambda:InvokeFunction on ${fn} and its versions/aliases (<arn>:*): one function of this area, nothing else.`,
  inlinePolicies:
    "Whole stack, because it holds for every IAM policy here: each is CDK's per-role policy (AWS::IAM::Policy), attached to exactly one role and created and deleted with it; a customer managed policy would add a second lifecycle and nothing else. Each grants only what functions/catalogue.ts declares for that role.",
  lambdaVpc:
    'The functions call only AWS regional APIs over TLS with IAM-signed requests (DynamoDB, Step Functions, SES, KMS) and providers over HTTPS; there is nothing in a VPC to reach. A VPC would add NAT gateways or interface endpoints per area without keeping any data off the public AWS endpoints they already use.',
  lambdaConcurrency:
    "Reserved concurrency would carve the account's Lambda pool into fixed slices (15 areas x 19 functions may share an account) and refuse work below the account limit; load is bounded instead by the WAF rate rule, API Gateway's throttling and the per-partner rate limit, and the Throttles alarms say when the account limit is reached.",
  lambdaDlq: (fn: string) =>
    `${fn} is invoked synchronously only (API Gateway, or a Task state of the journey, which retries and then routes to needs_attention); a Lambda dead-letter queue receives failed asynchronous invocations only, so it would never get a message.`,
  providerSecret:
    "Providers' keys are derived (HMAC) from this secret and handed to each provider out of band; automatic rotation would invalidate every provider's key at once without telling them. Rotation is an operator step in the README runbook that re-issues provider keys.",
  personIndexKey:
    "The person index's HMAC keys: a Secrets Manager rotation would replace the only key and make every index entry unfindable. Rotation is an operator step (ops/person-index.ts rotate, rebuild, retire; README runbook) that keeps the old key until the index is rebuilt under the new one.",
  requestValidation:
    'Each handler validates its body and parameters with the zod schemas in functions/domain and answers 400 problem+json naming the field; API Gateway models would be a second copy of those schemas that could drift.',
  cognitoAuthorizer:
    "Holds for every method: coach routes are authorized by a Lambda REQUEST authorizer that verifies the ID token of this area's Cognito staff pool (it also reads the staff id from it); partner routes use per-partner credentials, which are not Cognito users; public routes are listed under APIG4.",
  apiLoggingRole:
    "AmazonAPIGatewayPushToCloudWatchLogs is the policy AWS documents for API Gateway's account-level logging role, one per account and region (retained, shared by areas in the account).",
  apiCache:
    "Responses are not cached: a cache would hold referral status (health data) outside the tables and could answer one partner with another's; only authorizer answers are cached (5 minutes, per credential).",
  apiClientCertificate:
    'Backend client certificates apply to HTTP integrations; every integration here is a Lambda proxy (invoked through the signed Lambda API) or a mock.',
  publicRoute: {
    openapi: 'The OpenAPI document is public by design: it describes the API and holds no data.',
    'provider-status':
      "Providers authenticate each call with a key derived from the area's provider key secret, checked by the handler (a Lambda authorizer cannot see which onward referral the key is for).",
  } as Partial<Record<FunctionName, string>>,
  page:
    "A web page for people: API Gateway's authorizers cannot run a browser sign-in, so each page checks its own session cookie (functions/web/session.ts), and the pages that start a sign-in or a self-referral are public by design.",
  health: 'GET /health is a mock integration answering {"status":"ok"}: no function, no data.',
};

/** The acknowledgements for one area's stack. */
export function nagAcknowledgements(stack: Stack, area: AreaSettings): NagAcknowledgement[] {
  const acks: NagAcknowledgement[] = [];
  const ack = (path: string, id: string, reason: string) => acks.push({ path, id, reason });
  const logicalId = (path: string) => stack.getLogicalId(defaultChild(find(stack, path)));
  const account = area.aws.account ?? '<AWS::AccountId>';

  ack('', 'HIPAA.Security-IAMNoInlinePolicy', reasons.inlinePolicies);

  // Functions
  ack('Functions', 'HIPAA.Security-LambdaInsideVPC', reasons.lambdaVpc);
  ack('Functions', 'HIPAA.Security-LambdaConcurrency', reasons.lambdaConcurrency);
  for (const def of functionCatalogue) {
    const role = `Functions/${def.name}-role`;
    if (!(scheduledFunctions as readonly string[]).includes(def.name)) {
      ack(`Functions/${def.name}`, 'HIPAA.Security-LambdaDLQ', reasons.lambdaDlq(def.name));
    }
    ack(role, 'AwsSolutions-IAM5[Resource::*]', reasons.xray);
    const encrypts = def.tables.some((t) => t.access === 'readWrite') || (scheduledFunctions as readonly string[]).includes(def.name);
    if (encrypts) {
      for (const action of Object.keys(wildcardActions)) ack(role, `AwsSolutions-IAM5[Action::${action}]`, reasons.keyWildcard(action));
    }
    for (const { table } of def.tables) {
      if (table.indexes.length > 0) {
        ack(role, `AwsSolutions-IAM5[Resource::<${logicalId(`Data/${table.id}`)}.Arn>/index/*]`, reasons.index(table.id));
      }
    }
    if ((def.stateMachine as readonly string[]).includes('stop')) {
      const executions = `arn:<AWS::Partition>:states:${area.aws.region}:${account}:execution:${journeyStateMachineName(area.slug)}:*`;
      ack(role, `AwsSolutions-IAM5[Resource::${executions}]`, reasons.executions);
    }
  }

  // Schedules and the journey: invoking a function includes its versions.
  for (const s of schedules) {
    ack(`${s.id}Role`, `AwsSolutions-IAM5[Resource::<${logicalId(`Functions/${s.function}`)}.Arn>:*]`, reasons.invokeVersions(s.function));
  }
  const journeyRole = 'Journey/StateMachine/Role';
  ack(journeyRole, 'AwsSolutions-IAM5[Resource::*]', reasons.stateMachineStar);
  for (const def of functionCatalogue) {
    const id = logicalId(`Functions/${def.name}`);
    if (invokes(stack, journeyRole, id)) ack(journeyRole, `AwsSolutions-IAM5[Resource::<${id}.Arn>:*]`, reasons.invokeVersions(def.name));
  }

  // API
  ack('Api/Api', 'AwsSolutions-APIG2', reasons.requestValidation);
  ack('Api/Api', 'AwsSolutions-COG4', reasons.cognitoAuthorizer);
  ack('Api/Api/CloudWatchRole', 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]', reasons.apiLoggingRole);
  ack(`Api/Api/DeploymentStage.${apiStageName}`, 'HIPAA.Security-APIGWCacheEnabledAndEncrypted', reasons.apiCache);
  ack(`Api/Api/DeploymentStage.${apiStageName}`, 'HIPAA.Security-APIGWSSLEnabled', reasons.apiClientCertificate);
  for (const route of apiRoutes.filter((r) => r.auth === 'public')) {
    const reason = reasons.publicRoute[route.function] ?? ((route as { readonly page?: boolean }).page ? reasons.page : undefined);
    if (!reason) throw new Error(`Public route ${route.method} ${route.path} has no stated reason in infra/nag-acknowledgements.ts`);
    ack(`Api/Api/Default${route.path}/${route.method}`, 'AwsSolutions-APIG4', reason);
  }
  ack('Api/Api/Default/health/GET', 'AwsSolutions-APIG4', reasons.health);

  // Secrets
  ack('ProviderKeySecret', 'AwsSolutions-SMG4', reasons.providerSecret);
  ack('ProviderKeySecret', 'HIPAA.Security-SecretsManagerRotationEnabled', reasons.providerSecret);
  ack('PersonIndexKeySecret', 'AwsSolutions-SMG4', reasons.personIndexKey);
  ack('PersonIndexKeySecret', 'HIPAA.Security-SecretsManagerRotationEnabled', reasons.personIndexKey);
  return acks;
}

/** Records the acknowledgements on the stack's constructs; a path that no longer exists is an error. */
export function acknowledgeNagFindings(stack: Stack, area: AreaSettings): void {
  for (const { path, id, reason } of nagAcknowledgements(stack, area)) {
    Validations.of(find(stack, path)).acknowledge({ id, reason });
  }
}

function find(stack: Stack, path: string): IConstruct {
  if (path === '') return stack;
  const found = path.split('/').reduce<IConstruct | undefined>((c, id) => c?.node.tryFindChild(id), stack);
  if (!found) throw new Error(`infra/nag-acknowledgements.ts: no construct ${path} in ${stack.stackName}`);
  return found;
}

function defaultChild(c: IConstruct): CfnElement {
  const child = c.node.defaultChild;
  if (!(child instanceof CfnElement)) throw new Error(`${c.node.path} has no CloudFormation resource`);
  return child;
}

/** Whether the role's policy refers to the function (Step Functions grants invoke per Task). */
function invokes(stack: Stack, rolePath: string, functionLogicalId: string): boolean {
  const role = find(stack, rolePath) as iam.Role;
  const policy = role.node.tryFindChild('DefaultPolicy') as iam.Policy | undefined;
  return !!policy && JSON.stringify(stack.resolve(policy.document.toJSON())).includes(`"${functionLogicalId}"`);
}
