/**
 * Kratos's web hooks in-process, against a real HTTP receiver on a local port: the Jsonnet body with Kratos's `ctx`,
 * the auth, a parsed answer changing the identity before it is stored, an interrupting answer's messages on their
 * nodes with nothing written, Kratos's 502/504/500, `error "cancel"`, and the hooks not waited for: queued in the
 * flow's own transaction and delivered by the courier's handler with retries and one idempotency key per delivery.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '../../lib/config/index.js';
import { courierHandler } from '../../lib/courier/handler.js';
import { FlowValidationError, WebHookFailedError } from '../../lib/errors/index.js';
import { apiRequest, flowOf, login, memoryApp, messageIds, PASSWORD, register, rejection, uniqueEmail } from '../support/flows.js';

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A receiver answering with `answer` (by default 200 `{}`), keeping what it got. */
async function receiver(answer: (got: Received) => { status: number; body?: unknown; delayMs?: number } = () => ({ status: 200, body: {} })) {
  const got: Received[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const entry = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      got.push(entry);
      const { status, body: out, delayMs } = answer(entry);
      const send = () => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(out === undefined ? '' : JSON.stringify(out));
      };
      if (delayMs) setTimeout(send, delayMs).unref();
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { url, got, close: () => new Promise<void>((resolve) => server.close(() => resolve())), server };
}

const base64 = (text: string) => `base64://${Buffer.from(text).toString('base64')}`;
const BODY = base64(`function(ctx) {
  email: ctx.identity.traits.email,
  flow_id: ctx.flow.id,
  flow_type: ctx.flow.type,
  method: ctx.request_method,
  payload: if 'transient_payload' in ctx.flow then ctx.flow.transient_payload else null,
  has_session: 'session' in ctx,
}`);

const hooks = (variable: string, ...list: Record<string, unknown>[]) => ({ [variable]: JSON.stringify(list) });
const REGISTRATION = 'SELFSERVICE_FLOWS_REGISTRATION_AFTER_PASSWORD_HOOKS';
const sessionHook = { hook: 'session' };

let open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.map((r) => r.close()));
  open = [];
});
async function started(answer?: Parameters<typeof receiver>[0]) {
  const r = await receiver(answer);
  open.push(r);
  return r;
}

async function registration(app: ReturnType<typeof memoryApp>['app'], email = uniqueEmail(), extra: Record<string, unknown> = {}) {
  const flow = await app.registration.init(apiRequest(), new Date());
  const submit = () => app.registration.submit(flow.id, { method: 'password', password: PASSWORD, traits: { email }, ...extra }, apiRequest({ http: { method: 'POST', headers: { 'user-agent': 'tests/1.0', cookie: 'a=1', authorization: 'Bearer x' } } }), new Date());
  return { flow, email, submit };
}

describe('a web hook the flow waits for', () => {
  it('gets the Jsonnet body of Kratos ctx with its auth, and its parsed answer changes the identity registration stores', async () => {
    const r = await started(() => ({ status: 200, body: { identity: { metadata_public: { crm: 'c-1' }, metadata_admin: { tier: 'gold' } } } }));
    const hook = { hook: 'web_hook', config: { url: r.url, method: 'POST', body: BODY, auth: { type: 'basic_auth', config: { user: 'kratos', password: 'pw' } }, response: { parse: true } } };
    const { app, store } = memoryApp(hooks(REGISTRATION, hook, sessionHook));
    const { email, flow, submit } = await registration(app, uniqueEmail(), { transient_payload: { consent: true } });
    const answer = await submit();
    expect(answer.status).toBe(200);

    expect(r.got).toHaveLength(1);
    const [got] = r.got;
    expect(got.method).toBe('POST');
    expect(got.headers.authorization).toBe(`Basic ${Buffer.from('kratos:pw').toString('base64')}`);
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['ory-webhook-trigger-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(got.body)).toEqual({ email, flow_id: flow.id, flow_type: 'api', method: 'POST', payload: { consent: true }, has_session: false });

    const id = (answer.body as { identity: { id: string; metadata_public: unknown } }).identity;
    expect(id.metadata_public).toEqual({ crm: 'c-1' });
    const stored = await store.identities.get(id.id);
    expect(stored?.metadataPublic).toEqual({ crm: 'c-1' });
    expect(stored?.metadataAdmin).toEqual({ tier: 'gold' });
  });

  it('passes on only the allowed request headers and every cookie', async () => {
    const r = await started();
    const body = base64('function(ctx) { headers: ctx.request_headers, cookies: ctx.request_cookies }');
    const { app } = memoryApp(hooks(REGISTRATION, { hook: 'web_hook', config: { url: r.url, method: 'POST', body } }, sessionHook));
    await (await registration(app)).submit();
    expect(JSON.parse(r.got[0].body)).toEqual({ headers: { 'User-Agent': ['tests/1.0'] }, cookies: { a: '1' } });
  });

  it('can change the traits: the identifier and the address follow them', async () => {
    const renamed = uniqueEmail('renamed');
    const r = await started(() => ({ status: 200, body: { identity: { traits: { email: renamed } } } }));
    const { app, store } = memoryApp(hooks(REGISTRATION, { hook: 'web_hook', config: { url: r.url, method: 'POST', body: BODY, response: { parse: true } } }, sessionHook));
    const answer = await (await registration(app)).submit();
    const stored = await store.identities.get((answer.body as { identity: { id: string } }).identity.id);
    expect(stored?.traits).toEqual({ email: renamed });
    expect(stored?.identifiers).toEqual([renamed]);
    expect(stored?.verifiableAddresses?.map((a) => a.value)).toEqual([renamed]);
    // The password credential follows too: its identifiers are the new ones, and the new address signs in.
    const credentials = await store.identities.getWithCredentials(stored!.id);
    expect(credentials?.password?.identifiers).toEqual([renamed]);
    expect((await login(app, renamed)).status).toBe(200);
  });

  it('stops the flow with its messages on their nodes when it may interrupt, and nothing is written', async () => {
    const r = await started(() => ({
      status: 400,
      body: { messages: [{ instance_ptr: '#/traits/email', messages: [{ id: 1234, text: 'This e-mail is on our block list.', type: 'error', context: { reason: 'blocked' } }] }, { instance_ptr: '#/', messages: [{ id: 1235, text: 'Please contact us.', type: 'info' }] }] },
    }));
    const { app, store } = memoryApp(hooks(REGISTRATION, { hook: 'web_hook', config: { url: r.url, method: 'POST', body: BODY, can_interrupt: true } }, sessionHook));
    const { submit, email } = await registration(app);
    const error = await rejection(submit());
    expect(error).toBeInstanceOf(FlowValidationError);
    const flow = flowOf(error);
    expect(messageIds(flow)).toEqual(expect.arrayContaining(['traits.email:1234', 1235]));
    const emailNode = flow.ui.nodes.find((n) => (n.attributes as { name?: string }).name === 'traits.email')!;
    expect(emailNode.messages).toEqual([{ id: 1234, text: 'This e-mail is on our block list.', type: 'error', context: { reason: 'blocked' } }]);
    expect(JSON.stringify([...store.tables.identities.values()])).not.toContain(email);
  });

  it('fails the flow with Kratos 502 for an error it may not explain, 500 when it keeps failing, 504 when it hangs', async () => {
    const refusing = await started(() => ({ status: 403, body: {} }));
    const failing = await started(() => ({ status: 503 }));
    const hanging = await started(() => ({ status: 200, delayMs: 5_000 }));
    for (const [r, status] of [
      [refusing, 502],
      [failing, 500],
      [hanging, 504],
    ] as const) {
      const { app, store } = memoryApp(hooks(REGISTRATION, { hook: 'web_hook', config: { url: r.url, method: 'POST', body: BODY } }, sessionHook));
      const error = await rejection((await registration(app)).submit());
      expect(error).toBeInstanceOf(WebHookFailedError);
      expect((error as unknown as WebHookFailedError).status).toBe(status);
      expect(store.tables.identities.size).toBe(0);
    }
    expect(refusing.got).toHaveLength(1);
    // Retried (429 and 5xx but 501) within the flow's budget.
    expect(failing.got.length).toBe(3);
    expect(hanging.got).toHaveLength(1);
  }, 20_000);

  it('sends nothing when its Jsonnet cancels, and the flow goes on', async () => {
    const r = await started();
    const body = base64(`function(ctx) if ctx.identity.traits.email == 'skip@example.com' then error 'cancel' else {}`);
    const { app } = memoryApp(hooks(REGISTRATION, { hook: 'web_hook', config: { url: r.url, method: 'POST', body } }, sessionHook));
    expect((await (await registration(app, 'skip@example.com')).submit()).status).toBe(200);
    expect(r.got).toHaveLength(0);
    await (await registration(app)).submit();
    expect(r.got).toHaveLength(1);
  });

  it('runs after a login with the session, and an api key from SELFSERVICE_WEB_HOOK_SECRETS in a cookie', async () => {
    const r = await started();
    const env = {
      ...hooks('SELFSERVICE_FLOWS_LOGIN_AFTER_HOOKS', { hook: 'web_hook', config: { id: 'crm', url: r.url, method: 'PUT', body: BODY, auth: { type: 'api_key', config: { name: 'hook_key', in: 'cookie' } } } }),
      SELFSERVICE_WEB_HOOK_SECRETS: JSON.stringify({ crm: 'k-123' }),
    };
    const { app } = memoryApp(env);
    const { email } = await register(app);
    const flow = await app.login.init(apiRequest(), { refresh: false }, new Date());
    const answer = await app.login.submit(flow.id, { method: 'password', identifier: email, password: PASSWORD }, apiRequest(), new Date());
    expect(answer.status).toBe(200);
    expect(r.got).toHaveLength(1);
    expect(r.got[0].method).toBe('PUT');
    expect(r.got[0].headers.cookie).toBe('hook_key=k-123');
    expect(JSON.parse(r.got[0].body)).toMatchObject({ email, has_session: true });
  });
});

describe('the session in ctx', () => {
  it('is the one a settings flow is made with, before and after; registration sends none', async () => {
    const r = await started();
    const body = base64("function(ctx) { session_id: if 'session' in ctx then ctx.session.id else null, identity: 'identity' in ctx }");
    const hook = { hook: 'web_hook', config: { url: r.url, method: 'POST', body } };
    const { app } = memoryApp({
      SELFSERVICE_FLOWS_SETTINGS_BEFORE_HOOKS: JSON.stringify([hook]),
      SELFSERVICE_FLOWS_SETTINGS_AFTER_PROFILE_HOOKS: JSON.stringify([hook]),
      ...hooks(REGISTRATION, hook, sessionHook),
    });
    const { token, body: registered } = await register(app);
    expect(JSON.parse(r.got[0].body)).toEqual({ session_id: null, identity: true });
    const sessionId = (registered as unknown as { session: { id: string } }).session.id;
    const request = apiRequest({ sessionToken: token });
    const flow = await app.settings.init(request, new Date());
    expect(JSON.parse(r.got[1].body)).toEqual({ session_id: sessionId, identity: false });
    await app.settings.submit(flow.id, { method: 'profile', traits: { email: uniqueEmail('changed') } }, request, new Date());
    expect(JSON.parse(r.got[2].body)).toEqual({ session_id: sessionId, identity: true });
  });
});

describe('a web hook not waited for (response.ignore)', () => {
  it('is queued in the flow transaction and delivered by the courier, retried while the receiver is down, once per idempotency key', async () => {
    // A port with nobody on it yet: the receiver comes up there later.
    const probe = await receiver();
    const url = probe.url;
    await probe.close();
    const hook = { hook: 'web_hook', config: { id: 'audit', url, method: 'POST', body: BODY, response: { ignore: true } } };
    // No verification mail: the courier's outcomes are the hooks' alone.
    const { app, store, config } = memoryApp({ ...hooks(REGISTRATION, hook, sessionHook), COURIER_MESSAGE_RETRY_DELAY: '1ms', SELFSERVICE_FLOWS_VERIFICATION_ENABLED: 'false' });

    const first = await (await registration(app)).submit();
    const second = await (await registration(app)).submit();
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    // A registration that fails queues nothing.
    const taken = (first.body as { identity: { traits: { email: string } } }).identity.traits.email;
    await rejection((await registration(app, taken)).submit());
    const queued = () => [...store.tables.messages.values()].filter((m) => m.channel === 'webhook');
    expect(queued()).toHaveLength(2);
    expect(queued()[0]).toMatchObject({ status: 'queued', templateType: 'web_hook', recipient: url });
    expect(JSON.stringify(queued()[0])).not.toContain(PASSWORD);

    const courier = courierHandler(() => ({ config, repository: store.courier, sender: { send: async () => {} } }));
    const down = await courier({ source: 'test' });
    expect(down.outcomes).toEqual({ retry: 2 });
    expect(queued().map((m) => m.lastError)).toEqual(['WebHookDeliveryError UNREACHABLE', 'WebHookDeliveryError UNREACHABLE']);

    const port = Number(new URL(url).port);
    const live = createLiveReceiver();
    await new Promise<void>((resolve) => live.server.listen(port, '127.0.0.1', resolve));
    open.push({ close: () => new Promise<void>((resolve) => live.server.close(() => resolve())) });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect((await courier({ source: 'test' })).outcomes).toEqual({ sent: 2 });
    expect((await courier({ source: 'test' })).outcomes).toEqual({});

    const keys = live.got.map((g) => g.headers['idempotency-key']);
    expect(new Set(keys).size).toBe(2);
    expect(keys.sort()).toEqual(queued().map((m) => m.id).sort());
    expect(live.got.map((g) => g.headers['ory-webhook-trigger-id']).sort()).toEqual(keys.sort());
    expect(queued().every((m) => m.status === 'sent' && m.templateData.web_hook === undefined)).toBe(true);
  });

  it('is given up on at once when the receiver refuses it (4xx)', async () => {
    const r = await started(() => ({ status: 422, body: {} }));
    const hook = { hook: 'web_hook', config: { url: r.url, method: 'POST', body: BODY, response: { ignore: true } } };
    const { app, store, config } = memoryApp({ ...hooks(REGISTRATION, hook, sessionHook), SELFSERVICE_FLOWS_VERIFICATION_ENABLED: 'false' });
    await (await registration(app)).submit();
    const courier = courierHandler(() => ({ config, repository: store.courier, sender: { send: async () => {} } }));
    expect((await courier({ source: 'test' })).outcomes).toEqual({ abandoned: 1 });
    expect([...store.tables.messages.values()][0]).toMatchObject({ status: 'abandoned', lastError: 'WebHookDeliveryError HTTP_422' });
  });
});

/** A receiver started on a port of our choosing (the one the courier was failing to reach). */
function createLiveReceiver() {
  const got: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      got.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  return { server, got };
}

describe("Kratos's password migration hook", () => {
  const LEGACY = 'legacy password 1!';
  async function imported(answer: (body: { identifier: string; password: string }) => { status: number; body?: unknown }, extra: Record<string, string> = {}) {
    const r = await started((got) => answer(JSON.parse(got.body) as { identifier: string; password: string }));
    const hook = { enabled: true, config: { id: 'legacy', url: r.url, method: 'POST', auth: { type: 'api_key', config: { name: 'X-Legacy-Key' } } } };
    const { app, store } = memoryApp({ SELFSERVICE_METHODS_PASSWORD_CONFIG_MIGRATE_HOOK: JSON.stringify(hook), SELFSERVICE_WEB_HOOK_SECRETS: JSON.stringify({ legacy: 'lk-1' }), ...extra });
    const email = uniqueEmail('imported');
    const identity = await app.identityAdmin.create({ schema_id: 'default', traits: { email }, credentials: { password: { config: { use_password_migration_hook: true } } } }, new Date());
    const login = async (password: string) => {
      const flow = await app.login.init(apiRequest(), { refresh: false }, new Date());
      return app.login.submit(flow.id, { method: 'password', identifier: email, password }, apiRequest(), new Date());
    };
    return { r, app, store, email, identity, login };
  }

  it('asks the legacy system on the first login, stores the password it vouched for, and never asks again', async () => {
    const { r, store, email, identity, login } = await imported(({ password }) => ({ status: 200, body: { status: password === LEGACY ? 'password_match' : 'no' } }));
    expect(store.tables.identities.get(identity.id)?.password?.hashedPassword).toBe('$use_password_migration_hook$');
    expect(messageIds(flowOf(await rejection(login('wrong password 1!'))))).toContain(4000006);
    expect((await login(LEGACY)).status).toBe(200);
    expect(r.got.map((g) => JSON.parse(g.body))).toEqual([
      { identifier: email, password: 'wrong password 1!' },
      { identifier: email, password: LEGACY },
    ]);
    expect(r.got[0].headers['x-legacy-key']).toBe('lk-1');
    // Now a bcrypt hash of its own: the legacy system is not asked again, and a wrong password is still wrong.
    expect(store.tables.identities.get(identity.id)?.password?.hashedPassword).toMatch(/^\$2[aby]\$/);
    expect((await login(LEGACY)).status).toBe(200);
    expect(messageIds(flowOf(await rejection(login('wrong password 1!'))))).toContain(4000006);
    expect(r.got).toHaveLength(2);
  });

  it('takes 403 as a wrong password and any other answer as Kratos 502', async () => {
    const refused = await imported(() => ({ status: 403 }));
    expect(messageIds(flowOf(await rejection(refused.login(LEGACY))))).toContain(4000006);
    const broken = await imported(() => ({ status: 500 }));
    const error = await rejection(broken.login(LEGACY));
    expect(error).toBeInstanceOf(WebHookFailedError);
    expect((error as unknown as WebHookFailedError).status).toBe(502);
  });

  it('answers 500 for an identity that needs the hook when it is not enabled', async () => {
    const { app } = memoryApp();
    const email = uniqueEmail('imported');
    await app.identityAdmin.create({ schema_id: 'default', traits: { email }, credentials: { password: { config: { use_password_migration_hook: true } } } }, new Date());
    const flow = await app.login.init(apiRequest(), { refresh: false }, new Date());
    const error = await rejection(app.login.submit(flow.id, { method: 'password', identifier: email, password: LEGACY }, apiRequest(), new Date()));
    expect(error).toMatchObject({ status: 500 });
  });
});

describe('web hook configuration', () => {
  it.each([
    [{ method: 'POST' }, 'needs a "url"'],
    [{ url: 'ftp://x', method: 'POST' }, 'must be http(s)'],
    [{ url: 'http://x', method: 'POST', response: { ignore: true, parse: true } }, 'cannot both ignore its response and parse it'],
    [{ url: 'http://x', method: 'POST', auth: { type: 'api_key', config: { name: 'k' } } }, 'needs its "value"'],
    [{ url: 'http://x', method: 'POST', auth: { type: 'oauth' } }, 'unsupported web hook auth type'],
  ])('refuses %j at the cold start, naming the variable', (config, message) => {
    const error = (() => {
      try {
        memoryApp(hooks(REGISTRATION, { hook: 'web_hook', config }));
      } catch (e) {
        return e as Error;
      }
      throw new Error('accepted');
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain(REGISTRATION);
    expect(error.message).toContain(message);
  });
});
