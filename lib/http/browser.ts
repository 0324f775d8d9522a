/**
 * The browser half of HTTP: what a request's cookies and headers say (the session cookie opened, the anti-CSRF
 * cookie's token, whether to answer with JSON), and a flow's answer as a response (Location, Set-Cookie).
 */
import { ConfigError, getConfig, type Config } from '../config/index.js';
import { isCsrfToken } from '../flows/csrf.js';
import type { BrowserRequest, FlowRequest } from '../flows/common.js';
import type { FlowAnswer } from '../flows/answer.js';
import { openDeviceCookie, openSessionCookie, sealDeviceCookie, sealSessionCookie } from '../session/cookie.js';
import { clientAddress, trustedProxyList } from './client-address.js';
import { CSRF_COOKIE_MAX_AGE, csrfCookieName, DEVICE_COOKIE, parseCookies, setCookie } from './cookies.js';
import { isJsonRequest } from './negotiate.js';
import { requestUrlOf, type HttpRequest } from './request.js';
import type { HttpResult } from './response.js';

type BrowserSettings = Pick<Config, 'browser' | 'publicBaseUrl' | 'loginThrottle'>;

/** Cloudflare's own cookies, which Kratos ignores when it refuses cookies on API flows. */
const CLOUDFLARE_COOKIE = /^(__cf|_cf|cf_)/;

export function browserRequestOf(request: HttpRequest, config: BrowserSettings): BrowserRequest & { hasCookie: boolean } {
  const cookies = parseCookies(request.headers.cookie);
  const csrf = cookies.get(csrfCookieName(config.publicBaseUrl));
  const mode = request.headers['sec-fetch-mode'];
  const device = cookies.get(DEVICE_COOKIE);
  return {
    csrfCookie: isCsrfToken(csrf) ? csrf : undefined,
    ...(device ? { knownIdentities: openDeviceCookie(device, config.browser.cookieSecrets, new Date()) } : {}),
    anyCookie: Boolean(request.headers.cookie?.trim()),
    hasCookie: [...cookies.keys()].some((name) => !CLOUDFLARE_COOKIE.test(name)),
    csrfHeader: request.headers['x-csrf-token'] || undefined,
    ajax: mode === 'cors' || mode === 'same-origin',
    json: isJsonRequest(request.headers),
  };
}

/** The session token a request carries, in Kratos's order: `X-Session-Token`, the session cookie, `Authorization: Bearer`. */
export function sessionTokenOf(request: HttpRequest, config: Pick<Config, 'browser'>, now = new Date()): string | undefined {
  const header = request.headers['x-session-token']?.trim();
  if (header) return header;
  if (config.browser.cookieSecrets.length > 0) {
    const sealed = parseCookies(request.headers.cookie).get(config.browser.sessionCookieName);
    const token = sealed ? openSessionCookie(sealed, config.browser.cookieSecrets, now) : undefined;
    if (token) return token;
  }
  const match = /^bearer\s+(.+)$/i.exec(request.headers.authorization?.trim() ?? '');
  return match ? match[1].trim() : undefined;
}

/** Browser sessions need `secrets.cookie`: without it a session cannot be sealed into a cookie. */
export class MissingCookieSecretError extends Error {
  override name = 'MissingCookieSecretError';
  constructor() {
    super('SECRETS_COOKIE (or SECRETS_DEFAULT) is not set: browser flows cannot issue session cookies');
  }
}

/** The Set-Cookie values of an answer. */
export function answerCookies(answer: FlowAnswer, config: BrowserSettings, now = new Date()): string[] {
  const { browser } = config;
  const cookies: string[] = [];
  if (answer.csrfToken) cookies.push(setCookie(browser, csrfCookieName(config.publicBaseUrl), answer.csrfToken, { maxAge: CSRF_COOKIE_MAX_AGE }));
  if (answer.session) {
    const secret = browser.cookieSecrets[0];
    if (!secret) throw new MissingCookieSecretError();
    const { token, expiresAt } = answer.session;
    cookies.push(setCookie(browser, browser.sessionCookieName, sealSessionCookie(token, expiresAt, secret), { maxAge: (expiresAt.getTime() - now.getTime()) / 1000 }));
  }
  if (answer.clearSession) cookies.push(setCookie(browser, browser.sessionCookieName, '', { maxAge: 0, expires: new Date(0) }));
  if (answer.device && browser.cookieSecrets[0]) {
    const lifespan = config.loginThrottle.deviceCookieLifespanMs;
    cookies.push(setCookie(browser, DEVICE_COOKIE, sealDeviceCookie(answer.device, new Date(now.getTime() + lifespan), browser.cookieSecrets[0]), { maxAge: lifespan / 1000 }));
  }
  return cookies;
}

/** A flow's answer as HTTP: a 303 with its Location, or a JSON body; with the cookies it sets. */
export function flowResult(answer: FlowAnswer, config: BrowserSettings): HttpResult {
  const cookies = answerCookies(answer, config);
  const result: HttpResult = { status: answer.status, body: answer.location ? undefined : answer.body };
  if (answer.location) result.headers = { Location: answer.location };
  if (cookies.length > 0) result.cookies = cookies;
  return result;
}

/** A flow's answer as HTTP, with this cold start's cookie settings. */
export const respond = (answer: FlowAnswer): HttpResult => flowResult(answer, getConfig());

/** The cold start of a browser-only function: without `secrets.cookie` it could never sign anyone in. */
export function requireCookieSecret(config: Config = getConfig()): void {
  if (config.browser.cookieSecrets.length === 0) {
    throw new ConfigError('SECRETS_COOKIE must be set for browser flows: at least one secret of 16 characters or more (comma-separated to rotate)');
  }
}

let proxies: { entries: readonly string[]; list: ReturnType<typeof trustedProxyList> } | undefined;
/** The trusted proxies of this cold start's configuration, built once. */
export function trustedProxiesOf(config: Pick<Config, 'trustedProxies'>) {
  if (config.trustedProxies.length === 0) return undefined;
  if (proxies?.entries !== config.trustedProxies) proxies = { entries: config.trustedProxies, list: trustedProxyList(config.trustedProxies) };
  return proxies.list;
}

/** What the flows need to know about the caller: its session (header, cookie, bearer), its cookies and what it accepts. */
export function flowRequestOf(request: HttpRequest): FlowRequest {
  const config = getConfig();
  const { hasCookie, ...browser } = browserRequestOf(request, config);
  return {
    requestUrl: requestUrlOf(request),
    sessionToken: sessionTokenOf(request, config),
    origin: request.headers.origin || undefined,
    hasCookie,
    userAgent: request.headers['user-agent'],
    ipAddress: clientAddress(request.sourceIp, request.headers['x-forwarded-for'], trustedProxiesOf(config)),
    browser,
    http: { method: request.method, headers: request.headers },
  };
}
