/**
 * HTML built from TypeScript template literals, escaped by default: every interpolated value is
 * escaped unless it is already `SafeHtml` (markup this module or a component produced).
 * No template files, so pages bundle into a Lambda function with no reads at run time.
 */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (c) => ESCAPES[c]!);
}

export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/** Tagged template: `html\`<p>${text}</p>\`` escapes `text`; nested `html` is kept as markup. */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return new SafeHtml(out);
}

/** Joins pieces of markup (escaping any plain strings). */
export function join(parts: readonly HtmlValue[]): SafeHtml {
  return new SafeHtml(render(parts));
}

/** An attribute only when it has a value: `attr('autocomplete', 'email')`. */
export function attr(name: string, value: string | number | undefined | null | false): SafeHtml {
  if (value === undefined || value === null || value === false) return new SafeHtml('');
  return new SafeHtml(` ${name}="${escapeHtml(String(value))}"`);
}
