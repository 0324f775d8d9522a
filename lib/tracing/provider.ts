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
import { getConfig } from '../config/index.js';
import { log } from '../log/index.js';
import { OTEL_API_GLOBAL_KEY } from './shared-api.js';
import type { Tracing } from './types.js';

export type { Headers, Tracing, TracingLogger } from './types.js';

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

