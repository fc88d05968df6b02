import type { AreaSettings, Signpost } from '../../../areas/schema.ts';
import { backLink, button, errorSummary, type FieldError, form, linkButton, panel, summaryList, twoThirds } from '../components.ts';
import { html, type HtmlValue, type SafeHtml } from '../html.ts';
import { href } from '../http.ts';
import { page } from '../layout.ts';
import type { Answers } from './answers.ts';
import { applicableQuestions, CHECK_ANSWERS, previousPage } from './flow.ts';
import type { Question, QuestionContext } from './questions.ts';

/** The self-referral form's pages. URLs carry page names only, never an answer. */
export const SELF_REFERRAL_PATH = '/self-referral';
export const HONEYPOT_FIELD = 'website';
export const pagePath = (slug: string) => `${SELF_REFERRAL_PATH}/${slug}`;

const serviceName = (area: AreaSettings) => `Refer yourself to WorkWell ${area.name}`;

function selfReferralPage(area: AreaSettings, title: string, content: HtmlValue, options: { back?: string; hasErrors?: boolean } = {}): SafeHtml {
  return page({
    title,
    serviceName: serviceName(area),
    servicePath: SELF_REFERRAL_PATH,
    ...(options.hasErrors ? { hasErrors: true } : {}),
    ...(options.back ? { beforeContent: backLink(options.back) } : {}),
    content: twoThirds(content),
  });
}

export function startPage(area: AreaSettings): SafeHtml {
  return selfReferralPage(
    area,
    'Refer yourself',
    html`<h1 class="govuk-heading-xl">Refer yourself to WorkWell ${area.name}</h1>
    <p class="govuk-body">WorkWell is free support for people whose health makes it hard to stay in work or get back to work. A Work and Health Coach works with you on a plan and can put you in touch with local services.</p>
    <p class="govuk-body">You do not need to be on benefits, and you do not need a referral from your GP or employer.</p>
    <h2 class="govuk-heading-m">Before you start</h2>
    <p class="govuk-body">We will first ask a few questions to check WorkWell can help you. It takes about 5 minutes. We will then ask for your name, how to contact you and about your health.</p>
    ${linkButton('Start now', pagePath('postcode'), { start: true })}`,
  );
}

export function questionPage(
  area: AreaSettings,
  question: Question,
  answers: Answers,
  errors: readonly FieldError[],
  csrf: string,
  context: QuestionContext,
): SafeHtml {
  const previous = previousPage(question.slug, answers, area);
  return selfReferralPage(
    area,
    question.title,
    html`${errorSummary(errors)}
    ${form(pagePath(question.slug), csrf, html`${question.fields(answers, errors, context)}${button('Continue')}`, HONEYPOT_FIELD)}`,
    { back: previous ? pagePath(previous) : SELF_REFERRAL_PATH, hasErrors: errors.length > 0 },
  );
}

export function checkAnswersPage(area: AreaSettings, answers: Answers, csrf: string): SafeHtml {
  const rows = applicableQuestions(answers, area).flatMap((q) =>
    q.summary(answers).map((row) => ({ ...row, change: { path: pagePath(q.slug), hidden: row.key.toLowerCase() } })),
  );
  const previous = previousPage(CHECK_ANSWERS, answers, area);
  return selfReferralPage(
    area,
    'Check your answers before sending your referral',
    html`<h1 class="govuk-heading-l">Check your answers before sending your referral</h1>
    ${summaryList(rows)}
    <h2 class="govuk-heading-m">Now send your referral</h2>
    <p class="govuk-body">By sending this referral you confirm that the details you have given are correct to the best of your knowledge.</p>
    ${form(pagePath(CHECK_ANSWERS), csrf, button('Send referral'), HONEYPOT_FIELD)}`,
    previous ? { back: pagePath(previous) } : {},
  );
}

function signpostList(signposts: readonly Signpost[]): SafeHtml {
  return html`<ul class="govuk-list">
    ${signposts.map(
      (s) => html`<li class="govuk-!-margin-bottom-4"><a class="govuk-link" href="${s.url}" rel="noreferrer noopener">${s.name}</a><br><span class="govuk-body">${s.description}</span></li>`,
    )}
  </ul>`;
}

export function notEligiblePage(area: AreaSettings, signposts: readonly Signpost[], back: string): SafeHtml {
  return selfReferralPage(
    area,
    'WorkWell cannot help you at the moment',
    html`<h1 class="govuk-heading-l">WorkWell cannot help you at the moment</h1>
    <p class="govuk-body">From your answers, WorkWell ${area.name} is not the right service for you. We have not kept any of your details.</p>
    <h2 class="govuk-heading-m">Where you can get help</h2>
    ${signpostList(signposts)}
    <p class="govuk-body">If you think an answer was wrong, <a class="govuk-link" href="${href(back)}">check your answers</a>.</p>`,
  );
}

/** Only referrals triage would not close are sent (eligibility is checked first), so no signposting here. */
export function confirmationPage(area: AreaSettings, reference: string): SafeHtml {
  return selfReferralPage(
    area,
    'Referral sent',
    html`${panel('Referral sent', html`Your reference number<br><strong class="workwell-reference">${reference}</strong>`)}
    <p class="govuk-body">Keep this reference. You will need it if you contact us about your referral.</p>
    <h2 class="govuk-heading-m">What happens next</h2>
    <p class="govuk-body">We will check your referral and a Work and Health Coach will contact you the way you asked.</p>
    <p class="govuk-body">If you need help urgently, call NHS 111. If your life is at risk, call 999.</p>`,
  );
}

/** Session timed out (GOV.UK pattern): the answers are gone, start again. */
export function timedOutPage(area: AreaSettings): SafeHtml {
  return selfReferralPage(
    area,
    'Your answers have been deleted',
    html`<h1 class="govuk-heading-l">Your answers have been deleted</h1>
    <p class="govuk-body">You did not do anything for a while, so we deleted your answers to protect your information.</p>
    ${linkButton('Start again', SELF_REFERRAL_PATH)}`,
  );
}

export function problemPage(area: AreaSettings, title: string, body: string): SafeHtml {
  return selfReferralPage(
    area,
    title,
    html`<h1 class="govuk-heading-l">${title}</h1><p class="govuk-body">${body}</p>
    <p class="govuk-body"><a class="govuk-link" href="${href(SELF_REFERRAL_PATH)}">Go to the start</a></p>`,
  );
}
