import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { z } from 'zod';
import { cookies, setCookie, type CookieOptions } from './http.ts';
import { peopleNow } from './people-time.ts';
import { derivedKey, randomId, seal, unseal } from './seal.ts';

/**
 * Sessions of the web pages, held by the browser in an encrypted cookie (seal.ts), so no
 * session table is needed: an id (for CSRF tokens), what the pages keep (the signed-in staff
 * member; the self-referral answers so far), and when it was made and last used. Time-outs
 * are checked here, on people's time (people-time.ts): idle for longer than `idleMs`, or older than
 * `maxAgeMs`, and the session is over. The cookie itself lasts only the browser session.
 */
export interface SessionSpec<T> {
  /** Cookie name, also the associated data of the seal. */
  readonly cookie: string;
  /** What the cookie carries besides the envelope. */
  readonly data: z.ZodType<T>;
  readonly idleMs: number;
  readonly maxAgeMs: number;
  readonly sameSite?: CookieOptions['sameSite'];
}

export interface Session<T> {
  readonly id: string;
  readonly createdAt: number;
  readonly data: T;
}

const Envelope = z.strictObject({
  id: z.string().min(16).max(64),
  createdAt: z.number().int(),
  lastSeenAt: z.number().int(),
  data: z.unknown(),
});

export type SessionRead<T> =
  | { readonly state: 'active'; readonly session: Session<T> }
  /** There was a session, but it timed out: the page says so. */
  | { readonly state: 'expired' }
  | { readonly state: 'none' };

export function sessionKey(): Buffer {
  return derivedKey('session');
}

/**
 * The largest cookie browsers must keep (RFC 6265 §6.1: name, value and attributes together).
 * A larger one may be dropped without a word, and with it everything the session held, so a
 * session that would not fit is refused here (`fitsInCookie`) and the page says so instead.
 */
export const COOKIE_MAX_BYTES = 4096;

/** Whether a Set-Cookie header is small enough for every browser to keep. */
export function fitsInCookie(setCookieHeader: string): boolean {
  return Buffer.byteLength(setCookieHeader, 'utf8') <= COOKIE_MAX_BYTES;
}

/** A sealed envelope is at most this big inflated: well above any cookie, a guard only. */
const MAX_INFLATED_BYTES = 64 * 1024;

/**
 * The envelope as sealed: JSON compressed with raw DEFLATE (answers in non-Latin scripts take 3
 * bytes a character in JSON, and repeat a lot), then base64url so the seal carries it as a JSON
 * string. Compression before encryption can leak through the length only when an attacker can
 * mix their text into the same cookie as a secret and watch its size: the form's answers are
 * the person's own, and every post needs the session's CSRF token.
 */
function packed(envelope: z.infer<typeof Envelope>): string {
  return deflateRawSync(Buffer.from(JSON.stringify(envelope), 'utf8')).toString('base64url');
}

function unpacked(value: unknown): unknown {
  if (typeof value !== 'string') return value; // sealed before compression: read as it is
  try {
    return JSON.parse(inflateRawSync(Buffer.from(value, 'base64url'), { maxOutputLength: MAX_INFLATED_BYTES }).toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

export function readSession<T>(spec: SessionSpec<T>, event: Pick<APIGatewayProxyEvent, 'headers' | 'multiValueHeaders'>, now = peopleNow()): SessionRead<T> {
  const raw = cookies(event)[spec.cookie];
  if (!raw) return { state: 'none' };
  const envelope = Envelope.safeParse(unpacked(unseal(raw, spec.cookie, sessionKey())));
  if (!envelope.success) return { state: 'none' };
  const { id, createdAt, lastSeenAt, data } = envelope.data;
  if (now - lastSeenAt > spec.idleMs || now - createdAt > spec.maxAgeMs) return { state: 'expired' };
  const parsed = spec.data.safeParse(data);
  if (!parsed.success) return { state: 'none' };
  return { state: 'active', session: { id, createdAt, data: parsed.data } };
}

export function newSession<T>(data: T, now = peopleNow()): Session<T> {
  return { id: randomId(), createdAt: now, data };
}

/** The Set-Cookie header keeping `session` (its last use now); see `fitsInCookie` for its size. */
export function sessionCookie<T>(spec: SessionSpec<T>, session: Session<T>, now = peopleNow()): string {
  const sealed = seal(packed({ id: session.id, createdAt: session.createdAt, lastSeenAt: now, data: session.data }), spec.cookie, sessionKey());
  return setCookie(spec.cookie, sealed, { sameSite: spec.sameSite ?? 'Strict' });
}

export function clearSessionCookie(spec: Pick<SessionSpec<unknown>, 'cookie' | 'sameSite'>): string {
  return setCookie(spec.cookie, '', { clear: true, sameSite: spec.sameSite ?? 'Strict' });
}
