/**
 * How every traced unit of work ends, an HTTP request's root span as a courier delivery's: the tail decision (a trace
 * the head sampler left out is kept when the work failed or was slow), the span ended, and the trace flushed before
 * Lambda may freeze the process, bounded by the flush timeout. Never throws: tracing never fails the work.
 */
import { TraceFlags, type Span } from '@opentelemetry/api';
import type { Tracing } from './types.js';

export async function endAndFlush(tracing: Tracing, span: Span, outcome: { status: number; startedAt: number }): Promise<void> {
  let keepUnsampled = false;
  try {
    const sampled = (span.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0;
    keepUnsampled = !sampled && span.isRecording() && tracing.tailKeeps(outcome.status, performance.now() - outcome.startedAt);
    if (keepUnsampled) span.setAttribute('sampling.tail_kept', true);
    span.end();
  } catch {
    // never let ending a span fail the work
  }
  await tracing.flush(span.spanContext().traceId, keepUnsampled);
}
