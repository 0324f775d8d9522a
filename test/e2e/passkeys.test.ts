/**
 * Passkeys and security keys over the wire, with the official SDK and the software authenticator (real ES256
 * attestations and assertions), on a stack of its own (both methods on, an identity schema naming the passkey):
 * webauthn.js served with the integrity the flows' script node carries; a passkey signed up for and signed in with
 * (a replay and another origin refused as 400s in Kratos's envelope); a security key added in settings and used as the
 * second factor of the same session. The branches are tested in test/flows/{passkey,webauthn}; here, the wire.
 */
import { createHash } from 'node:crypto';
import { Configuration, FrontendApi } from '@ory/kratos-client';
import { freePort } from '../../scripts/dynamodb-local.js';
import type { RunningOffline } from '../../scripts/local-stack.js';
import { assert, createCredential, publicKeyOf } from '../support/authenticator.js';
import { failure, GOOD_PASSWORD, registerVia, uniqueEmail } from '../support/http.js';
import { expectMatchesSchema } from '../support/openapi.js';
import { startTracedOffline } from '../support/traced-stack.js';

let offline: RunningOffline;
let base: string;
const ORIGIN = 'https://id.example.com';

beforeAll(async () => {
  const port = await freePort();
  offline = await startTracedOffline(
    {
      IDENTITY_SCHEMAS: JSON.stringify([{ id: 'default', url: 'file://test/fixtures/webauthn.schema.json' }]),
      IDENTITY_DEFAULT_SCHEMA_ID: 'default',
      SELFSERVICE_METHODS_PASSKEY_ENABLED: 'true',
      SELFSERVICE_METHODS_PASSKEY_CONFIG_RP_ID: 'id.example.com',
      SELFSERVICE_METHODS_PASSKEY_CONFIG_RP_DISPLAY_NAME: 'Example',
      SELFSERVICE_METHODS_PASSKEY_CONFIG_RP_ORIGINS: ORIGIN,
      SELFSERVICE_METHODS_WEBAUTHN_ENABLED: 'true',
      SELFSERVICE_METHODS_WEBAUTHN_CONFIG_RP_ID: 'id.example.com',
      SELFSERVICE_METHODS_WEBAUTHN_CONFIG_RP_DISPLAY_NAME: 'Example',
      SELFSERVICE_METHODS_WEBAUTHN_CONFIG_RP_ORIGINS: ORIGIN,
    },
    { port },
  );
  base = offline.baseUrl;
}, 120_000);
afterAll(async () => {
  await offline?.stop();
});

const api = () => new FrontendApi(new Configuration({ basePath: base }));
const node = (flow: any, name: string) => flow.ui.nodes.find((n: any) => n.attributes.name === name);

describe('passkeys and security keys over the wire', () => {
  it('serves webauthn.js as JavaScript, its SHA-512 the integrity of the flows’ script node, with the globals Ory’s UIs call', async () => {
    const res = await fetch(`${base}/.well-known/ory/webauthn.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=UTF-8');
    const bytes = Buffer.from(await res.arrayBuffer());
    const flow = (await (await fetch(`${base}/self-service/login/browser`, { headers: { Accept: 'application/json' } })).json()) as any;
    expectMatchesSchema('loginFlow', flow);
    const script = flow.ui.nodes.find((n: any) => n.type === 'script');
    expect(script.attributes).toMatchObject({ src: `${base}/.well-known/ory/webauthn.js`, id: 'webauthn_script', integrity: `sha512-${createHash('sha512').update(bytes).digest('base64')}` });
    for (const name of ['oryWebAuthnRegistration', 'oryWebAuthnLogin', 'oryPasskeyLogin', 'oryPasskeyLoginAutocompleteInit', 'oryPasskeyRegistration', 'oryPasskeySettingsRegistration']) {
      expect(bytes.toString()).toContain(name);
    }
  });

  it('signs up with a passkey and signs in with it; a replayed assertion and another origin are 400s with the flow', async () => {
    const email = uniqueEmail('passkey-e2e');
    const registration = (await api().createNativeRegistrationFlow()).data;
    // Profile first (Kratos's default): the traits, then the credential.
    const second = (await failure(api().updateRegistrationFlow({ flow: registration.id, updateRegistrationFlowBody: { method: 'profile', traits: { email } } as never }))).data;
    expectMatchesSchema('registrationFlow', second);
    const { credential, response } = createCredential(publicKeyOf(node(second, 'passkey_create_data').attributes.value), { origin: ORIGIN });
    const registered = await api().updateRegistrationFlow({ flow: registration.id, updateRegistrationFlowBody: { method: 'passkey', passkey_register: response, traits: { email } } });
    expectMatchesSchema('successfulNativeRegistration', registered.data);
    expect(registered.data.session?.authentication_methods?.map((m) => m.method)).toEqual(['passkey']);

    const login = (await api().createNativeLoginFlow()).data;
    const options = publicKeyOf(node(login, 'passkey_challenge').attributes.value);
    const elsewhere = await failure(api().updateLoginFlow({ flow: login.id, updateLoginFlowBody: { method: 'passkey', passkey_login: assert(credential, options, { origin: 'https://evil.example.com' }) } }));
    expect([elsewhere.status, elsewhere.data.ui.messages.map((m: any) => m.id)]).toEqual([400, [4000043]]);
    const assertion = assert(credential, options, { origin: ORIGIN });
    const signedIn = await api().updateLoginFlow({ flow: login.id, updateLoginFlowBody: { method: 'passkey', passkey_login: assertion } });
    expectMatchesSchema('successfulNativeLogin', signedIn.data);
    expect(signedIn.data.session.identity?.traits).toEqual({ email });

    const again = (await api().createNativeLoginFlow()).data;
    const replayed = await failure(api().updateLoginFlow({ flow: again.id, updateLoginFlowBody: { method: 'passkey', passkey_login: assertion } }));
    expect([replayed.status, replayed.data.ui.messages.map((m: any) => m.id)]).toEqual([400, [4000043]]);
  });

  it('adds a security key in settings and steps a password session up to aal2 with it', async () => {
    const { token, email } = await registerVia(base, uniqueEmail('key-e2e'));
    const settings = (await api().createNativeSettingsFlow({ xSessionToken: token })).data;
    expectMatchesSchema('settingsFlow', settings);
    const { credential, response } = createCredential(publicKeyOf(node(settings, 'webauthn_register_trigger').attributes.value), { origin: ORIGIN });
    const saved = await api().updateSettingsFlow({
      flow: settings.id,
      xSessionToken: token,
      updateSettingsFlowBody: { method: 'webauthn', webauthn_register: response, webauthn_register_displayname: 'Desk key' },
    });
    expect(node(saved.data, 'webauthn_remove').meta.label.text).toBe('Remove security key "Desk key"');

    const password = (await api().createNativeLoginFlow()).data;
    const first = (await api().updateLoginFlow({ flow: password.id, updateLoginFlowBody: { method: 'password', identifier: email, password: GOOD_PASSWORD } })).data;
    expect(first.session.authenticator_assurance_level).toBe('aal1');
    const flow = (await api().createNativeLoginFlow({ aal: 'aal2', xSessionToken: first.session_token })).data;
    expectMatchesSchema('loginFlow', flow);
    const options = publicKeyOf(node(flow, 'webauthn_login_trigger').attributes.value);
    const stepped = await api().updateLoginFlow({
      flow: flow.id,
      xSessionToken: first.session_token,
      updateLoginFlowBody: { method: 'webauthn', identifier: email, webauthn_login: assert(credential, options, { origin: ORIGIN }) },
    });
    expect(stepped.data.session.id).toBe(first.session.id);
    expect(stepped.data.session.authenticator_assurance_level).toBe('aal2');
    expect(stepped.data.session.authentication_methods?.map((m) => m.method)).toEqual(['password', 'webauthn']);
  });
});
