/**
 * Referral partners of the area and their API credentials, in the Journeys table
 * (functions/shared/tables.ts).
 *
 * Item layout:
 *
 *   item        pk                   sk                        gsi1pk     gsi1sk
 *   partner     PARTNER#<partnerId>  PARTNER                   PARTNERS   <partnerId>
 *   credential  PARTNER#<partnerId>  CREDENTIAL#<credentialId> -          -
 *
 * - partner: type 'partner', partnerId, name, organisationType, odsCode (optional), fhirEndpoint
 *   (optional: where BaRS status updates about its referrals are posted), status
 *   (active | suspended), createdAt, updatedAt, suspendedAt (while suspended).
 * - practice: pk PRACTICE#<odsCode>, sk PRACTICE: a GP practice's FHIR endpoint for discharge
 *   summaries (odsCode, fhirEndpoint, updatedAt); practices need not be referral partners.
 * - credential: type 'credential', partnerId, credentialId, hash (sha256 of the token; the
 *   token itself is never stored), createdAt, revokedAt (once revoked), lastUsedAt (written at
 *   most once an hour, not on every request).
 *
 * A token names its partner and credential (functions/domain/credentials.ts), so verifying it
 * is one GetItem for the credential (and one, in parallel, for the partner's status and name).
 * Rotation is issuing a second credential: both work until the old one is revoked.
 * Writes are conditional, so a retried call never writes twice.
 */
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import {
  credentialAreaCode,
  decideCredential,
  generateCredential,
  isPartnerId,
  lastUsedIsStale,
  LAST_USED_RESOLUTION_MS,
  newPartnerId,
  organisationTypes,
  PARTNER_ID_MAX_LENGTH,
  PARTNER_ID_PATTERN,
  screenToken,
  type CredentialRecord,
  type OrganisationType,
  type PartnerRecord,
  type Verification,
} from '../domain/credentials.ts';
import { dynamo } from './aws-clients.ts';
import { errorFields, logSafe } from './observability.ts';
import { queryAll, table, transact } from './referral-store.ts';
import { currentArea } from './workflow.ts';

// ---------------------------------------------------------------------------------------------
// Types, keys, errors

export type PartnerStatus = 'active' | 'suspended';

export interface StoredPartner {
  readonly partnerId: string;
  readonly name: string;
  readonly organisationType: OrganisationType;
  readonly odsCode?: string;
  /** The partner's FHIR messaging endpoint: BaRS status updates about its referrals go there. */
  readonly fhirEndpoint?: string;
  readonly status: PartnerStatus;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly suspendedAt?: string;
}

/** A credential as operators see it: never the hash, never the token. */
export interface StoredCredential {
  readonly partnerId: string;
  readonly credentialId: string;
  readonly createdAt: string;
  readonly revokedAt?: string;
  readonly lastUsedAt?: string;
}

/** A newly issued credential: the token is returned this once and never again. */
export interface IssuedCredential {
  readonly partnerId: string;
  readonly credentialId: string;
  readonly token: string;
  readonly createdAt: string;
}

/**
 * A FHIR endpoint: https only, except plain http on this machine (the local runtime's test
 * receivers), as for providers' webhooks.
 */
export const FhirEndpointSchema = z
  .url()
  .max(2048)
  .refine((u) => /^https:\/\//.test(u) || /^http:\/\/(127\.0\.0\.1|localhost)(:\d+)?(\/|$)/.test(u), 'an https URL');

/** A GP practice's ODS code, as the referral model holds it. */
export const PracticeCodeSchema = z.string().regex(/^[A-Z][0-9]{5}$/, 'a GP practice ODS code');

export const PartnerInputSchema = z.strictObject({
  partnerId: z
    .string()
    .max(PARTNER_ID_MAX_LENGTH)
    .regex(PARTNER_ID_PATTERN, 'lower-case letters and digits, words joined by hyphens')
    .optional(),
  name: z.string().trim().min(1).max(200),
  organisationType: z.enum(organisationTypes),
  /** NHS Organisation Data Service code, e.g. a GP practice's C88001. */
  odsCode: z
    .string()
    .regex(/^[A-Z0-9]{3,10}$/, 'an ODS code: 3 to 10 upper-case letters and digits')
    .optional(),
  fhirEndpoint: FhirEndpointSchema.optional(),
});
export type PartnerInput = z.input<typeof PartnerInputSchema>;

export class PartnerNotFound extends Error {
  override readonly name = 'PartnerNotFound';
  constructor() {
    super('Partner not found');
  }
}

/** The partner id is taken by a partner with different details. */
export class PartnerExists extends Error {
  override readonly name = 'PartnerExists';
  constructor() {
    super('A different partner already has this id');
  }
}

export class CredentialNotFound extends Error {
  override readonly name = 'CredentialNotFound';
  constructor() {
    super('Credential not found');
  }
}

const PARTNER_SK = 'PARTNER';
export const PARTNERS_INDEX_KEY = 'PARTNERS';

export const partnerKeys = {
  pk: (partnerId: string) => `PARTNER#${partnerId}`,
  partner: (partnerId: string) => ({ pk: partnerKeys.pk(partnerId), sk: PARTNER_SK }),
  credential: (partnerId: string, credentialId: string) => ({
    pk: partnerKeys.pk(partnerId),
    sk: `CREDENTIAL#${credentialId}`,
  }),
} as const;

function isConditionFailure(error: unknown): boolean {
  return (error as Error)?.name === 'ConditionalCheckFailedException';
}

function toPartner(item: Record<string, unknown>): StoredPartner {
  const { pk: _pk, sk: _sk, gsi1pk: _g, gsi1sk: _gs, type: _t, ...rest } = item;
  return rest as unknown as StoredPartner;
}

function toCredential(item: Record<string, unknown>): StoredCredential {
  const { pk: _pk, sk: _sk, type: _t, hash: _hash, ...rest } = item;
  return rest as unknown as StoredCredential;
}

/** The area code tokens of this deployment carry (AREA_SLUG). */
function thisAreaCode(): string {
  return credentialAreaCode(currentArea());
}

// ---------------------------------------------------------------------------------------------
// Partners

export async function getPartner(partnerId: string): Promise<StoredPartner | undefined> {
  if (!isPartnerId(partnerId)) return undefined;
  const { Item } = await dynamo().send(
    new GetCommand({ TableName: table(), Key: partnerKeys.partner(partnerId), ConsistentRead: true }),
  );
  return Item ? toPartner(Item) : undefined;
}

/**
 * Registers a partner (status active). A retry with the same details returns the partner
 * already stored (`created: false`); the same id with other details throws PartnerExists.
 */
export async function registerPartner(
  input: PartnerInput,
  now: Date = new Date(),
): Promise<{ partner: StoredPartner; created: boolean }> {
  const valid = PartnerInputSchema.parse(input);
  const at = now.toISOString();
  const partner: StoredPartner = {
    partnerId: valid.partnerId ?? newPartnerId(),
    name: valid.name,
    organisationType: valid.organisationType,
    ...(valid.odsCode ? { odsCode: valid.odsCode } : {}),
    ...(valid.fhirEndpoint ? { fhirEndpoint: valid.fhirEndpoint } : {}),
    status: 'active',
    createdAt: at,
    updatedAt: at,
  };
  try {
    await dynamo().send(
      new PutCommand({
        TableName: table(),
        Item: {
          ...partnerKeys.partner(partner.partnerId),
          ...partner,
          type: 'partner',
          gsi1pk: PARTNERS_INDEX_KEY,
          gsi1sk: partner.partnerId,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return { partner, created: true };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    const existing = await getPartner(partner.partnerId);
    if (
      existing &&
      existing.name === partner.name &&
      existing.organisationType === partner.organisationType &&
      existing.odsCode === partner.odsCode &&
      (partner.fhirEndpoint === undefined || existing.fhirEndpoint === partner.fhirEndpoint)
    ) {
      return { partner: existing, created: false };
    }
    throw new PartnerExists();
  }
}

/** The area's partners, by id (eventually consistent index). */
export async function listPartners(): Promise<StoredPartner[]> {
  const items = await queryAll({
    IndexName: 'gsi1',
    KeyConditionExpression: 'gsi1pk = :pk',
    ExpressionAttributeValues: { ':pk': PARTNERS_INDEX_KEY },
  });
  return items.map(toPartner);
}

/**
 * Sets (a URL) or removes (null) the partner's FHIR endpoint. Status updates already waiting in
 * the outbox keep the address they were written with.
 */
export async function setPartnerEndpoint(
  partnerId: string,
  fhirEndpoint: string | null,
  now: Date = new Date(),
): Promise<StoredPartner> {
  if (!isPartnerId(partnerId)) throw new PartnerNotFound();
  const endpoint = fhirEndpoint === null ? null : FhirEndpointSchema.parse(fhirEndpoint);
  try {
    const { Attributes } = await dynamo().send(
      new UpdateCommand({
        TableName: table(),
        Key: partnerKeys.partner(partnerId),
        UpdateExpression: endpoint === null ? 'SET updatedAt = :at REMOVE fhirEndpoint' : 'SET updatedAt = :at, fhirEndpoint = :endpoint',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':at': now.toISOString(), ...(endpoint === null ? {} : { ':endpoint': endpoint }) },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return toPartner(Attributes!);
  } catch (error) {
    if (isConditionFailure(error)) throw new PartnerNotFound();
    throw error;
  }
}

/** The FHIR endpoint a GP practice (by ODS code) takes discharge summaries at, if registered. */
export async function getPracticeEndpoint(odsCode: string): Promise<string | undefined> {
  const { Item } = await dynamo().send(
    new GetCommand({ TableName: table(), Key: { pk: `PRACTICE#${odsCode}`, sk: 'PRACTICE' }, ProjectionExpression: 'fhirEndpoint' }),
  );
  return typeof Item?.fhirEndpoint === 'string' ? Item.fhirEndpoint : undefined;
}

/** Registers (a URL) or removes (null) a GP practice's endpoint for discharge summaries. */
export async function setPracticeEndpoint(odsCode: string, fhirEndpoint: string | null, now: Date = new Date()): Promise<void> {
  const code = PracticeCodeSchema.parse(odsCode);
  const key = { pk: `PRACTICE#${code}`, sk: 'PRACTICE' };
  if (fhirEndpoint === null) {
    await dynamo().send(new DeleteCommand({ TableName: table(), Key: key }));
    return;
  }
  const endpoint = FhirEndpointSchema.parse(fhirEndpoint);
  await dynamo().send(
    new PutCommand({ TableName: table(), Item: { ...key, type: 'practice', odsCode: code, fhirEndpoint: endpoint, updatedAt: now.toISOString() } }),
  );
}

async function setPartnerStatus(
  partnerId: string,
  status: PartnerStatus,
  now: Date,
): Promise<'changed' | 'unchanged'> {
  if (!isPartnerId(partnerId)) throw new PartnerNotFound();
  const at = now.toISOString();
  try {
    await dynamo().send(
      new UpdateCommand({
        TableName: table(),
        Key: partnerKeys.partner(partnerId),
        UpdateExpression:
          status === 'suspended'
            ? 'SET #status = :status, updatedAt = :at, suspendedAt = :at'
            : 'SET #status = :status, updatedAt = :at REMOVE suspendedAt',
        ConditionExpression: 'attribute_exists(pk) AND #status <> :status',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':status': status, ':at': at },
      }),
    );
    return 'changed';
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    if (!(await getPartner(partnerId))) throw new PartnerNotFound();
    return 'unchanged';
  }
}

/** Suspends a partner: every credential of it is refused (403) until it is reinstated. */
export async function suspendPartner(
  partnerId: string,
  now: Date = new Date(),
): Promise<'suspended' | 'already_suspended'> {
  return (await setPartnerStatus(partnerId, 'suspended', now)) === 'changed' ? 'suspended' : 'already_suspended';
}

/** Makes a suspended partner active again (its unrevoked credentials work again). */
export async function reinstatePartner(
  partnerId: string,
  now: Date = new Date(),
): Promise<'reinstated' | 'already_active'> {
  return (await setPartnerStatus(partnerId, 'active', now)) === 'changed' ? 'reinstated' : 'already_active';
}

// ---------------------------------------------------------------------------------------------
// Credentials

/**
 * Issues a new credential for an existing partner and returns its token, once. Earlier
 * credentials stay valid until revoked (rotation: issue, switch over, revoke the old one).
 */
export async function issueCredential(
  partnerId: string,
  opts: { now?: Date; areaCode?: string } = {},
): Promise<IssuedCredential> {
  if (!isPartnerId(partnerId)) throw new PartnerNotFound();
  const createdAt = (opts.now ?? new Date()).toISOString();
  const areaCode = opts.areaCode ?? thisAreaCode();
  for (let attempt = 0; attempt < 3; attempt++) {
    const { credentialId, token, hash } = generateCredential({ areaCode, partnerId });
    const failed = await transact([
      {
        ConditionCheck: {
          TableName: table(),
          Key: partnerKeys.partner(partnerId),
          ConditionExpression: 'attribute_exists(pk)',
        },
      },
      {
        Put: {
          TableName: table(),
          Item: {
            ...partnerKeys.credential(partnerId, credentialId),
            type: 'credential',
            partnerId,
            credentialId,
            hash,
            createdAt,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    ]);
    if (failed < 0) return { partnerId, credentialId, token, createdAt };
    if (failed === 0) throw new PartnerNotFound();
    // A credential id collision (about 2^-82): draw another.
  }
  throw new Error('Could not issue a credential');
}

/** Revokes a credential; revoking it again changes nothing. */
export async function revokeCredential(
  partnerId: string,
  credentialId: string,
  now: Date = new Date(),
): Promise<'revoked' | 'already_revoked'> {
  if (!isPartnerId(partnerId)) throw new CredentialNotFound();
  try {
    await dynamo().send(
      new UpdateCommand({
        TableName: table(),
        Key: partnerKeys.credential(partnerId, credentialId),
        UpdateExpression: 'SET revokedAt = :at',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(revokedAt)',
        ExpressionAttributeValues: { ':at': now.toISOString() },
      }),
    );
    return 'revoked';
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    const { Item } = await dynamo().send(
      new GetCommand({
        TableName: table(),
        Key: partnerKeys.credential(partnerId, credentialId),
        ConsistentRead: true,
      }),
    );
    if (!Item) throw new CredentialNotFound();
    return 'already_revoked';
  }
}

/** A partner's credentials (ids and dates only), oldest first. */
export async function listCredentials(partnerId: string): Promise<StoredCredential[]> {
  if (!isPartnerId(partnerId)) return [];
  const items = await queryAll({
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': partnerKeys.pk(partnerId), ':prefix': 'CREDENTIAL#' },
    ConsistentRead: true,
  });
  return items.map(toCredential).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

/**
 * Checks a token: the partner it belongs to, or why it is refused. `invalid` is a 401
 * (malformed, unknown, wrong secret); `revoked`, `suspended` and `other_area` are 403s.
 * A successful check records `lastUsedAt` when it is more than an hour old.
 */
export async function verifyCredential(
  token: string,
  opts: { now?: Date; areaCode?: string } = {},
): Promise<Verification> {
  const screened = screenToken(token, opts.areaCode ?? thisAreaCode());
  if ('error' in screened) return screened;
  const [credentialItem, partnerItem] = await Promise.all([
    dynamo().send(
      new GetCommand({
        TableName: table(),
        Key: partnerKeys.credential(screened.partnerId, screened.credentialId),
        ConsistentRead: true,
      }),
    ),
    dynamo().send(
      new GetCommand({ TableName: table(), Key: partnerKeys.partner(screened.partnerId), ConsistentRead: true }),
    ),
  ]);
  const credential = credentialItem.Item as (CredentialRecord & { lastUsedAt?: string }) | undefined;
  const partner = partnerItem.Item as PartnerRecord | undefined;
  const verdict = decideCredential(token, screened, credential, partner);
  if (!('error' in verdict) && credential) {
    const now = opts.now ?? new Date();
    if (lastUsedIsStale(credential.lastUsedAt, now)) await recordUse(screened.partnerId, screened.credentialId, now);
  }
  return verdict;
}

/** Sets lastUsedAt, only when it is older than the resolution (concurrent checks write once). */
async function recordUse(partnerId: string, credentialId: string, now: Date): Promise<void> {
  try {
    await dynamo().send(
      new UpdateCommand({
        TableName: table(),
        Key: partnerKeys.credential(partnerId, credentialId),
        UpdateExpression: 'SET lastUsedAt = :now',
        ConditionExpression:
          'attribute_exists(pk) AND attribute_not_exists(revokedAt) AND (attribute_not_exists(lastUsedAt) OR lastUsedAt < :stale)',
        ExpressionAttributeValues: {
          ':now': now.toISOString(),
          ':stale': new Date(now.getTime() - LAST_USED_RESOLUTION_MS + 1).toISOString(),
        },
      }),
    );
  } catch (error) {
    // Bookkeeping only: a lost race or a throttle must not refuse a valid credential.
    if (!isConditionFailure(error)) logSafe('warn', 'credential use not recorded', errorFields(error));
  }
}
