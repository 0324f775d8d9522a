/**
 * Browser flows through serverless-offline, as a browser (and Ory's UIs) use them: cookies and their attributes,
 * CSRF, 303s and their Location, JSON answers for scripts, every body checked against kratos/api.json, and the
 * spans (a 303 is not an error, a CSRF 403 is).
 */
import type { RunningOffline } from '../../scripts/local-stack.js';
import { flowIdOf, nodeValue, TestBrowser, type BrowserResponse } from '../support/browser.js';
import { TEST_ENV } from '../support/env.js';
import { GOOD_PASSWORD, uniqueEmail } from '../support/http.js';
import { expectMatchesSchema } from '../support/openapi.js';
import { startJaegerUdpReceiver, type UdpSpanReceiver } from '../support/trace-receivers.js';
import { startTracedOffline, traceOf } from '../support/traced-stack.js';

let udp: UdpSpanReceiver;
let offline: RunningOffline;
let base: string;
const APP = 'https://app.example.com';

beforeAll(async () => {
  udp = await startJaegerUdpReceiver();
  offline = await startTracedOffline({
    TRACING_PROVIDER: 'jaeger',
    TRACING_PROVIDERS_JAEGER_LOCAL_AGENT_ADDRESS: `127.0.0.1:${udp.port}`,
    SELFSERVICE_ALLOWED_RETURN_URLS: `${APP}/`,
    SERVE_PUBLIC_CORS_ENABLED: 'true',
    SERVE_PUBLIC_CORS_ALLOWED_ORIGINS: APP,
  });
  base = offline.baseUrl;
}, 120_000);
afterAll(async () => {
  await offline?.stop();
  await udp?.close();
});

const CSRF_PREFIX = 'csrf_token_';
const SESSION = 'ory_kratos_session';
const ui = (name: string) => `${base}/ui/${name}`;

async function rootSpan(res: BrowserResponse, route: string) {
  const spans = await traceOf(udp, res.traceId, route);
  return spans.find((s) => s.name === route)!;
}

/** A browser that has registered through the browser flow (form posts all the way), and its e-mail. */
async function registered(email = uniqueEmail('browser'), at = base): Promise<{ browser: TestBrowser; email: string }> {
  const browser = new TestBrowser(at);
  const init = await browser.get('/self-service/registration/browser');
  const flow = (await browser.getJson(`/self-service/registration/flows?id=${flowIdOf(init.location)}`)).json;
  const done = await browser.postForm(`/self-service/registration?flow=${flow.id}`, {
    csrf_token: nodeValue(flow, 'csrf_token'),
    'traits.email': email,
    password: GOOD_PASSWORD,
    method: 'password',
  });
  expect(done.status).toBe(303);
  return { browser, email };
}

describe('browser flow init', () => {
  it.each(['login', 'registration'])('%s: 303 to the UI with a new flow, setting the anti-CSRF cookie as Kratos does', async (flow) => {
    const browser = new TestBrowser(base);
    const res = await browser.get(`/self-service/${flow}/browser`);
    expect(res.status).toBe(303);
    expect(res.location).toMatch(new RegExp(`^${ui(flow)}\\?flow=[0-9a-f-]{36}$`));
    const csrf = res.setCookies.find((c) => c.name.startsWith(CSRF_PREFIX))!;
    expect(csrf.name).toMatch(/^csrf_token_[0-9a-f]{64}$/);
    expect(Buffer.from(csrf.value, 'base64')).toHaveLength(32);
    expect(csrf.attributes).toMatchObject({ path: '/', httponly: true, samesite: 'Lax', 'max-age': '31536000' });
    expect(csrf.attributes.secure).toBeUndefined(); // http://127.0.0.1: not Secure, as Kratos in dev

    const again = await browser.get(`/self-service/${flow}/browser`);
    expect(again.setCookies.filter((c) => c.name.startsWith(CSRF_PREFIX))).toEqual([]); // the cookie is kept, not replaced
    expect((await rootSpan(res, `/self-service/${flow}/browser`)).tags).toMatchObject({ 'http.status_code': 303 });
    expect((await rootSpan(res, `/self-service/${flow}/browser`)).tags.error).toBeUndefined();
  });

  it('answers a JSON request with the flow itself: type browser, a masked CSRF token, valid against api.json', async () => {
    const browser = new TestBrowser(base);
    const res = await browser.getJson('/self-service/login/browser');
    expect(res.status).toBe(200);
    expectMatchesSchema('loginFlow', res.json);
    expect(res.json).toMatchObject({ type: 'browser', ui: { action: `${base}/self-service/login?flow=${res.json.id}`, method: 'POST' } });
    expect(nodeValue(res.json, 'csrf_token')).toMatch(/^[A-Za-z0-9+/]{86}==$/);
    const registration = await browser.getJson('/self-service/registration/browser');
    expectMatchesSchema('registrationFlow', registration.json);
    expect(registration.json.type).toBe('browser');
  });

  it('refuses a return_to outside the allow list: 400 for JSON, the error UI for a browser', async () => {
    const browser = new TestBrowser(base);
    const json = await browser.getJson('/self-service/login/browser?return_to=https://evil.example.net/');
    expect(json.status).toBe(400);
    expect(json.json.error.id).toBe('self_service_flow_return_to_forbidden');
    const page = await browser.get('/self-service/login/browser?return_to=https://evil.example.net/');
    expect(page.status).toBe(303);
    expect(page.location).toMatch(new RegExp(`^${ui('error')}\\?id=`));
    const error = await browser.getJson(`/self-service/errors?id=${new URL(page.location!).searchParams.get('id')}`);
    expect(error.status).toBe(200);
    expectMatchesSchema('flowError', error.json);
    expect(error.json.error).toMatchObject({ id: 'self_service_flow_return_to_forbidden', code: 400 });
  });
});

describe('reading a browser flow needs its anti-CSRF cookie', () => {
  it('403 security_csrf_violation without the cookie or with another browser\'s; the flow, freshly masked, with it', async () => {
    const browser = new TestBrowser(base);
    const id = flowIdOf((await browser.get('/self-service/login/browser')).location);

    const bare = await new TestBrowser(base).getJson(`/self-service/login/flows?id=${id}`);
    expect(bare.status).toBe(403);
    expectMatchesSchema('errorGeneric', bare.json);
    expect(bare.json.error).toMatchObject({ id: 'security_csrf_violation', code: 403, details: { reject_reason: 'The HTTP Cookie Header is empty or not set.' } });

    const other = new TestBrowser(base);
    await other.get('/self-service/login/browser');
    const mismatch = await other.getJson(`/self-service/login/flows?id=${id}`);
    expect(mismatch.status).toBe(403);
    expect(mismatch.json.error.details.reject_reason).toMatch(/do not match/);

    const [first, second] = [await browser.getJson(`/self-service/login/flows?id=${id}`), await browser.getJson(`/self-service/login/flows?id=${id}`)];
    expect(first.status).toBe(200);
    expectMatchesSchema('loginFlow', first.json);
    expect(nodeValue(first.json, 'csrf_token')).not.toBe(nodeValue(second.json, 'csrf_token'));
  });
});

describe('registration and login in a browser', () => {
  it('registers with a form post: 303 to the default return URL, a sealed HttpOnly session cookie, whoami by cookie', async () => {
    const browser = new TestBrowser(base);
    const id = flowIdOf((await browser.get('/self-service/registration/browser')).location);
    const flow = (await browser.getJson(`/self-service/registration/flows?id=${id}`)).json;
    const email = uniqueEmail('form');
    const res = await browser.postForm(`/self-service/registration?flow=${id}`, {
      csrf_token: nodeValue(flow, 'csrf_token'),
      'traits.email': email,
      password: GOOD_PASSWORD,
      method: 'password',
    });
    expect(res.status).toBe(303);
    expect(res.location).toBe(ui('welcome'));
    const session = res.setCookies.find((c) => c.name === SESSION)!;
    expect(session.value).not.toMatch(/ory_st_/); // sealed, never the token itself
    expect(session.attributes).toMatchObject({ path: '/', httponly: true, samesite: 'Lax' });
    expect(Number(session.attributes['max-age'])).toBeGreaterThan(86_000);
    expect(Number(session.attributes['max-age'])).toBeLessThanOrEqual(86_400);

    const whoami = await browser.getJson('/sessions/whoami');
    expect(whoami.status).toBe(200);
    expectMatchesSchema('session', whoami.json);
    expect(whoami.json.identity.traits.email).toBe(email);
    expect((await rootSpan(res, '/self-service/registration')).tags).toMatchObject({ 'http.status_code': 303 });
  });

  it('logs in with JSON: 200 {session, continue_with: redirect_browser_to}, no session token, the cookie set', async () => {
    const { email } = await registered();
    const browser = new TestBrowser(base);
    const flow = (await browser.getJson('/self-service/login/browser')).json;
    const res = await browser.postJson(`/self-service/login?flow=${flow.id}`, { method: 'password', identifier: email, password: GOOD_PASSWORD, csrf_token: nodeValue(flow, 'csrf_token') });
    expect(res.status).toBe(200);
    expectMatchesSchema('successfulNativeLogin', res.json);
    expect(res.json.session_token).toBeUndefined();
    expect(res.json.continue_with).toEqual([{ action: 'redirect_browser_to', redirect_browser_to: ui('welcome') }]);
    expect(res.setCookies.map((c) => c.name)).toContain(SESSION);
    expect(JSON.stringify(res.json)).not.toMatch(/ory_st_/);
  });

  it('sends a wrong password back to the login UI with the message saved on the flow, the identifier kept', async () => {
    const { email } = await registered();
    const browser = new TestBrowser(base);
    const id = flowIdOf((await browser.get('/self-service/login/browser')).location);
    const flow = (await browser.getJson(`/self-service/login/flows?id=${id}`)).json;
    const res = await browser.postForm(`/self-service/login?flow=${id}`, { csrf_token: nodeValue(flow, 'csrf_token'), identifier: email, password: 'not the right one 1', method: 'password' });
    expect(res.status).toBe(303);
    expect(res.location).toBe(`${ui('login')}?flow=${id}`);
    expect(res.setCookies.map((c) => c.name)).not.toContain(SESSION);
    const shown = (await browser.getJson(`/self-service/login/flows?id=${id}`)).json;
    expect(shown.ui.messages.map((m: any) => m.id)).toEqual([4000006]);
    expect(nodeValue(shown, 'identifier')).toBe(email);
    expect(JSON.stringify(shown)).not.toContain('not the right one 1');
    // A JSON submit gets the flow itself, 400.
    const json = await browser.postJson(`/self-service/login?flow=${id}`, { csrf_token: nodeValue(shown, 'csrf_token'), identifier: email, password: 'still wrong 12', method: 'password' });
    expect(json.status).toBe(400);
    expectMatchesSchema('loginFlow', json.json);
  });

  it('keeps validation messages and values for the registration UI', async () => {
    const browser = new TestBrowser(base);
    const id = flowIdOf((await browser.get('/self-service/registration/browser')).location);
    const flow = (await browser.getJson(`/self-service/registration/flows?id=${id}`)).json;
    const res = await browser.postForm(`/self-service/registration?flow=${id}`, { csrf_token: nodeValue(flow, 'csrf_token'), 'traits.email': 'not-an-email', password: GOOD_PASSWORD, method: 'password' });
    expect(res.status).toBe(303);
    expect(res.location).toBe(`${ui('registration')}?flow=${id}`);
    const shown = (await browser.getJson(`/self-service/registration/flows?id=${id}`)).json;
    const emailNode = shown.ui.nodes.find((n: any) => n.attributes.name === 'traits.email');
    expect(emailNode.attributes.value).toBe('not-an-email');
    expect(emailNode.messages.map((m: any) => m.id)).toEqual([4000040]);
  });

  it('refuses a submit without the CSRF token: the error UI for a form post, 403 for JSON, traced as an error', async () => {
    const browser = new TestBrowser(base);
    const id = flowIdOf((await browser.get('/self-service/login/browser')).location);
    const form = await browser.postForm(`/self-service/login?flow=${id}`, { identifier: 'a@example.com', password: GOOD_PASSWORD, method: 'password' });
    expect(form.status).toBe(303);
    expect(form.location).toMatch(new RegExp(`^${ui('error')}\\?id=[0-9a-f-]{36}$`));
    const stored = await browser.getJson(`/self-service/errors?id=${new URL(form.location!).searchParams.get('id')}`);
    expect(stored.json.error).toMatchObject({ id: 'security_csrf_violation', code: 403, message: 'the request was rejected to protect you from Cross-Site-Request-Forgery' });

    const json = await browser.postJson(`/self-service/login?flow=${id}`, { identifier: 'a@example.com', password: GOOD_PASSWORD, method: 'password', csrf_token: 'wrong' });
    expect(json.status).toBe(403);
    expect(json.json.error.id).toBe('security_csrf_violation');
    expect((await rootSpan(json, '/self-service/login')).tags).toMatchObject({ 'http.status_code': 403, error: true });

    // The X-CSRF-Token header serves as well as the body field.
    const flow = (await browser.getJson(`/self-service/login/flows?id=${id}`)).json;
    const header = await browser.postJson(`/self-service/login?flow=${id}`, { identifier: 'nobody@example.com', password: GOOD_PASSWORD, method: 'password' }, { 'X-CSRF-Token': nodeValue(flow, 'csrf_token') });
    expect(header.status).toBe(400);
    expect(header.json.ui.messages.map((m: any) => m.id)).toEqual([4000006]);
  });

  it('a signed-in browser: init sends it on (303) or says so (JSON 400); refresh=true logs in again', async () => {
    const { browser, email } = await registered();
    const page = await browser.get('/self-service/login/browser');
    expect(page.status).toBe(303);
    expect(page.location).toBe(ui('welcome'));
    const json = await browser.getJson('/self-service/registration/browser');
    expect(json.status).toBe(400);
    expect(json.json.error.id).toBe('session_already_available');
    const refresh = await browser.getJson('/self-service/login/browser?refresh=true');
    expect(refresh.json.refresh).toBe(true);
    // Kratos's refresh form asks only for the password: the identifier is the session's, hidden.
    const identifier = refresh.json.ui.nodes.find((n: any) => n.attributes.name === 'identifier');
    expect(identifier.attributes).toMatchObject({ type: 'hidden', value: email });
    const again = await browser.postForm(`/self-service/login?flow=${refresh.json.id}`, { csrf_token: nodeValue(refresh.json, 'csrf_token'), identifier: email, password: GOOD_PASSWORD, method: 'password' });
    expect(again.status).toBe(303);
    expect(again.setCookies.map((c) => c.name)).toContain(SESSION);
  });

  it('returns to an allowed return_to after login', async () => {
    const { email } = await registered();
    const browser = new TestBrowser(base);
    const id = flowIdOf((await browser.get(`/self-service/login/browser?return_to=${encodeURIComponent(`${APP}/dashboard`)}`)).location);
    const flow = (await browser.getJson(`/self-service/login/flows?id=${id}`)).json;
    expect(flow.return_to).toBe(`${APP}/dashboard`);
    const res = await browser.postForm(`/self-service/login?flow=${id}`, { csrf_token: nodeValue(flow, 'csrf_token'), identifier: email, password: GOOD_PASSWORD, method: 'password' });
    expect(res.location).toBe(`${APP}/dashboard`);
  });

  it('rotates the anti-CSRF token when a session is issued for another identity', async () => {
    const a = await registered();
    const b = await registered();
    const browser = a.browser;
    const before = browser.cookieStartingWith(CSRF_PREFIX)![1];
    const flow = (await browser.getJson('/self-service/login/browser?refresh=true')).json;
    const res = await browser.postForm(`/self-service/login?flow=${flow.id}`, { csrf_token: nodeValue(flow, 'csrf_token'), identifier: b.email, password: GOOD_PASSWORD, method: 'password' });
    expect(res.status).toBe(303);
    const after = res.setCookies.find((c) => c.name.startsWith(CSRF_PREFIX));
    expect(after?.value).toBeDefined();
    expect(after!.value).not.toBe(before);
    expect((await browser.getJson('/sessions/whoami')).json.identity.traits.email).toBe(b.email);
  });
});

describe('settings in a browser', () => {
  it('without a session: the login flow, handing on return_to (303), or 401 for JSON', async () => {
    const browser = new TestBrowser(base);
    const page = await browser.get('/self-service/settings/browser');
    expect(page.status).toBe(303);
    expect(page.location).toBe(`${base}/self-service/login/browser`);
    const back = `${ui('settings')}?from=app`;
    const handedOn = await browser.get(`/self-service/settings/browser?return_to=${encodeURIComponent(back)}`);
    expect(handedOn.location).toBe(`${base}/self-service/login/browser?return_to=${encodeURIComponent(back)}`);
    const json = await browser.getJson('/self-service/settings/browser');
    expect(json.status).toBe(401);
    expect(json.json.error.id).toBe('session_inactive');
  });

  it('changes the password with a form post: 303 back to the settings UI, the flow in state success', async () => {
    const { browser, email } = await registered();
    const init = await browser.get('/self-service/settings/browser');
    expect(init.status).toBe(303);
    const id = flowIdOf(init.location);
    expect(init.location).toBe(`${ui('settings')}?flow=${id}`);
    const flow = (await browser.getJson(`/self-service/settings/flows?id=${id}`)).json;
    expectMatchesSchema('settingsFlow', flow);
    expect(flow).toMatchObject({ type: 'browser', identity: { traits: { email } } });
    const res = await browser.postForm(`/self-service/settings?flow=${id}`, { csrf_token: nodeValue(flow, 'csrf_token'), password: 'a brand new passphrase 7', method: 'password' });
    expect(res.status).toBe(303);
    expect(res.location).toBe(`${ui('settings')}?flow=${id}`);
    const done = (await browser.getJson(`/self-service/settings/flows?id=${id}`)).json;
    expect(done.state).toBe('success');
    // The new password works.
    const other = new TestBrowser(base);
    const login = (await other.getJson('/self-service/login/browser')).json;
    const ok = await other.postJson(`/self-service/login?flow=${login.id}`, { method: 'password', identifier: email, password: 'a brand new passphrase 7', csrf_token: nodeValue(login, 'csrf_token') });
    expect(ok.status).toBe(200);
  });
});

describe('browser logout', () => {
  it('hands out the logout URL, which revokes the session, expires the cookie, rotates CSRF and redirects', async () => {
    const { browser } = await registered();
    const flow = await browser.getJson(`/self-service/logout/browser?return_to=${encodeURIComponent(`${APP}/bye`)}`);
    expect(flow.status).toBe(200);
    expectMatchesSchema('logoutFlow', flow.json);
    expect(flow.json.logout_token).toMatch(/^ory_lo_[0-9a-f]{32}$/);
    expect(flow.json.logout_url).toBe(`${base}/self-service/logout?token=${flow.json.logout_token}&return_to=${encodeURIComponent(`${APP}/bye`)}`);

    expect((await browser.get('/self-service/logout', { Accept: 'application/json' })).status).toBe(400);
    const wrong = await browser.request('GET', `/self-service/logout?token=ory_lo_${'0'.repeat(32)}`, { headers: { Accept: 'application/json' } });
    expect(wrong.status).toBe(403);
    expect((await browser.getJson('/sessions/whoami')).status).toBe(200);

    const sealed = browser.cookie(SESSION)!;
    const csrfBefore = browser.cookieStartingWith(CSRF_PREFIX)![1];
    const res = await browser.get(flow.json.logout_url);
    expect(res.status).toBe(303);
    expect(res.location).toBe(`${APP}/bye`);
    expect(res.setCookies.find((c) => c.name === SESSION)?.attributes['max-age']).toBe('0');
    expect(res.setCookies.find((c) => c.name.startsWith(CSRF_PREFIX))?.value).not.toBe(csrfBefore);
    // The old cookie, replayed, is a revoked session.
    const replay = await new TestBrowser(base).request('GET', '/sessions/whoami', { headers: { Accept: 'application/json', Cookie: `${SESSION}=${sealed}` } });
    expect(replay.status).toBe(401);
  });

  it('without a session: 401 session_inactive for JSON; a JSON logout answers 204', async () => {
    const none = await new TestBrowser(base).getJson('/self-service/logout/browser');
    expect(none.status).toBe(401);
    expect(none.json.error.id).toBe('session_inactive');
    const { browser } = await registered();
    const { logout_token: token } = (await browser.getJson('/self-service/logout/browser')).json;
    const res = await browser.request('GET', `/self-service/logout?token=${token}`, { headers: { Accept: 'application/json' } });
    expect(res.status).toBe(204);
  });
});

describe('sessions and cookies', () => {
  it('whoami takes X-Session-Token first, then the cookie, then Authorization', async () => {
    const { browser } = await registered();
    const api = await fetch(`${base}/self-service/registration/api`).then((r) => r.json() as Promise<any>);
    const email = uniqueEmail('native');
    const native = await fetch(`${base}/self-service/registration?flow=${api.id}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ method: 'password', password: GOOD_PASSWORD, traits: { email } }),
    }).then((r) => r.json() as Promise<any>);
    const token = native.session_token as string;
    const cookie = browser.cookieHeader();
    const who = async (headers: Record<string, string>) => ((await fetch(`${base}/sessions/whoami`, { headers }).then((r) => r.json())) as any).identity.traits.email;
    expect(await who({ 'X-Session-Token': token, Cookie: cookie })).toBe(email);
    expect(await who({ Cookie: cookie, Authorization: `Bearer ${token}` })).not.toBe(email);
    expect(await who({ Authorization: `Bearer ${token}` })).toBe(email);
  });

  it('API flows still refuse cookies, but not Cloudflare\'s', async () => {
    const api = await fetch(`${base}/self-service/login/api`).then((r) => r.json() as Promise<any>);
    const withCookie = await fetch(`${base}/self-service/login?flow=${api.id}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Cookie: 'a=1' },
      body: JSON.stringify({ method: 'password', identifier: 'x@example.com', password: 'whatever it is 1' }),
    });
    expect(withCookie.status).toBe(400);
    expect(((await withCookie.json()) as any).ui.messages[0].text).toContain('"Cookie" key');
    const cloudflare = await fetch(`${base}/self-service/login?flow=${api.id}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Cookie: '__cf_bm=abc; cf_clearance=x' },
      body: JSON.stringify({ method: 'password', identifier: 'x@example.com', password: 'whatever it is 1' }),
    });
    expect(cloudflare.status).toBe(400);
    expect(((await cloudflare.json()) as any).ui.messages.map((m: any) => m.id)).toEqual([4000006]);
  });

  it('a forged or foreign session cookie is no session', async () => {
    const res = await fetch(`${base}/sessions/whoami`, { headers: { Cookie: `${SESSION}=v1.${'A'.repeat(80)}` } });
    expect(res.status).toBe(401);
  });
});

describe('expired browser flows', () => {
  it('a form post to an expired flow goes to the UI with its replacement', async () => {
    // Long enough for a cold worker on a loaded machine to read the flow before it expires; then waited out.
    const short = await startTracedOffline({ SELFSERVICE_FLOWS_LOGIN_LIFESPAN: '5s' });
    try {
      const browser = new TestBrowser(short.baseUrl);
      const id = flowIdOf((await browser.get('/self-service/login/browser')).location);
      const flow = (await browser.getJson(`/self-service/login/flows?id=${id}`)).json;
      await new Promise((r) => setTimeout(r, Math.max(0, new Date(flow.expires_at).getTime() - Date.now()) + 200));
      const res = await browser.postForm(`/self-service/login?flow=${id}`, { csrf_token: nodeValue(flow, 'csrf_token'), identifier: 'a@example.com', password: GOOD_PASSWORD, method: 'password' });
      expect(res.status).toBe(303);
      const replacement = flowIdOf(res.location);
      expect(replacement).not.toBe(id);
      expect(res.location).toBe(`${short.baseUrl}/ui/login?flow=${replacement}`);
      const shown = (await browser.getJson(`/self-service/login/flows?id=${replacement}`)).json;
      expect(shown.ui.messages.map((m: any) => m.id)).toEqual([4010001]);
    } finally {
      await short.stop();
    }
  }, 60_000);
});

describe('the UI pages', () => {
  it('start a flow when there is none, restart one that is not this browser\'s, and say when cookies are off', async () => {
    const browser = new TestBrowser(base);
    const start = await browser.get('/ui/login?return_to=' + encodeURIComponent(`${APP}/x`));
    expect(start.status).toBe(303);
    expect(start.location).toBe(`${base}/self-service/login/browser?return_to=${encodeURIComponent(`${APP}/x`)}`);
    const id = flowIdOf((await browser.get('/self-service/login/browser')).location);
    const page = await browser.get(`/ui/login?flow=${id}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(page.text).toContain(`action="${base}/self-service/login?flow=${id}"`);
    expect(page.text).toMatch(/<input type="hidden" name="csrf_token" value="[A-Za-z0-9+/]{86}==">/);

    const other = new TestBrowser(base);
    await other.get('/self-service/registration/browser');
    const restart = await other.get(`/ui/login?flow=${id}`);
    expect(restart.status).toBe(303);
    expect(restart.location).toBe(`${base}/self-service/login/browser`);

    const cookieless = await fetch(`${base}/ui/login?flow=${id}`, { redirect: 'manual' });
    expect(cookieless.status).toBe(403);
    expect(await cookieless.text()).toContain('Cookies are needed');
  });

  it('show an error that is gone as such', async () => {
    const res = await new TestBrowser(base).get('/ui/error?id=00000000-0000-4000-8000-000000000000');
    expect(res.status).toBe(200);
    expect(res.text).toContain('This error is no longer available.');
  });
});

describe('errors and schemas', () => {
  it('GET /self-service/errors: stub:500, and 404 for an unknown id', async () => {
    const stub = await new TestBrowser(base).getJson('/self-service/errors?id=stub:500');
    expect(stub.status).toBe(200);
    expectMatchesSchema('flowError', stub.json);
    expect((await new TestBrowser(base).getJson('/self-service/errors?id=00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });

  it("GET /schemas lists the schema and an identity's schema_url serves it", async () => {
    const list = await new TestBrowser(base).getJson('/schemas');
    expectMatchesSchema('identitySchemas', list.json);
    expect(list.json.map((s: any) => s.id)).toEqual(['default']);
    const { browser } = await registered();
    const session = (await browser.getJson('/sessions/whoami')).json;
    const schema = await fetch(session.identity.schema_url);
    expect(schema.status).toBe(200);
    expect(((await schema.json()) as any).properties.traits).toBeDefined();
    expect((await fetch(`${base}/schemas/nope`)).status).toBe(404);
  });
});

describe('CORS (configured with SERVE_PUBLIC_CORS_*)', () => {
  it('grants the allowed origin, credentials included, on answers and preflights; nothing to another origin', async () => {
    const ok = await fetch(`${base}/sessions/whoami`, { headers: { Origin: APP } });
    expect(ok.headers.get('access-control-allow-origin')).toBe(APP);
    expect(ok.headers.get('access-control-allow-credentials')).toBe('true');
    const evil = await fetch(`${base}/sessions/whoami`, { headers: { Origin: 'https://evil.example.net' } });
    expect(evil.headers.get('access-control-allow-origin')).not.toBe('https://evil.example.net');

    const preflight = await fetch(`${base}/self-service/login`, {
      method: 'OPTIONS',
      headers: { Origin: APP, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' },
    });
    expect([200, 204]).toContain(preflight.status);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(APP);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    const denied = await fetch(`${base}/self-service/login`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://evil.example.net', 'Access-Control-Request-Method': 'POST' },
    });
    expect(denied.headers.get('access-control-allow-origin')).not.toBe('https://evil.example.net');
    // The admin API grants no origin anything.
    const adminRes = await fetch(`${base}/admin/identities`, { headers: { Origin: APP, Authorization: `Bearer ${TEST_ENV.ADMIN_API_KEY}` } });
    expect(adminRes.headers.get('access-control-allow-origin')).not.toBe(APP);
  });

  it('with `*`, lets no page read a signed-in browser\'s whoami or flows: a literal `*` without credentials, no grant to `null`, none on the admin API', async () => {
    const open = await startTracedOffline({ SERVE_PUBLIC_CORS_ENABLED: 'true', SERVE_PUBLIC_CORS_ALLOWED_ORIGINS: '*' });
    try {
      const { browser } = await registered(uniqueEmail('cors-any'), open.baseUrl);
      for (const path of ['/sessions/whoami', '/self-service/settings/browser']) {
        const evil = await fetch(`${open.baseUrl}${path}`, { headers: { Origin: 'https://evil.example.net', Cookie: browser.cookieHeader(), Accept: 'application/json' }, redirect: 'manual' });
        expect([path, evil.headers.get('access-control-allow-origin'), evil.headers.get('access-control-allow-credentials')]).toEqual([path, '*', 'false']);
        const sandboxed = await fetch(`${open.baseUrl}${path}`, { headers: { Origin: 'null', Cookie: browser.cookieHeader(), Accept: 'application/json' }, redirect: 'manual' });
        expect(sandboxed.headers.get('access-control-allow-origin')).not.toBe('null');
        expect(sandboxed.headers.get('access-control-allow-origin')).not.toBe('*');
      }
      const preflight = await fetch(`${open.baseUrl}/admin/identities`, { method: 'OPTIONS', headers: { Origin: 'https://evil.example.net', 'Access-Control-Request-Method': 'GET' } });
      expect(['*', 'https://evil.example.net']).not.toContain(preflight.headers.get('access-control-allow-origin'));
      const adminRes = await fetch(`${open.baseUrl}/admin/identities`, { headers: { Origin: 'https://evil.example.net', Authorization: `Bearer ${TEST_ENV.ADMIN_API_KEY}` } });
      expect(['*', 'https://evil.example.net']).not.toContain(adminRes.headers.get('access-control-allow-origin'));
    } finally {
      await open.stop();
    }
  }, 60_000);
});
