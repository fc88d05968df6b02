import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import type { AreaSettings } from '../areas/schema.ts';
import { alarmNamePrefix } from './alarm-catalogue.ts';

export function operatorsTopicName(areaSlug: string): string {
  return `WorkWell-${areaSlug}-operators`;
}

/**
 * The area's operators' topic: every alarm notifies it. Encrypted with the area key and TLS
 * only; operators in `operations.alarmEmails` are subscribed (each confirms from the e-mail AWS
 * sends). Alarm messages carry alarm names and figures, never personal data.
 */
export function createOperatorsTopic(scope: Construct, area: AreaSettings, key: kms.IKey): sns.Topic {
  const topic = new sns.Topic(scope, 'OperatorsTopic', {
    topicName: operatorsTopicName(area.slug),
    displayName: `WorkWell ${area.slug} alarms`,
    masterKey: key,
    enforceSSL: true,
  });
  // CloudWatch publishes alarm state changes with its own service credentials, so it needs the
  // key (the actions are those the SNS guide lists for AWS services publishing to encrypted
  // topics); only for this area's alarms in this account (no confused deputy).
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowCloudWatchAlarmsToPublishToEncryptedTopics',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      // In a key policy, `*` is this key.
      resources: ['*'],
      conditions: {
        StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
        ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:${alarmNamePrefix(area.slug)}*` },
      },
    }),
  );
  for (const email of area.operations.alarmEmails) {
    topic.addSubscription(new subscriptions.EmailSubscription(email));
  }
  return topic;
}
