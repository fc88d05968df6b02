import { html, type HtmlValue, type SafeHtml } from './html.ts';
import { href } from './http.ts';

/**
 * The page template of every web page (GOV.UK Frontend's page template, written out): skip
 * link, service navigation, phase banner, main content, footer. No inline script or style, so
 * the content security policy needs no exceptions.
 */
export interface NavItem {
  readonly text: string;
  readonly path: string;
  readonly current?: boolean;
}

export interface PageOptions {
  /** The page's own title; "Error: " is put in front when the page shows errors. */
  readonly title: string;
  readonly serviceName: string;
  readonly servicePath: string;
  readonly hasErrors?: boolean;
  readonly navigation?: readonly NavItem[];
  /** Above the main content: a back link. */
  readonly beforeContent?: SafeHtml;
  readonly content: HtmlValue;
}

function serviceNavigation(options: PageOptions): SafeHtml {
  const items = options.navigation ?? [];
  return html`<section aria-label="Service information" class="govuk-service-navigation" data-module="govuk-service-navigation">
  <div class="govuk-width-container">
    <div class="govuk-service-navigation__container">
      <span class="govuk-service-navigation__service-name">
        <a href="${href(options.servicePath)}" class="govuk-service-navigation__link">${options.serviceName}</a>
      </span>
      ${items.length
        ? html`<nav aria-label="Menu" class="govuk-service-navigation__wrapper">
        <ul class="govuk-service-navigation__list" id="navigation">
          ${items.map((item) =>
            item.current
              ? html`<li class="govuk-service-navigation__item govuk-service-navigation__item--active"><a class="govuk-service-navigation__link" href="${href(item.path)}" aria-current="page"><strong class="govuk-service-navigation__active-fallback">${item.text}</strong></a></li>`
              : html`<li class="govuk-service-navigation__item"><a class="govuk-service-navigation__link" href="${href(item.path)}">${item.text}</a></li>`,
          )}
        </ul>
      </nav>`
        : ''}
    </div>
  </div>
</section>`;
}

/** What a public service must publish (functions/web/info-pages.ts), on every page. */
const footerLinks = [
  ['/help/privacy', 'Privacy'],
  ['/help/accessibility', 'Accessibility statement'],
  ['/help/cookies', 'Cookies'],
] as const;

export function page(options: PageOptions): SafeHtml {
  const assets = href('/assets');
  return html`<html lang="en" class="govuk-template">
<head>
  <meta charset="utf-8">
  <title>${options.hasErrors ? 'Error: ' : ''}${options.title} – ${options.serviceName}</title>
  <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
  <meta name="theme-color" content="#1d70b8">
  <meta name="robots" content="noindex, nofollow">
  <link rel="icon" sizes="48x48" href="${assets}/images/favicon.ico">
  <link rel="icon" sizes="any" href="${assets}/images/favicon.svg" type="image/svg+xml">
  <link rel="stylesheet" href="${assets}/govuk-frontend.min.css">
  <link rel="stylesheet" href="${assets}/workwell.css">
</head>
<body class="govuk-template__body">
  <a href="#main-content" class="govuk-skip-link" data-module="govuk-skip-link">Skip to main content</a>
  <header class="govuk-template__header">
    ${serviceNavigation(options)}
  </header>
  <div class="govuk-width-container">
    <div class="govuk-phase-banner">
      <p class="govuk-phase-banner__content">
        <strong class="govuk-tag govuk-phase-banner__content__tag">Beta</strong>
        <span class="govuk-phase-banner__text">This is a new service.</span>
      </p>
    </div>
    ${options.beforeContent ?? ''}
    <main class="govuk-main-wrapper" id="main-content">
      ${options.content}
    </main>
  </div>
  <footer class="govuk-footer">
    <div class="govuk-width-container">
      <div class="govuk-footer__meta">
        <div class="govuk-footer__meta-item govuk-footer__meta-item--grow">
          <h2 class="govuk-visually-hidden">Support links</h2>
          <ul class="govuk-footer__inline-list">
            ${footerLinks.map(([path, text]) => html`<li class="govuk-footer__inline-list-item"><a class="govuk-footer__link" href="${href(path)}">${text}</a></li>`)}
          </ul>
          <span class="govuk-footer__licence-description">WorkWell: joined-up work and health support, run by your Integrated Care System.</span>
        </div>
      </div>
    </div>
  </footer>
  <script type="module" src="${assets}/workwell-init.js"></script>
</body>
</html>`;
}
