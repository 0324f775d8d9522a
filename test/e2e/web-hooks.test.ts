/**
 * Web hooks over the wire: serverless-offline and the local courier on a table of their own, real HTTP receivers on
 * local ports, the official SDK. A hook the registration waits for gets its Jsonnet body, its basic auth and a W3C
 * `traceparent` of the registration's own trace; one that may interrupt stops a registration with its message on
 * the e-mail's node (nothing written); a hook not waited for is queued with the registration and delivered by the
 * courier to a receiver that is down and then up: every delivery arrives, once per idempotency key, with its api key
 * from SELFSERVICE_WEB_HOOK_SECRETS and the registration's trace.
 */
import { Configuration, FrontendApi, IdentityApi } from '@ory/kratos-client';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import path from 'node:path';
import { createDynamoClient } from '../../lib/store/dynamodb/client.js';
import { ensureTable } from '../../lib/store/dynamodb/table.js';
import { freePort } from '../../scripts/dynamodb-local.js';
import { startCourier, type RunningCourier } from '../../scripts/local-stack.js';
import type { RunningOffline } from '../../scripts/local-stack.js';
import { dynamoEndpoint, TEST_ENV } from '../support/env.js';
import { failure, GOOD_PASSWORD, uniqueEmail } from '../support/http.js';
import { startJaegerUdpReceiver, type UdpSpanReceiver } from '../support/trace-receivers.js';
import { startTracedOffline } from '../support/traced-stack.js';

interface Got {
  headers: IncomingMessage['headers'];
  body: string;
}

/** An HTTP receiver on `port`; `answer` decides each reply from what came. */
function listen(port: number, answer: (got: Got) => { status: number; body?: unknown }) {
  const got: Got[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      const entry = { headers: req.headers, body };
      got.push(entry);
      const { status, body: out } = answer(entry);
      res.writeHead(status, { 'content-type': 'application/json' }).end(out === undefined ? '' : JSON.stringify(out));
    });
  });
  return new Promise<{ got: Got[]; close: () => Promise<void> }>((resolve) =>
    server.listen(port, '127.0.0.1', () => resolve({ got, close: () => new Promise<void>((done) => server.close(() => done())) })),
  );
}

const b64 = (text: string) => `base64://${Buffer.from(text).toString('base64')}`;
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let udp: UdpSpanReceiver;
let offline: RunningOffline;
let courier: RunningCourier;
let sync: Awaited<ReturnType<typeof listen>>;
let asyncPort: number;
let frontend: FrontendApi;
let env: Record<string, string>;
let admin: IdentityApi;
/** Every identity registered here: each gets one audit delivery. */
const registered: string[] = [];

beforeAll(async () => {
  udp = await startJaegerUdpReceiver();
  const table = `kratos-webhooks-${randomBytes(3).toString('hex')}`;
  await ensureTable(createDynamoClient({ endpoint: dynamoEndpoint(), region: "us-east-1", tableName: "unused" }), table);
  const syncPort = await freePort();
  asyncPort = await freePort();
  sync = await listen(syncPort, ({ body }) =>
    (JSON.parse(body) as { email: string }).email.startsWith('blocked')
      ? { status: 400, body: { messages: [{ instance_ptr: '#/traits/email', messages: [{ id: 4000001, text: 'This address is not allowed here.', type: 'error' }] }] } }
      : { status: 200, body: { identity: { metadata_public: { crm_id: 'crm-42' } } } },
  );
  const hooks = [
    {
      hook: 'web_hook',
      config: {
        id: 'crm',
        url: `http://127.0.0.1:${syncPort}/signup`,
        method: 'POST',
        body: b64('function(ctx) { email: ctx.identity.traits.email, flow: ctx.flow.id, ua: ctx.request_headers["User-Agent"][0] }'),
        auth: { type: 'basic_auth', config: { user: 'kratos', password: 'sync-pw' } },
        can_interrupt: true,
        response: { parse: true },
      },
    },
    {
      hook: 'web_hook',
      config: {
        id: 'audit',
        url: `http://127.0.0.1:${asyncPort}/audit?tenant=t1`,
        method: 'POST',
        body: b64('function(ctx) { identity_id: ctx.identity.id, event: "registered" }'),
        auth: { type: 'api_key', config: { name: 'X-Api-Key', in: 'header' } },
        response: { ignore: true },
      },
    },
    { hook: 'session' },
  ];
  env = {
    ...TEST_ENV,
    DYNAMODB_ENDPOINT: dynamoEndpoint(),
    DYNAMODB_TABLE_NAME: table,
    SELFSERVICE_FLOWS_VERIFICATION_ENABLED: 'false',
    SELFSERVICE_FLOWS_REGISTRATION_AFTER_PASSWORD_HOOKS: JSON.stringify(hooks),
    SELFSERVICE_WEB_HOOK_SECRETS: JSON.stringify({ audit: 'audit-key-1' }),
    COURIER_MESSAGE_RETRY_DELAY: '100ms',
    TRACING_PROVIDER: 'jaeger',
    TRACING_PROVIDERS_JAEGER_LOCAL_AGENT_ADDRESS: `127.0.0.1:${udp.port}`,
  };
  offline = await startTracedOffline(env);
  frontend = new FrontendApi(new Configuration({ basePath: offline.baseUrl }));
  admin = new IdentityApi(new Configuration({ basePath: offline.baseUrl, apiKey: `Bearer ${TEST_ENV.ADMIN_API_KEY}` }));
}, 120_000);
afterAll(async () => {
  await courier?.stop();
  await offline?.stop();
  await sync?.close();
  await udp?.close();
});

/** A registration through the SDK with a trace of our own: the answer and its trace id. */
async function register(email: string) {
  const traceId = randomBytes(16).toString('hex');
  const headers = { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`, 'User-Agent': 'web-hooks-e2e/1.0' };
  const { data: flow } = await frontend.createNativeRegistrationFlow();
  const call = frontend.updateRegistrationFlow({ flow: flow.id, updateRegistrationFlowBody: { method: 'password', password: GOOD_PASSWORD, traits: { email } } }, { headers });
  return { flow, call, traceId };
}

describe('web hooks through serverless-offline', () => {
  it('a hook the registration waits for: Jsonnet body, basic auth, the trace joined, its answer stored', async () => {
    const email = uniqueEmail('hooked');
    const { flow, call, traceId } = await register(email);
    const { data } = await call;
    registered.push(data.identity!.id);
    const got = sync.got.at(-1)!;
    expect(JSON.parse(got.body)).toEqual({ email, flow: flow.id, ua: 'web-hooks-e2e/1.0' });
    expect(got.headers.authorization).toBe(`Basic ${Buffer.from('kratos:sync-pw').toString('base64')}`);
    const traceparent = TRACEPARENT.exec(String(got.headers.traceparent));
    expect(traceparent?.[1]).toBe(traceId);
    expect(got.headers['ory-webhook-request-id']).toEqual(expect.any(String));
    expect(data.identity?.metadata_public).toEqual({ crm_id: 'crm-42' });
    const { data: stored } = await admin.getIdentity({ id: data.identity!.id });
    expect(stored.metadata_public).toEqual({ crm_id: 'crm-42' });

    // The hook's span and its client span are in the registration's trace, with Kratos's events.
    await udp.waitForSpans((spans) => spans.some((s) => s.traceId === traceId && s.name === 'selfservice.webhook'), 3000);
    const spans = udp.spans.filter((s) => s.traceId === traceId);
    const hook = spans.find((s) => s.name === 'selfservice.webhook')!;
    const client = spans.find((s) => s.name === 'POST /signup')!;
    expect(client.parentSpanId).toBe(hook.spanId);
    expect(traceparent?.[2]).toBe(client.spanId);
    expect((hook.events ?? []).map((e) => e.name)).toEqual(['WebhookDelivered', 'WebhookSucceeded']);
  });

  it('a hook that may interrupt stops the registration with its message on the node, and nothing is written', async () => {
    const email = uniqueEmail('blocked');
    const { call } = await register(email);
    const refused = await failure(call);
    expect(refused.status).toBe(400);
    const node = refused.data.ui.nodes.find((n: { attributes: { name?: string } }) => n.attributes.name === 'traits.email');
    expect(node.messages).toEqual([{ id: 4000001, text: 'This address is not allowed here.', type: 'error' }]);
    const { data: found } = await admin.listIdentities({ credentialsIdentifier: email });
    expect(found).toEqual([]);
  });

  it('hooks not waited for reach a receiver that was down, each once per idempotency key, with the api key and the trace', async () => {
    const registrations = [];
    for (let i = 0; i < 3; i++) {
      const { call, traceId } = await register(uniqueEmail('audited'));
      registrations.push({ id: (await call).data.identity!.id, traceId });
      registered.push(registrations.at(-1)!.id);
    }
    // The courier starts while the receiver is down: every delivery fails and is retried.
    courier = await startCourier({ logFile: path.join(process.env.TEST_ARTIFACTS_DIR ?? '/tmp', 'courier-web-hooks.log'), env: { ...env, LOG_LEVEL: 'info' } });
    await sleep(1_000);
    const audit = await listen(asyncPort, () => ({ status: 204 }));
    try {
      const deadline = Date.now() + 20_000;
      while (audit.got.length < registered.length && Date.now() < deadline) await sleep(100);
      // Time for a duplicate to show, if there were one.
      await sleep(1_000);
      // One delivery per registration of this file (the blocked one made none), one idempotency key each.
      const bodies = audit.got.map((g) => JSON.parse(g.body) as { identity_id: string });
      expect(bodies.map((b) => b.identity_id).sort()).toEqual([...registered].sort());
      const keys = audit.got.map((g) => g.headers['idempotency-key']);
      expect(new Set(keys).size).toBe(registered.length);
      for (const got of audit.got) expect(got.headers['x-api-key']).toBe('audit-key-1');
      for (const registration of registrations) {
        const got = audit.got.find((g) => (JSON.parse(g.body) as { identity_id: string }).identity_id === registration.id)!;
        expect(TRACEPARENT.exec(String(got.headers.traceparent))?.[1]).toBe(registration.traceId);
      }
      expect(courier.output()).toContain('courier: delivery failed, will retry');
      expect(courier.output()).not.toContain('audit-key-1');
    } finally {
      await audit.close();
    }
  }, 60_000);
});
