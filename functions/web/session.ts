import type { APIGatewayProxyEvent } from 'aws-lambda';
import { z } from 'zod';
import { cookies, setCookie, type CookieOptions } from './http.ts';
import { derivedKey, randomId, seal, unseal } from './seal.ts';

/**
 * Sessions of the web pages, held by the browser in an encrypted cookie (seal.ts), so no
 * session table is needed: an id (for CSRF tokens), what the pages keep (the signed-in staff
 * member; the self-referral answers so far), and when it was made and last used. Time-outs
 * are checked here, on the server's clock: idle for longer than `idleMs`, or older than
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

export function readSession<T>(spec: SessionSpec<T>, event: Pick<APIGatewayProxyEvent, 'headers' | 'multiValueHeaders'>, now = Date.now()): SessionRead<T> {
  const raw = cookies(event)[spec.cookie];
  if (!raw) return { state: 'none' };
  const envelope = Envelope.safeParse(unseal(raw, spec.cookie, sessionKey()));
  if (!envelope.success) return { state: 'none' };
  const { id, createdAt, lastSeenAt, data } = envelope.data;
  if (now - lastSeenAt > spec.idleMs || now - createdAt > spec.maxAgeMs) return { state: 'expired' };
  const parsed = spec.data.safeParse(data);
  if (!parsed.success) return { state: 'none' };
  return { state: 'active', session: { id, createdAt, data: parsed.data } };
}

export function newSession<T>(data: T, now = Date.now()): Session<T> {
  return { id: randomId(), createdAt: now, data };
}

/** The Set-Cookie header keeping `session` (its last use now). */
export function sessionCookie<T>(spec: SessionSpec<T>, session: Session<T>, now = Date.now()): string {
  const sealed = seal({ id: session.id, createdAt: session.createdAt, lastSeenAt: now, data: session.data }, spec.cookie, sessionKey());
  return setCookie(spec.cookie, sealed, { sameSite: spec.sameSite ?? 'Strict' });
}

export function clearSessionCookie(spec: Pick<SessionSpec<unknown>, 'cookie' | 'sameSite'>): string {
  return setCookie(spec.cookie, '', { clear: true, sameSite: spec.sameSite ?? 'Strict' });
}
