/**
 * Passwordless login and registration by e-mailed code (Kratos's code method with `passwordless_enabled`), in-process
 * on the memory store: nodes and message ids, the two steps, resend, the submission limit, the login throttle, the
 * address verified, single use, and what an unknown or taken address is answered.
 */
import { loadConfig } from '../../lib/config/index.js';
import type { FlowView, UiNode } from '../../lib/flows/model.js';
import { adminIdentity, revised, withFactor } from '../../lib/identity/model.js';
import { flowForm, flowMessages, type UiContainerShape } from '../../lib/ui/html.js';
import { TEST_ENV } from '../support/env.js';
import { apiRequest, browserRequest, codeSchemas, flowOf, lastCodeTo, memoryApp, messageIds, PASSWORD, rejection, SECRET, uniqueEmail } from '../support/flows.js';

const PASSWORDLESS = { SELFSERVICE_METHODS_CODE_PASSWORDLESS_ENABLED: 'true' };

/** An app with passwordless codes on and code addresses in its schema. */
const codeApp = (env: Record<string, string> = {}) => memoryApp({ ...PASSWORDLESS, ...env }, {}, codeSchemas());
type App = ReturnType<typeof codeApp>;

const node = (flow: FlowView, name: string, value?: string) => flow.ui.nodes.find((n) => n.attributes.name === name && (value === undefined || n.attributes.value === value));
const shape = (n: UiNode | undefined) => n && { group: n.group, type: n.attributes.type, value: n.attributes.value, label: n.meta.label?.id, required: n.attributes.required };
const loginCodesTo = (store: App['store'], to: string) => [...store.tables.messages.values()].filter((m) => m.recipient === to && m.templateType === 'login_code_valid');

/** A registered identity (by password, its e-mail a code address). */
async function registered(app: App['app'], email = uniqueEmail()) {
  const flow = await app.registration.init(apiRequest(), new Date());
  const answer = await app.registration.submit(flow.id, { method: 'password', password: PASSWORD, traits: { email } }, apiRequest(), new Date());
  return { email, identityId: (answer.body as { identity: { id: string } }).identity.id };
}

/** A login flow that sent a code to `identifier`: its id and the 400 answer. */
async function sentLoginCode(app: App['app'], identifier: string, request = apiRequest()) {
  const flow = await app.login.init(request, { refresh: false }, new Date());
  const answer = await app.login.submit(flow.id, { method: 'code', identifier }, request, new Date());
  return { flowId: flow.id, answer };
}

describe('configuration', () => {
  it('refuses passwordless and second-factor codes both on, naming both variables (Kratos’s schema forbids it)', () => {
    expect(() => loadConfig({ ...TEST_ENV, SECRETS_DEFAULT: SECRET, ...PASSWORDLESS, SELFSERVICE_METHODS_CODE_MFA_ENABLED: 'true' })).toThrow(
      /SELFSERVICE_METHODS_CODE_PASSWORDLESS_ENABLED and SELFSERVICE_METHODS_CODE_MFA_ENABLED cannot both be true/,
    );
  });

  it('passwordless turns the code method on, and needs a code secret', () => {
    expect(loadConfig({ ...TEST_ENV, SECRETS_DEFAULT: SECRET, ...PASSWORDLESS, SELFSERVICE_METHODS_CODE_ENABLED: 'false' }).selfservice.enabledMethods).toContain('code');
    expect(() => loadConfig({ ...TEST_ENV, SECRETS_DEFAULT: '', SECRETS_COOKIE: '', ...PASSWORDLESS })).toThrow(/code login keep codes as an HMAC/);
  });

  it('without passwordless, login and registration show no code method', async () => {
    const { app } = memoryApp({}, {}, codeSchemas());
    const flow = await app.login.init(apiRequest(), { refresh: false }, new Date());
    expect(node(flow, 'method', 'code')).toBeUndefined();
    await expect(rejection(app.login.submit(flow.id, { method: 'code', identifier: 'a@example.com' }, apiRequest(), new Date()))).resolves.toMatchObject({ status: 400 });
  });
});

describe('passwordless login by code', () => {
  it('an identity whose schema marks a code address gets Kratos’s `code` credential for it', async () => {
    const { app, store } = codeApp();
    const { email, identityId } = await registered(app);
    const stored = await store.identities.getWithCredentials(identityId);
    expect(stored?.factors?.code).toMatchObject({ identifiers: [email], config: { addresses: [{ channel: 'email', address: email }] }, version: 1 });
    expect(await store.identities.findIdByCredential('code', email)).toBe(identityId);
    // The admin API shows it as Kratos does, its config when asked for by name.
    const shown = adminIdentity(stored!, 'http://127.0.0.1:4433', false, false, undefined, ['code']) as { credentials: Record<string, unknown> };
    expect(shown.credentials.code).toMatchObject({ type: 'code', identifiers: [email], version: 1, config: { addresses: [{ channel: 'email', address: email }] } });
    expect((adminIdentity(stored!, 'http://127.0.0.1:4433') as { credentials: { code: Record<string, unknown> } }).credentials.code.config).toBeUndefined();
  });

  it('offers "Send sign in code" (1010015) beside the password, sharing the identifier', async () => {
    const { app } = codeApp();
    const flow = await app.login.init(apiRequest(), { refresh: false }, new Date());
    expect(flow.ui.nodes.filter((n) => n.attributes.name === 'identifier')).toHaveLength(1);
    expect(shape(node(flow, 'method', 'code'))).toEqual({ group: 'code', type: 'submit', value: 'code', label: 1010015, required: undefined });
    expect(node(flow, 'method', 'password')).toBeDefined();
  });

  it('sends a code (400 with the flow in sent_email, 1010014), then signs in with it (AMR code/aal1), the address verified', async () => {
    const { app, store } = codeApp();
    const { email, identityId } = await registered(app);
    // The e-mail as a phone keyboard capitalises it: Kratos lower-cases an identifier with an @.
    const { flowId, answer } = await sentLoginCode(app, email.toUpperCase());
    expect(answer.status).toBe(400);
    const sent = answer.body as FlowView;
    expect(sent).toMatchObject({ id: flowId, state: 'sent_email', active: 'code' });
    expect(messageIds(sent)).toEqual([1010014]);
    expect(sent.ui.nodes.map((n) => [n.group, n.attributes.name, n.attributes.type, n.meta.label?.id])).toEqual([
      ['default', 'csrf_token', 'hidden', undefined],
      ['default', 'identifier', 'hidden', undefined],
      ['code', 'method', 'hidden', undefined],
      ['code', 'code', 'text', 1070013],
      ['code', 'method', 'submit', 1070009],
      ['code', 'resend', 'submit', 1070008],
    ]);
    expect(node(sent, 'identifier')?.attributes.value).toBe(email);
    expect(node(sent, 'code')?.attributes).toMatchObject({ required: true, autocomplete: 'one-time-code' });
    expect(loginCodesTo(store, email)).toHaveLength(1);
    // The flow read back shows the same step.
    expect(messageIds(await app.login.get(flowId, apiRequest(), new Date()))).toEqual([1010014]);

    const code = lastCodeTo(store, email);
    const wrong = code === '000000' ? '111111' : '000000';
    expect(messageIds(flowOf(await rejection(app.login.submit(flowId, { method: 'code', code: wrong, identifier: email }, apiRequest(), new Date()))))).toEqual([4010008]);

    const done = await app.login.submit(flowId, { method: 'code', code, identifier: email }, apiRequest(), new Date());
    expect(done.status).toBe(200);
    const session = (done.body as { session: { identity: { id: string; verifiable_addresses: { verified: boolean; status: string }[] }; authentication_methods: unknown[]; authenticator_assurance_level: string } }).session;
    expect(session.identity.id).toBe(identityId);
    expect(session.authentication_methods).toEqual([expect.objectContaining({ method: 'code', aal: 'aal1' })]);
    expect(session.authenticator_assurance_level).toBe('aal1');
    expect(session.identity.verifiable_addresses[0]).toMatchObject({ verified: true, status: 'completed' });
    expect((await store.identities.getWithCredentials(identityId))?.verifiableAddresses?.[0]).toMatchObject({ verified: true, status: 'completed' });

    // Single use: the flow and its code are spent.
    expect(messageIds(flowOf(await rejection(app.login.submit(flowId, { method: 'code', code, identifier: email }, apiRequest(), new Date()))))).toEqual([4010007]);
    // Only the HMAC is kept on the flow.
    expect(JSON.stringify(store.tables.flows.get(flowId))).not.toContain(`"${code}"`);
  });

  it('answers an address without code login 4000035, as Kratos does, and mails nothing', async () => {
    const { app, store } = codeApp();
    const nobody = uniqueEmail('nobody');
    const flowId = (await app.login.init(apiRequest(), { refresh: false }, new Date())).id;
    const refused = await rejection(app.login.submit(flowId, { method: 'code', identifier: nobody }, apiRequest(), new Date()));
    expect(refused).toMatchObject({ status: 400 });
    expect(messageIds(flowOf(refused))).toEqual([4000035]);
    expect([...store.tables.messages.values()].filter((m) => m.recipient === nobody)).toHaveLength(0);
    expect(messageIds(flowOf(await rejection(app.login.submit(flowId, { method: 'code', identifier: '' }, apiRequest(), new Date()))))).toEqual(['identifier:4000002']);
  });

  it('resends a new code (the old one is dead), buys no new guesses, and takes no code after MAX_SUBMISSIONS', async () => {
    const { app, store } = codeApp({ SELFSERVICE_METHODS_CODE_CONFIG_MAX_SUBMISSIONS: '3' });
    const { email } = await registered(app);
    const { flowId } = await sentLoginCode(app, email);
    const first = lastCodeTo(store, email);
    const wrong = (c: string) => (c === '000000' ? '111111' : '000000');
    await rejection(app.login.submit(flowId, { method: 'code', code: wrong(first), identifier: email }, apiRequest(), new Date()));
    const resent = await app.login.submit(flowId, { method: 'code', resend: 'code', identifier: email }, apiRequest(), new Date());
    expect(resent.status).toBe(400);
    expect(loginCodesTo(store, email)).toHaveLength(2);
    const second = lastCodeTo(store, email);
    if (first !== second) {
      expect(messageIds(flowOf(await rejection(app.login.submit(flowId, { method: 'code', code: first, identifier: email }, apiRequest(), new Date()))))).toEqual([4010008]);
    } else {
      await rejection(app.login.submit(flowId, { method: 'code', code: wrong(first), identifier: email }, apiRequest(), new Date()));
    }
    await rejection(app.login.submit(flowId, { method: 'code', code: wrong(second), identifier: email }, apiRequest(), new Date()));
    // Three submissions made: the right code is refused too (4000001), and the flow says why.
    const over = await rejection(app.login.submit(flowId, { method: 'code', code: second, identifier: email }, apiRequest(), new Date()));
    expect(messageIds(flowOf(over))).toEqual([4000001]);
    expect(flowOf(over).ui.messages![0].text).toBe('The request was submitted too often. Please request another code.');
  });

  it('counts code guesses against the login throttle’s limits, with password guesses', async () => {
    const { app, store } = codeApp({ SELFSERVICE_FLOWS_LOGIN_THROTTLE_MAX_ATTEMPTS: '3' });
    const { email } = await registered(app);
    const client = apiRequest({ ipAddress: '198.51.100.7' });
    for (let i = 0; i < 2; i++) {
      const flow = await app.login.init(client, { refresh: false }, new Date());
      await rejection(app.login.submit(flow.id, { method: 'password', identifier: email, password: 'wrong password!' }, client, new Date()));
    }
    const { flowId } = await sentLoginCode(app, email, client);
    const code = lastCodeTo(store, email);
    await rejection(app.login.submit(flowId, { method: 'code', code: code === '000000' ? '111111' : '000000', identifier: email }, client, new Date()));
    // Three guesses (two passwords, one code) at this address from this client: the right code is refused now.
    await expect(rejection(app.login.submit(flowId, { method: 'code', code, identifier: email }, client, new Date()))).resolves.toMatchObject({ status: 429, name: 'LoginThrottledError' });
    // Another client is not locked out.
    const other = apiRequest({ ipAddress: '198.51.100.8' });
    const elsewhere = await sentLoginCode(app, email, other);
    expect((await app.login.submit(elsewhere.flowId, { method: 'code', code: lastCodeTo(store, email), identifier: email }, other, new Date())).status).toBe(200);
  });

  it('of two submissions of the right code at once, one signs in', async () => {
    const { app, store } = codeApp();
    const { email } = await registered(app);
    const { flowId } = await sentLoginCode(app, email);
    const code = lastCodeTo(store, email);
    const before = store.tables.sessions.size;
    const results = await Promise.allSettled([0, 1, 2].map(() => app.login.submit(flowId, { method: 'code', code, identifier: email }, apiRequest(), new Date())));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(store.tables.sessions.size).toBe(before + 1);
  });

  it('a browser’s form post is sent to the login UI, which reads the code step; the session cookie follows the code', async () => {
    const { app, store } = codeApp();
    const { email } = await registered(app);
    const request = browserRequest();
    const started = await app.login.initBrowser(request, { refresh: false }, new Date());
    const flowId = new URL(started.location!).searchParams.get('flow')!;
    const csrf = request.browser.csrfCookie!;
    const sent = await app.login.submit(flowId, { method: 'code', identifier: email, csrf_token: csrf }, request, new Date());
    expect(sent.status).toBe(303);
    expect(sent.location).toContain(`flow=${flowId}`);
    const shown = await app.login.get(flowId, request, new Date());
    expect(shown.state).toBe('sent_email');
    expect(messageIds(shown)).toEqual([1010014]);
    const done = await app.login.submit(flowId, { method: 'code', code: lastCodeTo(store, email), identifier: email, csrf_token: csrf }, request, new Date());
    expect(done.status).toBe(303);
    expect(done.session?.token).toEqual(expect.any(String));
  });
});

describe('passwordless registration by code', () => {
  const registrationCodesTo = (store: App['store'], to: string) => [...store.tables.messages.values()].filter((m) => m.recipient === to && m.templateType === 'registration_code_valid');

  it('offers "Send sign up code" (1040006): beside the password on a one-screen form (the traits once), on the credentials screen of a two-screen one', async () => {
    const unified = codeApp({ SELFSERVICE_FLOWS_REGISTRATION_STYLE: 'unified' });
    const one = await unified.app.registration.init(apiRequest(), new Date());
    expect(shape(node(one, 'method', 'code'))).toEqual({ group: 'code', type: 'submit', value: 'code', label: 1040006, required: undefined });
    expect(one.ui.nodes.filter((n) => n.attributes.name === 'traits.email')).toHaveLength(1);
    expect(node(one, 'method', 'password')).toBeDefined();

    const { app } = codeApp();
    const two = await app.registration.init(apiRequest(), new Date());
    expect(node(two, 'method', 'code')).toBeUndefined();
    const credentials = (await app.registration.submit(two.id, { method: 'profile', traits: { email: uniqueEmail() } }, apiRequest(), new Date())).body as FlowView;
    expect(shape(node(credentials, 'method', 'code'))).toEqual({ group: 'code', type: 'submit', value: 'code', label: 1040006, required: undefined });
    expect(node(credentials, 'traits.email')?.attributes.type).toBe('hidden');
  });

  it('sends a code for the traits (1040005, traits hidden), refuses other traits (4000036) and a wrong code (4040003), then registers with the address verified', async () => {
    const { app, store } = codeApp();
    const email = uniqueEmail('new');
    const flow = await app.registration.init(apiRequest(), new Date());

    const traits = { email, name: { first: 'Ada' } };
    const answer = await app.registration.submit(flow.id, { method: 'code', traits }, apiRequest(), new Date());
    expect(answer.status).toBe(400);
    const sent = answer.body as FlowView;
    expect(sent).toMatchObject({ state: 'sent_email', active: 'code' });
    expect(messageIds(sent)).toEqual([1040005]);
    expect(shape(node(sent, 'traits.email'))).toMatchObject({ group: 'default', type: 'hidden', value: email });
    expect(shape(node(sent, 'code'))).toMatchObject({ group: 'code', type: 'text', label: 1070012, required: true });
    expect(node(sent, 'resend', 'code')?.meta.label?.id).toBe(1070008);
    expect(registrationCodesTo(store, email)).toHaveLength(1);
    const code = lastCodeTo(store, email);

    const changed = await rejection(app.registration.submit(flow.id, { method: 'code', code, traits: { email: uniqueEmail('other') } }, apiRequest(), new Date()));
    expect(messageIds(flowOf(changed))).toEqual([4000036]);
    const wrong = await rejection(app.registration.submit(flow.id, { method: 'code', code: code === '000000' ? '111111' : '000000', traits }, apiRequest(), new Date()));
    expect(messageIds(flowOf(wrong))).toEqual([4040003]);

    const done = await app.registration.submit(flow.id, { method: 'code', code, traits }, apiRequest(), new Date());
    expect(done.status).toBe(200);
    const body = done.body as { identity: { id: string; verifiable_addresses: { verified: boolean }[] }; session: { authentication_methods: unknown[] }; continue_with: { action: string }[] };
    expect(body.identity.verifiable_addresses[0].verified).toBe(true);
    expect(body.session.authentication_methods).toEqual([expect.objectContaining({ method: 'code', aal: 'aal1' })]);
    // Its address is verified already: the verifier sends nothing more.
    expect(body.continue_with.map((c) => c.action)).toEqual(['set_ory_session_token']);
    expect([...store.tables.messages.values()].filter((m) => m.recipient === email).map((m) => m.templateType)).toEqual(['registration_code_valid']);
    const stored = await store.identities.getWithCredentials(body.identity.id);
    expect(stored?.factors?.code?.identifiers).toEqual([email]);
    expect(stored?.password).toBeUndefined();
    // And it signs in by code from now on.
    const { flowId } = await sentLoginCode(app, email);
    expect((await app.login.submit(flowId, { method: 'code', code: lastCodeTo(store, email), identifier: email }, apiRequest(), new Date())).status).toBe(200);
  });

  it('answers a taken address as a new one until its code is proven, then 4000007', async () => {
    const { app, store } = codeApp();
    const { email } = await registered(app);
    const fresh = uniqueEmail('fresh');
    const answers: FlowView[] = [];
    for (const address of [email, fresh]) {
      const flow = await app.registration.init(apiRequest(), new Date());
      const answer = await app.registration.submit(flow.id, { method: 'code', traits: { email: address } }, apiRequest(), new Date());
      expect(answer.status).toBe(400);
      answers.push(answer.body as FlowView);
      if (address === email) {
        const taken = await rejection(app.registration.submit(flow.id, { method: 'code', code: lastCodeTo(store, email), traits: { email } }, apiRequest(), new Date()));
        expect(messageIds(flowOf(taken))).toEqual([4000007]);
      }
    }
    const comparable = (view: FlowView) => ({ ...view, id: '', expires_at: '', issued_at: '', ui: { ...view.ui, action: '', nodes: view.ui.nodes.map((n) => (n.attributes.name === 'traits.email' ? { ...n, attributes: { ...n.attributes, value: '' } } : n)) } });
    expect(comparable(answers[0])).toEqual(comparable(answers[1]));
    expect(registrationCodesTo(store, email)).toHaveLength(1);
  });

  it('refuses invalid traits before sending; a resend sends a new code for the traits the flow holds, and the old one dies (one code a flow, as Kratos)', async () => {
    const { app, store } = codeApp();
    const flow = await app.registration.init(apiRequest(), new Date());
    expect(messageIds(flowOf(await rejection(app.registration.submit(flow.id, { method: 'code', traits: { email: '' } }, apiRequest(), new Date()))))).toContain('traits.email:4000003');
    const email = uniqueEmail('again');
    await app.registration.submit(flow.id, { method: 'code', traits: { email } }, apiRequest(), new Date());
    const first = lastCodeTo(store, email);
    const resent = await app.registration.submit(flow.id, { method: 'code', resend: 'code' }, apiRequest(), new Date());
    expect(resent.status).toBe(400);
    expect(registrationCodesTo(store, email)).toHaveLength(2);
    if (lastCodeTo(store, email) !== first) {
      const dead = await rejection(app.registration.submit(flow.id, { method: 'code', code: first, traits: { email } }, apiRequest(), new Date()));
      expect(messageIds(flowOf(dead))).toEqual([4040003]);
    }
    expect((await app.registration.submit(flow.id, { method: 'code', code: lastCodeTo(store, email), traits: { email } }, apiRequest(), new Date())).status).toBe(200);
  });
});

describe('code as a second factor (mfa_enabled)', () => {
  const MFA = { SELFSERVICE_METHODS_CODE_MFA_ENABLED: 'true', SELFSERVICE_METHODS_TOTP_ENABLED: 'true' };
  const mfaApp = () => memoryApp(MFA, {}, codeSchemas());

  /** An identity signed in with its password: its address and session token. */
  async function signedIn(app: App['app']) {
    const { email, identityId } = await registered(app);
    const flow = await app.login.init(apiRequest(), { refresh: false }, new Date());
    const answer = await app.login.submit(flow.id, { method: 'password', identifier: email, password: PASSWORD }, apiRequest(), new Date());
    return { email, identityId, token: (answer.body as { session_token: string }).session_token };
  }

  it('is no first factor: an aal1 login neither offers nor takes it', async () => {
    const { app } = mfaApp();
    const flow = await app.login.init(apiRequest(), { refresh: false }, new Date());
    expect(node(flow, 'method', 'code')).toBeUndefined();
    const refused = await rejection(app.login.submit(flow.id, { method: 'code', identifier: 'a@example.com' }, apiRequest(), new Date()));
    expect(messageIds(flowOf(refused))).toEqual([4010002]);
  });

  it('counts code addresses as a second factor (available AAL): whoami and settings ask for it after a password; without codes as a second factor, they do not', async () => {
    const { app } = mfaApp();
    const { token } = await signedIn(app);
    await expect(rejection(app.sessionService.whoami(token, new Date()))).resolves.toMatchObject({ status: 403, id: 'session_aal2_required' });
    await expect(rejection(app.settings.init(apiRequest({ sessionToken: token }), new Date()))).resolves.toMatchObject({ status: 403, id: 'session_aal2_required' });
    const passwordless = codeApp();
    const other = await signedIn(passwordless.app);
    await expect(passwordless.app.sessionService.whoami(other.token, new Date())).resolves.toMatchObject({ identityId: other.identityId });
  });

  it('with one code address and no other second factor, mails the code as the aal2 login starts (1010025); the code steps the session up in place', async () => {
    const { app, store } = mfaApp();
    const { email, token } = await signedIn(app);
    const before = (await app.sessionService.findActive(token, new Date()))!;
    const request = apiRequest({ sessionToken: token });
    const flow = await app.login.init(request, { refresh: false, aal: 'aal2' }, new Date());
    expect(flow).toMatchObject({ state: 'sent_email', active: 'code', requested_aal: 'aal2' });
    expect(messageIds(flow)).toEqual([1010025]);
    expect(node(flow, 'identifier')?.attributes).toMatchObject({ type: 'hidden', value: email });
    expect(loginCodesTo(store, email)).toHaveLength(1);
    const code = lastCodeTo(store, email);

    const wrong = await rejection(app.login.submit(flow.id, { method: 'code', code: code === '000000' ? '111111' : '000000', identifier: email }, request, new Date()));
    expect(messageIds(flowOf(wrong))).toEqual([4010008]);
    const done = await app.login.submit(flow.id, { method: 'code', code, identifier: email }, request, new Date());
    expect(done.status).toBe(200);
    const after = await app.sessionService.whoami(token, new Date());
    expect(after.id).toBe(before.id);
    expect(after.amr.map((m) => `${m.method}:${m.aal}`)).toEqual(['password:aal1', 'code:aal2']);
  });

  it('beside another second factor, offers "Send code to <address>" (1010023), taken without a method; ?via= names the trait; an address not offered is refused (4010010)', async () => {
    const { app, store } = mfaApp();
    const { email, identityId, token } = await signedIn(app);
    // A TOTP as well (stored as settings would keep it): the code is no longer the only second factor.
    const stored = (await store.identities.getWithCredentials(identityId))!;
    const at = new Date();
    const totp = { identifiers: [identityId], config: { totp_url: 'otpauth://totp/x:y?algorithm=SHA1&digits=6&issuer=x&period=30&secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP' }, version: 0, createdAt: at, updatedAt: at };
    await store.commit(store.identities.update(revised(withFactor(stored, 'totp', totp), stored), stored));

    const request = apiRequest({ sessionToken: token });
    const flow = await app.login.init(request, { refresh: false, aal: 'aal2' }, new Date());
    expect(flow.state).toBe('choose_method');
    const button = node(flow, 'address', email)!;
    expect(shape(button)).toMatchObject({ group: 'code', type: 'submit', value: email, label: 1010023 });
    expect(button.meta.label).toMatchObject({ text: `Send code to ${email}`, context: { address: email, channel: 'email' } });
    expect(node(flow, 'totp_code')).toBeDefined();
    expect(loginCodesTo(store, email)).toHaveLength(0);

    expect(messageIds(flowOf(await rejection(app.login.submit(flow.id, { address: uniqueEmail('elsewhere') }, request, new Date()))))).toEqual([4010010]);
    const sent = await app.login.submit(flow.id, { address: email }, request, new Date());
    expect(sent.status).toBe(400);
    expect(messageIds(sent.body as FlowView)).toContain(1010025);
    const done = await app.login.submit(flow.id, { method: 'code', code: lastCodeTo(store, email), identifier: email }, request, new Date());
    expect(done.status).toBe(200);
    expect((await app.sessionService.whoami(token, new Date())).amr.map((m) => `${m.method}:${m.aal}`)).toEqual(['password:aal1', 'code:aal2']);

    await expect(rejection(app.login.init(request, { refresh: true, aal: 'aal2', via: 'nickname' }, new Date()))).resolves.toMatchObject({ status: 400 });
    const picked = await app.login.init(request, { refresh: true, aal: 'aal2', via: 'email' }, new Date());
    expect(picked.ui.nodes.filter((n) => n.attributes.name === 'address').map((n) => n.attributes.value)).toEqual([email]);
  });
});

describe('our UI (lib/ui) for code login', () => {
  /** A flow's ui as the UI's pages get it: the JSON the API answers. */
  const uiOf = (view: FlowView) => JSON.parse(JSON.stringify(view.ui)) as UiContainerShape;
  it('renders the code entry step: the code field for one-time codes, the address carried, "Resend code" without the form’s validation', async () => {
    const { app, store } = codeApp();
    const { email } = await registered(app);
    const chooser = await app.login.init(apiRequest(), { refresh: false }, new Date());
    const choose = flowForm(uiOf(chooser));
    // "Send sign in code" needs no password: it skips the form's validation; the password's button does not.
    expect(choose).toContain('<button type="submit" name="method" value="code" formnovalidate>Send sign in code</button>');
    expect(choose).toContain('<button type="submit" name="method" value="password">Sign in with password</button>');

    const { answer } = await sentLoginCode(app, email);
    const html = flowMessages(uiOf(answer.body as FlowView).messages) + flowForm(uiOf(answer.body as FlowView));
    expect(html).toContain('A code was sent to the address you provided.');
    expect(html).toContain(`<input type="hidden" name="identifier" value="${email}">`);
    expect(html).toMatch(/<input id="field-code" name="code" type="text" value="" required autocomplete="one-time-code"[^>]*>/);
    expect(html).toContain('<button type="submit" name="method" value="code">Continue</button>');
    expect(html).toContain('<button type="submit" name="resend" value="code" formnovalidate>Resend code</button>');
    expect(lastCodeTo(store, email)).toMatch(/^\d{6}$/);
  });
});

describe('code login, more shapes', () => {
  it('identifier first: the second screen offers "Send sign in code" for the identifier it carries', async () => {
    const { app, store } = codeApp({ SELFSERVICE_FLOWS_LOGIN_STYLE: 'identifier_first' });
    const { email } = await registered(app);
    const flow = await app.login.init(apiRequest(), { refresh: false }, new Date());
    expect(node(flow, 'method', 'code')).toBeUndefined();
    const second = (await app.login.submit(flow.id, { method: 'identifier_first', identifier: email }, apiRequest(), new Date())).body as FlowView;
    expect(shape(node(second, 'method', 'code'))).toMatchObject({ group: 'code', type: 'submit', label: 1010015 });
    const sent = await app.login.submit(flow.id, { method: 'code', identifier: email }, apiRequest(), new Date());
    expect([sent.status, (sent.body as FlowView).state]).toEqual([400, 'sent_email']);
    expect((await app.login.submit(flow.id, { method: 'code', code: lastCodeTo(store, email), identifier: email }, apiRequest(), new Date())).status).toBe(200);
  });

  it('answers malformed bodies with the flow and its messages (400), never an internal error', async () => {
    const { app, store } = codeApp();
    const { email } = await registered(app);
    const odd: unknown[] = [42, null, ['a'], { nested: true }, '', ' ', 'x'.repeat(400), '\u0000@example.com'];
    for (const value of odd) {
      const flow = await app.login.init(apiRequest(), { refresh: false }, new Date());
      const refused = await rejection(app.login.submit(flow.id, { method: 'code', identifier: value, resend: value }, apiRequest(), new Date()));
      expect([JSON.stringify(value).slice(0, 20), refused.status]).toEqual([JSON.stringify(value).slice(0, 20), 400]);
      const registration = await app.registration.init(apiRequest(), new Date());
      const refusedTraits = await rejection(app.registration.submit(registration.id, { method: 'code', traits: value }, apiRequest(), new Date()));
      expect([JSON.stringify(value).slice(0, 20), refusedTraits.status]).toEqual([JSON.stringify(value).slice(0, 20), 400]);
    }
    const { flowId } = await sentLoginCode(app, email);
    for (const value of odd) {
      const refused = await rejection(app.login.submit(flowId, { method: 'code', code: value, identifier: value }, apiRequest(), new Date()));
      expect([JSON.stringify(value).slice(0, 20), refused.status]).toEqual([JSON.stringify(value).slice(0, 20), 400]);
    }
    expect(lastCodeTo(store, email)).toMatch(/^\d{6}$/);
  });
});

describe('missing_credential_fallback_enabled (Kratos’s migration path for identities without the code credential)', () => {
  const FALLBACK = { SELFSERVICE_METHODS_CODE_CONFIG_MISSING_CREDENTIAL_FALLBACK_ENABLED: 'true' };

  const refusedLoginCode = async (app: App['app'], identifier: string) =>
    rejection(app.login.submit((await app.login.init(apiRequest(), { refresh: false }, new Date())).id, { method: 'code', identifier }, apiRequest(), new Date()));

  /** A registered identity as one saved before its schema marked code addresses: no code credential, no code claim. */
  async function withoutCodeCredential(app: App['app'], store: App['store']) {
    const { email, identityId } = await registered(app);
    const stored = (await store.identities.getWithCredentials(identityId))!;
    await store.commit(store.identities.update(revised(withFactor(stored, 'code', undefined), stored), stored));
    expect(await store.identities.findIdByCredential('code', email)).toBeUndefined();
    return { email, identityId };
  }

  it('passwordless: off (the default), such an identity has no code login (4000035); on, the code goes to its password identifier and signs in', async () => {
    const off = codeApp();
    const stranger = await withoutCodeCredential(off.app, off.store);
    expect(messageIds(flowOf(await refusedLoginCode(off.app, stranger.email)))).toEqual([4000035]);
    expect(loginCodesTo(off.store, stranger.email)).toHaveLength(0);

    const { app, store } = codeApp(FALLBACK);
    const { email, identityId } = await withoutCodeCredential(app, store);
    const { flowId, answer } = await sentLoginCode(app, email.toUpperCase());
    expect(answer.body).toMatchObject({ state: 'sent_email', active: 'code' });
    const signedIn = await app.login.submit(flowId, { method: 'code', code: lastCodeTo(store, email), identifier: email }, apiRequest(), new Date());
    expect(signedIn.body).toMatchObject({ session: { identity: { id: identityId }, authentication_methods: [{ method: 'code', aal: 'aal1' }] } });
    // Addresses nobody has are still answered 4000035, and nothing is mailed.
    const nobody = uniqueEmail('nobody');
    expect(messageIds(flowOf(await refusedLoginCode(app, nobody)))).toEqual([4000035]);
    expect(loginCodesTo(store, nobody)).toHaveLength(0);
  });

  it('second factor: on, a step-up mails the code to the verifiable address (not counted as an available second factor, as Kratos); off, no code is offered', async () => {
    const MFA = { SELFSERVICE_METHODS_CODE_MFA_ENABLED: 'true' };
    for (const fallback of [false, true]) {
      const { app, store } = memoryApp({ ...MFA, ...(fallback ? FALLBACK : {}) }, {}, codeSchemas());
      const { email } = await withoutCodeCredential(app, store);
      const flow = await app.login.init(apiRequest(), { refresh: false }, new Date());
      const answer = await app.login.submit(flow.id, { method: 'password', identifier: email, password: PASSWORD }, apiRequest(), new Date());
      const { session_token: token, session } = answer.body as { session_token: string; session: { id: string; identity?: unknown } };
      expect(session.identity).toBeDefined(); // aal1 is all this identity reaches: no step-up asked for
      const request = apiRequest({ sessionToken: token });
      const stepUp = await app.login.init(request, { refresh: false, aal: 'aal2' }, new Date());
      if (!fallback) {
        expect(node(stepUp, 'address')).toBeUndefined();
        expect(stepUp.state).not.toBe('sent_email');
        continue;
      }
      expect(stepUp).toMatchObject({ state: 'sent_email', active: 'code', requested_aal: 'aal2' });
      const done = await app.login.submit(stepUp.id, { method: 'code', code: lastCodeTo(store, email) }, request, new Date());
      expect(done.body).toMatchObject({ session: { id: session.id, authenticator_assurance_level: 'aal2', authentication_methods: [{ method: 'password' }, { method: 'code', aal: 'aal2' }] } });
    }
  });
});
