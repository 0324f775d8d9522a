/**
 * The seam the rest of the code uses to trace its work. With no tracer provider registered (tracing off)
 * OpenTelemetry's API hands out non-recording spans, so these calls cost next to nothing.
 */
import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';
import { VERSION } from '../util/version.js';

export const TRACER_NAME = 'kratos-lambda';
export const TRACER_VERSION = VERSION;

export type SpanAttributes = Attributes;
export interface SpanHandle {
  setAttributes(attributes: SpanAttributes): void;
}

const NOOP_HANDLE: SpanHandle = { setAttributes: () => {} };

/** The API's proxy tracer, asked for once: `trace.getTracer` checks API version compatibility on every call. */
let tracer: ReturnType<typeof trace.getTracer> | undefined;

function recordError(span: Span, error: unknown): void {
  try {
    const err = error instanceof Error ? error : new Error(String(error));
    // Only the error's class and message: domain errors never carry secrets in their message.
    span.recordException({ name: err.name, message: err.message });
    span.setStatus({ code: SpanStatusCode.ERROR, message: err.name });
  } catch {
    // A tracing failure must never fail a request.
  }
}

/**
 * Marks the span of the work in progress failed, for a failure answered without an error status (a browser flow sent
 * back to its form with a message, as Kratos answers a provider's refusal): its exception event and ERROR status.
 */
export function recordFailure(name: string, message: string): void {
  const span = trace.getActiveSpan();
  if (span?.isRecording()) recordError(span, Object.assign(new Error(message), { name }));
}

/**
 * Runs `work` inside a child span of the current one. The span records a thrown error and always ends,
 * and the error is rethrown untouched.
 */
export async function withSpan<T>(
  name: string,
  attributes: SpanAttributes,
  work: (span: SpanHandle) => Promise<T>,
  kind: SpanKind = SpanKind.INTERNAL,
): Promise<T> {
  const parent = trace.getActiveSpan();
  if (!parent || !parent.isRecording()) return work(NOOP_HANDLE);
  tracer ??= trace.getTracer(TRACER_NAME, TRACER_VERSION);
  const active = context.active();
  // Attributes set on the span, not handed to startSpan (which copies and checks them twice more; see middleware.ts).
  const span = tracer.startSpan(name, { kind }, active);
  span.setAttributes(attributes);
  try {
    return await context.with(trace.setSpan(active, span), () =>
      work({ setAttributes: (more) => span.setAttributes(more) }),
    );
  } catch (error) {
    recordError(span, error);
    throw error;
  } finally {
    try {
      span.end();
    } catch {
      // never let ending a span fail the request
    }
  }
}

export { SpanKind };

/**
 * The active span's context as a W3C `traceparent`, for work that continues later elsewhere (a queued courier
 * message); undefined with tracing off or no valid span.
 */
export function currentTraceparent(): string | undefined {
  const span = trace.getActiveSpan();
  if (!span) return undefined;
  const { traceId, spanId, traceFlags } = span.spanContext();
  if (!trace.isSpanContextValid(span.spanContext())) return undefined;
  return `00-${traceId}-${spanId}-0${traceFlags & 1}`;
}

/** The active span's ids, to join a log line to its trace (none with tracing off). */
export function activeTraceIds(): { trace_id?: string; span_id?: string } {
  const span = trace.getActiveSpan();
  if (!span || !trace.isSpanContextValid(span.spanContext())) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}
