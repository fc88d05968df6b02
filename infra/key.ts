import { ArnFormat, Duration, Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';

/** Log groups each key may encrypt: encryptedLogGroup (infra/logs.ts) registers them. */
const logGroupsOfKey = new WeakMap<kms.IKey, string[]>();

/** Lets CloudWatch Logs use the area key for this one log group of the area's stack. */
export function allowLogGroup(key: kms.IKey, logGroupName: string): void {
  const names = logGroupsOfKey.get(key);
  if (!names) throw new Error('allowLogGroup: the key was not made by createAreaKey');
  names.push(logGroupName);
}

/**
 * The area's customer-managed key: encrypts its tables, queues, topic, secret and every log
 * group in its stack.
 * Retained on stack deletion, or the retained tables and logs could never be read again.
 */
export function createAreaKey(scope: Construct, areaSlug: string): kms.Key {
  const stack = Stack.of(scope);
  const key = new kms.Key(scope, 'AreaKey', {
    alias: `alias/workwell-${areaSlug}`,
    description: `WorkWell ${areaSlug}: tables, logs, queues, topics`,
    enableKeyRotation: true,
    pendingWindow: Duration.days(30),
    removalPolicy: RemovalPolicy.RETAIN,
  });
  // CloudWatch Logs encrypts with the key itself, so the key policy must let the regional logs
  // service use it, limited to this area's own log groups (no other area's could use the key).
  const names: string[] = [];
  logGroupsOfKey.set(key, names);
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowCloudWatchLogsInThisAccount',
      principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: {
        ArnLike: {
          'kms:EncryptionContext:aws:logs:arn': Lazy.list({
            produce: () =>
              names.map((name) =>
                stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
              ),
          }),
        },
      },
    }),
  );
  return key;
}
