/**
 * Login and registration in two screens, in-process: identifier-first login (`SELFSERVICE_FLOWS_LOGIN_STYLE=
 * identifier_first`) and profile-first registration (`SELFSERVICE_FLOWS_REGISTRATION_STYLE`, `profile_first` by
 * default as in Kratos). Every screen, what moves a flow between them, and that the one-step submits clients written
 * for the one-screen forms send are still taken.
 */
import { newCsrfToken } from '../../lib/flows/csrf.js';
import type { FlowView } from '../../lib/flows/model.js';
import { apiRequest, browserRequest, flowOf, memoryApp, messageIds, PASSWORD, register, rejection, uniqueEmail } from '../support/flows.js';

/** Each node as `group/name:type[=value]`. */
const shape = (flow: FlowView) =>
  flow.ui.nodes.map((n) => {
    const { name, type, value } = n.attributes;
    return `${n.group}/${name}:${type}${(type === 'submit' || type === 'hidden') && name !== 'csrf_token' ? `=${String(value)}` : ''}`;
  });
const node = (flow: FlowView, name: string) => flow.ui.nodes.find((n) => n.attributes.name === name);

describe('identifier-first login', () => {
  const { app, store } = memoryApp({ SELFSERVICE_FLOWS_LOGIN_STYLE: 'identifier_first' });
  const identify = (flowId: string, identifier: string, request = apiRequest()) => app.login.submit(flowId, { method: 'identifier_first', identifier }, request, new Date());

  it('asks for the identifier alone, then offers the password for it on the same flow (400 with the flow, as Kratos)', async () => {
    const { email, identityId } = await register(app);
    const flow = await app.login.init(apiRequest(), { refresh: false }, new Date());
    expect(shape(flow)).toEqual(['default/csrf_token:hidden', 'identifier_first/identifier:text', 'identifier_first/method:submit=identifier_first']);
    expect(node(flow, 'identifier')).toMatchObject({ attributes: { required: true, autocomplete: 'username webauthn' }, meta: { label: { id: 1070002, text: 'E-Mail' } } });
    expect(node(flow, 'method')?.meta.label).toMatchObject({ id: 1070009, text: 'Continue' });
    expect(flow).toMatchObject({ state: 'choose_method' });
    expect(flow.active).toBeUndefined();

    const next = await identify(flow.id, email);
    expect(next.status).toBe(400);
    const second = next.body as FlowView;
    expect(second.id).toBe(flow.id);
    expect(shape(second)).toEqual(['default/csrf_token:hidden', `identifier_first/identifier:hidden=${email}`, 'password/password:password', 'password/method:submit=password']);
    expect(second.ui.messages).toBeUndefined();
    // Kratos sets `active: "identifier_first"` here, a value the v26.2.0 spec (kratos/api.json) does not allow; left
    // out, as the spec says (Ory Elements reads nothing from it on a login flow).
    expect(second.active).toBeUndefined();
    // The flow keeps its screen: reading it shows the same.
    expect(shape(await app.login.get(flow.id, apiRequest(), new Date()))).toEqual(shape(second));

    const wrong = await rejection(app.login.submit(flow.id, { method: 'password', identifier: email, password: 'not it at all, no' }, apiRequest(), new Date()));
    expect(messageIds(flowOf(wrong))).toEqual([4000006]);
    expect(shape(flowOf(wrong))).toEqual(shape(second));
    const signedIn = await app.login.submit(flow.id, { method: 'password', identifier: email, password: PASSWORD }, apiRequest(), new Date());
    expect(signedIn.body).toMatchObject({ session: { identity: { id: identityId }, authentication_methods: [{ method: 'password' }] } });
  });

  it('answers an unknown identifier exactly as a known one, looking nothing up', async () => {
    const { email } = await register(app);
    const nobody = uniqueEmail('nobody');
    const known = await identify((await app.login.init(apiRequest(), { refresh: false }, new Date())).id, email);
    const counters = () => store.tables.throttle.size + store.tables.failures.size + store.tables.counts.size;
    const countersBefore = counters();
    const unknown = await identify((await app.login.init(apiRequest(), { refresh: false }, new Date())).id, nobody);
    const comparable = (answer: typeof known, identifier: string) =>
      JSON.parse(JSON.stringify(answer).replaceAll(identifier, '<identifier>').replace(/[0-9a-f-]{36}/g, '<id>').replace(/"\d{4}-\d\d-\d\dT[^"]+"/g, '"<time>"'));
    expect(comparable(unknown, nobody)).toEqual(comparable(known, email));
    expect(counters()).toBe(countersBefore);
    // The next screen fails an unknown identifier as it fails a wrong password.
    const failed = await rejection(app.login.submit((unknown.body as FlowView).id, { method: 'password', identifier: nobody, password: PASSWORD }, apiRequest(), new Date()));
    expect(messageIds(flowOf(failed))).toEqual([4000006]);
  });

  it('names a missing or too long identifier on its node, and a second identifier replaces the first', async () => {
    const flow = await app.login.init(apiRequest(), { refresh: false }, new Date());
    expect(messageIds(flowOf(await rejection(identify(flow.id, ' '))))).toEqual(['identifier:4000002']);
    expect(messageIds(flowOf(await rejection(identify(flow.id, `${'x'.repeat(330)}@example.com`))))).toEqual(['identifier:4000017']);
    await identify(flow.id, 'first@example.com');
    const again = (await identify(flow.id, 'second@example.com')).body as FlowView;
    expect(node(again, 'identifier')?.attributes.value).toBe('second@example.com');
  });

  it('still signs in a one-step submit (identifier and password) sent to the first screen', async () => {
    const { email } = await register(app);
    const flow = await app.login.init(apiRequest(), { refresh: false }, new Date());
    expect((await app.login.submit(flow.id, { method: 'password', identifier: email, password: PASSWORD }, apiRequest(), new Date())).status).toBe(200);
  });

  it('moves a browser form to its UI (303) and a browser script to the flow (400); a refresh keeps the one-screen form', async () => {
    const { email, token } = await register(app);
    const cookie = newCsrfToken();
    const started = await app.login.initBrowser(browserRequest(cookie), { refresh: false }, new Date());
    const flowId = new URL(started.location!).searchParams.get('flow')!;
    const posted = await app.login.submit(flowId, { method: 'identifier_first', identifier: email, csrf_token: cookie }, browserRequest(cookie), new Date());
    expect(posted).toMatchObject({ status: 303, location: `http://127.0.0.1:4433/ui/login?flow=${flowId}` });
    const shown = await app.login.get(flowId, browserRequest(cookie), new Date());
    expect(node(shown, 'identifier')?.attributes).toMatchObject({ type: 'hidden', value: email });
    const script = await app.login.submit(flowId, { method: 'identifier_first', identifier: email, csrf_token: cookie }, browserRequest(cookie, { json: true }), new Date());
    expect(script.status).toBe(400);
    // Without its CSRF token a browser's step is refused like any submit.
    await expect(rejection(app.login.submit(flowId, { method: 'identifier_first', identifier: email }, browserRequest(cookie, { json: true }), new Date()))).resolves.toMatchObject({ status: 403 });

    const refresh = await app.login.init(apiRequest({ sessionToken: token }), { refresh: true }, new Date());
    expect(shape(refresh)).toEqual(['default/csrf_token:hidden', `default/identifier:hidden=${email}`, 'password/password:password', 'password/method:submit=password']);
  });

  it('starts a replacement for an expired flow on the first screen', async () => {
    const flow = await app.login.init(apiRequest(), { refresh: false }, new Date());
    await identify(flow.id, 'someone@example.com');
    const expired = await rejection(app.login.submit(flow.id, { method: 'password', identifier: 'someone@example.com', password: PASSWORD }, apiRequest(), new Date(Date.now() + 2 * 3600_000)));
    expect(expired).toMatchObject({ status: 410 });
    expect(await store.flows.get(expired.useFlowId as string)).toMatchObject({ screen: 'identify' });
  });

  it('is not offered in the one-screen style: `identifier_first` is an unknown method there (4010002)', async () => {
    const unified = memoryApp().app;
    const flow = await unified.login.init(apiRequest(), { refresh: false }, new Date());
    expect(messageIds(flowOf(await rejection(unified.login.submit(flow.id, { method: 'identifier_first', identifier: 'a@example.com' }, apiRequest(), new Date()))))).toEqual([4010002]);
  });
});

describe('profile-first registration (the default)', () => {
  const { app, store } = memoryApp();
  const profile = (flowId: string, traits: Record<string, unknown>, extra: Record<string, unknown> = {}, request = apiRequest()) =>
    app.registration.submit(flowId, { method: 'profile', traits, ...extra }, request, new Date());

  it('asks for the traits, then for the credential with the traits kept hidden, and back', async () => {
    const email = uniqueEmail('two-step');
    const flow = await app.registration.init(apiRequest(), new Date());
    expect(shape(flow)).toEqual(['default/csrf_token:hidden', 'default/traits.email:email', 'default/traits.name.first:text', 'default/traits.name.last:text', 'profile/method:submit=profile']);
    expect(node(flow, 'method')?.meta.label).toMatchObject({ id: 1040001, text: 'Sign up' });

    for (const extra of [{}, { screen: 'credential-selection' }]) {
      const next = await profile(flow.id, { email, name: { first: 'Ada' } }, extra);
      expect(next.status).toBe(400);
      const second = next.body as FlowView;
      expect(shape(second)).toEqual([
        'default/csrf_token:hidden',
        `default/traits.email:hidden=${email}`,
        'default/traits.name.first:hidden=Ada',
        'default/traits.name.last:hidden=undefined',
        'password/password:password',
        'password/method:submit=password',
        'profile/screen:submit=previous',
      ]);
      expect(messageIds(second)).toEqual([1040009]);
      expect(node(second, 'screen')?.meta.label).toMatchObject({ id: 1040008, text: 'Back' });
    }

    // Back, as Ory Elements' button posts it (no method), and as Kratos's older form did.
    for (const back of [{ screen: 'previous' }, { method: 'profile:back' }]) {
      const answer = await app.registration.submit(flow.id, { ...back, traits: { email, name: { first: 'Ada' } } }, apiRequest(), new Date());
      expect(answer.status).toBe(400);
      const first = answer.body as FlowView;
      expect(shape(first)).toEqual(shape(flow));
      expect(node(first, 'traits.name.first')?.attributes.value).toBe('Ada');
      await profile(flow.id, { email, name: { first: 'Ada' } });
    }
    expect((await store.flows.get(flow.id))?.firstScreen).toEqual({ traits: { email, name: { first: 'Ada' } } });

    const registered = await app.registration.submit(flow.id, { method: 'password', password: PASSWORD, traits: { email, name: { first: 'Ada' } } }, apiRequest(), new Date());
    expect(registered.status).toBe(200);
    expect(registered.body).toMatchObject({ identity: { traits: { email, name: { first: 'Ada' } } }, session_token: expect.stringMatching(/^ory_st_/) });
  });

  it('keeps invalid traits on the first screen, each message on its field', async () => {
    const flow = await app.registration.init(apiRequest(), new Date());
    const missing = await rejection(profile(flow.id, {}));
    expect(messageIds(flowOf(missing))).toEqual(['traits.email:4000002']);
    expect(shape(flowOf(missing))).toEqual(shape(flow));
    expect(messageIds(flowOf(await rejection(profile(flow.id, { email: 'not-an-email' }))))).toEqual(['traits.email:4000040']);
  });

  it('fails a weak password on the credentials screen there, the traits still hidden on it', async () => {
    const email = uniqueEmail();
    const flow = await app.registration.init(apiRequest(), new Date());
    await profile(flow.id, { email });
    const weak = flowOf(await rejection(app.registration.submit(flow.id, { method: 'password', password: 'short', traits: { email } }, apiRequest(), new Date())));
    expect(messageIds(weak)).toEqual(['password:4000032']);
    expect(node(weak, 'traits.email')?.attributes).toMatchObject({ type: 'hidden', value: email });
    // A submit that left the traits out shows the form with the ones the first screen took.
    const bare = flowOf(await rejection(app.registration.submit(flow.id, { method: 'password', password: PASSWORD }, apiRequest(), new Date())));
    expect(node(bare, 'traits.email')?.attributes.value).toBe(email);
  });

  it('still registers a one-step password submit (traits and password) sent to the first screen, as Kratos does', async () => {
    const email = uniqueEmail('one-step');
    const flow = await app.registration.init(apiRequest(), new Date());
    const done = await app.registration.submit(flow.id, { method: 'password', password: PASSWORD, traits: { email } }, apiRequest(), new Date());
    expect(done.body).toMatchObject({ identity: { traits: { email } } });
    // Its failures keep their messages though the screen has no password field (Kratos adds one for the message).
    const other = await app.registration.init(apiRequest(), new Date());
    const weak = flowOf(await rejection(app.registration.submit(other.id, { method: 'password', password: 'short', traits: { email: uniqueEmail() } }, apiRequest(), new Date())));
    expect(messageIds(weak)).toEqual(['password:4000032']);
  });

  it('moves a browser form to its UI (303): the traits, back with `screen=previous` alone, the credential', async () => {
    const email = uniqueEmail('browser');
    const cookie = newCsrfToken();
    const started = await app.registration.initBrowser(browserRequest(cookie), undefined, new Date());
    const flowId = new URL(started.location!).searchParams.get('flow')!;
    const ui = `http://127.0.0.1:4433/ui/registration?flow=${flowId}`;
    expect(await app.registration.submit(flowId, { csrf_token: cookie, method: 'profile', traits: { email } }, browserRequest(cookie), new Date())).toMatchObject({ status: 303, location: ui });
    expect(messageIds(await app.registration.get(flowId, browserRequest(cookie), new Date()))).toEqual([1040009]);
    expect(await app.registration.submit(flowId, { csrf_token: cookie, screen: 'previous', traits: { email } }, browserRequest(cookie), new Date())).toMatchObject({ status: 303, location: ui });
    const back = await app.registration.get(flowId, browserRequest(cookie), new Date());
    expect(node(back, 'traits.email')?.attributes).toMatchObject({ type: 'email', value: email });
    await app.registration.submit(flowId, { csrf_token: cookie, method: 'profile', traits: { email } }, browserRequest(cookie), new Date());
    const done = await app.registration.submit(flowId, { csrf_token: cookie, method: 'password', password: PASSWORD, traits: { email } }, browserRequest(cookie), new Date());
    expect(done).toMatchObject({ status: 303, session: expect.any(Object) });
  });

  it('starts a replacement for an expired flow on the traits screen', async () => {
    const flow = await app.registration.init(apiRequest(), new Date());
    await profile(flow.id, { email: uniqueEmail() });
    const expired = await rejection(app.registration.submit(flow.id, { method: 'password', password: PASSWORD }, apiRequest(), new Date(Date.now() + 2 * 3600_000)));
    expect(await store.flows.get(expired.useFlowId as string)).toMatchObject({ screen: 'profile' });
  });

  it('is one screen with SELFSERVICE_FLOWS_REGISTRATION_STYLE=unified, where `profile` is no registration method (4010003)', async () => {
    const unified = memoryApp({ SELFSERVICE_FLOWS_REGISTRATION_STYLE: 'unified' }).app;
    const flow = await unified.registration.init(apiRequest(), new Date());
    expect(shape(flow)).toEqual(['default/csrf_token:hidden', 'password/traits.email:email', 'password/password:password', 'password/traits.name.first:text', 'password/traits.name.last:text', 'password/method:submit=password']);
    expect(messageIds(flowOf(await rejection(unified.registration.submit(flow.id, { method: 'profile', traits: { email: uniqueEmail() } }, apiRequest(), new Date()))))).toEqual([4010003]);
    const { token } = await register(unified);
    expect(token).toMatch(/^ory_st_/);
  });
});
