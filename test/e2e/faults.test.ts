/**
 * Faults: DynamoDB going away mid-run (503 with Kratos's envelope, /health/ready 503, nothing half-written,
 * recovery when it returns), DynamoDB throttling (retried by the SDK, then 503), and a dead tracing backend
 * throughout (no request affected). The functions here have a DynamoDB Local of their own, keeping its data
 * in a folder so that it comes back with it.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDynamoClient } from '../../lib/store/dynamodb/client.js';
import { ensureTable } from '../../lib/store/dynamodb/table.js';
import { freePort, startDynamoDbLocal, type RunningDynamoDb } from '../../scripts/dynamodb-local.js';
import type { RunningOffline } from '../../scripts/local-stack.js';
import { call, GOOD_PASSWORD, registerVia, uniqueEmail } from '../support/http.js';
import { expectMatchesSchema } from '../support/openapi.js';
import { scanTable } from '../support/store.js';
import { startTracedOffline } from '../support/traced-stack.js';

const TABLE = 'kratos-faults';
let port: number;
let dataDir: string;
let dynamo: RunningDynamoDb | undefined;
let offline: RunningOffline;
let base: string;
let tokenBefore: string;

async function startDatabase() {
  dynamo = await startDynamoDbLocal({ port, dataPath: dataDir });
}

const register = async () => (await registerVia(base, uniqueEmail('fault'))).res;

function expectUnavailable(res: { status: number; json: any; elapsedMs: number }) {
  expect(res.status).toBe(503);
  expectMatchesSchema('errorGeneric', res.json);
  expect(res.json.error).toMatchObject({ code: 503, status: 'Service Unavailable' });
  expect(JSON.stringify(res.json)).not.toMatch(/ECONNREFUSED|DynamoDB|at .*\(|node_modules|127\.0\.0\.1/);
  expect(res.elapsedMs).toBeLessThan(8000);
}

beforeAll(async () => {
  port = await freePort();
  dataDir = mkdtempSync(path.join(tmpdir(), 'kratos-faults-'));
  await startDatabase();
  const client = createDynamoClient({ endpoint: dynamo!.endpoint, tableName: TABLE, region: 'us-east-1' });
  await ensureTable(client, TABLE);
  client.destroy();
  const deadAgent = await freePort();
  offline = await startTracedOffline({
    DYNAMODB_ENDPOINT: dynamo!.endpoint,
    DYNAMODB_TABLE_NAME: TABLE,
    // The tracing backend is down for this whole file: nothing listens there.
    TRACING_PROVIDER: 'jaeger',
    TRACING_PROVIDERS_JAEGER_LOCAL_AGENT_ADDRESS: `127.0.0.1:${deadAgent}`,
  });
  base = offline.baseUrl;
}, 120_000);

afterAll(async () => {
  await offline?.stop();
  await dynamo?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function scanAll(): Promise<Record<string, AttributeValue>[]> {
  const client = createDynamoClient({ endpoint: dynamo!.endpoint, tableName: TABLE, region: 'us-east-1' });
  try {
    return await scanTable(client, TABLE);
  } finally {
    client.destroy();
  }
}

describe('DynamoDB going away and coming back', () => {
  it('works while DynamoDB is up (with the tracing backend down)', async () => {
    const res = await register();
    expect(res.status).toBe(200);
    tokenBefore = res.json.session_token;
    expect((await call(base, 'GET', '/health/ready')).status).toBe(200);
  });

  it('answers 503 with Kratos’s envelope and no internals once DynamoDB is gone, and /health/ready says so', async () => {
    await dynamo!.stop();
    expectUnavailable(await call(base, 'GET', '/sessions/whoami', { headers: { 'X-Session-Token': tokenBefore } }));
    expectUnavailable(await call(base, 'GET', '/self-service/registration/api'));
    expectUnavailable(
      await call(base, 'POST', '/self-service/login?flow=00000000-0000-4000-8000-000000000000', {
        json: { method: 'password', identifier: 'a@b.co', password: 'whatever-1' },
      }),
    );
    const ready = await call(base, 'GET', '/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.json).toEqual({ errors: { database: 'The database is unreachable.' } });
    expect((await call(base, 'GET', '/health/alive')).status).toBe(200);
  });

  it('leaves no half-written registration when DynamoDB dies during submits, and recovers when it returns', async () => {
    await startDatabase();
    // One serverless-offline worker per concurrent request: bring 8 of each function up before the race, so
    // that cold starts on a loaded machine do not run into the function timeout.
    await Promise.all(
      Array.from({ length: 8 }, () =>
        Promise.all([
          call(base, 'GET', '/self-service/registration/api'),
          call(base, 'POST', '/self-service/registration?flow=00000000-0000-4000-8000-000000000000', { json: { method: 'password' } }),
        ]),
      ),
    );
    const emails = Array.from({ length: 8 }, () => uniqueEmail('inflight'));
    const flows = await Promise.all(emails.map(() => call(base, 'GET', '/self-service/registration/api')));
    const submits = emails.map((email, i) =>
      call(base, 'POST', `/self-service/registration?flow=${flows[i].json.id}`, { json: { method: 'password', password: GOOD_PASSWORD, traits: { email } } }),
    );
    await new Promise((resolve) => setTimeout(resolve, 15 + Math.random() * 30));
    await dynamo!.stop();
    const results = await Promise.all(submits);
    for (const res of results) {
      expect([200, 503]).toContain(res.status);
      if (res.status === 503) expectUnavailable(res);
    }

    await startDatabase();
    const items = await scanAll();
    const identities = items.filter((i) => i.kind?.S === 'identity');
    const identityIds = new Set(identities.map((i) => i.id.S));
    const claims = items.filter((i) => i.kind?.S === 'identifier');
    const sessions = items.filter((i) => i.kind?.S === 'session');
    // All or nothing: every identity has its claim and first session, every claim and session its identity.
    for (const identity of identities) {
      expect(claims.some((c) => c.identity_id.S === identity.id.S)).toBe(true);
      expect(sessions.some((s) => s.identity_id.S === identity.id.S)).toBe(true);
    }
    for (const item of [...claims, ...sessions]) expect(identityIds.has(item.identity_id.S)).toBe(true);
    const written = emails.filter((email) => identities.some((i) => JSON.parse(i.traits.S!).email === email));
    expect(written.length).toBeGreaterThanOrEqual(results.filter((r) => r.status === 200).length);

    // Recovered: readiness, old sessions, new registrations.
    expect((await call(base, 'GET', '/health/ready')).status).toBe(200);
    expect((await call(base, 'GET', '/sessions/whoami', { headers: { 'X-Session-Token': tokenBefore } })).status).toBe(200);
    expect((await register()).status).toBe(200);
  }, 60_000);
});

describe('DynamoDB throttling', () => {
  it('is retried by the SDK, then answered 503', async () => {
    // whoami's GetItem attempts only: the stack's courier sweeps on serverless-offline's one-minute schedule, and a
    // sweep that falls in this test sends this server its own (throttled) queries.
    let requests = 0;
    const throttling = http.createServer((req, res) => {
      if (req.headers['x-amz-target'] === 'DynamoDB_20120810.GetItem') requests++;
      req.resume();
      req.on('end', () => {
        res.writeHead(400, { 'Content-Type': 'application/x-amz-json-1.0', 'x-amzn-RequestId': 'throttled' });
        res.end(JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException', message: 'Rate of requests exceeds the allowed throughput.' }));
      });
    });
    await new Promise<void>((resolve) => throttling.listen(0, '127.0.0.1', resolve));
    const throttledPort = (throttling.address() as { port: number }).port;
    let throttled: RunningOffline | undefined;
    try {
      throttled = await startTracedOffline({ DYNAMODB_ENDPOINT: `http://127.0.0.1:${throttledPort}`, DYNAMODB_TABLE_NAME: TABLE });
      const res = await call(throttled.baseUrl, 'GET', '/sessions/whoami', { headers: { 'X-Session-Token': `ory_st_${'a'.repeat(32)}` } });
      expectUnavailable(res);
      expect(requests).toBe(3); // the first attempt and the SDK's two retries
      expectUnavailable(await call(throttled.baseUrl, 'GET', '/self-service/login/api'));
    } finally {
      await throttled?.stop();
      throttling.closeAllConnections();
      await new Promise((resolve) => throttling.close(resolve));
    }
  });
});
