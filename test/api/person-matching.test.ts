import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ReferralInput } from '../../functions/domain/referral.ts';
import { findOpenTask, getReferral, listTimeline } from '../../functions/shared/referral-store.ts';
import { keyRing, forgetKeyRing } from '../../functions/shared/person-index-key.ts';
import { main as personIndex } from '../../ops/person-index.ts';
import { nhsNumberFor, referralForNewPerson } from '../fixtures/referrals.ts';
import { startTestRuntime, type TestRuntime } from '../support/runtime.ts';

/**
 * One journey per person, over HTTP on the local runtime: the same person referred by two
 * partners (the demo GP practice and the demo employer) under every variant the matching rules
 * accept ends with one journey; two people ends with two; a doubtful match is reviewed by a team
 * lead; partners never learn of each other's referrals; the index's keys rotate with no
 * downtime; intake refuses implausible details with the field's pointer.
 */
let rt: TestRuntime;
let serial = 9_000_000;

beforeAll(async () => {
  rt = await startTestRuntime('south-yorkshire');
});
afterAll(async () => {
  await rt?.stop();
});

type Person = Partial<ReferralInput['participant']>;

/** Someone no other test refers: their own date of birth (aged 31 to 61) and postcode (Sheffield S1 to S14): eligible. */
function newPerson(participant: Person): ReferralInput {
  serial++;
  const day = String(1 + (serial % 28)).padStart(2, '0');
  const month = String(1 + (Math.floor(serial / 28) % 12)).padStart(2, '0');
  return referralForNewPerson({
    participant: { dateOfBirth: `19${65 + (serial % 31)}-${month}-${day}`, postcode: `S${1 + (serial % 14)} ${serial % 10}AB`, ...participant },
  });
}

const byGp = (body: ReferralInput) => body;
const byEmployer = (body: ReferralInput): ReferralInput => ({ ...body, source: 'employer', referrer: { organisation: 'Example Logistics Ltd' } });

async function refer(body: ReferralInput, partner: 0 | 1): Promise<string> {
  const res = await rt.postReferral(partner === 0 ? byGp(body) : byEmployer(body), rt.auth(partner));
  expect(res.status, await res.clone().text()).toBe(202);
  const { referralId, status } = (await res.json()) as { referralId: string; status: string };
  expect(status).toBe('received'); // never 'linked'
  await rt.engine.idle();
  return referralId;
}

/** Journeys among the referrals: those not linked to another journey. */
async function journeysOf(ids: readonly string[]): Promise<number> {
  return (await Promise.all(ids.map(getReferral))).filter((r) => r && !r.linkedTo).length;
}

describe('one person, two partners: one journey under every variant', () => {
  const cases: [string, Person, Person][] = [
    ['case and spaces', { givenName: 'Amelia', familyName: 'Hartley' }, { givenName: ' AMELIA ', familyName: 'hartley' }],
    ['accents left out', { givenName: 'Zoë', familyName: 'Brontë' }, { givenName: 'Zoe', familyName: 'Bronte' }],
    ['German sharp s', { givenName: 'Jürgen', familyName: 'Großmann' }, { givenName: 'Juergen'.replace('ue', 'u'), familyName: 'Grossmann' }],
    ['Scandinavian o-slash', { givenName: 'Søren', familyName: 'Kjærgaard' }, { givenName: 'Soren', familyName: 'Kjaergaard' }],
    ['a Cyrillic look-alike letter', { givenName: 'Olivia', familyName: 'Cooper' }, { givenName: 'Оlivia', familyName: 'Cоoper' }],
    ['full-width letters', { givenName: 'Kenji', familyName: 'Sato' }, { givenName: 'Ｋｅｎｊｉ', familyName: 'Ｓａｔｏ' }],
    ['decomposed accents', { givenName: 'José', familyName: 'Peña' }, { givenName: 'José'.normalize('NFD'), familyName: 'Peña'.normalize('NFD') }],
    ['Greek with and without accents', { givenName: 'Ελένη', familyName: 'Παπαδοπούλου' }, { givenName: 'ΕΛΕΝΗ', familyName: 'ΠΑΠΑΔΟΠΟΥΛΟΥ' }],
    ['Chinese', { givenName: '伟', familyName: '王' }, { givenName: '伟', familyName: '王' }],
  ];
  it.each(cases)('%s', async (_, first, second) => {
    const a = newPerson(first);
    // The second partner has no NHS number for them: name, date of birth and postcode decide.
    const b = structuredClone(a);
    Object.assign(b.participant, second);
    delete b.participant.nhsNumber;
    const ids = [await refer(a, 0), await refer(b, 1)];
    expect(await journeysOf(ids)).toBe(1);
    expect((await getReferral(ids[1]!))?.linkedTo).toBe(ids[0]);
  });

  it('the NHS number written with spaces and dashes', async () => {
    const a = newPerson({});
    const n = a.participant.nhsNumber!;
    const b = structuredClone(a);
    b.participant.nhsNumber = `${n.slice(0, 3)} ${n.slice(3, 6)}-${n.slice(6)}`;
    b.participant.postcode = 'S10 2TN'; // moved: the NHS number still says who they are
    const ids = [await refer(a, 0), await refer(b, 1)];
    expect(await journeysOf(ids)).toBe(1);
    expect((await getReferral(ids[1]!))?.referral.participant.nhsNumber).toBe(n);
  });
});

describe('two people: two journeys', () => {
  const names: [string, Person, Person][] = [
    ['Chinese names', { givenName: '伟', familyName: '王' }, { givenName: '娜', familyName: '李' }],
    ['Greek names', { givenName: 'Νίκος', familyName: 'Γεωργίου' }, { givenName: 'Μαρία', familyName: 'Γεωργίου' }],
    ['Arabic names', { givenName: 'محمد', familyName: 'علي' }, { givenName: 'فاطمة', familyName: 'حسن' }],
    ['names that are only punctuation', { givenName: '-', familyName: '.' }, { givenName: '-', familyName: '.' }],
    ['the same name', { givenName: 'Amelia', familyName: 'Hartley' }, { givenName: 'Amelia', familyName: 'Hartley' }],
  ];
  it.each(names)('%s, different NHS numbers, same date of birth and postcode', async (_, first, second) => {
    const a = newPerson(first);
    const b = structuredClone(a);
    Object.assign(b.participant, second, { nhsNumber: nhsNumberFor(++serial) });
    const ids = [await refer(a, 0), await refer(b, 1)];
    expect(await journeysOf(ids)).toBe(2);
    expect((await getReferral(ids[1]!))?.identityReview).toBeUndefined();
  });

  it('twins without NHS numbers: two journeys', async () => {
    const a = newPerson({ givenName: 'Oliver', familyName: 'Ndlovu' });
    delete a.participant.nhsNumber;
    const b = structuredClone(a);
    b.participant.givenName = 'Harriet';
    expect(await journeysOf([await refer(a, 0), await refer(b, 1)])).toBe(2);
  });
});

describe('a doubtful match is kept whole and reviewed by a team lead', () => {
  it('the same NHS number with another date of birth: its own journey, a review task listing both', async () => {
    const a = newPerson({ givenName: 'Grace', familyName: 'Okafor' });
    const first = await refer(a, 0);
    const b = newPerson({ givenName: 'Tomasz', familyName: 'Nowak', nhsNumber: a.participant.nhsNumber! }); // a mistyped number
    const second = await refer(b, 1);
    const stored = await getReferral(second);
    expect(stored).toMatchObject({ status: 'needs_review', identityReview: { reason: 'nhs_number_conflict', matches: [first] } });
    expect(stored?.linkedTo).toBeUndefined();
    expect(stored?.referral.participant).toMatchObject({ givenName: 'Tomasz', familyName: 'Nowak' }); // nothing dropped
    expect(stored?.triage).toMatchObject({ outcome: 'needs_review', reason: 'possible_same_person' });
    const task = await findOpenTask(second, 'needs_review');
    expect(task).toBeDefined();
    const lead = rt.staff.find((s) => s.role === 'team_lead')!;
    const shown = await fetch(`${rt.gatewayUrl}/v1/tasks/${task!.taskId}`, { headers: rt.staffAuth(lead.staffId) });
    expect(shown.status).toBe(200);
    expect(((await shown.json()) as { referral: Record<string, unknown> }).referral).toMatchObject({
      reviewReason: 'possible_same_person',
      identityReview: { reason: 'nhs_number_conflict', matches: [first] },
    });
    // The first journey is untouched.
    expect((await getReferral(first))?.status).not.toBe('needs_review');
  });

  it('a journey started without an NHS number, joined by a referral with one: a third with another number is reviewed, not linked', async () => {
    const b = newPerson({ givenName: 'Joanna', familyName: 'Pike' });
    delete b.participant.nhsNumber;
    const journey = await refer(b, 0);
    const c = structuredClone(b);
    c.participant.nhsNumber = nhsNumberFor(++serial);
    const linked = await refer(c, 1);
    expect((await getReferral(linked))?.linkedTo).toBe(journey);
    // Same details, another NHS number: not the person whose number the journey already holds.
    const a = structuredClone(b);
    a.participant.nhsNumber = nhsNumberFor(++serial);
    const third = await refer(a, 1);
    expect(await getReferral(third)).toMatchObject({ status: 'needs_review', identityReview: { reason: 'nhs_number_conflict', matches: [journey] } });
    // The linked referral's NHS number finds the journey, even at a new postcode.
    const moved = structuredClone(c);
    moved.participant.postcode = 'S10 2TN';
    expect((await getReferral(await refer(moved, 1)))?.linkedTo).toBe(journey);
  });

  it('a close name at the same date of birth and postcode: reviewed, not merged', async () => {
    const a = newPerson({ givenName: 'Siobhan', familyName: 'Gallagher' });
    delete a.participant.nhsNumber;
    const first = await refer(a, 0);
    const b = structuredClone(a);
    b.participant.familyName = 'Galagher';
    const second = await refer(b, 1);
    expect(await getReferral(second)).toMatchObject({ status: 'needs_review', identityReview: { reason: 'possible_match', matches: [first] } });
  });
});

describe('what partners see', () => {
  it('neither partner can tell the other referred the same person', async () => {
    const a = newPerson({});
    const first = await refer(a, 0);
    const seenBefore = (await (await rt.referralStatus(first, 0)).json()) as { updatedAt: string };
    const linked = await refer({ ...a, participant: { ...a.participant } }, 1);
    expect((await getReferral(linked))?.linkedTo).toBe(first);

    const theirs = (await (await rt.referralStatus(linked, 1)).json()) as { status: string; progress: string; timeline: { event: string }[] };
    expect(theirs.status).not.toBe('linked');
    expect(theirs).toMatchObject({ status: 'received', stage: 'intake', progress: 'received' }); // as any referral not yet taken further
    expect(theirs.timeline.map((e) => e.event)).toEqual(['received']);
    expect(JSON.stringify(theirs)).not.toContain(first);

    const mine = (await (await rt.referralStatus(first, 0)).json()) as { updatedAt: string; timeline: { event: string }[] };
    expect(mine.timeline.map((e) => e.event)).not.toContain('duplicate_referral_linked');
    expect(mine.updatedAt).toBe(seenBefore.updatedAt); // nothing moved that this partner can see
    expect(JSON.stringify(mine)).not.toContain(linked);
    // The journey's own timeline keeps the link, for coaches.
    expect((await listTimeline(first)).some((e) => e.event === 'duplicate_referral_linked' && e.linkedReferralId === linked)).toBe(true);
    // Each partner sees only its own referral.
    expect((await rt.referralStatus(first, 1)).status).toBe(404);
    expect((await rt.referralStatus(linked, 0)).status).toBe(404);
  });
});

describe('intake refuses implausible details, storing nothing', () => {
  const refused = async (body: unknown, partner: 0 | 1, pointer: string) => {
    const before = await rt.countReferralItems();
    const res = await rt.postReferral(body, rt.auth(partner));
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const problem = (await res.json()) as { errors: { pointer: string; detail: string }[] };
    expect(problem.errors.map((e) => e.pointer)).toContain(pointer);
    expect(await rt.countReferralItems()).toBe(before);
  };
  it('a date of birth in the future, or beyond the plausible age', async () => {
    const future = new Date(Date.now() + 86_400_000 * 2).toISOString().slice(0, 10);
    await refused(newPerson({ dateOfBirth: future }), 0, '/participant/dateOfBirth');
    await refused(newPerson({ dateOfBirth: '1890-01-01' }), 0, '/participant/dateOfBirth');
  });
  it('an NHS number with anything but digits, spaces and dashes', async () => {
    const body = newPerson({});
    await refused({ ...body, participant: { ...body.participant, nhsNumber: `${body.participant.nhsNumber!.slice(0, 9)}/${body.participant.nhsNumber!.slice(9)}` } }, 0, '/participant/nhsNumber');
  });
  it('a source the partner’s kind of organisation cannot send: a GP practice saying “self”', async () => {
    await refused({ ...newPerson({}), source: 'self' }, 0, '/source');
    await refused({ ...newPerson({}), source: 'gp' }, 1, '/source');
  });
});

describe('rotating the index key, with intake running', () => {
  const run = async (...args: string[]) => {
    const out: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: unknown) => void out.push(String(line)));
    const error = vi.spyOn(console, 'error').mockImplementation((line: unknown) => void out.push(String(line)));
    try {
      const code = await personIndex([...args, '--area', 'south-yorkshire', '--endpoint', rt.dynamoDbEndpoint, '--secrets-endpoint', rt.secretsManagerEndpoint]);
      return { code, out: out.join('\n') };
    } catch (e) {
      return { code: 2, out: String((e as Error).message) };
    } finally {
      log.mockRestore();
      error.mockRestore();
    }
  };

  it('rotate, activate, rebuild and retire: people are recognised at every step, and the old key goes', async () => {
    const before = newPerson({});
    const beforeId = await refer(before, 0);
    const k1 = (await keyRing()).current;
    const under = async (id: string, version: string) => (await getReferral(id))?.personIndex?.every((pk) => pk.startsWith(`PERSON#${version}#`));
    // The functions here share the process: they take a changed ring at once, not in 5 minutes.
    const runNow = async (...args: string[]) => {
      const result = await run(...args);
      forgetKeyRing();
      return result;
    };

    // 1. A new key is added as next: read by every lookup, written by none yet.
    expect((await runNow('rotate')).code).toBe(0);
    const ring = await keyRing();
    const k2 = ring.next!;
    expect(ring.current).toBe(k1);
    expect(k2).not.toBe(k1);
    expect((await runNow('activate')).code).toBe(2); // too soon: some function may not read k2 yet
    const early = newPerson({});
    const earlyId = await refer(early, 0);
    expect(await under(earlyId, k1)).toBe(true);

    // 2. Ten minutes on, it becomes current: new entries use it, the old ones are still found.
    await rt.advance(11 * 60_000);
    expect((await runNow('activate')).code).toBe(0);
    expect((await keyRing()).current).toBe(k2);
    const again = await getReferral(await refer({ ...before }, 1));
    expect(again?.linkedTo).toBe(beforeId);
    const during = newPerson({});
    const duringId = await refer(during, 0);
    expect(await under(duringId, k2)).toBe(true);
    expect(await under(beforeId, k1)).toBe(true);

    // 3. Rebuild waits until no function can still write under k1; retire waits for the rebuild.
    expect((await runNow('rebuild')).code).toBe(2);
    expect((await runNow('retire', '--version', k1)).code).toBe(2);
    await rt.advance(11 * 60_000);
    const rebuilt = await runNow('rebuild');
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.out).toMatch(/[1-9]\d* open journey\(s\) indexed under k\d+/);
    for (const id of [beforeId, earlyId]) expect(await under(id, k2)).toBe(true);

    const status = await run('status');
    expect(status.out).toContain(`current key ${k2}`);
    expect(status.out).toMatch(new RegExp(`${k1}\\s+0\\s+still read`));

    expect((await runNow('retire', '--version', k1)).code).toBe(0);
    expect([...(await keyRing()).keys.keys()]).toEqual([k2]);
    // After the old key is gone, everyone is still recognised.
    expect((await getReferral(await refer({ ...before, participant: { ...before.participant } }, 1)))?.linkedTo).toBe(beforeId);
    expect((await getReferral(await refer({ ...early }, 1)))?.linkedTo).toBe(earlyId);
    expect((await getReferral(await refer({ ...during }, 1)))?.linkedTo).toBe(duringId);
    // Nothing the command printed is a key or a hash.
    expect(status.out).not.toMatch(/[A-Za-z0-9_-]{40,}/);
  });
});
