import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '../shared/aws-clients.ts';
import { table } from '../shared/referral-store.ts';
import { journeysTable } from '../shared/tables.ts';

/**
 * Sessions ended by signing out. A session lives in its sealed cookie, so clearing the cookie
 * in one browser does not stop a copy of it elsewhere: the session id is recorded here when
 * its owner signs out, and every request checks it, until the session would have timed out
 * anyway (then DynamoDB's TTL removes the record).
 *
 *   item            pk                        sk       attributes
 *   ended session   ENDED_SESSION#<sessionId>  ENDED    type 'ended_session', expiresAt (TTL)
 */
const key = (sessionId: string) => ({ pk: `ENDED_SESSION#${sessionId}`, sk: 'ENDED' });

export async function endSession(sessionId: string, endsAnywayAt: number): Promise<void> {
  await dynamo().send(
    new PutCommand({
      TableName: table(),
      Item: { ...key(sessionId), type: 'ended_session', [journeysTable.ttlAttribute]: Math.ceil(endsAnywayAt / 1000) },
    }),
  );
}

export async function sessionEnded(sessionId: string): Promise<boolean> {
  const { Item } = await dynamo().send(new GetCommand({ TableName: table(), Key: key(sessionId), ConsistentRead: true }));
  return Item !== undefined;
}
