/** Browser logout's branches, in-process on the memory store. */
import { browserRequest, memoryApp, register, rejection } from '../support/flows.js';

describe('browser logout', () => {
  const { app } = memoryApp();

  it('hands a signed-in browser its logout URL, and logs it out only with the token of its own session', async () => {
    const { token } = await register(app);
    await expect(rejection(app.logout.create(browserRequest(undefined, { json: true }), undefined, new Date()))).resolves.toMatchObject({ status: 401 });
    const made = await app.logout.create(browserRequest(undefined, { json: true, sessionToken: token }), 'http://127.0.0.1:4433/ui/login', new Date());
    const { logout_url: url, logout_token: logoutToken } = made.body as { logout_url: string; logout_token: string };
    expect(new URL(url).searchParams.get('token')).toBe(logoutToken);

    const other = await register(app);
    await expect(rejection(app.logout.perform(browserRequest(undefined, { json: true, sessionToken: other.token }), logoutToken, undefined, new Date()))).resolves.toMatchObject({ status: 403 });
    await expect(rejection(app.logout.perform(browserRequest(undefined, { json: true, sessionToken: token }), undefined, undefined, new Date()))).resolves.toMatchObject({ status: 400 });
    const done = await app.logout.perform(browserRequest(undefined, { sessionToken: token }), logoutToken, 'http://127.0.0.1:4433/ui/login', new Date());
    expect(done).toMatchObject({ status: 303, location: 'http://127.0.0.1:4433/ui/login', clearSession: true, csrfToken: expect.any(String) });
    await expect(app.sessionService.findActive(token, new Date())).resolves.toBeUndefined();
    await expect(app.sessionService.findActive(other.token, new Date())).resolves.toBeDefined();
  });
});
