/**
 * The tracing middleware: first in the Middy stack. It joins the caller's trace (W3C traceparent/tracestate and
 * baggage, Jaeger, B3 single and multi, and X-Ray when none of those is sent; any header case), opens the root span
 * named after the route, and on every way out (after, onError, and Middy's requestEnd for a middleware that answered
 * early) tags the status, makes the tail decision, adds `traceresponse`, ends the span and flushes, bounded by
 * TRACING_FLUSH_TIMEOUT. Health checks are not traced, as Kratos skips them.
 */
import type middy from '@middy/core';
import type { Context as LambdaContext } from 'aws-lambda';
import { context as otelContext, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context as OtelContext, type Span } from '@opentelemetry/api';
import { lowerCaseHeaders, requestOrigin } from '../util/headers.js';
import { startTracing, type Tracing } from './provider.js';
import { TRACER_NAME, TRACER_VERSION } from './span.js';

interface RequestTrace {
  span: Span;
  startedAt: number;
  ended: boolean;
  tracing: Tracing;
}

type TracedRequest = middy.Request<unknown, unknown, Error, LambdaContext, { trace?: RequestTrace }>;

/** What the middleware reads of an API Gateway event (HTTP API v2 or REST v1). */
interface HttpEventShape {
  headers?: unknown;
  httpMethod?: string;
  path?: string;
  rawPath?: string;
  requestContext?: { http?: { method?: string; sourceIp?: string; userAgent?: string }; identity?: { sourceIp?: string; userAgent?: string } };
}

let coldStart = true;
/** The trace context of each in-flight invocation, keyed by its Lambda context object (what the handler receives). */
const invocationContexts = new WeakMap<object, OtelContext>();

/** Kratos does not trace its health endpoints (`oryx/otelx/middleware.go` skips /health and /admin/health). */
export const UNTRACED_ROUTES = /^\/(admin\/)?health(\/|$)/;

// B3 single: {TraceId}-{SpanId}[-{SamplingState}[-{ParentSpanId}]], or a bare sampling state.
const B3_SINGLE = /^(([0-9a-f]{16}|[0-9a-f]{32})-[0-9a-f]{16}(-(0|1|d)(-[0-9a-f]{16})?)?|0|1|d)$/i;

/**
 * Lower-cased header names (REST API events keep the caller's case; propagators read lower case only), and a
 * malformed `b3` dropped: the B3 propagator would otherwise join its trace id as unsampled when only the sampling
 * flag is garbage, where a malformed context must start a new trace.
 */
function carrierOf(headers: unknown): Record<string, string> {
  const out = lowerCaseHeaders(headers);
  if (out.b3 !== undefined && !B3_SINGLE.test(out.b3.trim())) delete out.b3;
  return out;
}

/** The root span's attributes: Kratos's names, the current OpenTelemetry HTTP ones, and Lambda's. */
function rootAttributes(event: HttpEventShape | undefined, headers: Record<string, string>, route: string, awsRequestId: string | undefined): Attributes {
  const method = (event?.requestContext?.http?.method ?? event?.httpMethod ?? 'GET').toUpperCase();
  const { scheme, host } = requestOrigin(headers);
  const port = /:(\d+)$/.exec(host)?.[1];
  const attributes: Attributes = {
    'http.method': method,
    'http.request.method': method,
    'url.path': event?.rawPath ?? event?.path ?? route,
    'url.scheme': scheme,
    'server.address': port ? host.slice(0, -port.length - 1) : host,
    'http.route': route,
    'faas.trigger': 'http',
    'faas.invocation_id': awsRequestId ?? '',
    'faas.coldstart': coldStart,
  };
  if (port && port !== (scheme === 'https' ? '443' : '80')) attributes['server.port'] = Number(port);
  const clientAddress = event?.requestContext?.http?.sourceIp ?? event?.requestContext?.identity?.sourceIp;
  if (clientAddress) attributes['client.address'] = clientAddress;
  const userAgent = headers['user-agent'] ?? event?.requestContext?.http?.userAgent ?? event?.requestContext?.identity?.userAgent;
  if (userAgent) attributes['user_agent.original'] = userAgent.slice(0, 512);
  return attributes;
}

/** Runs the handler inside its invocation's trace context, so its spans become children of the root span. */
export function runInInvocationContext<T>(lambdaContext: object | undefined, work: () => T): T {
  const active = lambdaContext ? invocationContexts.get(lambdaContext) : undefined;
  return active ? otelContext.with(active, work) : work();
}

async function finish(request: TracedRequest): Promise<void> {
  const state = request.internal.trace;
  if (!state || state.ended) return;
  state.ended = true;
  invocationContexts.delete(request.context);
  const span = state.span;
  let keepUnsampled = false;
  try {
    const response = request.response as { statusCode?: number; headers?: Record<string, string> } | undefined;
    const status = typeof response?.statusCode === 'number' ? response.statusCode : 500;
    span.setAttributes({ 'http.status_code': status, 'http.response.status_code': status });
    if (status >= 400) span.setAttribute('error', true);
    if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    const { traceId, spanId, traceFlags } = span.spanContext();
    if ((traceFlags & 1) === 0 && span.isRecording() && state.tracing.tailKeeps(status, performance.now() - state.startedAt)) {
      keepUnsampled = true;
      span.setAttribute('sampling.tail_kept', true);
    }
    if (response && typeof response === 'object') {
      response.headers = { ...response.headers, traceresponse: `00-${traceId}-${spanId}-0${traceFlags & 1}` };
    }
    span.end();
  } catch {
    // Tracing never fails a request.
  }
  await state.tracing.flush(span.spanContext().traceId, keepUnsampled);
}

export function tracingMiddleware(route: string): middy.MiddlewareObj {
  // Called at module load: tracing starts loading now, during the cold start.
  const ready = UNTRACED_ROUTES.test(route) ? undefined : startTracing();
  if (!ready) return { before: async function tracingMiddlewareOff() {} };
  const tracer = trace.getTracer(TRACER_NAME, TRACER_VERSION);

  return {
    before: async function tracingMiddlewareBefore(request: TracedRequest) {
      const tracing = await ready;
      const startedAt = performance.now();
      const event = request.event as HttpEventShape | undefined;
      const headers = carrierOf(event?.headers);
      const lambda = request.context as Partial<LambdaContext> & { xRayTraceId?: string };
      let parent: OtelContext;
      try {
        parent = tracing.extract(headers, lambda.xRayTraceId);
      } catch {
        parent = ROOT_CONTEXT; // malformed context never fails a request: it starts a new trace
      }
      const span = tracer.startSpan(route, { kind: SpanKind.SERVER, attributes: rootAttributes(event, headers, route, lambda.awsRequestId) }, parent);
      coldStart = false;
      request.internal.trace = { span, startedAt, ended: false, tracing };
      invocationContexts.set(request.context, trace.setSpan(parent, span));
    },
    after: async function tracingMiddlewareAfter(request: TracedRequest) {
      await finish(request);
    },
    onError: async function tracingMiddlewareOnError(request: TracedRequest) {
      await finish(request);
    },
  } as middy.MiddlewareObj;
}

/** The ids that join a log line to this request's trace (none when tracing is off). */
export function traceIdsOf(request: middy.Request): { trace_id?: string; span_id?: string } {
  const span = (request as TracedRequest).internal?.trace?.span;
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}

/** Middy plugin hook: ends the span when a later middleware answered early and no `after` ran. */
export async function tracingRequestEnd(request: middy.Request): Promise<void> {
  await finish(request as TracedRequest);
}
