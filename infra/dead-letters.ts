import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/** As long as SQS keeps anything: an operator back from a long weekend still finds the message. */
export const deadLetterRetention = Duration.days(14);

/**
 * A dead-letter queue for what is invoked asynchronously: encrypted with the area key, TLS only.
 * Messages hold the failed invocation's event (a schedule's fixed input), never personal data.
 */
export function deadLetterQueue(
  scope: Construct,
  id: string,
  props: { readonly queueName: string; readonly key: kms.IKey },
): sqs.Queue {
  return new sqs.Queue(scope, id, {
    queueName: props.queueName,
    encryption: sqs.QueueEncryption.KMS,
    encryptionMasterKey: props.key,
    enforceSSL: true,
    retentionPeriod: deadLetterRetention,
    removalPolicy: RemovalPolicy.DESTROY,
  });
}
