import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  IdempotencyValidationError,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { Context } from 'aws-lambda';
import type { OrganisationType } from '../domain/credentials.ts';
import { intakeProblems, type IntakeProblem } from '../domain/intake-rules.ts';
import { decideMatch, type MatchDecision } from '../domain/person-match.ts';
import type { Referral } from '../domain/referral.ts';
import { newReference, referencePrefixOf } from '../domain/reference.ts';
import { requiredEnv } from './aws-clients.ts';
import { startJourneyExecution } from './journey-start.ts';
import { getCoach } from './coach-store.ts';
import { errorFields, logSafe } from './observability.ts';
import { notificationId, notificationPut } from './outbox.ts';
import {
  ConditionFailed,
  createReferral,
  getReferral,
  listTimeline,
  referralUpdate,
  setStatus,
  type StoredReferral,
  timelinePut,
  type TransactItem,
} from './referral-store.ts';
import { indexWrites, linkedIndexWrites, lookUpPerson, type PersonLookup } from './person-index.ts';
import { idempotencyTable } from './tables.ts';
import { currentArea, dateInTimeZone } from './workflow.ts';

/**
 * Accepting a referral, for every intake route (JSON and FHIR):
 *  - idempotent per partner: the same Idempotency-Key and body replays the first answer, the
 *    same key with another body is refused (422); without a key, the same body from the same
 *    partner within a day is recognised as a retry (Powertools idempotency over DynamoDB);
 *  - one journey per person: someone already on an open journey in the area (NHS number, or
 *    name, date of birth and postcode) gets no second one; the new referral is linked and the
 *    coach told. The answer says nothing about any other partner's referral, nor, for a
 *    referrer that passes on many people's own submissions (a self-referral service), about
 *    another submission of the same referrer (see sameReferrerMatch);
 *  - the journey starts with execution name = referral id, so a retry never starts two.
 */
export type AcceptOutcome =
  | { httpStatus: 202; referralId: string; reference?: string; status: 'received' | 'linked' }
  | { httpStatus: 400; problems: IntakeProblem[] }
  | { httpStatus: 409 | 422 | 503; problem: string; referralId?: string };

/**
 * What a referrer's referral for someone already on an open journey *it* referred means:
 *  - 'resend': the same referral sent again (perhaps corrected); the existing referral is the
 *    answer, which is how a partner's retries heal. An organisation refers each person once.
 *  - 'separate_submission': a service passing on what members of the public typed themselves.
 *    Anyone can type another person's name, date of birth and postcode, so answering with the
 *    existing referral would tell a stranger that person is in the service and give them its
 *    reference. It is another submission: a new, linked referral, the coach told. Only the
 *    very same submission (identical content, e.g. resent after its journey failed to start)
 *    is recognised as itself.
 */
export type SameReferrerMatch = 'resend' | 'separate_submission';

/** Per kind of referrer: data, so no route tests partner ids. */
export const sameReferrerMatchByOrganisation: Readonly<Record<OrganisationType, SameReferrerMatch>> = {
  gp: 'resend',
  primary_care: 'resend',
  employer: 'resend',
  jobcentre_plus: 'resend',
  local_authority: 'resend',
  vcs: 'resend',
  self_referral_service: 'separate_submission',
  other: 'resend',
};

/** The referrer's kind: as its credential says, else as the area's settings list it. */
function organisationTypeOf(partner: { partnerId: string; organisationType?: OrganisationType | undefined }): OrganisationType | undefined {
  return partner.organisationType ?? currentArea().partners.find((p) => p.id === partner.partnerId)?.organisationType;
}

interface AcceptOnce {
  partnerId: string;
  /** Send the person a confirmation with their reference (self-referrals; only to an address they gave). */
  confirmToPerson: boolean;
  sameReferrerMatch: SameReferrerMatch;
  /** `key:<Idempotency-Key>`, or `body:<hash>` when the partner sent none. */
  requestKey: string;
  bodyHash: string;
  referral: Referral;
}

const DAY_SECONDS = 24 * 3600;
const config = new IdempotencyConfig({
  eventKeyJmesPath: '[partnerId, requestKey]',
  payloadValidationJmesPath: 'bodyHash',
  expiresAfterSeconds: DAY_SECONDS,
  throwOnNoIdempotencyKey: true,
});
type Accepted = { referralId: string; reference?: string; status: 'received' | 'linked' };
let idempotentAccept: ((input: AcceptOnce) => Promise<Accepted>) | undefined;

function acceptIdempotently(input: AcceptOnce) {
  idempotentAccept ??= makeIdempotent(acceptOnce, {
    persistenceStore: new DynamoDBPersistenceLayer({ tableName: requiredEnv(idempotencyTable.envVar) }),
    config,
    keyPrefix: 'referral',
  });
  return idempotentAccept(input);
}

class JourneyStartFailed extends Error {
  override readonly name = 'JourneyStartFailed';
  constructor(readonly referralId: string) {
    super('The journey could not be started');
  }
}

export async function acceptReferral(input: {
  referral: Referral;
  /** The organisation type decides what a match with its own open referral means (sameReferrerMatch). */
  partner: { partnerId: string; organisationType?: OrganisationType | undefined };
  idempotencyKey?: string;
  bodyHash: string;
  context?: Context;
  confirmToPerson?: boolean;
}): Promise<AcceptOutcome> {
  const organisationType = organisationTypeOf(input.partner);
  const area = currentArea();
  const problems = intakeProblems(input.referral, { area, today: dateInTimeZone(new Date(), area.timeZone), organisationType });
  if (problems.length) return { httpStatus: 400, problems };
  if (input.context) config.registerLambdaContext(input.context);
  try {
    const accepted = await acceptIdempotently({
      partnerId: input.partner.partnerId,
      confirmToPerson: input.confirmToPerson ?? false,
      sameReferrerMatch: organisationType ? sameReferrerMatchByOrganisation[organisationType] : 'resend',
      requestKey: input.idempotencyKey ? `key:${input.idempotencyKey}` : `body:${input.bodyHash}`,
      bodyHash: input.bodyHash,
      referral: input.referral,
    });
    return { httpStatus: 202, ...accepted };
  } catch (error) {
    if (error instanceof IdempotencyValidationError) {
      return { httpStatus: 422, problem: 'This Idempotency-Key was used with a different request.' };
    }
    if (error instanceof IdempotencyAlreadyInProgressError) {
      return { httpStatus: 409, problem: 'A request with this Idempotency-Key is still being processed; retry shortly.' };
    }
    if (error instanceof JourneyStartFailed) {
      return { httpStatus: 503, problem: 'The referral was stored but its journey could not be started.', referralId: error.referralId };
    }
    throw error;
  }
}

/** The open journeys that might be this person, and what the matching rules make of them. */
async function matchPerson(referral: Referral): Promise<{ decision: MatchDecision; lookup: PersonLookup; open: Map<string, StoredReferral> }> {
  const lookup = await lookUpPerson(referral.participant);
  const open = new Map<string, StoredReferral>();
  for (const candidate of await Promise.all(lookup.candidates.map(getReferral))) {
    // Only journeys count: a closed one, or a referral linked to another journey, is no match.
    if (candidate && !candidate.closedAt && !candidate.linkedTo) open.set(candidate.referralId, candidate);
  }
  // Each journey with everyone linked to it: their details (an NHS number among them) count too.
  const candidates = await Promise.all(
    [...open.values()]
      .sort((a, b) => a.receivedAt.localeCompare(b.receivedAt))
      .map(async (journey) => ({ referralId: journey.referralId, people: [journey.referral.participant, ...(await linkedPeople(journey.referralId))] })),
  );
  return { decision: decideMatch(referral.participant, candidates), lookup, open };
}

async function linkedPeople(journeyId: string): Promise<Referral['participant'][]> {
  const ids = (await listTimeline(journeyId)).flatMap((e) => (e.event === 'duplicate_referral_linked' && e.linkedReferralId ? [e.linkedReferralId] : []));
  return (await Promise.all(ids.map(getReferral))).flatMap((r) => (r ? [r.referral.participant] : []));
}

/** Draws the area's next short reference; the store guards its uniqueness. */
function areaReference(): () => string {
  const prefix = referencePrefixOf(currentArea());
  return () => newReference(prefix, randomBytes);
}

async function acceptOnce(input: AcceptOnce): Promise<Accepted> {
  for (let round = 0; round < 3; round++) {
    const { decision, lookup, open } = await matchPerson(input.referral);
    const same = decision.kind === 'link' ? open.get(decision.referralId) : undefined;
    if (same && isSameReferral(same, input)) {
      // The partner's own open referral for this person (e.g. resent with corrections).
      await startJourney(same.referralId);
      return { referralId: same.referralId, ...(same.reference ? { reference: same.reference } : {}), status: 'received' };
    }
    const referralId = randomUUID();
    const receivedAt = new Date();
    if (same) {
      let linked: StoredReferral;
      try {
        linked = await linkToOpenJourney(referralId, input, same, receivedAt, lookup);
      } catch (error) {
        if (error instanceof ConditionFailed) continue; // the journey closed meanwhile: look again
        throw error;
      }
      return { referralId, ...(linked.reference ? { reference: linked.reference } : {}), status: 'linked' };
    }
    // A journey of its own; a possible match or an NHS number conflict is reviewed, never merged.
    const identityReview = decision.kind === 'review' ? { reason: decision.reason, matches: decision.matches } : undefined;
    let stored: StoredReferral;
    try {
      stored = await createReferral({
        referralId,
        newReference: areaReference(),
        referral: input.referral,
        receivedAt,
        partnerId: input.partnerId,
        personIndex: lookup.partitions.map((p) => p.pk),
        ...(identityReview ? { identityReview } : {}),
        alsoWrite: [...indexWrites(referralId, lookup), ...confirmation(referralId, input, receivedAt)],
      });
    } catch (error) {
      if (error instanceof ConditionFailed) continue; // someone else's referral for the person won the race
      throw error;
    }
    logSafe('info', 'referral received', { referralId, code: input.referral.source, ...(identityReview ? { outcome: 'identity_review' } : {}) });
    await startJourney(referralId);
    return { referralId, ...(stored.reference ? { reference: stored.reference } : {}), status: 'received' };
  }
  throw new Error('Could not settle the person index');
}

/** Whether the open referral is the one this request (re)sends: see SameReferrerMatch. */
function isSameReferral(open: StoredReferral, input: AcceptOnce): boolean {
  if (open.partnerId !== input.partnerId) return false;
  return input.sameReferrerMatch === 'resend' || canonicalHash(open.referral) === canonicalHash(input.referral);
}

async function linkToOpenJourney(referralId: string, input: AcceptOnce, open: StoredReferral, receivedAt: Date, lookup: PersonLookup): Promise<StoredReferral> {
  const at = receivedAt.toISOString();
  const coach = open.coachId ? await getCoach(open.coachId) : undefined;
  const to = coach?.email ?? currentArea().teamLeads[0]!.email;
  const notify: TransactItem[] = [
    // The link on the journey's side: the linked referral's records expire with the journey's.
    timelinePut(open.referralId, { at, event: 'duplicate_referral_linked', reason: input.referral.source, linkedReferralId: referralId }),
    referralUpdate(open.referralId, { updatedAt: at }, { expression: 'attribute_not_exists(closedAt)' }),
    notificationPut(
      open.referralId,
      notificationId('duplicate_referral', referralId),
      { to, template: 'duplicate_referral_linked', fields: { referralReference: open.reference ?? open.referralId } },
      at,
    ),
  ];
  const linked = await createReferral({
    referralId,
    newReference: areaReference(),
    referral: input.referral,
    receivedAt,
    partnerId: input.partnerId,
    linkedTo: open.referralId,
    // Its details find the journey too (a later referral with its NHS number, say).
    personIndex: lookup.partitions.map((p) => p.pk),
    alsoWrite: [...notify, ...linkedIndexWrites(referralId, open.referralId, lookup), ...confirmation(referralId, input, receivedAt)],
  });
  logSafe('info', 'referral linked to an open journey', { referralId, code: input.referral.source });
  return linked;
}

/**
 * The person's confirmation, in the outbox with the referral: only to the e-mail address they
 * gave, and only the reference (the notifier adds it) and what happens next.
 */
function confirmation(referralId: string, input: AcceptOnce, receivedAt: Date): TransactItem[] {
  const to = input.referral.participant.email;
  if (!input.confirmToPerson || !to) return [];
  const at = receivedAt.toISOString();
  return [notificationPut(referralId, notificationId('self_referral_confirmation', referralId), { to, template: 'self_referral_confirmation', fields: { referralReference: referralId } }, at)];
}

async function startJourney(referralId: string): Promise<void> {
  try {
    await startJourneyExecution(referralId, referralId);
  } catch (error) {
    if ((error as Error)?.name === 'ExecutionAlreadyExists') return; // started before, and since ended
    logSafe('error', 'journey start failed', { referralId, ...errorFields(error) });
    await setStatus(referralId, {
      status: 'needs_attention',
      event: 'journey_start_failed',
      details: { error: errorFields(error).errorName },
      at: new Date(),
    }).catch((markError: unknown) =>
      logSafe('error', 'could not mark referral needs_attention', { referralId, ...errorFields(markError) }),
    );
    // The idempotency record is dropped: a retry finds the stored referral (same partner and
    // person; the same content for a separate-submission referrer) and starts its journey.
    throw new JourneyStartFailed(referralId);
  }
}

/** Same content, same hash: key order and white space do not make a new request. */
export function canonicalHash(value: unknown): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sort)
      : v && typeof v === 'object'
        ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])]))
        : v;
  return createHash('sha256').update(JSON.stringify(sort(value))).digest('base64url');
}
