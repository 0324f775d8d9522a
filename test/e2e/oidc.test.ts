/**
 * Social sign-in through serverless-offline against a real OpenID provider (oidc-provider, in this process): a browser
 * registering and signing in again (cookies, 303s, the callback function), the callback's spans (token exchange and
 * JWKS fetch as client spans, no code or token in any attribute), a native app with the official SDK and an ID token,
 * and our UI in Chromium: the missing-traits form and an e-mail another account holds.
 */
import { type Browser, type Page } from 'playwright-core';
import { Configuration, FrontendApi, IdentityApi } from '@ory/kratos-client';
import { freePort } from '../../scripts/dynamodb-local.js';
import type { RunningOffline } from '../../scripts/local-stack.js';
import { flowIdOf, nodeValue, TestBrowser } from '../support/browser.js';
import { launchChromium } from '../support/chromium.js';
import { TEST_ENV } from '../support/env.js';
import { GOOD_PASSWORD, uniqueEmail } from '../support/http.js';
import { CLIENT_ID, CLIENT_SECRET, NATIVE_CLIENT_ID, startTestProvider, type TestProvider, TEST_MAPPER_URL } from '../support/oidc-provider.js';
import { startJaegerUdpReceiver, type UdpSpanReceiver } from '../support/trace-receivers.js';
import { startTracedOffline, traceOf, treeOf } from '../support/traced-stack.js';

const CALLBACK_ROUTE = '/self-service/methods/oidc/callback/{provider}';

let udp: UdpSpanReceiver;
let provider: TestProvider;
let offline: RunningOffline;
let base: string;
let chrome: Browser | undefined;

beforeAll(async () => {
  udp = await startJaegerUdpReceiver();
  // The stack's port is only known once it starts: the provider accepts any callback on this host (checked per client).
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  provider = await startTestProvider([`${base}/self-service/methods/oidc/callback/test`]);
  offline = await startTracedOffline({
    TRACING_PROVIDER: 'jaeger',
    TRACING_PROVIDERS_JAEGER_LOCAL_AGENT_ADDRESS: `127.0.0.1:${udp.port}`,
    SELFSERVICE_METHODS_OIDC_ENABLED: 'true',
    SELFSERVICE_METHODS_OIDC_CONFIG_PROVIDERS: JSON.stringify([
      { id: 'test', provider: 'generic', label: 'Test ID', client_id: CLIENT_ID, issuer_url: provider.issuer, mapper_url: TEST_MAPPER_URL, scope: ['email'] },
      { id: 'google', provider: 'google', client_id: CLIENT_ID, issuer_url: provider.issuer, mapper_url: TEST_MAPPER_URL, additional_id_token_audiences: [NATIVE_CLIENT_ID] },
    ]),
    SELFSERVICE_METHODS_OIDC_CONFIG_CLIENT_SECRETS: JSON.stringify({ test: CLIENT_SECRET }),
    SELFSERVICE_FLOWS_REGISTRATION_AFTER_OIDC_HOOKS: '[{"hook":"session"}]',
    SELFSERVICE_ALLOWED_RETURN_URLS: 'https://app.example.com/',
    SECRETS_CIPHER: 'an-e2e-32-byte-key-for-the-oidc!',
    // The one-step form: the Chromium steps sign up with a password on one page.
    SELFSERVICE_FLOWS_REGISTRATION_STYLE: 'unified',
  }, { port });
  expect(offline.baseUrl).toBe(base);
}, 120_000);
afterAll(async () => {
  await chrome?.close();
  await offline?.stop();
  await provider?.close();
  await udp?.close();
});

const sub = () => `e2e-${Math.random().toString(36).slice(2, 10)}`;

/** A browser's sign-in with the provider from a new flow of `type`: the callback's answer. */
async function signInWithProvider(browser: TestBrowser, type: 'login' | 'registration') {
  const init = await browser.get(`/self-service/${type}/browser`);
  const flow = (await browser.getJson(`/self-service/${type}/flows?id=${flowIdOf(init.location)}`)).json;
  const submit = await browser.postForm(`/self-service/${type}?flow=${flow.id}`, { csrf_token: nodeValue(flow, 'csrf_token'), provider: 'test' });
  expect(submit.status).toBe(303);
  const back = await provider.authorize(submit.location!);
  return browser.get(back.toString());
}

describe('social sign-in through serverless-offline', () => {
  it('registers a browser through the provider, signs it in again later, and traces the callback (token exchange and JWKS as client spans, no secret in them)', async () => {
    const email = uniqueEmail('oidc-e2e');
    provider.signInAs({ sub: sub(), email, email_verified: true });
    const browser = new TestBrowser(base);
    const done = await signInWithProvider(browser, 'registration');
    expect(done.status).toBe(303);
    expect(done.location).toBe(`${base}/ui/welcome`);
    const whoami = await browser.getJson('/sessions/whoami');
    expect(whoami.json).toMatchObject({ identity: { traits: { email } }, authentication_methods: [{ method: 'oidc', aal: 'aal1', provider: 'test' }] });

    const spans = await traceOf(udp, done.traceId, CALLBACK_ROUTE);
    const names = spans.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['POST /token', 'GET /jwks']));
    const { root } = treeOf(spans, CALLBACK_ROUTE);
    for (const name of ['POST /token', 'GET /jwks']) {
      const span = spans.find((s) => s.name === name)!;
      expect(span.kind).toBe('client');
      expect(span.tags['server.address']).toBe('127.0.0.1');
      // Under the callback's own span, not a trace of their own.
      expect(spans.some((s) => s.spanId === span.parentSpanId)).toBe(true);
    }
    expect(root.tags['http.response.status_code']).toBe(303);
    // Kratos's events name the provider.
    const events = Object.fromEntries((root.events ?? []).map((e) => [e.name, e.attributes]));
    expect(events.RegistrationSucceeded).toMatchObject({ SelfServiceMethodUsed: 'oidc', SelfServiceSSOProviderUsed: 'test', IdentityID: whoami.json.identity.id });
    expect(events.LoginSucceeded).toMatchObject({ SelfServiceMethodUsed: 'oidc', SelfServiceSSOProviderUsed: 'test' });
    const code = new URL(provider.lastCallback()!).searchParams.get('code')!;
    for (const span of spans) expect(span.raw).not.toContain(code);

    // The admin API shows the linked account, and will not delete the identity's only way to sign in.
    const admin = new IdentityApi(new Configuration({ basePath: base, apiKey: `Bearer ${TEST_ENV.ADMIN_API_KEY}` }));
    const { data: identity } = await admin.getIdentity({ id: whoami.json.identity.id, includeCredential: ['oidc'] });
    const linked = identity.credentials?.oidc;
    expect(linked?.identifiers).toHaveLength(1);
    // With SECRETS_CIPHER the provider's tokens were kept encrypted; the admin read opens them (Kratos's initial_*).
    expect(linked?.config).toEqual({
      providers: [{ provider: 'test', subject: linked!.identifiers![0].slice('test:'.length), initial_id_token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/), initial_access_token: expect.any(String), initial_refresh_token: '' }],
    });
    const refused = await admin.deleteIdentityCredentials({ id: identity.id, type: 'oidc', identifier: linked!.identifiers![0] }).catch((error: { response: { status: number; data: unknown } }) => error.response);
    expect(refused).toMatchObject({ status: 400, data: { error: { reason: 'You cannot remove the last first factor credential.' } } });

    // Later, in another browser: the same identity.
    const again = new TestBrowser(base);
    expect((await signInWithProvider(again, 'login')).status).toBe(303);
    expect((await again.getJson('/sessions/whoami')).json.identity.id).toBe(whoami.json.identity.id);
  });

  it("answers a provider's refusal on the flow's form (303) and marks the callback's span failed", async () => {
    const browser = new TestBrowser(base);
    provider.nextInteraction('access_denied');
    const back = await signInWithProvider(browser, 'login');
    expect(back.status).toBe(303);
    expect(back.location).toMatch(new RegExp(`^${base}/ui/login\\?flow=`));
    const flow = (await browser.getJson(`/self-service/login/flows?id=${flowIdOf(back.location)}`)).json;
    expect(flow.ui.messages[0]).toMatchObject({ id: 4000001, text: expect.stringContaining('access_denied') });
    const root = treeOf(await traceOf(udp, back.traceId, CALLBACK_ROUTE), CALLBACK_ROUTE).root;
    expect(root.tags['otel.status_code']).toBe('ERROR');
    expect(root.events?.find((e) => e.name === 'exception')?.attributes).toMatchObject({ 'exception.type': 'OpenIDConnectError', 'exception.message': expect.stringContaining('access_denied') });
  });

  it('signs a native app in with an ID token the provider issued to it (the official SDK)', async () => {
    const sdk = new FrontendApi(new Configuration({ basePath: base }));
    const email = uniqueEmail('oidc-native');
    const nonce = 'native-nonce-0123456789abcdef';
    const idToken = await provider.nativeIdToken({ sub: sub(), email, email_verified: true }, nonce);
    const { data: flow } = await sdk.createNativeLoginFlow();
    expect(flow.ui.nodes.filter((n) => n.group === 'oidc').map((n) => (n.attributes as { value?: string }).value)).toEqual(['test', 'google']);
    const { data } = await sdk.updateLoginFlow({ flow: flow.id, updateLoginFlowBody: { method: 'oidc', provider: 'google', id_token: idToken, id_token_nonce: nonce } });
    expect(data.session.identity?.traits).toEqual({ email });
    const { data: session } = await sdk.toSession({ xSessionToken: data.session_token });
    expect(session.authentication_methods?.[0]).toMatchObject({ method: 'oidc', provider: 'google' });
  });

  it('lets a native app sign in through a browser and exchange its two codes for the session token (the official SDK)', async () => {
    const sdk = new FrontendApi(new Configuration({ basePath: base }));
    const email = uniqueEmail('oidc-exchange');
    provider.signInAs({ sub: sub(), email, email_verified: true });
    const { data: flow } = await sdk.createNativeRegistrationFlow({ returnSessionTokenExchangeCode: true, returnTo: 'https://app.example.com/signed-in' });
    expect(flow.session_token_exchange_code).toBeTruthy();
    const refused = (await sdk
      .updateRegistrationFlow({ flow: flow.id, updateRegistrationFlowBody: { method: 'oidc', provider: 'test' } })
      .catch((error: { response: unknown }) => error.response)) as { status: number; data: { redirect_browser_to?: string } };
    expect(refused.status).toBe(422);
    // The app opens the provider in a browser; it comes back to the callback, which sends it to the app.
    const back = await provider.authorize(refused.data.redirect_browser_to!);
    const callback = await fetch(back, { redirect: 'manual' });
    expect(callback.status).toBe(303);
    const landed = new URL(callback.headers.get('location')!);
    expect(`${landed.origin}${landed.pathname}`).toBe('https://app.example.com/signed-in');
    const { data } = await sdk.exchangeSessionToken({ initCode: flow.session_token_exchange_code!, returnToCode: landed.searchParams.get('code')! });
    expect(data.session.identity?.traits).toEqual({ email });
    const { data: session } = await sdk.toSession({ xSessionToken: data.session_token });
    expect(session.authentication_methods?.[0]).toMatchObject({ method: 'oidc', provider: 'test' });
  });

  describe('in Chromium, through our UI', () => {
    let page: Page;
    beforeAll(async () => {
      chrome = await launchChromium();
      page = await (await chrome.newContext()).newPage();
    }, 60_000);

    /** Our UI's button takes the browser to the provider; the provider (answered by the test) sends it back to a UI page. */
    async function viaProvider(button: RegExp): Promise<void> {
      const landed = page.waitForResponse((r) => r.url().startsWith(`${base}/ui/`) && (r.request().redirectedFrom()?.url().includes('/self-service/methods/oidc/callback/') ?? false));
      await page.getByRole('button', { name: button }).click();
      await landed;
      await page.waitForLoadState();
    }

    it('asks for the e-mail a provider did not give, then signs up with what was typed', async () => {
      provider.signInAs({ sub: sub() });
      await page.goto(`${base}/ui/registration`);
      await viaProvider(/Sign up with Test ID/);
      expect(new URL(page.url()).pathname).toBe('/ui/registration');
      await expect(page.getByLabel('E-Mail').getAttribute('aria-invalid')).resolves.toBe('true');
      const email = uniqueEmail('oidc-chromium');
      await page.getByLabel('E-Mail').fill(email);
      await viaProvider(/Continue/);
      expect(new URL(page.url()).pathname).toBe('/ui/welcome');
      const whoami = await page.request.get(`${base}/sessions/whoami`);
      expect((await whoami.json()).identity.traits.email).toBe(email);
    });

    it('links a provider to a password account in settings, signs in with it, and unlinks it', async () => {
      await page.context().clearCookies();
      const email = uniqueEmail('oidc-link');
      await page.goto(`${base}/ui/registration`);
      await page.getByLabel('E-Mail').fill(email);
      await page.getByLabel('Password').fill(GOOD_PASSWORD);
      await page.getByRole('button', { name: 'Sign up', exact: true }).click();
      await page.waitForURL(`${base}/ui/welcome`);
      await page.goto(`${base}/ui/settings`);
      const subject = sub();
      provider.signInAs({ sub: subject, email: uniqueEmail('oidc-link-provider') });
      await viaProvider(/Link Test ID/);
      expect(new URL(page.url()).pathname).toBe('/ui/settings');
      await expect(page.getByRole('button', { name: 'Unlink Test ID' }).isVisible()).resolves.toBe(true);

      // Signed out, the provider signs in to the same account.
      const identityId = (await (await page.request.get(`${base}/sessions/whoami`)).json()).identity.id;
      await page.context().clearCookies();
      await page.goto(`${base}/ui/login`);
      await viaProvider(/Sign in with Test ID/);
      expect((await (await page.request.get(`${base}/sessions/whoami`)).json()).identity.id).toBe(identityId);

      await page.goto(`${base}/ui/settings`);
      await page.getByRole('button', { name: 'Unlink Test ID' }).click();
      await page.waitForLoadState();
      await expect(page.getByRole('button', { name: 'Link Test ID' }).isVisible()).resolves.toBe(true);
    });

    it('refuses to take over an account by its e-mail: the login page asks to sign in to it first (1010016), which links it', async () => {
      await page.context().clearCookies();
      const email = uniqueEmail('oidc-owner');
      const owner = new TestBrowser(base);
      const init = await owner.get('/self-service/registration/browser');
      const flow = (await owner.getJson(`/self-service/registration/flows?id=${flowIdOf(init.location)}`)).json;
      expect((await owner.postForm(`/self-service/registration?flow=${flow.id}`, { csrf_token: nodeValue(flow, 'csrf_token'), 'traits.email': email, password: GOOD_PASSWORD, method: 'password' })).status).toBe(303);

      provider.signInAs({ sub: sub(), email, email_verified: true });
      await page.goto(`${base}/ui/login`);
      await viaProvider(/Sign in with Test ID/);
      expect(new URL(page.url()).pathname).toBe('/ui/login');
      await expect(page.locator('[data-message-id="1010016"]').textContent()).resolves.toContain('is already used by another account');
      const whoami = await page.request.get(`${base}/sessions/whoami`);
      expect(whoami.status()).toBe(401);

      // Signing in there to that account (its e-mail is filled in) links the provider account to it.
      await expect(page.getByLabel('E-Mail').inputValue()).resolves.toBe(email);
      await page.getByLabel('Password').fill(GOOD_PASSWORD);
      await page.getByRole('button', { name: 'Sign in with password' }).click();
      await page.waitForURL(`${base}/ui/welcome`);
      const ownerId = (await (await page.request.get(`${base}/sessions/whoami`)).json()).identity.id;
      await page.context().clearCookies();
      await page.goto(`${base}/ui/login`);
      await viaProvider(/Sign in with Test ID/);
      expect((await (await page.request.get(`${base}/sessions/whoami`)).json()).identity.id).toBe(ownerId);
    });
  });
});
