import { WAITLIST_INDEX_KEY } from './assignment-service.ts';
import { queryAll } from './referral-store.ts';
import { journeysTable } from './tables.ts';

/**
 * The waitlist as team leads see it: who is waiting for a coach, in the order they will be
 * assigned (urgent first, then by arrival; the index's sort key). Ids, priority and dates only.
 */
export interface WaitlistEntryView {
  readonly referralId: string;
  readonly priority: 'urgent' | 'routine';
  readonly receivedAt: string;
  readonly joinedAt: string;
}

export async function listWaitlist(): Promise<WaitlistEntryView[]> {
  const items = await queryAll({
    IndexName: journeysTable.indexes[0].indexName,
    KeyConditionExpression: 'gsi1pk = :pk',
    ExpressionAttributeValues: { ':pk': WAITLIST_INDEX_KEY },
    ProjectionExpression: 'referralId, priority, receivedAt, joinedAt',
  });
  return items.map((item) => ({
    referralId: String(item.referralId),
    priority: item.priority === 'urgent' ? 'urgent' : 'routine',
    receivedAt: String(item.receivedAt),
    joinedAt: String(item.joinedAt),
  }));
}
