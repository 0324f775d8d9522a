/** The settings flow's branches (password and profile methods), in-process on the memory store. */
import { randomUUID } from 'node:crypto';
import { apiRequest, flowOf, login, memoryApp, messageIds, register, rejection, uniqueEmail } from '../support/flows.js';

describe('settings', () => {
  const { app, store } = memoryApp();
  const HOUR = 3600_000;

  /** A signed-in identity and a settings flow of its session; `at`: when the submit happens. */
  async function signedIn() {
    const registered = await register(app);
    const request = apiRequest({ sessionToken: registered.token });
    const flow = await app.settings.init(request, new Date());
    return { ...registered, request, flow };
  }

  it('renders the profile form, then the password form, as Ory UIs lay them out', async () => {
    const { flow, email } = await signedIn();
    expect(flow.ui.nodes.map((n) => `${n.group}/${n.attributes.name}`)).toEqual([
      'default/csrf_token',
      'profile/traits.email',
      'profile/traits.name.first',
      'profile/traits.name.last',
      'profile/method',
      'password/password',
      'password/method',
    ]);
    expect(flow.ui.nodes[1].attributes.value).toBe(email);
  });

  it('changes the password: the old one stops working, the new one works, a reuse is refused (4000039)', async () => {
    const { flow, request, email } = await signedIn();
    const answer = await app.settings.submit(flow.id, { method: 'password', password: 'a brand new passphrase' }, request, new Date());
    expect(answer.body).toMatchObject({ state: 'success', ui: { messages: [{ id: 1050001 }] } });
    await expect(rejection(login(app, email))).resolves.toMatchObject({ name: 'FlowValidationError' });
    expect((await login(app, email, 'a brand new passphrase')).status).toBe(200);
    const same = await rejection(app.settings.submit(flow.id, { method: 'password', password: 'a brand new passphrase' }, request, new Date()));
    expect(messageIds(flowOf(same))).toEqual(['password:4000039']);
    const missing = await rejection(app.settings.submit(flow.id, { method: 'password' }, request, new Date()));
    expect(messageIds(flowOf(missing))).toEqual(['password:4000002']);
  });

  it('needs a recent login for a credential change, not for other traits', async () => {
    const { identityId, email } = await register(app);
    // A session signed in two hours ago (the privileged age is an hour).
    const issued = app.sessionService.issue((await store.identities.get(identityId))!, {}, new Date(Date.now() - 2 * HOUR));
    await store.commit(store.sessions.add({ ...issued.session, expiresAt: new Date(Date.now() + HOUR) }, issued.tokenHash));
    const request = apiRequest({ sessionToken: issued.token });
    const flow = await app.settings.init(request, new Date());
    const later = new Date();
    await expect(rejection(app.settings.submit(flow.id, { method: 'password', password: 'another new passphrase' }, request, later))).resolves.toMatchObject({
      status: 403,
      id: 'session_refresh_required',
    });
    const renamed = await app.settings.submit(flow.id, { method: 'profile', traits: { email, name: { first: 'Ada' } } }, request, later);
    expect(renamed.body).toMatchObject({ identity: { traits: { email, name: { first: 'Ada' } } } });
    await expect(rejection(app.settings.submit(flow.id, { method: 'profile', traits: { email: uniqueEmail() } }, request, later))).resolves.toMatchObject({
      id: 'session_refresh_required',
    });
  });

  it('moves an identifier with a profile change, refuses a taken one (4000007), and mails a code to the new address', async () => {
    const { flow, request, identityId } = await signedIn();
    const { email: taken } = await register(app);
    const clash = await rejection(app.settings.submit(flow.id, { method: 'profile', traits: { email: taken } }, request, new Date()));
    expect(messageIds(flowOf(clash))).toEqual([4000007]);
    const moved = uniqueEmail('moved');
    await app.settings.submit(flow.id, { method: 'profile', traits: { email: moved } }, request, new Date());
    await expect(store.identities.findIdByIdentifier(moved)).resolves.toBe(identityId);
    expect((await login(app, moved)).status).toBe(200);
    const mailed = [...store.tables.messages.values()].filter((m) => m.recipient === moved);
    expect(mailed.map((m) => m.templateType)).toEqual(['verification_code_valid']);
    // whoami answers with the change at once (the session's copy was refreshed).
    await expect(app.sessionService.whoami(request.sessionToken, new Date())).resolves.toMatchObject({ identity: { traits: { email: moved } } });
  });

  it('validates traits against the schema, and names an unknown or disabled method (4010004)', async () => {
    const { flow, request } = await signedIn();
    const bad = await rejection(app.settings.submit(flow.id, { method: 'profile', traits: { email: 'nope' } }, request, new Date()));
    expect(messageIds(flowOf(bad))).toEqual(['traits.email:4000040']);
    const unknown = await rejection(app.settings.submit(flow.id, { method: 'tarot' }, request, new Date()));
    expect(messageIds(flowOf(unknown))).toEqual([4010004]);
    const noProfile = memoryApp({ SELFSERVICE_METHODS_PROFILE_ENABLED: 'false', SELFSERVICE_FLOWS_REGISTRATION_STYLE: 'unified' }).app;
    const { token } = await register(noProfile);
    const own = await noProfile.settings.init(apiRequest({ sessionToken: token }), new Date());
    expect(own.ui.nodes.map((n) => n.group)).toEqual(['default', 'password', 'password']);
    const off = await rejection(noProfile.settings.submit(own.id, { method: 'profile', traits: {} }, apiRequest({ sessionToken: token }), new Date()));
    expect(messageIds(flowOf(off))).toEqual([4010004]);
  });

  it("refuses a caller without a session (401) and another identity's flow (403)", async () => {
    const { flow } = await signedIn();
    const other = await register(app);
    await expect(rejection(app.settings.init(apiRequest(), new Date()))).resolves.toMatchObject({ status: 401, id: 'session_inactive' });
    await expect(rejection(app.settings.submit(flow.id, { method: 'password', password: 'x' }, apiRequest(), new Date()))).resolves.toMatchObject({ status: 401 });
    await expect(rejection(app.settings.submit(flow.id, { method: 'password', password: 'x' }, apiRequest({ sessionToken: other.token }), new Date()))).resolves.toMatchObject({ status: 403 });
    await expect(rejection(app.settings.get(randomUUID(), apiRequest({ sessionToken: other.token }), new Date()))).resolves.toMatchObject({ status: 404 });
  });
});


describe('other sessions after a credential change', () => {
  it('end when the password changes (revoke_active_sessions, on by default); the session that changed it stays', async () => {
    const { app } = memoryApp();
    const { email, token: first } = await register(app);
    const second = ((await login(app, email)).body as { session_token: string }).session_token;
    const request = apiRequest({ sessionToken: second });
    const flow = await app.settings.init(request, new Date());
    // A profile change ends nothing.
    await app.settings.submit(flow.id, { method: 'profile', traits: { email, name: { first: 'Ada' } } }, request, new Date());
    await expect(app.sessionService.findActive(first, new Date())).resolves.toBeDefined();
    await app.settings.submit(flow.id, { method: 'password', password: 'an entirely new passphrase' }, request, new Date());
    await expect(app.sessionService.findActive(first, new Date())).resolves.toBeUndefined();
    await expect(app.sessionService.findActive(second, new Date())).resolves.toBeDefined();
  });

  it('stay when the operator configures no hook there, as in Kratos', async () => {
    const { app } = memoryApp({ SELFSERVICE_FLOWS_SETTINGS_AFTER_PASSWORD_HOOKS: '[]' });
    const { email, token: first } = await register(app);
    const second = ((await login(app, email)).body as { session_token: string }).session_token;
    const request = apiRequest({ sessionToken: second });
    const flow = await app.settings.init(request, new Date());
    await app.settings.submit(flow.id, { method: 'password', password: 'an entirely new passphrase' }, request, new Date());
    await expect(app.sessionService.findActive(first, new Date())).resolves.toBeDefined();
  });
});
