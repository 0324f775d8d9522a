/**
 * Login throttling through serverless-offline (its own instance: 3 attempts per identifier and client per minute, a
 * 20 s lockout; the client's address from X-Forwarded-For, serverless-offline being a trusted proxy here), counted in
 * DynamoDB so every function instance shares it; spans from the Jaeger agent receiver.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { randomBytes } from 'node:crypto';
import { createApp } from '../../lib/app.js';
import { identifierThrottleKey } from '../../lib/flows/throttle.js';
import type { FlowRequest } from '../../lib/flows/common.js';
import { createDynamoClient } from '../../lib/store/dynamodb/client.js';
import { createDynamoStore } from '../../lib/store/dynamodb/store.js';
import { ensureTable } from '../../lib/store/dynamodb/table.js';
import type { RunningOffline } from '../../scripts/local-stack.js';
import { TEST_ENV } from '../support/env.js';
import { call, GOOD_PASSWORD, registerVia, uniqueEmail } from '../support/http.js';
import { expectMatchesSchema } from '../support/openapi.js';
import { testConfig } from '../support/store.js';
import { startJaegerUdpReceiver, type UdpSpanReceiver } from '../support/trace-receivers.js';
import { startTracedOffline, traceOf, treeOf } from '../support/traced-stack.js';

const MAX = 3;
// Long enough that the 50-request flood below (slow to start on serverless-offline) stays within one lockout.
const LOCKOUT_S = 20;
let offline: RunningOffline;
let udp: UdpSpanReceiver;
// The stack's table of its own: its one-minute windows on the counters of a client every suite shares (127.0.0.1)
// would otherwise end in the middle of other suites' logins, which then restart the window (a PutItem more).
const TABLE = `kratos-throttle-${randomBytes(3).toString('hex')}`;

beforeAll(async () => {
  udp = await startJaegerUdpReceiver();
  const client = createDynamoClient(testConfig({ DYNAMODB_TABLE_NAME: TABLE }).dynamodb);
  await ensureTable(client, TABLE);
  client.destroy();
  offline = await startTracedOffline({
    DYNAMODB_TABLE_NAME: TABLE,
    TRACING_PROVIDER: 'jaeger',
    TRACING_PROVIDERS_JAEGER_LOCAL_AGENT_ADDRESS: `127.0.0.1:${udp.port}`,
    SELFSERVICE_FLOWS_LOGIN_THROTTLE_MAX_ATTEMPTS: String(MAX),
    SELFSERVICE_FLOWS_LOGIN_THROTTLE_WINDOW: '1m',
    SELFSERVICE_FLOWS_LOGIN_THROTTLE_LOCKOUT_DURATION: `${LOCKOUT_S}s`,
    SERVE_PUBLIC_TRUSTED_PROXIES: '127.0.0.1,::1,::ffff:127.0.0.1',
  });
}, 120_000);
afterAll(async () => {
  await offline?.stop();
  await udp?.close();
});

const base = () => offline.baseUrl;

async function register(email: string) {
  expect((await registerVia(base(), email)).status).toBe(200);
}

/** A login from a client at `ip` (by default the suite's one client). */
async function login(identifier: string, password: string, ip = '198.51.100.1') {
  const headers = { 'X-Forwarded-For': ip };
  const flow = await call(base(), 'GET', '/self-service/login/api', { headers });
  return call(base(), 'POST', `/self-service/login?flow=${flow.json.id}`, { headers, json: { method: 'password', identifier, password } });
}

const WRONG = 'definitely not it 1';

describe('login throttling per identifier and client', () => {
  it('refuses the client that failed too often, the right password included, and no one else: the owner signs in from another address', async () => {
    const email = uniqueEmail('victim');
    await register(email);
    for (let i = 0; i < MAX; i += 1) expect((await login(email, WRONG, '198.51.100.66')).status).toBe(400);
    const refused = await login(email, GOOD_PASSWORD, '198.51.100.66');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await login(email, GOOD_PASSWORD, '203.0.113.5')).status).toBe(200);
  }, 60_000);

  it('locks an identifier out after the limit (429, Retry-After), the right password too, until the lockout ends; a bystander is unaffected', async () => {
    const email = uniqueEmail('throttled');
    const bystander = uniqueEmail('bystander');
    await register(email);
    await register(bystander);
    for (let i = 0; i < MAX; i += 1) expect((await login(email, WRONG)).status).toBe(400);
    const locked = await login(email.toUpperCase(), GOOD_PASSWORD);
    expect(locked.status).toBe(429);
    expectMatchesSchema('errorGeneric', locked.json);
    expect(locked.json.error).toMatchObject({ code: 429, status: 'Too Many Requests' });
    const retryAfter = Number(locked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(LOCKOUT_S);
    expect((await login(email, GOOD_PASSWORD)).status).toBe(429);
    expect((await login(bystander, GOOD_PASSWORD)).status).toBe(200);

    await new Promise((resolve) => setTimeout(resolve, (retryAfter + 0.5) * 1000));
    expect((await login(email, GOOD_PASSWORD)).status).toBe(200);
    // The success cleared the count: the full allowance again.
    for (let i = 0; i < MAX; i += 1) expect((await login(email, WRONG)).status).toBe(400);
    expect((await login(email, WRONG)).status).toBe(429);
  }, 120_000);

  it('throttles an unknown identifier exactly as a known one', async () => {
    const known = uniqueEmail('known');
    const unknown = uniqueEmail('unknown');
    await register(known);
    const statuses = async (identifier: string) => {
      const out: number[] = [];
      for (let i = 0; i < MAX + 2; i += 1) out.push((await login(identifier, WRONG)).status);
      return out;
    };
    const [a, b] = [await statuses(known), await statuses(unknown)];
    expect(a).toEqual([400, 400, 400, 429, 429]);
    expect(b).toEqual(a);
  }, 60_000);

  it('makes the same DynamoDB calls for known and unknown identifiers: the read, the reservation, and the failure counted', async () => {
    const known = uniqueEmail('spans-known');
    await register(known);
    const names = [];
    for (const identifier of [known, uniqueEmail('spans-unknown')]) {
      const res = await login(identifier, WRONG);
      names.push(treeOf(await traceOf(udp, res.traceId, '/self-service/login'), '/self-service/login').names);
    }
    expect(names[0]).toEqual(['DynamoDB.BatchGetItem', 'DynamoDB.UpdateItem', 'bcrypt.compare', 'DynamoDB.UpdateItem']);
    expect(names[1]).toEqual(names[0]);
    // A refused attempt compares nothing.
    for (let i = 1; i < MAX; i += 1) await login(known, WRONG);
    const refused = await login(known, GOOD_PASSWORD);
    expect(refused.status).toBe(429);
    const tree = treeOf(await traceOf(udp, refused.traceId, '/self-service/login'), '/self-service/login');
    expect(tree.names.filter((n) => n === 'bcrypt.compare')).toEqual([]);
    expect(tree.root.tags).toMatchObject({ 'http.status_code': 429, error: true });
    // Kratos's LoginFailed event says why, with no identifier in it.
    const failed = tree.root.events?.find((e) => e.name === 'LoginFailed');
    expect(failed?.attributes).toMatchObject({ ErrorReason: expect.stringContaining('Too many failed login attempts') });
    expect(JSON.stringify(tree.root.events)).not.toContain(known);
  }, 60_000);

  it('buys at most MAX bcrypt compares with 50 concurrent wrong guesses', async () => {
    const email = uniqueEmail('flood');
    await register(email);
    // serverless-offline starts a worker per concurrent request; 50 cold starts at once on 2 cores outlast the
    // function timeout. Bring them up first, ten more at a time (a submit to no flow is refused before any throttling), then race.
    for (const width of [10, 20, 30, 40, 50]) {
      await Promise.all(Array.from({ length: width }, () => call(base(), 'POST', '/self-service/login?flow=00000000-0000-4000-8000-000000000000', { json: { method: 'password' } })));
    }
    const flows = [];
    for (let i = 0; i < 50; i += 1) flows.push((await call(base(), 'GET', '/self-service/login/api')).json.id as string);
    const results = await Promise.all(
      flows.map((flow) => call(base(), 'POST', `/self-service/login?flow=${flow}`, { json: { method: 'password', identifier: email, password: WRONG } })),
    );
    // Under a loaded machine serverless-offline may time a worker out (its own 504, not the function's answer);
    // every answer the function gave is a wrong password (400) or a refusal (429).
    const answered = results.filter((r) => r.status === 400 || r.status === 429);
    // (the in-process flood below needs no such allowance).
    expect(answered.length).toBeGreaterThan(MAX);
    expect(results.filter((r) => r.status === 400).length).toBeLessThanOrEqual(MAX);
    let compares = 0;
    for (const res of answered) {
      const spans = await traceOf(udp, res.traceId, '/self-service/login');
      compares += spans.filter((s) => s.name === 'bcrypt.compare').length;
    }
    expect(compares).toBe(results.filter((r) => r.status === 400).length);
    // The counter itself: exactly MAX reservations were granted, however many guesses raced for them.
    const config = testConfig({ DYNAMODB_TABLE_NAME: TABLE });
    const client = createDynamoClient(config.dynamodb);
    const item = await client.send(new GetItemCommand({ TableName: config.dynamodb.tableName, Key: { pk: { S: `THROTTLE#${identifierThrottleKey(email, TEST_ENV.SECRETS_COOKIE)}` } }, ConsistentRead: true }));
    client.destroy();
    expect(Number(item.Item?.attempts_all?.N)).toBe(MAX);
    // The client is locked out (the lock names a hash of its address, never the address).
    const locks = Object.entries(item.Item ?? {}).filter(([name]) => name.startsWith('l_'));
    expect(locks).toHaveLength(1);
    expect(Number(locks[0][1].N)).toBeGreaterThan(Date.now());
  }, 120_000);
});

describe('login throttling in-process, over DynamoDB Local', () => {
  it('grants exactly MAX attempts to 50 concurrent wrong guesses spread over five app instances', async () => {
    const config = testConfig({ SELFSERVICE_FLOWS_LOGIN_THROTTLE_MAX_ATTEMPTS: String(MAX) });
    const clients = Array.from({ length: 5 }, () => createDynamoClient(config.dynamodb));
    const apps = clients.map((client) => createApp(config, createDynamoStore(client, config.dynamodb.tableName)));
    const request: FlowRequest = { requestUrl: 'http://127.0.0.1/self-service/login/api', hasCookie: false, browser: { anyCookie: false, ajax: false, json: true } };
    try {
      const email = uniqueEmail('flood-in-process');
      const flows = await Promise.all(Array.from({ length: 50 }, (_, i) => apps[i % 5].login.init(request, { refresh: false }, new Date())));
      const outcomes = await Promise.all(
        flows.map((flow, i) =>
          apps[i % 5].login
            .submit(flow.id, { method: 'password', identifier: email, password: WRONG }, request, new Date())
            .then(() => 'ok', (error: Error) => error.name),
        ),
      );
      // A wrong password (FlowValidationError) is an attempt that reached bcrypt; a refusal never did.
      expect(outcomes.filter((o) => o === 'FlowValidationError')).toHaveLength(MAX);
      expect(outcomes.filter((o) => o === 'LoginThrottledError')).toHaveLength(50 - MAX);
    } finally {
      for (const client of clients) client.destroy();
    }
  });

  it('limits failed logins from one client address across identifiers, and leaves other addresses alone', async () => {
    const config = testConfig({ SELFSERVICE_FLOWS_LOGIN_THROTTLE_MAX_ATTEMPTS: '100', SELFSERVICE_FLOWS_LOGIN_THROTTLE_PER_IP_MAX_ATTEMPTS: '2' });
    const client = createDynamoClient(config.dynamodb);
    const app = createApp(config, createDynamoStore(client, config.dynamodb.tableName));
    const from = (ipAddress: string): FlowRequest => ({
      requestUrl: 'http://127.0.0.1/self-service/login/api',
      hasCookie: false,
      ipAddress: `${ipAddress}`,
      browser: { anyCookie: false, ajax: false, json: true },
    });
    const attempt = async (ip: string) => {
      const flow = await app.login.init(from(ip), { refresh: false }, new Date());
      return app.login
        .submit(flow.id, { method: 'password', identifier: uniqueEmail('stuffing'), password: WRONG }, from(ip), new Date())
        .then(() => 'ok', (error: Error) => error.name);
    };
    const address = `203.0.113.${Math.floor(Math.random() * 250)}-${Date.now()}`;
    expect([await attempt(address), await attempt(address), await attempt(address)]).toEqual(['FlowValidationError', 'FlowValidationError', 'LoginThrottledError']);
    expect(await attempt(`${address}-other`)).toBe('FlowValidationError');
    client.destroy();
  });
});
