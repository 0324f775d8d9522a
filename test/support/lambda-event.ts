/** An API Gateway HTTP API (v2) event, as the suites that call a function's handler or bundle directly build it. */
export interface EventOptions {
  /** The path as requested, when the route is a template (`/schemas/{id}` requested as `/schemas/ZGVm`). */
  path?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  cookies?: string[];
  body?: unknown;
  params?: Record<string, string>;
}

/** A v2 event of `method` on `route` from client `client` (its address and user agent, as access logs show them). */
export function httpApiEvent(method: string, route: string, options: EventOptions = {}, client = { sourceIp: '203.0.113.9', userAgent: 'lambda-event' }) {
  const rawPath = options.path ?? route;
  return {
    version: '2.0',
    routeKey: `${method} ${route}`,
    rawPath,
    rawQueryString: new URLSearchParams(options.query ?? {}).toString(),
    headers: { host: 'id.example.com', ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
    queryStringParameters: options.query,
    pathParameters: options.params,
    cookies: options.cookies,
    requestContext: { http: { method, path: rawPath, ...client }, requestId: 'apigw-request' },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    isBase64Encoded: false,
  };
}
