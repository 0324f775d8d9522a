/**
 * Tracing for work that is not an HTTP request (the courier): each unit of work gets its own span whose parent is
 * the `traceparent` stored when the work was queued, so it joins the trace of the request that queued it; the span's
 * trace is flushed when the work ends (Lambda may freeze the process right after). With no stored parent the span
 * starts a new trace. With tracing off `work` runs untraced.
 */
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags, type Context } from '@opentelemetry/api';
import { endAndFlush } from './finish.js';
import { startTracing } from './provider.js';
import { TRACER_NAME, TRACER_VERSION, type SpanAttributes } from './span.js';

export interface BackgroundSpan {
  setAttributes(attributes: SpanAttributes): void;
  /** The work failed without throwing (handled, e.g. a delivery to retry): the span's status says so. */
  markFailed(reason: string): void;
  /** The trace id, to join log lines to the trace (empty with tracing off). */
  traceId: string;
}

const NOOP: BackgroundSpan = { setAttributes: () => {}, markFailed: () => {}, traceId: '' };

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The remote parent a W3C traceparent names; the root context when it is missing or malformed. */
export function parentOf(traceparent: string | undefined): Context {
  const match = traceparent ? TRACEPARENT.exec(traceparent.trim()) : null;
  if (!match) return ROOT_CONTEXT;
  const spanContext = { traceId: match[1], spanId: match[2], traceFlags: parseInt(match[3], 16) & TraceFlags.SAMPLED, isRemote: true };
  return trace.isSpanContextValid(spanContext) ? trace.setSpanContext(ROOT_CONTEXT, spanContext) : ROOT_CONTEXT;
}

/** Starts loading tracing during the cold start (it is set up once; later calls reuse it). */
export function prepareTracing(): void {
  void startTracing();
}

export async function withStoredParentSpan<T>(
  traceparent: string | undefined,
  name: string,
  attributes: SpanAttributes,
  work: (span: BackgroundSpan) => Promise<T>,
): Promise<T> {
  const ready = startTracing();
  if (!ready) return work(NOOP);
  const tracing = await ready;
  const startedAt = performance.now();
  const parent = parentOf(traceparent);
  const span = trace.getTracer(TRACER_NAME, TRACER_VERSION).startSpan(name, { kind: SpanKind.INTERNAL, attributes }, parent);
  let failed = false;
  const handle: BackgroundSpan = {
    setAttributes: (more) => span.setAttributes(more),
    markFailed: (reason) => {
      failed = true;
      span.setStatus({ code: SpanStatusCode.ERROR, message: reason });
    },
    traceId: span.spanContext().traceId,
  };
  try {
    return await context.with(trace.setSpan(parent, span), () => work(handle));
  } catch (error) {
    failed = true;
    try {
      const err = error instanceof Error ? error : new Error(String(error));
      // The name only: an error from a mail server may quote the recipient.
      span.recordException({ name: err.name, message: err.name });
      span.setStatus({ code: SpanStatusCode.ERROR, message: err.name });
    } catch {
      // tracing never fails the work
    }
    throw error;
  } finally {
    await endAndFlush(tracing, span, { status: failed ? 500 : 200, startedAt });
  }
}
