/** Bounded input: what is too long to be an identifier, an address or traits is refused before any work. */
import { apiRequest, browserRequest, flowOf, memoryApp, messageIds, PASSWORD, register, rejection } from '../support/flows.js';
import { newCsrfToken } from '../../lib/flows/csrf.js';

const longAddress = (bytes: number) => `${'a'.repeat(bytes - '@example.com'.length)}@example.com`;

describe('bounded input', () => {
  const { app, store } = memoryApp();

  it('refuses a login identifier over 320 bytes on its node, before any attempt is counted or compared', async () => {
    const flow = await app.login.init(apiRequest(), { refresh: false }, new Date());
    const failed = await rejection(app.login.submit(flow.id, { method: 'password', identifier: longAddress(321), password: PASSWORD }, apiRequest(), new Date()));
    expect(messageIds(flowOf(failed))).toEqual(['identifier:4000017']);
    expect(flowOf(failed).ui.nodes.find((n) => n.attributes.name === 'identifier')!.messages[0]).toMatchObject({ context: { max_length: 320, actual_length: 321 } });
    expect(store.tables.throttle.size).toBe(0);
    // 320 bytes is an identifier like any other (nobody's: the usual answer).
    const allowed = await rejection(app.login.submit(flow.id, { method: 'password', identifier: longAddress(320), password: PASSWORD }, apiRequest(), new Date()));
    expect(messageIds(flowOf(allowed))).toEqual([4000006]);
  });

  it('refuses an identifier trait over 320 bytes at registration, and traits over 64 KiB, before validating them', async () => {
    const register = async (traits: unknown) => {
      const flow = await app.registration.init(apiRequest(), new Date());
      return rejection(app.registration.submit(flow.id, { method: 'password', password: PASSWORD, traits }, apiRequest(), new Date()));
    };
    expect(messageIds(flowOf(await register({ email: longAddress(900 * 1024) })))).toEqual(['traits.email:4000017']);
    expect(messageIds(flowOf(await register({ email: 'ok@example.com', name: { first: 'x'.repeat(70 * 1024) } })))).toEqual([4000001]);
    expect(store.tables.identities.size).toBe(0);
  });

  it('refuses the same in settings, for recovery and verification addresses, and through the admin API', async () => {
    const { token, identityId } = await register(app);
    const request = apiRequest({ sessionToken: token });
    const flow = await app.settings.init(request, new Date());
    const settings = await rejection(app.settings.submit(flow.id, { method: 'profile', traits: { email: longAddress(321) } }, request, new Date()));
    expect(messageIds(flowOf(settings))).toEqual(['traits.email:4000017']);
    for (const kind of ['recovery', 'verification'] as const) {
      const started = (await app[kind].init('api', apiRequest(), undefined, new Date())).body as { id: string };
      const refused = await rejection(app[kind].submit(started.id, { method: 'code', email: longAddress(2049) }, apiRequest(), new Date()));
      expect(messageIds(flowOf(refused))).toEqual(['email:4000017']);
    }
    await expect(rejection(app.identityAdmin.create({ schema_id: 'default', traits: { email: longAddress(321) } }, new Date()))).resolves.toMatchObject({ status: 400 });
    await expect(app.identityAdmin.list({ pageSize: 10, credentialsIdentifier: longAddress(5000), withCredentials: false })).resolves.toEqual({ items: [] });
    await expect(app.identityAdmin.get(identityId, false)).resolves.toMatchObject({ id: identityId });
  });

  it("keeps no huge value on a browser flow it saves for the UI", async () => {
    const cookie = newCsrfToken();
    const started = await app.login.initBrowser(browserRequest(cookie), { refresh: false }, new Date());
    const flowId = new URL(started.location!).searchParams.get('flow')!;
    const answer = await app.login.submit(flowId, { method: 'password', identifier: longAddress(500_000), password: PASSWORD, csrf_token: cookie }, browserRequest(cookie), new Date());
    expect(answer.status).toBe(303);
    const saved = (await store.flows.get(flowId))!.ui!;
    expect(saved.nodeMessages.identifier.map((m) => m.id)).toEqual([4000017]);
    expect(JSON.stringify(saved).length).toBeLessThan(1000);
  });
});
