/** Recovery and verification by code, every branch, in-process on the memory store. */
import { randomUUID } from 'node:crypto';
import { newCsrfToken } from '../../lib/flows/csrf.js';
import { apiRequest, browserRequest, flowOf, lastCodeTo, login, memoryApp, messageIds, register, rejection, uniqueEmail } from '../support/flows.js';

describe('recovery by code', () => {
  const { app, store } = memoryApp({ SELFSERVICE_METHODS_CODE_CONFIG_LIFESPAN: '15m' });
  const start = async () => (await app.recovery.init('api', apiRequest(), undefined, new Date())).body as { id: string };
  const send = (flowId: string, email: string) => app.recovery.submit(flowId, { method: 'code', email }, apiRequest(), new Date());
  const code = (flowId: string, value: string) => app.recovery.submit(flowId, { method: 'code', code: value }, apiRequest(), new Date());

  it('answers a known and an unknown address alike, and mails only the known one', async () => {
    const { email } = await register(app);
    const known = await send((await start()).id, email);
    const unknownAddress = uniqueEmail('nobody');
    const unknown = await send((await start()).id, unknownAddress);
    // All but the ids, the times and the address the resend button carries.
    const shape = (answer: { body?: unknown }) => {
      const { id: _, expires_at: __, issued_at: ___, ui, ...rest } = answer.body as Record<string, unknown> & { ui: { action: string; nodes: { attributes: Record<string, unknown> }[] } };
      const nodes = ui.nodes.map((n) => (n.attributes.name === 'email' ? { ...n, attributes: { ...n.attributes, value: 'the address' } } : n));
      return { ...rest, ui: { ...ui, action: undefined, nodes } };
    };
    expect(shape(unknown)).toEqual(shape(known));
    expect(messageIds(flowOf(known))).toEqual([1060003]);
    expect([...store.tables.messages.values()].some((m) => m.recipient === unknownAddress)).toBe(false);
    expect(lastCodeTo(store, email)).toMatch(/^\d{6}$/);
  });

  it('recovers with the right code: a privileged session (code_recovery), a settings flow, the address verified, other sessions ended', async () => {
    const { email, identityId, token } = await register(app);
    const flow = await start();
    await send(flow.id, email);
    const answer = await code(flow.id, lastCodeTo(store, email));
    const body = answer.body as { state: string; continue_with: { action: string; ory_session_token?: string; flow?: { id: string } }[] };
    expect(body.state).toBe('passed_challenge');
    expect(body.continue_with.map((c) => c.action)).toEqual(['set_ory_session_token', 'show_settings_ui']);
    const session = await app.sessionService.whoami(body.continue_with[0].ory_session_token, new Date());
    expect(session.amr.map((m) => m.method)).toEqual(['code_recovery']);
    const settings = await store.flows.get(body.continue_with[1].flow!.id);
    expect(settings).toMatchObject({ type: 'settings', identityId, messages: [{ id: 1060001 }] });
    const identity = await store.identities.get(identityId);
    expect(identity?.verifiableAddresses?.[0]).toMatchObject({ verified: true, status: 'completed' });
    // Every other session of the identity ended (revoke_active_sessions, on by default for recovery).
    await expect(app.sessionService.findActive(token, new Date())).resolves.toBeUndefined();
    // The code is spent; so is the flow (an address is refused, a code answered as invalid).
    expect(messageIds(flowOf(await code(flow.id, lastCodeTo(store, email))))).toEqual([4060006]);
    expect(messageIds(flowOf(await rejection(send(flow.id, email))))).toEqual([4060001]);
  });

  it('says a wrong or expired code is invalid (4060006), and replaces a flow after too many submissions', async () => {
    const { email } = await register(app);
    const flow = await start();
    await send(flow.id, email);
    const right = lastCodeTo(store, email);
    const wrong = right === '000000' ? '111111' : '000000';
    expect(messageIds(flowOf(await code(flow.id, wrong)))).toEqual([4060006]);
    expect(messageIds(flowOf(await code(flow.id, '')))).toEqual([4060006]); // an empty code counts
    for (let i = 0; i < 3; i++) await code(flow.id, wrong);
    const tooMany = await rejection(code(flow.id, right));
    expect(tooMany).toMatchObject({ status: 400, details: { continue_with: [{ action: 'show_recovery_ui', flow: { id: expect.any(String) } }] } });
    const replacement = await store.flows.get((tooMany.details as { continue_with: { flow: { id: string } }[] }).continue_with[0].flow.id);
    expect(replacement?.messages?.map((m) => m.id)).toEqual([4000001]);

    const late = await start();
    await send(late.id, email);
    const expired = await app.recovery.submit(late.id, { method: 'code', code: lastCodeTo(store, email) }, apiRequest(), new Date(Date.now() + 16 * 60_000));
    expect(messageIds(flowOf(expired))).toEqual([4060006]);
  });

  it('refuses a bad address, an unknown method, a signed-in caller, and everything when disabled', async () => {
    const flow = await start();
    expect(messageIds(flowOf(await rejection(send(flow.id, ''))))).toEqual(['email:4000002']);
    expect(messageIds(flowOf(await rejection(send(flow.id, 'not an address'))))).toEqual(['email:4000040']);
    expect(messageIds(flowOf(await rejection(app.recovery.submit(flow.id, { method: 'link', email: 'a@b.c' }, apiRequest(), new Date()))))).toEqual([4010005]);
    const { token } = await register(app);
    await expect(rejection(app.recovery.init('api', apiRequest({ sessionToken: token }), undefined, new Date()))).resolves.toMatchObject({ id: 'session_already_available' });
    const off = memoryApp({ SELFSERVICE_FLOWS_RECOVERY_ENABLED: 'false' }).app;
    await expect(rejection(off.recovery.init('api', apiRequest(), undefined, new Date()))).resolves.toMatchObject({ status: 400 });
  });

  it("opens the admin's recovery link in a browser that never saw the flow, and takes the admin's code", async () => {
    const { identityId } = await register(app);
    const made = await app.recoveryCodeAdmin.create({ identity_id: identityId }, new Date());
    const flowId = new URL(made.recovery_link).searchParams.get('flow')!;
    const cookie = newCsrfToken();
    const opened = await app.recovery.link(flowId, undefined, browserRequest(cookie), new Date());
    expect(opened).toMatchObject({ status: 303, location: `http://127.0.0.1:4433/ui/recovery?flow=${flowId}` });
    const done = await app.recovery.submit(flowId, { method: 'code', code: made.recovery_code, csrf_token: cookie }, browserRequest(cookie), new Date());
    expect(done).toMatchObject({ status: 303, session: expect.any(Object) });
    expect(done.location).toMatch(/\/ui\/settings\?flow=/);
    await expect(rejection(app.recoveryCodeAdmin.create({ identity_id: randomUUID() }, new Date()))).resolves.toMatchObject({ status: 404 });
    await expect(rejection(app.recoveryCodeAdmin.create({ identity_id: identityId, expires_in: '9000h' }, new Date()))).resolves.toMatchObject({ status: 400 });
  });
});

describe('verification by code', () => {
  const { app, store } = memoryApp();

  it('verifies the address registration sent a code to; a second submit finds the flow replaced (410)', async () => {
    const { email, identityId, token, body } = await register(app);
    const flowId = (body.continue_with[1].flow as { id: string }).id;
    const wrong = await app.verification.submit(flowId, { method: 'code', code: '000000' === lastCodeTo(store, email) ? '111111' : '000000' }, apiRequest(), new Date());
    expect(messageIds(flowOf(wrong))).toEqual([4070006]);
    const done = await app.verification.submit(flowId, { method: 'code', code: lastCodeTo(store, email) }, apiRequest(), new Date());
    expect(done.body).toMatchObject({ state: 'passed_challenge', ui: { messages: [{ id: 1080002 }] } });
    const identity = await store.identities.get(identityId);
    expect(identity?.verifiableAddresses?.[0]).toMatchObject({ value: email, verified: true, status: 'completed' });
    // The session's copy shows it at once.
    await expect(app.sessionService.whoami(token, new Date())).resolves.toMatchObject({ identity: { verifiableAddresses: [{ verified: true }] } });
    await expect(rejection(app.verification.submit(flowId, { method: 'code', code: '123456' }, apiRequest(), new Date()))).resolves.toMatchObject({
      status: 410,
      id: 'self_service_flow_replaced',
    });
  });

  it('starts standalone: an address gets a code, an empty code asks for the address, an unknown method is named', async () => {
    const { email } = await register(app);
    const flow = (await app.verification.init('api', apiRequest(), undefined, new Date())).body as { id: string };
    expect(messageIds(flowOf(await rejection(app.verification.submit(flow.id, { method: 'code', code: '' }, apiRequest(), new Date()))))).toEqual(['email:4000002']);
    const sent = await app.verification.submit(flow.id, { method: 'code', email }, apiRequest(), new Date());
    expect(messageIds(flowOf(sent))).toEqual([1080003]);
    expect(messageIds(flowOf(await rejection(app.verification.submit(flow.id, { method: 'carrier-pigeon' }, apiRequest(), new Date()))))).toEqual([4010006]);
    const verified = await app.verification.submit(flow.id, { method: 'code', code: lastCodeTo(store, email) }, apiRequest(), new Date());
    expect((verified.body as { state: string }).state).toBe('passed_challenge');
    expect((await login(app, email)).status).toBe(200);
  });
});

describe('links into a flow', () => {
  const { app, store } = memoryApp();

  it("hand a recovery flow only to the browser that made it: another browser starts anew, and no code is filled in", async () => {
    const { email } = await register(app);
    const owner = newCsrfToken();
    const started = await app.recovery.init('browser', browserRequest(owner), undefined, new Date());
    const flowId = new URL(started.location!).searchParams.get('flow')!;
    await app.recovery.submit(flowId, { method: 'code', email, csrf_token: owner }, browserRequest(owner), new Date());
    const code = lastCodeTo(store, email);
    const before = await store.flows.get(flowId);
    const stranger = await app.recovery.link(flowId, code, browserRequest(newCsrfToken()), new Date());
    expect(stranger).toMatchObject({ status: 303, location: 'http://127.0.0.1:4433/self-service/recovery/browser' });
    expect(stranger.csrfToken).toBeUndefined();
    const after = await store.flows.get(flowId);
    expect(after?.csrfToken).toBe(before?.csrfToken);
    expect(after?.ui?.values.code).toBeUndefined();
    // Its own browser is sent to it, still without the code filled in by a link.
    expect(await app.recovery.link(flowId, code, browserRequest(owner), new Date())).toMatchObject({ location: `http://127.0.0.1:4433/ui/recovery?flow=${flowId}` });
    expect((await store.flows.get(flowId))?.ui?.values.code).toBeUndefined();
  });

  it('hand a verification flow to whoever opens the mailed link, the code filled in (as Kratos: the code is the proof)', async () => {
    const { email, body } = await register(app);
    const flowId = (body.continue_with[1].flow as { id: string }).id;
    const opened = await app.verification.link(flowId, lastCodeTo(store, email), browserRequest(), new Date());
    expect(opened).toMatchObject({ status: 303, location: `http://127.0.0.1:4433/ui/verification?flow=${flowId}` });
    expect((await store.flows.get(flowId))?.ui?.values.code).toBe(lastCodeTo(store, email));
  });
});
