import { journeyAliasName } from '../../infra/journey-state-machine.ts';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler as intake } from '../../functions/handlers/intake.ts';
import { handler as referralStatus } from '../../functions/handlers/referral-status.ts';
import { handler as triage } from '../../functions/handlers/triage.ts';
import { handler as fhirIntake } from '../../functions/handlers/fhir-intake.ts';
import { getReferral, listTimeline } from '../../functions/shared/referral-store.ts';
import { journeysTable, tableName } from '../../functions/shared/tables.ts';
import { referralForNewPerson, validReferral } from '../fixtures/referrals.ts';
import { startTestDatabase, TEST_AREA, type TestDatabase, setHandlerEnvironment } from '../support/dynamodb-local.ts';
import { apiEvent, lambdaContext } from '../support/events.ts';
import { startHoldingStateMachine, type LocalSfnEndpoint } from '../support/step-functions.ts';

const stateMachineArn = `arn:aws:states:eu-west-2:000000000000:stateMachine:WorkWell-${TEST_AREA}-journey`;
// Intake starts journeys through the alias (functions/shared/journey-start.ts).
const aliasArn = `${stateMachineArn}:${journeyAliasName}`;
let db: TestDatabase;
let sfn: LocalSfnEndpoint;
let logged: string[] = [];

beforeAll(async () => {
  [db, sfn] = await Promise.all([startTestDatabase(), startHoldingStateMachine(stateMachineArn)]);
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
  setHandlerEnvironment({ dynamoEndpoint: db.endpoint, sfnEndpoint: sfn.endpoint, stateMachineArn });
});
afterAll(async () => {
  await Promise.all([db?.stop(), sfn?.stop()]);
});

// Capture what the handlers log (Powertools writes JSON lines to stdout).
beforeEach(() => {
  logged = [];
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream) as (c: string | Uint8Array, ...r: unknown[]) => boolean;
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      if (text.startsWith('{')) {
        logged.push(text);
        return true;
      }
      return write(chunk, ...rest);
    });
  }
});
afterEach(() => {
  vi.restoreAllMocks();
  process.env.JOURNEY_ALIAS_ARN = aliasArn;
});

const personalValues = ['Alex', 'Example Manufacturing', 'S1 2HE', '9434765919', 'alex.example@example.com', '07700 900123', '1985-06-15'];

async function post(body: string, headers: Record<string, string> = { 'Content-Type': 'application/json' }) {
  return (await intake(apiEvent({ method: 'POST', path: '/v1/referrals', body, headers }), lambdaContext('intake'))) as APIGatewayProxyResult;
}

async function getStatus(referralId: string) {
  return (await referralStatus(
    apiEvent({
      method: 'GET',
      path: `/v1/referrals/${referralId}`,
      resource: '/v1/referrals/{referralId}',
      pathParameters: { referralId },
    }),
    lambdaContext('referral-status'),
  )) as APIGatewayProxyResult;
}

/** Stored items, not counting the partners' rate-limit counters (a new minute makes a new one). */
async function itemCount(): Promise<number> {
  const out = await db.client.send(
    new ScanCommand({
      TableName: tableName(TEST_AREA, journeysTable),
      Select: 'COUNT',
      FilterExpression: 'attribute_not_exists(#type) OR #type <> :rate',
      ExpressionAttributeNames: { '#type': 'type' },
      ExpressionAttributeValues: { ':rate': { S: 'rate' } },
    }),
  );
  return out.Count ?? 0;
}

function headerOf(res: APIGatewayProxyResult, name: string): string | undefined {
  const found = Object.entries(res.headers ?? {}).find(([k]) => k.toLowerCase() === name.toLowerCase());
  return found === undefined ? undefined : String(found[1]);
}

describe('POST /v1/referrals (intake)', () => {
  it('stores a valid referral, starts its journey and answers 202', async () => {
    const res = await post(JSON.stringify(validReferral()), { 'content-type': 'Application/JSON; charset=UTF-8' });
    expect(res.statusCode).toBe(202);
    const body = JSON.parse(res.body) as { referralId: string; status: string; links: { self: string } };
    expect(body.referralId).toMatch(/^[0-9a-f-]{36}$/);
    expect(body).toEqual({
      referralId: body.referralId,
      reference: expect.stringMatching(/^SY-[0-9A-HJKMNP-TV-Y]{4}-[0-9A-HJKMNP-TV-Y]{4}$/),
      status: 'received',
      links: { self: `/v1/referrals/${body.referralId}` },
    });
    expect(headerOf(res, 'location')).toBe(`/v1/referrals/${body.referralId}`);

    const stored = await getReferral(body.referralId);
    expect(stored).toMatchObject({
      referralId: body.referralId,
      status: 'received',
      stage: 'intake',
      source: 'gp',
      referrerOrganisation: 'Example Medical Centre',
      referrerOdsCode: 'C88001',
    });
    expect(stored?.referral.participant.postcode).toBe('S1 2HE');
    expect((await listTimeline(body.referralId)).map((e) => e.event)).toEqual(['received']);

    const started = sfn.engine.describeExecution(`${stateMachineArn.replace(':stateMachine:', ':execution:')}:${body.referralId}`);
    expect(started).toMatchObject({ status: 'RUNNING', name: body.referralId, input: { referralId: body.referralId } });

    const logs = logged.join('\n');
    expect(logs).toContain(body.referralId);
    for (const value of personalValues) expect(logs).not.toContain(value);
  });

  it('answers 400 with one pointer per invalid field, echoes no values and stores nothing', async () => {
    const before = await itemCount();
    const referral = validReferral({
      participant: { nhsNumber: '9434765918', postcode: 'NOWHERE 123', email: 'alex-at-nowhere' },
      consent: { given: false as unknown as true },
    }) as Record<string, unknown>;
    (referral.participant as Record<string, unknown>).favouriteColour = 'ultraviolet-secret';
    const res = await post(JSON.stringify(referral));

    expect(res.statusCode).toBe(400);
    expect(headerOf(res, 'content-type')).toBe('application/problem+json');
    const problem = JSON.parse(res.body) as { status: number; title: string; errors: { pointer: string; detail: string }[] };
    expect(problem).toMatchObject({ type: 'about:blank', status: 400, title: 'Bad Request' });
    expect(problem.errors.map((e) => e.pointer).sort()).toEqual(
      ['/consent/given', '/participant/email', '/participant/favouriteColour', '/participant/nhsNumber', '/participant/postcode'].sort(),
    );
    for (const error of problem.errors) expect(error.detail.length).toBeGreaterThan(0);
    for (const value of ['9434765918', 'NOWHERE', 'alex-at-nowhere', 'ultraviolet-secret', 'Alex']) {
      expect(res.body).not.toContain(value);
      expect(logged.join('\n')).not.toContain(value);
    }
    expect(await itemCount()).toBe(before);
  });

  it('answers 400 for a missing required field with its pointer', async () => {
    const res = await post(JSON.stringify(validReferral({ participant: { dateOfBirth: undefined } })));
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body).errors).toEqual([{ pointer: '/participant/dateOfBirth', detail: expect.any(String) }]);
  });

  it('answers 415 when the body is not declared as application/json, storing nothing', async () => {
    const before = await itemCount();
    const cases: Record<string, string>[] = [
      { 'Content-Type': 'text/plain' },
      {},
      { 'content-type': 'application/json; charset=latin1' },
    ];
    for (const headers of cases) {
      const res = await post(JSON.stringify(validReferral()), headers);
      expect(res.statusCode).toBe(415);
      expect(headerOf(res, 'content-type')).toBe('application/problem+json');
      expect(JSON.parse(res.body)).toMatchObject({ status: 415, title: 'Unsupported Media Type' });
    }
    expect(await itemCount()).toBe(before);
  });

  it('answers 413 for a body over 64 KiB, storing nothing', async () => {
    const before = await itemCount();
    const big = JSON.stringify(validReferral({ health: { details: 'x'.repeat(70 * 1024) } }));
    const res = await post(big);
    expect(res.statusCode).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ status: 413 });
    expect(await itemCount()).toBe(before);
  });

  it('answers 400 for malformed JSON, storing nothing', async () => {
    const before = await itemCount();
    const res = await post('{"source": "gp", "participant": {"givenName": "Alex"');
    expect(res.statusCode).toBe(400);
    const problem = JSON.parse(res.body) as { detail: string; errors?: unknown };
    expect(problem.detail).toMatch(/not valid JSON/);
    expect(problem.errors).toBeUndefined();
    expect(res.body).not.toContain('Alex');
    expect(await itemCount()).toBe(before);
  });

  it('keeps the referral (needs_attention) and answers 503 when the journey cannot start', async () => {
    // A state machine the endpoint does not know: the real service answers StateMachineDoesNotExist.
    process.env.JOURNEY_ALIAS_ARN = aliasArn.replace(/journey:/, 'missing:');
    const body = JSON.stringify(referralForNewPerson());
    const res = await post(body);
    expect(res.statusCode).toBe(503);
    expect(headerOf(res, 'content-type')).toBe('application/problem+json');
    expect(headerOf(res, 'retry-after')).toBeDefined();
    const problem = JSON.parse(res.body) as { referralId: string; status: number };
    expect(problem.status).toBe(503);
    const stored = await getReferral(problem.referralId);
    expect(stored?.status).toBe('needs_attention');
    const timeline = await listTimeline(problem.referralId);
    expect(timeline.map((e) => e.event)).toEqual(['received', 'journey_start_failed']);
    expect(timeline[1]?.error).toBe('StateMachineDoesNotExist');
    const logs = logged.join('\n');
    expect(logs).toContain('"errorName":"StateMachineDoesNotExist"');
    for (const value of personalValues) expect(logs).not.toContain(value);

    // The partner's retry finds the stored referral and starts its journey: nothing lost, no second referral.
    process.env.JOURNEY_ALIAS_ARN = aliasArn;
    const retry = await post(body);
    expect(retry.statusCode).toBe(202);
    expect(JSON.parse(retry.body).referralId).toBe(problem.referralId);
    expect(sfn.engine.describeExecution(`${stateMachineArn.replace(':stateMachine:', ':execution:')}:${problem.referralId}`).status).toBe('RUNNING');
  });
});

describe('GET /v1/referrals/{referralId} (referral-status)', () => {
  it('answers 200 with status, stage and timeline events only', async () => {
    const created = JSON.parse((await post(JSON.stringify(validReferral()))).body) as { referralId: string };
    const res = await getStatus(created.referralId);
    expect(res.statusCode).toBe(200);
    const body = JSON.parse(res.body) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['progress', 'receivedAt', 'reference', 'referralId', 'stage', 'status', 'timeline', 'updatedAt']);
    expect(body.progress).toBe('received');
    expect(body).toMatchObject({ referralId: created.referralId, status: 'received', stage: 'intake' });
    expect(body.timeline).toEqual([{ at: body.receivedAt, event: 'received', description: 'Referral received' }]);
    for (const value of [...personalValues, 'musculoskeletal', 'Example Medical Centre']) expect(res.body).not.toContain(value);
  });

  it('says why a referral is not eligible, in a code and words, with the signposting', async () => {
    const outside = referralForNewPerson({ participant: { postcode: 'TR1 1AA', gpPracticeCode: undefined } });
    const created = JSON.parse((await post(JSON.stringify(outside))).body) as { referralId: string; reference: string };
    await triage({ referralId: created.referralId }, lambdaContext('triage'));
    const body = JSON.parse((await getStatus(created.referralId)).body) as Record<string, unknown>;
    expect(body).toMatchObject({
      reference: created.reference,
      status: 'not_eligible',
      notEligibleReason: { code: 'outside_area', description: 'The person does not live in the area and is not registered with a GP practice in it.' },
      signposting: expect.arrayContaining([expect.objectContaining({ name: expect.any(String), url: expect.any(String) })]),
    });
    expect(body.timeline).toContainEqual(expect.objectContaining({ event: 'triaged', description: 'Eligibility checked: the person is not eligible' }));

    // The same as a FHIR ServiceRequest: revoked, with the reason and signposting in extensions.
    const fhir = (await fhirIntake(
      apiEvent({
        method: 'GET',
        path: `/v1/fhir/ServiceRequest/${created.referralId}`,
        resource: '/v1/fhir/ServiceRequest/{referralId}',
        pathParameters: { referralId: created.referralId },
      }),
      lambdaContext('fhir-intake'),
    )) as APIGatewayProxyResult;
    expect(fhir.statusCode).toBe(200);
    const sr = JSON.parse(fhir.body) as { status: string; identifier: { value: string }[]; extension: { url: string; valueCodeableConcept?: { coding: { code: string }[]; text: string } }[] };
    expect(sr.status).toBe('revoked');
    expect(sr.identifier.map((i) => i.value)).toContain(created.reference);
    const reason = sr.extension.find((e) => e.url.endsWith('Extension-WorkWell-NotEligibleReason'));
    expect(reason?.valueCodeableConcept).toMatchObject({ coding: [{ code: 'outside_area' }], text: expect.stringContaining('does not live in the area') });
    expect(sr.extension.filter((e) => e.url.endsWith('Extension-WorkWell-Signposting')).length).toBeGreaterThan(0);
  });

  it('answers 404 problem for unknown and malformed ids', async () => {
    for (const id of ['6f1c1f7e-0000-4000-8000-000000000000', 'not-a-referral-id', '']) {
      const res = await getStatus(id);
      expect(res.statusCode).toBe(404);
      expect(headerOf(res, 'content-type')).toBe('application/problem+json');
      expect(JSON.parse(res.body)).toMatchObject({ status: 404, title: 'Not Found' });
    }
  });

  it('answers a bare 500 problem when something unexpected fails', async () => {
    const table = process.env.JOURNEYS_TABLE;
    process.env.JOURNEYS_TABLE = 'no-such-table';
    try {
      const res = await getStatus('6f1c1f7e-0000-4000-8000-000000000000');
      expect(res.statusCode).toBe(500);
      expect(JSON.parse(res.body)).toEqual({ type: 'about:blank', title: 'Internal Server Error', status: 500, detail: 'internal error' });
      expect(res.body).not.toMatch(/at |no-such-table|ResourceNotFound/);
    } finally {
      process.env.JOURNEYS_TABLE = table;
    }
  });
});
