/**
 * The API as Ory Elements (`@ory/elements-react` with `@ory/nextjs`) calls it, through serverless-offline with the
 * official SDK: a browser starts a flow (303 to the UI with `?flow=`), the page reads it with the browser's cookies,
 * and every submit is JSON carrying the anti-CSRF cookie and token; Elements' "Back" on a two-step registration is a
 * plain form post. Recovery and a verification page opened by itself (the shapes Elements sends: `email: ""` beside a
 * recovery code), two-step registration (Kratos's default style) in each of its screens, and identifier-first login
 * on the suite's second stack (`SELFSERVICE_FLOWS_LOGIN_STYLE=identifier_first`), known and unknown identifiers alike.
 * The logic of each is tested in test/flows (ory-elements, two-screens); here, the wire.
 */
import { Configuration, FrontendApi } from '@ory/kratos-client';
import { flowIdOf, nodeValue, parseSetCookie, TestBrowser } from '../support/browser.js';
import { baseUrl, identifierFirstBaseUrl } from '../support/env.js';
import { failure, GOOD_PASSWORD, identityApi, registerVia, uniqueEmail } from '../support/http.js';
import { expectMatchesSchema } from '../support/openapi.js';
import { testMailDir, waitForMail } from '../support/smtp.js';

interface Answer {
  status: number;
  data: any;
}

/**
 * The official SDK in a browser, as Elements uses it: the browser's cookies sent with each call, the cookies an
 * answer sets kept, and every status answered (Elements reads a 400's flow as "show this").
 */
function sdkIn(browser: TestBrowser) {
  return async (call: (api: FrontendApi) => Promise<{ status: number; data: unknown; headers: Record<string, unknown> }>): Promise<Answer> => {
    const api = new FrontendApi(
      new Configuration({ basePath: browser.base, baseOptions: { headers: { Cookie: browser.cookieHeader(), Accept: 'application/json' }, validateStatus: () => true, maxRedirects: 0 } }),
    );
    const res = await call(api);
    const cookies = res.headers['set-cookie'];
    for (const header of Array.isArray(cookies) ? (cookies as string[]) : []) {
      const cookie = parseSetCookie(header);
      if (Number(cookie.attributes['max-age'] ?? 1) <= 0) browser.jar.delete(cookie.name);
      else browser.jar.set(cookie.name, cookie.value);
    }
    return { status: res.status, data: res.data };
  };
}

/** A browser with a new flow of `type`, started as Elements' pages start one; the SDK bound to it. */
async function browserFlow(base: string, type: 'login' | 'registration' | 'recovery' | 'verification') {
  const browser = new TestBrowser(base);
  const started = await browser.get(`/self-service/${type}/browser`);
  expect(started.status).toBe(303);
  const id = flowIdOf(started.location);
  const sdk = sdkIn(browser);
  const getters = { login: 'getLoginFlow', registration: 'getRegistrationFlow', recovery: 'getRecoveryFlow', verification: 'getVerificationFlow' } as const;
  const read = await sdk((api) => (api[getters[type]] as (p: { id: string; cookie: string }) => Promise<any>)({ id, cookie: browser.cookieHeader() }));
  expect(read.status).toBe(200);
  return { browser, sdk, id, flow: read.data, csrf: nodeValue(read.data, 'csrf_token') as string };
}

const messageIds = (flow: any) => (flow.ui.messages ?? []).map((m: any) => m.id);
const shape = (flow: any) => flow.ui.nodes.map((n: any) => `${n.group}/${n.attributes.name}:${n.attributes.type}${n.attributes.type === 'submit' ? `=${n.attributes.value}` : ''}`);
const nodeOf = (flow: any, name: string) => flow.ui.nodes.find((n: any) => n.attributes.name === name);

async function mailedCode(to: string, subjectIncludes: string): Promise<string> {
  const mail = await waitForMail(testMailDir(), { to, subjectIncludes }, 15_000);
  return /\b(\d{6})\b/.exec(mail.subject ?? '')![1];
}

describe('recovery and verification as Ory Elements calls them', () => {
  it('recovers: the address, a wrong code and the right one (each with `email: ""`), then a new password in the settings flow it opens', async () => {
    const { email } = await registerVia(baseUrl(), uniqueEmail('elements-recover'));
    const { browser, sdk, id, flow, csrf } = await browserFlow(baseUrl(), 'recovery');
    expectMatchesSchema('recoveryFlow', flow);
    // What Elements tells its form state from: without `active` it throws "Unknown form state".
    expect(flow).toMatchObject({ state: 'choose_method', active: 'code' });

    const sent = await sdk((api) => api.updateRecoveryFlow({ flow: id, updateRecoveryFlowBody: { method: 'code', email, csrf_token: csrf } }));
    expect(sent.status).toBe(200);
    expectMatchesSchema('recoveryFlow', sent.data);
    expect(sent.data).toMatchObject({ state: 'sent_email', active: 'code' });
    const code = await mailedCode(email, 'recover access');

    const wrong = await sdk((api) => api.updateRecoveryFlow({ flow: id, updateRecoveryFlowBody: { method: 'code', code: code === '000000' ? '111111' : '000000', email: '', csrf_token: csrf } }));
    expect(wrong.status).toBe(200);
    expect(messageIds(wrong.data)).toEqual([4060006]);
    expect(wrong.data).toMatchObject({ state: 'sent_email', active: 'code' });

    const done = await sdk((api) => api.updateRecoveryFlow({ flow: id, updateRecoveryFlowBody: { method: 'code', code, email: '', csrf_token: csrf } }));
    expect(done.status).toBe(200);
    expectMatchesSchema('recoveryFlow', done.data);
    expect(done.data.state).toBe('passed_challenge');
    const settingsUi = done.data.continue_with.find((c: any) => c.action === 'show_settings_ui');
    expect(settingsUi.flow.url).toContain(`/ui/settings?flow=${settingsUi.flow.id}`);
    expect(browser.cookie('ory_kratos_session')).toBeDefined();

    const settings = await sdk((api) => api.getSettingsFlow({ id: settingsUi.flow.id, cookie: browser.cookieHeader() }));
    expect(settings.status).toBe(200);
    const newPassword = 'a passphrase set through elements 9';
    const saved = await sdk((api) =>
      api.updateSettingsFlow({ flow: settings.data.id, updateSettingsFlowBody: { method: 'password', password: newPassword, csrf_token: nodeValue(settings.data, 'csrf_token') } }),
    );
    expect(saved.status).toBe(200);
    expect(saved.data.state).toBe('success');
    const native = new FrontendApi(new Configuration({ basePath: baseUrl() }));
    const { data: loginFlow } = await native.createNativeLoginFlow();
    expect((await native.updateLoginFlow({ flow: loginFlow.id, updateLoginFlowBody: { method: 'password', identifier: email, password: newPassword } })).status).toBe(200);
  });

  it('verifies an address on a verification page opened by itself: the address, then the mailed code', async () => {
    const email = uniqueEmail('elements-verify');
    // Made by the admin API: no verification mail of its own, so the only one is this flow's.
    const { data: identity } = await identityApi().createIdentity({ createIdentityBody: { schema_id: 'default', traits: { email } } });
    const { sdk, id, flow, csrf } = await browserFlow(baseUrl(), 'verification');
    expectMatchesSchema('verificationFlow', flow);
    expect(flow).toMatchObject({ state: 'choose_method', active: 'code' });

    const sent = await sdk((api) => api.updateVerificationFlow({ flow: id, updateVerificationFlowBody: { method: 'code', email, csrf_token: csrf } }));
    expect(sent.status).toBe(200);
    expect(sent.data).toMatchObject({ state: 'sent_email', active: 'code' });
    const code = await mailedCode(email, 'verify your account');
    const done = await sdk((api) => api.updateVerificationFlow({ flow: id, updateVerificationFlowBody: { method: 'code', code, email: nodeValue(sent.data, 'email'), csrf_token: csrf } }));
    expect(done.status).toBe(200);
    expectMatchesSchema('verificationFlow', done.data);
    expect(done.data).toMatchObject({ state: 'passed_challenge', active: 'code' });
    expect(messageIds(done.data)).toEqual([1080002]);
    const { data: after } = await identityApi().getIdentity({ id: identity.id });
    expect(after.verifiable_addresses?.[0]).toMatchObject({ value: email, verified: true, status: 'completed' });
  });
});

describe('two-step registration (profile first, the default)', () => {
  const native = () => new FrontendApi(new Configuration({ basePath: baseUrl() }));

  it('every screen with the SDK: the traits, a refusal there, the credential with the traits hidden, back, and the password', async () => {
    const email = uniqueEmail('two-step');
    const api = native();
    const { data: flow } = await api.createNativeRegistrationFlow();
    expectMatchesSchema('registrationFlow', flow);
    const traitsScreen = ['default/csrf_token:hidden', 'default/traits.email:email', 'default/traits.name.first:text', 'default/traits.name.last:text', 'profile/method:submit=profile'];
    expect(shape(flow)).toEqual(traitsScreen);

    const refused = await failure(api.updateRegistrationFlow({ flow: flow.id, updateRegistrationFlowBody: { method: 'profile', traits: { email: 'not-an-email' } } }));
    expect(refused.status).toBe(400);
    expect(shape(refused.data)).toEqual(traitsScreen);
    expect(nodeOf(refused.data, 'traits.email').messages.map((m: any) => m.id)).toEqual([4000040]);

    const credentials = await failure(api.updateRegistrationFlow({ flow: flow.id, updateRegistrationFlowBody: { method: 'profile', screen: 'credential-selection', traits: { email } } }));
    expect(credentials.status).toBe(400);
    expectMatchesSchema('registrationFlow', credentials.data);
    expect(shape(credentials.data)).toEqual([
      'default/csrf_token:hidden',
      'default/traits.email:hidden',
      'default/traits.name.first:hidden',
      'default/traits.name.last:hidden',
      'password/password:password',
      'password/method:submit=password',
      'profile/screen:submit=previous',
    ]);
    expect(nodeValue(credentials.data, 'traits.email')).toBe(email);
    expect(messageIds(credentials.data)).toEqual([1040009]);

    const back = await failure(api.updateRegistrationFlow({ flow: flow.id, updateRegistrationFlowBody: { method: 'profile', screen: 'previous', traits: { email } } }));
    expect(shape(back.data)).toEqual(traitsScreen);
    expect(nodeValue(back.data, 'traits.email')).toBe(email);
    // Forward again without `screen` (Kratos takes a plain `method=profile` for it), then the password.
    expect(shape((await failure(api.updateRegistrationFlow({ flow: flow.id, updateRegistrationFlowBody: { method: 'profile', traits: { email } } }))).data)).toContain('password/password:password');
    const { status, data } = await api.updateRegistrationFlow({ flow: flow.id, updateRegistrationFlowBody: { method: 'password', password: GOOD_PASSWORD, traits: { email } } });
    expect(status).toBe(200);
    expectMatchesSchema('successfulNativeRegistration', data);
    expect(data.identity!.traits).toEqual({ email });
  });

  it("in a browser as Elements drives it: JSON steps, and its Back button's form post of `screen=previous` with the hidden fields", async () => {
    const email = uniqueEmail('elements-two-step');
    const { browser, sdk, id, csrf } = await browserFlow(baseUrl(), 'registration');
    const second = await sdk((api) => api.updateRegistrationFlow({ flow: id, updateRegistrationFlowBody: { method: 'profile', screen: 'credential-selection', traits: { email }, csrf_token: csrf } }));
    expect(second.status).toBe(400);
    expect(nodeOf(second.data, 'screen').attributes).toMatchObject({ type: 'submit', value: 'previous' });

    const back = await browser.postForm(`/self-service/registration?flow=${id}`, { csrf_token: csrf, 'traits.email': email, screen: 'previous' });
    expect(back).toMatchObject({ status: 303, location: `${baseUrl()}/ui/registration?flow=${id}` });
    const first = await sdk((api) => api.getRegistrationFlow({ id, cookie: browser.cookieHeader() }));
    expect(nodeOf(first.data, 'traits.email').attributes).toMatchObject({ type: 'email', value: email });

    await sdk((api) => api.updateRegistrationFlow({ flow: id, updateRegistrationFlowBody: { method: 'profile', screen: 'credential-selection', traits: { email }, csrf_token: csrf } }));
    const done = await sdk((api) => api.updateRegistrationFlow({ flow: id, updateRegistrationFlowBody: { method: 'password', password: GOOD_PASSWORD, traits: { email }, csrf_token: csrf } }));
    expect(done.status).toBe(200);
    expect(done.data.identity.traits).toEqual({ email });
    expect(browser.cookie('ory_kratos_session')).toBeDefined();
  });
});

describe('identifier-first login (SELFSERVICE_FLOWS_LOGIN_STYLE=identifier_first)', () => {
  /** An answer with what differs by nature between two flows (ids, times, the identifier typed) taken out. */
  const comparable = ({ status, data }: Answer, identifier: string) =>
    JSON.parse(JSON.stringify({ status, data }).replaceAll(identifier, '<identifier>').replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '<id>').replace(/"\d{4}-\d\d-\d\dT[^"]+"/g, '"<time>"'));

  it('asks for the identifier, then offers the password for it; a known and an unknown identifier get the same answers', async () => {
    const base = identifierFirstBaseUrl();
    const { email } = await registerVia(base, uniqueEmail('id-first'));
    const nobody = uniqueEmail('nobody');
    const api = new FrontendApi(new Configuration({ basePath: base }));
    const steps = async (identifier: string, password: string) => {
      const { data: flow } = await api.createNativeLoginFlow();
      const identified = await failure(api.updateLoginFlow({ flow: flow.id, updateLoginFlowBody: { method: 'identifier_first', identifier } }));
      const refused = await failure(api.updateLoginFlow({ flow: flow.id, updateLoginFlowBody: { method: 'password', identifier, password } }));
      return { flow, identified, refused };
    };
    const known = await steps(email, 'not the password at all 1');
    const unknown = await steps(nobody, 'not the password at all 1');

    expectMatchesSchema('loginFlow', known.flow);
    expect(shape(known.flow)).toEqual(['default/csrf_token:hidden', 'identifier_first/identifier:text', 'identifier_first/method:submit=identifier_first']);
    expect(known.identified.status).toBe(400);
    expectMatchesSchema('loginFlow', known.identified.data);
    expect(shape(known.identified.data)).toEqual(['default/csrf_token:hidden', 'identifier_first/identifier:hidden', 'password/password:password', 'password/method:submit=password']);
    expect(nodeValue(known.identified.data, 'identifier')).toBe(email);
    expect(messageIds(known.refused.data)).toEqual([4000006]);
    // Nothing tells an unknown identifier from a known one: not the second screen, not the refusal.
    expect(comparable(unknown.identified, nobody)).toEqual(comparable(known.identified, email));
    expect(comparable(unknown.refused, nobody)).toEqual(comparable(known.refused, email));

    // A missing identifier is named on its node; the right password signs in.
    const { data: flow } = await api.createNativeLoginFlow();
    const missing = await failure(api.updateLoginFlow({ flow: flow.id, updateLoginFlowBody: { method: 'identifier_first', identifier: '' } }));
    expect(nodeOf(missing.data, 'identifier').messages.map((m: any) => m.id)).toEqual([4000002]);
    await failure(api.updateLoginFlow({ flow: flow.id, updateLoginFlowBody: { method: 'identifier_first', identifier: email } }));
    const signedIn = await api.updateLoginFlow({ flow: flow.id, updateLoginFlowBody: { method: 'password', identifier: email, password: GOOD_PASSWORD } });
    expect(signedIn.status).toBe(200);
    expect(signedIn.data.session.authentication_methods?.map((m) => m.method)).toEqual(['password']);
  });

  it('in a browser: JSON steps as Elements sends them sign in with the session cookie; a form post of the identifier goes to the UI', async () => {
    const base = identifierFirstBaseUrl();
    const { email } = await registerVia(base, uniqueEmail('id-first-browser'));
    const { browser, sdk, id, csrf } = await browserFlow(base, 'login');
    const identified = await sdk((api) => api.updateLoginFlow({ flow: id, updateLoginFlowBody: { method: 'identifier_first', identifier: email, csrf_token: csrf } }));
    expect(identified.status).toBe(400);
    expect(nodeValue(identified.data, 'identifier')).toBe(email);
    const done = await sdk((api) => api.updateLoginFlow({ flow: id, updateLoginFlowBody: { method: 'password', identifier: email, password: GOOD_PASSWORD, csrf_token: csrf } }));
    expect(done.status).toBe(200);
    expect(browser.cookie('ory_kratos_session')).toBeDefined();

    const form = await browserFlow(base, 'login');
    const posted = await form.browser.postForm(`/self-service/login?flow=${form.id}`, { csrf_token: form.csrf, method: 'identifier_first', identifier: email });
    expect(posted).toMatchObject({ status: 303, location: `${base}/ui/login?flow=${form.id}` });
  });
});
