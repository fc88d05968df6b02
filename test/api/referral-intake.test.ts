import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryPartition, getReferral, listTimeline } from '../../functions/shared/referral-store.ts';
import { referralForNewPerson } from '../fixtures/referrals.ts';
import { JourneyDriver, results } from '../support/journey.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';

/**
 * The partner API over real HTTP on the local runtime: idempotent intake, one journey per
 * person, each partner seeing only its own referrals, and cancellation.
 */
let rt: TestRuntime;
let j: JourneyDriver;

beforeAll(async () => {
  rt = await startTestRuntime('south-yorkshire');
  j = new JourneyDriver(rt);
});
afterAll(async () => {
  await rt?.stop();
});

const post = (body: unknown, headers: Record<string, string> = {}, partner = 0) =>
  fetch(`${rt.gatewayUrl}/v1/referrals`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...rt.auth(partner), ...headers },
    body: JSON.stringify(body),
  });
const idOf = async (res: Response) => ((await res.json()) as { referralId: string }).referralId;
const executions = () => rt.engine.listExecutions().length;

describe('Idempotency-Key', () => {
  it('replays the first answer for the same key and body, and starts one journey', async () => {
    const body = referralForNewPerson();
    const before = executions();
    const first = await post(body, { 'Idempotency-Key': 'retry-1' });
    const again = await post(body, { 'Idempotency-Key': 'retry-1' });
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(await idOf(again)).toBe(await idOf(first));
    await rt.engine.idle();
    expect(executions()).toBe(before + 1);
  });

  it('refuses the same key with a different body (422), storing nothing', async () => {
    const body = referralForNewPerson();
    expect((await post(body, { 'Idempotency-Key': 'retry-2' })).status).toBe(202);
    const before = executions();
    const other = await post(referralForNewPerson(), { 'Idempotency-Key': 'retry-2' });
    expect(other.status).toBe(422);
    expect(other.headers.get('content-type')).toContain('application/problem+json');
    expect(executions()).toBe(before);
  });

  it('concurrent duplicate posts give one referral and one journey', async () => {
    const body = referralForNewPerson();
    const before = executions();
    const answers = await Promise.all(Array.from({ length: 8 }, () => post(body, { 'Idempotency-Key': 'burst-1' })));
    const accepted = answers.filter((a) => a.status === 202);
    // Requests that met the first still in progress are told to retry (409), never duplicated.
    expect(answers.every((a) => a.status === 202 || a.status === 409)).toBe(true);
    expect(new Set(await Promise.all(accepted.map(idOf))).size).toBe(1);
    await rt.engine.idle();
    expect(executions()).toBe(before + 1);
  });

  it('without a key, the same referral resent by the same partner is recognised', async () => {
    const body = referralForNewPerson();
    const first = await idOf(await post(body));
    expect(await idOf(await post(body))).toBe(first);
  });

  it('rejects a malformed key', async () => {
    expect((await post(referralForNewPerson(), { 'Idempotency-Key': 'has space' })).status).toBe(400);
  });
});

describe('one journey per person', () => {
  it('links a second partner referral for someone on an open journey, and tells the coach', async () => {
    const person = referralForNewPerson();
    const open = await idOf(await post(person, {}, 0));
    await rt.engine.idle();
    const before = executions();
    // Same person, another partner, different wording of the details.
    const second = await post(
      { ...person, source: 'employer', referrer: { organisation: 'Example Employer Ltd' }, participant: { ...person.participant, givenName: ` ${person.participant.givenName.toUpperCase()} ` } },
      {},
      1,
    );
    expect(second.status).toBe(202);
    const body = (await second.json()) as { referralId: string; status: string };
    // The answer says nothing about the other partner's referral.
    expect(body.status).toBe('received');
    expect(body.referralId).not.toBe(open);
    expect(JSON.stringify(body)).not.toContain(open);
    await rt.engine.idle();
    expect(executions()).toBe(before);
    expect(await getReferral(body.referralId)).toMatchObject({ status: 'linked', linkedTo: open });
    expect((await listTimeline(open)).map((e) => e.event)).toContain('duplicate_referral_linked');
    const notifications = (await queryPartition(open, 'NOTIFICATION#')).filter((n) => n.template === 'duplicate_referral_linked');
    expect(notifications).toHaveLength(1);
    expect(JSON.stringify(notifications[0])).not.toContain(person.participant.familyName);
  });

  it('a partner resending its referral with corrections gets the same referral back', async () => {
    const person = referralForNewPerson();
    const first = await idOf(await post(person));
    const corrected = await post({ ...person, participant: { ...person.participant, phone: '07700 900123' } });
    expect(corrected.status).toBe(202);
    expect(await idOf(corrected)).toBe(first);
  });

  it("a self-referral service's second submission for someone it referred is a new linked referral, not the first one's reference", async () => {
    const selfReferralService = 4;
    expect(rt.partners[selfReferralService]).toMatchObject({ organisationType: 'self_referral_service' });
    const person = referralForNewPerson({ source: 'self', referrer: { organisation: 'WorkWell self-referral form' } });
    const first = await idOf(await post(person, {}, selfReferralService));
    await rt.engine.idle();
    // Someone else typing the same name, date of birth and postcode, with their own contact details.
    const other = await post({ ...person, participant: { ...person.participant, email: 'someone.else@example.com' } }, {}, selfReferralService);
    expect(other.status).toBe(202);
    const body = (await other.json()) as { referralId: string; status: string };
    expect(body).toMatchObject({ status: 'received' });
    expect(body.referralId).not.toBe(first);
    expect(JSON.stringify(body)).not.toContain(first);
    const linked = await getReferral(body.referralId);
    expect(linked).toMatchObject({ status: 'linked', linkedTo: first });
    expect(linked!.referral.participant.email).toBe('someone.else@example.com');
    expect((await queryPartition(first, 'NOTIFICATION#')).filter((n) => n.template === 'duplicate_referral_linked')).toHaveLength(1);
    // The very same submission sent again (e.g. after its journey failed to start) is itself.
    expect(await idOf(await post(person, { 'Idempotency-Key': 'self-service-again' }, selfReferralService))).toBe(first);
  });

  it('a person whose journey has ended may be referred again', async () => {
    const person = referralForNewPerson();
    const first = await idOf(await post(person));
    await rt.engine.idle();
    await j.complete(first, 'first_contact', results.firstContact('declined'));
    const again = await idOf(await post({ ...person, referrer: { organisation: 'Another practice' } }));
    expect(again).not.toBe(first);
    await rt.engine.idle();
    expect((await getReferral(again))?.status).toBe('awaiting_first_contact');
  });
});

describe('partner isolation and cancellation', () => {
  it("another partner's referral is a 404, for status and for cancel", async () => {
    const id = await idOf(await post(referralForNewPerson()));
    expect((await rt.referralStatus(id, 1)).status).toBe(404);
    const cancel = await fetch(`${rt.gatewayUrl}/v1/referrals/${id}/cancel`, { method: 'POST', headers: rt.auth(1) });
    expect(cancel.status).toBe(404);
    expect((await rt.referralStatus(id, 0)).status).toBe(200);
  });

  it('cancel ends the journey; again is the same answer; an ended journey is 409', async () => {
    const id = await idOf(await post(referralForNewPerson()));
    await rt.engine.idle();
    const cancel = () => fetch(`${rt.gatewayUrl}/v1/referrals/${id}/cancel`, { method: 'POST', headers: rt.auth(0) });
    expect((await cancel()).status).toBe(200);
    expect((await cancel()).status).toBe(200);
    await rt.engine.idle();
    expect(j.execution(id).status).toBe('ABORTED');
    expect(((await (await rt.referralStatus(id)).json()) as { status: string }).status).toBe('withdrawn');

    const declined = await idOf(await post(referralForNewPerson()));
    await rt.engine.idle();
    await j.complete(declined, 'first_contact', results.firstContact('declined'));
    await fetch(`${rt.gatewayUrl}/v1/referrals/${declined}/cancel`, { method: 'POST', headers: rt.auth(0) });
    const ended = await idOf(await post(referralForNewPerson()));
    await rt.engine.idle();
    await j.complete(ended, 'first_contact', results.firstContact('unable_to_contact'));
    const notEligible = await idOf(await post(referralForNewPerson({ participant: { postcode: 'M1 1AE' } })));
    await rt.engine.idle();
    const res = await fetch(`${rt.gatewayUrl}/v1/referrals/${notEligible}/cancel`, { method: 'POST', headers: rt.auth(0) });
    expect(res.status).toBe(409);
  });
});
