/**
 * Login throttling that no one can turn into a lockout of someone else: per identifier and client, per client across
 * identifiers, a ceiling per identifier that a browser known to the identity passes. In-process on the memory store.
 */
import { newCsrfToken } from '../../lib/flows/csrf.js';
import type { FlowRequest } from '../../lib/flows/request.js';
import { apiRequest, browserRequest, lastCodeTo, memoryApp, PASSWORD, register, rejection, uniqueEmail } from '../support/flows.js';

const from = (ipAddress: string, over: Partial<FlowRequest['browser']> = {}): FlowRequest => ({ ...apiRequest({ ipAddress }), browser: { ...apiRequest().browser, ...over } });
const outcome = (promise: Promise<{ status: number }>) => promise.then((answer) => answer.status, (error: { status?: number }) => error.status ?? 0);

describe('login throttling', () => {
  const env = { SELFSERVICE_FLOWS_LOGIN_THROTTLE_MAX_ATTEMPTS: '10', SELFSERVICE_FLOWS_LOGIN_THROTTLE_IDENTIFIER_MAX_ATTEMPTS: '25', SELFSERVICE_FLOWS_LOGIN_THROTTLE_PER_IP_MAX_ATTEMPTS: '30' };

  async function attempt(app: ReturnType<typeof memoryApp>['app'], identifier: string, password: string, request: FlowRequest) {
    const flow = await app.login.init(request, { refresh: false }, new Date());
    return outcome(app.login.submit(flow.id, { method: 'password', identifier, password }, request, new Date()));
  }

  it('refuses the client that failed too often, and no one else: the owner signs in from elsewhere', async () => {
    const { app } = memoryApp(env);
    const { email } = await register(app, uniqueEmail('victim'));
    for (let i = 0; i < 10; i++) expect(await attempt(app, email, `wrong ${i}`, from('198.51.100.1'))).toBe(400);
    expect(await attempt(app, email, PASSWORD, from('198.51.100.1'))).toBe(429);
    expect(await attempt(app, email, PASSWORD, from('203.0.113.7'))).toBe(200);
  });

  it('refuses a client failing across identifiers (password spraying), for every identifier', async () => {
    const { app } = memoryApp(env);
    const { email } = await register(app);
    for (let i = 0; i < 30; i++) expect(await attempt(app, uniqueEmail('sprayed'), 'Summer2026!', from('198.51.100.2'))).toBe(400);
    expect(await attempt(app, email, PASSWORD, from('198.51.100.2'))).toBe(429);
    expect(await attempt(app, email, PASSWORD, from('198.51.100.3'))).toBe(200);
  });

  it('stops guessing spread over many addresses at the ceiling, which a browser that signed in before passes', async () => {
    const { app } = memoryApp(env);
    const { email } = await register(app, uniqueEmail('ceiling'));
    // Signing in once from a browser leaves a device cookie vouching for it.
    const cookie = newCsrfToken();
    const started = await app.login.initBrowser(browserRequest(cookie), { refresh: false }, new Date());
    const flowId = new URL(started.location!).searchParams.get('flow')!;
    const signedIn = await app.login.submit(flowId, { method: 'password', identifier: email, password: PASSWORD, csrf_token: cookie }, browserRequest(cookie), new Date());
    expect(signedIn.device).toHaveLength(1);
    const knownIdentities = signedIn.device!;
    for (let i = 0; i < 25; i++) expect(await attempt(app, email, `wrong ${i}`, from(`192.0.2.${i + 1}`))).toBe(400);
    expect(await attempt(app, email, PASSWORD, from('192.0.2.200'))).toBe(429);
    expect(await attempt(app, email, PASSWORD, from('192.0.2.201', { knownIdentities }))).toBe(200);
  });

  it('forgets the identifier\'s lockouts once the account is recovered', async () => {
    const { app, store } = memoryApp(env);
    const { email } = await register(app, uniqueEmail('recovered'));
    for (let i = 0; i < 10; i++) await attempt(app, email, `wrong ${i}`, from('198.51.100.9'));
    expect(await attempt(app, email, PASSWORD, from('198.51.100.9'))).toBe(429);
    const flow = (await app.recovery.init('api', apiRequest(), undefined, new Date())).body as { id: string };
    await app.recovery.submit(flow.id, { method: 'code', email }, apiRequest(), new Date());
    await app.recovery.submit(flow.id, { method: 'code', code: lastCodeTo(store, email) }, apiRequest(), new Date());
    expect(await attempt(app, email, PASSWORD, from('198.51.100.9'))).toBe(200);
  });

  it('treats unknown identifiers as known ones, and refuses before comparing', async () => {
    const { app } = memoryApp({ SELFSERVICE_FLOWS_LOGIN_THROTTLE_MAX_ATTEMPTS: '2' });
    const { email } = await register(app);
    const statuses = async (identifier: string) => {
      const out: number[] = [];
      for (let i = 0; i < 4; i++) out.push(await attempt(app, identifier, 'wrong one', from('198.51.100.20')));
      return out;
    };
    expect(await statuses(email)).toEqual([400, 400, 429, 429]);
    expect(await statuses(uniqueEmail('nobody'))).toEqual([400, 400, 429, 429]);
    await expect(rejection(app.login.init(from('198.51.100.20'), { refresh: false }, new Date()).then((f) => app.login.submit(f.id, { method: 'password', identifier: email, password: PASSWORD }, from('198.51.100.20'), new Date())))).resolves.toMatchObject({ status: 429, name: 'LoginThrottledError' });
  });
});
