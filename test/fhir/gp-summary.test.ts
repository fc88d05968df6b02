import { Fhir } from 'fhir';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dischargeSummaryMessage, snomedCodes } from '../../functions/domain/gp-summary.ts';
import { listHeldSummaries } from '../../functions/shared/gp-summary.ts';
import { listOnwardReferrals } from '../../functions/shared/onward-referral-store.ts';
import { setPracticeEndpoint } from '../../functions/shared/partner-store.ts';
import { getReferral, queryPartition } from '../../functions/shared/referral-store.ts';
import { type JourneyDriver, type JourneyTestbed, results, startJourneyTestbed } from '../support/journey.ts';
import { type LocalProvider, startLocalProvider } from '../support/provider.ts';
import { HOUR, type TestRuntime } from '../support/runtime.ts';

/**
 * The discharge summary to the person's GP practice (when known and consented): posted once
 * through the outbox to the practice's registered endpoint (a server on this machine), valid
 * against the FHIR R4 structure definitions (the `fhir` package's validator), coded with the
 * verified SNOMED CT concepts, with no free text anyone typed; held and listed for the team
 * lead when the practice has no endpoint; not made without consent.
 */
const WEEK = 7 * 24 * HOUR;
const REGISTERED = 'B82005';
const UNREGISTERED = 'B82099';
const FREE_TEXT = 'Lumbar disc prolapse with low mood since March';

let bed: JourneyTestbed;
let rt: TestRuntime;
let j: JourneyDriver;
let practice: LocalProvider;
const fhir = new Fhir();

beforeAll(async () => {
  bed = await startJourneyTestbed('test-gp-summary');
  ({ rt, j } = bed);
  rt.scheduler.setAuto(false);
  practice = await startLocalProvider();
  await setPracticeEndpoint(REGISTERED, `${practice.baseUrl}/fhir/$process-message`);
});
afterAll(async () => {
  await bed?.stop();
  await practice?.stop();
});

type Bundle = { id: string; type: string; entry: { fullUrl: string; resource: Record<string, any> }[] };
const summaries = () => practice.received.map((r) => r.body as unknown as Bundle);
const resourcesOf = (b: Bundle, type: string) => b.entry.map((e) => e.resource).filter((r) => r.resourceType === type);

async function answerAsProvider(onwardReferralId: string, status: string) {
  const sent = bed.provider.received.find((r) => r.body.onwardReferralId === onwardReferralId)!;
  await fetch(sent.body.respondTo.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${sent.body.respondTo.key}` },
    body: JSON.stringify({ status }),
  });
  await rt.engine.idle();
}

/** A journey to discharge: first contact, an assessment with one onward referral, one check-in, the outcome. */
async function discharged(practiceCode: string, gpSummary: boolean | undefined): Promise<string> {
  const id = await j.refer({ participant: { gpPracticeCode: practiceCode }, consent: { gpSummary }, health: { details: FREE_TEXT } });
  await j.complete(id, 'first_contact', results.firstContact('engaged'));
  await j.complete(id, 'assessment', results.assessment(['msk-physiotherapy']));
  for (const o of await listOnwardReferrals(id)) await answerAsProvider(o.onwardReferralId, 'attended');
  await rt.advance(bed.area.support.followUpEveryWeeks * WEEK);
  await j.complete(id, 'follow_up', results.followUp('discharge_early'));
  await j.complete(id, 'outcome', results.outcome());
  expect(await j.status(id)).toBe('completed');
  return id;
}

describe('discharge summary to the GP practice', () => {
  it('sent once to the registered practice: R4-valid, SNOMED coded, outcome, dates, support and onward services, no free text', async () => {
    const id = await discharged(REGISTERED, true);
    await rt.scheduler.runNotifier();
    await rt.scheduler.runNotifier();
    const [summary, ...more] = summaries().filter((b) => JSON.stringify(b).includes(id));
    expect(more).toHaveLength(0);
    const validation = fhir.validate(summary!, { errorOnUnexpected: true });
    expect(validation.messages.filter((m) => m.severity === 'error' || m.severity === 'fatal')).toEqual([]);

    expect(summary!.type).toBe('message');
    const [header] = resourcesOf(summary!, 'MessageHeader');
    const [composition] = resourcesOf(summary!, 'Composition');
    expect(header!.focus[0].reference).toBe(summary!.entry.find((e) => e.resource === composition)!.fullUrl);
    expect(composition!.type.coding[0]).toMatchObject({ system: 'http://snomed.info/sct', code: snomedCodes.dischargeSummary.code });
    expect(composition!.section.map((s: { title: string }) => s.title)).toEqual(['Referral', 'Support given', 'Onward services', 'Outcome']);
    const referralRequest = resourcesOf(summary!, 'ServiceRequest').find((r) => r.code?.coding?.[0]?.code === snomedCodes.socialPrescribingReferral.code);
    expect(referralRequest).toBeDefined();
    const stored = (await getReferral(id))!;
    expect(composition!.event[0].period).toEqual({ start: stored.receivedAt, end: stored.closedAt });
    const [patient] = resourcesOf(summary!, 'Patient');
    expect(patient!.identifier[0].value).toBe(stored.referral.participant.nhsNumber);
    const text = JSON.stringify(summary);
    expect(text).toContain('Returned to work');
    expect(text).toContain('Phased return');
    expect(text).toContain(bed.area.services.find((s) => s.id === 'msk-physiotherapy')!.name);
    // Nothing typed as free text: the referral's health details, the plan's goals and actions.
    for (const typed of [FREE_TEXT, 'Return to full duties', 'Ask the employer for a phased return', 'pain', 'workload']) expect(text).not.toContain(typed);
    const [item] = (await queryPartition(id, 'NOTIFICATION#')).filter((n) => n.template === 'gp_discharge_summary');
    expect(item).toMatchObject({ status: 'sent', attempts: 1 });
    expect(JSON.stringify(item)).not.toContain(stored.referral.participant.familyName);
  });

  it('a practice with no endpoint: the summary is held, listed and the team lead told; nothing is lost', async () => {
    const id = await discharged(UNREGISTERED, true);
    expect((await listHeldSummaries()).filter((h) => h.referralId === id)).toEqual([{ referralId: id, practice: UNREGISTERED, heldAt: expect.any(String) }]);
    await rt.scheduler.runNotifier();
    const told = (await rt.mailbox.messages()).filter((m) => /Discharge summary not sent/.test(m.subject) && (m.body.text ?? '').includes(id));
    expect(told).toHaveLength(1);
    expect(summaries().some((b) => JSON.stringify(b).includes(id))).toBe(false);
  });

  it('without the consent to tell the GP, no summary is made', async () => {
    const id = await discharged(REGISTERED, undefined);
    await rt.scheduler.runNotifier();
    expect(summaries().some((b) => JSON.stringify(b).includes(id))).toBe(false);
    expect((await listHeldSummaries()).some((h) => h.referralId === id)).toBe(false);
  });

  it('the builder gives the same message for the same seed and one ServiceRequest per onward service', () => {
    const input = {
      referralId: 'r-1',
      areaName: 'Example',
      practiceOdsCode: REGISTERED,
      patient: { givenName: 'A', familyName: 'B', dateOfBirth: '1985-06-15' },
      receivedAt: '2026-01-05T09:00:00.000Z',
      dischargedAt: '2026-03-02T09:00:00.000Z',
      support: { workplaceAdjustments: [], employerConversation: false, followUps: 0 },
      onward: [{ serviceName: 'Physiotherapy <MSK>', status: 'declined' }],
    };
    const message = dischargeSummaryMessage('cd'.repeat(32), input);
    expect(message).toEqual(dischargeSummaryMessage('cd'.repeat(32), input));
    expect(JSON.stringify(message)).toContain('Physiotherapy &lt;MSK&gt;');
    expect(fhir.validate(message, { errorOnUnexpected: true }).valid).toBe(true);
  });
});
