import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import { BadRequestError } from '../../lib/errors/index.js';
import { flowRequestOf, sessionTokenOf } from '../../lib/http/browser.js';
import { parseBody, toHttpRequest, type HttpRequest } from '../../lib/http/request.js';

const v2 = (over: Partial<APIGatewayProxyEventV2> = {}): APIGatewayProxyEventV2 =>
  ({
    version: '2.0',
    routeKey: 'POST /self-service/login',
    rawPath: '/self-service/login',
    rawQueryString: 'flow=abc',
    headers: { 'content-type': 'application/json', host: '127.0.0.1:4433' },
    queryStringParameters: { flow: 'abc' },
    requestContext: { http: { method: 'POST', path: '/self-service/login', sourceIp: '10.0.0.1' }, requestId: 'r2' },
    body: '{"a":1}',
    isBase64Encoded: false,
    ...over,
  }) as unknown as APIGatewayProxyEventV2;

const v1 = (over: Partial<APIGatewayProxyEvent> = {}): APIGatewayProxyEvent =>
  ({
    httpMethod: 'GET',
    path: '/sessions/whoami',
    resource: '/sessions/whoami',
    headers: { 'X-Session-Token': 'ory_st_x', Host: 'api.example.com' },
    multiValueHeaders: {},
    queryStringParameters: null,
    requestContext: { requestId: 'r1', identity: { sourceIp: '10.0.0.2' } },
    body: null,
    isBase64Encoded: false,
    ...over,
  }) as unknown as APIGatewayProxyEvent;

const req = (over: Partial<HttpRequest>): HttpRequest => ({ method: 'POST', path: '/', headers: {}, query: {}, params: {}, requestId: '', payloadVersion: '2.0', ...over });
const NO_COOKIES = { browser: { cookieSecrets: [] as string[] } } as unknown as Parameters<typeof sessionTokenOf>[1];

describe('API Gateway events', () => {
  it('reads an HTTP API (v2) event', () => {
    expect(toHttpRequest(v2())).toEqual({
      method: 'POST',
      path: '/self-service/login',
      headers: { 'content-type': 'application/json', host: '127.0.0.1:4433' },
      query: { flow: 'abc' },
      params: {},
      rawBody: '{"a":1}',
      requestId: 'r2',
      sourceIp: '10.0.0.1',
      payloadVersion: '2.0',
    });
  });

  it('reads a REST API (v1) event and lower-cases its header names', () => {
    const request = toHttpRequest(v1());
    expect(request).toMatchObject({ method: 'GET', path: '/sessions/whoami', requestId: 'r1', sourceIp: '10.0.0.2' });
    expect(request.headers).toEqual({ 'x-session-token': 'ory_st_x', host: 'api.example.com' });
    expect(sessionTokenOf(request, NO_COOKIES)).toBe('ory_st_x');
  });

  it('decodes base64 bodies and v2 cookies', () => {
    const request = toHttpRequest(v2({ body: Buffer.from('{"b":2}').toString('base64'), isBase64Encoded: true, cookies: ['a=1', 'b=2'] }));
    expect(request.rawBody).toBe('{"b":2}');
    expect(request.headers.cookie).toBe('a=1; b=2');
    expect(flowRequestOf(request).hasCookie).toBe(true);
  });

  it('takes a body that is not a string as the JSON it would have been', () => {
    expect(toHttpRequest(v2({ body: false as unknown as string })).rawBody).toBe('false');
    expect(toHttpRequest(v2({ body: { a: 1 } as unknown as string })).rawBody).toBe('{"a":1}');
  });

  it('takes the session token from X-Session-Token, else Authorization: Bearer', () => {
    expect(sessionTokenOf(req({ headers: { authorization: 'Bearer ory_st_b' } }), NO_COOKIES)).toBe('ory_st_b');
    expect(sessionTokenOf(req({ headers: { authorization: 'Basic abc' } }), NO_COOKIES)).toBeUndefined();
    expect(sessionTokenOf(req({ headers: { 'x-session-token': 'ory_st_a', authorization: 'Bearer ory_st_b' } }), NO_COOKIES)).toBe('ory_st_a');
  });
});

describe('submit bodies', () => {
  it('parses JSON, and JSON without a content type', () => {
    expect(parseBody(req({ headers: { 'content-type': 'application/json; charset=utf-8' }, rawBody: '{"x":"y"}' }))).toEqual({ x: 'y' });
    expect(parseBody(req({ rawBody: '{"x":"y"}' }))).toEqual({ x: 'y' });
  });

  it('expands dotted form keys into objects', () => {
    const body = parseBody(
      req({
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        rawBody: 'method=password&traits.email=a%40b.co&traits.name.first=Ann&__proto__.polluted=1',
      }),
    );
    expect(body).toEqual({ method: 'password', traits: { email: 'a@b.co', name: { first: 'Ann' } } });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ['malformed JSON', 'application/json', '{"x":'],
    ['a JSON array', 'application/json', '[1,2]'],
    ['an empty body', 'application/json', ''],
    ['an unknown content type', 'text/plain', 'hello'],
  ])('answers 400 for %s', (_, contentType, rawBody) => {
    expect(() => parseBody(req({ headers: { 'content-type': contentType }, rawBody }))).toThrow(BadRequestError);
  });

});
