/**
 * Social sign-in on the two-screen forms, in-process (memory store, a real OpenID provider on a free port), as Kratos
 * combines them: the provider buttons beside the identifier on identifier-first login's first screen (and still on its
 * second: Kratos with `account_enumeration.mitigate` leaves them), and on both screens of `profile_first`
 * registration, a provider's submit carrying the traits the form holds; the missing-traits continuation shows the
 * oidc method's form alone whichever screen the flow was on.
 */
import type { FlowAnswer } from '../../lib/flows/answer.js';
import { newCsrfToken } from '../../lib/flows/csrf.js';
import type { FlowView } from '../../lib/flows/model.js';
import { browserRequest, memoryApp, messageIds, PASSWORD, register, rejection, uniqueEmail, type MemoryApp } from '../support/flows.js';
import { CLIENT_ID, CLIENT_SECRET, startTestProvider, type TestProvider, TEST_MAPPER_URL } from '../support/oidc-provider.js';

const BASE = 'http://127.0.0.1:4433';

let provider: TestProvider;
let oidc: MemoryApp;

beforeAll(async () => {
  provider = await startTestProvider([`${BASE}/self-service/methods/oidc/callback/test`]);
  oidc = memoryApp({
    SELFSERVICE_FLOWS_LOGIN_STYLE: 'identifier_first',
    SELFSERVICE_FLOWS_REGISTRATION_STYLE: 'profile_first',
    SELFSERVICE_METHODS_OIDC_ENABLED: 'true',
    SELFSERVICE_METHODS_OIDC_CONFIG_PROVIDERS: JSON.stringify([
      { id: 'test', provider: 'generic', label: 'Test ID', client_id: CLIENT_ID, issuer_url: provider.issuer, mapper_url: TEST_MAPPER_URL, scope: ['email'] },
    ]),
    SELFSERVICE_METHODS_OIDC_CONFIG_CLIENT_SECRETS: JSON.stringify({ test: CLIENT_SECRET }),
    SELFSERVICE_FLOWS_REGISTRATION_AFTER_OIDC_HOOKS: '[{"hook":"session"}]',
  });
});
afterAll(() => provider?.close());

const sub = () => `sub-${Math.random().toString(36).slice(2, 10)}`;

/** Each node as `group/name:type[=value]`. */
const shape = (flow: FlowView) =>
  flow.ui.nodes.map((n) => {
    const { name, type, value } = n.attributes;
    return `${n.group}/${name}:${type}${(type === 'submit' || type === 'hidden') && name !== 'csrf_token' ? `=${String(value)}` : ''}`;
  });

async function browserFlow(type: 'login' | 'registration', cookie = newCsrfToken()) {
  const answer =
    type === 'login'
      ? await oidc.app.login.initBrowser(browserRequest(cookie, { json: true }), { refresh: false }, new Date())
      : await oidc.app.registration.initBrowser(browserRequest(cookie, { json: true }), undefined, new Date());
  return { flow: answer.body as FlowView, cookie };
}

/** A submit as the browser's JSON client (Ory Elements) sends it: the flow it answers with. */
async function jsonSubmit(type: 'login' | 'registration', flowId: string, cookie: string, body: Record<string, unknown>): Promise<FlowView> {
  const submit = type === 'login' ? oidc.app.login.submit : oidc.app.registration.submit;
  const answer = await submit(flowId, { csrf_token: cookie, ...body }, browserRequest(cookie, { json: true }), new Date());
  expect(answer.status).toBe(400);
  return answer.body as FlowView;
}

/** The provider button's form post (no `method`, as Ory's UIs send it): the provider's authorization URL. */
async function providerButton(type: 'login' | 'registration', flowId: string, cookie: string, fields: Record<string, unknown> = {}) {
  const submit = type === 'login' ? oidc.app.login.submit : oidc.app.registration.submit;
  const answer = await submit(flowId, { ...fields, provider: 'test', csrf_token: cookie }, browserRequest(cookie), new Date());
  expect(answer.status).toBe(303);
  expect(answer.location!.startsWith(provider.issuer)).toBe(true);
  return new URL(answer.location!);
}

async function callback(authorization: URL, cookie: string): Promise<FlowAnswer> {
  const back = await provider.authorize(authorization.toString());
  return oidc.app.oidcCallback.handle('test', back.searchParams, browserRequest(cookie), new Date());
}

const whoami = (answer: FlowAnswer) => oidc.app.sessionService.whoami(answer.session!.token, new Date());

describe('identifier-first login with social sign-in', () => {
  it('shows the provider buttons beside the identifier on the first screen, and keeps them beside the password on the second', async () => {
    const { flow, cookie } = await browserFlow('login');
    expect(shape(flow)).toEqual([
      'default/csrf_token:hidden',
      'identifier_first/identifier:text',
      'identifier_first/method:submit=identifier_first',
      'oidc/provider:submit=test',
    ]);
    expect(flow.ui.nodes.find((n) => n.group === 'oidc')?.meta.label).toMatchObject({ id: 1010002, text: 'Sign in with Test ID' });

    // Known or not, the second screen offers the same (Kratos leaves the providers when it must not tell).
    const second = await jsonSubmit('login', flow.id, cookie, { method: 'identifier_first', identifier: uniqueEmail('nobody') });
    expect(shape(second).slice(1)).toEqual([
      `identifier_first/identifier:hidden=${second.ui.nodes[1].attributes.value}`,
      'password/password:password',
      'password/method:submit=password',
      'oidc/provider:submit=test',
    ]);
  });

  it('signs a linked account in from the first screen (the provider button posts the empty identifier with it)', async () => {
    const account = { sub: sub(), email: uniqueEmail('linked'), email_verified: true };
    provider.signInAs(account);
    const first = await browserFlow('registration');
    const registered = await whoami(await callback(await providerButton('registration', first.flow.id, first.cookie), first.cookie));

    const { flow, cookie } = await browserFlow('login');
    const done = await callback(await providerButton('login', flow.id, cookie, { identifier: '' }), cookie);
    expect(done.status).toBe(303);
    const session = await whoami(done);
    expect(session.identityId).toBe(registered.identityId);
    expect(session.amr).toEqual([expect.objectContaining({ method: 'oidc', provider: 'test' })]);
    expect((await oidc.store.flows.get(flow.id))?.state).toBe('passed_challenge');
  });

  it('registers an unknown provider account from the second screen (login switches to registration), and the password still signs in there', async () => {
    provider.signInAs({ sub: sub(), email: uniqueEmail('fresh'), email_verified: true });
    const { flow, cookie } = await browserFlow('login');
    const email = uniqueEmail('typed');
    await jsonSubmit('login', flow.id, cookie, { method: 'identifier_first', identifier: email });
    const done = await callback(await providerButton('login', flow.id, cookie, { identifier: email }), cookie);
    const stored = await oidc.store.identities.getWithCredentials((await whoami(done)).identityId);
    expect(stored?.oidc?.providers).toHaveLength(1);
    expect(stored?.password).toBeUndefined();

    const { email: owner, identityId } = await register(oidc.app, uniqueEmail('owner'));
    const other = await browserFlow('login');
    await jsonSubmit('login', other.flow.id, other.cookie, { method: 'identifier_first', identifier: owner });
    const signedIn = await oidc.app.login.submit(other.flow.id, { method: 'password', identifier: owner, password: PASSWORD, csrf_token: other.cookie }, browserRequest(other.cookie), new Date());
    expect((await whoami(signedIn)).identityId).toBe(identityId);
  });
});

describe('profile-first registration with social sign-in', () => {
  it('offers the providers on the traits screen; a provider submit from there carries the traits the form holds', async () => {
    const { flow, cookie } = await browserFlow('registration');
    expect(shape(flow)).toEqual([
      'default/csrf_token:hidden',
      'default/traits.email:email',
      'default/traits.name.first:text',
      'default/traits.name.last:text',
      'profile/method:submit=profile',
      'oidc/provider:submit=test',
    ]);
    expect(flow.ui.nodes.find((n) => n.group === 'oidc')?.meta.label).toMatchObject({ id: 1040002, text: 'Sign up with Test ID' });

    const email = uniqueEmail('social');
    provider.signInAs({ sub: sub(), email, email_verified: true });
    // The button posts the whole form: the first name typed, the rest left empty (an empty e-mail does not hide the
    // provider's, as Kratos merges them; the empty last name is kept as a password registration keeps it).
    const done = await callback(await providerButton('registration', flow.id, cookie, { traits: { email: '', name: { first: 'Ada', last: '' } } }), cookie);
    expect(done.status).toBe(303);
    const session = await whoami(done);
    expect(session.identity.traits).toEqual({ email, name: { first: 'Ada', last: '' } });
    expect(session.amr).toEqual([expect.objectContaining({ method: 'oidc', provider: 'test' })]);
    const stored = await oidc.store.identities.getWithCredentials(session.identityId);
    expect(stored?.verifiableAddresses).toEqual([expect.objectContaining({ value: email, verified: true })]);
    expect((await oidc.store.flows.get(flow.id))?.state).toBe('passed_challenge');
  });

  it('offers them on the credentials screen too, beside the password and Back; the hidden traits travel with the provider', async () => {
    const { flow, cookie } = await browserFlow('registration');
    const email = uniqueEmail('second');
    const second = await jsonSubmit('registration', flow.id, cookie, { method: 'profile', screen: 'credential-selection', traits: { email, name: { first: 'Grace' } } });
    expect(shape(second)).toEqual([
      'default/csrf_token:hidden',
      `default/traits.email:hidden=${email}`,
      'default/traits.name.first:hidden=Grace',
      'default/traits.name.last:hidden=undefined',
      'password/password:password',
      'password/method:submit=password',
      'oidc/provider:submit=test',
      'profile/screen:submit=previous',
    ]);

    provider.signInAs({ sub: sub(), email, email_verified: true });
    const done = await callback(await providerButton('registration', flow.id, cookie, { traits: { email, name: { first: 'Grace', last: '' } } }), cookie);
    const session = await whoami(done);
    expect(session.identity.traits).toEqual({ email, name: { first: 'Grace', last: '' } });
    expect((await oidc.store.identities.getWithCredentials(session.identityId))?.verifiableAddresses?.[0]).toMatchObject({ value: email, verified: true });
  });

  it('asks for what the provider left out with the oidc form alone (no Back, no password), whichever screen the flow was on', async () => {
    const { flow, cookie } = await browserFlow('registration');
    await jsonSubmit('registration', flow.id, cookie, { method: 'profile', traits: { email: uniqueEmail('gone'), name: { first: 'Kay' } } });
    provider.signInAs({ sub: sub() });
    // The button posted without the hidden traits (a client that sends the provider alone): nothing gives an e-mail.
    const answer = await callback(await providerButton('registration', flow.id, cookie), cookie);
    expect(answer.location).toContain(`flow=${flow.id}`);
    const form = (await oidc.app.registration.get(flow.id, browserRequest(cookie), new Date())) as FlowView & { active?: string };
    expect(form.active).toBe('oidc');
    expect(shape(form)).toEqual(['default/csrf_token:hidden', 'default/traits.email:email', 'default/traits.name.first:text', 'default/traits.name.last:text', 'oidc/provider:submit=test']);
    expect(messageIds(form)).toEqual(['traits.email:4000002']);

    const email = uniqueEmail('filled');
    const done = await callback(await providerButton('registration', flow.id, cookie, { traits: { email } }), cookie);
    expect((await whoami(done)).identity.traits).toEqual({ email });
  });

  it('replaces an expired flow given over to oidc with a fresh one on the traits screen (the provider state stays behind)', async () => {
    const { flow, cookie } = await browserFlow('registration');
    provider.signInAs({ sub: sub() });
    await callback(await providerButton('registration', flow.id, cookie), cookie);
    expect((await oidc.store.flows.get(flow.id))?.active).toBe('oidc');
    const later = new Date(Date.now() + 2 * 3600_000);
    const expired = await rejection(oidc.app.registration.submit(flow.id, { provider: 'test', csrf_token: cookie, traits: { email: uniqueEmail() } }, browserRequest(cookie, { json: true }), later));
    expect(expired).toMatchObject({ status: 410 });
    const replacementId = expired.useFlowId as string;
    const replacement = await oidc.store.flows.get(replacementId);
    expect(replacement).toMatchObject({ screen: 'profile' });
    expect(replacement?.active).toBeUndefined();
    const view = await oidc.app.registration.get(replacementId, browserRequest(cookie), later);
    expect(shape(view)).toContain('profile/method:submit=profile');
    expect(shape(view)).not.toContain('default/traits.email:hidden');
  });
});
