/**
 * Kratos's tracing, end to end: serverless-offline with TRACING_PROVIDER=jaeger sends Thrift over UDP to a
 * receiver that decodes the real bytes. The trees, tags, joins and the absence of secrets are checked on
 * what Jaeger would receive.
 */
import http from 'node:http';
import type { RunningOffline } from '../../scripts/local-stack.js';
import { call, GOOD_PASSWORD, registerVia, uniqueEmail } from '../support/http.js';
import { startJaegerUdpReceiver, type ReceivedSpan, type UdpSpanReceiver } from '../support/trace-receivers.js';
import { randomHex, startTracedOffline, TEST_SERVICE, traceOf, treeOf } from '../support/traced-stack.js';

let udp: UdpSpanReceiver;
let offline: RunningOffline;
let base: string;
const secrets: string[] = [GOOD_PASSWORD, 'not the right password'];

beforeAll(async () => {
  udp = await startJaegerUdpReceiver();
  offline = await startTracedOffline({
    TRACING_PROVIDER: 'jaeger',
    TRACING_PROVIDERS_JAEGER_LOCAL_AGENT_ADDRESS: `127.0.0.1:${udp.port}`,
  });
  base = offline.baseUrl;
});
afterAll(async () => {
  await offline?.stop();
  await udp?.close();
});

async function registered(email = uniqueEmail('traced')) {
  const result = await registerVia(base, email);
  expect(result.status).toBe(200);
  secrets.push(result.token);
  return result;
}

function expectRootTags(root: ReceivedSpan, route: string, method: string, status: number) {
  expect(root.name).toBe(route);
  expect(root.kind).toBe('server');
  expect(root.serviceName).toBe(TEST_SERVICE);
  expect(root.tags).toMatchObject({
    'http.method': method,
    'http.request.method': method,
    'http.status_code': status,
    'http.response.status_code': status,
    'http.route': route,
    'url.path': route,
    'faas.coldstart': expect.any(Boolean),
    'faas.invocation_id': expect.stringMatching(/.+/),
    // The function ran on the project's Node 24, whatever Node the machine has.
    'process.runtime.name': 'nodejs',
    'process.runtime.version': expect.stringMatching(/^24\./),
  });
  if (status >= 400) expect(root.tags.error).toBe(true);
  else expect(root.tags.error).toBeUndefined();
}

function expectDynamoSpan(span: ReceivedSpan, operation: string) {
  expect(span.name).toBe(`DynamoDB.${operation}`);
  expect(span.kind).toBe('client');
  expect(span.tags).toMatchObject({
    'db.system': 'dynamodb',
    'db.operation': operation,
    'rpc.system': 'aws-api',
    'rpc.service': 'DynamoDB',
    'rpc.method': operation,
  });
  expect(String(span.tags['aws.dynamodb.table_names'])).toContain('kratos-test');
}

describe('the trees Kratos documents, joined to the caller', () => {
  it('registration: root, DynamoDB read, bcrypt.hash with the work factor, one transaction (W3C join)', async () => {
    const traceId = randomHex(16);
    const parentId = randomHex(8);
    const flow = await call(base, 'GET', '/self-service/registration/api');
    const res = await call(base, 'POST', `/self-service/registration?flow=${flow.json.id}`, {
      headers: { traceparent: `00-${traceId}-${parentId}-01`, tracestate: 'vendor=x', baggage: 'tenant=acme' },
      json: { method: 'password', password: GOOD_PASSWORD, traits: { email: uniqueEmail('tree') } },
    });
    expect(res.status).toBe(200);
    secrets.push(res.json.session_token);
    expect(res.traceId).toBe(traceId);

    const { root, children, names } = treeOf(await traceOf(udp, traceId, '/self-service/registration'), '/self-service/registration');
    expect(root.parentSpanId).toBe(parentId);
    expect(root.spanId).toBe(res.spanId);
    expectRootTags(root, '/self-service/registration', 'POST', 200);
    expect(names).toEqual(['DynamoDB.GetItem', 'bcrypt.hash', 'DynamoDB.TransactWriteItems']);
    expectDynamoSpan(children[0], 'GetItem');
    expect(children[1].tags).toMatchObject({ 'bcrypt.workfactor': 4, 'hash.type': 'bcrypt' });
    expectDynamoSpan(children[2], 'TransactWriteItems');
  });

  it('failed login, wrong password: one compare at the stored cost, 400 with error=true (B3 multi join)', async () => {
    const { email } = await registered();
    const traceId = randomHex(16);
    const parentId = randomHex(8);
    const flow = await call(base, 'GET', '/self-service/login/api');
    const res = await call(base, 'POST', `/self-service/login?flow=${flow.json.id}`, {
      headers: { 'X-B3-TraceId': traceId, 'X-B3-SpanId': parentId, 'X-B3-Sampled': '1' },
      json: { method: 'password', identifier: email, password: 'not the right password' },
    });
    expect(res.status).toBe(400);
    expect(res.traceId).toBe(traceId);
    const { root, children, names } = treeOf(await traceOf(udp, traceId, '/self-service/login'), '/self-service/login');
    expect(root.parentSpanId).toBe(parentId);
    expectRootTags(root, '/self-service/login', 'POST', 400);
    // One batched read (flow + the identifier's claim, which carries the hash, + this client's failures), the throttle's
    // reservation, the compare, and the failure counted for this client: no second read.
    expect(names).toEqual(['DynamoDB.BatchGetItem', 'DynamoDB.UpdateItem', 'bcrypt.compare', 'DynamoDB.UpdateItem']);
    expectDynamoSpan(children[0], 'BatchGetItem');
    expect(children[2].tags).toMatchObject({ 'bcrypt.workfactor': 4, 'hash.type': 'bcrypt' });
  });

  it('failed login, unknown identifier: the dummy compare at the configured cost, same answer (B3 single join)', async () => {
    const traceId = randomHex(16);
    const parentId = randomHex(8);
    const flow = await call(base, 'GET', '/self-service/login/api');
    const res = await call(base, 'POST', `/self-service/login?flow=${flow.json.id}`, {
      headers: { b3: `${traceId}-${parentId}-1` },
      json: { method: 'password', identifier: uniqueEmail('nobody'), password: 'not the right password' },
    });
    expect(res.status).toBe(400);
    expect(res.json.ui.messages.map((m: { id: number }) => m.id)).toEqual([4000006]);
    const { root, children, names } = treeOf(await traceOf(udp, traceId, '/self-service/login'), '/self-service/login');
    expect(root.parentSpanId).toBe(parentId);
    expectRootTags(root, '/self-service/login', 'POST', 400);
    expect(names).toEqual(['DynamoDB.BatchGetItem', 'DynamoDB.UpdateItem', 'bcrypt.compare', 'DynamoDB.UpdateItem']);
    expect(children[2].tags['bcrypt.workfactor']).toBe(4);
  });

  it('successful login: three round trips, the batched read, the throttle reservation and the session transaction, around the compare', async () => {
    const { email } = await registered();
    const flow = await call(base, 'GET', '/self-service/login/api');
    const res = await call(base, 'POST', `/self-service/login?flow=${flow.json.id}`, {
      json: { method: 'password', identifier: email, password: GOOD_PASSWORD },
    });
    expect(res.status).toBe(200);
    secrets.push(res.json.session_token);
    const { root, names } = treeOf(await traceOf(udp, res.traceId, '/self-service/login'), '/self-service/login');
    expect(root.parentSpanId).toBeUndefined();
    expectRootTags(root, '/self-service/login', 'POST', 200);
    expect(names).toEqual(['DynamoDB.BatchGetItem', 'DynamoDB.UpdateItem', 'bcrypt.compare', 'DynamoDB.TransactWriteItems']);
  });

  it('whoami: one DynamoDB read (Jaeger uber-trace-id join); without a session 401 and error=true', async () => {
    const { token } = await registered();
    const traceId = randomHex(16);
    const parentId = randomHex(8);
    const res = await call(base, 'GET', '/sessions/whoami', {
      headers: { 'X-Session-Token': token, 'uber-trace-id': `${traceId}:${parentId}:0:1`, 'uberctx-tenant': 'acme' },
    });
    expect(res.status).toBe(200);
    expect(res.traceId).toBe(traceId);
    const { root, children, names } = treeOf(await traceOf(udp, traceId, '/sessions/whoami'), '/sessions/whoami');
    expect(root.parentSpanId).toBe(parentId);
    expectRootTags(root, '/sessions/whoami', 'GET', 200);
    expect(names).toEqual(['DynamoDB.GetItem']);
    expectDynamoSpan(children[0], 'GetItem');

    const anonymous = await call(base, 'GET', '/sessions/whoami');
    expect(anonymous.status).toBe(401);
    const tree = treeOf(await traceOf(udp, anonymous.traceId, '/sessions/whoami'), '/sessions/whoami');
    expectRootTags(tree.root, '/sessions/whoami', 'GET', 401);
    expect(tree.names).toEqual([]);
  });
});

describe('joining whatever the header case, and surviving garbage', () => {
  it('joins headers sent in mixed case on the wire', async () => {
    const traceId = randomHex(16);
    const parentId = randomHex(8);
    const url = new URL(`${base}/self-service/login/api`);
    const traceresponse = await new Promise<string>((resolve, reject) => {
      const req = http.request(
        { host: url.hostname, port: url.port, path: url.pathname, method: 'GET', headers: { 'X-B3-TRACEID': traceId, 'x-B3-spanid': parentId, 'X-b3-Sampled': '1' } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(String(res.headers.traceresponse)));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(traceresponse.split('-')[1]).toBe(traceId);
    const { root } = treeOf(await traceOf(udp, traceId, '/self-service/login/api'), '/self-service/login/api');
    expect(root.parentSpanId).toBe(parentId);
  });

  it.each([
    ['traceparent', { traceparent: '00-zzzz-yyyy-01' }],
    ['an all-zero traceparent', { traceparent: `00-${'0'.repeat(32)}-${'0'.repeat(16)}-01` }],
    ['b3 with a bad sampled flag', { b3: `${'a'.repeat(32)}-${'b'.repeat(16)}-maybe` }],
    ['x-b3 ids of the wrong length', { 'x-b3-traceid': 'abc', 'x-b3-spanid': 'def', 'x-b3-sampled': '1' }],
    ['uber-trace-id', { 'uber-trace-id': 'not:a:valid:id:at:all' }],
    // API Gateway caps all headers at 10 KiB; these stay under it.
    ['oversized baggage', { baggage: `k=${'v'.repeat(4000)}`, 'uberctx-x': 'y'.repeat(4000), tracestate: `a=${'b'.repeat(1000)}` }],
  ])('answers normally and starts a new trace on malformed %s', async (_, headers) => {
    const res = await call(base, 'GET', '/self-service/login/api', { headers: headers as Record<string, string> });
    expect(res.status).toBe(200);
    expect(res.json.type).toBe('api');
    const { root } = treeOf(await traceOf(udp, res.traceId, '/self-service/login/api'), '/self-service/login/api');
    expect(root.parentSpanId).toBeUndefined();
    expect(res.traceId).not.toBe('0'.repeat(32));
    expect(res.traceId).not.toBe('a'.repeat(32));
  });
});

describe('what the spans must never carry', () => {
  it('has no password, hash, or session token in any exported span', async () => {
    // Make sure at least the flows that touch secrets ran in this file.
    await registered();
    expect(udp.errors).toEqual([]);
    expect(udp.spans.length).toBeGreaterThan(20);
    const everything = JSON.stringify(udp.spans.map((s) => s.raw));
    for (const secret of secrets) expect(everything).not.toContain(secret);
    expect(everything).not.toMatch(/\$2[aby]\$\d\d\$/);
    expect(everything).not.toContain('ory_st_');
  });
});
