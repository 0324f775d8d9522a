/**
 * The webauthn method in-process, with a software authenticator: security keys added (named) and removed in settings,
 * as a second factor (the identity reaches aal2) or, with `passwordless`, to sign up and sign in alone in Kratos's two
 * steps; the options as Kratos shapes them; another flow's challenge and a wrong origin refused.
 */
import type { FlowView } from '../../lib/flows/model.js';
import { IdentitySchema, SchemaRegistry } from '../../lib/identity/schema.js';
import { keysOf } from '../../lib/webauthn/credentials.js';
import webauthnSchema from '../fixtures/webauthn.schema.json' with { type: 'json' };
import { assert, createCredential, publicKeyOf } from '../support/authenticator.js';
import { apiRequest, browserRequest, flowOf, login, memoryApp, messageIds, register, rejection, uniqueEmail } from '../support/flows.js';

const ENV = { SELFSERVICE_METHODS_WEBAUTHN_ENABLED: 'true', SELFSERVICE_METHODS_WEBAUTHN_CONFIG_RP_ID: 'localhost', SELFSERVICE_METHODS_WEBAUTHN_CONFIG_RP_DISPLAY_NAME: 'Test' };
const schemas = () => new SchemaRegistry([new IdentitySchema('default', webauthnSchema as never)], 'default');
const node = (flow: FlowView, name: string) => flow.ui.nodes.find((n) => n.attributes.name === name);
const valueOf = (flow: FlowView, name: string) => node(flow, name)?.attributes.value;
const uuidB64url = (id: string) => Buffer.from(id.replace(/-/g, ''), 'hex').toString('base64url');

describe('security keys as a second factor', () => {
  const { app, store } = memoryApp(ENV, {}, schemas());

  it('adds a named key in settings (Kratos’s options: the RP’s name, the identity’s id, UV discouraged, 120 s), which makes aal2 available', async () => {
    const { token, identityId, email } = await register(app);
    const request = apiRequest({ sessionToken: token });
    const flow = await app.settings.init(request, new Date());
    const trigger = node(flow, 'webauthn_register_trigger')!;
    expect(trigger).toMatchObject({ group: 'webauthn', attributes: { type: 'button', onclickTrigger: 'oryWebAuthnRegistration' }, meta: { label: { id: 1050012 } } });
    expect(trigger.attributes.onclick).toBeUndefined(); // an API flow carries no script
    expect(node(flow, 'webauthn_register_displayname')).toMatchObject({ attributes: { type: 'text' }, meta: { label: { id: 1050013 } } });
    const options = publicKeyOf(trigger.attributes.value);
    expect(options).toEqual({
      rp: { name: 'Test', id: 'localhost' },
      user: { name: 'Test', displayName: 'Test', id: uuidB64url(identityId) },
      challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      pubKeyCredParams: [-7, -35, -36, -257, -258, -259, -37, -38, -39, -8].map((alg) => ({ type: 'public-key', alg })),
      timeout: 120000,
      authenticatorSelection: { userVerification: 'discouraged' },
    });

    const unnamed = await rejection(app.settings.submit(flow.id, { webauthn_register: createCredential(options).response }, request, new Date()));
    expect(messageIds(flowOf(unnamed))).toEqual(['webauthn_register_displayname:4000002']);

    const { credential, response } = createCredential(options, { userVerified: false });
    const added = await app.settings.submit(flow.id, { webauthn_register: response, webauthn_register_displayname: 'Blue key' }, request, new Date());
    const view = added.body as FlowView;
    expect(node(view, 'webauthn_remove')).toMatchObject({ attributes: { value: credential.id.toString('hex'), disabled: false }, meta: { label: { id: 1050018, text: 'Remove security key "Blue key"', context: { display_name: 'Blue key' } } } });
    expect(publicKeyOf(valueOf(view, 'webauthn_register_trigger')).excludeCredentials).toEqual([{ type: 'public-key', id: credential.id.toString('base64url') }]);
    const stored = (await store.identities.getWithCredentials(identityId))!;
    expect(stored.availableAal).toBe('aal2');
    expect(stored.factors?.webauthn?.identifiers).toEqual([email]);
    expect(keysOf(stored.factors?.webauthn)).toMatchObject({
      user_handle: Buffer.from(identityId.replace(/-/g, ''), 'hex').toString('base64'),
      credentials: [{ id: credential.id.toString('base64'), display_name: 'Blue key', is_passwordless: false, flags: { user_verified: false } }],
    });

    const removed = await app.settings.submit(flow.id, { webauthn_remove: credential.id.toString('hex') }, request, new Date());
    expect(node(removed.body as FlowView, 'webauthn_remove')).toBeUndefined();
    expect((await store.identities.getWithCredentials(identityId))!.availableAal ?? 'aal1').toBe('aal1'); // unset: aal1
  });

  it('refuses a key made for another flow’s challenge or at another origin, naming neither', async () => {
    const { token } = await register(app);
    const request = apiRequest({ sessionToken: token });
    const flow = await app.settings.init(request, new Date());
    const options = publicKeyOf(valueOf(flow, 'webauthn_register_trigger'));
    const other = publicKeyOf(valueOf(await app.settings.init(request, new Date()), 'webauthn_register_trigger'));
    for (const over of [{ challenge: other.challenge }, { origin: 'https://localhost.evil.example' }]) {
      const failed = await rejection(app.settings.submit(flow.id, { webauthn_register: createCredential(options, over).response, webauthn_register_displayname: 'k' }, request, new Date()));
      expect(failed.status).toBe(400);
      expect(JSON.stringify(flowOf(failed).ui.messages)).not.toMatch(new RegExp(`${other.challenge}|${options.challenge}|evil`));
    }
  });

  it('gives browser flows the script and the trigger’s onclick with the options; the first-factor login offers no key', async () => {
    const { token } = await register(app);
    const browser = browserRequest(undefined, { json: true, sessionToken: token });
    const flow = flowOf(await app.settings.initBrowser(browser, undefined, new Date()));
    const trigger = node(flow, 'webauthn_register_trigger')!;
    expect(trigger.attributes.onclick).toBe(`window.oryWebAuthnRegistration(${String(trigger.attributes.value)})`);
    expect(flow.ui.nodes.filter((n) => n.type === 'script')).toHaveLength(1);
    const login = await app.login.init(apiRequest(), { refresh: false }, new Date());
    expect(login.ui.nodes.some((n) => n.group === 'webauthn')).toBe(false);
  });

  it('signs in with the key as the second factor after a password: aal2, the session stepped up in place; a replay refused', async () => {
    const { token, email } = await register(app);
    const settings = await app.settings.init(apiRequest({ sessionToken: token }), new Date());
    const { credential, response } = createCredential(publicKeyOf(valueOf(settings, 'webauthn_register_trigger')));
    const added = await app.settings.submit(settings.id, { webauthn_register: response, webauthn_register_displayname: 'Key' }, apiRequest({ sessionToken: token }), new Date());
    expect(added.status).toBe(200);

    const first = (await login(app, email)).body as { session_token: string; session: { id: string } };
    const request = apiRequest({ sessionToken: first.session_token });
    const flow = await app.login.init(request, { refresh: false, aal: 'aal2' }, new Date());
    expect(flow.requested_aal).toBe('aal2');
    const trigger = node(flow, 'webauthn_login_trigger')!;
    expect(trigger).toMatchObject({ group: 'webauthn', attributes: { type: 'button', onclickTrigger: 'oryWebAuthnLogin' }, meta: { label: { id: 1010008 } } });
    expect(valueOf(flow, 'identifier')).toBe(email);
    const options = publicKeyOf(trigger.attributes.value);
    expect(options).toEqual({ challenge: expect.any(String), timeout: 120000, rpId: 'localhost', allowCredentials: [{ type: 'public-key', id: credential.id.toString('base64url') }], userVerification: 'discouraged' });

    const stale = assert(credential, { ...options, challenge: publicKeyOf(valueOf(settings, 'webauthn_register_trigger')).challenge });
    expect(messageIds(flowOf(await rejection(app.login.submit(flow.id, { identifier: email, webauthn_login: stale }, request, new Date()))))).toEqual([4000043]);
    const answer = await app.login.submit(flow.id, { identifier: email, webauthn_login: assert(credential, options) }, request, new Date());
    expect(answer.body).toMatchObject({
      session: { id: first.session.id, authenticator_assurance_level: 'aal2', authentication_methods: [{ method: 'password', aal: 'aal1' }, { method: 'webauthn', aal: 'aal2' }] },
    });
  });
});

describe('passwordless security keys', () => {
  const { app, store } = memoryApp({ ...ENV, SELFSERVICE_METHODS_WEBAUTHN_CONFIG_PASSWORDLESS: 'true' }, {}, schemas());

  async function signUp(email = uniqueEmail()) {
    const flow = await app.registration.init(apiRequest(), new Date());
    const second = (await app.registration.submit(flow.id, { method: 'profile', traits: { email } }, apiRequest(), new Date())).body as FlowView;
    expect(node(second, 'webauthn_register_trigger')?.meta.label).toMatchObject({ id: 1040004 });
    const created = createCredential(publicKeyOf(valueOf(second, 'webauthn_register_trigger')));
    const answer = await app.registration.submit(flow.id, { webauthn_register: created.response, traits: { email } }, apiRequest(), new Date());
    return { ...created, answer, email };
  }

  it('signs up with a key, then signs in with the identifier and the key (Kratos’s two steps), aal1', async () => {
    const { answer, credential, email } = await signUp();
    expect(answer.body).toMatchObject({ session: { authentication_methods: [{ method: 'webauthn', aal: 'aal1' }] } });
    const flow = await app.login.init(apiRequest(), { refresh: false }, new Date());
    expect(node(flow, 'method')).toBeDefined();
    const first = flowOf(await rejection(app.login.submit(flow.id, { method: 'webauthn', identifier: email.toUpperCase() }, apiRequest(), new Date())));
    expect(messageIds(first)).toEqual([1010012]);
    const options = publicKeyOf(valueOf(first, 'webauthn_login_trigger'));
    expect(options).toEqual({ challenge: expect.any(String), timeout: 120000, rpId: 'localhost', allowCredentials: [{ type: 'public-key', id: credential.id.toString('base64url') }], userVerification: 'discouraged' });

    const wrongOrigin = await rejection(app.login.submit(flow.id, { identifier: email, webauthn_login: assert(credential, options, { origin: 'https://evil.example' }) }, apiRequest(), new Date()));
    expect(messageIds(flowOf(wrongOrigin))).toEqual([4000043]);
    const signedIn = await app.login.submit(flow.id, { identifier: email, webauthn_login: assert(credential, options) }, apiRequest(), new Date());
    expect(signedIn.body).toMatchObject({ session: { authentication_methods: [{ method: 'webauthn', aal: 'aal1' }] } });
  });

  it('moves the key’s identifier with the trait (Kratos’s schema extension): the new address signs in, the old one is released', async () => {
    const { answer, credential, email } = await signUp();
    const identityId = (answer.body as { identity: { id: string } }).identity.id;
    const request = apiRequest({ sessionToken: (answer.body as { session_token: string }).session_token });
    const settings = await app.settings.init(request, new Date());
    const renamed = uniqueEmail('renamed');
    expect((await app.settings.submit(settings.id, { method: 'profile', traits: { email: renamed.toUpperCase() } }, request, new Date())).status).toBe(200);
    expect(await store.identities.findIdByCredential('webauthn', renamed)).toBe(identityId);
    expect(await store.identities.findIdByCredential('webauthn', email)).toBeUndefined();

    const flow = await app.login.init(apiRequest(), { refresh: false }, new Date());
    expect(messageIds(flowOf(await rejection(app.login.submit(flow.id, { method: 'webauthn', identifier: email }, apiRequest(), new Date()))))).toEqual([4000015]);
    const prompt = flowOf(await rejection(app.login.submit(flow.id, { method: 'webauthn', identifier: renamed }, apiRequest(), new Date())));
    const signedIn = await app.login.submit(flow.id, { identifier: renamed, webauthn_login: assert(credential, publicKeyOf(valueOf(prompt, 'webauthn_login_trigger'))) }, apiRequest(), new Date());
    expect(signedIn.body).toMatchObject({ session: { identity: { id: identityId } } });
    // The old address is free: another account signs up with it.
    expect((await signUp(email)).answer.status).toBe(200);
  });

  it('says an unknown identifier has no key (4000015), and keeps an account’s last passwordless key', async () => {
    const flow = await app.login.init(apiRequest(), { refresh: false }, new Date());
    expect(messageIds(flowOf(await rejection(app.login.submit(flow.id, { method: 'webauthn', identifier: uniqueEmail('nobody') }, apiRequest(), new Date()))))).toEqual([4000015]);
    const { answer, credential } = await signUp();
    const request = apiRequest({ sessionToken: (answer.body as { session_token: string }).session_token });
    const settings = await app.settings.init(request, new Date());
    expect(node(settings, 'webauthn_remove')?.attributes.disabled).toBe(true);
    expect((await rejection(app.settings.submit(settings.id, { webauthn_remove: credential.id.toString('hex') }, request, new Date()))).status).toBe(400);
  });
});
