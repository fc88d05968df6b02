import middy from '@middy/core';
import { z } from 'zod';
import { workingCalendar } from '../domain/working-time.ts';
import { DIGEST_MAX_LINES, digestsByAssignee, isWorkingDay, localMoment, type DigestTask } from '../domain/digest.ts';
import { listCoaches } from '../shared/coach-store.ts';
import { logSafe, observed } from '../shared/observability.ts';
import { notificationId, outboxPut } from '../shared/outbox.ts';
import { keys, queryAll, referenceOf, transact } from '../shared/referral-store.ts';
import { currentArea } from '../shared/workflow.ts';

/**
 * Every working morning (07:30 Europe/London, Monday to Friday, by schedule) each coach (and
 * team lead with tasks of their own) gets one digest of their tasks due today and overdue: the
 * counts, and per task the case reference, task type and a link. Nothing due, no e-mail. The
 * digest is an outbox item whose id derives from the person and the local date, so a second
 * run the same day queues nothing new. The notifier sends it.
 */
const DigestEvent = z.object({ force: z.boolean().optional() }).loose();

/** Digests are kept 30 days (they name task ids only). */
const DIGEST_RETENTION_SECONDS = 30 * 24 * 3600;

export interface DigestResult {
  readonly date: string;
  readonly queued: number;
  readonly alreadyQueued: number;
  readonly skipped?: 'not_a_working_day';
}

async function liveTasks(now: Date): Promise<DigestTask[]> {
  // Open tasks due by tomorrow (the key is the due time; the date check is done in the time zone).
  const upTo = new Date(now.getTime() + 48 * 3600_000).toISOString();
  const projection = {
    ProjectionExpression: 'referralId, taskId, taskType, dueAt, #status, assignee',
    IndexName: 'gsi1',
  };
  const open = await queryAll({
    ...projection,
    KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk <= :upTo',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: { ':pk': keys.tasksByStatus('open'), ':upTo': `${upTo}#~` },
  });
  const overdue = await queryAll({
    ...projection,
    KeyConditionExpression: 'gsi1pk = :pk',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: { ':pk': keys.tasksByStatus('overdue') },
  });
  return [...open, ...overdue] as unknown as DigestTask[];
}

export async function runDailyDigest(options: { now?: Date; force?: boolean } = {}): Promise<DigestResult> {
  const now = options.now ?? new Date();
  const area = currentArea();
  const { date } = localMoment(now, area.timeZone);
  if (!options.force && !isWorkingDay(now, workingCalendar(area))) return { date, queued: 0, alreadyQueued: 0, skipped: 'not_a_working_day' };

  const emails = new Map<string, string>(area.teamLeads.map((t) => [t.id, t.email]));
  for (const coach of await listCoaches()) emails.set(coach.coachId, coach.email);

  const at = now.toISOString();
  const expiresAt = Math.floor(now.getTime() / 1000) + DIGEST_RETENTION_SECONDS;
  let queued = 0;
  let alreadyQueued = 0;
  for (const [personId, entries] of digestsByAssignee(await liveTasks(now), now, area.timeZone)) {
    const to = emails.get(personId);
    if (!to) continue;
    const failed = await transact([
      outboxPut({
        pk: `DIGEST#${personId}`,
        id: notificationId('daily_digest', personId, date),
        notification: {
          to,
          template: 'daily_digest',
          fields: {
            date,
            dueTodayCount: String(entries.filter((e) => !e.overdue).length),
            overdueCount: String(entries.filter((e) => e.overdue).length),
            items: JSON.stringify(await withShortReferences(entries.slice(0, DIGEST_MAX_LINES))),
          },
        },
        at,
        coachId: personId,
        expiresAt,
      }),
    ]);
    if (failed < 0) queued++;
    else alreadyQueued++;
  }
  return { date, queued, alreadyQueued };
}

/** Each line names its case by the short reference people use (links carry the task id). */
async function withShortReferences<T extends { referralReference: string }>(entries: readonly T[]): Promise<T[]> {
  return Promise.all(entries.map(async (e) => ({ ...e, referralReference: (await referenceOf(e.referralReference)) ?? e.referralReference })));
}

async function dailyDigestHandler(event: unknown): Promise<DigestResult> {
  const parsed = DigestEvent.safeParse(event ?? {});
  const result = await runDailyDigest({ force: parsed.success ? parsed.data.force === true : false });
  logSafe('info', 'daily digest', { code: `queued-${result.queued}_repeat-${result.alreadyQueued}`, ...(result.skipped ? { reason: result.skipped } : {}) });
  return result;
}

export const handler = middy<unknown, DigestResult>().use(observed()).handler(dailyDigestHandler);
