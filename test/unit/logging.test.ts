import { jest } from '@jest/globals';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { startJaegerUdpReceiver, type UdpSpanReceiver } from '../support/trace-receivers.js';

let udp: UdpSpanReceiver;
let stack: typeof import('../../lib/http/stack.js');
let logging: typeof import('../../lib/log/index.js');
const out: string[] = [];

beforeAll(async () => {
  udp = await startJaegerUdpReceiver();
  Object.assign(process.env, {
    LOG_LEVEL: 'info',
    TRACING_PROVIDER: 'jaeger',
    TRACING_PROVIDERS_JAEGER_LOCAL_AGENT_ADDRESS: `127.0.0.1:${udp.port}`,
  });
  const capture = (chunk: unknown) => {
    out.push(String(chunk));
    return true;
  };
  jest.spyOn(process.stdout, 'write').mockImplementation(capture as never);
  jest.spyOn(process.stderr, 'write').mockImplementation(capture as never);
  stack = await import('../../lib/http/stack.js');
  logging = await import('../../lib/log/index.js');
});
afterAll(async () => {
  jest.restoreAllMocks();
  await udp.close();
});
beforeEach(() => {
  out.length = 0;
});

const event = { version: '2.0', rawPath: '/x', headers: {}, requestContext: { http: { method: 'GET', path: '/x' }, requestId: 'r' }, isBase64Encoded: false } as unknown as APIGatewayProxyEventV2;
const lines = () => out.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));

describe('logs', () => {
  it('writes one JSON line per invocation, with the ids that join it to its trace', async () => {
    const handler = stack.httpFunction({ route: '/x' }, async () => ({ status: 200, body: {} }));
    const res = await handler(event, { awsRequestId: 'aws-1' } as Context);
    const [, traceId, spanId] = String(res.headers?.traceresponse).split('-');
    const access = lines().filter((l) => l.msg === 'request');
    expect(access).toEqual([
      {
        level: 'info',
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        msg: 'request',
        route: '/x',
        method: 'GET',
        status: 200,
        duration_ms: expect.any(Number),
        request_id: 'aws-1',
        trace_id: traceId,
        span_id: spanId,
      },
    ]);
  });

  it('logs an unexpected error as JSON with the same ids, and still one access line', async () => {
    const handler = stack.httpFunction({ route: '/x' }, async () => {
      throw new Error('database exploded');
    });
    const res = await handler(event, { awsRequestId: 'aws-2' } as Context);
    expect(res.statusCode).toBe(500);
    const [error, access] = [lines().find((l) => l.level === 'error'), lines().filter((l) => l.msg === 'request')];
    expect(error).toMatchObject({ msg: 'unhandled error', message: 'database exploded', request_id: 'aws-2' });
    expect(access).toHaveLength(1);
    expect(error.trace_id).toBe(access[0].trace_id);
    expect(error.span_id).toBe(access[0].span_id);
  });

  it('redacts hashes, session tokens and the admin key in use from every line', async () => {
    const { resolveAdminKey } = await import('../../lib/config/admin-key.js');
    await resolveAdminKey({ apiKey: 'admin-key-for-redaction-test', region: 'us-east-1' });
    logging.log('info', 'x', {
      hash: '$2b$12$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234',
      token: 'ory_st_abcdefghijklmnopqrstuvwxyz123456',
      key: 'Bearer admin-key-for-redaction-test',
    });
    const line = out.join('');
    expect(line).not.toContain('$2b$12$');
    expect(line).not.toContain('ory_st_abc');
    expect(line).not.toContain('admin-key-for-redaction-test');
    expect(line.match(/\[REDACTED\]/g)).toHaveLength(3);
  });
});
