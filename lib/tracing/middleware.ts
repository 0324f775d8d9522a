/**
 * The tracing middleware: first in the Middy stack. It joins the caller's trace (Jaeger, B3 single and multi,
 * W3C traceparent/tracestate and baggage, any header case), opens the root span named after the route, and
 * on every way out (after, onError, and Middy's requestEnd for a middleware that answered early) tags the
 * status, adds `traceresponse`, ends the span and flushes, bounded by TRACING_FLUSH_TIMEOUT.
 */
import type middy from '@middy/core';
import type { Context as LambdaContext } from 'aws-lambda';
import { context as otelContext, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context as OtelContext, type Span } from '@opentelemetry/api';
import { lowerCaseHeaders } from '../util/headers.js';
import { startTracing, type Tracing } from './provider.js';
import { TRACER_NAME } from './span.js';

interface RequestTrace {
  span: Span;
  context: OtelContext;
  ended: boolean;
  tracing: Tracing;
}

type TracedRequest = middy.Request<unknown, unknown, Error, LambdaContext, { trace?: RequestTrace }>;

let coldStart = true;
/** The trace context of each in-flight invocation, keyed by its Lambda context object (what the handler receives). */
const invocationContexts = new WeakMap<object, OtelContext>();

const headerGetter = {
  keys: (carrier: Record<string, string>) => Object.keys(carrier),
  get: (carrier: Record<string, string>, key: string) => carrier[key.toLowerCase()],
};

// B3 single: {TraceId}-{SpanId}[-{SamplingState}[-{ParentSpanId}]], or a bare sampling state.
const B3_SINGLE = /^(([0-9a-f]{16}|[0-9a-f]{32})-[0-9a-f]{16}(-(0|1|d)(-[0-9a-f]{16})?)?|0|1|d)$/i;

/**
 * Lower-cased header names (REST API events keep the caller's case; propagators read lower case only), and
 * a malformed `b3` dropped: the B3 propagator would otherwise join its trace id as unsampled when only the
 * sampling flag is garbage, where a malformed context must start a new trace.
 */
function carrierOf(headers: unknown): Record<string, string> {
  const out = lowerCaseHeaders(headers);
  if (out.b3 !== undefined && !B3_SINGLE.test(out.b3.trim())) delete out.b3;
  return out;
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
  try {
    const response = request.response as { statusCode?: number; headers?: Record<string, string> } | undefined;
    const status = typeof response?.statusCode === 'number' ? response.statusCode : 500;
    const span = state.span;
    span.setAttributes({ 'http.status_code': status, 'http.response.status_code': status });
    if (status >= 400) span.setAttribute('error', true);
    if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    if (response && typeof response === 'object') {
      const { traceId, spanId, traceFlags } = span.spanContext();
      response.headers = { ...response.headers, traceresponse: `00-${traceId}-${spanId}-0${traceFlags & 1}` };
    }
    span.end();
  } catch {
    // Tracing never fails a request.
  }
  await state.tracing.flush();
}

export function tracingMiddleware(route: string): middy.MiddlewareObj {
  // Called at module load: tracing starts loading now, during the cold start.
  const ready = startTracing();
  if (!ready) return { before: async function tracingMiddlewareOff() {} };
  const tracer = trace.getTracer(TRACER_NAME);

  return {
    before: async function tracingMiddlewareBefore(request: TracedRequest) {
      const tracing = await ready;
      const event = request.event as { headers?: unknown; httpMethod?: string; path?: string; rawPath?: string; requestContext?: { http?: { method?: string } } };
      let parent: OtelContext = ROOT_CONTEXT;
      try {
        parent = tracing.propagator.extract(ROOT_CONTEXT, carrierOf(event?.headers), headerGetter);
      } catch {
        parent = ROOT_CONTEXT; // malformed context never fails a request: it starts a new trace
      }
      const method = (event?.requestContext?.http?.method ?? event?.httpMethod ?? 'GET').toUpperCase();
      const span = tracer.startSpan(
        route,
        {
          kind: SpanKind.SERVER,
          attributes: {
            'http.method': method,
            'http.request.method': method,
            'url.path': event?.rawPath ?? event?.path ?? route,
            'http.route': route,
            'faas.trigger': 'http',
            'faas.invocation_id': (request.context as { awsRequestId?: string }).awsRequestId ?? '',
            'faas.coldstart': coldStart,
          },
        },
        parent,
      );
      coldStart = false;
      const active = trace.setSpan(parent, span);
      request.internal.trace = { span, context: active, ended: false, tracing };
      invocationContexts.set(request.context, active);
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
