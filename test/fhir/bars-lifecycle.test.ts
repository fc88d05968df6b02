import { Fhir } from 'fhir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lifecycleEventOfStage, statusUpdateMessage } from '../../functions/domain/bars-lifecycle.ts';
import { getPartner, setPartnerEndpoint } from '../../functions/shared/partner-store.ts';
import { getReferral, listTimeline, queryPartition } from '../../functions/shared/referral-store.ts';
import { withdrawReferral } from '../../functions/shared/withdrawal.ts';
import { referralForNewPerson } from '../fixtures/referrals.ts';
import { type JourneyDriver, type JourneyTestbed, results, startJourneyTestbed } from '../support/journey.ts';
import { type LocalProvider, startLocalProvider } from '../support/provider.ts';
import { HOUR, type TestRuntime } from '../support/runtime.ts';

const WEEK = 7 * 24 * HOUR;

/**
 * The referral lifecycle spoken back to the sender in BaRS: each journey event the referrer
 * hears of becomes one status update in the outbox, written with the change, posted by the
 * notifier to the partner's registered FHIR endpoint (a server on this machine), retried when
 * it fails, never twice; a linked referral's partner hears nothing of the journey it joined.
 * Messages are checked against the FHIR R4 structure definitions (the `fhir` package's
 * validator: cardinality, types, required codes) and for anything personal or clinical.
 */
let bed: JourneyTestbed;
let rt: TestRuntime;
let j: JourneyDriver;
/** The demo GP practice's endpoint (partner 0) and the demo employer's (partner 1). */
let gp: LocalProvider;
let employer: LocalProvider;

const fhir = new Fhir();
const HEALTH_TEXT = 'Lumbar disc prolapse with low mood since March';

beforeAll(async () => {
  bed = await startJourneyTestbed('test-bars-lifecycle');
  ({ rt, j } = bed);
  rt.scheduler.setAuto(false);
  gp = await startLocalProvider();
  employer = await startLocalProvider();
  await setPartnerEndpoint('demo-gp-practice', `${gp.baseUrl}/fhir/$process-message`);
  await setPartnerEndpoint('demo-employer', `${employer.baseUrl}/fhir/$process-message`);
});
afterAll(async () => {
  await bed?.stop();
  await gp?.stop();
  await employer?.stop();
});

type Bundle = { id: string; type: string; entry: { fullUrl: string; resource: Record<string, any> }[] };
const bundles = (endpoint: LocalProvider) => endpoint.received.map((r) => r.body as unknown as Bundle);
const about = (referralId: string) => (b: Bundle) => b.entry.some((e) => e.resource.resourceType === 'ServiceRequest' && e.resource.id === referralId);
/**
 * The Task statuses received about a referral, in the order of the events (Task.lastModified,
 * then the journey's order where two events share an instant, as they do on the test's stopped
 * clock); the notifier may deliver two due at once in either order.
 */
const journeyOrder = ['accepted', 'rejected', 'in-progress', 'cancelled', 'failed', 'completed'];
const taskStatuses = (endpoint: LocalProvider, referralId: string) =>
  bundles(endpoint)
    .filter(about(referralId))
    .map((b) => b.entry.find((e) => e.resource.resourceType === 'Task')!.resource as { status: string; lastModified: string })
    .sort((a, b) => a.lastModified.localeCompare(b.lastModified) || journeyOrder.indexOf(a.status) - journeyOrder.indexOf(b.status))
    .map((t) => t.status);
const send = async () => rt.scheduler.runNotifier();

function expectValidR4(bundle: Bundle): void {
  const result = fhir.validate(bundle, { errorOnUnexpected: true });
  expect(result.messages.filter((m) => m.severity === 'error' || m.severity === 'fatal')).toEqual([]);
  expect(result.valid).toBe(true);
}

async function noPersonalOrHealthDetail(referralId: string, bundle: Bundle): Promise<void> {
  const referral = (await getReferral(referralId))!.referral;
  const text = JSON.stringify(bundle);
  const p = referral.participant;
  for (const secret of [p.givenName, p.familyName, p.nhsNumber, p.postcode, p.dateOfBirth, p.email, p.phone, HEALTH_TEXT, referral.work.employer]) {
    if (secret) expect(text).not.toContain(secret);
  }
  for (const condition of referral.health.conditions) expect(text.toLowerCase()).not.toContain(condition.replace(/_/g, ' '));
}

describe('status updates to the referrer', () => {
  let referralId: string;

  it('accepted at triage, first contact, discharge: one message each, in order, valid R4, nothing personal', async () => {
    referralId = await j.refer({ health: { details: HEALTH_TEXT } });
    await send();
    expect(taskStatuses(gp, referralId)).toEqual(['accepted']);

    await j.complete(referralId, 'first_contact', results.firstContact('engaged'));
    await j.complete(referralId, 'assessment', results.assessment([]));
    await send();
    expect(taskStatuses(gp, referralId)).toEqual(['accepted', 'in-progress']);

    // The first check-in ends the support early; then the outcome.
    await rt.advance(bed.area.support.followUpEveryWeeks * WEEK);
    await j.complete(referralId, 'follow_up', results.followUp('discharge_early'));
    await j.complete(referralId, 'outcome', results.outcome());
    expect(await j.status(referralId)).toBe('completed');
    await send();
    await send();
    expect(taskStatuses(gp, referralId)).toEqual(['accepted', 'in-progress', 'completed']);

    const sent = bundles(gp).filter(about(referralId));
    expect(new Set(sent.map((b) => b.id)).size).toBe(3);
    for (const bundle of sent) {
      expectValidR4(bundle);
      await noPersonalOrHealthDetail(referralId, bundle);
      const header = bundle.entry[0]!.resource;
      expect(header.resourceType).toBe('MessageHeader');
      expect(header.eventCoding.code).toBe('servicerequest-request');
      expect(header.reason.coding[0].code).toBe('update');
    }
    const last = sent.at(-1)!.entry.find((e) => e.resource.resourceType === 'ServiceRequest')!.resource;
    expect(last.status).toBe('completed');
    // The employer made no referral here: it hears nothing.
    expect(bundles(employer).filter(about(referralId))).toHaveLength(0);
    // Each outbox item is sent and stays sent.
    const items = (await queryPartition(referralId, 'NOTIFICATION#')).filter((n) => n.channel === 'fhir');
    expect(items.map((n) => n.status)).toEqual(['sent', 'sent', 'sent']);
  });

  it('the person declines at first contact: one message, the ServiceRequest revoked', async () => {
    const id = await j.refer();
    await j.complete(id, 'first_contact', results.firstContact('declined'));
    await send();
    expect(taskStatuses(gp, id)).toEqual(['accepted', 'cancelled']);
    const last = bundles(gp).filter(about(id)).find((b) => b.entry.some((e) => e.resource.resourceType === 'Task' && e.resource.status === 'cancelled'))!;
    expect(last.entry.find((e) => e.resource.resourceType === 'ServiceRequest')!.resource.status).toBe('revoked');
    expectValidR4(last);
  });

  it('turned down at review: rejected; a participant withdrawal: declined; a referrer cancellation is not echoed', async () => {
    const reviewed = await j.refer({ needs: { complexNeeds: true } });
    expect(await j.status(reviewed)).toBe('needs_review');
    await j.complete(reviewed, 'needs_review', results.review('not_eligible'), 'team-lead');
    await send();
    expect(taskStatuses(gp, reviewed)).toEqual(['rejected']);

    const withdrawn = await j.refer();
    await withdrawReferral(withdrawn, 'participant_withdrew');
    const cancelled = await j.refer();
    await withdrawReferral(cancelled, 'referrer_cancelled');
    await send();
    expect(taskStatuses(gp, withdrawn)).toEqual(['accepted', 'cancelled']);
    expect(taskStatuses(gp, cancelled)).toEqual(['accepted']);
  });

  it('a failing endpoint is retried with backoff and the message arrives once', async () => {
    const id = await j.refer();
    gp.failNext(2);
    await send();
    expect(taskStatuses(gp, id)).toEqual([]);
    // Not tried again before its backoff.
    await send();
    expect(gp.refused.failed).toBeGreaterThanOrEqual(1);
    await rt.advance(2 * 60_000 + 1000);
    await send();
    await rt.advance(4 * 60_000 + 1000);
    await send();
    await send();
    expect(taskStatuses(gp, id)).toEqual(['accepted']);
    const [item] = (await queryPartition(id, 'NOTIFICATION#')).filter((n) => n.channel === 'fhir');
    expect(item).toMatchObject({ status: 'sent', attempts: 3 });
  });

  it('an endpoint that never answers: given up after the retries, recorded on the referral, the team lead told', async () => {
    const id = await j.refer();
    const original = (await getPartner('demo-gp-practice'))!.fhirEndpoint!;
    await setPartnerEndpoint('demo-gp-practice', `${gp.baseUrl.replace(/:\d+$/, ':1')}/gone`);
    const unreachable = await j.refer();
    await setPartnerEndpoint('demo-gp-practice', original);
    for (let i = 0; i < 6; i++) {
      await send();
      await rt.advance(61 * 60_000);
    }
    const [item] = (await queryPartition(unreachable, 'NOTIFICATION#')).filter((n) => n.channel === 'fhir');
    expect(item!.status).toBe('failed');
    const timeline = await listTimeline(unreachable);
    expect(timeline.filter((t) => t.event === 'notification_failed')).toHaveLength(1);
    await send();
    const told = (await rt.mailbox.messages()).filter((m) => /could not deliver/.test(m.subject) && (m.body.text ?? '').includes(unreachable));
    expect(told).toHaveLength(1);
    expect(taskStatuses(gp, id)).toEqual(['accepted']);
  });
});

describe('a linked referral', () => {
  it("the second referrer hears only of its own referral, never of the journey it was linked to", async () => {
    const person = referralForNewPerson();
    const first = await j.refer(person);
    const res = await rt.postReferral({ ...person, source: 'employer', referrer: { organisation: 'Example Logistics Ltd', contactEmail: 'hr@example.com' } }, rt.auth(1));
    expect(res.status).toBe(202);
    const { referralId: second } = (await res.json()) as { referralId: string };
    expect((await getReferral(second))!.linkedTo).toBe(first);
    await j.complete(first, 'first_contact', results.firstContact('engaged'));
    await send();
    expect(taskStatuses(gp, first)).toEqual(['accepted', 'in-progress']);
    // Nothing about the first journey reaches the employer, nor about the linked referral to the GP.
    for (const bundle of bundles(employer)) {
      expect(JSON.stringify(bundle)).not.toContain(first);
    }
    expect(bundles(employer).filter(about(second))).toHaveLength(0);
    expect(bundles(gp).some((b) => JSON.stringify(b).includes(second))).toBe(false);
  });
});

describe('the message builder', () => {
  it('a stage maps to what the referrer hears; the same seed gives the same message', () => {
    expect(lifecycleEventOfStage('not_eligible')).toBe('rejected');
    expect(lifecycleEventOfStage('withdrawn', 'referrer_entered_in_error')).toBeUndefined();
    expect(lifecycleEventOfStage('needs_attention')).toBeUndefined();
    const input = { seed: 'ab'.repeat(32), referralId: '0b8e9d5c-3f0a-4d8e-9a51-2f7a3c1d6e42', event: 'discharged' as const, referralStatus: 'completed' as const, occurredAt: '2026-03-02T10:15:00.000Z' };
    expect(statusUpdateMessage(input)).toEqual(statusUpdateMessage(input));
    expectValidR4(statusUpdateMessage(input) as unknown as Bundle);
  });
});
