/**
 * The one stack every function runs in:
 *   - the invocation: the event parsed once (API Gateway v1 or v2 -> HttpRequest), its trace started and, whatever
 *     happens inside, ended and flushed (lib/tracing/middleware.ts), and one access log line;
 *   - inside it, the one Middy stack: `http` (HttpResult or typed error -> API Gateway response, every error mapped in
 *     one place), then a route's own middlewares (the admin key check, which may answer early).
 * Handlers stay thin: they receive an HttpRequest and return an HttpResult or throw a typed error.
 */
import middy from '@middy/core';
import type { APIGatewayProxyResult, Context } from 'aws-lambda';
import { coldStartConfig, ConfigError, configReady, getConfig, secretsToRead, type Config } from '../config/index.js';
import { errorEnvelope, PayloadTooLargeError, ServiceUnavailableError } from '../errors/index.js';
import { captureProcessWarnings, log, setLogLevel } from '../log/index.js';
import { requestTracing } from '../tracing/middleware.js';
import { activeTraceIds } from '../tracing/span.js';
import { adminCorsHeaders, corsHeaders } from './cors.js';
import { errorToResult, toLambdaResult, type HttpResult } from './response.js';
import { MAX_BODY_BYTES, toHttpRequest, type HttpRequest, type LambdaHttpEvent } from './request.js';

export type HttpHandler = (request: HttpRequest, context: Context) => Promise<HttpResult>;

export interface RouteOptions {
  /** The route template as routed (`/admin/identities/{id}`), used to name the request's span. */
  route: string;
  /** Further middlewares after the http one (e.g. an admin key check that may answer early). */
  middlewares?: middy.MiddlewareObj[];
  /**
   * More of the cold start, run after the configuration is checked, with it (e.g. the admin functions' own
   * configuration); secrets still to be read from Parameter Store are stand-ins there.
   */
  coldStart?: (config: Config) => void;
  /** The largest body this route takes (MAX_BODY_BYTES unless it needs more: a batch import). */
  maxBodyBytes?: number;
}

export type LambdaHttpHandler = (event: LambdaHttpEvent, context: Context) => Promise<APIGatewayProxyResult>;

const NO_CACHE = 'private, no-cache, no-store, must-revalidate';

type Request = middy.Request<HttpRequest, APIGatewayProxyResult | HttpResult, Error, Context, { http?: HttpRequest }>;

/** Headers every answer of `route` carries: no caching of GETs, the caller's request id, and CORS (public routes only). */
function responseHeaders(http: HttpRequest | undefined, route: string): Record<string, string> {
  const headers: Record<string, string> = {};
  if (http) {
    try {
      const config = getConfig();
      const origin = new URL(config.publicBaseUrl).origin;
      Object.assign(headers, route.startsWith('/admin') ? adminCorsHeaders(http.headers, origin) : corsHeaders(config.browser.cors, http.headers, origin));
    } catch {
      // A configuration that does not load (a failed cold start) grants no origin anything.
    }
  }
  if (http?.method === 'GET') headers['Cache-Control'] = NO_CACHE;
  const requestId = http?.headers['x-request-id'];
  if (requestId) headers['X-Request-ID'] = requestId.slice(0, 200);
  return headers;
}

/** Normalises the event, shapes results, and maps every error in one place. */
export function httpMiddleware(route: string, maxBodyBytes = MAX_BODY_BYTES): middy.MiddlewareObj {
  return {
    before: async function httpMiddlewareBefore(request: Request) {
      const http = request.event;
      request.internal.http = http;
      // Refused before any work: no endpoint takes more than a few KiB but the batch import (its own bound).
      if (http.rawBody !== undefined && Buffer.byteLength(http.rawBody, 'utf8') > maxBodyBytes) {
        throw new PayloadTooLargeError(maxBodyBytes);
      }
    },
    after: async function httpMiddlewareAfter(request: Request) {
      request.response = toLambdaResult(request.response as HttpResult, responseHeaders(request.internal.http, route), request.internal.http?.payloadVersion);
    },
    onError: async function httpMiddlewareOnError(request: Request) {
      const http = request.internal.http;
      const result = errorToResult(request.error, http?.headers['x-request-id']);
      if (result.unexpected) {
        // The caller sees a bare 500; the details go to the function's log only.
        const err = request.error;
        log('error', 'unhandled error', {
          error: err?.name,
          message: err?.message,
          stack: err?.stack,
          path: http?.path,
          request_id: request.context?.awsRequestId,
          ...activeTraceIds(),
        });
      }
      request.response = toLambdaResult(result, responseHeaders(http, route), http?.payloadVersion);
    },
  } as middy.MiddlewareObj;
}

/**
 * What a function answers when its cold start failed (a bad configuration value) outside Lambda's runtime:
 * serverless-offline turns a function that failed to load into HTTP 200 with a stack trace, which Kratos's SDK
 * takes for success, where API Gateway answers 5xx. Every request gets a 500 in Kratos's envelope instead,
 * and the reason went to the log once.
 */
function failedColdStart(route: string, error: unknown): LambdaHttpHandler {
  log('error', `cold start failed: ${error instanceof Error ? error.message : String(error)}`, { route, error: error instanceof Error ? error.name : undefined });
  return async (event) => {
    const http = toHttpRequest(event);
    return toLambdaResult({ status: 500, body: errorEnvelope({ status: 500, requestId: http.headers['x-request-id'] }) }, responseHeaders(http, route), http.payloadVersion);
  };
}

/**
 * The answer of an invocation whose secrets could not be read from Parameter Store (503, as when DynamoDB is down), or
 * whose values read were refused (500, as a failed cold start): Kratos's envelope, the reason in the log only. The
 * next invocation reads them again.
 */
function notReady(route: string, http: HttpRequest, error: unknown): APIGatewayProxyResult {
  log('error', `secrets not ready: ${error instanceof Error ? error.message : String(error)}`, { route, error: error instanceof Error ? error.name : undefined });
  const failure = error instanceof ConfigError ? error : new ServiceUnavailableError('A secret of this deployment could not be read from SSM Parameter Store, please try again later.');
  return toLambdaResult(errorToResult(failure, http.headers['x-request-id']), responseHeaders(http, route), http.payloadVersion);
}

export function httpFunction(options: RouteOptions, handler: HttpHandler): LambdaHttpHandler {
  // Configuration is read here, at module load: a bad value fails the cold start, naming the variable, instead of
  // failing the first request. In Lambda's runtime the init fails (Lambda reports it and retries it); anywhere
  // else the function loads and answers 500 (see failedColdStart).
  // Secrets held in SSM Parameter Store stand in until the first invocation reads them (lib/config/secrets.ts).
  try {
    const config = coldStartConfig();
    setLogLevel(config.logLevel);
    options.coldStart?.(config);
  } catch (error) {
    if (process.env.AWS_LAMBDA_RUNTIME_API) throw error;
    return failedColdStart(options.route, error);
  }
  captureProcessWarnings();
  // Tracing starts loading now, during the cold start, unless its configuration waits for those secrets (an OTLP
  // header may be one): then at the first invocation, once they are read.
  let tracing = secretsToRead() ? undefined : requestTracing(options.route);
  const stack = middy<HttpRequest, APIGatewayProxyResult>()
    .use(httpMiddleware(options.route, options.maxBodyBytes))
    .use(options.middlewares ?? [])
    .handler(handler as unknown as middy.MiddyfiedHandler) as unknown as (request: HttpRequest, context: Context) => Promise<APIGatewayProxyResult>;

  return async function invoke(event, context) {
    const startedAt = performance.now();
    let http: HttpRequest;
    try {
      http = toHttpRequest(event, context);
    } catch (error) {
      // Not an API Gateway proxy event at all: nothing of it can be answered but a bare 500.
      log('error', 'not an HTTP event', { route: options.route, error: error instanceof Error ? error.name : undefined });
      return toLambdaResult({ status: 500, body: errorEnvelope({ status: 500 }) }, {}, '2.0');
    }
    try {
      await configReady();
    } catch (error) {
      return notReady(options.route, http, error);
    }
    tracing ??= requestTracing(options.route);
    const trace = await tracing.start(http, context as Context & { xRayTraceId?: string });
    let response: APIGatewayProxyResult | undefined;
    try {
      response = trace ? await trace.run(() => stack(http, context)) : await stack(http, context);
      return response;
    } finally {
      await trace?.end(response);
      log('info', 'request', {
        route: options.route,
        method: http.method,
        status: response?.statusCode,
        duration_ms: Math.round((performance.now() - startedAt) * 100) / 100,
        request_id: context?.awsRequestId,
        ...trace?.ids,
      });
    }
  };
}
