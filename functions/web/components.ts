import { attr, html, type HtmlValue, SafeHtml } from './html.ts';
import { href } from './http.ts';
import { CSRF_FIELD } from './csrf.ts';

/**
 * GOV.UK Design System components as small functions producing their documented markup
 * (govuk-frontend 6), escaped. Field ids follow the design system's conventions, so the error
 * summary's links land on the field: `name` for text, textarea and the first radio or checkbox,
 * `name-day` for a date.
 */
export interface FieldError {
  /** The form field's name. */
  readonly field: string;
  readonly message: string;
  /** The id the error summary links to (default: the field name). */
  readonly target?: string;
}

export function errorFor(errors: readonly FieldError[] | undefined, field: string): string | undefined {
  return errors?.find((e) => e.field === field)?.message;
}

export function errorSummary(errors: readonly FieldError[] | undefined): SafeHtml {
  if (!errors?.length) return html``;
  return html`<div class="govuk-error-summary" data-module="govuk-error-summary">
  <div role="alert">
    <h2 class="govuk-error-summary__title">There is a problem</h2>
    <div class="govuk-error-summary__body">
      <ul class="govuk-list govuk-error-summary__list">
        ${errors.map((e) => html`<li><a href="#${e.target ?? e.field}">${e.message}</a></li>`)}
      </ul>
    </div>
  </div>
</div>`;
}

function errorMessage(id: string, message: string | undefined): SafeHtml {
  return message ? html`<p id="${id}-error" class="govuk-error-message"><span class="govuk-visually-hidden">Error:</span> ${message}</p>` : html``;
}

function hint(id: string, text: HtmlValue | undefined): SafeHtml {
  return text ? html`<div id="${id}-hint" class="govuk-hint">${text}</div>` : html``;
}

function describedBy(id: string, hasHint: boolean, error: string | undefined): SafeHtml {
  const ids = [hasHint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  return attr('aria-describedby', ids || undefined);
}

/** A label that is the page's heading (one question per page), or a plain label. */
function label(forId: string, text: string, isPageHeading: boolean | undefined): SafeHtml {
  return isPageHeading
    ? html`<h1 class="govuk-label-wrapper"><label class="govuk-label govuk-label--l" for="${forId}">${text}</label></h1>`
    : html`<label class="govuk-label govuk-label--s" for="${forId}">${text}</label>`;
}

function legend(text: string, isPageHeading: boolean | undefined): SafeHtml {
  return isPageHeading
    ? html`<legend class="govuk-fieldset__legend govuk-fieldset__legend--l"><h1 class="govuk-fieldset__heading">${text}</h1></legend>`
    : html`<legend class="govuk-fieldset__legend govuk-fieldset__legend--s">${text}</legend>`;
}

export interface TextInputOptions {
  readonly name: string;
  readonly label: string;
  readonly value?: string;
  readonly hint?: string;
  readonly error?: string | undefined;
  readonly isPageHeading?: boolean;
  readonly autocomplete?: string;
  readonly type?: 'text' | 'email' | 'tel';
  readonly inputmode?: 'numeric' | 'tel' | 'email';
  readonly widthClass?: string;
  readonly spellcheck?: boolean;
}

export function textInput(o: TextInputOptions): SafeHtml {
  return html`<div class="govuk-form-group${o.error ? ' govuk-form-group--error' : ''}">
  ${label(o.name, o.label, o.isPageHeading)}
  ${hint(o.name, o.hint)}
  ${errorMessage(o.name, o.error)}
  <input class="govuk-input${o.widthClass ? ` ${o.widthClass}` : ''}${o.error ? ' govuk-input--error' : ''}" id="${o.name}" name="${o.name}" type="${o.type ?? 'text'}" value="${o.value ?? ''}"${describedBy(o.name, !!o.hint, o.error)}${attr('autocomplete', o.autocomplete)}${attr('inputmode', o.inputmode)}${o.spellcheck === false ? html` spellcheck="false"` : ''}>
</div>`;
}

export interface TextareaOptions {
  readonly name: string;
  readonly label: string;
  readonly value?: string;
  readonly hint?: string;
  readonly error?: string | undefined;
  readonly isPageHeading?: boolean;
  readonly rows?: number;
}

export function textarea(o: TextareaOptions): SafeHtml {
  return html`<div class="govuk-form-group${o.error ? ' govuk-form-group--error' : ''}">
  ${label(o.name, o.label, o.isPageHeading)}
  ${hint(o.name, o.hint)}
  ${errorMessage(o.name, o.error)}
  <textarea class="govuk-textarea${o.error ? ' govuk-textarea--error' : ''}" id="${o.name}" name="${o.name}" rows="${o.rows ?? 5}"${describedBy(o.name, !!o.hint, o.error)}>${o.value ?? ''}</textarea>
</div>`;
}

export interface DateValue {
  readonly day?: string;
  readonly month?: string;
  readonly year?: string;
}

export function dateInput(o: {
  readonly name: string;
  readonly legend: string;
  readonly hint?: string;
  readonly value?: DateValue;
  readonly error?: string | undefined;
  readonly isPageHeading?: boolean;
  readonly autocompletePrefix?: 'bday';
}): SafeHtml {
  const part = (key: 'day' | 'month' | 'year', text: string, width: number) =>
    html`<div class="govuk-date-input__item">
      <div class="govuk-form-group">
        <label class="govuk-label govuk-date-input__label" for="${o.name}-${key}">${text}</label>
        <input class="govuk-input govuk-date-input__input govuk-input--width-${width}${o.error ? ' govuk-input--error' : ''}" id="${o.name}-${key}" name="${o.name}-${key}" type="text" inputmode="numeric" value="${o.value?.[key] ?? ''}"${attr('autocomplete', o.autocompletePrefix ? `${o.autocompletePrefix}-${key}` : undefined)}>
      </div>
    </div>`;
  return html`<div class="govuk-form-group${o.error ? ' govuk-form-group--error' : ''}">
  <fieldset class="govuk-fieldset" role="group"${describedBy(o.name, !!o.hint, o.error)}>
    ${legend(o.legend, o.isPageHeading)}
    ${hint(o.name, o.hint)}
    ${errorMessage(o.name, o.error)}
    <div class="govuk-date-input" id="${o.name}">
      ${part('day', 'Day', 2)}${part('month', 'Month', 2)}${part('year', 'Year', 4)}
    </div>
  </fieldset>
</div>`;
}

export interface ChoiceItem {
  readonly value: string;
  readonly text: string;
  readonly hint?: string;
}

function choices(kind: 'radios' | 'checkboxes', o: {
  readonly name: string;
  readonly legend: string;
  readonly hint?: string;
  readonly items: readonly ChoiceItem[];
  readonly selected: readonly string[];
  readonly error?: string | undefined;
  readonly isPageHeading?: boolean;
  readonly inline?: boolean;
}): SafeHtml {
  const type = kind === 'radios' ? 'radio' : 'checkbox';
  const block = kind === 'radios' ? 'govuk-radios' : 'govuk-checkboxes';
  const items = o.items.map((item, i) => {
    const id = i === 0 ? o.name : `${o.name}-${i + 1}`;
    return html`<div class="${block}__item">
      <input class="${block}__input" id="${id}" name="${o.name}" type="${type}" value="${item.value}"${o.selected.includes(item.value) ? html` checked` : ''}${item.hint ? attr('aria-describedby', `${id}-item-hint`) : ''}>
      <label class="govuk-label ${block}__label" for="${id}">${item.text}</label>
      ${item.hint ? html`<div id="${id}-item-hint" class="govuk-hint ${block}__hint">${item.hint}</div>` : ''}
    </div>`;
  });
  return html`<div class="govuk-form-group${o.error ? ' govuk-form-group--error' : ''}">
  <fieldset class="govuk-fieldset"${describedBy(o.name, !!o.hint, o.error)}>
    ${legend(o.legend, o.isPageHeading)}
    ${hint(o.name, o.hint)}
    ${errorMessage(o.name, o.error)}
    <div class="${block}${o.inline ? ` ${block}--inline` : ''}" data-module="${block}">
      ${items}
    </div>
  </fieldset>
</div>`;
}

export function radios(o: Omit<Parameters<typeof choices>[1], 'selected'> & { readonly value?: string }): SafeHtml {
  return choices('radios', { ...o, selected: o.value ? [o.value] : [] });
}

export function checkboxes(o: Omit<Parameters<typeof choices>[1], 'selected'> & { readonly values?: readonly string[] }): SafeHtml {
  return choices('checkboxes', { ...o, selected: o.values ?? [] });
}

export function button(text: string, o: { secondary?: boolean; name?: string; value?: string } = {}): SafeHtml {
  return html`<button type="submit" class="govuk-button${o.secondary ? ' govuk-button--secondary' : ''}" data-module="govuk-button"${attr('name', o.name)}${attr('value', o.value)}>${text}</button>`;
}

export function linkButton(text: string, path: string, o: { start?: boolean } = {}): SafeHtml {
  return html`<a href="${href(path)}" role="button" draggable="false" class="govuk-button${o.start ? ' govuk-button--start' : ''}" data-module="govuk-button">${text}${
    o.start
      ? new SafeHtml(
          '<svg class="govuk-button__start-icon" xmlns="http://www.w3.org/2000/svg" width="17.5" height="19" viewBox="0 0 33 40" aria-hidden="true" focusable="false"><path fill="currentColor" d="M0 0h13l20 20-20 20H0l20-20z"/></svg>',
        )
      : ''
  }</a>`;
}

export function backLink(path: string): SafeHtml {
  return html`<a href="${href(path)}" class="govuk-back-link">Back</a>`;
}

/** Hidden fields every form carries: the CSRF token and, on public forms, a honeypot field. */
export function formFields(csrf: string, honeypot?: string): SafeHtml {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${csrf}">${
    honeypot
      ? html`<div class="workwell-honeypot" aria-hidden="true"><label for="${honeypot}">Leave this field empty</label><input type="text" id="${honeypot}" name="${honeypot}" tabindex="-1" autocomplete="off"></div>`
      : ''
  }`;
}

/** A POST form to a site path, with its hidden fields. */
export function form(path: string, csrf: string, body: HtmlValue, honeypot?: string): SafeHtml {
  return html`<form method="post" action="${href(path)}" novalidate>${formFields(csrf, honeypot)}${body}</form>`;
}

export interface SummaryRow {
  readonly key: string;
  readonly value: HtmlValue;
  readonly change?: { readonly path: string; readonly hidden: string };
}

export function summaryList(rows: readonly SummaryRow[]): SafeHtml {
  return html`<dl class="govuk-summary-list">
  ${rows.map(
    (row) => html`<div class="govuk-summary-list__row${row.change ? '' : ' govuk-summary-list__row--no-actions'}">
    <dt class="govuk-summary-list__key">${row.key}</dt>
    <dd class="govuk-summary-list__value">${row.value}</dd>
    ${row.change ? html`<dd class="govuk-summary-list__actions"><a class="govuk-link" href="${href(row.change.path)}">Change<span class="govuk-visually-hidden"> ${row.change.hidden}</span></a></dd>` : ''}
  </div>`,
  )}
</dl>`;
}

export function panel(title: string, body: HtmlValue): SafeHtml {
  return html`<div class="govuk-panel govuk-panel--confirmation">
  <h1 class="govuk-panel__title">${title}</h1>
  <div class="govuk-panel__body">${body}</div>
</div>`;
}

export function table(o: { caption: string; head: readonly string[]; rows: readonly (readonly HtmlValue[])[] }): SafeHtml {
  return html`<table class="govuk-table">
  <caption class="govuk-table__caption govuk-table__caption--m">${o.caption}</caption>
  <thead class="govuk-table__head"><tr class="govuk-table__row">${o.head.map((h) => html`<th scope="col" class="govuk-table__header">${h}</th>`)}</tr></thead>
  <tbody class="govuk-table__body">
    ${o.rows.map((row) => html`<tr class="govuk-table__row">${row.map((cell) => html`<td class="govuk-table__cell">${cell}</td>`)}</tr>`)}
  </tbody>
</table>`;
}

export type TagColour = 'grey' | 'green' | 'turquoise' | 'blue' | 'light-blue' | 'purple' | 'pink' | 'red' | 'orange' | 'yellow';

export function tag(text: string, colour?: TagColour): SafeHtml {
  return html`<strong class="govuk-tag${colour ? ` govuk-tag--${colour}` : ''}">${text}</strong>`;
}

export function insetText(body: HtmlValue): SafeHtml {
  return html`<div class="govuk-inset-text">${body}</div>`;
}

export function warningText(text: string): SafeHtml {
  return html`<div class="govuk-warning-text"><span class="govuk-warning-text__icon" aria-hidden="true">!</span><strong class="govuk-warning-text__text"><span class="govuk-visually-hidden">Warning</span> ${text}</strong></div>`;
}

export function notificationBanner(title: string, body: HtmlValue, success = false): SafeHtml {
  return html`<div class="govuk-notification-banner${success ? ' govuk-notification-banner--success' : ''}" role="${success ? 'alert' : 'region'}" aria-labelledby="govuk-notification-banner-title" data-module="govuk-notification-banner">
  <div class="govuk-notification-banner__header"><h2 class="govuk-notification-banner__title" id="govuk-notification-banner-title">${title}</h2></div>
  <div class="govuk-notification-banner__content">${body}</div>
</div>`;
}

/** A two-thirds column, as most GOV.UK question pages use. */
export function twoThirds(body: HtmlValue): SafeHtml {
  return html`<div class="govuk-grid-row"><div class="govuk-grid-column-two-thirds">${body}</div></div>`;
}
