import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiRoutes } from '../../functions/api-routes.ts';
import { functionCatalogue } from '../../functions/catalogue.ts';
import { synthAreaTemplate } from '../../infra/build-app.ts';

const slug = 'south-yorkshire';
let template: Template;
let json: Record<string, any>;

beforeAll(() => {
  json = synthAreaTemplate(slug);
  template = Template.fromJSON(json);
}, 60_000);

const keyLogicalId = () => Object.keys(template.findResources('AWS::KMS::Key'))[0]!;

function tableByName(name: string): Record<string, any> {
  const found = Object.values(template.findResources('AWS::DynamoDB::GlobalTable', { Properties: { TableName: name } }));
  expect(found).toHaveLength(1);
  return found[0]!;
}

function functionLogicalId(name: string): string {
  const ids = Object.keys(
    template.findResources('AWS::Lambda::Function', { Properties: { FunctionName: `WorkWell-${slug}-${name}` } }),
  );
  expect(ids).toHaveLength(1);
  return ids[0]!;
}

describe(`area stack (${slug})`, () => {
  it('has one customer-managed KMS key with rotation, retained', () => {
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResource('AWS::KMS::Key', {
      Properties: { EnableKeyRotation: true },
      DeletionPolicy: 'Retain',
    });
  });

  it('builds the Journeys table from its design', () => {
    const table = tableByName(`workwell-${slug}-journeys`);
    expect(table.DeletionPolicy).toBe('Retain');
    const p = table.Properties;
    expect(p.BillingMode).toBe('PAY_PER_REQUEST');
    expect(p.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(p.AttributeDefinitions).toEqual(
      expect.arrayContaining([
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
        { AttributeName: 'gsi1pk', AttributeType: 'S' },
        { AttributeName: 'gsi1sk', AttributeType: 'S' },
      ]),
    );
    expect(p.GlobalSecondaryIndexes).toEqual([
      expect.objectContaining({
        IndexName: 'gsi1',
        KeySchema: [
          { AttributeName: 'gsi1pk', KeyType: 'HASH' },
          { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
        ],
      }),
    ]);
    expect(p.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect(p.SSESpecification).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
    expect(p.Replicas).toEqual([
      expect.objectContaining({
        Region: 'eu-west-2',
        DeletionProtectionEnabled: true,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { KMSMasterKeyId: { 'Fn::GetAtt': [keyLogicalId(), 'Arn'] } },
      }),
    ]);
  });

  it('builds the Idempotency table with Powertools defaults (id, ttl expiration)', () => {
    const p = tableByName(`workwell-${slug}-idempotency`).Properties;
    expect(p.KeySchema).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
    expect(p.AttributeDefinitions).toEqual([{ AttributeName: 'id', AttributeType: 'S' }]);
    expect(p.TimeToLiveSpecification).toEqual({ AttributeName: 'expiration', Enabled: true });
    expect(p.Replicas[0].DeletionProtectionEnabled).toBe(true);
    expect(p.Replicas[0].PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
  });

  it('has a Standard state machine, logging ALL without execution data, traced', () => {
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: `WorkWell-${slug}-journey`,
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: false,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: Match.anyValue() } }],
      },
    });
  });

  it('encrypts every log group with the area key and sets a retention', () => {
    const groups = Object.values(template.findResources('AWS::Logs::LogGroup'));
    // One per function, the state machine's, the API's access and execution logs, and WAF's.
    expect(groups).toHaveLength(functionCatalogue.length + 4);
    for (const group of groups) {
      expect(group.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [keyLogicalId(), 'Arn'] });
      expect(group.Properties.RetentionInDays).toBeGreaterThan(0);
    }
  });

  it('names functions WorkWell-<slug>-<name>', () => {
    for (const def of functionCatalogue) functionLogicalId(def.name);
  });

  it('configures each function as the catalogue says', () => {
    for (const def of functionCatalogue) {
      const fn = template.findResources('AWS::Lambda::Function')[functionLogicalId(def.name)]!;
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: def.memoryMb,
        Timeout: def.timeoutSeconds,
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogGroup: { Ref: expect.any(String) } },
      });
      expect(fn.Properties.Tags).toEqual(expect.arrayContaining([{ Key: 'workwell:function', Value: def.name }]));
      const env = fn.Properties.Environment.Variables;
      expect(env.AREA_SLUG).toBe(slug);
      for (const { table } of def.tables) expect(env[table.envVar]).toBe(`workwell-${slug}-${table.id.toLowerCase()}`);
      expect('JOURNEY_STATE_MACHINE_ARN' in env).toBe(def.stateMachine.length > 0);
    }
  });

  it('grants state machine access only where declared', () => {
    const policies = template.findResources('AWS::IAM::Policy');
    const actionsOf = (name: string): string[] => {
      const fnRole = template.findResources('AWS::Lambda::Function')[functionLogicalId(name)]!.Properties.Role['Fn::GetAtt'][0];
      const policy = Object.values(policies).find((p) => p.Properties.Roles.some((r: any) => r.Ref === fnRole));
      return (policy?.Properties.PolicyDocument.Statement ?? []).flatMap((s: any) => [s.Action].flat());
    };
    for (const def of functionCatalogue) {
      const actions = actionsOf(def.name);
      expect(actions.includes('states:StartExecution')).toBe((def.stateMachine as readonly string[]).includes('start'));
      expect(actions.includes('states:SendTaskSuccess')).toBe((def.stateMachine as readonly string[]).includes('respond'));
      const writes = def.tables.some((t) => t.access === 'readWrite');
      expect(actions.includes('dynamodb:PutItem')).toBe(writes);
      expect(actions.includes('dynamodb:GetItem')).toBe(def.tables.length > 0);
    }
  });

  describe('API', () => {
    const resources = () => template.findResources('AWS::ApiGateway::Resource');
    const apiId = () => Object.keys(template.findResources('AWS::ApiGateway::RestApi'))[0]!;

    function pathOf(resourceId: any): string {
      if (resourceId?.['Fn::GetAtt']?.[0] === apiId() && resourceId['Fn::GetAtt'][1] === 'RootResourceId') return '';
      const resource = resources()[resourceId.Ref]!;
      return `${pathOf(resource.Properties.ParentId)}/${resource.Properties.PathPart}`;
    }

    const methods = () =>
      Object.values(template.findResources('AWS::ApiGateway::Method')).map((m) => ({
        method: m.Properties.HttpMethod as string,
        path: pathOf(m.Properties.ResourceId),
        integration: m.Properties.Integration,
      }));

    it('is a regional REST API with a traced, access-logged `live` stage', () => {
      template.hasResourceProperties('AWS::ApiGateway::RestApi', {
        Name: `WorkWell-${slug}-api`,
        EndpointConfiguration: { Types: ['REGIONAL'] },
      });
      template.hasResourceProperties('AWS::ApiGateway::Stage', {
        StageName: 'live',
        TracingEnabled: true,
        AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.anyValue() },
      });
    });

    it('has a Lambda proxy method for each route', () => {
      for (const route of apiRoutes) {
        const found = methods().filter((m) => m.method === route.method && m.path === route.path);
        expect(found, `${route.method} ${route.path}`).toHaveLength(1);
        expect(found[0]!.integration.Type).toBe('AWS_PROXY');
        expect(JSON.stringify(found[0]!.integration.Uri)).toContain(functionLogicalId(route.function));
      }
    });

    it('answers GET /health from a mock integration, and has nothing else', () => {
      const health = methods().filter((m) => m.path === '/health');
      expect(health).toHaveLength(1);
      expect(health[0]!.method).toBe('GET');
      expect(health[0]!.integration.Type).toBe('MOCK');
      expect(health[0]!.integration.IntegrationResponses[0].ResponseTemplates['application/json']).toBe('{"status":"ok"}');
      expect(methods()).toHaveLength(apiRoutes.length + 1);
      expect(methods().some((m) => m.method === 'OPTIONS')).toBe(false); // CORS off
    });
  });

  it('outputs the API URL, state machine ARN and table names', () => {
    expect(Object.keys(json.Outputs)).toEqual(
      expect.arrayContaining(['ApiUrl', 'StateMachineArn', 'JourneysTableName', 'IdempotencyTableName']),
    );
  });
});

describe('web pages in AWS', () => {
  const template = Template.fromJSON(synthAreaTemplate('south-yorkshire'));

  it("signs staff in on the staff pool's hosted page, back to the workspace, with the coach API's audience", () => {
    template.resourceCountIs('AWS::Cognito::UserPoolDomain', 1);
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: 'workwell-south-yorkshire' });
    const clients = Object.values(template.findResources('AWS::Cognito::UserPoolClient'));
    expect(clients).toHaveLength(1);
    const client = clients[0]!.Properties;
    expect(client.AllowedOAuthFlows).toEqual(['code']);
    expect(client.AllowedOAuthScopes).toEqual(['openid']);
    expect(JSON.stringify(client.CallbackURLs)).toContain('/live/coach/signed-in');
    // Sign-out goes through the hosted UI's /logout, which returns only to a registered address.
    expect(client.LogoutURLs).toHaveLength(1);
    expect(JSON.stringify(client.LogoutURLs)).toContain('/live/coach/signed-out');
    const web = Object.values(template.findResources('AWS::Lambda::Function')).find((f) =>
      String(f.Properties.FunctionName).endsWith('-web-coach'),
    )!;
    const env = web.Properties.Environment.Variables;
    expect(env.COACH_SIGN_IN).toBe('hosted-ui');
    expect(env.COACH_HOSTED_UI_CLIENT_ID).toEqual(env.COACH_TOKEN_AUDIENCE);
    expect(JSON.stringify(env.COACH_HOSTED_UI_DOMAIN)).toContain('amazoncognito.com');
  });

  it('lets API Gateway return fonts and images as bytes to browsers', () => {
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { BinaryMediaTypes: ['*/*'] });
  });
});
