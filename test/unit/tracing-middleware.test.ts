/**
 * The tracing middleware in-process, on API Gateway REST (v1) events, exported to a real UDP receiver:
 * the root span ends and is flushed on every way out, including a thrown error and a middleware that
 * answers early.
 */
import { jest } from '@jest/globals';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { startJaegerUdpReceiver, type UdpSpanReceiver } from '../support/trace-receivers.js';

let udp: UdpSpanReceiver;
let stack: typeof import('../../lib/http/stack.js');
let span: typeof import('../../lib/tracing/span.js');

beforeAll(async () => {
  udp = await startJaegerUdpReceiver();
  process.env.TRACING_PROVIDER = 'jaeger';
  process.env.TRACING_PROVIDERS_JAEGER_LOCAL_AGENT_ADDRESS = `127.0.0.1:${udp.port}`;
  process.env.TRACING_SERVICE_NAME = 'unit';
  jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  stack = await import('../../lib/http/stack.js');
  span = await import('../../lib/tracing/span.js');
});
afterAll(async () => {
  await udp.close();
  jest.restoreAllMocks();
});

const traceId = '0af7651916cd43dd8448eb211c80319c';
const parentId = 'b7ad6b7169203331';

function restEvent(headers: Record<string, string>): APIGatewayProxyEvent {
  return {
    httpMethod: 'GET',
    path: '/things/42',
    resource: '/things/{id}',
    headers,
    multiValueHeaders: {},
    queryStringParameters: null,
    requestContext: { requestId: 'rest-req' },
    body: null,
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEvent;
}
const context = () => ({ awsRequestId: `aws-${Math.random()}` }) as Context;

async function rootOf(traceresponse: unknown) {
  const [, id] = String(traceresponse ?? "").split('-');
  await udp.waitForSpans((spans) => spans.some((s) => s.traceId === id && s.name === '/things/{id}'), 2000);
  return udp.spans.filter((s) => s.traceId === id);
}

describe('tracing middleware', () => {
  it('joins a REST event whose headers keep the caller’s case, with handler spans as children', async () => {
    const handler = stack.httpFunction({ route: '/things/{id}' }, async () => {
      await span.withSpan('work', { step: 1 }, async () => undefined);
      return { status: 200, body: { ok: true } };
    });
    const res = await handler(restEvent({ 'X-B3-TraceId': traceId, 'X-B3-SpanId': parentId, 'X-B3-Sampled': '1' }), context());
    expect(res.statusCode).toBe(200);
    expect(res.headers?.traceresponse).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    const spans = await rootOf(res.headers?.traceresponse);
    const root = spans.find((s) => s.name === '/things/{id}')!;
    expect(root.parentSpanId).toBe(parentId);
    expect(root.tags).toMatchObject({ 'http.route': '/things/{id}', 'url.path': '/things/42', 'http.status_code': 200 });
    expect(spans.find((s) => s.name === 'work')?.parentSpanId).toBe(root.spanId);
  });

  it('ends and flushes the span when the handler throws (500, error=true, ERROR status)', async () => {
    const log = jest.spyOn(console, 'error').mockImplementation(() => {});
    const handler = stack.httpFunction({ route: '/things/{id}' }, async () => {
      throw new Error('boom');
    });
    const res = await handler(restEvent({}), context());
    expect(res.statusCode).toBe(500);
    const root = (await rootOf(res.headers?.traceresponse)).find((s) => s.name === '/things/{id}')!;
    expect(root.tags).toMatchObject({ 'http.status_code': 500, error: true, 'otel.status_code': 'ERROR' });
    log.mockRestore();
  });

  it('ends and flushes the span when a later middleware answers early', async () => {
    const handler = stack.httpFunction(
      {
        route: '/things/{id}',
        middlewares: [{ before: async () => ({ statusCode: 401, headers: {}, body: '{"error":{}}' }) }],
      },
      async () => ({ status: 200 }),
    );
    const res = await handler(restEvent({ traceparent: `00-${traceId.replace('0a', '1b')}-${parentId}-01` }), context());
    expect(res.statusCode).toBe(401);
    const root = (await rootOf(res.headers?.traceresponse)).find((s) => s.name === '/things/{id}')!;
    expect(root.tags).toMatchObject({ 'http.status_code': 401, error: true });
    expect(root.parentSpanId).toBe(parentId);
  });
});
