import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { personEntryKey, partitionsOf } from '../../functions/shared/person-index.ts';
import { keyRing } from '../../functions/shared/person-index-key.ts';
import { dynamo } from '../../functions/shared/aws-clients.ts';
import { getReferral, listTimeline, queryPartition } from '../../functions/shared/referral-store.ts';
import { journeysTable } from '../../functions/shared/tables.ts';
import { describeFailure, main } from '../../ops/subject-access.ts';
import { referralForNewPerson } from '../fixtures/referrals.ts';
import { type JourneyTestbed, results, startJourneyTestbed } from '../support/journey.ts';

/**
 * Subject access on the local runtime: one person with two referrals from two partners (the
 * second linked to the first journey) among other people, one of them with the same name and
 * date of birth. The export holds exactly that person's records; a rectification keeps the
 * person index right and records which fields changed, not the values.
 */
let bed: JourneyTestbed;
let dir: string;
const person = referralForNewPerson({
  participant: { familyName: 'Quayle-Ostrander', dateOfBirth: '1979-02-11', email: 'sar.subject@example.com' },
});
const { participant } = person;
let first: string; // the person's journey (partner 0)
let second: string; // the same person referred by partner 1: linked
const others: { referralId: string; givenName: string; nhsNumber: string; postcode: string }[] = [];

/** Partner 0 is the demo GP practice, partner 1 the demo employer: each sends its own source. */
async function post(body: ReturnType<typeof referralForNewPerson>, partner: number): Promise<{ referralId: string; status: string }> {
  const sent = partner === 1 ? { ...body, source: 'employer' as const, referrer: { organisation: 'Example Employer Ltd' } } : body;
  const res = await bed.rt.postReferral(sent, bed.rt.auth(partner));
  expect(res.status).toBe(202);
  await bed.rt.engine.idle();
  return (await res.json()) as { referralId: string; status: string };
}

async function run(...args: string[]): Promise<{ code: number; out: string }> {
  const out: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
  const error = vi.spyOn(console, 'error').mockImplementation(() => {});
  const log = vi.spyOn(console, 'log').mockImplementation((line) => void out.push(`${String(line)}\n`));
  try {
    const code = await main([...args, '--area', bed.area.slug, '--endpoint', bed.rt.dynamoDbEndpoint]);
    return { code, out: out.join('') };
  } finally {
    write.mockRestore();
    error.mockRestore();
    log.mockRestore();
  }
}

beforeAll(async () => {
  bed = await startJourneyTestbed('test-subject-access');
  dir = mkdtempSync(join(tmpdir(), 'sar-'));
  const { j } = bed;
  first = (await post(person, 0)).referralId;
  const again = structuredClone(person);
  again.source = 'employer';
  again.referrer = { organisation: 'Example Employer Ltd' };
  const linked = await post(again, 1);
  // Partners are not told of the link (intake answers 'received'): the stored referral says it.
  expect((await getReferral(linked.referralId))?.linkedTo).toBe(first);
  second = linked.referralId;
  await j.complete(first, 'first_contact', results.firstContact('engaged'));
  await j.complete(first, 'assessment', results.assessment(['employment-advice']));

  const twin = referralForNewPerson({
    participant: { givenName: participant.givenName, familyName: participant.familyName, dateOfBirth: participant.dateOfBirth, postcode: 'S10 2TN' },
  });
  for (const body of [twin, referralForNewPerson(), referralForNewPerson(), referralForNewPerson()]) {
    const { referralId } = await post(body, others.length % 2);
    others.push({ referralId, givenName: body.participant.givenName, nhsNumber: body.participant.nhsNumber!, postcode: body.participant.postcode });
  }
  await j.complete(others[1]!.referralId, 'first_contact', results.firstContact('engaged'));
});
afterAll(async () => {
  await bed?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

type Exported = {
  referralCount: number;
  sections: Record<string, string>;
  referrals: {
    referralId: string;
    linkedTo?: string;
    details: { participant: Record<string, string> };
    timeline: unknown[];
    tasks: { taskId: string; taskType: string }[];
    answers: { kind: string }[];
    onwardReferrals: { onwardReferralId: string }[];
    notifications: { template: string }[];
  }[];
};

describe('npm run subject-access', () => {
  it('exports exactly the person’s records: both referrals, every record of each, nobody else’s', async () => {
    const file = join(dir, 'export.json');
    const { code, out } = await run('export', '--nhs-number', participant.nhsNumber!, '--out', file);
    expect(code).toBe(0);
    expect(out).toBe(''); // to the file only
    const text = readFileSync(file, 'utf8');
    const exported = JSON.parse(text) as Exported;

    expect(exported.referrals.map((r) => r.referralId).sort()).toEqual([first, second].sort());
    expect(exported.referrals.find((r) => r.referralId === second)?.linkedTo).toBe(first);
    for (const section of exported.referrals) {
      const stored = await queryPartition(section.referralId, '');
      const of = (prefix: string) => stored.filter((i) => String(i.sk).startsWith(prefix));
      expect(section.timeline).toHaveLength(of('TIMELINE#').length);
      expect(section.tasks.map((t) => t.taskId).sort()).toEqual(of('TASK#').map((t) => t.taskId).sort());
      expect(section.onwardReferrals.map((o) => o.onwardReferralId).sort()).toEqual(of('ONWARD#').map((o) => o.onwardReferralId).sort());
      expect(section.notifications).toHaveLength(of('NOTIFICATION#').length);
      expect(section.details.participant.givenName).toBe(participant.givenName);
    }
    const journey = exported.referrals.find((r) => r.referralId === first)!;
    expect(journey.answers.map((a) => a.kind).sort()).toEqual(['assessment', 'contact']);
    expect(journey.onwardReferrals).toHaveLength(1);
    expect(journey.notifications.map((n) => n.template)).toEqual(expect.arrayContaining(['task_assigned', 'onward_referral']));
    expect(Object.keys(exported.sections)).toEqual(expect.arrayContaining(['timeline', 'tasks', 'answers', 'onwardReferrals', 'notifications']));

    for (const other of others) {
      for (const value of [other.referralId, other.givenName, other.nhsNumber]) {
        if (value !== participant.givenName) expect(text).not.toContain(value);
      }
    }
    expect(text).not.toContain(others[0]!.postcode); // the namesake lives elsewhere
    for (const internal of ['taskToken', 'providerKeyHash', 'gsi1pk', '"pk"', 'PERSON#', 'respondUrl', 'http']) {
      expect(text).not.toContain(internal);
    }

    // By name, date of birth and postcode: the same records.
    const byDetails = await run(
      'export', '--name', `${participant.givenName} ${participant.familyName}`,
      '--date-of-birth', participant.dateOfBirth, '--postcode', participant.postcode.toLowerCase(),
    );
    expect(byDetails.code).toBe(0);
    expect((JSON.parse(byDetails.out) as Exported).referrals.map((r) => r.referralId).sort()).toEqual([first, second].sort());
    // The name written family name first, or with no space, as many names are: the same records.
    for (const name of [`${participant.familyName} ${participant.givenName}`, `${participant.givenName}${participant.familyName}`.toUpperCase()]) {
      const found = await run('export', '--name', name, '--date-of-birth', participant.dateOfBirth, '--postcode', participant.postcode);
      expect((JSON.parse(found.out) as Exported).referrals.map((r) => r.referralId).sort()).toEqual([first, second].sort());
    }
  });

  it('rectifies personal details: record and person index updated together, the timeline names fields only', async () => {
    const before = (await getReferral(first))!.referral;
    const { code, out } = await run('rectify', '--referral', first, '--set', 'familyName=Ostrander', '--set', 'postcode=s11 8ya', '--json');
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ changed: ['familyName', 'postcode'] });
    const after = (await getReferral(first))!.referral;
    expect(after.participant).toMatchObject({ familyName: 'Ostrander', postcode: 'S11 8YA', givenName: participant.givenName });

    const entry = (await listTimeline(first)).find((e) => e.event === 'details_rectified');
    expect(entry).toMatchObject({ fields: ['familyName', 'postcode'] });
    for (const value of ['Ostrander', 'S11 8YA', 'Quayle', 'S1 2HE']) expect(JSON.stringify(entry)).not.toContain(value);

    // The index moved with the details: entries under the corrected details' keys, none under the old.
    const indexEntry = async (pk: string) =>
      (await dynamo().send(new GetCommand({ TableName: process.env[journeysTable.envVar], Key: personEntryKey(pk, first), ConsistentRead: true }))).Item;
    const ring = await keyRing();
    const now = (await getReferral(first))!.personIndex!;
    expect([...now].sort()).toEqual(partitionsOf(after.participant, ring.current, ring.keys.get(ring.current)!).sort());
    for (const pk of now) expect(await indexEntry(pk)).toMatchObject({ referralId: first });
    const old = partitionsOf(before.participant, ring.current, ring.keys.get(ring.current)!).filter((pk) => !now.includes(pk));
    expect(old.length).toBe(2); // date of birth and postcode; name and date of birth (the NHS number is unchanged)
    for (const pk of old) expect(await indexEntry(pk)).toBeUndefined();

    // Without an NHS number: the corrected details find the same person, the old ones nobody.
    const corrected = structuredClone(person);
    delete corrected.participant.nhsNumber;
    Object.assign(corrected.participant, { familyName: 'Ostrander', postcode: 'S11 8YA' });
    const third = await post(corrected, 1);
    expect(await getReferral(third.referralId)).toMatchObject({ status: 'linked', linkedTo: first });
    // The old details still lead to the journey through the linked referral, which holds them
    // until it is corrected too (README: correct each of the person's referrals); then nobody.
    const stale = structuredClone(person);
    delete stale.participant.nhsNumber;
    const fourth = await post(stale, 1);
    expect((await getReferral(fourth.referralId))?.linkedTo).toBe(first);
    for (const id of [second, fourth.referralId]) {
      expect((await run('rectify', '--referral', id, '--set', 'familyName=Ostrander', '--set', 'postcode=s11 8ya')).code).toBe(0);
    }
    // (Another body, or the same partner's identical resend would be answered as a retry.)
    const fifth = await post({ ...stale, participant: { ...stale.participant, preferredChannel: 'letter' } }, 1);
    expect(fifth.referralId).not.toBe(fourth.referralId);
    expect((await getReferral(fifth.referralId))?.linkedTo).toBeUndefined();
  });

  it('rectify prints what changed and who to tell as text by default, never the values', async () => {
    const { code, out } = await run('rectify', '--referral', first, '--set', 'phone=07700 900456');
    expect(code).toBe(0);
    const lines = out.split('\n');
    expect(lines[0]).toBe(`Referral ${first}: changed phone`);
    expect(lines).toContain('Received the old details (tell them of the correction)');
    expect(out).not.toContain('900456');
  });

  it('refuses details intake would refuse, changing nothing', async () => {
    const before = await getReferral(first);
    const failure = await run('rectify', '--referral', first, '--set', 'dateOfBirth=31/12/1990').catch(describeFailure);
    expect(failure).toMatchObject({ exitCode: 2 });
    expect((failure as { message: string }).message).not.toContain('31/12/1990');
    // A date of birth intake would refuse (in the future): refused as intake refuses it.
    const future = await run('rectify', '--referral', first, '--set', `dateOfBirth=${new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10)}`).catch(describeFailure);
    expect(future).toMatchObject({ exitCode: 2, message: 'dateOfBirth must not be in the future' });
    const unknownField = await run('rectify', '--referral', first, '--set', 'health=none').catch(describeFailure);
    expect(unknownField).toMatchObject({ exitCode: 2 });
    expect(await getReferral(first)).toEqual(before);
  });
});
