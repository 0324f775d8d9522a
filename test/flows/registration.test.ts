/** The registration flow's branches, and its after hooks, in-process on the memory store. */
import { newCsrfToken } from '../../lib/flows/csrf.js';
import { apiRequest, browserRequest, flowOf, memoryApp, messageIds, PASSWORD, register, rejection, uniqueEmail } from '../support/flows.js';

describe('registration', () => {
  const { app, store } = memoryApp();
  const submit = async (body: Record<string, unknown>, request = apiRequest()) => {
    const flow = await app.registration.init(request, new Date());
    return app.registration.submit(flow.id, body, request, new Date());
  };

  it("creates the identity with Kratos's quickstart hooks: signed in, its address sent a code, show_verification_ui next", async () => {
    const email = uniqueEmail('new');
    const answer = await submit({ method: 'password', password: PASSWORD, traits: { email } });
    const body = answer.body as { session_token: string; session: { authentication_methods: unknown[] }; identity: Record<string, unknown>; continue_with: Record<string, unknown>[] };
    expect(body.identity).toMatchObject({ traits: { email }, verifiable_addresses: [{ value: email, status: 'sent', verified: false }] });
    expect(body.session.authentication_methods).toEqual([{ method: 'password', aal: 'aal1', completed_at: expect.any(String) }]);
    expect(body.continue_with.map((c) => c.action)).toEqual(['set_ory_session_token', 'show_verification_ui']);
    const verification = body.continue_with[1].flow as { id: string; verifiable_address: string };
    expect(verification.verifiable_address).toBe(email);
    await expect(store.flows.get(verification.id)).resolves.toMatchObject({ type: 'verification', state: 'sent_email' });
    expect([...store.tables.messages.values()].filter((m) => m.recipient === email).map((m) => m.templateType)).toEqual(['verification_code_valid']);
  });

  it('puts every reason a submit fails on its node or the flow, and echoes the traits', async () => {
    const missing = await rejection(submit({ method: 'password', traits: { email: 'not-an-email' } }));
    expect(messageIds(flowOf(missing))).toEqual(['traits.email:4000040', 'password:4000002']);
    expect(flowOf(missing).ui.nodes.find((n) => n.attributes.name === 'traits.email')?.attributes.value).toBe('not-an-email');
    const weak = await rejection(submit({ method: 'password', password: 'short', traits: { email: uniqueEmail() } }));
    expect(messageIds(flowOf(weak))).toEqual(['password:4000032']);
    const unknown = await rejection(submit({ method: 'smoke-signals', traits: { email: uniqueEmail() } }));
    expect(messageIds(flowOf(unknown))).toEqual([4010003]);
    const { email } = await register(app);
    const taken = await rejection(submit({ method: 'password', password: PASSWORD, traits: { email: email.toUpperCase() } }));
    expect(messageIds(flowOf(taken))).toEqual([4000007]);
  });

  it('is single use, refuses a signed-in caller, and takes only selectable identity schemas', async () => {
    const flow = await app.registration.init(apiRequest(), new Date());
    await app.registration.submit(flow.id, { method: 'password', password: PASSWORD, traits: { email: uniqueEmail() } }, apiRequest(), new Date());
    const again = await rejection(app.registration.submit(flow.id, { method: 'password', password: PASSWORD, traits: { email: uniqueEmail() } }, apiRequest(), new Date()));
    expect(messageIds(flowOf(again))).toEqual([4040002]);
    const { token } = await register(app);
    await expect(app.registration.init(apiRequest({ sessionToken: token }), new Date())).rejects.toMatchObject({ id: 'session_already_available' });
    await expect(app.registration.init(apiRequest(), new Date(), 'nope')).rejects.toMatchObject({ status: 400 });
  });

  it('sends a browser form post on to the verification UI with the session cookie', async () => {
    const cookie = newCsrfToken();
    const started = await app.registration.initBrowser(browserRequest(cookie), undefined, new Date());
    const flowId = new URL(started.location!).searchParams.get('flow')!;
    const answer = await app.registration.submit(flowId, { method: 'password', password: PASSWORD, traits: { email: uniqueEmail() }, csrf_token: cookie }, browserRequest(cookie), new Date());
    expect(answer).toMatchObject({ status: 303, session: { token: expect.any(String) } });
    expect(answer.location).toMatch(/^http:\/\/127\.0\.0\.1:4433\/ui\/verification\?flow=/);
  });

  it("follows the configured hooks: a method's own list replaces the flow's; without `session` nobody is signed in", async () => {
    const noSession = memoryApp({ SELFSERVICE_FLOWS_REGISTRATION_AFTER_PASSWORD_HOOKS: '[]' });
    const flow = await noSession.app.registration.init(apiRequest(), new Date());
    const answer = await noSession.app.registration.submit(flow.id, { method: 'password', password: PASSWORD, traits: { email: uniqueEmail() } }, apiRequest(), new Date());
    const body = answer.body as Record<string, unknown>;
    expect(body.session_token).toBeUndefined();
    expect(body.session).toBeUndefined();
    // The verifier runs whenever verification is on, whatever the lists say (as Kratos).
    expect((body.continue_with as { action: string }[]).map((c) => c.action)).toEqual(['show_verification_ui']);
    expect(noSession.store.tables.sessions.size).toBe(0);

    // Indexed form, session only: a browser goes straight where it was going.
    const sessionOnly = memoryApp({ SELFSERVICE_FLOWS_REGISTRATION_AFTER_HOOKS_0_HOOK: 'session', SELFSERVICE_FLOWS_VERIFICATION_ENABLED: 'false' });
    const cookie = newCsrfToken();
    const started = await sessionOnly.app.registration.initBrowser(browserRequest(cookie), undefined, new Date());
    const flowId = new URL(started.location!).searchParams.get('flow')!;
    const done = await sessionOnly.app.registration.submit(flowId, { method: 'password', password: PASSWORD, traits: { email: uniqueEmail() }, csrf_token: cookie }, browserRequest(cookie), new Date());
    expect(done).toMatchObject({ status: 303, location: 'http://127.0.0.1:4433/ui/welcome', session: expect.any(Object) });
    expect(sessionOnly.store.tables.messages.size).toBe(0);
  });
});
