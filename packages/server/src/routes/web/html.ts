import { dashboardStylesheet } from './web-dist.js';

/** Strictly escaped HTML: every interpolated value is text unless it is already an `Html` fragment. */
export type Html = { readonly __html: string };
export type HtmlValue = Html | string | number | null | undefined | false | readonly HtmlValue[];

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false) return '';
  if (Array.isArray(value)) return value.map(render).join('');
  if (typeof value === 'object') return (value as Html).__html;
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0]!;
  values.forEach((value, i) => {
    out += render(value) + strings[i + 1]!;
  });
  return { __html: out };
}

/**
 * Every server-rendered page (sign-in, setup, device, consent, invitation, reset) in the
 * dashboard's look: its header bar and a card, styled by its stylesheet, with no inline style.
 */
export function layout(title: string, body: Html): Html {
  const css = dashboardStylesheet();
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Latchkey</title>${css ? html`<link rel="stylesheet" href="${css}">` : ''}</head>
<body><header><span class="brand">Latchkey</span></header>
<main class="page"><section>${body}</section></main></body></html>`;
}
