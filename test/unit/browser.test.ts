/**
 * The browser side's pure parts: configuration from Kratos's keys, return_to checks (Kratos's x/redir rules), the
 * anti-CSRF tokens (ory/nosurf's masking), the sealed session cookie, content negotiation (gddo's rules), CORS.
 */
import { createHash } from 'node:crypto';
import { loadBrowserConfig } from '../../lib/config/browser.js';
import { ConfigError, loadConfig } from '../../lib/config/index.js';
import { maskCsrfToken, newCsrfToken, verifyCsrfToken } from '../../lib/flows/csrf.js';
import { checkReturnTo } from '../../lib/flows/return-to.js';
import { corsHeaders, preflight } from '../../lib/http/cors.js';
import { csrfCookieName, parseCookies, setCookie } from '../../lib/http/cookies.js';
import { isJsonRequest, negotiate } from '../../lib/http/negotiate.js';
import { open, openSessionCookie, seal, sealSessionCookie } from '../../lib/session/cookie.js';

const BASE = 'https://id.example.com';
const SECRET = 'a-cookie-secret-of-32-characters!';

describe('browser configuration', () => {
  it('reads every variable', () => {
    const config = loadBrowserConfig(
      {
        SELFSERVICE_DEFAULT_BROWSER_RETURN_URL: 'https://app.example.com/home',
        SELFSERVICE_ALLOWED_RETURN_URLS: 'https://app.example.com/, https://*.example.org/callbacks',
        SELFSERVICE_FLOWS_LOGIN_UI_URL: 'https://app.example.com/login',
        SELFSERVICE_FLOWS_ERROR_UI_URL: 'https://app.example.com/error',
        SELFSERVICE_FLOWS_LOGOUT_AFTER_DEFAULT_BROWSER_RETURN_URL: 'https://app.example.com/bye',
        SECRETS_COOKIE: `${SECRET},an-older-secret-still-accepted`,
        SESSION_COOKIE_NAME: 'my_session',
        COOKIES_DOMAIN: 'example.com',
        COOKIES_SAME_SITE: 'Strict',
        SERVE_PUBLIC_CORS_ENABLED: 'true',
        SERVE_PUBLIC_CORS_ALLOWED_ORIGINS: 'https://app.example.com,https://*.example.org',
        SERVE_PUBLIC_CORS_MAX_AGE: '600',
      },
      BASE,
    );
    expect(config).toMatchObject({
      defaultReturnUrl: 'https://app.example.com/home',
      uiUrls: { login: 'https://app.example.com/login', registration: `${BASE}/ui/registration`, error: 'https://app.example.com/error' },
      afterReturnUrls: { logout: 'https://app.example.com/bye' },
      cookieSecrets: [SECRET, 'an-older-secret-still-accepted'],
      sessionCookieName: 'my_session',
      cookieDomain: 'example.com',
      cookieSameSite: 'Strict',
      secureCookies: true,
      cors: { enabled: true, allowedOrigins: ['https://app.example.com', 'https://*.example.org'], maxAgeSeconds: 600, allowCredentials: true },
    });
    expect(config.cors.allowedMethods).toEqual(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
    expect(config.allowedReturnUrls.slice(0, 3)).toEqual([
      { protocol: 'https:', host: 'app.example.com', pathPrefix: '/' },
      { protocol: 'https:', host: '*.example.org', pathPrefix: '/callbacks' },
      { protocol: 'https:', host: 'id.example.com', pathPrefix: '/self-service' },
    ]);
  });

  it('forces SameSite=Lax and no Secure on a plain-http base URL, and falls back to SECRETS_DEFAULT', () => {
    const config = loadBrowserConfig({ COOKIES_SAME_SITE: 'none', SECRETS_DEFAULT: SECRET }, 'http://127.0.0.1:4433');
    expect(config).toMatchObject({ cookieSameSite: 'Lax', secureCookies: false, cookieSecrets: [SECRET] });
  });

  it.each([
    ['SECRETS_COOKIE', 'short', 'SECRETS_COOKIE must list secrets of at least 16 characters'],
    ['SELFSERVICE_ALLOWED_RETURN_URLS', 'not a url', 'SELFSERVICE_ALLOWED_RETURN_URLS must list absolute URLs'],
    ['SELFSERVICE_FLOWS_LOGIN_UI_URL', '/relative', 'SELFSERVICE_FLOWS_LOGIN_UI_URL must be an absolute http(s) URL'],
    ['COOKIES_SAME_SITE', 'sometimes', 'COOKIES_SAME_SITE must be one of lax, strict, none'],
    ['SESSION_COOKIE_NAME', 'a b', 'SESSION_COOKIE_NAME must be a cookie name'],
    ['SERVE_PUBLIC_CORS_ALLOWED_ORIGINS', 'https://a.example.com/path', 'SERVE_PUBLIC_CORS_ALLOWED_ORIGINS must list origins'],
    ['SERVE_PUBLIC_CORS_ENABLED', 'yes please', 'SERVE_PUBLIC_CORS_ENABLED must be true or false'],
  ])('stops the cold start on a bad %s naming it', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });

  it('refuses CORS enabled with no origin allowed', () => {
    expect(() => loadConfig({ SERVE_PUBLIC_CORS_ENABLED: 'true' })).toThrow('SERVE_PUBLIC_CORS_ALLOWED_ORIGINS must list the origins allowed');
  });
});

describe('return_to (Kratos x/redir)', () => {
  const allow = loadBrowserConfig({ SELFSERVICE_ALLOWED_RETURN_URLS: 'https://app.example.com/dashboard,https://*.example.org/' }, BASE);
  const check = (raw: string | undefined) => checkReturnTo(raw, allow.allowedReturnUrls, allow.defaultReturnUrl);

  it('allows scheme, host (exact or *. suffix) and path prefix matches; a relative one joins the default host', () => {
    expect(check(undefined)).toBeUndefined();
    expect(check('https://app.example.com/dashboard/settings?tab=1')).toBe('https://app.example.com/dashboard/settings?tab=1');
    expect(check('https://APP.example.com/dashboard')).toBe('https://app.example.com/dashboard');
    expect(check('https://deep.sub.example.org/anything')).toBe('https://deep.sub.example.org/anything');
    expect(check('/ui/welcome?x=1')).toBe(`${BASE}/ui/welcome?x=1`);
    expect(check(`${BASE}/self-service/login/browser`)).toBe(`${BASE}/self-service/login/browser`);
  });

  it.each(['https://evil.example.net/', 'http://app.example.com/dashboard', 'https://app.example.com/other', '//evil.example.net/x', 'javascript:alert(1)', 'https://example.org/', `${BASE}/admin/identities`])(
    'refuses %s with 400 self_service_flow_return_to_forbidden',
    (raw) => {
      expect(() => check(raw)).toThrow(expect.objectContaining({ status: 400, id: 'self_service_flow_return_to_forbidden' }));
    },
  );
});

describe('anti-CSRF tokens (ory/nosurf)', () => {
  it('masks afresh on every render and verifies masked and unmasked tokens against the cookie', () => {
    const token = newCsrfToken();
    expect(Buffer.from(token, 'base64')).toHaveLength(32);
    const [a, b] = [maskCsrfToken(token), maskCsrfToken(token)];
    expect(a).toHaveLength(88);
    expect(a).not.toBe(b);
    expect(verifyCsrfToken(token, a)).toBe(true);
    expect(verifyCsrfToken(token, b)).toBe(true);
    expect(verifyCsrfToken(token, token)).toBe(true);
    expect(verifyCsrfToken(newCsrfToken(), a)).toBe(false);
    expect(verifyCsrfToken(token, undefined)).toBe(false);
    expect(verifyCsrfToken(undefined, a)).toBe(false);
    expect(verifyCsrfToken(token, 'garbage!')).toBe(false);
  });

  it("names the cookie after the public base URL as Kratos does", () => {
    expect(csrfCookieName('http://127.0.0.1:4433')).toBe(`csrf_token_${createHash('sha256').update('http://127.0.0.1:4433/').digest('hex')}`);
  });
});

describe('sealed session cookie', () => {
  const now = new Date('2026-12-01T10:00:00Z');
  const later = new Date('2026-12-02T10:00:00Z');

  it('opens with the sealing secret or any other listed one, not after expiry, not altered, not for another purpose', () => {
    const value = sealSessionCookie('ory_st_abc', later, SECRET);
    expect(value).not.toContain('ory_st_abc');
    expect(openSessionCookie(value, [SECRET], now)).toBe('ory_st_abc');
    expect(openSessionCookie(value, ['a-newer-secret-first-in-the-list', SECRET], now)).toBe('ory_st_abc');
    expect(openSessionCookie(value, ['a-different-secret-entirely!!'], now)).toBeUndefined();
    expect(openSessionCookie(value, [SECRET], new Date(later.getTime() + 1000))).toBeUndefined();
    const tampered = value.slice(0, -2) + (value.endsWith('A') ? 'BB' : 'AA');
    expect(openSessionCookie(tampered, [SECRET], now)).toBeUndefined();
    expect(open(seal({ t: 'x' }, SECRET, 'other'), [SECRET], 'session-cookie')).toBeUndefined();
  });
});

describe('cookies', () => {
  it('parses a Cookie header (first of a name wins) and writes Set-Cookie with the configured attributes', () => {
    expect([...parseCookies('a=1; b="2"; a=3; junk; =x')]).toEqual([['a', '1'], ['b', '2']]);
    const config = loadBrowserConfig({ COOKIES_DOMAIN: 'example.com', COOKIES_SAME_SITE: 'strict' }, BASE);
    expect(setCookie(config, 'n', 'v', { maxAge: 60.7 })).toBe('n=v; Path=/; Domain=example.com; Max-Age=60; HttpOnly; Secure; SameSite=Strict');
    expect(setCookie(loadBrowserConfig({}, 'http://127.0.0.1:4433'), 'n', '', { maxAge: -5 })).toBe('n=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax');
  });
});

describe('content negotiation (gddo)', () => {
  const offers = ['text/html', 'application/json'];
  it.each([
    [undefined, 'text/html'],
    ['application/json', 'application/json'],
    ['*/*', 'text/html'],
    ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'text/html'],
    ['application/json, text/plain, */*', 'application/json'],
    ['text/html;q=0.5, application/json', 'application/json'],
    ['application/json;q=0', 'text/html'],
  ])('Accept %s -> %s', (accept, expected) => {
    expect(negotiate(accept, offers, 'text/html')).toBe(expected);
  });

  it('takes a JSON body as a JSON request (x.IsJSONRequest)', () => {
    expect(isJsonRequest({ 'content-type': 'application/json' })).toBe(true);
    expect(isJsonRequest({ 'content-type': 'application/x-www-form-urlencoded' })).toBe(false);
    expect(isJsonRequest({ accept: 'application/json' })).toBe(true);
  });
});

describe('CORS', () => {
  const cors = loadBrowserConfig({ SERVE_PUBLIC_CORS_ENABLED: 'true', SERVE_PUBLIC_CORS_ALLOWED_ORIGINS: 'https://app.example.com,https://*.example.org', SERVE_PUBLIC_CORS_MAX_AGE: '300' }, BASE).cors;
  const off = loadBrowserConfig({}, BASE).cors;

  it('grants an allowed origin its own value, credentials and the exposed headers; nothing to others', () => {
    expect(corsHeaders(cors, { origin: 'https://app.example.com' }, BASE)).toEqual({
      'Access-Control-Allow-Origin': 'https://app.example.com',
      'Access-Control-Allow-Credentials': 'true',
      'Access-Control-Expose-Headers': 'Content-Type, Set-Cookie',
      Vary: 'Origin',
    });
    expect(corsHeaders(cors, { origin: 'https://a.b.example.org' }, BASE)['Access-Control-Allow-Origin']).toBe('https://a.b.example.org');
    expect(corsHeaders(cors, { origin: 'https://example.org' }, BASE)['Access-Control-Allow-Origin']).toBeUndefined();
    expect(corsHeaders(cors, { origin: 'https://evil.example.net' }, BASE)['Access-Control-Allow-Origin']).toBeUndefined();
    expect(corsHeaders(off, { origin: 'https://app.example.com' }, BASE)).toEqual({});
    expect(corsHeaders(cors, {}, BASE)).toEqual({});
  });

  it('answers a preflight with what was asked when all of it is allowed, else with no grant', () => {
    const asked = { origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' };
    expect(preflight(cors, asked, BASE)).toEqual({
      status: 204,
      headers: expect.objectContaining({
        'Access-Control-Allow-Origin': 'https://app.example.com',
        'Access-Control-Allow-Methods': 'POST',
        'Access-Control-Allow-Headers': 'content-type',
        'Access-Control-Allow-Credentials': 'true',
        'Access-Control-Max-Age': '300',
      }),
    });
    for (const denied of [{ ...asked, origin: 'https://evil.example.net' }, { ...asked, 'access-control-request-method': 'TRACE' }, { ...asked, 'access-control-request-headers': 'x-evil' }]) {
      expect(preflight(cors, denied, BASE).headers['Access-Control-Allow-Origin']).toBeUndefined();
    }
    expect(preflight(off, asked, BASE).headers['Access-Control-Allow-Origin']).toBeUndefined();
  });

  it("answers `*` as rs/cors does: a literal `*` without credentials, never the origin `null`", () => {
    const any = loadBrowserConfig({ SERVE_PUBLIC_CORS_ENABLED: 'true', SERVE_PUBLIC_CORS_ALLOWED_ORIGINS: '*,https://app.example.com' }, BASE).cors;
    const evil = corsHeaders(any, { origin: 'https://evil.example.net' }, BASE);
    expect(evil['Access-Control-Allow-Origin']).toBe('*');
    expect(evil['Access-Control-Allow-Credentials']).toBeUndefined();
    // A named origin keeps its own grant, credentials included.
    expect(corsHeaders(any, { origin: 'https://app.example.com' }, BASE)).toMatchObject({ 'Access-Control-Allow-Origin': 'https://app.example.com', 'Access-Control-Allow-Credentials': 'true' });
    for (const config of [any, loadBrowserConfig({ SERVE_PUBLIC_CORS_ENABLED: 'true', SERVE_PUBLIC_CORS_ALLOWED_ORIGINS: '*' }, BASE).cors]) {
      expect(corsHeaders(config, { origin: 'null' }, BASE)['Access-Control-Allow-Origin']).toBeUndefined();
      expect(preflight(config, { origin: 'null', 'access-control-request-method': 'GET' }, BASE).headers['Access-Control-Allow-Origin']).toBeUndefined();
    }
    const asked = preflight(any, { origin: 'https://evil.example.net', 'access-control-request-method': 'POST' }, BASE);
    expect(asked.headers['Access-Control-Allow-Origin']).toBe('*');
    expect(preflight(any, { origin: 'https://app.example.com', 'access-control-request-method': 'GET' }, BASE, '/admin/identities').headers['Access-Control-Allow-Origin']).toBeUndefined();
    expect(asked.headers['Access-Control-Allow-Credentials']).toBeUndefined();
  });
});
