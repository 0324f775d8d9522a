/**
 * Tail decisions, in-process with a real UDP receiver: the head sampler keeps nothing here (ratio 0), and the
 * invocation still exports its whole trace when it failed (status >= 500, the default) or was slow
 * (TRACING_TAIL_SAMPLING_MIN_DURATION), tagged `sampling.tail_kept`; a fast success exports nothing.
 */
import { jest } from '@jest/globals';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { startJaegerUdpReceiver, type UdpSpanReceiver } from '../support/trace-receivers.js';

let udp: UdpSpanReceiver;
let stack: typeof import('../../lib/http/stack.js');
let span: typeof import('../../lib/tracing/span.js');

beforeAll(async () => {
  udp = await startJaegerUdpReceiver();
  Object.assign(process.env, {
    TRACING_PROVIDER: 'jaeger',
    TRACING_PROVIDERS_JAEGER_LOCAL_AGENT_ADDRESS: `127.0.0.1:${udp.port}`,
    TRACING_PROVIDERS_JAEGER_SAMPLING_TRACE_ID_RATIO: '0',
    TRACING_TAIL_SAMPLING_MIN_DURATION: '50ms',
  });
  jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  stack = await import('../../lib/http/stack.js');
  span = await import('../../lib/tracing/span.js');
});
afterAll(async () => {
  await udp.close();
  jest.restoreAllMocks();
});

const event = { version: '2.0', rawPath: '/x', headers: {}, requestContext: { http: { method: 'GET', path: '/x', sourceIp: '198.51.100.7' }, requestId: 'r' }, isBase64Encoded: false } as unknown as APIGatewayProxyEventV2;
const context = () => ({ awsRequestId: `aws-${Math.random()}` }) as Context;

async function exported(traceresponse: unknown, wait = 1000) {
  const [, id, , flags] = String(traceresponse).split('-');
  expect(flags).toBe('00'); // the head sampler said no
  try {
    await udp.waitForSpans((spans) => spans.some((s) => s.traceId === id && s.name === '/x'), wait);
  } catch {
    return [];
  }
  return udp.spans.filter((s) => s.traceId === id);
}

describe('tail decisions', () => {
  it('exports a failed invocation the head sampler left out, children included, tagged sampling.tail_kept', async () => {
    const handler = stack.httpFunction({ route: '/x' }, async () => {
      await span.withSpan('DynamoDB.GetItem', {}, async () => undefined);
      throw new Error('the database broke');
    });
    const res = await handler(event, context());
    expect(res.statusCode).toBe(500);
    const spans = await exported(res.headers?.traceresponse);
    expect(spans.map((s) => s.name).sort()).toEqual(['/x', 'DynamoDB.GetItem']);
    expect(spans.find((s) => s.name === '/x')!.tags).toMatchObject({ 'sampling.tail_kept': true, 'http.status_code': 500, error: true });
  });

  it('exports a slow invocation', async () => {
    const handler = stack.httpFunction({ route: '/x' }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 80));
      return { status: 200, body: {} };
    });
    const res = await handler(event, context());
    const spans = await exported(res.headers?.traceresponse);
    expect(spans.find((s) => s.name === '/x')?.tags).toMatchObject({ 'sampling.tail_kept': true, 'http.status_code': 200 });
  });

  it('exports nothing of a fast success, nor of a client error below the threshold', async () => {
    const ok = stack.httpFunction({ route: '/x' }, async () => ({ status: 200, body: {} }));
    const refused = stack.httpFunction({ route: '/x' }, async () => ({ status: 404, body: {} }));
    const before = udp.datagrams.length;
    for (const res of [await ok(event, context()), await refused(event, context())]) {
      expect(await exported(res.headers?.traceresponse, 300)).toEqual([]);
    }
    expect(udp.datagrams.length).toBe(before);
  });
});
