import type { AreaSettings } from '../../../areas/schema.ts';
import type { StoredCoach } from '../../shared/coach-store.ts';
import type { HumanTask, StoredReferral, TimelineEntry } from '../../shared/referral-store.ts';
import type { Staff } from '../../shared/staff.ts';
import type { TaskSummary } from '../../shared/task-list.ts';
import type { WaitlistEntryView } from '../../shared/waitlist-view.ts';
import type { TaskType } from '../../../workflows/states.ts';
import { backLink, button, errorSummary, type FieldError, form, notificationBanner, radios, summaryList, table, tag } from '../components.ts';
import { formatDate, formatDateTime } from '../date-field.ts';
import { html, type HtmlValue, type SafeHtml } from '../html.ts';
import { href } from '../http.ts';
import { type NavItem, page } from '../layout.ts';
import { conditionText, situationText } from '../self-referral/questions.ts';
import { coachPaths } from '../paths.ts';
import { taskForms, type Form } from './task-forms.ts';

/** The coach workspace's pages. URLs carry task and referral ids only, never personal data. */
export const COACH_PATH = '/coach';
export { coachPaths } from '../paths.ts';

export const taskTypeText: Record<TaskType, string> = {
  first_contact: 'First contact',
  needs_review: 'Eligibility review',
  assessment: 'Assessment and plan',
  follow_up: 'Follow-up',
  outcome: 'Outcome',
  provider_chase: 'Onward referral with no answer',
};

const SERVICE = 'WorkWell coach workspace';
const humanise = (code: string) => (code.charAt(0).toUpperCase() + code.slice(1)).replaceAll('_', ' ');

export interface SignedIn {
  readonly staff: Staff;
  readonly name: string;
  readonly csrf: string;
  readonly area: AreaSettings;
}

function navigation(who: SignedIn | undefined, current: string): NavItem[] {
  if (!who) return [];
  return [
    { text: 'My tasks', path: coachPaths.tasks, current: current === coachPaths.tasks },
    ...(who.staff.role === 'team_lead'
      ? [
          { text: 'Team', path: coachPaths.team, current: current === coachPaths.team },
          { text: 'Waitlist', path: coachPaths.waitlist, current: current === coachPaths.waitlist },
        ]
      : []),
  ];
}

function signOutBar(who: SignedIn): SafeHtml {
  return html`<div class="govuk-grid-row"><div class="govuk-grid-column-full">
    <p class="govuk-body-s govuk-!-margin-bottom-1">Signed in as ${who.name} (${who.staff.role === 'team_lead' ? 'team lead' : 'coach'}), ${who.area.name}</p>
    ${form(coachPaths.signOut, who.csrf, button('Sign out', { secondary: true }))}
  </div></div>`;
}

function coachPage(who: SignedIn | undefined, current: string, title: string, content: HtmlValue, options: { back?: string; hasErrors?: boolean } = {}): SafeHtml {
  return page({
    title,
    serviceName: SERVICE,
    servicePath: COACH_PATH,
    navigation: navigation(who, current),
    ...(options.hasErrors ? { hasErrors: true } : {}),
    ...(options.back ? { beforeContent: backLink(options.back) } : {}),
    content: html`${who ? signOutBar(who) : ''}${content}`,
  });
}

export function signInPage(area: AreaSettings, staff: readonly { staffId: string; name: string; role: string }[], csrf: string, errors: readonly FieldError[], notice?: string): SafeHtml {
  return coachPage(
    undefined,
    coachPaths.signIn,
    'Sign in',
    html`<div class="govuk-grid-row"><div class="govuk-grid-column-two-thirds">
    ${errorSummary(errors)}
    ${notice ? notificationBanner('Important', html`<p class="govuk-notification-banner__heading">${notice}</p>`) : ''}
    ${form(
      coachPaths.signIn,
      csrf,
      html`${radios({
        name: 'staffId',
        legend: 'Sign in as a demo coach or team lead',
        hint: `Local demo only: there is no password. ${area.name}.`,
        items: staff.map((s) => ({ value: s.staffId, text: s.name, hint: s.role === 'team_lead' ? 'Team lead' : 'Coach' })),
        isPageHeading: true,
        error: errors[0]?.message,
      })}${button('Sign in')}`,
    )}
    </div></div>`,
    { hasErrors: errors.length > 0 },
  );
}

export function messagePage(title: string, body: HtmlValue, link?: { text: string; path: string }): SafeHtml {
  return coachPage(
    undefined,
    '',
    title,
    html`<h1 class="govuk-heading-l">${title}</h1><p class="govuk-body">${body}</p>${link ? html`<p class="govuk-body"><a class="govuk-link" href="${href(link.path)}">${link.text}</a></p>` : ''}`,
  );
}

/** Why a form post was not carried out: the session had timed out, or there was none. */
export function sessionEndedPage(reason: 'timed-out' | 'not-signed-in'): SafeHtml {
  const title = 'Your session has ended';
  return coachPage(
    undefined,
    '',
    title,
    html`<h1 class="govuk-heading-l">${title}</h1>
    <p class="govuk-body">${reason === 'timed-out' ? 'We signed you out because you had not done anything for 30 minutes, or had been signed in for 10 hours.' : 'You are not signed in.'}</p>
    <p class="govuk-body">We have not saved what you entered on the last page. Sign in again, then enter it again.</p>
    <p class="govuk-body"><a class="govuk-link" href="${href(coachPaths.signIn)}">Sign in again</a></p>`,
  );
}

/**
 * After signing out. `staffAccountLogout` (the identity provider's sign-out address) is for a
 * session that had already ended: the workspace could not check the form, so it offers a link
 * rather than sending the browser there itself.
 */
export function signedOutPage(staffAccountLogout?: string): SafeHtml {
  const title = 'You have signed out';
  return coachPage(
    undefined,
    '',
    title,
    staffAccountLogout
      ? html`<h1 class="govuk-heading-l">${title}</h1>
    <p class="govuk-body">Your session of the coach workspace had already ended.</p>
    <p class="govuk-body">On a shared computer, also sign out of your staff account, so that nobody else can sign in as you.</p>
    <p class="govuk-body"><a class="govuk-link" href="${staffAccountLogout}">Sign out of your staff account</a></p>`
      : html`<h1 class="govuk-heading-l">${title}</h1>
    <p class="govuk-body">You have been signed out of the coach workspace.</p>
    <p class="govuk-body"><a class="govuk-link" href="${href(coachPaths.signIn)}">Sign in again</a></p>`,
  );
}

/**
 * Soonest due first, as the pages promise, whatever order the task index's two partitions
 * (open and overdue) were merged in; ties in the index's order (referral, then task id).
 */
export function byDueDate(tasks: readonly TaskSummary[]): TaskSummary[] {
  const key = (t: TaskSummary) => `${t.referralId}#${t.taskId}`;
  return [...tasks].sort((a, b) => Date.parse(a.dueAt) - Date.parse(b.dueAt) || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

function dueCell(task: TaskSummary, area: AreaSettings): SafeHtml {
  return html`${formatDateTime(task.dueAt, area.timeZone)}${task.overdue ? html` ${tag('Overdue', 'red')}` : ''}`;
}

function taskRows(tasks: readonly TaskSummary[], area: AreaSettings, showAssignee: boolean, names: ReadonlyMap<string, string>) {
  return byDueDate(tasks).map((t) => [
    html`<a class="govuk-link" href="${href(coachPaths.task(t.taskId))}">${taskTypeText[t.type]}<span class="govuk-visually-hidden"> task for reference ${t.referralId}</span></a>`,
    dueCell(t, area),
    html`<a class="govuk-link" href="${href(coachPaths.referral(t.referralId))}">${t.referralId.slice(0, 8)}<span class="govuk-visually-hidden"> (referral)</span></a>`,
    ...(showAssignee ? [html`${names.get(t.assignee ?? '') ?? t.assignee ?? ''}${t.assigneeOnLeave ? html` ${tag('On leave', 'grey')}` : ''}`] : []),
    t.attempt > 1 ? `Attempt ${t.attempt}` : 'Open',
  ]);
}

export function tasksPage(who: SignedIn, tasks: readonly TaskSummary[], flash: string | undefined, names: ReadonlyMap<string, string>): SafeHtml {
  const overdue = tasks.filter((t) => t.overdue).length;
  return coachPage(
    who,
    coachPaths.tasks,
    'My tasks',
    html`${flash ? notificationBanner('Success', html`<p class="govuk-notification-banner__heading">${flash}</p>`, true) : ''}
    <h1 class="govuk-heading-l">My tasks</h1>
    <p class="govuk-body">${tasks.length} open ${tasks.length === 1 ? 'task' : 'tasks'}, ${overdue} overdue. Soonest due first.</p>
    ${tasks.length
      ? table({ caption: 'Open tasks by due date', head: ['Task', 'Due', 'Reference', ...(who.staff.role === 'team_lead' ? ['Assigned to'] : []), 'Status'], rows: taskRows(tasks, who.area, who.staff.role === 'team_lead', names) })
      : html`<p class="govuk-body">You have no open tasks.</p>`}`,
  );
}

export function teamPage(who: SignedIn, coaches: readonly StoredCoach[], tasks: readonly TaskSummary[], names: ReadonlyMap<string, string>): SafeHtml {
  return coachPage(
    who,
    coachPaths.team,
    'Team',
    html`<h1 class="govuk-heading-l">Team</h1>
    ${table({
      caption: 'Coaches',
      head: ['Coach', 'Caseload', 'Available'],
      rows: coaches.map((c) => [c.name, `${c.caseload} of ${c.maxCaseload}`, c.available ? tag('Available', 'green') : tag('On leave', 'grey')]),
    })}
    ${tasks.length
      ? table({ caption: 'Team tasks by due date', head: ['Task', 'Due', 'Reference', 'Assigned to', 'Status'], rows: taskRows(tasks, who.area, true, names) })
      : html`<p class="govuk-body">The team has no open tasks.</p>`}`,
  );
}

export function waitlistPage(who: SignedIn, entries: readonly WaitlistEntryView[]): SafeHtml {
  return coachPage(
    who,
    coachPaths.waitlist,
    'Waitlist',
    html`<h1 class="govuk-heading-l">Waitlist</h1>
    <p class="govuk-body">People waiting for a coach with free caseload, in the order they will be assigned: urgent first, then by arrival.</p>
    ${entries.length
      ? table({
          caption: `${entries.length} waiting`,
          head: ['Reference', 'Priority', 'Referred', 'Waiting since'],
          rows: entries.map((e) => [
            html`<a class="govuk-link" href="${href(coachPaths.referral(e.referralId))}">${e.referralId.slice(0, 8)}<span class="govuk-visually-hidden"> (referral)</span></a>`,
            e.priority === 'urgent' ? tag('Urgent', 'red') : tag('Routine', 'blue'),
            formatDateTime(e.receivedAt, who.area.timeZone),
            formatDateTime(e.joinedAt, who.area.timeZone),
          ]),
        })
      : html`<p class="govuk-body">Nobody is waiting.</p>`}`,
  );
}

function referralSummary(referral: StoredReferral, area: AreaSettings): SafeHtml {
  const { participant, work, health, needs, reasonableAdjustments } = referral.referral;
  return summaryList([
    { key: 'Name', value: `${participant.givenName} ${participant.familyName}` },
    { key: 'Date of birth', value: formatDate(participant.dateOfBirth) },
    { key: 'Postcode', value: participant.postcode },
    { key: 'Contact by', value: humanise(participant.preferredChannel) },
    ...(participant.email ? [{ key: 'Email', value: participant.email }] : []),
    ...(participant.phone ? [{ key: 'Phone', value: participant.phone }] : []),
    { key: 'Situation', value: work.situation === 'unknown' ? 'Not known: ask at first contact' : situationText[work.situation] },
    { key: 'Health conditions', value: html`${health.conditions.map((c, i) => html`${i ? html`<br>` : ''}${conditionText[c]}`)}` },
    ...(health.details ? [{ key: 'About their health', value: health.details }] : []),
    ...(needs.support.length ? [{ key: 'Support asked for', value: needs.support.map(humanise).join(', ') }] : []),
    ...(reasonableAdjustments.length ? [{ key: 'Reasonable adjustments', value: reasonableAdjustments.join(', ') }] : []),
    { key: 'Referred by', value: `${referral.referrerOrganisation} (${humanise(referral.source)})` },
    { key: 'Received', value: formatDateTime(referral.receivedAt, area.timeZone) },
    ...(referral.triage?.outcome === 'needs_review' ? [{ key: 'Why it needs review', value: humanise(referral.triage.reason) }] : []),
    ...(referral.identityReview
      ? [
          { key: 'Possible same person', value: identityReviewText[referral.identityReview.reason] },
          {
            key: 'Open journeys to compare',
            value: html`${referral.identityReview.matches.map((id, i) => html`${i ? html`<br>` : ''}<a class="govuk-link" href="${href(coachPaths.referral(id))}">Referral ${id}</a>`)}`,
          },
        ]
      : []),
  ]);
}

/** Why intake could not tell whether this is someone already supported (person-match.ts). */
const identityReviewText = {
  nhs_number_conflict: 'The NHS number is the same as on another open journey, but the name or date of birth differ: the NHS number may be wrong.',
  possible_match: 'The name, date of birth and postcode are close to those on another open journey.',
} as const;

/**
 * A task and its form. `silentServices`: for an onward referral with no answer, the services the
 * journey still has no answer from, so the coach knows whom to chase.
 */
export function taskPage(who: SignedIn, task: HumanTask, referral: StoredReferral, values: Form, errors: readonly FieldError[], silentServices: readonly string[] = []): SafeHtml {
  const taskForm = taskForms[task.type];
  const open = task.status === 'open' || task.status === 'overdue';
  const overdue = task.status === 'overdue' || Date.parse(task.dueAt) < Date.now();
  return coachPage(
    who,
    '',
    `${taskTypeText[task.type]} task`,
    html`${errorSummary(errors)}
    <span class="govuk-caption-l">Reference ${referral.reference ?? referral.referralId}</span>
    <h1 class="govuk-heading-l">${taskForm.title}</h1>
    <p class="govuk-body">Due ${formatDateTime(task.dueAt, who.area.timeZone)}${overdue && open ? html` ${tag('Overdue', 'red')}` : ''}${task.attempt > 1 ? ` (attempt ${task.attempt})` : ''}</p>
    <p class="govuk-body"><a class="govuk-link" href="${href(coachPaths.referral(referral.referralId))}">View the referral and its timeline</a></p>
    ${silentServices.length ? html`<div class="govuk-inset-text" data-testid="silent-services">No answer from ${silentServices.join(', ')}</div>` : ''}
    <div class="govuk-grid-row"><div class="govuk-grid-column-two-thirds">
    <h2 class="govuk-heading-m">About the participant</h2>
    ${referralSummary(referral, who.area)}
    <h2 class="govuk-heading-m">${open ? 'Complete the task' : 'This task is closed'}</h2>
    ${open
      ? form(coachPaths.task(task.taskId), who.csrf, html`${taskForm.fields(values, errors, who.area)}${button('Complete task')}`)
      : html`<p class="govuk-body">Status: ${humanise(task.status)}${task.completedAt ? `, ${formatDateTime(task.completedAt, who.area.timeZone)}` : ''}.</p>`}
    </div></div>`,
    { back: coachPaths.tasks, hasErrors: errors.length > 0 },
  );
}

const eventText: Record<string, string> = {
  received: 'Referral received',
  linked: 'Linked to an open journey',
  triaged: 'Triaged',
  waitlisted: 'Put on the waitlist',
  coach_assigned: 'Coach assigned',
  coach_reassigned: 'Coach reassigned',
  task_opened: 'Task opened',
  task_reminder: 'Task reminder sent',
  task_overdue: 'Task overdue',
  task_completed: 'Task completed',
  task_cancelled: 'Task cancelled',
  engaged: 'Engaged',
  declined: 'Declined support',
  not_engaged: 'Closed: not engaged',
  contact_attempt_failed: 'Contact attempt failed',
  closed_not_eligible: 'Closed: not eligible',
  discharged: 'Discharged',
  withdrawn: 'Withdrawn',
  needs_attention: 'Needs attention',
  caseload_released: 'Caseload released',
  duplicate_referral_linked: 'Another referral linked',
  closed_by_operator: 'Closed by an operator',
};

function timelineDetails(entry: TimelineEntry, names: ReadonlyMap<string, string>, area: AreaSettings): string {
  const parts: string[] = [];
  const extra = entry as unknown as Record<string, unknown>;
  // An onward referral's entries say which service: a coach may have referred to several.
  if (typeof extra.serviceId === 'string') parts.push(area.services.find((s) => s.id === extra.serviceId)?.name ?? humanise(extra.serviceId));
  if (entry.taskType) parts.push(taskTypeText[entry.taskType as TaskType] ?? humanise(entry.taskType));
  if (entry.attempt && entry.attempt > 1) parts.push(`attempt ${entry.attempt}`);
  if (typeof extra.outcome === 'string') parts.push(`outcome: ${humanise(extra.outcome)}`);
  if (entry.reason) parts.push(`reason: ${humanise(entry.reason)}`);
  if (entry.priority) parts.push(`priority: ${entry.priority}`);
  if (entry.coachId) parts.push(names.get(entry.coachId) ?? entry.coachId);
  if (entry.status) parts.push(`status: ${humanise(entry.status)}`);
  return parts.join(', ');
}

export function referralPage(who: SignedIn, referral: StoredReferral, timeline: readonly TimelineEntry[], tasks: readonly HumanTask[], names: ReadonlyMap<string, string>, flash?: string): SafeHtml {
  const openTasks = tasks.filter((t) => t.status === 'open' || t.status === 'overdue');
  return coachPage(
    who,
    '',
    'Referral',
    html`${flash ? notificationBanner('Success', html`<p class="govuk-notification-banner__heading">${flash}</p>`, true) : ''}
    <span class="govuk-caption-l">Reference ${referral.reference ?? referral.referralId}</span>
    <h1 class="govuk-heading-l">${referral.referral.participant.givenName} ${referral.referral.participant.familyName}</h1>
    ${summaryList([
      { key: 'Status', value: tag(humanise(referral.status), referral.closedAt ? 'grey' : 'blue') },
      { key: 'Stage', value: humanise(referral.stage) },
      ...(referral.triage ? [{ key: 'Priority', value: humanise(referral.triage.priority) }] : []),
      { key: 'Coach', value: referral.coachId ? (names.get(referral.coachId) ?? referral.coachId) : 'Not assigned' },
    ])}
    ${openTasks.length
      ? html`<h2 class="govuk-heading-m">Open tasks</h2><ul class="govuk-list">${openTasks.map(
          (t) => html`<li><a class="govuk-link" href="${href(coachPaths.task(t.taskId))}">${taskTypeText[t.type]}</a>, due ${formatDateTime(t.dueAt, who.area.timeZone)}</li>`,
        )}</ul>`
      : ''}
    <h2 class="govuk-heading-m">Journey timeline</h2>
    <ol class="govuk-list workwell-timeline" data-testid="timeline">
      ${timeline.map(
        (e) => html`<li class="govuk-!-margin-bottom-3"><strong>${eventText[e.event] ?? humanise(e.event)}</strong><br><span class="govuk-body-s">${formatDateTime(e.at, who.area.timeZone)}${timelineDetails(e, names, who.area) ? ` · ${timelineDetails(e, names, who.area)}` : ''}</span></li>`,
      )}
    </ol>
    <h2 class="govuk-heading-m">About the participant</h2>
    ${referralSummary(referral, who.area)}`,
    { back: coachPaths.tasks },
  );
}
