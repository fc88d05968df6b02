/**
 * E-mail templates, pure: subject, plain text and simple HTML from a notification's fields.
 * What goes in is only a case reference (the short reference people read out, else the
 * referral id; links carry the id), the task type in words, a due
 * date and time in the area's time zone, counts, and links to the service: never a
 * participant's name, date of birth, NHS number, address or health details. Anything else in
 * `fields` is ignored.
 */
import { coachPaths } from '../web/paths.ts';

export interface RenderedEmail {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

export interface RenderOptions {
  /** The site's root URL; links are to its pages (`<base>/coach/tasks/<taskId>`, ...), never to API routes. */
  readonly linkBaseUrl: string;
  readonly timeZone: string;
  /**
   * The keyed, expiring link to a provider's page for an onward referral (made by whoever holds
   * the provider key secret, at send time, so the key is never stored in the outbox).
   */
  readonly providerPageLink?: (onwardReferralId: string) => string;
}

/** Task types in words (workflows/states.ts taskTypes). */
const taskTypeWords: Readonly<Record<string, string>> = {
  first_contact: 'first contact',
  needs_review: 'eligibility review',
  assessment: 'assessment and plan',
  follow_up: 'follow-up check-in',
  outcome: 'outcome',
  provider_chase: 'onward referral follow-up',
};

export function taskTypeInWords(type: string | undefined): string {
  return (type && taskTypeWords[type]) ?? 'task';
}

export function formatDue(iso: string | undefined, timeZone: string): string {
  if (!iso) return 'not set';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return 'not set';
  return new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'long',
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  }).format(date);
}

const trim = (base: string) => base.replace(/\/+$/, '');
export const taskLink = (base: string, taskId: string) => `${trim(base)}${coachPaths.task(taskId)}`;
export const referralLink = (base: string, referralId: string) => `${trim(base)}${coachPaths.referral(referralId)}`;

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A paragraph is a line of text; a link is shown as such in both forms. */
type Block = { text: string } | { link: string; label: string } | { list: { text: string; link?: string }[] };

const staffFooter = 'This message contains no personal details. Sign in to WorkWell to see the case.';
// Providers have no WorkWell account: the link is their way in.
const providerFooter = 'This message contains no personal details. The link shows the referral and lets you tell us what happened; no account is needed.';

function build(subject: string, blocks: Block[], footerText = staffFooter): RenderedEmail {
  const footer: Block = { text: footerText };
  const all = [...blocks, footer];
  const text = all
    .map((b) =>
      'text' in b ? b.text : 'link' in b ? `${b.label}: ${b.link}` : b.list.map((i) => `- ${i.text}${i.link ? `: ${i.link}` : ''}`).join('\n'),
    )
    .join('\n\n');
  const html = `<!doctype html><html><body>${all
    .map((b) =>
      'text' in b
        ? `<p>${escapeHtml(b.text)}</p>`
        : 'link' in b
          ? `<p><a href="${escapeHtml(b.link)}">${escapeHtml(b.label)}</a></p>`
          : `<ul>${b.list.map((i) => `<li>${i.link ? `<a href="${escapeHtml(i.link)}">${escapeHtml(i.text)}</a>` : escapeHtml(i.text)}</li>`).join('')}</ul>`,
    )
    .join('')}</body></html>`;
  return { subject, text, html };
}

/** One line of a digest: a task due today or overdue. */
export interface DigestLine {
  readonly referralReference: string;
  readonly taskId: string;
  readonly taskType: string;
  readonly dueAt: string;
  readonly overdue: boolean;
}

export function parseDigestLines(json: string | undefined): DigestLine[] {
  if (!json) return [];
  try {
    const parsed = JSON.parse(json) as unknown;
    return Array.isArray(parsed) ? (parsed as DigestLine[]) : [];
  } catch {
    return [];
  }
}

export const templateNames = [
  'task_assigned',
  'task_reminder',
  'task_overdue',
  'notification_failed',
  'daily_digest',
  'duplicate_referral_linked',
  'onward_referral',
  'onward_referral_chase',
  'gp_summary_held',
  'self_referral_confirmation',
] as const;
export type TemplateName = (typeof templateNames)[number];

export class UnknownTemplate extends Error {
  override readonly name = 'UnknownTemplate';
  constructor(template: string) {
    super(`Unknown notification template ${template.slice(0, 64)}`);
  }
}

export function renderNotification(
  template: string,
  fields: Readonly<Record<string, string>>,
  options: RenderOptions,
): RenderedEmail {
  const id = fields.referralReference ?? '';
  // The short reference in words, the referral id in links.
  const ref = fields.reference ?? id;
  const words = taskTypeInWords(fields.taskType);
  const due = formatDue(fields.dueAt, options.timeZone);
  const link = fields.taskId ? taskLink(options.linkBaseUrl, fields.taskId) : referralLink(options.linkBaseUrl, id);
  switch (template as TemplateName) {
    case 'task_assigned':
      return build(`New WorkWell task: ${words} (case ${ref})`, [
        { text: `You have a new ${words} task for case ${ref}.` },
        { text: `Due: ${due}.` },
        { link, label: 'Open the task' },
      ]);
    case 'task_reminder':
      return build(`Reminder: ${words} due soon (case ${ref})`, [
        { text: `The ${words} task for case ${ref} is due soon.` },
        { text: `Due: ${due}.` },
        { link, label: 'Open the task' },
      ]);
    case 'task_overdue':
      return build(`Overdue: ${words} (case ${ref})`, [
        { text: `The ${words} task for case ${ref} has passed its deadline and is escalated to you.` },
        { text: `It was due: ${due}.` },
        { link, label: 'Open the task' },
      ]);
    case 'notification_failed':
      return build(`WorkWell could not deliver a message (case ${ref})`, [
        { text: `A message about case ${ref}${fields.failedTemplate ? ` (${fields.failedTemplate.replace(/_/g, ' ')})` : ''} could not be delivered after several attempts.` },
        { text: 'Please make sure the right person knows about the case.' },
        { link: referralLink(options.linkBaseUrl, id), label: 'Open the case' },
      ]);
    case 'gp_summary_held':
      return build(`Discharge summary not sent to the GP practice (case ${ref})`, [
        { text: `Case ${ref} was discharged, but the person's GP practice has no registered endpoint for the discharge summary.` },
        { text: 'The summary is kept: send it to the practice another way, and ask the area to register the practice.' },
        { link: referralLink(options.linkBaseUrl, id), label: 'Open the case' },
      ]);
    case 'duplicate_referral_linked':
      return build(`Another referral received (case ${ref})`, [
        { text: `A new referral was received for the person on case ${ref} and linked to it.` },
        { link: referralLink(options.linkBaseUrl, id), label: 'Open the case' },
      ]);
    case 'onward_referral':
    case 'onward_referral_chase': {
      const service = fields.serviceName ? ` (${fields.serviceName})` : '';
      const page = fields.onwardReferralId && options.providerPageLink ? options.providerPageLink(fields.onwardReferralId) : undefined;
      return build(
        template === 'onward_referral' ? `WorkWell onward referral ${fields.onwardReferralId ?? ''}` : `Reminder: WorkWell onward referral ${fields.onwardReferralId ?? ''}`,
        [
          {
            text:
              template === 'onward_referral'
                ? `WorkWell has referred someone to your service${service} (reference ${fields.onwardReferralId ?? ''}).`
                : `We have not yet heard back from your service${service} about onward referral ${fields.onwardReferralId ?? ''}.`,
          },
          ...(page ? [{ link: page, label: 'See the referral and tell us what happened' }] : []),
        ],
        providerFooter,
      );
    }
    case 'self_referral_confirmation':
      // To the person who referred themselves: the reference and what happens next, nothing they told us.
      return build(
        `Your WorkWell referral: reference ${ref}`,
        [
          { text: 'Thank you. We have received your referral to WorkWell.' },
          { text: `Your reference is ${ref}. Keep it: you will need it if you contact us about your referral.` },
          { text: 'What happens next: we will check your referral, and a Work and Health Coach will contact you the way you asked.' },
          { text: 'If you need help urgently, call NHS 111. If your life is at risk, call 999.' },
        ],
        'You are getting this e-mail because you referred yourself to WorkWell. If you did not, you can ignore it.',
      );
    case 'daily_digest': {
      const lines = parseDigestLines(fields.items);
      const overdue = lines.filter((l) => l.overdue);
      const today = lines.filter((l) => !l.overdue);
      const list = (items: DigestLine[]) => ({
        list: items.map((l) => ({
          text: `Case ${l.referralReference}: ${taskTypeInWords(l.taskType)}, due ${formatDue(l.dueAt, options.timeZone)}`,
          link: taskLink(options.linkBaseUrl, l.taskId),
        })),
      });
      const count = (value: string | undefined, fallback: number) => (value && /^\d+$/.test(value) ? Number(value) : fallback);
      const todayCount = count(fields.dueTodayCount, today.length);
      const overdueCount = count(fields.overdueCount, overdue.length);
      const blocks: Block[] = [{ text: `Your WorkWell tasks for ${fields.date ?? 'today'}: ${todayCount} due today, ${overdueCount} overdue.` }];
      if (overdue.length) blocks.push({ text: 'Overdue:' }, list(overdue));
      if (today.length) blocks.push({ text: 'Due today:' }, list(today));
      if (todayCount + overdueCount > lines.length) blocks.push({ text: 'More tasks are listed in WorkWell.' });
      return build(`WorkWell: ${todayCount} due today, ${overdueCount} overdue`, blocks);
    }
    default:
      throw new UnknownTemplate(template);
  }
}
