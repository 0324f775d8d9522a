/**
 * Every tracing provider through serverless-offline, decoded from what it really sends: Jaeger collector
 * (Thrift over HTTP), OTLP/HTTP and Zipkin JSON. Then the backend failures: nothing listening, and a
 * collector that accepts connections but never answers, which the flush bound must cut short.
 */
import net from 'node:net';
import { freePort } from '../../scripts/dynamodb-local.js';
import type { RunningOffline } from '../../scripts/local-stack.js';
import {
  startJaegerHttpReceiver,
  startJaegerUdpReceiver,
  startOtlpHttpReceiver,
  startZipkinReceiver,
  type HttpSpanReceiver,
} from '../support/trace-receivers.js';
import { call, GOOD_PASSWORD, uniqueEmail } from '../support/http.js';
import { randomHex, startTracedOffline, traceOf, treeOf } from '../support/traced-stack.js';

async function withOffline<T>(env: Record<string, string>, work: (base: string) => Promise<T>): Promise<T> {
  let offline: RunningOffline | undefined;
  try {
    offline = await startTracedOffline(env);
    return await work(offline.baseUrl);
  } finally {
    await offline?.stop();
  }
}

/** A login-flow init joined to a W3C parent: root plus one DynamoDB.PutItem, as the backend received it. */
async function expectJoinedLoginInit(receiver: HttpSpanReceiver, base: string) {
  const traceId = randomHex(16);
  const parentId = randomHex(8);
  const res = await call(base, 'GET', '/self-service/login/api', { headers: { traceparent: `00-${traceId}-${parentId}-01` } });
  expect(res.status).toBe(200);
  const { root, children, names } = treeOf(await traceOf(receiver, traceId, '/self-service/login/api'), '/self-service/login/api');
  expect(root.parentSpanId).toBe(parentId);
  expect(String(root.tags['http.status_code'])).toBe('200');
  expect(names).toEqual(['DynamoDB.PutItem']);
  expect(String(children[0].tags['db.system'])).toBe('dynamodb');
  expect(receiver.errors).toEqual([]);
  return { root, children };
}

describe('exporters, decoded from the wire', () => {
  it('jaeger via the collector (Thrift over HTTP)', async () => {
    const receiver = await startJaegerHttpReceiver();
    try {
      await withOffline({ TRACING_PROVIDER: 'jaeger', TRACING_PROVIDERS_JAEGER_COLLECTOR_ENDPOINT: receiver.url }, async (base) => {
        await expectJoinedLoginInit(receiver, base);
        expect(receiver.requests[0].headers['content-type']).toBe('application/vnd.apache.thrift.binary');
      });
    } finally {
      await receiver.close();
    }
  });

  it('otel via OTLP/HTTP, with Kratos’s host:port form and the authorization header', async () => {
    const receiver = await startOtlpHttpReceiver();
    try {
      await withOffline(
        {
          TRACING_PROVIDER: 'otel',
          TRACING_PROVIDERS_OTLP_SERVER_URL: `127.0.0.1:${receiver.port}`,
          TRACING_PROVIDERS_OTLP_INSECURE: 'true',
          TRACING_PROVIDERS_OTLP_AUTHORIZATION_HEADER: 'Bearer otlp-test-credential',
        },
        async (base) => {
          const { root } = await expectJoinedLoginInit(receiver, base);
          expect(root.kind).toBe('server');
          expect(root.tags['http.status_code']).toBe(200);
          expect(receiver.requests.every((r) => r.headers.authorization === 'Bearer otlp-test-credential')).toBe(true);
        },
      );
    } finally {
      await receiver.close();
    }
  });

  it('zipkin via its JSON v2 API', async () => {
    const receiver = await startZipkinReceiver();
    try {
      await withOffline({ TRACING_PROVIDER: 'zipkin', TRACING_PROVIDERS_ZIPKIN_SERVER_URL: receiver.url }, async (base) => {
        const { root } = await expectJoinedLoginInit(receiver, base);
        expect(root.serviceName).toBe('kratos-test');
      });
    } finally {
      await receiver.close();
    }
  });

  it('sends Kratos’s documented agent address (port 6831) Thrift compact, decoded by Apache Thrift’s TCompactProtocol, with the seed’s tree', async () => {
    let receiver;
    try {
      receiver = await startJaegerUdpReceiver(6831);
    } catch (error) {
      throw new Error(`this test needs UDP port 6831 on 127.0.0.1 free, as a Jaeger agent would have it: ${String(error)}`);
    }
    try {
      await withOffline({ TRACING_PROVIDER: 'jaeger', TRACING_PROVIDERS_JAEGER_LOCAL_AGENT_ADDRESS: '127.0.0.1:6831' }, async (base) => {
        const registration = await call(base, 'GET', '/self-service/registration/api');
        const email = uniqueEmail('compact');
        const registered = await call(base, 'POST', `/self-service/registration?flow=${registration.json.id}`, {
          json: { method: 'password', password: GOOD_PASSWORD, traits: { email } },
        });
        expect(registered.status).toBe(200);
        const flow = await call(base, 'GET', '/self-service/login/api');
        const res = await call(base, 'POST', `/self-service/login?flow=${flow.json.id}`, { json: { method: 'password', identifier: email, password: 'not the password 1' } });
        expect(res.status).toBe(400);
        const { root, children, names } = treeOf(await traceOf(receiver!, res.traceId, '/self-service/login'), '/self-service/login');
        expect(root.format).toBe('jaeger-thrift-compact');
        expect(root.tags).toMatchObject({ 'http.method': 'POST', 'http.status_code': 400, error: true });
        expect(names).toEqual(['DynamoDB.BatchGetItem', 'DynamoDB.UpdateItem', 'bcrypt.compare', 'DynamoDB.UpdateItem']);
        expect(children[0].tags['aws.dynamodb.table_names']).toContain('kratos-test');
        expect(children[2].tags['bcrypt.workfactor']).toBe(4);
        expect(receiver!.errors).toEqual([]);
      });
    } finally {
      await receiver.close();
    }
  });
});

describe('a tracing backend that is down never holds a request', () => {
  it('answers normally with nothing listening on the agent port', async () => {
    const port = await freePort();
    await withOffline({ TRACING_PROVIDER: 'jaeger', TRACING_PROVIDERS_JAEGER_LOCAL_AGENT_ADDRESS: `127.0.0.1:${port}` }, async (base) => {
      for (let i = 0; i < 3; i++) {
        const res = await call(base, 'GET', '/self-service/login/api');
        expect(res.status).toBe(200);
        expect(res.json.ui.action).toContain('/self-service/login?flow=');
      }
    });
  });

  it('cuts a flush to a collector that never answers at TRACING_FLUSH_TIMEOUT', async () => {
    // Accepts connections and reads, but never writes a byte back.
    const sockets = new Set<net.Socket>();
    const blackhole = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('data', () => {});
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => blackhole.listen(0, '127.0.0.1', resolve));
    const { port } = blackhole.address() as net.AddressInfo;
    try {
      await withOffline(
        {
          TRACING_PROVIDER: 'jaeger',
          TRACING_PROVIDERS_JAEGER_COLLECTOR_ENDPOINT: `http://127.0.0.1:${port}/api/traces`,
          TRACING_FLUSH_TIMEOUT: '300ms',
        },
        async (base) => {
          await call(base, 'GET', '/sessions/whoami'); // cold start out of the way
          for (let i = 0; i < 3; i++) {
            // Answered without DynamoDB, so the time is the flush's.
            const res = await call(base, 'GET', '/sessions/whoami');
            expect(res.status).toBe(401);
            // 300 ms of flush bound plus a generous allowance for a loaded machine; unbounded it would wait for the sender.
            expect(res.elapsedMs).toBeLessThan(2500);
            expect(res.elapsedMs).toBeGreaterThanOrEqual(250);
          }
          const login = await call(base, 'GET', '/self-service/login/api');
          expect(login.status).toBe(200);
        },
      );
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => blackhole.close(resolve));
    }
  });
});
