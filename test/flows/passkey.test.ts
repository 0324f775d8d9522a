/**
 * The passkey method in-process, with a software authenticator (test/support/authenticator.ts: real ES256 keys,
 * attestations and assertions): sign up, sign in by the user handle, the signature counter kept, replays and wrong
 * origins refused, passkeys added and removed in settings under the last-first-factor rule, and the nodes as Kratos
 * shapes them.
 */
import { ConfigError } from '../../lib/config/env.js';
import { loadConfig } from '../../lib/config/index.js';
import type { FlowView } from '../../lib/flows/model.js';
import { IdentitySchema, SchemaRegistry } from '../../lib/identity/schema.js';
import { keysOf } from '../../lib/webauthn/credentials.js';
import { WEBAUTHN_SCRIPT, webauthnScriptIntegrity } from '../../lib/webauthn/script.js';
import webauthnSchema from '../fixtures/webauthn.schema.json' with { type: 'json' };
import { assert, createCredential, publicKeyOf, type SoftCredential } from '../support/authenticator.js';
import { TEST_ENV } from '../support/env.js';
import { apiRequest, browserRequest, flowOf, memoryApp, messageIds, register, rejection, uniqueEmail } from '../support/flows.js';
import { createHash } from 'node:crypto';

const ENV = { SELFSERVICE_METHODS_PASSKEY_ENABLED: 'true', SELFSERVICE_METHODS_PASSKEY_CONFIG_RP_ID: 'localhost', SELFSERVICE_METHODS_PASSKEY_CONFIG_RP_DISPLAY_NAME: 'Test' };
const schemas = () => new SchemaRegistry([new IdentitySchema('default', webauthnSchema as never)], 'default');
const node = (flow: FlowView, name: string) => flow.ui.nodes.find((n) => n.attributes.name === name);
const valueOf = (flow: FlowView, name: string) => node(flow, name)?.attributes.value;

describe('passkeys', () => {
  const { app, store } = memoryApp(ENV, {}, schemas());

  /** Signs up with a new passkey through the two-screen API registration: the credential and the answer. */
  async function signUp(email = uniqueEmail()) {
    const flow = await app.registration.init(apiRequest(), new Date());
    const second = (await app.registration.submit(flow.id, { method: 'profile', traits: { email } }, apiRequest(), new Date())).body as FlowView;
    const created = createCredential(publicKeyOf(valueOf(second, 'passkey_create_data')));
    // As webauthn.js posts it: no `method`, the traits the form holds.
    const answer = await app.registration.submit(flow.id, { passkey_register: created.response, traits: { email } }, apiRequest(), new Date());
    return { ...created, answer, email, identityId: (answer.body as { identity: { id: string } }).identity.id };
  }

  async function signIn(credential: SoftCredential, over: Parameters<typeof assert>[2] = {}) {
    const flow = await app.login.init(apiRequest(), { refresh: false }, new Date());
    const response = assert(credential, publicKeyOf(valueOf(flow, 'passkey_challenge')), over);
    return { flow, response, answer: () => app.login.submit(flow.id, { passkey_login: response }, apiRequest(), new Date()) };
  }

  it('signs up with a passkey: a 64-character user handle claimed as its identifier, the key in Kratos’s shape, session method passkey', async () => {
    const { answer, identityId, credential } = await signUp();
    expect(answer.body).toMatchObject({ session: { authentication_methods: [{ method: 'passkey', aal: 'aal1' }] } });
    const handle = credential.userHandle.toString('utf8');
    expect(handle).toMatch(/^[A-Za-z0-9]{64}$/);
    const stored = (await store.identities.getWithCredentials(identityId))!;
    expect(stored.factors?.passkey?.identifiers).toEqual([handle]);
    expect(await store.identities.findIdByCredential('passkey', handle)).toBe(identityId);
    const { credentials, user_handle } = keysOf(stored.factors?.passkey);
    expect(user_handle).toBe(credential.userHandle.toString('base64'));
    expect(credentials).toEqual([
      {
        id: credential.id.toString('base64'),
        public_key: Buffer.from(credential.cose).toString('base64'),
        attestation_type: 'none',
        authenticator: { aaguid: Buffer.alloc(16).toString('base64'), sign_count: 0, clone_warning: false },
        display_name: '',
        added_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
        is_passwordless: true,
        flags: { user_present: true, user_verified: true, backup_eligible: false, backup_state: false },
      },
    ]);
  });

  it('signs in by the user handle the authenticator returns, keeping the signature counter', async () => {
    const { credential, identityId } = await signUp();
    const { answer } = await signIn(credential);
    expect((await answer()).body).toMatchObject({ session: { identity: { id: identityId }, authentication_methods: [{ method: 'passkey', aal: 'aal1' }] } });
    const stored = await store.identities.getWithCredentials(identityId);
    expect(keysOf(stored!.factors!.passkey).credentials[0].authenticator).toMatchObject({ sign_count: 1, clone_warning: false });
  });

  it('tolerates a counter that did not rise, as Kratos, and keeps go-webauthn’s clone warning', async () => {
    const { credential, identityId } = await signUp();
    await (await signIn(credential, { counter: 5 })).answer();
    const again = await signIn(credential, { counter: 3 });
    expect((await again.answer()).body).toMatchObject({ session: { identity: { id: identityId } } });
    expect(keysOf((await store.identities.getWithCredentials(identityId))!.factors!.passkey).credentials[0].authenticator).toEqual(expect.objectContaining({ sign_count: 5, clone_warning: true }));
  });

  it('refuses a replayed assertion (its own flow: used; another flow: not its challenge), a wrong origin, an unknown user and garbage, each a 400 with the flow', async () => {
    const { credential } = await signUp();
    const first = await signIn(credential);
    await first.answer();
    const replayed = await rejection(first.answer());
    expect([replayed.status, messageIds(flowOf(replayed))]).toEqual([400, [4010007]]);
    const other = await app.login.init(apiRequest(), { refresh: false }, new Date());
    const elsewhere = await rejection(app.login.submit(other.id, { passkey_login: first.response }, apiRequest(), new Date()));
    expect([elsewhere.status, messageIds(flowOf(elsewhere))]).toEqual([400, [4000043]]);

    const phished = await signIn(credential, { origin: 'http://localhost.evil.example' });
    expect(messageIds(flowOf(await rejection(phished.answer())))).toEqual([4000043]);
    // Origins are compared case-insensitively, as go-webauthn does.
    expect((await (await signIn(credential, { origin: 'HTTP://LocalHost' })).answer()).status).toBe(200);

    const stranger = createCredential({ ...publicKeyOf(valueOf(other, 'passkey_challenge')), rp: { id: 'localhost' }, user: { id: Buffer.from('nobody').toString('base64url') } }).credential;
    expect(messageIds(flowOf(await rejection((await signIn(stranger)).answer())))).toEqual([4000015]);
    for (const garbage of ['not json', '{}', JSON.stringify({ id: 'x', rawId: 'x', type: 'public-key', response: { clientDataJSON: 'x', authenticatorData: 'x', signature: 'x', userHandle: 'x' } })]) {
      const flow = await app.login.init(apiRequest(), { refresh: false }, new Date());
      const failed = await rejection(app.login.submit(flow.id, { passkey_login: garbage }, apiRequest(), new Date()));
      expect([failed.status, messageIds(flowOf(failed))]).toEqual([400, [garbage.includes('x') ? 4000015 : 4000043]]);
    }
  });

  it('refuses a registration whose attestation answers another flow’s challenge or comes from elsewhere', async () => {
    const email = uniqueEmail();
    const flow = await app.registration.init(apiRequest(), new Date());
    const second = (await app.registration.submit(flow.id, { method: 'profile', traits: { email } }, apiRequest(), new Date())).body as FlowView;
    const options = publicKeyOf(valueOf(second, 'passkey_create_data'));
    for (const over of [{ challenge: Buffer.from('another flow').toString('base64url') }, { origin: 'https://evil.example' }]) {
      const failed = await rejection(app.registration.submit(flow.id, { passkey_register: createCredential(options, over).response, traits: { email } }, apiRequest(), new Date()));
      expect(failed.status).toBe(400);
      expect(flowOf(failed).ui.messages?.[0]).toMatchObject({ id: 4000001, text: expect.stringMatching(/^Unable to create WebAuthn credential: /) });
      expect(JSON.stringify(flowOf(failed).ui.messages)).not.toContain(options.challenge);
    }
    expect(await store.identities.findIdByAddress('verification', email)).toBeUndefined();
  });

  it('shapes the nodes as Kratos: options JSON, the script (browser flows only) with our integrity, the triggers', async () => {
    const browser = browserRequest(undefined, { json: true });
    const login = flowOf(await app.login.initBrowser(browser, { refresh: false }, new Date()));
    const names = login.ui.nodes.map((n) => `${n.group}/${n.type === 'script' ? 'script' : n.attributes.name}`);
    expect(names).toEqual(expect.arrayContaining(['default/identifier', 'passkey/passkey_challenge', 'webauthn/script', 'passkey/passkey_login', 'passkey/passkey_login_trigger']));
    expect(node(login, 'identifier')?.attributes).toMatchObject({ autocomplete: 'username webauthn' });
    expect(node(login, 'passkey_login')?.attributes).toMatchObject({ type: 'hidden', onloadTrigger: 'oryPasskeyLoginAutocompleteInit', onload: 'window.oryPasskeyLoginAutocompleteInit()' });
    expect(node(login, 'passkey_login_trigger')).toMatchObject({ attributes: { type: 'button', onclickTrigger: 'oryPasskeyLogin', onclick: 'window.oryPasskeyLogin()' }, meta: { label: { id: 1010021 } } });
    const options = JSON.parse(String(valueOf(login, 'passkey_challenge')));
    expect(options).toEqual({ publicKey: { challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), timeout: 300000, rpId: 'localhost', userVerification: 'preferred' } });
    expect(login.ui.nodes.find((n) => n.type === 'script')?.attributes).toEqual({
      src: 'http://127.0.0.1:4433/.well-known/ory/webauthn.js',
      async: true,
      referrerpolicy: 'no-referrer',
      crossorigin: 'anonymous',
      integrity: webauthnScriptIntegrity(),
      type: 'text/javascript',
      id: 'webauthn_script',
      nonce: expect.stringMatching(/^[0-9a-f-]{36}$/),
      node_type: 'script',
    });
    // The challenge is the flow's: reading it again shows the same one.
    expect(valueOf(await app.login.get(login.id, browser, new Date()), 'passkey_challenge')).toBe(valueOf(login, 'passkey_challenge'));

    const api = await app.login.init(apiRequest(), { refresh: false }, new Date());
    expect(api.ui.nodes.some((n) => n.type === 'script')).toBe(false);
    expect(node(api, 'passkey_login_trigger')?.attributes.onclick).toBeUndefined();

    const registration = await app.registration.init(apiRequest(), new Date());
    const second = (await app.registration.submit(registration.id, { method: 'profile', traits: { email: uniqueEmail() } }, apiRequest(), new Date())).body as FlowView;
    const create = JSON.parse(String(valueOf(second, 'passkey_create_data')));
    expect(create).toEqual({
      credentialOptions: {
        publicKey: {
          rp: { name: 'Test', id: 'localhost' },
          user: { name: '', displayName: '', id: expect.any(String) },
          challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
          pubKeyCredParams: [-7, -35, -36, -257, -258, -259, -37, -38, -39, -8].map((alg) => ({ type: 'public-key', alg })),
          timeout: 300000,
          authenticatorSelection: { requireResidentKey: true, residentKey: 'required', userVerification: 'preferred' },
          attestation: 'none',
        },
      },
      displayNameFieldName: 'traits.email',
      displayNameFieldNames: ['traits.email'],
    });
    expect(Buffer.from(create.credentialOptions.publicKey.user.id, 'base64url').toString()).toMatch(/^[A-Za-z0-9]{64}$/);
    expect(node(second, 'passkey_register_trigger')).toMatchObject({ attributes: { onclickTrigger: 'oryPasskeyRegistration' }, meta: { label: { id: 1040007 } } });
  });

  it('adds and removes passkeys in settings, never the last way to sign in', async () => {
    const { token, identityId, email } = await register(app);
    const request = apiRequest({ sessionToken: token });
    const flow = await app.settings.init(request, new Date());
    const options = publicKeyOf(valueOf(flow, 'passkey_create_data'));
    expect(options.user).toMatchObject({ name: email, displayName: email });
    expect(node(flow, 'passkey_register_trigger')).toMatchObject({ attributes: { onclickTrigger: 'oryPasskeySettingsRegistration' }, meta: { label: { id: 1050019 } } });
    const { credential, response } = createCredential(options);
    const added = await app.settings.submit(flow.id, { passkey_settings_register: response }, request, new Date());
    expect(added.status).toBe(200);
    const view = added.body as FlowView;
    const remove = node(view, 'passkey_remove')!;
    expect(remove).toMatchObject({ attributes: { type: 'submit', value: credential.id.toString('hex'), disabled: false }, meta: { label: { id: 1050020, text: 'Remove passkey "unnamed"' } } });
    // Registered once: the same attestation again is refused.
    expect((await rejection(app.settings.submit(flow.id, { passkey_settings_register: response }, request, new Date()))).status).toBe(400);
    // The new passkey signs in.
    expect((await (await signIn(credential)).answer()).body).toMatchObject({ session: { identity: { id: identityId } } });

    const removed = await app.settings.submit(flow.id, { passkey_remove: credential.id.toString('hex') }, request, new Date());
    expect((removed.body as FlowView).ui.nodes.some((n) => n.attributes.name === 'passkey_remove')).toBe(false);
    expect((await store.identities.getWithCredentials(identityId))!.factors?.passkey).toBeUndefined();
    expect(messageIds(flowOf(await rejection((await signIn(credential)).answer())))).toEqual([4000015]);
  });

  it('keeps a passkey-only account’s last passkey (the button disabled, the submit refused)', async () => {
    const { answer } = await signUp();
    const token = (answer.body as { session_token: string }).session_token;
    const request = apiRequest({ sessionToken: token });
    const flow = await app.settings.init(request, new Date());
    const remove = node(flow, 'passkey_remove')!;
    expect(remove.attributes.disabled).toBe(true);
    const refused = await rejection(app.settings.submit(flow.id, { passkey_remove: String(remove.attributes.value) }, request, new Date()));
    expect(refused.status).toBe(400);
    expect(flowOf(refused).ui.messages?.[0].text).toBe('unable to remove this security key because it would lock you out of your account');
  });
});

describe('a passkey login with a security key of the webauthn method (Kratos’s migration path)', () => {
  const WEBAUTHN = { SELFSERVICE_METHODS_WEBAUTHN_ENABLED: 'true', SELFSERVICE_METHODS_WEBAUTHN_CONFIG_RP_ID: 'localhost', SELFSERVICE_METHODS_WEBAUTHN_CONFIG_RP_DISPLAY_NAME: 'Test' };

  it('signs in with a passwordless key by its webauthn user handle, the counter kept on the webauthn credential; a second-factor key does not', async () => {
    const { app, store } = memoryApp({ ...ENV, ...WEBAUTHN, SELFSERVICE_METHODS_WEBAUTHN_CONFIG_PASSWORDLESS: 'true' }, {}, schemas());
    const email = uniqueEmail();
    const flow = await app.registration.init(apiRequest(), new Date());
    const second = (await app.registration.submit(flow.id, { method: 'profile', traits: { email } }, apiRequest(), new Date())).body as FlowView;
    const { credential, response } = createCredential(publicKeyOf(valueOf(second, 'webauthn_register_trigger')));
    const registered = await app.registration.submit(flow.id, { webauthn_register: response, traits: { email } }, apiRequest(), new Date());
    const identityId = (registered.body as { identity: { id: string } }).identity.id;
    expect(credential.userHandle).toHaveLength(16); // Kratos's webauthn user handle: a UUID's bytes, not a passkey's
    expect(await store.identities.findIdByCredential('webauthn_user_handle', credential.userHandle.toString('base64'))).toBe(identityId);

    const login = await app.login.init(apiRequest(), { refresh: false }, new Date());
    const answer = await app.login.submit(login.id, { passkey_login: assert(credential, publicKeyOf(valueOf(login, 'passkey_challenge'))) }, apiRequest(), new Date());
    expect(answer.body).toMatchObject({ session: { identity: { id: identityId }, authentication_methods: [{ method: 'passkey', aal: 'aal1' }] } });
    const stored = (await store.identities.getWithCredentials(identityId))!;
    expect(keysOf(stored.factors!.webauthn).credentials[0]).toMatchObject({ authenticator: { sign_count: 1 } });
    expect(stored.factors?.passkey).toBeUndefined();
  });

  it('refuses a second-factor security key (not passwordless), as Kratos’s PasswordlessOnly', async () => {
    const { app, store } = memoryApp({ ...ENV, ...WEBAUTHN }, {}, schemas());
    const { token, identityId } = await register(app);
    const request = apiRequest({ sessionToken: token });
    const settings = await app.settings.init(request, new Date());
    const { credential, response } = createCredential(publicKeyOf(valueOf(settings, 'webauthn_register_trigger')));
    expect((await app.settings.submit(settings.id, { webauthn_register: response, webauthn_register_displayname: 'Key' }, request, new Date())).status).toBe(200);
    expect(await store.identities.findIdByCredential('webauthn_user_handle', credential.userHandle.toString('base64'))).toBe(identityId);

    const login = await app.login.init(apiRequest(), { refresh: false }, new Date());
    const refused = await rejection(app.login.submit(login.id, { passkey_login: assert(credential, publicKeyOf(valueOf(login, 'passkey_challenge'))) }, apiRequest(), new Date()));
    expect([refused.status, messageIds(flowOf(refused))]).toEqual([400, [4000043]]);

    // Removing the key releases its user handle.
    const again = await app.settings.init(request, new Date());
    await app.settings.submit(again.id, { webauthn_remove: credential.id.toString('hex') }, request, new Date());
    expect(await store.identities.findIdByCredential('webauthn_user_handle', credential.userHandle.toString('base64'))).toBeUndefined();
  });
});

describe('passkey configuration', () => {
  it('names the variable a missing relying party needs', () => {
    expect(() => loadConfig({ ...TEST_ENV, SELFSERVICE_METHODS_PASSKEY_ENABLED: 'true' })).toThrow(new ConfigError('SELFSERVICE_METHODS_PASSKEY_CONFIG_RP_ID is required when SELFSERVICE_METHODS_PASSKEY_ENABLED=true (the relying party\'s domain, e.g. example.com)'));
    expect(() => loadConfig({ ...TEST_ENV, ...ENV, SELFSERVICE_METHODS_PASSKEY_CONFIG_RP_ORIGINS: 'https://a.example/path' })).toThrow(/SELFSERVICE_METHODS_PASSKEY_CONFIG_RP_ORIGINS must list origins/);
    expect(loadConfig({ ...TEST_ENV, ...ENV, SERVE_PUBLIC_BASE_URL: 'https://id.example' }).webauthn.passkey).toEqual({ id: 'localhost', displayName: 'Test', origins: ['https://localhost'] });
  });

  it('serves a script whose integrity is the SHA-512 of its bytes', () => {
    expect(webauthnScriptIntegrity()).toBe(`sha512-${createHash('sha512').update(Buffer.from(WEBAUTHN_SCRIPT, 'utf8')).digest('base64')}`);
  });
});
