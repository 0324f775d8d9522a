/**
 * Tracing of one HTTP invocation: it joins the caller's trace (W3C traceparent/tracestate and baggage, Jaeger, B3
 * single and multi, and X-Ray when none of those is sent; any header case), opens the root span named after the route,
 * runs the handler in that span's context, and at the end tags the status, makes the tail decision, adds
 * `traceresponse`, ends the span and flushes, bounded by TRACING_FLUSH_TIMEOUT. The HTTP stack (lib/http/stack.ts)
 * wraps every invocation in it, outermost, so nothing a middleware does can skip the end. Health checks are not
 * traced, as Kratos skips them.
 */
import { context as otelContext, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context as OtelContext, type Span } from '@opentelemetry/api';
import { requestOrigin } from '../util/headers.js';
import { endAndFlush } from './finish.js';
import { startTracing } from './provider.js';
import { TRACER_NAME, TRACER_VERSION } from './span.js';

/** What tracing reads of a request: the HTTP stack's parsed request (lib/http/request.ts) has all of it. */
export interface TracedRequest {
  method: string;
  path: string;
  /** Lower-cased names. */
  headers: Record<string, string>;
  sourceIp?: string;
  userAgent?: string;
}

/** What the Lambda context carries that tracing reads. */
export interface TracedInvocation {
  awsRequestId?: string;
  xRayTraceId?: string;
}

/** One invocation's trace, from its start to its end. */
export interface RequestTrace {
  /** Runs the handler in the root span's context: its spans become the root's children. */
  run<T>(work: () => Promise<T>): Promise<T>;
  /** The ids that join a log line to this trace. */
  ids: { trace_id: string; span_id: string };
  /**
   * Tags the answer's status (none: the invocation failed, 500), adds `traceresponse` to its headers, ends the root
   * span and flushes. Never throws; called once.
   */
  end(response: { statusCode?: number; headers?: Record<string, string | number | boolean> } | undefined): Promise<void>;
}

let coldStart = true;

/** Kratos does not trace its health endpoints (`oryx/otelx/middleware.go` skips /health and /admin/health). */
export const UNTRACED_ROUTES = /^\/(admin\/)?health(\/|$)/;

// B3 single: {TraceId}-{SpanId}[-{SamplingState}[-{ParentSpanId}]], or a bare sampling state.
const B3_SINGLE = /^(([0-9a-f]{16}|[0-9a-f]{32})-[0-9a-f]{16}(-(0|1|d)(-[0-9a-f]{16})?)?|0|1|d)$/i;

/**
 * The headers as propagators read them, a malformed `b3` dropped: the B3 propagator would otherwise join its trace
 * id as unsampled when only the sampling flag is garbage, where a malformed context must start a new trace.
 */
function carrierOf(headers: Record<string, string>): Record<string, string> {
  if (headers.b3 === undefined || B3_SINGLE.test(headers.b3.trim())) return headers;
  const { b3: _, ...rest } = headers;
  return rest;
}

/** The root span's attributes: Kratos's names, the current OpenTelemetry HTTP ones, and Lambda's. */
function rootAttributes(request: TracedRequest, route: string, awsRequestId: string | undefined): Attributes {
  const { scheme, host } = requestOrigin(request.headers);
  const port = /:(\d+)$/.exec(host)?.[1];
  const attributes: Attributes = {
    'http.method': request.method,
    'http.request.method': request.method,
    'url.path': request.path || route,
    'url.scheme': scheme,
    'server.address': port ? host.slice(0, -port.length - 1) : host,
    'http.route': route,
    'faas.trigger': 'http',
    'faas.invocation_id': awsRequestId ?? '',
    'faas.coldstart': coldStart,
  };
  if (port && port !== (scheme === 'https' ? '443' : '80')) attributes['server.port'] = Number(port);
  if (request.sourceIp) attributes['client.address'] = request.sourceIp;
  const userAgent = request.headers['user-agent'] ?? request.userAgent;
  if (userAgent) attributes['user_agent.original'] = userAgent.slice(0, 512);
  return attributes;
}

/** Tags the final status on the root span and the answer's `traceresponse`. */
function tagAnswer(span: Span, response: Parameters<RequestTrace['end']>[0]): number {
  const status = typeof response?.statusCode === 'number' ? response.statusCode : 500;
  try {
    span.setAttributes({ 'http.status_code': status, 'http.response.status_code': status });
    if (status >= 400) span.setAttribute('error', true);
    if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    if (response && typeof response === 'object') {
      const { traceId, spanId, traceFlags } = span.spanContext();
      response.headers = { ...response.headers, traceresponse: `00-${traceId}-${spanId}-0${traceFlags & 1}` };
    }
  } catch {
    // Tracing never fails a request.
  }
  return status;
}

/**
 * Tracing for the invocations of one route; `start` undefined for a route Kratos does not trace or with tracing off.
 * Called at module load: tracing starts loading then, during the cold start.
 */
export function requestTracing(route: string): { start(request: TracedRequest, invocation: TracedInvocation): Promise<RequestTrace | undefined> } {
  const ready = UNTRACED_ROUTES.test(route) ? undefined : startTracing();
  if (!ready) return { start: async () => undefined };
  const tracer = trace.getTracer(TRACER_NAME, TRACER_VERSION);

  return {
    async start(request, invocation) {
      const tracing = await ready;
      const startedAt = performance.now();
      let parent: OtelContext;
      try {
        parent = tracing.extract(carrierOf(request.headers), invocation.xRayTraceId);
      } catch {
        parent = ROOT_CONTEXT; // malformed context never fails a request: it starts a new trace
      }
      // Attributes set on the span rather than passed to startSpan: the SDK copies and checks what startSpan is given
      // twice more before the span checks it again, and no sampler here reads attributes.
      const span = tracer.startSpan(route, { kind: SpanKind.SERVER }, parent);
      if (span.isRecording()) span.setAttributes(rootAttributes(request, route, invocation.awsRequestId));
      coldStart = false;
      const active = trace.setSpan(parent, span);
      const { traceId, spanId } = span.spanContext();
      let ended = false;
      return {
        run: (work) => otelContext.with(active, work),
        ids: { trace_id: traceId, span_id: spanId },
        async end(response) {
          if (ended) return;
          ended = true;
          await endAndFlush(tracing, span, { status: tagAnswer(span, response), startedAt });
        },
      };
    },
  };
}
