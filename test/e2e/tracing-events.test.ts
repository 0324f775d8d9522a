/**
 * What Kratos attaches to its spans, through serverless-offline and decoded from the Jaeger agent's wire format:
 * its span events (names and attribute keys of `x/events/events.go`, in Kratos's order) for every flow, the root
 * span's OpenTelemetry HTTP attributes, X-Ray joins, and no personal data or secret anywhere.
 */
import type { RunningOffline } from '../../scripts/local-stack.js';
import { TEST_ENV } from '../support/env.js';
import { type Answer, call, GOOD_PASSWORD, registerVia, uniqueEmail } from '../support/http.js';
import { startJaegerUdpReceiver, type ReceivedEvent, type ReceivedSpan, type UdpSpanReceiver } from '../support/trace-receivers.js';
import { startTracedOffline, traceOf, treeOf } from '../support/traced-stack.js';

let udp: UdpSpanReceiver;
let offline: RunningOffline;
let base: string;
/** Everything personal or secret this file sends: none of it may appear in any exported event. */
const personal: string[] = [GOOD_PASSWORD, 'not the right password 1', 'a different passphrase 9', TEST_ENV.ADMIN_API_KEY];

beforeAll(async () => {
  udp = await startJaegerUdpReceiver();
  offline = await startTracedOffline({ TRACING_PROVIDER: 'jaeger', TRACING_PROVIDERS_JAEGER_LOCAL_AGENT_ADDRESS: `127.0.0.1:${udp.port}` });
  base = offline.baseUrl;
});
afterAll(async () => {
  await offline?.stop();
  await udp?.close();
});

const UUID = expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
const admin = { Authorization: `Bearer ${TEST_ENV.ADMIN_API_KEY}` };

async function root(res: Answer, route: string): Promise<ReceivedSpan> {
  return treeOf(await traceOf(udp, res.traceId, route), route).root;
}
async function eventsOf(res: Answer, route: string): Promise<ReceivedEvent[]> {
  return (await root(res, route)).events ?? [];
}

async function register(email = uniqueEmail('events')) {
  personal.push(email);
  const registered = await registerVia(base, email);
  expect(registered.status).toBe(200);
  personal.push(registered.token);
  return registered;
}

describe("Kratos's span events", () => {
  it('registration: RegistrationInitiated, then IdentityCreated, RegistrationSucceeded, SessionIssued, LoginSucceeded', async () => {
    const { init, res, identityId, flowId } = await register();
    expect(await eventsOf(init, '/self-service/registration/api')).toEqual([{ name: 'RegistrationInitiated', attributes: { FlowID: flowId, SelfServiceFlowType: 'api' } }]);
    const sessionId = res.json.session.id;
    expect(await eventsOf(res, '/self-service/registration')).toEqual([
      { name: 'IdentityCreated', attributes: { IdentityID: identityId } },
      {
        name: 'RegistrationSucceeded',
        attributes: { SelfServiceFlowType: 'api', IdentityID: identityId, SelfServiceMethodUsed: 'password', SelfServiceSSOProviderUsed: '', FlowID: flowId },
      },
      { name: 'SessionIssued', attributes: { IdentityID: identityId, SessionID: sessionId, SessionAAL: 'aal1' } },
      {
        name: 'LoginSucceeded',
        attributes: {
          IdentityID: identityId,
          SessionID: sessionId,
          SelfServiceFlowType: 'api',
          LoginRequestedAAL: '',
          LoginRequestedPrivilegedSession: false,
          SelfServiceMethodUsed: 'password',
          SelfServiceSSOProviderUsed: '',
          FlowID: flowId,
        },
      },
    ]);
  });

  it('a failed registration: RegistrationFailed with the reason, the submitted e-mail masked', async () => {
    const init = await call(base, 'GET', '/self-service/registration/api');
    const typo = `typo-${Date.now()}.example.com`;
    personal.push(typo);
    const res = await call(base, 'POST', `/self-service/registration?flow=${init.json.id}`, { json: { method: 'password', password: GOOD_PASSWORD, traits: { email: typo } } });
    expect(res.status).toBe(400);
    const [failed] = await eventsOf(res, '/self-service/registration');
    expect(failed).toEqual({
      name: 'RegistrationFailed',
      attributes: { SelfServiceFlowType: 'api', SelfServiceMethodUsed: 'password', Reason: expect.any(String), ErrorReason: expect.stringContaining('4000040: Enter a valid email address'), FlowID: init.json.id },
    });
    expect(failed.attributes.Reason).toBe(failed.attributes.ErrorReason);
    expect(JSON.stringify(failed)).not.toContain(typo);
  });

  it('login: LoginInitiated; SessionIssued and LoginSucceeded; LoginFailed for a wrong password, without the identity', async () => {
    const { email, identityId } = await register();
    const init = await call(base, 'GET', '/self-service/login/api');
    expect(await eventsOf(init, '/self-service/login/api')).toEqual([
      { name: 'LoginInitiated', attributes: { FlowID: init.json.id, SelfServiceFlowType: 'api', FlowRefresh: false, FlowRequestedAAL: 'aal1' } },
    ]);
    const ok = await call(base, 'POST', `/self-service/login?flow=${init.json.id}`, { json: { method: 'password', identifier: email, password: GOOD_PASSWORD } });
    expect(ok.status).toBe(200);
    personal.push(ok.json.session_token);
    expect(await eventsOf(ok, '/self-service/login')).toEqual([
      { name: 'SessionIssued', attributes: { IdentityID: identityId, SessionID: ok.json.session.id, SessionAAL: 'aal1' } },
      {
        name: 'LoginSucceeded',
        attributes: {
          IdentityID: identityId,
          SessionID: ok.json.session.id,
          SelfServiceFlowType: 'api',
          LoginRequestedAAL: 'aal1',
          LoginRequestedPrivilegedSession: false,
          SelfServiceMethodUsed: 'password',
          SelfServiceSSOProviderUsed: '',
          FlowID: init.json.id,
        },
      },
    ]);

    const again = await call(base, 'GET', '/self-service/login/api');
    const wrong = await call(base, 'POST', `/self-service/login?flow=${again.json.id}`, { json: { method: 'password', identifier: email, password: 'not the right password 1' } });
    expect(wrong.status).toBe(400);
    expect(await eventsOf(wrong, '/self-service/login')).toEqual([
      {
        name: 'LoginFailed',
        attributes: {
          SelfServiceFlowType: 'api',
          LoginRequestedAAL: 'aal1',
          LoginRequestedPrivilegedSession: false,
          SelfServiceMethodUsed: 'password',
          Reason: expect.stringContaining('4000006: The provided credentials are invalid'),
          ErrorReason: expect.stringContaining('4000006: The provided credentials are invalid'),
          FlowID: again.json.id,
        },
      },
    ]);

    const noFlow = await call(base, 'POST', '/self-service/login?flow=not-a-flow', { json: { method: 'password', identifier: email, password: 'x' } });
    expect(noFlow.status).toBe(400);
    const [failed] = await eventsOf(noFlow, '/self-service/login');
    expect(failed.attributes).toMatchObject({ FlowID: '00000000-0000-0000-0000-000000000000', SelfServiceFlowType: '', ErrorReason: 'The flow query parameter is missing or malformed.' });
  });

  it('whoami: SessionChecked; logout: SessionRevoked', async () => {
    const { token, identityId, res } = await register();
    const sessionId = res.json.session.id;
    const whoami = await call(base, 'GET', '/sessions/whoami', { headers: { 'X-Session-Token': token } });
    expect(await eventsOf(whoami, '/sessions/whoami')).toEqual([{ name: 'SessionChecked', attributes: { IdentityID: identityId, SessionID: sessionId } }]);
    const logout = await call(base, 'DELETE', '/self-service/logout/api', { json: { session_token: token } });
    expect(logout.status).toBe(204);
    expect(await eventsOf(logout, '/self-service/logout/api')).toEqual([{ name: 'SessionRevoked', attributes: { IdentityID: identityId, SessionID: sessionId } }]);
  });

  it('settings: IdentityUpdated and SettingsSucceeded; SettingsFailed with the identity', async () => {
    const { token, identityId } = await register();
    const init = await call(base, 'GET', '/self-service/settings/api', { headers: { 'X-Session-Token': token } });
    const same = await call(base, 'POST', `/self-service/settings?flow=${init.json.id}`, { headers: { 'X-Session-Token': token }, json: { method: 'password', password: GOOD_PASSWORD } });
    expect(same.status).toBe(400);
    const failed = (await eventsOf(same, '/self-service/settings')).find((e) => e.name === 'SettingsFailed');
    expect(failed?.attributes).toMatchObject({
      SelfServiceFlowType: 'api',
      SelfServiceMethodUsed: 'password',
      ErrorReason: expect.stringContaining('4000039'),
      FlowID: init.json.id,
      IdentityID: identityId,
    });
    const changed = await call(base, 'POST', `/self-service/settings?flow=${init.json.id}`, { headers: { 'X-Session-Token': token }, json: { method: 'password', password: 'a different passphrase 9' } });
    expect(changed.status).toBe(200);
    const events = (await eventsOf(changed, '/self-service/settings')).filter((e) => e.name !== 'SessionChecked');
    expect(events).toEqual([
      { name: 'IdentityUpdated', attributes: { IdentityID: identityId } },
      { name: 'SettingsSucceeded', attributes: { SelfServiceFlowType: 'api', IdentityID: identityId, SelfServiceMethodUsed: 'password', FlowID: init.json.id } },
    ]);
  });

  it('admin: IdentityCreated, IdentityUpdated, SessionLifespanExtended (Go time format), IdentityDeleted', async () => {
    const email = uniqueEmail('admin-events');
    personal.push(email);
    const created = await call(base, 'POST', '/admin/identities', { headers: admin, json: { schema_id: 'default', traits: { email } } });
    expect(created.status).toBe(201);
    const id = created.json.id;
    expect(await eventsOf(created, '/admin/identities')).toEqual([{ name: 'IdentityCreated', attributes: { IdentityID: id } }]);
    const updated = await call(base, 'PUT', `/admin/identities/${id}`, { headers: admin, json: { schema_id: 'default', traits: { email }, state: 'active' } });
    expect(await eventsOf(updated, '/admin/identities/{id}')).toEqual([{ name: 'IdentityUpdated', attributes: { IdentityID: id } }]);

    const { res } = await register();
    const extended = await call(base, 'PATCH', `/admin/sessions/${res.json.session.id}/extend`, { headers: admin });
    expect(extended.status).toBe(200);
    expect(await eventsOf(extended, '/admin/sessions/{id}/extend')).toEqual([
      {
        name: 'SessionLifespanExtended',
        attributes: { IdentityID: res.json.identity.id, SessionID: res.json.session.id, SessionExpiresAt: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,3})? \+0000 UTC$/) },
      },
    ]);

    const deleted = await call(base, 'DELETE', `/admin/identities/${id}`, { headers: admin });
    expect(deleted.status).toBe(204);
    expect(await eventsOf(deleted, '/admin/identities/{id}')).toEqual([{ name: 'IdentityDeleted', attributes: { IdentityID: id } }]);
  });

  it('never carry an e-mail, a password, a token, a hash or the admin key', () => {
    const events = udp.spans.flatMap((s) => s.events ?? []);
    expect(events.length).toBeGreaterThan(20);
    const text = JSON.stringify(events);
    for (const value of personal) expect(text).not.toContain(value);
    expect(text).not.toMatch(/\$2[aby]\$|ory_st_|@example\.com/);
    for (const event of events) if (event.attributes.IdentityID !== undefined) expect(event.attributes.IdentityID).toEqual(UUID);
  });
});

describe('the root span', () => {
  it('carries the OpenTelemetry HTTP attributes Kratos’s otelhttp sets, and no tag reads "undefined"', async () => {
    const res = await call(base, 'GET', '/self-service/login/api', { headers: { 'User-Agent': 'events-test/1.0' } });
    const span = await root(res, '/self-service/login/api');
    expect(span.tags).toMatchObject({
      'client.address': '127.0.0.1',
      'user_agent.original': 'events-test/1.0',
      'server.address': '127.0.0.1',
      'server.port': Number(new URL(base).port),
      'url.scheme': 'http',
      'http.request.method': 'GET',
    });
    for (const exported of udp.spans) expect(Object.entries(exported.tags).filter(([, value]) => value === 'undefined')).toEqual([]);
  });

  it('joins an X-Amzn-Trace-Id when no W3C, Jaeger or B3 context is sent, and yields to one that is', async () => {
    const xray = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
    const joined = await call(base, 'GET', '/sessions/whoami', { headers: { 'X-Amzn-Trace-Id': xray } });
    expect(joined.traceId).toBe('5759e988bd862e3fe1be46a994272793');
    expect((await root(joined, '/sessions/whoami')).parentSpanId).toBe('53995c3f42cd8ad8');

    const w3c = await call(base, 'GET', '/sessions/whoami', { headers: { 'X-Amzn-Trace-Id': xray, traceparent: `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01` } });
    expect(w3c.traceId).toBe('1'.repeat(32));
    const jaeger = await call(base, 'GET', '/sessions/whoami', { headers: { 'X-Amzn-Trace-Id': xray, 'uber-trace-id': `${'3'.repeat(32)}:${'4'.repeat(16)}:0:1` } });
    expect(jaeger.traceId).toBe('3'.repeat(32));
    const b3 = await call(base, 'GET', '/sessions/whoami', { headers: { 'X-Amzn-Trace-Id': xray, b3: `${'5'.repeat(32)}-${'6'.repeat(16)}-1` } });
    expect(b3.traceId).toBe('5'.repeat(32));

    for (const garbage of ['Root=1-zz-zz;Parent=nope;Sampled=1', 'Root=;Parent=;', 'x'.repeat(300)]) {
      const res = await call(base, 'GET', '/sessions/whoami', { headers: { 'X-Amzn-Trace-Id': garbage } });
      expect(res.status).toBe(401);
      expect((await root(res, '/sessions/whoami')).parentSpanId).toBeUndefined();
    }
  });
});
