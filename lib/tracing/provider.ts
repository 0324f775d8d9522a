/**
 * The tracer provider, set up once per cold start from the TRACING_* environment. Together with the
 * exporters it builds, this is the only code that imports the OpenTelemetry SDK; everything else goes
 * through `withSpan` (span.ts) and the Middy middleware (middleware.ts).
 */
import { context, propagation, trace, TraceFlags, type TextMapPropagator } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, Sampler, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace';
import { getConfig } from '../config/index.js';
import type { TracingConfig } from '../config/tracing.js';
import { log } from '../log/index.js';

/*
 * The SDK, the propagators and the one exporter the configuration names are imported dynamically: with
 * tracing off nothing of the SDK is evaluated, and with it on only the chosen exporter is (the Jaeger
 * exporter alone costs tens of milliseconds of cold start). Loading starts at module load, in the
 * background; the first request waits for whatever is left of it.
 */

export interface Tracing {
  config: TracingConfig;
  propagator: TextMapPropagator;
  /** Exports the invocation's spans; never throws, never takes longer than the flush timeout. */
  flush(): Promise<void>;
}

const SUCCESS = 0; // ExportResultCode.SUCCESS

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
        this.exporter.export(batch, (result: ExportResult) => {
          if (result.code !== SUCCESS) warn(`span export failed: ${result.error?.message ?? 'unknown error'}`);
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

type SdkTrace = typeof import('@opentelemetry/sdk-trace');

/** The remote sampler polls on an interval that would keep a process alive; the timer is unref'd here. */
async function remoteSampler(config: TracingConfig, sdk: SdkTrace): Promise<Sampler> {
  const { ParentBasedSampler, TraceIdRatioBasedSampler } = sdk;
  const { JaegerRemoteSampler } = await import('@opentelemetry/sampler-jaeger-remote');
  const initial = new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.jaeger.traceIdRatio) });
  const originalSetInterval = globalThis.setInterval;
  let sampler: InstanceType<typeof JaegerRemoteSampler>;
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

async function build(config: TracingConfig, sdk: SdkTrace): Promise<{ exporter: SpanExporter; sampler: Sampler; description: string }> {
  const ratio = (r: number) => new sdk.ParentBasedSampler({ root: new sdk.TraceIdRatioBasedSampler(r) });
  switch (config.provider) {
    case 'jaeger': {
      const { JaegerExporter } = await import('@opentelemetry/exporter-jaeger');
      const { jaeger } = config;
      const sampler = jaeger.samplingServerUrl ? await remoteSampler(config, sdk) : ratio(jaeger.traceIdRatio);
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
      const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
      const url = config.otlp.tracesUrl;
      const headers = config.otlp.authorizationHeader ? { Authorization: config.otlp.authorizationHeader } : undefined;
      return {
        exporter: new OTLPTraceExporter({ url, headers, timeoutMillis: config.flushTimeoutMs }),
        sampler: ratio(config.otlp.samplingRatio),
        description: `otel OTLP/HTTP ${url}, sampling ratio ${config.otlp.samplingRatio}`,
      };
    }
    case 'zipkin': {
      const { ZipkinExporter } = await import('@opentelemetry/exporter-zipkin');
      const url = config.zipkin.serverUrl ?? 'http://127.0.0.1:9411/api/v2/spans';
      return {
        exporter: new ZipkinExporter({ url, serviceName: config.serviceName }),
        sampler: ratio(config.zipkin.samplingRatio),
        description: `zipkin ${url}, sampling ratio ${config.zipkin.samplingRatio}`,
      };
    }
    default: {
      const { ConsoleTreeExporter } = await import('./console-exporter.js');
      return { exporter: new ConsoleTreeExporter(), sampler: ratio(1), description: 'console (span tree on stderr)' };
    }
  }
}

async function propagator(): Promise<TextMapPropagator> {
  const [{ CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator }, { B3InjectEncoding, B3Propagator }, { JaegerPropagator }] =
    await Promise.all([import('@opentelemetry/core'), import('@opentelemetry/propagator-b3'), import('@opentelemetry/propagator-jaeger')]);
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

async function setup(config: TracingConfig): Promise<Tracing> {
  const [sdk, { AsyncLocalStorageContextManager }, { resourceFromAttributes }, composite] = await Promise.all([
    import('@opentelemetry/sdk-trace'),
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/resources'),
    propagator(),
  ]);
  const { exporter, sampler, description } = await build(config, sdk);
  const resource = resourceFromAttributes({
    'service.name': config.serviceName,
    ...(config.deploymentEnvironment
      ? { 'deployment.environment': config.deploymentEnvironment, 'deployment.environment.name': config.deploymentEnvironment }
      : {}),
    'cloud.provider': 'aws',
    'process.runtime.name': 'nodejs',
    'process.runtime.version': process.versions.node,
    ...(process.env.AWS_LAMBDA_FUNCTION_NAME ? { 'faas.name': process.env.AWS_LAMBDA_FUNCTION_NAME } : {}),
  });
  const provider = new sdk.TracerProvider({ resource, sampler, spanProcessors: [new InvocationSpanProcessor(exporter)] });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(composite);
  log('info', `tracing: ${description}`, { service: config.serviceName });

  return {
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

let starting: Promise<Tracing> | undefined;

/**
 * Starts setting tracing up (once per cold start) and says when it is ready; undefined when tracing is off.
 * A setup that fails leaves tracing off rather than failing requests.
 */
export function startTracing(): Promise<Tracing> | undefined {
  const current = getConfig().tracing;
  if (!current.provider) return undefined;
  starting ??= setup(current).catch((error: unknown) => {
    log('error', `tracing: setup failed, requests go on untraced: ${error instanceof Error ? error.message : String(error)}`);
    return { config: current, propagator: propagation, flush: () => Promise.resolve() };
  });
  return starting;
}
