/**
 * The self-service UI's pages, served by functions of their own (`/ui/login`, `/ui/registration`, `/ui/settings`,
 * `/ui/error`, `/ui/welcome`) and the default `*_UI_URL`s. They behave as Ory's reference UI does: without `?flow=`
 * a page sends the browser to the flow's `/self-service/<flow>/browser` endpoint; with one it reads the flow (with the
 * browser's cookies) and renders it; a flow that is gone, expired or not this browser's starts a new one. They read
 * flows in-process through the same services as `GET /self-service/<flow>/flows`, so they cost no extra HTTP hop.
 */
import type { Config } from '../config/index.js';
import { CsrfViolationError, KratosError, SessionInactiveError } from '../errors/index.js';
import { withQuery } from '../flows/answer.js';
import type { FlowRequest } from '../flows/common.js';
import type { FlowView } from '../flows/model.js';
import type { HttpRequest } from '../http/request.js';
import type { HttpResult } from '../http/response.js';
import type { Session } from '../session/model.js';
import type { SignedIn } from './services.js';
import { escapeHtml, flowForm, groupedFlowForms, page, PAGE_HEADERS, pageHeaders, type PageLinks, type UiContainerShape } from './html.js';

type UiConfig = Pick<Config, 'browser' | 'publicBaseUrl'> & Partial<Pick<Config, 'recovery'>>;
export type UiFlow = 'login' | 'registration' | 'settings' | 'recovery' | 'verification';

const TITLES: Record<UiFlow, string> = {
  login: 'Sign in',
  registration: 'Create an account',
  settings: 'Account settings',
  recovery: 'Recover your account',
  verification: 'Verify your e-mail address',
};

export function pageLinks(config: UiConfig, logoutUrl?: string): PageLinks {
  const { uiUrls, defaultReturnUrl } = config.browser;
  return { home: defaultReturnUrl, login: uiUrls.login, registration: uiUrls.registration, settings: uiUrls.settings, logout: logoutUrl };
}

const html = (status: number, body: string, ui?: UiContainerShape): HttpResult => ({ status, html: body, headers: ui ? pageHeaders(ui) : { ...PAGE_HEADERS } });
const seeOther = (location: string): HttpResult => ({ status: 303, headers: { Location: location } });

/** Query parameters a page hands on to the flow's init endpoint, as Ory's UI does. */
const PASSED_ON = ['return_to', 'refresh', 'aal', 'login_challenge'];

function initUrl(config: UiConfig, flow: UiFlow, query: Record<string, string>): string {
  const params = Object.fromEntries(PASSED_ON.filter((name) => query[name]).map((name) => [name, query[name]]));
  return withQuery(`${config.publicBaseUrl}/self-service/${flow}/browser`, params);
}

function flowBody(flow: UiFlow, view: FlowView, config: UiConfig, extra: { signedInAs?: string }): string {
  const refresh = flow === 'login' && view.refresh === true;
  const heading = refresh ? 'Confirm it is you' : TITLES[flow];
  const returnTo = typeof view.return_to === 'string' ? view.return_to : undefined;
  // Identifier first, second screen: the identifier is a hidden field; say whose account this is, with a way to
  // another one (a new flow), as Ory Elements does.
  const identified = flow === 'login' && !refresh ? hiddenIdentifier(view) : undefined;
  const lead =
    flow === 'settings' && extra.signedInAs
      ? `<p class="lead">Signed in as ${escapeHtml(extra.signedInAs)}. Change your profile or your password.</p>`
      : refresh
        ? '<p class="lead">Enter your password again to continue.</p>'
        : identified
          ? `<p class="lead">Signing in as <strong>${escapeHtml(identified)}</strong>. <a href="${escapeHtml(initUrl(config, 'login', returnTo ? { return_to: returnTo } : {}))}">Use another account</a></p>`
          : '';
  const forgot = config.recovery?.recoveryEnabled ? ` · <a href="${escapeHtml(config.browser.uiUrls.recovery)}">Forgot your password?</a>` : '';
  const links =
    flow === 'login'
      ? `<p class="links">No account yet? <a href="${escapeHtml(withQuery(config.browser.uiUrls.registration, { return_to: returnTo }))}">Create one</a>${forgot}</p>`
      : flow === 'recovery' || flow === 'verification'
        ? `<p class="links"><a href="${escapeHtml(config.browser.uiUrls.login)}">Back to sign in</a></p>`
      : flow === 'registration'
        ? `<p class="links">Have an account? <a href="${escapeHtml(withQuery(config.browser.uiUrls.login, { return_to: returnTo }))}">Sign in</a></p>`
        : `<p class="links"><a href="${escapeHtml(config.browser.defaultReturnUrl)}">Back</a></p>`;
  return `<h1>${heading}</h1>\n${lead}\n${flow === 'settings' ? groupedFlowForms(view.ui as unknown as UiContainerShape) : flowForm(view.ui as unknown as UiContainerShape)}\n${links}`;
}

/** The identifier an identifier-first login took, carried as a hidden field of its group. */
function hiddenIdentifier(view: FlowView): string | undefined {
  const node = view.ui.nodes.find((n) => n.group === 'identifier_first' && n.attributes.name === 'identifier' && n.attributes.type === 'hidden');
  return typeof node?.attributes.value === 'string' ? node.attributes.value : undefined;
}

export interface FlowPageServices {
  /** Reads the flow as `GET /self-service/<flow>/flows?id=` does (the browser's CSRF cookie and session included). */
  get(id: string, request: FlowRequest, now: Date): Promise<FlowView>;
  /** The signed-in session, if any (the settings page names its identity; the header offers sign out). */
  signedIn(request: FlowRequest, now: Date): Promise<SignedIn | undefined>;
  /** The settings page: the signed-in session's other active sessions, newest first (its "Active sessions" card). */
  otherSessions?(session: Session, now: Date): Promise<Session[]>;
}

/** `/ui/<flow>?flow=`: the flow's page, or the redirect that starts (or restarts) a flow. */
export async function flowPage(flow: UiFlow, request: HttpRequest, flowRequest: FlowRequest, services: FlowPageServices, config: UiConfig, now: Date): Promise<HttpResult> {
  const id = request.query.flow;
  if (!id) return seeOther(initUrl(config, flow, request.query));
  let view: FlowView;
  try {
    view = await services.get(id, flowRequest, now);
  } catch (error) {
    if (error instanceof SessionInactiveError) return seeOther(withQuery(initUrl(config, 'login', {}), { return_to: config.browser.uiUrls.settings }));
    // No anti-CSRF cookie came back at all: a new flow would not get one either (cookies are off), so say so
    // rather than send the browser round in circles.
    if (error instanceof CsrfViolationError && !flowRequest.browser.csrfCookie) return cookiesNeeded(flow, config, request.query);
    // Unknown, expired, another browser's (CSRF) or malformed: start over, as Ory's UI does.
    if (error instanceof KratosError && [400, 403, 404, 410].includes(error.status)) return seeOther(initUrl(config, flow, request.query));
    throw error;
  }
  const signedIn = await services.signedIn(flowRequest, now);
  const email = signedIn ? identityName(signedIn.session) : undefined;
  const others = flow === 'settings' && signedIn && services.otherSessions ? sessionsCard(await services.otherSessions(signedIn.session, now), view, config) : '';
  return html(200, page(TITLES[flow], flowBody(flow, view, config, { signedInAs: email }) + others, pageLinks(config, signedIn?.logoutUrl)), view.ui as unknown as UiContainerShape);
}

/** Where the settings page's session buttons post (functions/ui-sessions.ts). */
export const uiSessionsUrl = (config: Pick<Config, 'publicBaseUrl'>) => `${config.publicBaseUrl}/ui/sessions`;

/**
 * The settings page's "Active sessions" card: each other session (device, address, when it signed in) with a button
 * that ends it, and one that ends them all. The forms carry the settings flow's anti-CSRF token.
 */
function sessionsCard(sessions: Session[], view: FlowView, config: UiConfig): string {
  const csrf = view.ui.nodes.find((n) => n.attributes.name === 'csrf_token')?.attributes.value;
  const hidden = `<input type="hidden" name="csrf_token" value="${escapeHtml(csrf ?? '')}">`;
  const action = escapeHtml(uiSessionsUrl(config));
  const rows = sessions.map((session) => {
    const device = session.devices[0];
    const what = [device?.userAgent ?? 'Unknown device', device?.ipAddress].filter(Boolean).join(' · ');
    return `<li><span>${escapeHtml(what)}</span> <small>signed in ${escapeHtml(session.authenticatedAt.toISOString().replace('T', ' ').slice(0, 16))} UTC</small>
<form action="${action}" method="POST" style="display:inline">${hidden}<input type="hidden" name="session_id" value="${escapeHtml(session.id)}"><button type="submit">Sign out this session</button></form></li>`;
  });
  const all = sessions.length
    ? `<form action="${action}" method="POST">${hidden}<input type="hidden" name="all" value="true"><button type="submit">Sign out all other sessions</button></form>`
    : '';
  return `\n<h2 id="group-sessions">Active sessions</h2>\n${sessions.length ? `<ul class="sessions">${rows.join('\n')}</ul>` : '<p>No other session is signed in.</p>'}\n${all}`;
}

/** What went wrong with a settings page's session button, as a page with the way back (never JSON under /ui/). */
export function sessionsActionFailed(error: KratosError, config: UiConfig): HttpResult {
  const body = `<h1>That did not work</h1>
<div role="alert"><p>${escapeHtml(error.reason ?? error.message)}</p></div>
<p class="links"><a href="${escapeHtml(config.browser.uiUrls.settings)}">Back to the settings</a></p>`;
  return html(error.status, page('That did not work', body, pageLinks(config)));
}

function cookiesNeeded(flow: UiFlow, config: UiConfig, query: Record<string, string>): HttpResult {
  const body = `<h1>Cookies are needed</h1>
<div role="alert"><p>This browser did not send back the cookie that protects the form against cross-site request forgery. Allow cookies for this site, then try again.</p></div>
<p class="links"><a href="${escapeHtml(initUrl(config, flow, query))}">Try again</a></p>`;
  return html(403, page('Cookies are needed', body, pageLinks(config)));
}

/** Traits as `name.first`-style rows, empty values left out. */
function flatten(value: unknown, prefix = ''): [string, string][] {
  if (value === null || value === undefined || value === '') return [];
  if (Array.isArray(value)) return value.length ? [[prefix, value.map(String).join(', ')]] : [];
  if (typeof value === 'object') return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => flatten(v, prefix ? `${prefix}.${k}` : k));
  return [[prefix, String(value)]];
}

function identityName(session: Session): string {
  const traits = session.identity.traits as Record<string, unknown> | null;
  const email = traits && typeof traits.email === 'string' ? traits.email : undefined;
  return email ?? session.identity.id;
}

/** `/ui/error?id=`: what went wrong, in words a person can act on. */
export async function errorPage(
  request: HttpRequest,
  read: (id: string | undefined) => Promise<Record<string, unknown>>,
  config: UiConfig,
): Promise<HttpResult> {
  let error: Record<string, unknown> | undefined;
  try {
    error = (await read(request.query.id)).error as Record<string, unknown>;
  } catch (failure) {
    if (!(failure instanceof KratosError)) throw failure;
  }
  const title = error?.id === 'security_csrf_violation' ? 'Your request could not be verified' : 'Something went wrong';
  const message = error
    ? `<p>${escapeHtml(error.reason ?? error.message)}</p>${error.id ? `<p class="links">Error: <code>${escapeHtml(error.id)}</code> (${escapeHtml(error.code)})</p>` : ''}`
    : '<p>This error is no longer available.</p>';
  const body = `<h1>${title}</h1>\n<div role="alert">${message}</div>\n<p class="links"><a href="${escapeHtml(config.browser.uiUrls.login)}">Sign in</a> · <a href="${escapeHtml(config.browser.defaultReturnUrl)}">Home</a></p>`;
  return html(200, page(title, body, pageLinks(config)));
}

/** `/ui/welcome`: who is signed in, and the way to the account settings and out; or the ways in. */
export function welcomePage(signedIn: SignedIn | undefined, config: UiConfig, now: Date): HttpResult {
  if (!signedIn) {
    const body = `<h1>Welcome</h1>\n<p>You are not signed in.</p>\n<p><a href="${escapeHtml(config.browser.uiUrls.login)}">Sign in</a> or <a href="${escapeHtml(config.browser.uiUrls.registration)}">create an account</a>.</p>`;
    return html(200, page('Welcome', body, pageLinks(config)));
  }
  const { session, logoutUrl } = signedIn;
  const traits = flatten((session.identity.traits as Record<string, unknown> | null) ?? {})
    .map(([name, value]) => `<dt>${escapeHtml(name)}</dt><dd>${escapeHtml(value)}</dd>`)
    .join('');
  const minutes = Math.max(0, Math.round((session.expiresAt.getTime() - now.getTime()) / 60_000));
  const body = `<h1>Welcome</h1>
<p>You are signed in as <strong>${escapeHtml(identityName(session))}</strong>.</p>
<dl>${traits}<dt>Signed in</dt><dd>${escapeHtml(session.authenticatedAt.toISOString())}</dd><dt>Session ends in</dt><dd>${minutes} minutes</dd></dl>
<p class="links"><a href="${escapeHtml(config.browser.uiUrls.settings)}">Account settings</a>${logoutUrl ? ` · <a href="${escapeHtml(logoutUrl)}">Sign out</a>` : ''}</p>`;
  return html(200, page('Welcome', body, pageLinks(config, logoutUrl)));
}
