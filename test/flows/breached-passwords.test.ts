/** New passwords looked up in a (local) Have I Been Pwned range API, as Kratos does by default. */
import { apiRequest, flowOf, login, memoryApp, messageIds, register, rejection, uniqueEmail } from '../support/flows.js';
import { startRangeServer, type RangeServer } from '../support/pwned.js';

const BREACHED = 'breached passphrase 2024';
let range: RangeServer;

beforeAll(async () => {
  range = await startRangeServer({ [BREACHED]: 3 });
});
afterAll(() => range.close());

const appWith = (env: Record<string, string> = {}) =>
  memoryApp({
    SELFSERVICE_METHODS_PASSWORD_CONFIG_HAVEIBEENPWNED_ENABLED: 'true',
    SELFSERVICE_METHODS_PASSWORD_CONFIG_HAVEIBEENPWNED_HOST: range.baseUrl,
    ...env,
  });

describe('breached passwords', () => {
  it('refuses a breached password at registration (4000034 on the password node), keeps the traits, stores nothing', async () => {
    const { app, store } = appWith();
    const email = uniqueEmail('breached');
    const flow = await app.registration.init(apiRequest(), new Date());
    const refused = await rejection(app.registration.submit(flow.id, { method: 'password', password: BREACHED, traits: { email } }, apiRequest(), new Date()));
    const view = flowOf(refused);
    expect(messageIds(view)).toEqual(['password:4000034']);
    expect(view.ui.nodes.find((n) => n.attributes.name === 'password')?.messages[0].context).toEqual({ breaches: 3 });
    expect(view.ui.nodes.find((n) => n.attributes.name === 'traits.email')?.attributes.value).toBe(email);
    expect(JSON.stringify(view)).not.toContain(BREACHED);
    expect(store.tables.identities.size).toBe(0);
    // The same flow goes on with a password that is not in the corpus.
    const answer = await app.registration.submit(flow.id, { method: 'password', password: 'an unlisted passphrase', traits: { email } }, apiRequest(), new Date());
    expect(answer.status).toBe(200);
  });

  it('refuses a breached password as the new one in settings; signing in with an old password is never looked up', async () => {
    const { app } = appWith();
    const { token, email } = await register(app);
    const request = apiRequest({ sessionToken: token });
    const flow = await app.settings.init(request, new Date());
    const refused = await rejection(app.settings.submit(flow.id, { method: 'password', password: BREACHED }, request, new Date()));
    expect(messageIds(flowOf(refused))).toEqual(['password:4000034']);
    const asked = range.requests.length;
    expect((await login(app, email)).status).toBe(200);
    expect(range.requests).toHaveLength(asked);
  });

  it('allows MAX_BREACHES appearances, and nothing is looked up with the check off', async () => {
    const lenient = appWith({ SELFSERVICE_METHODS_PASSWORD_CONFIG_MAX_BREACHES: '3' });
    expect((await register(lenient.app, uniqueEmail(), BREACHED)).token).toMatch(/^ory_st_/);
    const asked = range.requests.length;
    const off = appWith({ SELFSERVICE_METHODS_PASSWORD_CONFIG_HAVEIBEENPWNED_ENABLED: 'false' });
    expect((await register(off.app, uniqueEmail(), BREACHED)).token).toMatch(/^ory_st_/);
    expect(range.requests).toHaveLength(asked);
  });

  it('with the range API down: registers anyway by default, refuses (4000005) with IGNORE_NETWORK_ERRORS off', async () => {
    range.failWith(502);
    try {
      const { app } = appWith();
      expect((await register(app, uniqueEmail(), BREACHED)).token).toMatch(/^ory_st_/);
      const strict = appWith({ SELFSERVICE_METHODS_PASSWORD_CONFIG_IGNORE_NETWORK_ERRORS: 'false' });
      const flow = await strict.app.registration.init(apiRequest(), new Date());
      const refused = await rejection(strict.app.registration.submit(flow.id, { method: 'password', password: 'an unlisted passphrase', traits: { email: uniqueEmail() } }, apiRequest(), new Date()));
      expect(messageIds(flowOf(refused))).toEqual(['password:4000005']);
    } finally {
      range.failWith(undefined);
    }
  });
});
