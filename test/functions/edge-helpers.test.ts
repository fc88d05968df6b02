import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { attemptsLeft, errorCode, retentionExpiry, stageEffect, taskStatus, triageStatus } from '../../functions/domain/stages.ts';
import { header, isJsonContentType, readJsonBody } from '../../functions/shared/http.ts';
import { fieldErrors, jsonPointer, problem } from '../../functions/shared/problem.ts';
import { safeFields } from '../../functions/shared/observability.ts';
import { dateInTimeZone, hoursToSeconds } from '../../functions/shared/workflow.ts';

describe('http and problem helpers', () => {
  it('finds headers whatever their case', () => {
    const event = { headers: { 'CONTENT-TYPE': 'application/json' }, multiValueHeaders: { 'X-Other': ['a', 'b'] } };
    expect(header(event, 'content-type')).toBe('application/json');
    expect(header(event, 'x-other')).toBe('a, b');
    expect(header(event, 'missing')).toBeUndefined();
  });

  it('accepts only application/json (UTF-8)', () => {
    expect(isJsonContentType('application/json')).toBe(true);
    expect(isJsonContentType('Application/JSON ; Charset=UTF-8')).toBe(true);
    expect(isJsonContentType('application/json; charset=iso-8859-1')).toBe(false);
    expect(isJsonContentType('application/problem+json')).toBe(false);
    expect(isJsonContentType(undefined)).toBe(false);
  });

  it('measures base64 bodies after decoding', () => {
    const body = Buffer.from(JSON.stringify({ a: 'x'.repeat(100) })).toString('base64');
    const event = { headers: { 'content-type': 'application/json' }, multiValueHeaders: {}, body, isBase64Encoded: true };
    expect(readJsonBody(event, 200)).toEqual({ ok: true, value: { a: 'x'.repeat(100) } });
    expect(readJsonBody(event, 50)).toMatchObject({ ok: false, response: { statusCode: 413 } });
  });

  it('builds RFC 9457 bodies and RFC 6901 pointers', () => {
    const res = problem(404, 'Not Found', 'No such resource.');
    expect(res.headers?.['Content-Type']).toBe('application/problem+json');
    expect(JSON.parse(res.body)).toEqual({ type: 'about:blank', title: 'Not Found', status: 404, detail: 'No such resource.' });
    expect(jsonPointer(['a/b', 'c~d', 0])).toBe('/a~1b/c~0d/0');
  });

  it('reports unrecognised keys without echoing odd key names', () => {
    const schema = z.strictObject({ inner: z.strictObject({ n: z.number() }) });
    const parsed = schema.safeParse({ inner: { n: 'seven', extra: 1, 'Alex Example 1985-06-15': 2 } });
    expect(parsed.success).toBe(false);
    const errors = fieldErrors(parsed.error!);
    expect(errors.map((e) => e.pointer)).toEqual(['/inner/n', '/inner/extra', '/inner']);
    expect(JSON.stringify(errors)).not.toMatch(/seven|Alex/);
  });

  it('keeps only ids and codes in log fields', () => {
    expect(safeFields({ referralId: 'abc-123', status: 'Alex Example', attempt: 2, ...{ name: 'Alex' } } as never)).toEqual({
      referralId: 'abc-123',
      status: '[redacted]',
      attempt: 2,
    });
  });
});

describe('stage rules', () => {
  it('maps stages, outcomes and task types to statuses', () => {
    expect(stageEffect('declined')).toMatchObject({ status: 'withdrawn', closes: true });
    expect(stageEffect('engaged')).toMatchObject({ status: 'engaged', closes: false });
    expect(stageEffect('needs_attention').journeyStage).toBeUndefined();
    expect(triageStatus('eligible')).toBe('triaged_eligible');
    expect(taskStatus('needs_review')).toEqual({ status: 'needs_review', journeyStage: 'review' });
    expect([attemptsLeft(2, 3), attemptsLeft(3, 3)]).toEqual([true, false]);
    expect([errorCode('States.Timeout'), errorCode('oops: Alex'), errorCode(undefined)]).toEqual([
      'States.Timeout',
      'unrecognised_error',
      undefined,
    ]);
  });

  it('computes retention expiry in calendar years', () => {
    expect(retentionExpiry(new Date('2026-03-01T12:00:00Z'), 8)).toBe(Date.parse('2034-03-01T12:00:00Z') / 1000);
  });

  it("takes today's date in the area's time zone and whole seconds from hours", () => {
    expect(dateInTimeZone(new Date('2026-06-30T23:30:00Z'), 'Europe/London')).toBe('2026-07-01');
    expect(dateInTimeZone(new Date('2026-12-31T23:30:00Z'), 'Europe/London')).toBe('2026-12-31');
    expect(hoursToSeconds(1.5)).toBe(5400);
  });
});
