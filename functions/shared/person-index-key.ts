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
  .object({ current: z.string().regex(VERSION) })
  .catchall(z.string())
  .refine((ring) => typeof ring[ring.current] === 'string' && ring[ring.current]!.length >= 32, 'the current key must be present');

export interface KeyRing {
  readonly current: string;
  /** Every version's key, current first. */
  readonly keys: ReadonlyMap<string, string>;
}

export function parseKeyRing(secretString: string): KeyRing {
  const ring = KeyRingSchema.parse(JSON.parse(secretString));
  const keys = new Map<string, string>([[ring.current, ring[ring.current]!]]);
  for (const [version, key] of Object.entries(ring)) if (VERSION.test(version) && version !== ring.current) keys.set(version, key);
  return { current: ring.current, keys };
}

export function serialiseKeyRing(ring: KeyRing): string {
  return JSON.stringify({ current: ring.current, ...Object.fromEntries(ring.keys) });
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
