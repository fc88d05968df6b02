import type { Service } from '../../../areas/schema.ts';
import { declineReasons, type DeclineReason, type ProviderReferralDetails, type ProviderStatus } from '../../domain/onward-referral.ts';
import type { OnwardReferral } from '../../shared/onward-referral-store.ts';
import { button, dateInput, type DateValue, errorSummary, type FieldError, radios, summaryList, twoThirds } from '../components.ts';
import { formatDate } from '../date-field.ts';
import { html, type HtmlValue, type SafeHtml } from '../html.ts';
import { href } from '../http.ts';
import { page } from '../layout.ts';
import { providerPaths } from '../paths.ts';
import { conditionText, supportText } from '../self-referral/questions.ts';

/**
 * A provider's page for one onward referral, reached from the e-mailed link (no account): what
 * the service needs to act, and a form to say what happened. The link's expiry and key travel
 * in hidden fields, never in a cookie; they are the form's proof, as a CSRF token would be.
 */
const SERVICE_NAME = 'WorkWell onward referral';

export const statusText: Record<ProviderStatus, string> = {
  accepted: 'Accepted',
  declined: 'Declined',
  attended: 'Attended their first appointment',
  did_not_attend: 'Did not attend',
  completed: 'Completed',
};

export const declineReasonText: Record<DeclineReason, string> = {
  not_eligible: 'They are not eligible for our service',
  no_capacity: 'We have no capacity',
  person_declined: 'They do not want our service',
  could_not_contact: 'We could not contact them',
  not_suitable: 'Our service is not suitable for their needs',
  other: 'Another reason',
};

const channelText = { email: 'Email', phone: 'Phone call', sms: 'Text message', letter: 'Letter' } as const;

export interface ProviderLink {
  readonly expires: string;
  readonly key: string;
}

export interface ProviderFormValues {
  readonly status?: string;
  readonly reason?: string;
  readonly appointment?: DateValue;
}

// Without its key the page's own address shows "This link does not work": there is no provider home page.
function providerPage(title: string, content: HtmlValue, servicePath: string, hasErrors = false): SafeHtml {
  return page({ title, serviceName: SERVICE_NAME, servicePath, ...(hasErrors ? { hasErrors: true } : {}), content: twoThirds(content) });
}

const lines = (items: readonly string[]) => (items.length ? html`${items.map((item, i) => html`${i ? html`<br>` : ''}${item}`)}` : 'None given');

function detailsList(details: ProviderReferralDetails): SafeHtml {
  const { participant, reasonForReferral } = details;
  return summaryList([
    { key: 'Name', value: `${participant.name.given} ${participant.name.family}` },
    { key: 'Date of birth', value: formatDate(participant.dateOfBirth) },
    { key: 'Postcode', value: participant.postcode },
    { key: 'Email', value: participant.contact.email ?? 'Not given' },
    { key: 'Phone', value: participant.contact.phone ?? 'Not given' },
    { key: 'How they prefer to be contacted', value: channelText[participant.contact.preferredChannel] },
    { key: 'Health conditions', value: lines(reasonForReferral.conditions.map((c) => conditionText[c])) },
    { key: 'Support that would help', value: lines(reasonForReferral.supportNeeds.map((s) => supportText[s])) },
    { key: 'Reasonable adjustments', value: lines(participant.reasonableAdjustments) },
  ]);
}

function answerForm(onward: OnwardReferral, link: ProviderLink, next: readonly ProviderStatus[], values: ProviderFormValues, errors: readonly FieldError[]): SafeHtml {
  const error = (field: string) => errors.find((e) => e.field === field)?.message;
  return html`<form method="post" action="${href(providerPaths.onwardReferral(onward.onwardReferralId))}" novalidate>
    <input type="hidden" name="expires" value="${link.expires}">
    <input type="hidden" name="key" value="${link.key}">
    ${radios({ name: 'status', legend: 'What has happened?', items: next.map((s) => ({ value: s, text: statusText[s] })), value: values.status, error: error('status') })}
    ${next.includes('declined') ? radios({ name: 'reason', legend: 'If you declined, why?', items: declineReasons.map((r) => ({ value: r, text: declineReasonText[r] })), value: values.reason, error: error('reason') }) : ''}
    ${next.includes('accepted') ? dateInput({ name: 'appointment', legend: 'If you accepted, the date of the first appointment (optional)', hint: 'For example, 27 3 2027', value: values.appointment, error: error('appointment') }) : ''}
    ${button('Send')}
  </form>`;
}

export function onwardReferralPage(input: {
  service: Pick<Service, 'name'>;
  onward: OnwardReferral;
  details: ProviderReferralDetails;
  link: ProviderLink;
  next: readonly ProviderStatus[];
  values?: ProviderFormValues;
  errors?: readonly FieldError[];
}): SafeHtml {
  const { onward, errors = [] } = input;
  const current = onward.lastStatus ? html`<p class="govuk-body">You last told us: ${statusText[onward.lastStatus]}.</p>` : '';
  return providerPage(
    'Onward referral',
    html`${errorSummary(errors)}
    <span class="govuk-caption-l">${input.service.name}</span>
    <h1 class="govuk-heading-l">Onward referral ${onward.onwardReferralId}</h1>
    <p class="govuk-body">WorkWell has referred this person to your service. They agreed to share these details with you, and only these.</p>
    ${detailsList(input.details)}
    ${current}
    ${input.next.length
      ? html`<h2 class="govuk-heading-m">Tell us what happened</h2>${answerForm(onward, input.link, input.next, input.values ?? {}, errors)}`
      : html`<p class="govuk-body">You have told us everything we need about this referral. Thank you.</p>`}`,
    providerPaths.onwardReferral(onward.onwardReferralId),
    errors.length > 0,
  );
}

export function answerRecordedPage(service: Pick<Service, 'name'>, onwardReferralId: string, status: ProviderStatus): SafeHtml {
  return providerPage(
    'Thank you',
    html`<div class="govuk-panel govuk-panel--confirmation"><h1 class="govuk-panel__title">Thank you</h1><div class="govuk-panel__body">We have recorded: ${statusText[status]}</div></div>
    <p class="govuk-body">The person's Work and Health Coach will see this. ${service.name} can use the same link to tell us what happens next.</p>`,
    providerPaths.onwardReferral(onwardReferralId),
  );
}

/** A link that does not open the page; nothing was read or changed. */
export function linkProblemPage(problem: 'expired' | 'invalid', path: string): SafeHtml {
  return providerPage(
    problem === 'expired' ? 'This link has expired' : 'This link does not work',
    html`<h1 class="govuk-heading-l">${problem === 'expired' ? 'This link has expired' : 'This link does not work'}</h1>
    <p class="govuk-body">${problem === 'expired'
      ? 'Links in WorkWell onward referral e-mails work for 30 days. We send a reminder with a new link if we have not heard from you.'
      : 'Use the whole link from the WorkWell e-mail about this referral. If you copied it, check nothing is missing.'}</p>
    <p class="govuk-body">Nothing has been changed.</p>`,
    path,
  );
}
