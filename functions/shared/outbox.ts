import { createHash } from 'node:crypto';
import { keys, table, type TransactItem } from './referral-store.ts';

/**
 * The notification outbox: an email to send is a pending item in the referral's partition
 * (gsi1 `NOTIFICATIONS#pending`), written in the same transaction as the change it tells of and
 * delivered later by the notifier. Its id is deterministic, so a retried step writes it once.
 * Fields are references and links only: never a participant's personal or health details.
 */
export interface Notification {
  readonly to: string;
  readonly template: string;
  readonly fields: Readonly<Record<string, string>>;
}

export function notificationId(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\n')).digest('base64url').slice(0, 32);
}

export function notificationPut(referralId: string, id: string, notification: Notification, at: string): TransactItem {
  return {
    Put: {
      TableName: table(),
      Item: {
        pk: keys.pk(referralId),
        sk: `NOTIFICATION#${id}`,
        type: 'notification',
        notificationId: id,
        referralId,
        channel: 'email',
        ...notification,
        status: 'pending',
        createdAt: at,
        gsi1pk: 'NOTIFICATIONS#pending',
        gsi1sk: `${at}#${id}`,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
}
