/**
 * The tracer provider, set up once per cold start from the TRACING_* environment. Together with the
 * exporters it builds, this is the only code that imports the OpenTelemetry SDK; everything else goes
 * through `withSpan` (span.ts) and the Middy middleware (middleware.ts).
 */
import { context, propagation, trace, TraceFlags, type TextMapPropagator } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, ExportResultCode, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { JaegerExporter } from '@opentelemetry/exporter-jaeger';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { ZipkinExporter } from '@opentelemetry/exporter-zipkin';
import { B3InjectEncoding, B3Propagator } from '@opentelemetry/propagator-b3';
import { JaegerPropagator } from '@opentelemetry/propagator-jaeger';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { JaegerRemoteSampler } from '@opentelemetry/sampler-jaeger-remote';
import {
  ParentBasedSampler,
  TracerProvider,
  TraceIdRatioBasedSampler,
  type ReadableSpan,
  type Sampler,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { log } from '../log/index.js';
import { ConsoleTreeExporter } from './console-exporter.js';
import { loadTracingConfig, otlpTracesUrl, type TracingConfig } from './config.js';
import { TRACER_NAME } from './span.js';

export interface Tracing {
  enabled: boolean;
  config: TracingConfig;
  propagator: TextMapPropagator;
  /** Exports the invocation's spans; never throws, never takes longer than the flush timeout. */
  flush(): Promise<void>;
}

/**
 * Lambda freezes the process once the handler returns, so spans are buffered during an invocation and
 * exported in one batch when the middleware flushes, before the response is returned.
 */
class InvocationSpanProcessor implements SpanProcessor {
  private spans: ReadableSpan[] = [];

  constructor(private readonly exporter: SpanExporter) {}

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    this.spans.push(span);
    if (this.spans.length >= 1000) void this.forceFlush();
  }

  forceFlush(): Promise<void> {
    const batch = this.spans;
    this.spans = [];
    if (batch.length === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      try {
        this.exporter.export(batch, (result) => {
          if (result.code !== ExportResultCode.SUCCESS) warn(`span export failed: ${result.error?.message ?? 'unknown error'}`);
          resolve();
        });
      } catch (error) {
        // e.g. a bundle that lost the Jaeger exporter's IDL files throws on the first export
        warn(`span export failed: ${error instanceof Error ? error.message : String(error)}`);
        resolve();
      }
    });
  }

  shutdown(): Promise<void> {
    return this.forceFlush().then(() => this.exporter.shutdown());
  }
}

let lastWarning = 0;
function warn(message: string): void {
  // At most one line every 10 s: a dead backend must not flood the function's log.
  const now = Date.now();
  if (now - lastWarning < 10_000) return;
  lastWarning = now;
  log('warn', `tracing: ${message}`);
}

/** The remote sampler polls on an interval that would keep a process alive; the timer is unref'd here. */
function remoteSampler(config: TracingConfig): Sampler {
  const initial = new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.jaeger.traceIdRatio) });
  const originalSetInterval = globalThis.setInterval;
  let sampler: JaegerRemoteSampler;
  globalThis.setInterval = ((handler: () => void, ms?: number) => {
    const timer = originalSetInterval(handler, ms);
    timer.unref();
    return timer;
  }) as typeof setInterval;
  try {
    sampler = new JaegerRemoteSampler({
      endpoint: config.jaeger.samplingServerUrl!,
      serviceName: config.serviceName,
      poolingInterval: 60_000,
      initialSampler: initial,
    });
  } finally {
    globalThis.setInterval = originalSetInterval;
  }
  // The sampler waits a whole interval before its first poll: poll once now, in the background. Until the
  // answer arrives, the configured ratio decides.
  const poll = (sampler as unknown as { getAndUpdateSampler(): Promise<void> }).getAndUpdateSampler;
  poll.call(sampler).catch((error: unknown) => warn(`remote sampling unavailable: ${error instanceof Error ? error.message : error}`));
  return sampler;
}

function build(config: TracingConfig): { exporter: SpanExporter; sampler: Sampler; description: string } {
  const ratio = (r: number) => new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(r) });
  switch (config.provider) {
    case 'jaeger': {
      const { jaeger } = config;
      const sampler = jaeger.samplingServerUrl ? remoteSampler(config) : ratio(jaeger.traceIdRatio);
      const sampling = jaeger.samplingServerUrl
        ? `remote sampling from ${jaeger.samplingServerUrl}/sampling (ratio ${jaeger.traceIdRatio} until it answers)`
        : `sampling ratio ${jaeger.traceIdRatio}`;
      if (jaeger.collectorEndpoint) {
        return {
          exporter: new JaegerExporter({ endpoint: jaeger.collectorEndpoint }),
          sampler,
          description: `jaeger collector ${jaeger.collectorEndpoint} (Thrift over HTTP), ${sampling}`,
        };
      }
      const rewrite = jaeger.agentPortRewrittenFrom
        ? `; ${jaeger.agentHost}:${jaeger.agentPortRewrittenFrom} is Jaeger's Thrift compact port but this exporter writes Thrift binary, so spans go to port ${jaeger.agentPort}, where Jaeger's agent receiver takes binary`
        : '';
      return {
        exporter: new JaegerExporter({ host: jaeger.agentHost, port: jaeger.agentPort }),
        sampler,
        description: `jaeger agent udp://${jaeger.agentHost}:${jaeger.agentPort} (Thrift binary)${rewrite}, ${sampling}`,
      };
    }
    case 'otel': {
      const url = otlpTracesUrl(config.otlp);
      const headers = config.otlp.authorizationHeader ? { Authorization: config.otlp.authorizationHeader } : undefined;
      return {
        exporter: new OTLPTraceExporter({ url, headers, timeoutMillis: config.flushTimeoutMs }),
        sampler: ratio(config.otlp.samplingRatio),
        description: `otel OTLP/HTTP ${url}, sampling ratio ${config.otlp.samplingRatio}`,
      };
    }
    case 'zipkin': {
      const url = config.zipkin.serverUrl ?? 'http://127.0.0.1:9411/api/v2/spans';
      return {
        exporter: new ZipkinExporter({ url, serviceName: config.serviceName }),
        sampler: ratio(config.zipkin.samplingRatio),
        description: `zipkin ${url}, sampling ratio ${config.zipkin.samplingRatio}`,
      };
    }
    default:
      return { exporter: new ConsoleTreeExporter(), sampler: ratio(1), description: 'console (span tree on stderr)' };
  }
}

function propagator(): TextMapPropagator {
  // Extraction runs in order and a later format overrides an earlier one: W3C wins when a caller sends several.
  return new CompositePropagator({
    propagators: [
      new JaegerPropagator(),
      new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER }),
      new W3CTraceContextPropagator(),
      new W3CBaggagePropagator(),
    ],
  });
}

function setup(): Tracing {
  const config = loadTracingConfig();
  const composite = propagator();
  if (!config.provider) {
    return { enabled: false, config, propagator: composite, flush: () => Promise.resolve() };
  }
  const { exporter, sampler, description } = build(config);
  const resource = resourceFromAttributes({
    'service.name': config.serviceName,
    ...(config.deploymentEnvironment
      ? { 'deployment.environment': config.deploymentEnvironment, 'deployment.environment.name': config.deploymentEnvironment }
      : {}),
    'cloud.provider': 'aws',
    ...(process.env.AWS_LAMBDA_FUNCTION_NAME ? { 'faas.name': process.env.AWS_LAMBDA_FUNCTION_NAME } : {}),
  });
  const provider = new TracerProvider({ resource, sampler, spanProcessors: [new InvocationSpanProcessor(exporter)] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(composite);
  log('info', `tracing: ${description}`, { service: config.serviceName });

  return {
    enabled: true,
    config,
    propagator: composite,
    flush: async () => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          warn(`flush did not finish within ${config.flushTimeoutMs} ms; the request goes on without waiting`);
          resolve();
        }, config.flushTimeoutMs);
      });
      try {
        await Promise.race([provider.forceFlush().catch((error: unknown) => warn(`flush failed: ${String(error)}`)), timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

let tracing: Tracing | undefined;

/** The tracing of this cold start. */
export function getTracing(): Tracing {
  tracing ??= setup();
  return tracing;
}

export const tracerName = TRACER_NAME;
