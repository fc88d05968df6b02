import { ArnFormat, Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import type { AreaSettings } from '../areas/schema.ts';
import { encryptedLogGroup } from './logs.ts';

/** WAF only logs to log groups whose names start with `aws-waf-logs-`. */
export function wafLogGroupName(areaSlug: string): string {
  return `aws-waf-logs-workwell-${areaSlug}`;
}

export interface ApiFirewallProps {
  readonly area: AreaSettings;
  readonly key: kms.IKey;
  readonly stage: apigw.Stage;
}

const visibility = (metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
  cloudWatchMetricsEnabled: true,
  metricName,
  // Sampled requests would show request headers and paths in the console outside our key.
  sampledRequestsEnabled: false,
});

/**
 * AWS WAF in front of the API stage: a rate limit per client address (operations.
 * wafRequestsPer5MinutesPerIp), AWS's IP reputation list, common rule set and known bad
 * inputs. Logs go to a log group under the area key, the Authorization and Cookie headers redacted.
 */
export class ApiFirewall extends Construct {
  readonly webAcl: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: ApiFirewallProps) {
    super(scope, id);
    const slug = props.area.slug;
    const managed = (
      priority: number,
      name: string,
      ruleActionOverrides?: wafv2.CfnWebACL.RuleActionOverrideProperty[],
    ): wafv2.CfnWebACL.RuleProperty => ({
      name,
      priority,
      statement: {
        managedRuleGroupStatement: { vendorName: 'AWS', name, ...(ruleActionOverrides ? { ruleActionOverrides } : {}) },
      },
      overrideAction: { none: {} },
      visibilityConfig: visibility(name),
    });

    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      name: `WorkWell-${slug}-api`,
      description: `WorkWell ${slug}: rate limit and AWS managed rules for the API`,
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility(`WorkWell-${slug}-api`),
      rules: [
        {
          name: 'RateLimitPerClientAddress',
          priority: 0,
          statement: {
            rateBasedStatement: {
              limit: props.area.operations.wafRequestsPer5MinutesPerIp,
              evaluationWindowSec: 300,
              aggregateKeyType: 'IP',
            },
          },
          action: { block: {} },
          visibilityConfig: visibility('RateLimitPerClientAddress'),
        },
        managed(1, 'AWSManagedRulesAmazonIpReputationList'),
        // FHIR intake takes bundles well over the common rule set's 8 KB body limit, so that one
        // rule only counts; the handlers cap and validate bodies themselves.
        managed(2, 'AWSManagedRulesCommonRuleSet', [{ name: 'SizeRestrictions_BODY', actionToUse: { count: {} } }]),
        managed(3, 'AWSManagedRulesKnownBadInputsRuleSet'),
      ],
    });

    new wafv2.CfnWebACLAssociation(this, 'ApiStageAssociation', {
      resourceArn: props.stage.stageArn,
      webAclArn: this.webAcl.attrArn,
    });

    const logGroupName = wafLogGroupName(slug);
    const logs = encryptedLogGroup(this, 'Logs', { logGroupName, key: props.key });
    const logging = new wafv2.CfnLoggingConfiguration(this, 'Logging', {
      resourceArn: this.webAcl.attrArn,
      // WAF wants the log group's ARN without the `:*` that CloudFormation's Arn attribute ends with.
      logDestinationConfigs: [
        Stack.of(this).formatArn({ service: 'logs', resource: 'log-group', resourceName: logGroupName, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
      ],
      // Credentials never reach the logs: partners' and coaches' tokens, and the web pages'
      // session cookies (a coach's sign-in, or a person's sealed self-referral answers).
      redactedFields: [{ singleHeader: { Name: 'authorization' } }, { singleHeader: { Name: 'cookie' } }],
    });
    logging.node.addDependency(logs);
  }
}
