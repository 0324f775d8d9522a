/**
 * Social sign-in in-process (memory store) against a real OpenID provider (oidc-provider on a free port): browser
 * registration and sign-in through the provider, the login-to-registration switch, the missing-traits form, what is
 * refused (state, nonce, PKCE, another browser, the provider's refusal, an e-mail another account holds) and native
 * apps' ID tokens.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt, exportJWK, exportPKCS8, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import type { OidcProviderConfig } from '../../lib/config/oidc.js';
import type { FlowAnswer } from '../../lib/flows/answer.js';
import { newCsrfToken } from '../../lib/flows/csrf.js';
import type { FlowView } from '../../lib/flows/model.js';
import { createTokenCipher } from '../../lib/identity/cipher.js';
import { adminIdentity } from '../../lib/identity/model.js';
import { appleClientSecret } from '../../lib/strategies/oidc/provider.js';
import { apiRequest, browserRequest, flowOf, memoryApp, messageIds, PASSWORD, register, rejection, uniqueEmail, type MemoryApp } from '../support/flows.js';
import { CLIENT_ID, CLIENT_SECRET, NATIVE_CLIENT_ID, startTestProvider, type TestProvider, TEST_MAPPER_URL } from '../support/oidc-provider.js';

const BASE = 'http://127.0.0.1:4433';

let provider: TestProvider;
let oidc: MemoryApp;

beforeAll(async () => {
  provider = await startTestProvider([`${BASE}/self-service/methods/oidc/callback/test`, `${BASE}/self-service/methods/oidc/callback/google`]);
  const mapperUrl = TEST_MAPPER_URL;
  oidc = memoryApp({
    SELFSERVICE_METHODS_OIDC_ENABLED: 'true',
    SELFSERVICE_METHODS_OIDC_CONFIG_PROVIDERS: JSON.stringify([
      { id: 'test', provider: 'generic', label: 'Test ID', client_id: CLIENT_ID, issuer_url: provider.issuer, mapper_url: mapperUrl, scope: ['email', 'profile'] },
      { id: 'google', provider: 'google', client_id: CLIENT_ID, issuer_url: provider.issuer, mapper_url: mapperUrl, scope: ['email'], additional_id_token_audiences: [NATIVE_CLIENT_ID] },
    ]),
    SELFSERVICE_METHODS_OIDC_CONFIG_CLIENT_SECRETS: JSON.stringify({ test: CLIENT_SECRET, google: CLIENT_SECRET }),
    SELFSERVICE_FLOWS_REGISTRATION_AFTER_OIDC_HOOKS: '[{"hook":"session"}]',
    SELFSERVICE_ALLOWED_RETURN_URLS: 'https://app.example.com/',
    SECRETS_CIPHER: CIPHER_KEY,
  });
});
afterAll(() => provider?.close());

const CIPHER_KEY = 'a-32-byte-key-for-the-oidc-tests';
const sub = () => `sub-${Math.random().toString(36).slice(2, 10)}`;

/** A browser's flow of `type`: its id and the browser's anti-CSRF cookie. */
async function browserFlow(type: 'login' | 'registration', cookie = newCsrfToken()) {
  const answer = type === 'login'
    ? await oidc.app.login.initBrowser(browserRequest(cookie, { json: true }), { refresh: false }, new Date())
    : await oidc.app.registration.initBrowser(browserRequest(cookie, { json: true }), undefined, new Date());
  return { flow: answer.body as FlowView, cookie };
}

/** The browser's submit of the provider's button: the provider's authorization URL it is sent to. */
async function startSignIn(type: 'login' | 'registration', flowId: string, cookie: string, body: Record<string, unknown> = {}) {
  const submit = type === 'login' ? oidc.app.login.submit : oidc.app.registration.submit;
  const answer = await submit(flowId, { provider: 'test', csrf_token: cookie, ...body }, browserRequest(cookie), new Date());
  expect(answer.status).toBe(303);
  return new URL(answer.location!);
}

/** Through the provider and back to the callback, in the browser that started it. */
async function callback(authorization: URL, cookie: string, providerId = 'test'): Promise<FlowAnswer> {
  const back = await provider.authorize(authorization.toString());
  expect(back.toString().startsWith(`${BASE}/self-service/methods/oidc/callback/${providerId}`)).toBe(true);
  return oidc.app.oidcCallback.handle(providerId, back.searchParams, browserRequest(cookie), new Date());
}

const whoami = (answer: FlowAnswer) => oidc.app.sessionService.whoami(answer.session!.token, new Date());

describe('social sign-in (oidc) in a browser', () => {
  it('shows one button per provider (Kratos nodes and labels) and sends the browser to the provider with state, nonce and PKCE S256', async () => {
    const { flow, cookie } = await browserFlow('login');
    const buttons = flow.ui.nodes.filter((n) => n.group === 'oidc');
    expect(buttons.map((n) => [n.attributes.name, n.attributes.type, n.attributes.value, n.meta.label?.id, n.meta.label?.text])).toEqual([
      ['provider', 'submit', 'test', 1010002, 'Sign in with Test ID'],
      ['provider', 'submit', 'google', 1010002, 'Sign in with google'],
    ]);
    const registration = await browserFlow('registration');
    expect(registration.flow.ui.nodes.filter((n) => n.group === 'oidc').map((n) => n.meta.label?.id)).toEqual([1040002, 1040002]);

    const url = await startSignIn('login', flow.id, cookie);
    expect(url.origin).toBe(provider.issuer);
    expect(url.searchParams.get('client_id')).toBe(CLIENT_ID);
    expect(url.searchParams.get('redirect_uri')).toBe(`${BASE}/self-service/methods/oidc/callback/test`);
    expect(url.searchParams.get('scope')!.split(' ').sort()).toEqual(['email', 'openid', 'profile']);
    expect(url.searchParams.get('state')).toMatch(new RegExp(`^${flow.id}\\.[\\w-]{32}$`));
    expect(url.searchParams.get('nonce')).toMatch(/^[\w-]{32}$/);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    // Nothing the callback checks against travels in the URL but the state's random part and the nonce.
    const stored = await oidc.store.flows.get(flow.id);
    expect(url.toString()).not.toContain(stored!.oidc!.codeVerifier!);

    // A JSON client is told where to send the browser.
    const json = await rejection(oidc.app.login.submit(flow.id, { method: 'oidc', provider: 'test', csrf_token: cookie }, browserRequest(cookie, { json: true }), new Date()));
    expect(json).toMatchObject({ status: 422, id: 'browser_location_change_required' });
    expect((json as unknown as { body(): Record<string, unknown> }).body()).toMatchObject({ redirect_browser_to: expect.stringContaining(provider.issuer), error: { id: 'browser_location_change_required', code: 422 } });
  });

  it('registers a new account through the provider (traits from the mapper, its e-mail verified), and a second sign-in lands on the same identity', async () => {
    const email = uniqueEmail('social');
    const account = { sub: sub(), email, email_verified: true, name: 'Ada Lovelace' };
    provider.signInAs(account);
    const { flow, cookie } = await browserFlow('registration');
    const done = await callback(await startSignIn('registration', flow.id, cookie), cookie);
    expect(done.status).toBe(303);
    const session = await whoami(done);
    expect(session.identity.traits).toEqual({ email });
    expect(session.identity.metadataPublic).toEqual({ name: 'Ada Lovelace' });
    expect(session.amr).toEqual([expect.objectContaining({ method: 'oidc', aal: 'aal1', provider: 'test' })]);
    const stored = await oidc.store.identities.getWithCredentials(session.identityId);
    // The provider's tokens are kept, encrypted with SECRETS_CIPHER (only a privileged read has them).
    const [link] = stored!.oidc!.providers;
    expect(link).toMatchObject({ provider: 'test', subject: account.sub, tokens: { idToken: expect.stringMatching(/^[0-9a-f]+$/), accessToken: expect.stringMatching(/^[0-9a-f]+$/) } });
    const idToken = createTokenCipher([CIPHER_KEY])!.decrypt(link.tokens!.idToken!)!;
    expect(decodeJwt(idToken).sub).toBe(account.sub);
    expect((await oidc.store.identities.get(session.identityId))?.oidc?.providers[0].tokens).toBeUndefined();
    const adminView = adminIdentity((await oidc.app.identityAdmin.get(session.identityId, true))!, BASE, false, true, createTokenCipher([CIPHER_KEY])!.decrypt);
    expect(adminView.credentials).toMatchObject({ oidc: { config: { providers: [{ provider: 'test', subject: account.sub, initial_id_token: idToken }] } } });
    expect(stored?.verifiableAddresses).toEqual([expect.objectContaining({ value: email, verified: true, status: 'completed' })]);
    expect(stored?.password).toBeUndefined();
    expect((await oidc.store.flows.get(flow.id))?.state).toBe('passed_challenge');

    // Again, from a login flow in another browser: the same identity, signed in.
    const again = await browserFlow('login');
    const second = await callback(await startSignIn('login', again.flow.id, again.cookie), again.cookie);
    expect((await whoami(second)).identityId).toBe(session.identityId);
    // A sign-in from a registration flow for a known account signs in too (Kratos's switch).
    const third = await browserFlow('registration');
    expect((await whoami(await callback(await startSignIn('registration', third.flow.id, third.cookie), third.cookie))).identityId).toBe(session.identityId);
  });

  it('registers from a login flow when nobody has the account (login switches to registration)', async () => {
    provider.signInAs({ sub: sub(), email: uniqueEmail('switch'), email_verified: false });
    const { flow, cookie } = await browserFlow('login');
    const done = await callback(await startSignIn('login', flow.id, cookie), cookie);
    const session = await whoami(done);
    const stored = await oidc.store.identities.getWithCredentials(session.identityId);
    expect(stored?.verifiableAddresses?.[0]).toMatchObject({ verified: false });
  });

  it('asks for the traits the provider left out, then finishes through the provider with what the form sent', async () => {
    const account = { sub: sub() };
    provider.signInAs(account);
    const { flow, cookie } = await browserFlow('registration');
    const answer = await callback(await startSignIn('registration', flow.id, cookie), cookie);
    expect(answer.status).toBe(303);
    expect(answer.location).toContain(`flow=${flow.id}`);
    const form = (await oidc.app.registration.get(flow.id, browserRequest(cookie), new Date())) as FlowView & { active?: string };
    expect(form.active).toBe('oidc');
    // Every trait of the schema, in group default (Kratos's form for them), then "Continue" with the same provider.
    expect(form.ui.nodes.map((n) => `${n.group}/${n.attributes.name}`)).toEqual(['default/csrf_token', 'default/traits.email', 'default/traits.name.first', 'default/traits.name.last', 'oidc/provider']);
    expect(form.ui.nodes.find((n) => n.attributes.name === 'provider')).toMatchObject({ attributes: { value: 'test' }, meta: { label: { id: 1040003 } } });
    expect(messageIds(form)).toEqual(['traits.email:4000002']);

    const email = uniqueEmail('filled');
    const done = await callback(await startSignIn('registration', flow.id, cookie, { traits: { email } }), cookie);
    const session = await whoami(done);
    expect(session.identity.traits).toEqual({ email });
    expect((await oidc.store.identities.getWithCredentials(session.identityId))?.oidc?.providers[0].subject).toBe(account.sub);
  });

  it('never links to an account holding the same e-mail: the browser is sent to sign in to it (1010016)', async () => {
    const { email, identityId } = await register(oidc.app, uniqueEmail('owner'));
    provider.signInAs({ sub: sub(), email, email_verified: true });
    const { flow, cookie } = await browserFlow('registration');
    const answer = await callback(await startSignIn('registration', flow.id, cookie), cookie);
    expect(answer.status).toBe(303);
    expect(answer.session).toBeUndefined();
    const loginId = new URL(answer.location!).searchParams.get('flow')!;
    const login = await oidc.app.login.get(loginId, browserRequest(cookie), new Date());
    expect(login.ui.messages?.map((m) => m.id)).toEqual([1010016]);
    expect(login.ui.messages?.[0].context).toMatchObject({ duplicate_identifier: email, provider: 'Test ID' });
    const stored = await oidc.store.identities.getWithCredentials(identityId);
    expect(stored?.oidc).toBeUndefined();

    // Another account's password on that login is refused (4010009), and links nothing.
    const other = await register(oidc.app, uniqueEmail('other'));
    const wrong = await oidc.app.login.submit(loginId, { method: 'password', identifier: other.email, password: PASSWORD, csrf_token: cookie }, browserRequest(cookie), new Date());
    expect(wrong.session).toBeUndefined();
    expect(messageIds(await oidc.app.login.get(loginId, browserRequest(cookie), new Date()))).toEqual([4010009]);
    expect((await oidc.store.identities.getWithCredentials(other.identityId))?.oidc).toBeUndefined();
  });

  it('links the provider account when the user signs in to the account holding its e-mail on the login it was sent to', async () => {
    const { email, identityId } = await register(oidc.app, uniqueEmail('owner-links'));
    const subject = sub();
    provider.signInAs({ sub: subject, email, email_verified: true });
    const { flow, cookie } = await browserFlow('login');
    const answer = await callback(await startSignIn('login', flow.id, cookie), cookie);
    const loginId = new URL(answer.location!).searchParams.get('flow')!;
    const signedIn = await oidc.app.login.submit(loginId, { method: 'password', identifier: email, password: PASSWORD, csrf_token: cookie }, browserRequest(cookie), new Date());
    expect((await whoami(signedIn)).identityId).toBe(identityId);
    expect((await oidc.store.identities.getWithCredentials(identityId))?.oidc?.providers).toEqual([expect.objectContaining({ provider: 'test', subject })]);
    // From now on the provider signs in to that account.
    const again = await browserFlow('login');
    expect((await whoami(await callback(await startSignIn('login', again.flow.id, again.cookie), again.cookie))).identityId).toBe(identityId);
  });

  it('refuses a tampered state, a callback in another browser, a state replayed, and a wrong provider', async () => {
    provider.signInAs({ sub: sub(), email: uniqueEmail('tamper') });
    const { flow, cookie } = await browserFlow('login');
    const back = await provider.authorize((await startSignIn('login', flow.id, cookie)).toString());
    const errorOf = async (answer: FlowAnswer) => {
      expect(answer.status).toBe(303);
      expect(answer.session).toBeUndefined();
      const id = new URL(answer.location!).searchParams.get('id')!;
      return (await oidc.store.errors.get(id))?.error as { code: number; reason: string };
    };
    const tampered = new URLSearchParams(back.searchParams);
    tampered.set('state', `${flow.id}.${'A'.repeat(32)}`);
    await expect(errorOf(await oidc.app.oidcCallback.handle('test', tampered, browserRequest(cookie), new Date()))).resolves.toMatchObject({ code: 400 });
    await expect(errorOf(await oidc.app.oidcCallback.handle('test', back.searchParams, browserRequest(newCsrfToken()), new Date()))).resolves.toMatchObject({
      code: 400,
      reason: expect.stringContaining('another browser'),
    });
    await expect(errorOf(await oidc.app.oidcCallback.handle('google', back.searchParams, browserRequest(cookie), new Date()))).resolves.toMatchObject({ code: 400 });
    await expect(rejection(oidc.app.oidcCallback.handle('nope', back.searchParams, browserRequest(cookie), new Date()))).resolves.toMatchObject({ status: 404 });
    // The right browser with the right state signs in, once.
    expect((await oidc.app.oidcCallback.handle('test', back.searchParams, browserRequest(cookie), new Date())).session).toBeDefined();
    await expect(errorOf(await oidc.app.oidcCallback.handle('test', back.searchParams, browserRequest(cookie), new Date()))).resolves.toMatchObject({ code: 400 });
  });

  it('refuses an ID token whose nonce is not the flow\'s, and a code redeemed without the flow\'s PKCE verifier', async () => {
    for (const field of ['nonce', 'codeVerifier'] as const) {
      provider.signInAs({ sub: sub(), email: uniqueEmail(field) });
      const { flow, cookie } = await browserFlow('login');
      const url = await startSignIn('login', flow.id, cookie);
      // What the flow holds is changed behind the provider's back: the callback must notice.
      const stored = (await oidc.store.flows.get(flow.id))!;
      await oidc.store.flows.setOidcState(flow.id, { ...stored.oidc!, [field]: field === 'nonce' ? 'another-nonce-0123456789abcdef' : 'x'.repeat(43) });
      const answer = await callback(url, cookie);
      expect(answer.session).toBeUndefined();
      expect(answer.location).toContain(`flow=${flow.id}`);
      const view = await oidc.app.login.get(flow.id, browserRequest(cookie), new Date());
      expect(messageIds(view)).toEqual([4000001]);
      expect(view.ui.messages?.[0].text).toMatch(field === 'nonce' ? /nonce/ : /invalid_grant/);
    }
  });

  it("shows the provider's refusal on the flow (4000001), and takes no second answer to the same state", async () => {
    const { flow, cookie } = await browserFlow('login');
    provider.nextInteraction('access_denied');
    const authorization = await startSignIn('login', flow.id, cookie);
    const answer = await callback(authorization, cookie);
    expect(answer.session).toBeUndefined();
    const view = await oidc.app.login.get(flow.id, browserRequest(cookie), new Date());
    expect(view.ui.messages?.[0]).toMatchObject({ id: 4000001, text: expect.stringContaining('access_denied') });
    // The state has answered once: another answer carrying it (a code this time) is refused before any exchange.
    const replay = new URLSearchParams({ state: authorization.searchParams.get('state')!, code: 'another-code' });
    const refused = await oidc.app.oidcCallback.handle('test', replay, browserRequest(cookie), new Date());
    expect(new URL(refused.location!).pathname).toBe('/ui/error');
  });
});

describe('social sign-in (oidc) for native apps', () => {
  it('signs in (and first registers) with an ID token the provider issued to the app, checking its nonce', async () => {
    const account = { sub: sub(), email: uniqueEmail('native'), email_verified: true };
    const nonce = 'a-nonce-the-app-made-0123456789';
    const idToken = await provider.nativeIdToken(account, nonce);
    const flow = await oidc.app.login.init(apiRequest(), { refresh: false }, new Date());
    const first = await oidc.app.login.submit(flow.id, { method: 'oidc', provider: 'google', id_token: idToken, id_token_nonce: nonce }, apiRequest(), new Date());
    const body = first.body as { session_token: string; identity: { id: string } };
    const session = await oidc.app.sessionService.whoami(body.session_token, new Date());
    expect(session.identity.traits).toEqual({ email: account.email });

    const again = await oidc.app.login.init(apiRequest(), { refresh: false }, new Date());
    const second = await oidc.app.login.submit(again.id, { method: 'oidc', provider: 'google', id_token: idToken, id_token_nonce: nonce }, apiRequest(), new Date());
    expect((await oidc.app.sessionService.whoami((second.body as { session_token: string }).session_token, new Date())).identityId).toBe(session.identityId);

    const wrong = await oidc.app.login.init(apiRequest(), { refresh: false }, new Date());
    await expect(rejection(oidc.app.login.submit(wrong.id, { method: 'oidc', provider: 'google', id_token: idToken, id_token_nonce: 'another' }, apiRequest(), new Date()))).resolves.toMatchObject({ status: 403 });
    await expect(rejection(oidc.app.login.submit(wrong.id, { method: 'oidc', provider: 'google', id_token: `${idToken.slice(0, -4)}AAAA` }, apiRequest(), new Date()))).resolves.toMatchObject({ status: 403 });
    // A generic provider takes no ID tokens (Kratos: Google, Apple).
    const generic = await rejection(oidc.app.login.submit(wrong.id, { method: 'oidc', provider: 'test', id_token: idToken, id_token_nonce: nonce }, apiRequest(), new Date()));
    expect(generic).toMatchObject({ status: 403 });
    // Without an ID token a native flow cannot go to the provider.
    expect(messageIds(flowOf(await rejection(oidc.app.login.submit(wrong.id, { method: 'oidc', provider: 'google' }, apiRequest(), new Date()))))).toEqual([4000001]);
  });
});

describe('social sign-in (oidc) for native apps through a browser: the session token exchange', () => {
  it('registers through the browser the app opened, sends it to return_to with a code, and the two codes exchange for the session', async () => {
    const email = uniqueEmail('exchange');
    provider.signInAs({ sub: sub(), email, email_verified: true });
    const flow = (await oidc.app.login.init(apiRequest(), { refresh: false, returnSessionTokenExchangeCode: true, returnTo: 'https://app.example.com/done' }, new Date())) as FlowView & {
      session_token_exchange_code: string;
    };
    const initCode = flow.session_token_exchange_code;
    expect(initCode).toMatch(/^[0-9a-f]{32}[\w-]{43}$/);
    await expect(rejection(oidc.app.tokenExchange.exchange(initCode, 'nothing-yet', new Date()))).resolves.toMatchObject({ status: 404 });

    const redirect = await rejection(oidc.app.login.submit(flow.id, { method: 'oidc', provider: 'test' }, apiRequest(), new Date()));
    expect(redirect).toMatchObject({ status: 422, redirectBrowserTo: expect.stringContaining(provider.issuer) });
    const back = await provider.authorize(redirect.redirectBrowserTo as string);
    // The app's browser has no cookie of ours: the state alone binds it, as Kratos.
    const done = await oidc.app.oidcCallback.handle('test', back.searchParams, browserRequest(newCsrfToken()), new Date());
    expect(done.session).toBeUndefined();
    const landed = new URL(done.location!);
    expect(`${landed.origin}${landed.pathname}`).toBe('https://app.example.com/done');
    const returnToCode = landed.searchParams.get('code')!;

    await expect(rejection(oidc.app.tokenExchange.exchange(initCode, `${returnToCode.slice(0, -2)}xx`, new Date()))).resolves.toMatchObject({ status: 404 });
    await expect(rejection(oidc.app.tokenExchange.exchange(undefined, returnToCode, new Date()))).resolves.toMatchObject({ status: 400 });
    const exchanged = (await oidc.app.tokenExchange.exchange(initCode, returnToCode, new Date())) as { session_token: string; session: { identity: { traits: unknown } } };
    expect(exchanged.session.identity.traits).toEqual({ email });
    await expect(oidc.app.sessionService.whoami(exchanged.session_token, new Date())).resolves.toMatchObject({ identity: { traits: { email } } });
    // Nothing of the token is kept readable: the flow holds it sealed.
    expect(JSON.stringify(await oidc.store.flows.get(flow.id))).not.toContain(exchanged.session_token);
  });

  it('refuses a return_to outside the allow list, and a browser redirect for a native flow made without the exchange', async () => {
    await expect(rejection(oidc.app.login.init(apiRequest(), { refresh: false, returnSessionTokenExchangeCode: true, returnTo: 'https://evil.example.net/' }, new Date()))).resolves.toMatchObject({ status: 400 });
    const plain = await oidc.app.login.init(apiRequest(), { refresh: false }, new Date());
    expect((plain as Record<string, unknown>).session_token_exchange_code).toBeUndefined();
    expect(messageIds(flowOf(await rejection(oidc.app.login.submit(plain.id, { method: 'oidc', provider: 'test' }, apiRequest(), new Date()))))).toEqual([4000001]);
  });
});

describe('social sign-in (oidc) with GitHub (OAuth2 and its REST API, against a fixture server)', () => {
  let github: Server;
  let githubBase: string;
  let app: MemoryApp;
  const requests: string[] = [];

  beforeAll(async () => {
    // GitHub's shape: an authorize page, a token endpoint taking the client's secret in the form, and the user APIs.
    github = createServer((req, res) => {
      const url = new URL(req.url!, 'http://localhost');
      requests.push(`${req.method} ${url.pathname}`);
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (url.pathname === '/login/oauth/authorize') {
        res.writeHead(302, { location: `${url.searchParams.get('redirect_uri')}?code=gh-code-1&state=${encodeURIComponent(url.searchParams.get('state')!)}` });
        return void res.end();
      }
      if (url.pathname === '/login/oauth/access_token') {
        let body = '';
        req.on('data', (chunk: Buffer) => (body += chunk.toString()));
        req.on('end', () => {
          const form = new URLSearchParams(body);
          if (form.get('code') !== 'gh-code-1' || form.get('client_secret') !== 'gh-secret' || form.get('client_id') !== 'gh-client') return json(200, { error: 'bad_verification_code' });
          json(200, { access_token: 'gho_token', token_type: 'bearer', scope: 'user:email' });
        });
        return;
      }
      if (req.headers.authorization !== 'Bearer gho_token') return json(401, { message: 'Bad credentials' });
      if (url.pathname === '/api/user') return json(200, { id: 4242, login: 'octocat', name: 'The Octocat', avatar_url: 'https://avatars.example/4242' });
      if (url.pathname === '/api/user/emails') return json(200, [{ email: 'old@example.com', primary: false, verified: true }, { email: 'octo@example.com', primary: true, verified: true }]);
      json(404, {});
    });
    await new Promise<void>((resolve) => github.listen(0, '127.0.0.1', resolve));
    githubBase = `http://127.0.0.1:${(github.address() as AddressInfo).port}`;
    app = memoryApp({
      SELFSERVICE_METHODS_OIDC_ENABLED: 'true',
      SELFSERVICE_METHODS_OIDC_CONFIG_PROVIDERS: JSON.stringify([
        {
          id: 'github',
          provider: 'github',
          client_id: 'gh-client',
          auth_url: `${githubBase}/login/oauth/authorize`,
          token_url: `${githubBase}/login/oauth/access_token`,
          api_url: `${githubBase}/api`,
          mapper_url: TEST_MAPPER_URL,
          scope: ['user:email'],
        },
      ]),
      SELFSERVICE_METHODS_OIDC_CONFIG_CLIENT_SECRETS: '{"github":"gh-secret"}',
      SELFSERVICE_FLOWS_REGISTRATION_AFTER_OIDC_HOOKS: '[{"hook":"session"}]',
    });
  });
  afterAll(() => new Promise<void>((resolve) => github.close(() => resolve())));

  it('registers with the numeric id as subject and the primary verified e-mail, with no nonce or PKCE (GitHub has neither)', async () => {
    const cookie = newCsrfToken();
    const flow = (await app.app.registration.initBrowser(browserRequest(cookie, { json: true }), undefined, new Date())).body as FlowView;
    const submit = await app.app.registration.submit(flow.id, { provider: 'github', csrf_token: cookie }, browserRequest(cookie), new Date());
    const authorize = new URL(submit.location!);
    expect(authorize.searchParams.get('scope')).toBe('user:email');
    expect(authorize.searchParams.has('nonce')).toBe(false);
    expect(authorize.searchParams.has('code_challenge')).toBe(false);
    const back = await fetch(authorize, { redirect: 'manual' });
    const callbackUrl = new URL(back.headers.get('location')!);
    const done = await app.app.oidcCallback.handle('github', callbackUrl.searchParams, browserRequest(cookie), new Date());
    const session = await app.app.sessionService.whoami(done.session!.token, new Date());
    expect(session.identity.traits).toEqual({ email: 'octo@example.com' });
    expect(session.identity.metadataPublic).toEqual({ name: 'The Octocat' });
    const stored = await app.store.identities.getWithCredentials(session.identityId);
    // No SECRETS_CIPHER here: no token is kept.
    expect(stored?.oidc?.providers).toEqual([{ provider: 'github', subject: '4242' }]);
    expect(stored?.verifiableAddresses?.[0]).toMatchObject({ value: 'octo@example.com', verified: true });
    expect(requests).toEqual(['GET /login/oauth/authorize', 'POST /login/oauth/access_token', 'GET /api/user', 'GET /api/user/emails']);
  });
});

describe("Apple's client secret", () => {
  it('is the ES256 JWT Apple wants: kid, team as issuer, the client as subject, Apple as audience, short-lived', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const pem = await exportPKCS8(privateKey);
    const config = { id: 'apple', provider: 'apple', clientId: 'com.example.web', appleTeamId: 'TEAM123456', applePrivateKeyId: 'KEY1234567' } as OidcProviderConfig;
    const secret = await appleClientSecret(config, pem);
    const { payload, protectedHeader } = await jwtVerify(secret, publicKey, { issuer: 'TEAM123456', subject: 'com.example.web', audience: 'https://appleid.apple.com' });
    expect(protectedHeader).toEqual({ alg: 'ES256', kid: 'KEY1234567' });
    expect(payload.exp! - payload.iat!).toBe(86_400);
  });
});

describe('social sign-in (oidc) with Microsoft, multi-tenant (against a fixture server)', () => {
  const TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad';
  const OTHER_TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
  let fixture: Server;
  let issuerBase: string;
  let app: MemoryApp;
  let signing: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  /** What the token endpoint puts in the next ID token (the nonce is taken from the authorization request). */
  let nextToken: { tid: string; issTenant: string } = { tid: TENANT, issTenant: TENANT };
  const nonces = new Map<string, string>();

  beforeAll(async () => {
    const keys = await generateKeyPair('RS256', { extractable: true });
    signing = keys.privateKey;
    const jwk = { ...(await exportJWK(keys.publicKey)), kid: 'ms-key', alg: 'RS256', use: 'sig' };
    // Microsoft's shape for `common`: one discovery document naming the issuer with a `{tenantid}` placeholder; each
    // ID token's issuer is its own tenant's.
    fixture = createServer((req, res) => {
      const url = new URL(req.url!, issuerBase);
      const json = (body: unknown) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (url.pathname === '/common/v2.0/.well-known/openid-configuration') {
        return json({
          issuer: `${issuerBase}/{tenantid}/v2.0`,
          authorization_endpoint: `${issuerBase}/common/oauth2/v2.0/authorize`,
          token_endpoint: `${issuerBase}/common/oauth2/v2.0/token`,
          jwks_uri: `${issuerBase}/common/discovery/v2.0/keys`,
          response_types_supported: ['code'],
          id_token_signing_alg_values_supported: ['RS256'],
        });
      }
      if (url.pathname === '/common/discovery/v2.0/keys') return json({ keys: [jwk] });
      if (url.pathname === '/common/oauth2/v2.0/authorize') {
        nonces.set('code-1', url.searchParams.get('nonce')!);
        res.writeHead(302, { location: `${url.searchParams.get('redirect_uri')}?code=code-1&state=${encodeURIComponent(url.searchParams.get('state')!)}` });
        return void res.end();
      }
      if (url.pathname === '/common/oauth2/v2.0/token') {
        void new SignJWT({ tid: nextToken.tid, nonce: nonces.get('code-1'), email: 'ms@example.com', oid: 'object-id-1' })
          .setProtectedHeader({ alg: 'RS256', kid: 'ms-key' })
          .setIssuer(`${issuerBase}/${nextToken.issTenant}/v2.0`)
          .setAudience('ms-client')
          .setSubject(`ms-subject-${nextToken.tid}`)
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(signing)
          .then((idToken) => json({ access_token: 'ms-access', token_type: 'Bearer', id_token: idToken }));
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => fixture.listen(0, '127.0.0.1', resolve));
    issuerBase = `http://127.0.0.1:${(fixture.address() as AddressInfo).port}`;
    app = memoryApp({
      SELFSERVICE_METHODS_OIDC_ENABLED: 'true',
      SELFSERVICE_METHODS_OIDC_CONFIG_PROVIDERS: JSON.stringify([
        { id: 'microsoft', provider: 'microsoft', microsoft_tenant: 'common', client_id: 'ms-client', issuer_url: `${issuerBase}/common/v2.0`, mapper_url: TEST_MAPPER_URL, pkce: 'never' },
      ]),
      SELFSERVICE_METHODS_OIDC_CONFIG_CLIENT_SECRETS: '{"microsoft":"ms-secret"}',
      SELFSERVICE_FLOWS_REGISTRATION_AFTER_OIDC_HOOKS: '[{"hook":"session"}]',
    });
  });
  afterAll(() => new Promise<void>((resolve) => fixture.close(() => resolve())));

  async function signIn(): Promise<FlowAnswer> {
    const cookie = newCsrfToken();
    const flow = (await app.app.login.initBrowser(browserRequest(cookie, { json: true }), { refresh: false }, new Date())).body as FlowView;
    const submit = await app.app.login.submit(flow.id, { provider: 'microsoft', csrf_token: cookie }, browserRequest(cookie), new Date());
    const back = await fetch(submit.location!, { redirect: 'manual' });
    return app.app.oidcCallback.handle('microsoft', new URL(back.headers.get('location')!).searchParams, browserRequest(cookie), new Date());
  }

  it("accepts a token issued by the tenant it names (tid), and refuses one whose issuer is another tenant's", async () => {
    nextToken = { tid: TENANT, issTenant: TENANT };
    const done = await signIn();
    expect(done.session).toBeDefined();
    expect((await app.app.sessionService.whoami(done.session!.token, new Date())).identity.traits).toEqual({ email: 'ms@example.com' });

    nextToken = { tid: TENANT, issTenant: OTHER_TENANT };
    const refused = await signIn();
    expect(refused.session).toBeUndefined();
  });
});

describe('social sign-in (oidc) in settings: link and unlink', () => {
  /** A browser signed in with a password (a recent session), its settings flow, and what it needs to submit. */
  async function passwordAccount(at = new Date()) {
    const { email, token, identityId } = await register(oidc.app, uniqueEmail('settings'));
    const cookie = newCsrfToken();
    const request = (over: { json?: boolean } = {}) => browserRequest(cookie, { sessionToken: token, ...over });
    const flow = (await oidc.app.settings.initBrowser(request({ json: true }), undefined, at)).body as FlowView;
    return { email, token, identityId, cookie, request, flow };
  }
  const buttons = (flow: FlowView) => flow.ui.nodes.filter((n) => n.group === 'oidc').map((n) => `${n.attributes.name}:${String(n.attributes.value)}:${n.meta.label?.id}`);

  it('links a provider to a password account (through the provider), then the provider signs in to it, and unlinks it', async () => {
    const account = await passwordAccount();
    expect(buttons(account.flow)).toEqual(['link:test:1050002', 'link:google:1050002']);
    const subject = sub();
    provider.signInAs({ sub: subject, email: uniqueEmail('linked') });
    const submit = await oidc.app.settings.submit(account.flow.id, { link: 'test', csrf_token: account.cookie }, account.request(), new Date());
    expect(submit.status).toBe(303);
    const back = await provider.authorize(submit.location!);
    const done = await oidc.app.oidcCallback.handle('test', back.searchParams, account.request(), new Date());
    expect(done.status).toBe(303);
    const stored = await oidc.store.identities.getWithCredentials(account.identityId);
    expect(stored?.oidc?.providers).toEqual([expect.objectContaining({ provider: 'test', subject, tokens: expect.objectContaining({ idToken: expect.any(String) }) })]);
    const view = await oidc.app.settings.get(account.flow.id, account.request(), new Date());
    expect(view.state).toBe('success');
    expect(buttons(view)).toEqual(['unlink:test:1050003', 'link:google:1050002']);
    // A failed change of another method shows the same providers (the flow reads the credentials for it too).
    const failed = await rejection(oidc.app.settings.submit(account.flow.id, { method: 'password', password: 'short', csrf_token: account.cookie }, account.request({ json: true }), new Date()));
    expect(buttons(flowOf(failed))).toEqual(['unlink:test:1050003', 'link:google:1050002']);
    // The same answer again links nothing more (its state is spent).
    const replay = await oidc.app.oidcCallback.handle('test', back.searchParams, account.request(), new Date());
    expect(new URL(replay.location!).pathname).toBe('/ui/error');

    // Signing in with the provider now reaches the password account.
    const { flow, cookie } = await browserFlow('login');
    const signedIn = await callback(await startSignIn('login', flow.id, cookie), cookie);
    expect((await whoami(signedIn)).identityId).toBe(account.identityId);

    const unlink = await oidc.app.settings.submit(account.flow.id, { unlink: 'test', csrf_token: account.cookie }, account.request(), new Date());
    expect(unlink.status).toBe(303);
    expect((await oidc.store.identities.getWithCredentials(account.identityId))?.oidc).toBeUndefined();
    await expect(oidc.store.identities.findIdByCredential('oidc', `test:${subject}`)).resolves.toBeUndefined();
  });

  it("never unlinks an identity's last way to sign in, and never links a provider account another identity holds", async () => {
    provider.signInAs({ sub: sub(), email: uniqueEmail('only-oidc'), email_verified: true });
    const registration = await browserFlow('registration');
    const signedUp = await callback(await startSignIn('registration', registration.flow.id, registration.cookie), registration.cookie);
    const token = signedUp.session!.token;
    const cookie = newCsrfToken();
    const flow = (await oidc.app.settings.initBrowser(browserRequest(cookie, { sessionToken: token, json: true }), undefined, new Date())).body as FlowView;
    expect(buttons(flow)).toEqual(['link:google:1050002']);
    const refused = await rejection(oidc.app.settings.submit(flow.id, { unlink: 'test', csrf_token: cookie }, browserRequest(cookie, { sessionToken: token, json: true }), new Date()));
    expect(messageIds(flowOf(refused))).toEqual([4000001]);

    // Another account tries to link the provider account the first one holds.
    const other = await passwordAccount();
    const submit = await oidc.app.settings.submit(other.flow.id, { link: 'test', csrf_token: other.cookie }, other.request(), new Date());
    const back = await provider.authorize(submit.location!);
    const answer = await oidc.app.oidcCallback.handle('test', back.searchParams, other.request(), new Date());
    expect(answer.location).toContain(`flow=${other.flow.id}`);
    expect((await oidc.app.settings.get(other.flow.id, other.request(), new Date())).ui.messages?.[0].text).toMatch(/linked to another identity/);
    expect((await oidc.store.identities.getWithCredentials(other.identityId))?.oidc).toBeUndefined();
  });

  it('asks for a recent sign-in before linking (a session older than the privileged age)', async () => {
    // Past the privileged age (Kratos's default, an hour), the session itself still active.
    const later = new Date(Date.now() + 2 * 3600_000);
    const account = await passwordAccount(later);
    const answer = await oidc.app.settings.submit(account.flow.id, { link: 'test', csrf_token: account.cookie }, account.request(), later);
    expect(answer.status).toBe(303);
    expect(answer.location).toContain('/self-service/login/browser?refresh=true');
  });
});

describe('social sign-in (oidc) in the admin API', () => {
  it('shows the linked accounts (their providers with include_credential=oidc), keeps them across a PUT, and deletes one by identifier, never the last way to sign in', async () => {
    const { identityId } = await register(oidc.app, uniqueEmail('admin-oidc'));
    const subject = sub();
    const stored = (await oidc.store.identities.getWithCredentials(identityId))!;
    await oidc.store.commit(oidc.store.identities.update({ ...stored, oidc: { providers: [{ provider: 'test', subject }], createdAt: new Date(), updatedAt: new Date() }, revision: (stored.revision ?? 1) + 1 }, stored));
    const admin = oidc.app.identityAdmin;
    const read = await admin.get(identityId, true);
    expect(adminIdentity(read, BASE, false).credentials).toMatchObject({ oidc: { type: 'oidc', identifiers: [`test:${subject}`] } });
    expect((adminIdentity(read, BASE, false).credentials as { oidc: Record<string, unknown> }).oidc.config).toBeUndefined();
    expect(adminIdentity(read, BASE, false, true).credentials).toMatchObject({ oidc: { config: { providers: [{ provider: 'test', subject }] } } });

    // A PUT (traits only) keeps the link and its claim.
    await admin.replace(identityId, { schema_id: 'default', traits: read.traits, state: 'active' }, new Date());
    await expect(oidc.store.identities.findIdByCredential('oidc', `test:${subject}`)).resolves.toBe(identityId);

    await expect(rejection(admin.deleteCredential(identityId, 'oidc', undefined, new Date()))).resolves.toMatchObject({ status: 400 });
    await expect(rejection(admin.deleteCredential(identityId, 'oidc', 'test:nobody', new Date()))).resolves.toMatchObject({ status: 404 });
    await expect(rejection(admin.deleteCredential(identityId, 'totp', undefined, new Date()))).resolves.toMatchObject({ status: 404 });
    await admin.deleteCredential(identityId, 'oidc', `test:${subject}`, new Date());
    expect((await admin.get(identityId, true)).oidc).toBeUndefined();
    await expect(oidc.store.identities.findIdByCredential('oidc', `test:${subject}`)).resolves.toBeUndefined();
    // Only the password is left: it stays.
    await expect(rejection(admin.deleteCredential(identityId, 'password', undefined, new Date()))).resolves.toMatchObject({ status: 400, reason: 'You cannot remove the last first factor credential.' });
  });
});
