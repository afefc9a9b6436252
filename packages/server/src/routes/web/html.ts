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

/** For constant markup only (the stylesheet); never for anything a request supplied. */
export const trusted = (markup: string): Html => ({ __html: markup });

const CSS = `
:root{color-scheme:light dark;--fg:#1b1f24;--bg:#f6f7f9;--card:#fff;--muted:#5b6470;--accent:#2457d6;--bad:#b42318;--line:#d9dde3}
@media (prefers-color-scheme:dark){:root{--fg:#e6e8eb;--bg:#0f1216;--card:#171b21;--muted:#9aa3ad;--accent:#6d9bff;--bad:#ff7a6b;--line:#2a3038}}
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,sans-serif;background:var(--bg);color:var(--fg)}
main{max-width:28rem;margin:8vh auto;padding:2rem;background:var(--card);border:1px solid var(--line);border-radius:12px}
.brand{font-size:1rem;letter-spacing:.08em;text-transform:uppercase;color:var(--muted);margin:0 0 1.5rem}
h2{margin:0 0 1rem;font-size:1.4rem}p{margin:.5rem 0 1rem}.muted{color:var(--muted);font-size:.9rem}
label{display:block;margin:.75rem 0 .25rem;font-weight:600}
input[type=email],input[type=password],input[type=text]{width:100%;padding:.6rem;border:1px solid var(--line);border-radius:8px;background:var(--bg);color:var(--fg);font:inherit}
button{margin-top:1rem;padding:.6rem 1.2rem;border:0;border-radius:8px;background:var(--accent);color:#fff;font:inherit;font-weight:600;cursor:pointer}
a.button{display:inline-block;padding:.6rem 1.2rem;border-radius:8px;background:var(--accent);color:#fff;font-weight:600;text-decoration:none}
button.secondary{background:transparent;color:var(--fg);border:1px solid var(--line)}
.row{display:flex;gap:.75rem}.error{color:var(--bad);font-weight:600}
.code{font:600 1.8rem/1.2 ui-monospace,monospace;letter-spacing:.15em;text-align:center;padding:.75rem;border:1px dashed var(--line);border-radius:8px}
code{font-family:ui-monospace,monospace}hr{border:0;border-top:1px solid var(--line);margin:1.5rem 0}
`;

export function layout(title: string, body: Html): Html {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Latchkey</title><style>${trusted(CSS)}</style></head>
<body><main><p class="brand">Latchkey</p>${body}</main></body></html>`;
}
