/**
 * What Ory Elements (`@ory/elements-react`) needs of the flows, in-process: it tells a recovery or verification form's
 * state from the flow's `active` (Kratos sets it when it makes the flow), it sends `email: ""` with every recovery
 * code (Kratos takes an empty e-mail as none), and it starts settings without a session expecting to come back.
 * Elements' browser flows are JSON requests with the anti-CSRF cookie and token.
 */
import { apiRequest, browserRequest, flowOf, lastCodeTo, memoryApp, messageIds, register, rejection } from '../support/flows.js';
import { newCsrfToken } from '../../lib/flows/csrf.js';
import type { FlowView } from '../../lib/flows/model.js';

const nodeValue = (flow: FlowView, name: string) => flow.ui.nodes.find((n) => n.attributes.name === name)?.attributes.value;

describe('recovery and verification flows as Ory Elements reads them', () => {
  const { app, store } = memoryApp({ SELFSERVICE_METHODS_CODE_CONFIG_MAX_SUBMISSIONS: '2' });

  it('are `active: "code"` from the start, replacements included', async () => {
    for (const flows of [app.recovery, app.verification]) {
      const api = (await flows.init('api', apiRequest(), undefined, new Date())).body as FlowView;
      expect(api).toMatchObject({ state: 'choose_method', active: 'code' });
      const cookie = newCsrfToken();
      const browser = (await flows.init('browser', browserRequest(cookie, { json: true }), undefined, new Date())).body as FlowView;
      expect(browser).toMatchObject({ state: 'choose_method', active: 'code' });
      // Expired: the replacement is for the same method.
      const expired = await rejection(flows.submit(api.id, { method: 'code', email: 'a@example.com' }, apiRequest(), new Date(Date.now() + 2 * 3600_000)));
      expect(expired).toMatchObject({ id: 'self_service_flow_expired' });
      expect(await store.flows.get(expired.useFlowId as string)).toMatchObject({ active: 'code' });
    }
    // Too many codes: the replacement too.
    const { email } = await register(app);
    const flow = (await app.recovery.init('api', apiRequest(), undefined, new Date())).body as FlowView;
    await app.recovery.submit(flow.id, { method: 'code', email }, apiRequest(), new Date());
    for (let i = 0; i < 2; i++) await app.recovery.submit(flow.id, { method: 'code', code: '000000', email: '' }, apiRequest(), new Date());
    const tooMany = await rejection(app.recovery.submit(flow.id, { method: 'code', code: '000000', email: '' }, apiRequest(), new Date()));
    const replacement = (tooMany.details as { continue_with: { flow: { id: string } }[] }).continue_with[0].flow.id;
    expect(await store.flows.get(replacement)).toMatchObject({ state: 'choose_method', active: 'code' });
  });

  it('recover with `email: ""` beside the code: a wrong code is refused (4060006), the right one recovers, a spent one is refused again', async () => {
    const { email } = await register(app);
    const cookie = newCsrfToken();
    const request = browserRequest(cookie, { json: true });
    const flow = (await app.recovery.init('browser', request, undefined, new Date())).body as FlowView;
    const sent = flowOf(await app.recovery.submit(flow.id, { csrf_token: cookie, email, method: 'code' }, request, new Date()));
    expect(sent).toMatchObject({ state: 'sent_email', active: 'code' });
    const right = lastCodeTo(store, email);
    const wrong = right === '000000' ? '111111' : '000000';

    const refused = await app.recovery.submit(flow.id, { csrf_token: cookie, code: wrong, method: 'code', email: '' }, request, new Date());
    expect(refused.status).toBe(200);
    expect(messageIds(flowOf(refused))).toEqual([4060006]);
    // No second code went out: the empty e-mail asked for none.
    expect(lastCodeTo(store, email)).toBe(right);

    const done = await app.recovery.submit(flow.id, { csrf_token: cookie, code: right, method: 'code', email: '' }, request, new Date());
    const body = done.body as { state: string; continue_with: { action: string; flow: { url: string } }[] };
    expect(done.status).toBe(200);
    expect(body.state).toBe('passed_challenge');
    expect(body.continue_with).toEqual([{ action: 'show_settings_ui', flow: { id: expect.any(String), url: expect.stringMatching(/\/ui\/settings\?flow=/) } }]);
    expect(done.session).toBeDefined();

    // The flow is done: the same submit again is a code that no longer works, as Kratos answers it.
    const again = await app.recovery.submit(flow.id, { csrf_token: cookie, code: right, method: 'code', email: '' }, request, new Date());
    expect(messageIds(flowOf(again))).toEqual([4060006]);
  });

  it('ask for the address when the e-mail is empty and there is no code yet', async () => {
    const flow = (await app.recovery.init('api', apiRequest(), undefined, new Date())).body as FlowView;
    expect(messageIds(flowOf(await rejection(app.recovery.submit(flow.id, { method: 'code', email: '' }, apiRequest(), new Date()))))).toEqual(['email:4000002']);
  });

  it('verify a standalone flow with the shapes Elements sends: the address, then the code (with or without the address beside it)', async () => {
    const { email } = await register(app);
    for (const beside of [{}, { email }]) {
      const cookie = newCsrfToken();
      const request = browserRequest(cookie, { json: true });
      const flow = (await app.verification.init('browser', request, undefined, new Date())).body as FlowView;
      const sent = flowOf(await app.verification.submit(flow.id, { csrf_token: cookie, email, method: 'code' }, request, new Date()));
      expect(sent).toMatchObject({ state: 'sent_email', active: 'code' });
      expect(nodeValue(sent, 'email')).toBe(email);
      const verified = flowOf(await app.verification.submit(flow.id, { csrf_token: cookie, code: lastCodeTo(store, email), method: 'code', ...beside }, request, new Date()));
      expect(verified).toMatchObject({ state: 'passed_challenge', active: 'code' });
      expect(messageIds(verified)).toEqual([1080002]);
    }
  });

  it('take a code before any was sent as a wrong one (verification checks a code first, as Kratos)', async () => {
    const flow = (await app.verification.init('api', apiRequest(), undefined, new Date())).body as FlowView;
    expect(messageIds(flowOf(await app.verification.submit(flow.id, { method: 'code', code: '123456' }, apiRequest(), new Date())))).toEqual([4070006]);
  });
});

describe('settings started in a browser without a session', () => {
  const { app } = memoryApp({ SELFSERVICE_ALLOWED_RETURN_URLS: 'https://app.example.com/' });

  it('goes to the login flow, handing on return_to so that the browser comes back (Kratos), or 401 for JSON', async () => {
    const cookie = newCsrfToken();
    const back = 'https://app.example.com/settings';
    const answer = await app.settings.initBrowser(browserRequest(cookie), back, new Date());
    expect(answer).toMatchObject({ status: 303, location: `http://127.0.0.1:4433/self-service/login/browser?return_to=${encodeURIComponent(back)}` });
    expect((await app.settings.initBrowser(browserRequest(cookie), undefined, new Date())).location).toBe('http://127.0.0.1:4433/self-service/login/browser');
    await expect(rejection(app.settings.initBrowser(browserRequest(cookie, { json: true }), back, new Date()))).resolves.toMatchObject({ status: 401, id: 'session_inactive' });
    // The login flow takes the return_to over, checked against the allow list there.
    const login = await app.login.initBrowser(browserRequest(cookie, { json: true }), { refresh: false, returnTo: back }, new Date());
    expect(login.body).toMatchObject({ return_to: back });
  });
});
