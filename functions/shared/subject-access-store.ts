/**
 * Subject access and rectification over the Journeys table (ops/subject-access.ts); the rules
 * are in domain/subject-access.ts.
 *
 * Finding a person: the person index (person-index.ts) holds only open journeys, under keyed
 * hashes, so the search reads every referral item of the area (a filtered Scan: an operator's
 * occasional request, not a hot path) and keeps those about the person by intake's matching
 * rules, plus the referrals linked to or from them. Each found referral's whole partition is
 * exported.
 */
import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { type Candidate, decideMatch } from '../domain/person-match.ts';
import type { Referral } from '../domain/referral.ts';
import {
  isAbout,
  type RectifiableField,
  rectify,
  referralSection,
  sectionExplanations,
  type SubjectQuery,
} from '../domain/subject-access.ts';
import { dynamo } from './aws-clients.ts';
import { listOnwardReferrals } from './onward-referral-store.ts';
import {
  getReferral,
  queryPartition,
  ReferralNotFound,
  referralUpdate,
  table,
  timelinePut,
  transact,
  type StoredReferral,
  type TransactItem,
  TransientError,
} from './referral-store.ts';
import { indexWrites, linkedIndexWrites, lookUpPerson, unindexWrites } from './person-index.ts';
import { currentArea, dateInTimeZone } from './workflow.ts';

interface ReferralHead {
  readonly referralId: string;
  readonly linkedTo?: string;
  readonly referral: Referral;
}

/** Every referral item of the area: id, link and the referral document (to match on). */
async function allReferrals(): Promise<ReferralHead[]> {
  const heads: ReferralHead[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await dynamo().send(
      new ScanCommand({
        TableName: table(),
        FilterExpression: '#type = :referral AND sk = :sk',
        ExpressionAttributeNames: { '#type': 'type', '#referral': 'referral', '#linkedTo': 'linkedTo' },
        ExpressionAttributeValues: { ':referral': 'referral', ':sk': 'REFERRAL' },
        ProjectionExpression: 'referralId, #linkedTo, #referral',
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    heads.push(...((page.Items ?? []) as ReferralHead[]));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return heads;
}

/** Ids of the person's referrals: those that match, and those linked to or from them. */
export async function findSubjectReferrals(query: SubjectQuery): Promise<string[]> {
  const heads = await allReferrals();
  const found = new Set(heads.filter((h) => isAbout(h.referral, query)).map((h) => h.referralId));
  for (const h of heads) if (h.linkedTo && found.has(h.referralId)) found.add(h.linkedTo);
  for (const h of heads) if (h.linkedTo && found.has(h.linkedTo)) found.add(h.referralId);
  return [...found].sort();
}

/** The export document: every record of the person's referrals in the area, explained. */
export async function subjectAccessExport(query: SubjectQuery, now = new Date()) {
  const area = currentArea();
  const serviceNames = new Map(area.services.map((s) => [s.id, s.name]));
  const ids = await findSubjectReferrals(query);
  const referrals = await Promise.all(ids.map(async (id) => referralSection(await queryPartition(id, ''), serviceNames)));
  referrals.sort((a, b) => String(a.receivedAt).localeCompare(String(b.receivedAt)));
  return {
    about:
      `Subject access export: the records the WorkWell service of ${area.name} holds about one person, ` +
      'found by the details given in the request. Each section is explained under "sections".',
    area: { slug: area.slug, name: area.name },
    generatedAt: now.toISOString(),
    searchedBy: 'nhsNumber' in query ? 'NHS number' : 'name, date of birth and postcode',
    sections: sectionExplanations,
    referralCount: referrals.length,
    referrals,
  };
}

// ---------------------------------------------------------------------------------------------
// Rectification

/** The corrected details match another open journey: the two must be reconciled first. */
export class RectificationConflict extends Error {
  override readonly name = 'RectificationConflict';
  constructor(readonly otherReferralId: string) {
    super(`The corrected details match the open journey ${otherReferralId}: close one of the two (duplicate) first.`);
  }
}

/** Index changes for a referral whose details change: its entries move to the new details' keys. */
async function indexChanges(stored: StoredReferral, corrected: Referral): Promise<{ items: TransactItem[]; personIndex?: string[] }> {
  // A closed journey no longer counts; a linked referral's entries name its journey and move too.
  if (stored.closedAt || stored.expiresAt) return { items: [] };
  const referralId = stored.referralId;
  const lookup = await lookUpPerson(corrected.participant);
  if (stored.linkedTo) {
    const after = lookup.partitions.map((p) => p.pk);
    const gone = (stored.personIndex ?? []).filter((pk) => !after.includes(pk));
    return { items: [...unindexWrites(referralId, gone), ...linkedIndexWrites(referralId, stored.linkedTo, lookup)], personIndex: after };
  }
  const others: Candidate[] = [];
  for (const id of lookup.candidates.filter((c) => c !== referralId)) {
    const other = await getReferral(id);
    if (other && !other.closedAt && !other.linkedTo) others.push({ referralId: id, person: other.referral.participant });
  }
  const decision = decideMatch(corrected.participant, others);
  if (decision.kind === 'link') throw new RectificationConflict(decision.referralId);
  const after = lookup.partitions.map((p) => p.pk);
  const gone = (stored.personIndex ?? []).filter((pk) => !after.includes(pk));
  return { items: [...unindexWrites(referralId, gone), ...indexWrites(referralId, lookup)], personIndex: after };
}

export interface RectificationResult {
  readonly changed: readonly RectifiableField[];
  /** Who received the old details and should be told (UK GDPR Art. 19): ids and dates only. */
  readonly recipients: readonly { kind: 'onward_referral'; onwardReferralId: string; serviceId: string; sentAt: string }[];
}

/**
 * Corrects a referral's personal details in one transaction: the referral document, the person
 * index (old keys removed, new ones added), and a 'details_rectified' timeline entry naming the
 * fields changed, never their values.
 */
export async function rectifyReferral(
  referralId: string,
  corrections: Partial<Record<RectifiableField, string | undefined>>,
): Promise<RectificationResult> {
  for (let round = 0; round < 3; round++) {
    const stored = await getReferral(referralId);
    if (!stored) throw new ReferralNotFound();
    const area = currentArea();
    const { referral, changed } = rectify(stored.referral, corrections, { today: dateInTimeZone(new Date(), area.timeZone), maxPlausibleAge: area.intake.maxPlausibleAge });
    if (!changed.length) return { changed, recipients: [] };

    const at = new Date().toISOString();
    const entry = timelinePut(referralId, { at, event: 'details_rectified' });
    // Field names are codes; the timeline never holds the values.
    Object.assign(entry.Put!.Item!, { fields: changed });
    const index = await indexChanges(stored, referral);
    const failed = await transact([
      referralUpdate(referralId, { referral, updatedAt: at, personIndex: index.personIndex }, { expression: 'updatedAt = :seen', values: { ':seen': stored.updatedAt } }),
      entry,
      ...index.items,
    ]);
    if (failed >= 0) continue; // the referral or the index changed meanwhile: read again
    const recipients = (await listOnwardReferrals(referralId))
      .filter((o) => o.sentAt)
      .map((o) => ({ kind: 'onward_referral' as const, onwardReferralId: o.onwardReferralId, serviceId: o.serviceId, sentAt: o.sentAt! }));
    return { changed, recipients };
  }
  throw new TransientError('referral changed while rectifying');
}
