import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadArea } from '../../areas/index.ts';
import { FirstContactResult } from '../../functions/domain/task-results.ts';
import { fieldOfPointer, localTimeToIso, taskForms } from '../../functions/web/coach/task-forms.ts';
import { csrfToken, validCsrf } from '../../functions/web/csrf.ts';
import { escapeHtml, html } from '../../functions/web/html.ts';
import { CONTENT_SECURITY_POLICY, cookies, field, readForm, setCookie } from '../../functions/web/http.ts';
import { derivedKey, seal, unseal } from '../../functions/web/seal.ts';
import { newSession, readSession, sessionCookie, type SessionSpec } from '../../functions/web/session.ts';

/** Escaping, sealed cookies, CSRF tokens, time-outs and the task forms, without a browser. */
beforeAll(() => {
  process.env.PROVIDER_KEY_SECRET = 'test-secret-for-web-pages-0123456789';
  delete process.env.PUBLIC_API_URL;
});

describe('HTML escaping', () => {
  it('escapes every interpolated value unless it is markup already', () => {
    const hostile = `<script>alert("x")</script>' onload='`;
    expect(html`<p title="${hostile}">${hostile}</p>`.value).not.toMatch(/<script|"x"|' onload/);
    expect(escapeHtml(`&<>"'\``)).toBe('&amp;&lt;&gt;&quot;&#39;&#96;');
    expect(html`<div>${html`<b>${'<i>'}</b>`}</div>`.value).toBe('<div><b>&lt;i&gt;</b></div>');
  });
});

describe('forms and cookies as sent', () => {
  it('reads fields and cookies named like Object.prototype members as ordinary names', () => {
    const body = 'constructor=a&toString=b&__proto__=c&hasOwnProperty=d&postcode=S1+2HE&postcode=S2';
    const form = readForm({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, multiValueHeaders: {}, body, isBase64Encoded: false })!;
    expect(form.constructor).toEqual(['a']);
    expect(field(form, 'toString')).toBe('b');
    expect(field(form, '__proto__')).toBe('c');
    expect(form.postcode).toEqual(['S1 2HE', 'S2']);
    expect(field(form, 'valueOf')).toBe('');
    const jar = cookies({ headers: { cookie: 'constructor=1; __proto__=2; session=3' }, multiValueHeaders: {} });
    expect([jar.constructor, jar.__proto__, jar.session]).toEqual(['1', '2', '3']);
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });
});

describe('sealed cookies and sessions', () => {
  const spec: SessionSpec<{ staffId?: string }> = { cookie: 'test_session', data: z.strictObject({ staffId: z.string().optional() }), idleMs: 1000, maxAgeMs: 5000 };
  const event = (cookie: string) => ({ headers: { Cookie: cookie }, multiValueHeaders: {} });
  const valueOf = (setCookieHeader: string) => setCookieHeader.split(';')[0]!;

  it('cannot be read, altered or moved to another cookie name', () => {
    const key = derivedKey('session');
    const sealed = seal({ staffId: 'coach-1' }, 'test_session', key);
    expect(sealed).not.toContain('coach-1');
    expect(unseal(sealed, 'test_session', key)).toEqual({ staffId: 'coach-1' });
    expect(unseal(sealed, 'other_cookie', key)).toBeUndefined();
    const flipped = Buffer.from(sealed, 'base64url');
    flipped[20] = flipped[20]! ^ 1;
    expect(unseal(flipped.toString('base64url'), 'test_session', key)).toBeUndefined();
    expect(unseal(sealed, 'test_session', derivedKey('session', 'another secret'))).toBeUndefined();
  });

  it('times out when idle or too old, on the server’s clock', () => {
    const session = newSession({ staffId: 'coach-1' }, 0);
    const cookie = valueOf(sessionCookie(spec, session, 0));
    expect(readSession(spec, event(cookie), 999)).toMatchObject({ state: 'active', session: { data: { staffId: 'coach-1' } } });
    expect(readSession(spec, event(cookie), 1001)).toEqual({ state: 'expired' });
    const refreshed = valueOf(sessionCookie(spec, session, 4500));
    expect(readSession(spec, event(refreshed), 5001)).toEqual({ state: 'expired' });
    expect(readSession(spec, event('test_session=garbage'), 0)).toEqual({ state: 'none' });
  });

  it('is Secure, HttpOnly and SameSite, and lasts only the browser session', () => {
    const header = setCookie('name', 'value');
    expect(header).toMatch(/; Secure; HttpOnly; SameSite=Strict$/);
    expect(header).not.toMatch(/Expires|Max-Age/);
    expect(setCookie('name', '', { clear: true })).toContain('Max-Age=0');
  });
});

describe('CSRF tokens', () => {
  it('are bound to the session and checked in constant time', () => {
    const key = derivedKey('session');
    const token = csrfToken('session-a', key);
    expect(validCsrf('session-a', token, key)).toBe(true);
    expect(validCsrf('session-b', token, key)).toBe(false);
    expect(validCsrf('session-a', '', key)).toBe(false);
    expect(validCsrf('session-a', undefined, key)).toBe(false);
  });

  it('come with a policy that allows no inline script, framing or foreign form posts', () => {
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
    expect(CONTENT_SECURITY_POLICY).toContain("form-action 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline');
  });
});

describe('task forms', () => {
  const area = loadArea('south-yorkshire');

  it('read a first contact into the answer the task API takes', () => {
    const form = { outcome: ['engaged'], channel: ['phone'], 'contactedOn-day': ['5'], 'contactedOn-month': ['1'], 'contactedOn-year': ['2026'], contactedTime: ['9:30'] };
    const { result, errors } = taskForms.first_contact.read(form, area, '2026-01-05');
    expect(errors).toEqual([]);
    expect(FirstContactResult.parse(result)).toEqual({ outcome: 'engaged', channel: 'phone', contactedAt: '2026-01-05T09:30:00.000Z' });
    expect(taskForms.first_contact.read({}, area, '2026-01-05').errors.map((e) => e.field)).toEqual(['outcome', 'channel', 'contactedOn', 'contactedTime']);
  });

  it('keep the area’s measures in range, and map API pointers to fields', () => {
    const { errors } = taskForms.assessment.read({ goals: ['Return to work'], employerConversation: ['no'], employmentStatus: ['unemployed'], 'baseline.phq9': ['28'] }, area, '2026-01-05');
    expect(errors.map((e) => e.field)).toEqual(expect.arrayContaining(['baseline.wsas', 'baseline.phq9']));
    expect(fieldOfPointer('/baseline/wsas')).toBe('baseline.wsas');
    expect(fieldOfPointer('/onwardReferrals/0')).toBe('onwardReferrals');
  });

  it('turn a wall-clock time into an instant in the area’s time zone', () => {
    expect(localTimeToIso('2026-07-01', '09:00', 'Europe/London')).toBe('2026-07-01T08:00:00.000Z');
    expect(localTimeToIso('2026-01-05', '09:00', 'Europe/London')).toBe('2026-01-05T09:00:00.000Z');
  });
});
