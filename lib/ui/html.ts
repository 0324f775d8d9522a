/**
 * The self-service UI's HTML: one page layout, and any flow rendered generically from its `ui` container (nodes in
 * order, labels from `meta.label`, messages next to their field and the flow's at the top), posting straight to
 * `ui.action` as Ory's reference UI does. Plain HTML and CSS; every value escaped. The one script a page may run is a
 * flow's script node (webauthn.js, for passkeys and security keys), with a small loader of ours that calls its
 * functions from the buttons' `onclickTrigger` and the inputs' `onloadTrigger` (no inline handlers: the page's
 * Content-Security-Policy allows only scripts carrying the script node's nonce).
 */
import type { UiText } from '../text/messages.js';

export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** A node as any Kratos flow carries it (inputs, and the text, anchor, image and script nodes other methods use). */
export interface UiNodeShape {
  type: string;
  group: string;
  attributes: Record<string, unknown> & { name?: string; type?: string; value?: unknown; node_type?: string };
  messages: UiText[];
  meta: { label?: UiText };
}

export interface UiContainerShape {
  action: string;
  method: string;
  nodes: UiNodeShape[];
  messages?: UiText[];
}

const STYLE = `
:root{color-scheme:light dark;--fg:#1b1f24;--muted:#57606a;--bg:#f6f8fa;--card:#fff;--line:#d0d7de;--accent:#0b5cad;--error:#b3261e;--ok:#1a7f37}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9da7b3;--bg:#0d1117;--card:#161b22;--line:#30363d;--accent:#58a6ff;--error:#ff7b72;--ok:#3fb950}}
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
header{display:flex;gap:1rem;align-items:center;justify-content:space-between;padding:.75rem 1.25rem;border-bottom:1px solid var(--line);background:var(--card)}
header a.brand{font-weight:600;color:var(--fg);text-decoration:none}nav{display:flex;gap:1rem;flex-wrap:wrap}
main{max-width:28rem;margin:2.5rem auto;padding:1.5rem;background:var(--card);border:1px solid var(--line);border-radius:.5rem}
h1{font-size:1.5rem;margin:0 0 1rem}a{color:var(--accent)}p.lead{color:var(--muted);margin-top:-.5rem}
.field{margin:0 0 1rem}label{display:block;font-weight:600;margin-bottom:.25rem}
input[type=text],input[type=email],input[type=password],input[type=tel],input[type=number],input[type=url],input[type=date]{width:100%;padding:.55rem .65rem;font:inherit;color:inherit;background:transparent;border:1px solid var(--line);border-radius:.375rem}
input[aria-invalid=true],select[aria-invalid=true]{border-color:var(--error)}
select{width:100%;padding:.55rem .65rem;font:inherit;color:inherit;background:transparent;border:1px solid var(--line);border-radius:.375rem}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
button{font:inherit;font-weight:600;padding:.6rem 1rem;border:0;border-radius:.375rem;background:var(--accent);color:#fff;cursor:pointer;width:100%}
.msg{margin:.35rem 0 0;font-size:.925rem}.msg.error{color:var(--error)}.msg.success{color:var(--ok)}.msg.info{color:var(--muted)}
.messages{margin:0 0 1rem;padding:.75rem 1rem;border:1px solid var(--line);border-radius:.375rem;list-style:none}
.messages li.error{color:var(--error)}.messages li.success{color:var(--ok)}
.links{margin-top:1.25rem;color:var(--muted)}dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}
`;

export interface PageLinks {
  home: string;
  login: string;
  registration: string;
  settings: string;
  /** Present when someone is signed in. */
  logout?: string;
}

/** A whole page: the shared header, and `body` in `<main>`. */
export function page(title: string, body: string, links: PageLinks): string {
  const nav = links.logout
    ? `<a href="${escapeHtml(links.settings)}">Account settings</a><a href="${escapeHtml(links.logout)}">Sign out</a>`
    : `<a href="${escapeHtml(links.login)}">Sign in</a><a href="${escapeHtml(links.registration)}">Create account</a>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header><a class="brand" href="${escapeHtml(links.home)}">Identity</a><nav aria-label="Account">${nav}</nav></header>
<main id="main">
${body}
</main>
</body>
</html>
`;
}

const messageClass = (message: UiText) => (message.type === 'error' ? 'error' : message.type === 'success' ? 'success' : 'info');

/** The flow's own messages, announced to screen readers. */
export function flowMessages(messages: UiText[] | undefined): string {
  if (!messages?.length) return '';
  const items = messages.map((m) => `<li class="${messageClass(m)}" data-message-id="${escapeHtml(m.id)}">${escapeHtml(m.text)}</li>`).join('');
  return `<ul class="messages" role="alert">${items}</ul>`;
}

const INPUT_TYPES = new Set(['text', 'email', 'password', 'tel', 'number', 'url', 'date', 'datetime-local', 'checkbox', 'hidden', 'submit', 'button']);

const GROUP_TITLES: Record<string, string> = {
  profile: 'Profile',
  password: 'Password',
  oidc: 'Sign-in providers',
  totp: 'Authenticator app',
  lookup_secret: 'Backup recovery codes',
  webauthn: 'Security keys',
  passkey: 'Passkeys',
};

const isScript = (node: UiNodeShape) => node.type === 'script';

/**
 * Calls webauthn.js's functions (named by a button's `data-ory-trigger`, or an input's `data-ory-onload` once the
 * script has loaded), as Ory's UIs call `window[onclickTrigger]()`.
 */
const TRIGGER_LOADER = `(function(){function run(n){var f=window[n];if(typeof f==='function')f();}
document.addEventListener('click',function(e){var b=e.target&&e.target.closest&&e.target.closest('[data-ory-trigger]');if(!b)return;e.preventDefault();run(b.getAttribute('data-ory-trigger'));});
function loaded(){document.querySelectorAll('[data-ory-onload]').forEach(function(el){run(el.getAttribute('data-ory-onload'));});}
if(window.__oryWebAuthnInitialized)loaded();else window.addEventListener('oryWebAuthnInitialized',loaded,{once:true});})();`;

/** The flow's script nodes, once per page (the loader first, then each script), after its forms. */
function scripts(ui: UiContainerShape): string {
  const nodes = ui.nodes.filter(isScript);
  const seen = new Set<string>();
  const tags = nodes
    .filter((n) => !seen.has(String(n.attributes.src)) && seen.add(String(n.attributes.src)))
    .map((n) => {
      const a = n.attributes;
      return `<script src="${escapeHtml(a.src)}" integrity="${escapeHtml(a.integrity)}" crossorigin="${escapeHtml(a.crossorigin)}" referrerpolicy="${escapeHtml(a.referrerpolicy)}" nonce="${escapeHtml(a.nonce)}" id="${escapeHtml(a.id)}"${a.async ? ' async' : ''}></script>`;
    });
  if (tags.length === 0) return '';
  return `\n<script nonce="${escapeHtml(nodes[0].attributes.nonce)}">${TRIGGER_LOADER}</script>\n${tags.join('\n')}`;
}

/** The page's security headers; with a flow's script nodes, its Content-Security-Policy allows their nonces. */
export function pageHeaders(ui?: UiContainerShape): Record<string, string> {
  const nonces = [...new Set((ui?.nodes ?? []).filter(isScript).map((n) => String(n.attributes.nonce)))];
  if (nonces.length === 0) return { ...PAGE_HEADERS };
  const scriptSrc = `script-src ${nonces.map((nonce) => `'nonce-${nonce}'`).join(' ')}`;
  return { ...PAGE_HEADERS, 'Content-Security-Policy': PAGE_HEADERS['Content-Security-Policy'].replace("default-src 'none';", `default-src 'none'; ${scriptSrc};`) };
}

/**
 * The settings page, as Ory's UI lays it out: one form per method group (profile, password…), each with the
 * `default` group's nodes (the CSRF token) and its own Save, so saving one never submits the other.
 */
export function groupedFlowForms(ui: UiContainerShape): string {
  const shared = ui.nodes.filter((n) => n.group === 'default');
  const groups = [...new Set(ui.nodes.filter((n) => n.group !== 'default' && !isScript(n)).map((n) => n.group))];
  const inError = (group: string) => ui.nodes.some((n) => n.group === group && n.messages.some((m) => m.type === 'error'));
  const focused = groups.find(inError) ?? groups[0];
  const forms = groups.map((group) => {
    const title = GROUP_TITLES[group] ?? group;
    const nodes = [...shared, ...ui.nodes.filter((n) => n.group === group && !isScript(n))];
    const focus = group === focused;
    return `<h2 id="group-${escapeHtml(group)}">${escapeHtml(title)}</h2>\n${flowForm({ ...ui, messages: undefined, nodes }, { focus, scripts: false })}`;
  });
  return `${flowMessages(ui.messages)}${forms.join('\n')}${scripts(ui)}`;
}

/** A flow's form: every node in order, posting to `ui.action`. The first field in error (else the first field) has focus. */
export function flowForm(ui: UiContainerShape, options: { focus?: boolean; scripts?: boolean } = {}): string {
  const fieldId = (name: string) => `field-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`;
  const visible = ui.nodes.filter((n) => n.type === 'input' && !['hidden', 'submit', 'button'].includes(String(n.attributes.type)));
  const focus = options.focus === false ? undefined : (visible.find((n) => n.messages.some((m) => m.type === 'error')) ?? visible[0]);
  const parts: string[] = [];
  for (const node of ui.nodes) {
    const a = node.attributes;
    if (node.type === 'text') {
      const text = (a.text as UiText | undefined)?.text;
      const label = node.meta.label?.text;
      parts.push(`${label ? `<p class="label">${escapeHtml(label)}</p>` : ''}<p id="${escapeHtml(a.id ?? '')}"><code>${escapeHtml(text)}</code></p>`);
      continue;
    }
    if (node.type === 'a') {
      parts.push(`<p><a href="${escapeHtml(a.href)}">${escapeHtml((a.title as UiText | undefined)?.text ?? a.href)}</a></p>`);
      continue;
    }
    if (node.type === 'img') {
      parts.push(`<p><img src="${escapeHtml(a.src)}" alt="${escapeHtml(node.meta.label?.text ?? '')}" width="${escapeHtml(a.width ?? '')}" height="${escapeHtml(a.height ?? '')}"></p>`);
      continue;
    }
    if (node.type !== 'input') continue; // script nodes: once per page, after the forms
    const name = String(a.name ?? '');
    const type = INPUT_TYPES.has(String(a.type)) ? String(a.type) : 'text';
    const label = node.meta.label?.text ?? name;
    if (type === 'hidden') {
      const onload = typeof a.onloadTrigger === 'string' ? ` data-ory-onload="${escapeHtml(a.onloadTrigger)}"` : '';
      parts.push(`<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(a.value ?? '')}"${onload}>`);
      continue;
    }
    if (type === 'button' && typeof a.onclickTrigger === 'string') {
      // A WebAuthn button: webauthn.js runs the ceremony and submits the form itself.
      // Its value is what the script reads (the webauthn method's options).
      parts.push(`<div class="field"><button type="button" name="${escapeHtml(name)}" value="${escapeHtml(a.value ?? '')}" data-ory-trigger="${escapeHtml(a.onclickTrigger)}"${a.disabled ? ' disabled' : ''}>${escapeHtml(label)}</button></div>`);
      continue;
    }
    if (type === 'submit' || type === 'button') {
      // A provider's button leaves the form's other fields as they are (Ory's UIs give it a form of its own); so do
      // "Resend code" (the code is not typed yet), "Send sign in code" beside a password it does not need, and a
      // second factor's "Send code to <address>" beside another factor's field.
      const sendsCode = node.group === 'code' && name === 'method' && !ui.nodes.some((n) => n.attributes.name === 'code');
      const skipsValidation = (node.group === 'oidc' && name === 'provider') || name === 'resend' || sendsCode || (node.group === 'code' && name === 'address');
      parts.push(`<div class="field"><button type="submit" name="${escapeHtml(name)}" value="${escapeHtml(a.value ?? '')}"${skipsValidation ? ' formnovalidate' : ''}${a.disabled ? ' disabled' : ''}>${escapeHtml(label)}</button></div>`);
      continue;
    }
    const id = fieldId(name);
    const invalid = node.messages.some((m) => m.type === 'error');
    const messages = node.messages.map((m, i) => `<p class="msg ${messageClass(m)}" id="${id}-msg-${i}" data-message-id="${escapeHtml(m.id)}">${escapeHtml(m.text)}</p>`).join('');
    const describedBy = node.messages.map((_, i) => `${id}-msg-${i}`).join(' ');
    const attrs = [
      `id="${id}"`,
      `name="${escapeHtml(name)}"`,
      `type="${type}"`,
      type === 'checkbox' ? (a.value === true ? 'checked' : '') : type === 'password' ? '' : `value="${escapeHtml(a.value ?? '')}"`,
      type === 'checkbox' ? 'value="true"' : '',
      a.required ? 'required' : '',
      a.disabled ? 'disabled' : '',
      a.autocomplete ? `autocomplete="${escapeHtml(a.autocomplete)}"` : '',
      a.pattern ? `pattern="${escapeHtml(a.pattern)}"` : '',
      a.maxlength ? `maxlength="${escapeHtml(a.maxlength)}"` : '',
      invalid ? 'aria-invalid="true"' : '',
      describedBy ? `aria-describedby="${describedBy}"` : '',
      node === focus ? 'autofocus' : '',
    ]
      .filter(Boolean)
      .join(' ');
    const options = Array.isArray(a.options) ? (a.options as { value: unknown }[]) : undefined;
    if (options) {
      const choices = [a.required ? '' : '<option value=""></option>', ...options.map((o) => `<option value="${escapeHtml(o.value)}"${o.value === a.value ? ' selected' : ''}>${escapeHtml(o.value)}</option>`)].join('');
      const selectAttrs = [`id="${id}"`, `name="${escapeHtml(name)}"`, a.required ? 'required' : '', a.disabled ? 'disabled' : '', invalid ? 'aria-invalid="true"' : '', describedBy ? `aria-describedby="${describedBy}"` : '', node === focus ? 'autofocus' : '']
        .filter(Boolean)
        .join(' ');
      parts.push(`<div class="field"><label for="${id}">${escapeHtml(label)}</label><select ${selectAttrs}>${choices}</select>${messages}</div>`);
      continue;
    }
    parts.push(
      type === 'checkbox'
        ? `<div class="field"><input ${attrs}> <label for="${id}" style="display:inline">${escapeHtml(label)}</label>${messages}</div>`
        : `<div class="field"><label for="${id}">${escapeHtml(label)}</label><input ${attrs}>${messages}</div>`,
    );
  }
  const form = `${flowMessages(ui.messages)}<form action="${escapeHtml(ui.action)}" method="${escapeHtml(ui.method || 'POST')}" novalidate>\n${parts.join('\n')}\n</form>`;
  return options.scripts === false ? form : `${form}${scripts(ui)}`;
}

/** Security headers for every page: nothing but inline style; not framed; no referrer. */
export const PAGE_HEADERS = {
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data: https:; frame-ancestors 'none'; base-uri 'none'",
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};
