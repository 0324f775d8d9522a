/**
 * The seam between the tracing middleware and the SDK file: what `sdk.ts` builds and `provider.ts` hands out. Types
 * only, so that neither file imports the other's code (the SDK is loaded on demand, in a file of its own).
 */
import type { Context } from '@opentelemetry/api';
import type { TracingConfig } from '../config/tracing.js';

export type Headers = Record<string, string>;

/** How the SDK side logs: through the function's logger. */
export interface TracingLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string): void;
}

export interface Tracing {
  config: TracingConfig;
  /**
   * The caller's context: W3C Trace Context, then Jaeger, then B3 (W3C wins when several are sent), with W3C baggage;
   * when none of them is present, X-Ray's (`X-Amzn-Trace-Id`, the Lambda context's `xRayTraceId`, `_X_AMZN_TRACE_ID`).
   */
  extract(headers: Headers, xRayTraceId?: string): Context;
  /** Whether a trace the head sampler left out is exported anyway: it failed or was slow (tail decision). */
  tailKeeps(status: number, durationMs: number): boolean;
  /**
   * Exports what one invocation recorded of its trace (the sampled spans, or all of them when the tail decision kept
   * the trace); never throws, never takes longer than the flush timeout.
   */
  flush(traceId: string, keepUnsampled: boolean): Promise<void>;
}
