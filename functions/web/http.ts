import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { header } from '../shared/http.ts';
import type { SafeHtml } from './html.ts';

/** Edge helpers of the web pages: cookies, form bodies, HTML answers with security headers. */
export const MAX_FORM_BYTES = 32 * 1024;

/**
 * Content security policy: our own styles, scripts, fonts and images only; no inline script or
 * style, no framing, forms post only to this site. `formTargets` adds exact https origins a
 * form's answer may redirect to: browsers apply form-action to every redirect after a form post
 * (the coach workspace's sign-out ends at the identity provider's sign-out page).
 */
export function contentSecurityPolicy(formTargets: readonly string[] = []): string {
  for (const origin of formTargets) {
    if (!/^https:\/\/[a-z0-9.-]+(:\d+)?$/.test(origin)) throw new Error('form-action takes exact https origins only');
  }
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    ["form-action 'self'", ...formTargets].join(' '),
  ].join('; ');
}

export const CONTENT_SECURITY_POLICY = contentSecurityPolicy();

const SECURITY_HEADERS = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=()',
  // Pages carry personal data: never stored by the browser or a proxy.
  'Cache-Control': 'no-store',
} as const;

/**
 * Where the pages live under the API's public URL (e.g. `/live` for an API Gateway stage URL,
 * empty locally or behind a custom domain), from PUBLIC_API_URL.
 */
export function basePath(): string {
  const url = process.env.PUBLIC_API_URL;
  if (!url) return '';
  try {
    return new URL(url).pathname.replace(/\/+$/, '');
  } catch {
    return '';
  }
}

/** A site path with the base path in front: `href('/coach/tasks')`. */
export function href(path: string): string {
  return `${basePath()}${path}`;
}

export function cookies(event: Pick<APIGatewayProxyEvent, 'headers' | 'multiValueHeaders'>): Record<string, string> {
  // No prototype: a cookie named `constructor` or `__proto__` is an ordinary name.
  const out: Record<string, string> = Object.create(null);
  for (const part of (header(event, 'cookie') ?? '').split(/[;,]\s*/)) {
    const at = part.indexOf('=');
    if (at <= 0) continue;
    const name = part.slice(0, at).trim();
    if (!(name in out)) out[name] = part.slice(at + 1).trim();
  }
  return out;
}

export interface CookieOptions {
  /** Lax for a cookie that must survive the identity provider's redirect back; Strict otherwise. */
  readonly sameSite?: 'Strict' | 'Lax';
  /** Delete the cookie. Without it the cookie lasts the browser session; expiry is sealed inside. */
  readonly clear?: boolean;
}

export function setCookie(name: string, value: string, options: CookieOptions = {}): string {
  return [
    `${name}=${options.clear ? '' : value}`,
    `Path=${basePath() || '/'}`,
    'Secure',
    'HttpOnly',
    `SameSite=${options.sameSite ?? 'Strict'}`,
    ...(options.clear ? ['Max-Age=0'] : []),
  ].join('; ');
}

/** The urlencoded form body as field -> values (several for checkboxes); undefined if unreadable. */
export function readForm(
  event: Pick<APIGatewayProxyEvent, 'headers' | 'multiValueHeaders' | 'body' | 'isBase64Encoded'>,
): Record<string, string[]> | undefined {
  const type = (header(event, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') return undefined;
  const raw = event.body ?? '';
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  if (Buffer.byteLength(text) > MAX_FORM_BYTES) return undefined;
  // No prototype: a field named `constructor`, `toString` or `__proto__` is an ordinary field
  // (on a plain object it would find the inherited function, and pushing to it throws).
  const out: Record<string, string[]> = Object.create(null);
  for (const [key, value] of new URLSearchParams(text)) (out[key] ??= []).push(value);
  return out;
}

/** First value of a form field, or '' when absent. */
export function field(form: Record<string, string[]>, name: string): string {
  return form[name]?.[0] ?? '';
}

export function htmlPage(statusCode: number, body: SafeHtml, setCookies: readonly string[] = [], extra: Record<string, string> = {}): APIGatewayProxyResult {
  return {
    statusCode,
    headers: { 'Content-Type': 'text/html; charset=utf-8', ...SECURITY_HEADERS, ...extra },
    ...(setCookies.length ? { multiValueHeaders: { 'Set-Cookie': [...setCookies] } } : {}),
    body: `<!DOCTYPE html>\n${body.value}`,
  };
}

/** 303 See Other to a site path (after a POST: the browser GETs the next page), or to an absolute URL. */
export function redirect(path: string, setCookies: readonly string[] = []): APIGatewayProxyResult {
  return {
    statusCode: 303,
    headers: { Location: /^https:\/\//.test(path) ? path : href(path), ...SECURITY_HEADERS },
    ...(setCookies.length ? { multiValueHeaders: { 'Set-Cookie': [...setCookies] } } : {}),
    body: '',
  };
}

/** The client's address as API Gateway saw it (for the per-client limit; only ever hashed). */
export function clientAddress(event: Pick<APIGatewayProxyEvent, 'requestContext'>): string {
  return event.requestContext?.identity?.sourceIp ?? 'unknown';
}
