import { beforeAll, describe, expect, it } from 'vitest';
import { areaSlugs, loadArea } from '../../areas/index.ts';
import { nagPacks } from '../../infra/build-app.ts';
import { resourceWildcardActions, wildcardActions } from '../../infra/nag-acknowledgements.ts';
import { wafLogGroupName } from '../../infra/waf.ts';
import { asList, asText, buildAllAreas, policyStatements, resourcesOfType, type AreaBuild } from './support/area-builds.ts';

/** The security baseline of every area's stack (issue 7): one build and synth per area. */
let builds: AreaBuild[];
beforeAll(() => {
  builds = buildAllAreas();
}, 180_000);

const keyArnOf = (b: AreaBuild) => {
  const keys = resourcesOfType(b.template, 'AWS::KMS::Key');
  expect(keys, b.slug).toHaveLength(1);
  return { 'Fn::GetAtt': [keys[0]![0], 'Arn'] };
};

/** How the area's own names look in ARNs: WorkWell-<slug>-..., workwell-<slug>-..., aws-waf-logs-workwell-<slug>. */
const namePattern = (slug: string) => new RegExp(`workwell-${slug}(?![a-z0-9])`, 'i');
const areaNames = (b: AreaBuild) => [b.slug, b.area.shortSlug].filter((s): s is string => !!s).map(namePattern);

describe('security baseline, all 15 areas', () => {
  it('cdk-nag AwsSolutions and HIPAA Security leave no finding unacknowledged', () => {
    expect(builds).toHaveLength(15);
    for (const b of builds) {
      for (const pack of nagPacks()) {
        const report = pack.validateScope(b.stack);
        const findings = report.violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
        expect(findings, `${b.slug}: ${pack.name}`).toEqual([]);
      }
    }
  });

  it("isolation: every policy resource is the area's own, AWS-managed or an acknowledged *, and no other area is named", () => {
    // A slug that began another would make the name check below ambiguous.
    for (const a of areaSlugs) for (const b of areaSlugs) if (a !== b) expect(b.startsWith(`${a}-`), `${a} / ${b}`).toBe(false);
    for (const b of builds) {
      const whole = JSON.stringify(b.template);
      expect(whole).not.toContain('Fn::ImportValue');
      for (const other of areaSlugs.filter((s) => s !== b.slug)) {
        const otherNames = [other, loadArea(other).shortSlug].filter((s): s is string => !!s && s !== b.area.shortSlug && s !== b.slug);
        for (const name of otherNames) expect(namePattern(name).test(whole), `${b.slug} names ${name}`).toBe(false);
      }
      for (const { holder, statement } of policyStatements(b.template)) {
        for (const resource of asList(statement.Resource)) {
          const text = asText(resource, b.template);
          expect(text, `${b.slug} ${holder}`).not.toMatch(/<foreign:|<unresolved:/);
          const own =
            text === '*' ||
            text.includes('<own:') ||
            /^arn:<AWS::Partition>:iam::aws:policy\//.test(text) ||
            areaNames(b).some((p) => p.test(text));
          expect(own, `${b.slug} ${holder}: ${text}`).toBe(true);
        }
      }
      // The only managed policy is AWS's own for API Gateway's account logging role (acknowledged).
      const managed = resourcesOfType(b.template, 'AWS::IAM::Role').flatMap(([, r]) => asList(r.Properties.ManagedPolicyArns));
      expect(managed.map((m) => asText(m, b.template))).toEqual([
        'arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs',
      ]);
    }
  });

  it('least privilege: wildcard actions and Resource "*" only where acknowledged', () => {
    let seenStarResource = 0;
    for (const b of builds) {
      const iamHolders = new Set(
        Object.entries<any>(b.template.Resources)
          .filter(([, r]) => ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::Role'].includes(r.Type))
          .map(([id]) => id),
      );
      for (const { holder, statement } of policyStatements(b.template)) {
        if (!iamHolders.has(holder) || statement.Effect !== 'Allow') continue;
        const actions = asList<string>(statement.Action);
        // Functions read and write items; scans and batch writes are for operators only.
        for (const action of ['dynamodb:Scan', 'dynamodb:BatchWriteItem', 'dynamodb:DescribeTable']) expect(actions, `${b.slug} ${holder}`).not.toContain(action);
        for (const action of actions.filter((a) => a.includes('*'))) {
          expect(action, `${b.slug} ${holder}`).not.toMatch(/^\*$|:\*$/);
          expect(Object.keys(wildcardActions), `${b.slug} ${holder}: ${action}`).toContain(action);
        }
        if (asList(statement.Resource).includes('*')) {
          seenStarResource++;
          for (const action of actions) expect(Object.keys(resourceWildcardActions), `${b.slug} ${holder}: ${action} on *`).toContain(action);
        }
      }
      // Key policy: only the account (so IAM policies govern the key) holds kms:*.
      for (const [, key] of resourcesOfType(b.template, 'AWS::KMS::Key')) {
        for (const s of key.Properties.KeyPolicy.Statement) {
          if (asList(s.Action).includes('kms:*')) expect(asText(s.Principal.AWS, b.template)).toMatch(/^arn:<AWS::Partition>:iam::<AWS::AccountId>:root$/);
        }
      }
    }
    expect(seenStarResource).toBeGreaterThan(0); // the check above ran on something
  });

  it('encrypts tables, log groups, queues, the topic and the secret with the area key', () => {
    for (const b of builds) {
      const key = keyArnOf(b);
      const tables = resourcesOfType(b.template, 'AWS::DynamoDB::GlobalTable');
      expect(tables.length, b.slug).toBeGreaterThan(0);
      for (const [id, t] of tables) {
        expect(t.Properties.SSESpecification, `${b.slug} ${id}`).toEqual({ SSEEnabled: true, SSEType: 'KMS' });
        for (const replica of t.Properties.Replicas) expect(replica.SSESpecification.KMSMasterKeyId).toEqual(key);
      }
      const logGroups = resourcesOfType(b.template, 'AWS::Logs::LogGroup');
      for (const [id, g] of logGroups) expect(g.Properties.KmsKeyId, `${b.slug} ${id}`).toEqual(key);
      const queues = resourcesOfType(b.template, 'AWS::SQS::Queue');
      expect(queues.length, b.slug).toBeGreaterThan(0);
      for (const [id, q] of queues) expect(q.Properties.KmsMasterKeyId, `${b.slug} ${id}`).toEqual(key);
      const topics = resourcesOfType(b.template, 'AWS::SNS::Topic');
      expect(topics.length, b.slug).toBe(1);
      for (const [id, t] of topics) expect(t.Properties.KmsMasterKeyId, `${b.slug} ${id}`).toEqual(key);
      for (const [id, s] of resourcesOfType(b.template, 'AWS::SecretsManager::Secret')) expect(s.Properties.KmsKeyId, `${b.slug} ${id}`).toEqual(key);
      // Functions' environments (the provider key secret travels there) too.
      const functions = resourcesOfType(b.template, 'AWS::Lambda::Function').filter(([, f]) => f.Properties.Environment);
      expect(functions.length, b.slug).toBeGreaterThan(0);
      for (const [id, f] of functions) expect(f.Properties.KmsKeyArn, `${b.slug} ${id}`).toEqual(key);
      const [, keyResource] = resourcesOfType(b.template, 'AWS::KMS::Key')[0]!;
      expect(keyResource.Properties.EnableKeyRotation).toBe(true);
      // CloudWatch Logs may use the key for exactly this stack's log groups.
      const logsStatement = keyResource.Properties.KeyPolicy.Statement.find((s: any) => /^logs\./.test(s.Principal?.Service));
      const allowed = asList(logsStatement.Condition.ArnLike['kms:EncryptionContext:aws:logs:arn']).map((a) => asText(a, b.template));
      const names = logGroups.map(([, g]) => asText(g.Properties.LogGroupName, b.template));
      expect(allowed.map((a) => a.replace(/^arn:<AWS::Partition>:logs:[a-z0-9-]+:(<AWS::AccountId>|\d{12}):log-group:/, '')).sort(), b.slug).toEqual(names.sort());
    }
  });

  it('has no circular references (CloudFormation would refuse the stack)', () => {
    for (const b of builds) {
      const deps = new Map<string, Set<string>>();
      const collect = (v: unknown, out: Set<string>): void => {
        if (Array.isArray(v)) v.forEach((x) => collect(x, out));
        else if (v && typeof v === 'object') {
          const o = v as Record<string, any>;
          if (typeof o.Ref === 'string' && o.Ref in b.template.Resources) out.add(o.Ref);
          if (Array.isArray(o['Fn::GetAtt']) && o['Fn::GetAtt'][0] in b.template.Resources) out.add(o['Fn::GetAtt'][0]);
          Object.values(o).forEach((x) => collect(x, out));
        }
      };
      for (const [id, r] of Object.entries<any>(b.template.Resources)) {
        const out = new Set<string>(asList<string>(r.DependsOn));
        collect(r.Properties, out);
        deps.set(id, out);
      }
      const done = new Set<string>();
      const visiting: string[] = [];
      const visit = (id: string): void => {
        if (done.has(id)) return;
        expect(visiting.includes(id), `${b.slug}: ${[...visiting.slice(visiting.indexOf(id)), id].join(' -> ')}`).toBe(false);
        visiting.push(id);
        for (const d of deps.get(id) ?? []) visit(d);
        visiting.pop();
        done.add(id);
      };
      for (const id of deps.keys()) visit(id);
      expect(done.size).toBe(deps.size);
    }
  });

  it('queues and the topic refuse requests without TLS', () => {
    for (const b of builds) {
      const tlsDenied = (type: string, targets: string) =>
        resourcesOfType(b.template, type).flatMap(([, p]) =>
          p.Properties.PolicyDocument.Statement.filter(
            (s: any) => s.Effect === 'Deny' && s.Condition?.Bool?.['aws:SecureTransport'] === 'false',
          ).map(() => asList(p.Properties[targets]).map((t) => asText(t, b.template))),
        ).flat();
      const queues = resourcesOfType(b.template, 'AWS::SQS::Queue').map(([id]) => `<own:${id}>`);
      expect(tlsDenied('AWS::SQS::QueuePolicy', 'Queues').sort(), b.slug).toEqual(queues.sort());
      const topics = resourcesOfType(b.template, 'AWS::SNS::Topic').map(([id]) => `<own:${id}>`);
      expect(tlsDenied('AWS::SNS::TopicPolicy', 'Topics'), b.slug).toEqual(topics);
    }
  });

  it('keeps tables: point-in-time recovery, deletion protection, retained on stack deletion', () => {
    for (const b of builds) {
      for (const [id, t] of resourcesOfType(b.template, 'AWS::DynamoDB::GlobalTable')) {
        expect(t.DeletionPolicy, `${b.slug} ${id}`).toBe('Retain');
        for (const replica of t.Properties.Replicas) {
          expect(replica.PointInTimeRecoverySpecification, `${b.slug} ${id}`).toEqual({ PointInTimeRecoveryEnabled: true });
          expect(replica.DeletionProtectionEnabled, `${b.slug} ${id}`).toBe(true);
        }
      }
    }
  });

  it('logs every journey transition without execution data, traced', () => {
    for (const b of builds) {
      const machines = resourcesOfType(b.template, 'AWS::StepFunctions::StateMachine');
      expect(machines, b.slug).toHaveLength(1);
      const p = machines[0]![1].Properties;
      expect(p.LoggingConfiguration.Level, b.slug).toBe('ALL');
      expect(p.LoggingConfiguration.IncludeExecutionData, b.slug).toBe(false);
      expect(p.TracingConfiguration, b.slug).toEqual({ Enabled: true });
    }
  });

  it("puts the area's WAF web ACL in front of its API stage, with its rate limit and logs without credentials", () => {
    for (const b of builds) {
      const [aclId, acl] = resourcesOfType(b.template, 'AWS::WAFv2::WebACL')[0]!;
      expect(acl.Properties.Scope).toBe('REGIONAL');
      const rate = acl.Properties.Rules.find((r: any) => r.Statement.RateBasedStatement);
      expect(rate.Statement.RateBasedStatement, b.slug).toMatchObject({
        Limit: b.area.operations.wafRequestsPer5MinutesPerIp,
        AggregateKeyType: 'IP',
      });
      expect(rate.Action).toEqual({ Block: {} });
      const managed = acl.Properties.Rules.map((r: any) => r.Statement.ManagedRuleGroupStatement).filter(Boolean);
      expect(managed.map((m: any) => m.Name)).toEqual(
        expect.arrayContaining(['AWSManagedRulesCommonRuleSet', 'AWSManagedRulesKnownBadInputsRuleSet']),
      );
      const common = managed.find((m: any) => m.Name === 'AWSManagedRulesCommonRuleSet');
      expect(common.RuleActionOverrides).toEqual([{ Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } }]);

      const associations = resourcesOfType(b.template, 'AWS::WAFv2::WebACLAssociation');
      expect(associations, b.slug).toHaveLength(1);
      const assoc = associations[0]![1].Properties;
      expect(assoc.WebACLArn).toEqual({ 'Fn::GetAtt': [aclId, 'Arn'] });
      const [apiId] = resourcesOfType(b.template, 'AWS::ApiGateway::RestApi')[0]!;
      const [stageId] = resourcesOfType(b.template, 'AWS::ApiGateway::Stage')[0]!;
      expect(asText(assoc.ResourceArn, b.template)).toBe(
        `arn:<AWS::Partition>:apigateway:${b.area.aws.region}::/restapis/<own:${apiId}>/stages/<own:${stageId}>`,
      );

      const logging = resourcesOfType(b.template, 'AWS::WAFv2::LoggingConfiguration')[0]![1].Properties;
      expect(logging.ResourceArn).toEqual({ 'Fn::GetAtt': [aclId, 'Arn'] });
      expect(logging.RedactedFields).toEqual([{ SingleHeader: { Name: 'authorization' } }, { SingleHeader: { Name: 'cookie' } }]);
      // The API's access log leaves out the caller's address (personal data); WAF logs keep it.
      const [, stage] = resourcesOfType(b.template, 'AWS::ApiGateway::Stage')[0]!;
      expect(stage.Properties.AccessLogSetting.Format).not.toContain('sourceIp');
      expect(asText(logging.LogDestinationConfigs[0], b.template)).toMatch(new RegExp(`:log-group:${wafLogGroupName(b.slug)}$`));
      const wafLogs = resourcesOfType(b.template, 'AWS::Logs::LogGroup').filter(([, g]) => g.Properties.LogGroupName === wafLogGroupName(b.slug));
      expect(wafLogs, b.slug).toHaveLength(1);
    }
  });
});
