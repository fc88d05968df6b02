import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { WAITLIST_INDEX_KEY } from './assignment-service.ts';
import { dynamo } from './aws-clients.ts';
import { keys, table } from './referral-store.ts';

/**
 * Levels the operators watch, read from the sparse gsi1 groups (counts only, no items read):
 * tasks past their deadline and referrals waiting for a coach.
 */
export interface ServiceGauges {
  readonly tasksOverdue: number;
  readonly waitlistLength: number;
}

async function countGroup(groupKey: string): Promise<number> {
  let count = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await dynamo().send(
      new QueryCommand({
        TableName: table(),
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': groupKey },
        Select: 'COUNT',
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    count += page.Count ?? 0;
    start = page.LastEvaluatedKey;
  } while (start);
  return count;
}

export async function readServiceGauges(): Promise<ServiceGauges> {
  const [tasksOverdue, waitlistLength] = await Promise.all([
    countGroup(keys.tasksByStatus('overdue')),
    countGroup(WAITLIST_INDEX_KEY),
  ]);
  return { tasksOverdue, waitlistLength };
}
