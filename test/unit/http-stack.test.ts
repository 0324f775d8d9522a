import { jest } from '@jest/globals';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { BadRequestError, FlowValidationError } from '../../lib/errors/index.js';
import { httpFunction } from '../../lib/http/stack.js';

// Access lines go to stdout, errors to stderr; this file looks at the error line only.
process.env.LOG_LEVEL = 'warn';

const event = (method: string, headers: Record<string, string> = {}): APIGatewayProxyEventV2 =>
  ({
    version: '2.0',
    rawPath: '/x',
    headers,
    requestContext: { http: { method, path: '/x', sourceIp: '127.0.0.1' }, requestId: 'rid' },
    isBase64Encoded: false,
  }) as unknown as APIGatewayProxyEventV2;
const context = { awsRequestId: 'aws-rid' } as Context;

describe('the Middy stack', () => {
  it('shapes a result, with Cache-Control on GET and X-Request-ID echoed', async () => {
    const handler = httpFunction({ route: '/x' }, async () => ({ status: 200, body: { ok: true } }));
    await expect(handler(event('GET', { 'x-request-id': 'abc' }), context)).resolves.toEqual({
      statusCode: 200,
      headers: {
        'Cache-Control': 'private, no-cache, no-store, must-revalidate',
        'X-Request-ID': 'abc',
        'Content-Type': 'application/json; charset=utf-8',
      },
      body: '{"ok":true}',
    });
  });

  it('answers 204 without a body and without Cache-Control on DELETE', async () => {
    const handler = httpFunction({ route: '/x' }, async () => ({ status: 204 }));
    await expect(handler(event('DELETE'), context)).resolves.toEqual({ statusCode: 204, headers: {}, body: '' });
  });

  it('maps a typed error to the Kratos envelope with its id header', async () => {
    const handler = httpFunction({ route: '/x' }, async () => {
      throw new BadRequestError('nope', { id: 'some_id' });
    });
    const res = await handler(event('POST', { 'x-request-id': 'r-9' }), context);
    expect(res).toEqual({
      statusCode: 400,
      headers: { 'X-Request-ID': 'r-9', 'Ory-Error-Id': 'some_id', 'Content-Type': 'application/json; charset=utf-8' },
      body: JSON.stringify({
        error: { id: 'some_id', code: 400, status: 'Bad Request', request: 'r-9', reason: 'nope', message: 'The request was malformed or contained invalid parameters' },
      }),
    });
  });

  it('answers 413 to a body over 1 MiB on any route, before the handler runs', async () => {
    let ran = false;
    const handler = httpFunction({ route: '/x' }, async () => {
      ran = true;
      return { status: 200 };
    });
    const big = { ...event('GET'), body: 'a'.repeat(1024 * 1024 + 1) } as APIGatewayProxyEventV2;
    const res = await handler(big, context);
    expect(res.statusCode).toBe(413);
    expect(JSON.parse(res.body).error).toMatchObject({ code: 413, status: 'Request Entity Too Large' });
    expect(ran).toBe(false);
  });

  it('answers a flow validation error with the flow itself', async () => {
    const flow = { id: 'f', ui: { action: 'a', method: 'POST' as const, nodes: [] } };
    const handler = httpFunction({ route: '/x' }, async () => {
      throw new FlowValidationError(flow);
    });
    const res = await handler(event('POST'), context);
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body)).toEqual(flow);
  });

  it('hides the internals of an unexpected error behind a bare 500', async () => {
    const spy = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const handler = httpFunction({ route: '/x' }, async () => {
      throw new Error('connect ECONNREFUSED 10.1.2.3:5432 at secret/path.js');
    });
    const res = await handler(event('GET'), context);
    expect(res.statusCode).toBe(500);
    expect(JSON.parse(res.body)).toEqual({
      error: { code: 500, status: 'Internal Server Error', message: 'An internal server error occurred, please contact the system administrator' },
    });
    const lines = spy.mock.calls.map(([line]) => JSON.parse(String(line)));
    expect(lines).toEqual([expect.objectContaining({ level: 'error', msg: 'unhandled error', message: expect.stringContaining('ECONNREFUSED') })]);
    spy.mockRestore();
  });
});
