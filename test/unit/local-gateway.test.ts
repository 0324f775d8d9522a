/**
 * The local gateway in front of serverless-offline, against a stand-in upstream that answers exactly as
 * serverless-offline 14 does for failures outside a handler (the e2e suites run the real one behind it).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { routeKey, startGateway, type RunningGateway } from '../../scripts/local-gateway.js';

const STACK = ['Error: [504] - Lambda timeout.', 'at #timeoutAndTerminate (file:///x/node_modules/serverless-offline/src/lambda/LambdaFunction.js:290:11)'];

let upstream: Server;
let gateway: RunningGateway;
const logged: string[] = [];
let inFlight = 0;
let maxInFlight = 0;
const seen: { url: string; host?: string; body: string }[] = [];

function answer(req: IncomingMessage, res: ServerResponse, body: string) {
  const json = (status: number, value: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
  switch (req.url?.split('?')[0]) {
    case '/timeout':
      return json(200, { errorMessage: '[504] - Lambda timeout.', errorType: 'LambdaTimeoutError', stackTrace: STACK });
    case '/crash':
      return json(200, { errorMessage: 'worker exited', errorType: 'Error', stackTrace: ['Error: worker exited'] });
    case '/crash-502':
      return json(502, { errorMessage: 'Cannot find module', errorType: 'Error', stackTrace: [] });
    case '/hapi-500':
      return json(500, { statusCode: 500, error: 'Internal Server Error', message: 'An internal server error occurred' });
    case '/unknown-route':
      return json(404, { statusCode: 404, error: 'Serverless-offline: route not found.', currentRoute: 'get - /unknown-route' });
    case '/kratos-500':
      return json(500, { error: { code: 500, status: 'Internal Server Error', message: 'An internal server error occurred, please contact the system administrator' } });
    case '/redirect':
      res.writeHead(303, [['Location', '/ui/welcome'], ['Set-Cookie', 'a=1; Path=/'], ['Set-Cookie', 'b=2; Path=/; HttpOnly']].flat());
      return res.end();
    case '/slow':
      return setTimeout(() => json(200, { ok: true }), 100);
    default:
      seen.push({ url: req.url!, host: req.headers.host, body });
      return res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'r1' }).end(body || '{"ok":true}');
  }
}

beforeAll(async () => {
  upstream = createServer((req, res) => {
    const chunks: Buffer[] = [];
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on('finish', () => (inFlight -= 1));
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => answer(req, res, Buffer.concat(chunks).toString()));
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  gateway = await startGateway({
    host: '127.0.0.1',
    port: 0,
    upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
    perFunction: 2,
    log: (line) => logged.push(line),
  });
});
afterAll(async () => {
  await gateway.close();
  await new Promise((resolve) => upstream.close(resolve));
});

const get = (path: string, init?: RequestInit) => fetch(`${gateway.url}${path}`, { redirect: 'manual', ...init });

describe('the local gateway', () => {
  it('answers a serverless-offline timeout (HTTP 200 with a stack trace) as 504 in Kratos’s envelope', async () => {
    const res = await get('/timeout');
    expect(res.status).toBe(504);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ error: { code: 504, status: 'Gateway Timeout', reason: 'The function did not answer within its timeout.', message: 'Gateway Timeout' } });
    expect(text).not.toContain('stackTrace');
    expect(logged.at(-1)).toBe('local gateway: GET /timeout → 504 (serverless-offline: LambdaTimeoutError)');
  });

  it('answers any other failure outside the handler as 502, never 200, never a stack trace', async () => {
    for (const path of ['/crash', '/crash-502', '/hapi-500']) {
      const res = await get(path);
      expect([path, res.status]).toEqual([path, 502]);
      expect(await res.json()).toMatchObject({ error: { code: 502, status: 'Bad Gateway', reason: 'The function failed before it could answer.' } });
    }
  });

  it('passes every answer of a function through as it is: 4xx/5xx envelopes, redirects with several cookies, bodies', async () => {
    const kratos = await get('/kratos-500');
    expect(kratos.status).toBe(500);
    expect(((await kratos.json()) as { error: { code: number } }).error.code).toBe(500);
    expect((await get('/unknown-route')).status).toBe(404);
    const redirect = await get('/redirect');
    expect(redirect.status).toBe(303);
    expect(redirect.headers.get('location')).toBe('/ui/welcome');
    expect(redirect.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/; HttpOnly']);
    const posted = await get('/echo?x=1&y=%20', { method: 'POST', body: 'é'.repeat(1000) });
    expect(posted.headers.get('x-request-id')).toBe('r1');
    expect(await posted.text()).toBe('é'.repeat(1000));
    // The Host the caller sent (the gateway's), not serverless-offline's own.
    expect(seen.at(-1)).toEqual({ url: '/echo?x=1&y=%20', host: new URL(gateway.url).host, body: 'é'.repeat(1000) });
  });

  it('answers 502 when serverless-offline is not there', async () => {
    const lonely = await startGateway({ host: '127.0.0.1', port: 0, upstream: 'http://127.0.0.1:1', log: () => {} });
    try {
      const res = await fetch(`${lonely.url}/anything`);
      expect(res.status).toBe(502);
      expect(((await res.json()) as { error: { reason: string } }).error.reason).toBe('The function could not be reached.');
    } finally {
      await lonely.close();
    }
  });

  it('lets at most `perFunction` requests of one route into serverless-offline at once; the rest wait their turn', async () => {
    maxInFlight = 0;
    const answers = await Promise.all(Array.from({ length: 8 }, () => get('/slow')));
    expect(answers.map((r) => r.status)).toEqual(Array(8).fill(200));
    expect(maxInFlight).toBe(2);
    // Another route is not held up behind them.
    maxInFlight = 0;
    const both = await Promise.all([...Array.from({ length: 4 }, () => get('/slow')), get('/echo')]);
    expect(both.every((r) => r.status === 200)).toBe(true);
    expect(maxInFlight).toBe(3);
  });

  it('groups requests by method and path, ids folded', () => {
    expect(routeKey('GET', '/admin/identities/0f6c3c4e-8e36-4c1b-9f5b-6f0c3f7b2a11?x=1')).toBe('GET /admin/identities/*');
    expect(routeKey('POST', '/self-service/registration?flow=abc')).toBe('POST /self-service/registration');
    expect(routeKey('GET', '/self-service/registration')).not.toBe(routeKey('POST', '/self-service/registration'));
  });
});
