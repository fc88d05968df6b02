import { createHmac } from 'node:crypto';
import { GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { requiredEnv } from './aws-clients.ts';

/**
 * The person index's keys: HMAC-SHA-256 keys held in the area's Secrets Manager secret (in AWS
 * a secret of the stack; locally the runtime's stand-in endpoint, backed by a file under
 * `.local/<area>/`). The secret is JSON: `{ "current": "k2", "k1": "<key>", "k2": "<key>" }`.
 * New index entries are written under `current`; lookups use every version still in the secret,
 * so a key can be rotated with no downtime (ops/person-index.ts: rotate, rebuild, retire).
 * Fetched at run time and cached for a few minutes, so a rotation reaches every function soon.
 */
export const PERSON_INDEX_SECRET_ENV = 'PERSON_INDEX_KEY_SECRET_ID';
const CACHE_MS = 5 * 60_000;
const VERSION = /^k[0-9]{1,6}$/;

export const KeyRingSchema = z
  .object({ current: z.string().regex(VERSION), next: z.string().regex(VERSION).optional(), nextAddedAt: z.iso.datetime().optional(), activatedAt: z.iso.datetime().optional() })
  .catchall(z.string())
  .refine((ring) => Object.entries(ring).every(([v, key]) => !VERSION.test(v) || key.length >= 32), 'every key must be at least 32 characters')
  .refine((ring) => typeof ring[ring.current] === 'string', 'the current key must be present')
  .refine((ring) => !ring.next || typeof ring[ring.next] === 'string', 'the next key must be present');

/**
 * A key is added as `next` first (read by every lookup, used by no write), and becomes
 * `current` only once every function has read it: so no two functions ever write one person
 * under keys the other cannot read (ops/person-index.ts: rotate, activate).
 */
export interface KeyRing {
  readonly current: string;
  /** Every version's key, current first. */
  readonly keys: ReadonlyMap<string, string>;
  readonly next?: string;
  readonly nextAddedAt?: string;
  readonly activatedAt?: string;
}

export function parseKeyRing(secretString: string): KeyRing {
  let json: unknown;
  try {
    json = JSON.parse(secretString);
  } catch {
    // JSON.parse's message quotes the text: never the key material.
    throw new Error('The person index key secret is not JSON');
  }
  const parsed = KeyRingSchema.safeParse(json);
  if (!parsed.success) throw new Error(`The person index key secret is not a key ring: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  const ring = parsed.data;
  const keys = new Map<string, string>([[ring.current, ring[ring.current]!]]);
  for (const [version, key] of Object.entries(ring)) if (VERSION.test(version) && version !== ring.current) keys.set(version, key);
  return { current: ring.current, keys, ...(ring.next ? { next: ring.next } : {}), ...(ring.nextAddedAt ? { nextAddedAt: ring.nextAddedAt } : {}), ...(ring.activatedAt ? { activatedAt: ring.activatedAt } : {}) };
}

export function serialiseKeyRing(ring: KeyRing): string {
  const { keys, ...rest } = ring;
  return JSON.stringify({ ...rest, ...Object.fromEntries(keys) });
}

let client: SecretsManagerClient | undefined;
let cached: { ring: KeyRing; until: number; secretId: string } | undefined;

function secrets(): SecretsManagerClient {
  client ??= new SecretsManagerClient({});
  return client;
}

export async function keyRing(): Promise<KeyRing> {
  const secretId = requiredEnv(PERSON_INDEX_SECRET_ENV);
  const now = performance.now();
  if (cached && cached.secretId === secretId && cached.until > now) return cached.ring;
  const { SecretString } = await secrets().send(new GetSecretValueCommand({ SecretId: secretId }));
  if (!SecretString) throw new Error('The person index key secret has no value');
  const ring = parseKeyRing(SecretString);
  cached = { ring, until: now + CACHE_MS, secretId };
  return ring;
}

/** Writes a new key ring (operators only: rotate and retire). */
export async function saveKeyRing(ring: KeyRing): Promise<void> {
  await secrets().send(new PutSecretValueCommand({ SecretId: requiredEnv(PERSON_INDEX_SECRET_ENV), SecretString: serialiseKeyRing(ring) }));
  forgetKeyRing();
}

/** Drops the cached ring and client (a test or command that changes the endpoint or the secret). */
export function forgetKeyRing(): void {
  cached = undefined;
  client?.destroy();
  client = undefined;
}

/** The keyed hash of one index key under one key version. */
export function keyedHash(key: string, material: string): string {
  return createHmac('sha256', Buffer.from(key, 'base64url')).update(material).digest('base64url');
}
