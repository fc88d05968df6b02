import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { RemovalPolicy } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { allowLogGroup } from './key.ts';

/** Long enough for incident review and audit; these logs hold ids, never personal data. */
export const logRetention = logs.RetentionDays.ONE_YEAR;

/** A log group encrypted with the area key, kept when the stack is deleted. */
export function encryptedLogGroup(
  scope: Construct,
  id: string,
  props: { readonly logGroupName: string; readonly key: kms.IKey },
): logs.LogGroup {
  allowLogGroup(props.key, props.logGroupName);
  return new logs.LogGroup(scope, id, {
    logGroupName: props.logGroupName,
    encryptionKey: props.key,
    retention: logRetention,
    removalPolicy: RemovalPolicy.RETAIN,
  });
}
