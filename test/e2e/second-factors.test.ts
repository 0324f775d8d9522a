/**
 * Second factors and assurance levels over the wire, with the official SDK, on the suite's second stack (TOTP and lookup
 * codes on there): a TOTP set up in settings with a code computed from what the flow shows (as an authenticator app
 * reads the QR code), the password login that answers without the identity, whoami's 403 session_aal2_required, the
 * aal2 login that steps the same session up, lookup codes, and the admin API showing and removing the factors. The
 * branches are tested in test/flows/second-factors; here, the wire.
 */
import { Configuration, FrontendApi } from '@ory/kratos-client';
import * as OTPAuth from 'otpauth';
import { identifierFirstBaseUrl } from '../support/env.js';
import { failure, GOOD_PASSWORD, identityApi, registerVia, uniqueEmail } from '../support/http.js';
import { expectMatchesSchema } from '../support/openapi.js';

const api = () => new FrontendApi(new Configuration({ basePath: identifierFirstBaseUrl() }));
const node = (flow: any, name: string) => flow.ui.nodes.find((n: any) => n.attributes.name === name || n.attributes.id === name);

/** What an authenticator app shows now for the secret a settings flow offers. */
function codeFor(flow: any, at = Date.now()): string {
  const secret = node(flow, 'totp_secret_key').attributes.text.text as string;
  return new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: at });
}

async function passwordLogin(email: string) {
  const flow = (await api().createNativeLoginFlow()).data;
  return (await api().updateLoginFlow({ flow: flow.id, updateLoginFlowBody: { method: 'password', identifier: email, password: GOOD_PASSWORD } })).data;
}

describe('second factors over the wire', () => {
  it('sets a TOTP up, asks an aal1 session for it, and steps that session up with it', async () => {
    const { token, email, identityId } = await registerVia(identifierFirstBaseUrl(), uniqueEmail('totp'));
    const settings = (await api().createNativeSettingsFlow({ xSessionToken: token })).data;
    expectMatchesSchema('settingsFlow', settings);
    expect(node(settings, 'totp_qr').attributes.src).toMatch(/^data:image\/png;base64,/);
    // One step back: the code an app showed half a minute ago is still taken (Kratos's skew), so a step boundary
    // between reading the secret and submitting does not fail the test.
    const saved = await api().updateSettingsFlow({ flow: settings.id, xSessionToken: token, updateSettingsFlowBody: { method: 'totp', totp_code: codeFor(settings) } });
    expect(saved.status).toBe(200);
    expect(node(saved.data, 'totp_unlink')).toBeDefined();

    // A password alone: a session, but not the identity, and whoami refuses it until the second factor.
    const first = await passwordLogin(email);
    expect(first.session.authenticator_assurance_level).toBe('aal1');
    expect(first.session.identity).toBeUndefined();
    const refused = await failure(api().toSession({ xSessionToken: first.session_token }));
    expect(refused.status).toBe(403);
    expect(refused.data.error.id).toBe('session_aal2_required');
    expect(refused.data.redirect_browser_to).toMatch(/\/self-service\/login\/browser\?aal=aal2$/);
    expectMatchesSchema('errorGeneric', { error: refused.data.error });

    const flow = (await api().createNativeLoginFlow({ aal: 'aal2', xSessionToken: first.session_token })).data;
    expectMatchesSchema('loginFlow', flow);
    expect(flow.requested_aal).toBe('aal2');
    expect(flow.ui.nodes.map((n: any) => n.attributes.name)).toEqual(['csrf_token', 'totp_code', 'method']);
    // Ask the app a step later than the one enrolment used: each code is good once.
    const stepped = await api().updateLoginFlow({ flow: flow.id, xSessionToken: first.session_token, updateLoginFlowBody: { method: 'totp', totp_code: codeFor(settings, Date.now() + 30_000) } });
    expect(stepped.data.session.id).toBe(first.session.id);
    expect(stepped.data.session.authenticator_assurance_level).toBe('aal2');
    expect(stepped.data.session.authentication_methods?.map((m: any) => m.method)).toEqual(['password', 'totp']);
    expect((await api().toSession({ xSessionToken: first.session_token })).data.id).toBe(first.session.id);

    // The admin API shows the factor (its secret only when named) and removes it: the aal1 session is enough again.
    const admin = identityApi();
    const shown = (await admin.getIdentity({ id: identityId })).data;
    expect(shown.credentials?.totp).toMatchObject({ type: 'totp', identifiers: [identityId] });
    expect(shown.credentials?.totp?.config).toBeUndefined();
    const named = (await admin.getIdentity({ id: identityId, includeCredential: ['totp' as never] })).data;
    expect(String((named.credentials?.totp?.config as any)?.totp_url)).toMatch(/^otpauth:\/\/totp\//);
    await admin.deleteIdentityCredentials({ id: identityId, type: 'totp' });
    const other = await passwordLogin(email);
    expect((await api().toSession({ xSessionToken: other.session_token })).data.authenticator_assurance_level).toBe('aal1');
    expect((await failure(admin.deleteIdentityCredentials({ id: identityId, type: 'totp' }))).status).toBe(404);
    expect((await failure(admin.deleteIdentityCredentials({ id: identityId, type: 'password' }))).status).toBe(400);
  });

  it('uses lookup codes as the second factor, each once', async () => {
    const { token, email } = await registerVia(identifierFirstBaseUrl(), uniqueEmail('lookup'));
    const settings = (await api().createNativeSettingsFlow({ xSessionToken: token })).data;
    const shown = await api().updateSettingsFlow({ flow: settings.id, xSessionToken: token, updateSettingsFlowBody: { method: 'lookup_secret', lookup_secret_regenerate: true } });
    const codes = node(shown.data, 'lookup_secret_codes').attributes.text.context.secrets.map((s: any) => s.text) as string[];
    expect(codes).toHaveLength(12);
    await api().updateSettingsFlow({ flow: settings.id, xSessionToken: token, updateSettingsFlowBody: { method: 'lookup_secret', lookup_secret_confirm: true } });

    const first = await passwordLogin(email);
    const flow = (await api().createNativeLoginFlow({ aal: 'aal2', xSessionToken: first.session_token })).data;
    const stepped = await api().updateLoginFlow({ flow: flow.id, xSessionToken: first.session_token, updateLoginFlowBody: { method: 'lookup_secret', lookup_secret: codes[0] } });
    expect(stepped.data.session.authenticator_assurance_level).toBe('aal2');
    const second = await passwordLogin(email);
    const again = (await api().createNativeLoginFlow({ aal: 'aal2', xSessionToken: second.session_token })).data;
    const used = await failure(api().updateLoginFlow({ flow: again.id, xSessionToken: second.session_token, updateLoginFlowBody: { method: 'lookup_secret', lookup_secret: codes[0] } }));
    expect(used.status).toBe(400);
    expect(used.data.ui.messages.map((m: any) => m.id)).toEqual([4000012]);
  });

  it('refuses a second factor without a session, and an unparsable level', async () => {
    expect((await failure(api().createNativeLoginFlow({ aal: 'aal2' }))).data.error).toMatchObject({ id: 'session_aal1_required', code: 401 });
    expect((await failure(api().createNativeLoginFlow({ aal: 'aal9' }))).status).toBe(400);
  });
});
