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

  it('leaves health checks untraced, as Kratos does', async () => {
    const before = udp.spans.length;
    const handler = stack.httpFunction({ route: '/health/alive' }, async () => ({ status: 200, body: { status: 'ok' } }));
    const res = await handler(restEvent({ traceparent: `00-${traceId}-${parentId}-01` }), context());
    expect(res.statusCode).toBe(200);
    expect(res.headers?.traceresponse).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(udp.spans.slice(before).filter((s) => s.name === '/health/alive')).toEqual([]);
  });
});

describe('joining the context AWS starts (X-Ray)', () => {
  const xrayRoot = '5759e988bd862e3fe1be46a994272793';
  const xrayParent = '53995c3f42cd8ad8';
  const xrayHeader = (sampled: string) => `Root=1-5759e988-bd862e3fe1be46a994272793;Parent=${xrayParent};Sampled=${sampled}`;
  afterEach(() => {
    delete process.env._X_AMZN_TRACE_ID;
  });

  const traced = () => stack.httpFunction({ route: '/things/{id}' }, async () => ({ status: 200, body: {} }));

  it("joins Node 24's context.xRayTraceId (Lambda Managed Instances leave _X_AMZN_TRACE_ID unset)", async () => {
    const res = await traced()(restEvent({}), { ...context(), xRayTraceId: xrayHeader('1') } as Context);
    const root = (await rootOf(res.headers?.traceresponse)).find((s) => s.name === '/things/{id}')!;
    expect(root.traceId).toBe(xrayRoot);
    expect(root.parentSpanId).toBe(xrayParent);
  });

  it('joins _X_AMZN_TRACE_ID when nothing else carries a context', async () => {
    process.env._X_AMZN_TRACE_ID = xrayHeader('1');
    const res = await traced()(restEvent({}), context());
    const root = (await rootOf(res.headers?.traceresponse)).find((s) => s.name === '/things/{id}')!;
    expect([root.traceId, root.parentSpanId]).toEqual([xrayRoot, xrayParent]);
  });

  it('prefers a valid _X_AMZN_TRACE_ID over the X-Amzn-Trace-Id header, and falls back to the header when it is not valid', async () => {
    const otherRoot = '1-5759e988-00000000000000000000beef';
    const headerValue = `Root=${otherRoot};Parent=00000000000000aa;Sampled=1`;
    process.env._X_AMZN_TRACE_ID = xrayHeader('1');
    const both = await traced()(restEvent({ 'x-amzn-trace-id': headerValue }), context());
    expect((await rootOf(both.headers?.traceresponse)).find((s) => s.name === '/things/{id}')!.traceId).toBe(xrayRoot);
    process.env._X_AMZN_TRACE_ID = 'Root=garbage';
    const fallback = await traced()(restEvent({ 'x-amzn-trace-id': headerValue }), context());
    const root = (await rootOf(fallback.headers?.traceresponse)).find((s) => s.name === '/things/{id}')!;
    expect([root.traceId, root.parentSpanId]).toEqual(['5759e98800000000000000000000beef', '00000000000000aa']);
  });

  it('lets a caller’s W3C, Jaeger or B3 context win over X-Ray', async () => {
    process.env._X_AMZN_TRACE_ID = xrayHeader('1');
    const res = await traced()(restEvent({ 'X-B3-TraceId': traceId, 'X-B3-SpanId': parentId, 'X-B3-Sampled': '1' }), context());
    expect((await rootOf(res.headers?.traceresponse))[0].traceId).toBe(traceId);
  });

  it('joins an unsampled X-Ray context for its ids but lets the configured sampler decide (ratio 1 here: exported)', async () => {
    const res = await traced()(restEvent({ 'X-Amzn-Trace-Id': xrayHeader('0') }), context());
    const root = (await rootOf(res.headers?.traceresponse)).find((s) => s.name === '/things/{id}')!;
    expect([root.traceId, root.parentSpanId]).toEqual([xrayRoot, xrayParent]);
  });
});
