/**
 * The tracer provider, set up once per cold start from the TRACING_* configuration. Together with the exporters it
 * builds, this is the only code that imports the OpenTelemetry SDK; everything else goes through `withSpan` and
 * `events` (span.ts, events.ts) and the Middy middleware (middleware.ts).
 *
 * The SDK, the propagators and the one exporter the configuration names are imported dynamically: with tracing off
 * nothing of the SDK is evaluated, and with it on only the chosen exporter is. Loading starts at module load, in the
 * background; the first request waits for whatever is left of it.
 */
import * as otelApi from '@opentelemetry/api';
import type { Context } from '@opentelemetry/api';
import { getConfig } from '../config/index.js';
import type { TracingConfig } from '../config/tracing.js';
import { log } from '../log/index.js';
import { OTEL_API_GLOBAL_KEY } from './shared-api.js';

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

let lastWarning = 0;
function warn(message: string): void {
  // At most one line every 10 s: a dead backend must not flood the function's log.
  const now = Date.now();
  if (now - lastWarning < 10_000) return;
  lastWarning = now;
  log('warn', `tracing: ${message}`);
}

let starting: Promise<Tracing> | undefined;

/**
 * Starts setting tracing up (once per cold start) and says when it is ready; undefined when tracing is off.
 * A setup that fails leaves tracing off rather than failing requests.
 */
export function startTracing(): Promise<Tracing> | undefined {
  const current = getConfig().tracing;
  if (!current.provider) return undefined;
  (globalThis as Record<symbol, unknown>)[Symbol.for(OTEL_API_GLOBAL_KEY)] = otelApi;
  starting ??= import('./sdk.js')
    .then(({ setup }) => setup(current, { info: (message, fields) => log('info', message, fields), warn }))
    .catch((error: unknown) => {
      log('error', `tracing: setup failed, requests go on untraced: ${error instanceof Error ? error.message : String(error)}`);
      return { config: current, extract: () => otelApi.ROOT_CONTEXT, tailKeeps: () => false, flush: () => Promise.resolve() };
    });
  return starting;
}

