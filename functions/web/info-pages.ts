import type { AreaSettings } from '../../areas/schema.ts';
import { table, twoThirds } from './components.ts';
import { html, type SafeHtml } from './html.ts';
import { page } from './layout.ts';

/**
 * The information every public service publishes: privacy notice, accessibility statement and
 * cookies (GET /help/{page}), worded from the area's settings (`publicInformation`, all with
 * defaults). Linked from the footer of every page (layout.ts).
 */
export const INFO_PATH = '/help';
export const infoPages = { privacy: 'Privacy notice', accessibility: 'Accessibility statement', cookies: 'Cookies' } as const;
export type InfoPage = keyof typeof infoPages;

export function isInfoPage(slug: string): slug is InfoPage {
  return Object.hasOwn(infoPages, slug);
}

function contactOf(area: AreaSettings): { controller: string; email: string; dpo: string } {
  const info = area.publicInformation;
  const email = info.contactEmail ?? `workwell-${area.slug}@workwell.example`;
  return { controller: info.controller ?? `NHS ${area.name} Integrated Care Board`, email, dpo: info.dataProtectionOfficerEmail ?? email };
}

const mailto = (email: string) => html`<a class="govuk-link" href="mailto:${email}">${email}</a>`;

function privacy(area: AreaSettings): SafeHtml {
  const { controller, email, dpo } = contactOf(area);
  return html`<h1 class="govuk-heading-l">Privacy notice</h1>
    <p class="govuk-body">${controller} is the data controller for WorkWell ${area.name}: it decides how your information is used and is responsible for keeping it safe.</p>
    <h2 class="govuk-heading-m">What we collect</h2>
    <p class="govuk-body">Your name, date of birth, postcode, contact details, NHS number and GP practice if given, your work situation, and what you or the person who referred you told us about your health and the support you need. Your coach adds notes, your plan and how your support went.</p>
    <h2 class="govuk-heading-m">Why we use it, and our lawful basis</h2>
    <p class="govuk-body">To decide whether WorkWell can help you, to give you a Work and Health Coach and the support in your plan, and to run and improve the service. We rely on our public task (UK GDPR Article 6(1)(e)); for information about your health, on the provision of health and social care (Article 9(2)(h) and the Data Protection Act 2018, Schedule 1, paragraph 2).</p>
    <h2 class="govuk-heading-m">Who sees it</h2>
    <ul class="govuk-list govuk-list--bullet">
      <li>your coach and their team</li>
      <li>services you agree to be referred to, which get only what they need to help you</li>
      <li>the organisation that referred you, which sees where your referral is, never what you told your coach</li>
      <li>the service's independent evaluators, who get your contact details only if you agreed to be contacted</li>
    </ul>
    <h2 class="govuk-heading-m">How long we keep it</h2>
    <p class="govuk-body">${area.retentionYears} years after your support ends, as the NHS Records Management Code of Practice sets out; then it is deleted.</p>
    <h2 class="govuk-heading-m">Your rights</h2>
    <p class="govuk-body">You can ask for a copy of your information and for anything wrong to be corrected; we answer within one month. Write to ${mailto(email)}. Our Data Protection Officer: ${mailto(dpo)}.</p>
    <p class="govuk-body">If you are unhappy with how we used your information, you can complain to the <a class="govuk-link" href="https://ico.org.uk/make-a-complaint/">Information Commissioner's Office</a>.</p>`;
}

function accessibility(area: AreaSettings): SafeHtml {
  const { email } = contactOf(area);
  const issues = area.publicInformation.accessibilityIssues;
  const reviewed = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' }).format(
    new Date(`${area.publicInformation.accessibilityReviewed}T00:00:00Z`),
  );
  return html`<h1 class="govuk-heading-l">Accessibility statement</h1>
    <p class="govuk-body">This statement covers the WorkWell ${area.name} web pages: the self-referral form and the coach workspace. We want as many people as possible to be able to use them: you should be able to zoom to 400% without text spilling off the screen, and to use every page with a keyboard, speech recognition or a screen reader, without JavaScript.</p>
    <h2 class="govuk-heading-m">How accessible the service is</h2>
    ${issues.length
      ? html`<p class="govuk-body">This service is partially compliant with the Web Content Accessibility Guidelines version 2.2 AA standard. We know of these problems:</p>
    <ul class="govuk-list govuk-list--bullet">${issues.map((issue) => html`<li>${issue}</li>`)}</ul>`
      : html`<p class="govuk-body">This service is fully compliant with the Web Content Accessibility Guidelines version 2.2 AA standard.</p>`}
    <h2 class="govuk-heading-m">Feedback and other formats</h2>
    <p class="govuk-body">If you need information in another format, or find a problem not listed here, write to ${mailto(email)}. We reply within 5 working days.</p>
    <h2 class="govuk-heading-m">Enforcement procedure</h2>
    <p class="govuk-body">The Equality and Human Rights Commission enforces the accessibility regulations. If you are not happy with how we respond, contact the <a class="govuk-link" href="https://www.equalityadvisoryservice.com/">Equality Advisory and Support Service</a>.</p>
    <h2 class="govuk-heading-m">How we tested this service</h2>
    <p class="govuk-body">Every page is checked automatically against WCAG 2.2 A and AA whenever the service changes. This statement was last reviewed on ${reviewed}.</p>`;
}

function cookies(): SafeHtml {
  return html`<h1 class="govuk-heading-l">Cookies</h1>
    <p class="govuk-body">Cookies are small files saved on your phone, tablet or computer. This service uses only the cookies it needs to work, so it does not ask for your consent. It uses no analytics or advertising cookies.</p>
    ${table({
      caption: 'Essential cookies',
      head: ['Name', 'Purpose', 'Expires'],
      rows: [
        ['workwell_self_referral', 'Keeps your answers, encrypted, while you fill in the self-referral form', 'When you close your browser, or after 60 minutes without activity'],
        ['workwell_staff', 'Keeps coaches and team leads signed in to the workspace', 'When the browser is closed, after 30 minutes without activity, or after 10 hours'],
      ],
    })}`;
}

export function infoPage(area: AreaSettings, slug: InfoPage, service: { name: string; path: string }): SafeHtml {
  const content = slug === 'privacy' ? privacy(area) : slug === 'accessibility' ? accessibility(area) : cookies();
  return page({ title: infoPages[slug], serviceName: service.name, servicePath: service.path, content: twoThirds(content) });
}
