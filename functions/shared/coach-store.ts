/**
 * Coach repository over the Journeys table (functions/shared/tables.ts).
 *
 * Item layout:
 *
 *   item    pk               sk      gsi1pk    gsi1sk
 *   coach   COACH#<coachId>  COACH   COACHES   <coachId>
 *
 * - coach: type 'coach', coachId, the coach's settings fields (name, work email, teamLeadId,
 *   specialisms, localities, maxCaseload, available), caseload (number of active journeys
 *   assigned, changed only by transactions in assignment-service.ts), createdAt, updatedAt.
 *   Coach names and work emails are staff data: they never go to logs (ids only).
 *
 * The area settings are the starting data (seedCoaches writes a coach only if it does not exist);
 * later changes come through the admin path (putCoach, updateCoach), which never touches the
 * caseload. A change that adds capacity drains the waitlist.
 */
import {
  BatchGetCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { CoachSchema, type AreaSettings, type ConditionCategory } from '../../areas/schema.ts';
import { hasCapacity, type CoachLoad } from '../domain/assignment.ts';
import { drainWaitlist } from './assignment-service.ts';
import { dynamo, requiredEnv } from './aws-clients.ts';
import { logSafe } from './observability.ts';
import { queryAll } from './referral-store.ts';
import { journeysTable } from './tables.ts';

// ---------------------------------------------------------------------------------------------
// Types and keys

export interface StoredCoach extends CoachLoad {
  readonly coachId: string;
  readonly name: string;
  readonly email: string;
  readonly teamLeadId: string;
  readonly specialisms: ConditionCategory[];
  readonly localities: string[];
  readonly maxCaseload: number;
  readonly available: boolean;
  readonly caseload: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** A coach's settings as the area settings and the admin path give them (CoachSchema input). */
export type CoachInput = z.input<typeof CoachSchema>;

/**
 * Admin changes to a coach's settings; the caseload is never changed here. Fields with defaults
 * are unwrapped first: an optional default would fill absent fields and overwrite stored ones.
 */
export const CoachChangesSchema = z.strictObject({
  name: CoachSchema.shape.name.optional(),
  email: CoachSchema.shape.email.optional(),
  teamLeadId: CoachSchema.shape.teamLeadId.optional(),
  specialisms: CoachSchema.shape.specialisms.unwrap().optional(),
  localities: CoachSchema.shape.localities.unwrap().optional(),
  maxCaseload: CoachSchema.shape.maxCaseload.optional(),
  available: CoachSchema.shape.available.unwrap().optional(),
});
export type CoachChanges = z.input<typeof CoachChangesSchema>;

/** The coach does not exist (permanent). */
export class CoachNotFound extends Error {
  override readonly name = 'CoachNotFound';
  constructor() {
    super('Coach not found');
  }
}

export const COACHES_INDEX_KEY = 'COACHES';

export const coachKeys = {
  pk: (coachId: string) => `COACH#${coachId}`,
  coach: (coachId: string) => ({ pk: coachKeys.pk(coachId), sk: 'COACH' }),
} as const;

const table = () => requiredEnv(journeysTable.envVar);
const gsi = journeysTable.indexes[0].indexName;

function toCoach(item: Record<string, unknown>): StoredCoach {
  const { pk: _pk, sk: _sk, gsi1pk: _g, gsi1sk: _gs, type: _t, ...rest } = item;
  return rest as unknown as StoredCoach;
}

/** The fields assignment ranks on. */
export function coachLoad(coach: StoredCoach): CoachLoad {
  const { coachId, specialisms, localities, maxCaseload, caseload, available } = coach;
  return { coachId, specialisms, localities, maxCaseload, caseload, available };
}

function settingsOf(input: CoachInput) {
  const coach = CoachSchema.parse(input);
  return {
    coachId: coach.id,
    name: coach.name,
    email: coach.email,
    teamLeadId: coach.teamLeadId,
    specialisms: coach.specialisms,
    localities: coach.localities,
    maxCaseload: coach.maxCaseload,
    available: coach.available,
  };
}

// ---------------------------------------------------------------------------------------------
// Reads

export async function getCoach(coachId: string): Promise<StoredCoach | undefined> {
  const { Item } = await dynamo().send(
    new GetCommand({ TableName: table(), Key: coachKeys.coach(coachId), ConsistentRead: true }),
  );
  return Item ? toCoach(Item) : undefined;
}

/**
 * Every coach, by coachId. The list comes from the index (eventually consistent); with
 * `consistent`, each coach is then read again with a strongly consistent read, so caseloads are
 * current (assignment decisions use this; transaction conditions still guard the limit).
 */
export async function listCoaches(options: { consistent?: boolean } = {}): Promise<StoredCoach[]> {
  const items = await queryAll({
    IndexName: gsi,
    KeyConditionExpression: 'gsi1pk = :pk',
    ExpressionAttributeValues: { ':pk': COACHES_INDEX_KEY },
  });
  const coaches = items.map(toCoach);
  if (!options.consistent || coaches.length === 0) return coaches;
  return readConsistently(coaches.map((c) => c.coachId));
}

async function readConsistently(coachIds: readonly string[]): Promise<StoredCoach[]> {
  const found: StoredCoach[] = [];
  for (let i = 0; i < coachIds.length; i += 100) {
    let keys: Record<string, unknown>[] | undefined = coachIds.slice(i, i + 100).map((id) => coachKeys.coach(id));
    for (let round = 0; keys && keys.length > 0; round++) {
      if (round > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(50 * 2 ** round, 1000)));
      const answer = await dynamo().send(
        new BatchGetCommand({ RequestItems: { [table()]: { Keys: keys, ConsistentRead: true } } }),
      );
      found.push(...(answer.Responses?.[table()] ?? []).map(toCoach));
      keys = answer.UnprocessedKeys?.[table()]?.Keys as Record<string, unknown>[] | undefined;
      if (round > 8 && keys?.length) throw new Error('Coach reads not processed');
    }
  }
  return found.sort((a, b) => (a.coachId < b.coachId ? -1 : a.coachId > b.coachId ? 1 : 0));
}

// ---------------------------------------------------------------------------------------------
// Writes

/**
 * Writes each coach of the area settings that does not exist yet, with caseload 0. Coaches that
 * exist keep their stored settings and caseload. Returns the ids of the coaches created.
 */
export async function seedCoaches(area: AreaSettings): Promise<string[]> {
  const at = new Date().toISOString();
  const created: string[] = [];
  for (const coach of area.coaches) {
    const settings = settingsOf(coach);
    try {
      await dynamo().send(
        new PutCommand({
          TableName: table(),
          Item: {
            ...coachKeys.coach(settings.coachId),
            type: 'coach',
            gsi1pk: COACHES_INDEX_KEY,
            gsi1sk: settings.coachId,
            ...settings,
            caseload: 0,
            createdAt: at,
            updatedAt: at,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      created.push(settings.coachId);
    } catch (error) {
      if ((error as Error)?.name !== 'ConditionalCheckFailedException') throw error;
    }
  }
  if (created.length) logSafe('info', 'coaches seeded');
  return created;
}

/**
 * Admin path: creates the coach (caseload 0) or replaces its settings, keeping its caseload.
 * Drains the waitlist when the change adds capacity.
 */
export async function putCoach(input: CoachInput): Promise<StoredCoach> {
  const settings = settingsOf(input);
  const at = new Date().toISOString();
  const { Attributes: old } = await dynamo().send(
    new UpdateCommand({
      TableName: table(),
      Key: coachKeys.coach(settings.coachId),
      UpdateExpression:
        'SET #type = :type, gsi1pk = :gsi1pk, gsi1sk = :gsi1sk, coachId = :coachId, #name = :name, ' +
        'email = :email, teamLeadId = :teamLeadId, specialisms = :specialisms, localities = :localities, ' +
        'maxCaseload = :maxCaseload, available = :available, updatedAt = :at, ' +
        'caseload = if_not_exists(caseload, :zero), createdAt = if_not_exists(createdAt, :at)',
      ExpressionAttributeNames: { '#type': 'type', '#name': 'name' },
      ExpressionAttributeValues: {
        ':type': 'coach',
        ':gsi1pk': COACHES_INDEX_KEY,
        ':gsi1sk': settings.coachId,
        ':coachId': settings.coachId,
        ':name': settings.name,
        ':email': settings.email,
        ':teamLeadId': settings.teamLeadId,
        ':specialisms': settings.specialisms,
        ':localities': settings.localities,
        ':maxCaseload': settings.maxCaseload,
        ':available': settings.available,
        ':at': at,
        ':zero': 0,
      },
      ReturnValues: 'ALL_OLD',
    }),
  );
  const before = old ? toCoach(old) : undefined;
  const after: StoredCoach = {
    ...settings,
    caseload: before?.caseload ?? 0,
    createdAt: before?.createdAt ?? at,
    updatedAt: at,
  };
  logSafe('info', before ? 'coach updated' : 'coach created', { code: settings.coachId });
  if (addsCapacity(before, after)) await drainWaitlist();
  return after;
}

/**
 * Admin path: changes some settings of an existing coach (never the caseload). Drains the
 * waitlist when the change adds capacity (a higher maximum, or the coach back from leave).
 */
export async function updateCoach(coachId: string, changes: CoachChanges): Promise<StoredCoach> {
  const parsed = CoachChangesSchema.parse(changes);
  const set = Object.entries(parsed).filter(([, value]) => value !== undefined);
  const at = new Date().toISOString();
  const names: Record<string, string> = { '#updatedAt': 'updatedAt' };
  const values: Record<string, unknown> = { ':updatedAt': at };
  const parts = ['#updatedAt = :updatedAt'];
  set.forEach(([name, value], i) => {
    names[`#c${i}`] = name;
    values[`:c${i}`] = value;
    parts.push(`#c${i} = :c${i}`);
  });
  let old: Record<string, unknown> | undefined;
  try {
    ({ Attributes: old } = await dynamo().send(
      new UpdateCommand({
        TableName: table(),
        Key: coachKeys.coach(coachId),
        UpdateExpression: `SET ${parts.join(', ')}`,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_OLD',
      }),
    ));
  } catch (error) {
    if ((error as Error)?.name === 'ConditionalCheckFailedException') throw new CoachNotFound();
    throw error;
  }
  if (!old) throw new CoachNotFound();
  const before = toCoach(old);
  const after: StoredCoach = { ...before, ...Object.fromEntries(set), updatedAt: at };
  logSafe('info', 'coach updated', { code: coachId });
  if (addsCapacity(before, after)) await drainWaitlist();
  return after;
}

function addsCapacity(before: StoredCoach | undefined, after: StoredCoach): boolean {
  if (!hasCapacity(after)) return false;
  if (!before || !hasCapacity(before)) return true;
  return after.maxCaseload > before.maxCaseload;
}
