import { describe, expect, it } from 'vitest';
import { renderNotification, templateNames, formatDue } from '../../functions/domain/notification-templates.ts';
import { WorkingHoursSchema } from '../../areas/schema.ts';
import { classifyTask, digestsByAssignee, isWorkingMorning, localMoment } from '../../functions/domain/digest.ts';
import { workingCalendar } from '../../functions/domain/working-time.ts';

/** A recognisable participant: none of this may ever reach an e-mail. */
const participant = {
  givenName: 'Philomena',
  familyName: 'Zebedee-Quartermaine',
  birthDate: '1979-03-14',
  nhsNumber: '9434765919',
  postcode: 'S10 2TN',
  condition: 'fibromyalgia',
  note: 'panic attacks at work',
};
const secrets = [participant.givenName, participant.familyName, participant.birthDate, '14/03/1979', participant.nhsNumber, '943 476 5919', participant.postcode, 'S102TN', participant.condition, participant.note, 'mental_health'];

const options = {
  linkBaseUrl: 'https://workwell.example',
  timeZone: 'Europe/London',
  providerPageLink: (id: string) => `https://workwell.example/provider/onward-referrals/${id}?expires=1&key=k`,
};

/** Every field some template uses. */
const allFields = {
  referralReference: 'ref-123',
  taskId: 'task-9',
  taskType: 'first_contact',
  dueAt: '2026-01-07T10:00:00.000Z',
  failedTemplate: 'task_assigned',
  onwardReferralId: 'onward-1',
  serviceName: 'Talking Therapies',
  date: '2026-01-07',
  items: JSON.stringify([{ referralReference: 'ref-123', taskId: 'task-9', taskType: 'assessment', dueAt: '2026-01-07T10:00:00.000Z', overdue: false }]),
};

describe('notification templates', () => {
  it('never carry personal or health details, even when handed them', () => {
    const hostileFields = {
      ...allFields,
      // Fields a careless caller might add: the templates must ignore them.
      name: `${participant.givenName} ${participant.familyName}`,
      givenName: participant.givenName,
      familyName: participant.familyName,
      birthDate: participant.birthDate,
      nhsNumber: participant.nhsNumber,
      postcode: participant.postcode,
      condition: participant.condition,
      notes: participant.note,
    };
    for (const template of templateNames) {
      const email = renderNotification(template, hostileFields, options);
      const all = `${email.subject}\n${email.text}\n${email.html}`;
      for (const secret of secrets) expect(all, `${template} leaks ${secret}`).not.toContain(secret);
      expect(email.subject.length).toBeGreaterThan(5);
    }
  });

  it('say the case reference, the task in words, the due time in London and the link', () => {
    const email = renderNotification('task_assigned', { referralReference: 'ref-123', taskId: 'task-9', taskType: 'first_contact', dueAt: '2026-07-07T10:00:00.000Z' }, options);
    expect(email.text).toContain('ref-123');
    expect(email.text).toContain('first contact');
    expect(email.text).toContain('11:00'); // BST
    expect(email.text).toContain('https://workwell.example/coach/tasks/task-9');
    expect(email.html).toContain('href="https://workwell.example/coach/tasks/task-9"');
    expect(formatDue('2026-01-07T10:00:00.000Z', 'Europe/London')).toContain('10:00');
  });

  it('name the case by its short reference in words and link by the referral id', () => {
    const email = renderNotification('notification_failed', { referralReference: 'b7e1c7d2-0000-4000-8000-000000000001', reference: 'SY-4K7P-2MXQ' }, options);
    expect(email.subject).toBe('WorkWell could not deliver a message (case SY-4K7P-2MXQ)');
    expect(email.text).toContain('https://workwell.example/coach/referrals/b7e1c7d2-0000-4000-8000-000000000001');
  });

  it('confirm a self-referral with its reference and what happens next, with no link to sign in', () => {
    const email = renderNotification('self_referral_confirmation', { referralReference: 'b7e1c7d2-0000-4000-8000-000000000001', reference: 'SY-4K7P-2MXQ' }, options);
    expect(email.subject).toBe('Your WorkWell referral: reference SY-4K7P-2MXQ');
    expect(email.text).toContain('What happens next');
    expect(email.text).not.toMatch(/sign in|b7e1c7d2|https?:/i);
  });

  it('render the digest with counts and one link per task', () => {
    const email = renderNotification(
      'daily_digest',
      {
        date: '2026-01-07',
        dueTodayCount: '1',
        overdueCount: '1',
        items: JSON.stringify([
          { referralReference: 'ref-1', taskId: 't1', taskType: 'first_contact', dueAt: '2026-01-06T10:00:00.000Z', overdue: true },
          { referralReference: 'ref-2', taskId: 't2', taskType: 'follow_up', dueAt: '2026-01-07T15:00:00.000Z', overdue: false },
        ]),
      },
      options,
    );
    expect(email.subject).toBe('WorkWell: 1 due today, 1 overdue');
    expect(email.text).toContain('https://workwell.example/coach/tasks/t1');
    expect(email.text).toContain('follow-up check-in');
  });

  it('link only to web pages a person can open, never to an API route', () => {
    const fields = {
      ...allFields,
      // An outbox item written before links went to pages: its API address is not used.
      respondUrl: 'https://workwell.example/v1/onward-referrals/onward-1/status',
    };
    for (const template of templateNames) {
      const email = renderNotification(template, fields, options);
      const links = [...`${email.text}\n${email.html}`.matchAll(/https?:\/\/[^\s"<>]+/g)].map((m) => new URL(m[0].replace(/&amp;/g, '&')));
      // The person who referred themselves has no account: their confirmation carries no link.
      if (template === 'self_referral_confirmation') {
        expect(links).toEqual([]);
        continue;
      }
      expect(links.length, `${template} has a link`).toBeGreaterThan(0);
      for (const link of links) {
        expect(link.pathname, `${template} links to ${link.pathname}`).not.toMatch(/^\/v1(\/|$)/);
        expect(link.pathname, `${template} links to ${link.pathname}`).toMatch(/^\/(coach|provider)\//);
      }
    }
    // Another referral for the same person leads to the journey's workspace page.
    expect(renderNotification('duplicate_referral_linked', { referralReference: 'ref-123' }, options).text).toContain('https://workwell.example/coach/referrals/ref-123');
    // Providers have no account: their e-mail never asks them to sign in.
    for (const template of ['onward_referral', 'onward_referral_chase']) {
      const email = renderNotification(template, fields, options);
      expect(email.text).not.toMatch(/sign in/i);
      expect(email.text).toContain('Talking Therapies');
      expect(email.text).toContain('https://workwell.example/provider/onward-referrals/onward-1?expires=1&key=k');
    }
  });

  it('refuse an unknown template', () => {
    expect(() => renderNotification('nope', {}, options)).toThrow(/Unknown notification template/);
  });
});

describe('digest rules', () => {
  const tz = 'Europe/London';
  const calendar = workingCalendar({ timeZone: tz, workingHours: WorkingHoursSchema.parse({}) });
  it('knows working mornings in the area time zone', () => {
    expect(isWorkingMorning(new Date('2026-01-05T07:30:00Z'), calendar)).toBe(true); // Monday 07:30 GMT
    expect(isWorkingMorning(new Date('2026-01-05T07:29:00Z'), calendar)).toBe(false);
    expect(isWorkingMorning(new Date('2026-07-06T06:30:00Z'), calendar)).toBe(true); // 07:30 BST
    expect(isWorkingMorning(new Date('2026-01-10T09:00:00Z'), calendar)).toBe(false); // Saturday
    expect(localMoment(new Date('2026-03-29T23:30:00Z'), tz).date).toBe('2026-03-30');
  });

  it('sorts tasks into due today and overdue for each assignee', () => {
    const now = new Date('2026-01-07T07:30:00Z');
    const task = (taskId: string, dueAt: string, status = 'open', assignee: string | null = 'coach-a') => ({ referralId: `r-${taskId}`, taskId, taskType: 'first_contact', dueAt, status, assignee });
    expect(classifyTask(task('a', '2026-01-07T16:00:00Z'), now, tz)).toBe('due_today');
    expect(classifyTask(task('b', '2026-01-08T09:00:00Z'), now, tz)).toBeUndefined();
    expect(classifyTask(task('c', '2026-01-06T16:00:00Z'), now, tz)).toBe('overdue');
    expect(classifyTask(task('d', '2026-01-09T16:00:00Z', 'overdue'), now, tz)).toBe('overdue');
    const digests = digestsByAssignee([task('a', '2026-01-07T16:00:00Z'), task('b', '2026-01-08T09:00:00Z'), task('c', '2026-01-06T16:00:00Z', 'overdue', 'coach-b'), task('e', '2026-01-07T12:00:00Z', 'open', null)], now, tz);
    expect([...digests.keys()].sort()).toEqual(['coach-a', 'coach-b']);
    expect(digests.get('coach-a')!.map((e) => e.taskId)).toEqual(['a']);
  });
});
