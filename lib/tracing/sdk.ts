/**
 * The OpenTelemetry SDK, set up from the tracing configuration: the tracer provider, its span processor and
 * sampler, the propagators, and the exporter the configuration names. This file and the exporters it imports are
 * the only code that loads the SDK. It is loaded only when tracing is on (`provider.ts` imports it on demand); in the
 * deployed bundles it is a file of its own beside each function, so a function with tracing off never even parses it.
 * Within it, imports are static (one scope that esbuild can hoist and tree-shake, cheaper at a cold start than
 * modules initialised on demand), except the remote sampler's, needed only with a sampling server, and the exporters
 * other than Jaeger's (exporters.ts), needed only when configured: in a Lambda bundle each is a file of its own.
 * It imports nothing of the project but types, its exporters and the version: what it logs goes through the logger it
 * is handed.
 */
import {
  context as otelContext,
  createContextKey,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type Attributes,
  type Context,
  type Link,
  type SpanContext,
  type TextMapGetter,
  type TextMapPropagator,
} from '@opentelemetry/api';
// The one context manager used, from its own module: the package's index (CommonJS, which a bundle cannot tree-shake)
// would also evaluate the async_hooks one at every traced cold start.
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks/build/src/AsyncLocalStorageContextManager.js';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator, type ExportResult } from '@opentelemetry/core';
import { B3InjectEncoding, B3Propagator } from '@opentelemetry/propagator-b3';
import { JaegerPropagator } from '@opentelemetry/propagator-jaeger';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { ParentBasedSampler, TraceIdRatioBasedSampler, type ReadableSpan, type Sampler, type SamplingResult, type SpanExporter } from '@opentelemetry/sdk-trace';
import { InvocationTracerProvider, isInvocationSpan, type EndedSpans } from './invocation-tracer.js';
import { JaegerExporter } from './jaeger/exporter.js';
import type { TracingConfig } from '../config/tracing.js';
import { VERSION } from '../util/version.js';
import type { Headers, Tracing, TracingLogger } from './types.js';

let warn: (message: string) => void = () => {};

const SUCCESS = 0; // ExportResultCode.SUCCESS
const NOT_RECORD = 0; // SamplingDecision.NOT_RECORD
const RECORD = 1; // SamplingDecision.RECORD
const RECORD_AND_SAMPLED = 2; // SamplingDecision.RECORD_AND_SAMPLED
const NOT_RECORD_RESULT: SamplingResult = { decision: NOT_RECORD };
const RECORD_RESULT: SamplingResult = { decision: RECORD };
const RECORD_AND_SAMPLED_RESULT: SamplingResult = { decision: RECORD_AND_SAMPLED };
/** A trace that was never flushed (its root never ended) is forgotten after this long. */
const ABANDONED_TRACE_MS = 60_000;
const MAX_BUFFERED_SPANS = 5_000;

/** On a context: its remote parent came from X-Ray with `Sampled=0`, which is not a decision against tracing. */
const XRAY_UNSAMPLED_PARENT = createContextKey('kratos-lambda x-ray parent not sampled');

const isSampled = (span: ReadableSpan) => (span.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0;

/**
 * Lambda freezes the process once the handler returns, so an invocation's spans are buffered, by trace, and
 * exported in one batch when the middleware flushes that trace, before the response is returned. Spans recorded for
 * a tail decision (recorded, not sampled) are exported only when the decision keeps the trace.
 */
class InvocationSpanProcessor implements EndedSpans {
  private readonly traces = new Map<string, { spans: ReadableSpan[]; since: number }>();
  private buffered = 0;

  constructor(private readonly exporter: SpanExporter) {}

  onEnd(span: ReadableSpan): void {
    const traceId = span.spanContext().traceId;
    let entry = this.traces.get(traceId);
    if (!entry) {
      entry = { spans: [], since: Date.now() };
      this.traces.set(traceId, entry);
    }
    entry.spans.push(span);
    if (++this.buffered > MAX_BUFFERED_SPANS) this.forgetAbandoned();
  }

  /** Takes one trace's spans out of the buffer: the sampled ones, or all when `keepUnsampled`. */
  take(traceId: string, keepUnsampled: boolean): ReadableSpan[] {
    const entry = this.traces.get(traceId);
    if (!entry) return [];
    this.traces.delete(traceId);
    this.buffered -= entry.spans.length;
    return keepUnsampled ? entry.spans : entry.spans.filter(isSampled);
  }

  private forgetAbandoned(): void {
    const cutoff = Date.now() - ABANDONED_TRACE_MS;
    for (const [traceId, entry] of this.traces) {
      if (entry.since < cutoff || this.buffered > MAX_BUFFERED_SPANS) {
        const sampled = this.take(traceId, false);
        if (sampled.length > 0) void this.export(sampled);
      }
    }
  }

  /**
   * Hands a batch to the exporter; answers undefined when the exporter was done at once (our Jaeger exporter's UDP
   * send), else a promise of its end. Never rejects.
   */
  export(batch: ReadableSpan[]): Promise<void> | undefined {
    let finished = false;
    let resolveLater: (() => void) | undefined;
    try {
      this.exporter.export(batch, (result: ExportResult) => {
        if (result.code !== SUCCESS) warn(`span export failed: ${result.error?.message ?? 'unknown error'}`);
        finished = true;
        resolveLater?.();
      });
    } catch (error) {
      warn(`span export failed: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
    return finished ? undefined : new Promise<void>((resolve) => (resolveLater = resolve));
  }

  /** Exports every sampled span still buffered (the provider's forceFlush and shutdown). */
  forceFlush(): Promise<void> {
    const batch = [...this.traces.keys()].flatMap((traceId) => this.take(traceId, false));
    return (batch.length > 0 && this.export(batch)) || Promise.resolve();
  }

  shutdown(): Promise<void> {
    return this.forceFlush().then(() => this.exporter.shutdown());
  }
}

/**
 * The head sampler (a ratio or Jaeger's remote strategy, parent-based), with two additions:
 *   - an X-Ray parent with `Sampled=0` is decided as a new root: Lambda hands an unsampled X-Ray context to every
 *     invocation without active tracing, and X-Ray's sampling rules are not the operator's Jaeger sampling;
 *   - with tail decisions on, what the head leaves out is still recorded (not sampled), so the invocation can keep
 *     it at the end if it fails or is slow.
 */
class KratosSampler implements Sampler {
  constructor(
    private readonly head: Sampler,
    private readonly recordForTail: boolean,
  ) {}

  shouldSample(context: Context, traceId: string, name: string, kind: SpanKind, attributes: Attributes, links: Link[]): SamplingResult {
    const parent = trace.getSpan(context);
    if (isInvocationSpan(parent)) {
      // A child of a span recorded here follows it, as every head sampler here (ParentBasedSampler, or Jaeger's
      // remote one, parent-based too) decides for a local parent by default, without checking its ids again:
      // sampled, or not sampled (and recorded for the tail decision when that is on).
      if ((parent!.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0) return RECORD_AND_SAMPLED_RESULT;
      return this.recordForTail ? RECORD_RESULT : NOT_RECORD_RESULT;
    }
    const deferred = context.getValue(XRAY_UNSAMPLED_PARENT) === true && parent?.spanContext().isRemote === true;
    const result = this.head.shouldSample(deferred ? ROOT_CONTEXT : context, traceId, name, kind, attributes, links);
    return this.recordForTail && result.decision === NOT_RECORD ? { ...result, decision: RECORD } : result;
  }

  toString(): string {
    return `KratosSampler{${this.head.toString()}${this.recordForTail ? ', recording for tail decisions' : ''}}`;
  }
}

/** The remote sampler polls on an interval that would keep a process alive; the timer is unref'd here. */
async function remoteSampler(config: TracingConfig): Promise<Sampler> {
  // Loaded only when a sampling server is configured (a file of its own in a Lambda bundle: ./remote-sampler.ts).
  const { JaegerRemoteSampler } = await import('./remote-sampler.js');
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
  // The sampler waits a whole interval before its first poll: poll once now, in the background. Until the answer
  // arrives, the configured ratio decides.
  const poll = (sampler as unknown as { getAndUpdateSampler(): Promise<void> }).getAndUpdateSampler;
  poll.call(sampler).catch((error: unknown) => warn(`remote sampling unavailable: ${error instanceof Error ? error.message : error}`));
  return sampler;
}

async function build(config: TracingConfig): Promise<{ exporter: SpanExporter; sampler: Sampler; description: string }> {
  const ratio = (r: number) => new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(r) });
  switch (config.provider) {
    case 'jaeger': {
      const { jaeger } = config;
      const sampler = jaeger.samplingServerUrl ? await remoteSampler(config) : ratio(jaeger.traceIdRatio);
      const sampling = jaeger.samplingServerUrl
        ? `remote sampling from ${jaeger.samplingServerUrl}/sampling (ratio ${jaeger.traceIdRatio} until it answers)`
        : `sampling ratio ${jaeger.traceIdRatio}`;
      const dropped = (count: number, why: string) => warn(`${count} span(s) not exported to Jaeger, ${why}`);
      if (jaeger.collectorEndpoint) {
        return {
          exporter: new JaegerExporter({ collector: { endpoint: jaeger.collectorEndpoint, timeoutMs: config.flushTimeoutMs } }, dropped),
          sampler,
          description: `jaeger collector ${jaeger.collectorEndpoint} (Thrift binary over HTTP), ${sampling}`,
        };
      }
      const exporter = new JaegerExporter({ agent: { host: jaeger.agentHost, port: jaeger.agentPort } }, dropped);
      return {
        exporter,
        sampler,
        description: `jaeger agent udp://${jaeger.agentHost}:${jaeger.agentPort} (Thrift ${exporter.protocol}), ${sampling}`,
      };
    }
    case 'otel': {
      const url = config.otlp.tracesUrl;
      const headers = config.otlp.authorizationHeader ? { Authorization: config.otlp.authorizationHeader } : undefined;
      // The exporters other than Jaeger's are loaded only when configured (in a Lambda bundle, a file of their own).
      const { OTLPTraceExporter } = await import('./exporters.js');
      return {
        exporter: new OTLPTraceExporter({ url, headers, timeoutMillis: config.flushTimeoutMs }),
        sampler: ratio(config.otlp.samplingRatio),
        description: `otel OTLP/HTTP ${url}, sampling ratio ${config.otlp.samplingRatio}`,
      };
    }
    case 'zipkin': {
      const url = config.zipkin.serverUrl ?? 'http://127.0.0.1:9411/api/v2/spans';
      const { ZipkinExporter } = await import('./exporters.js');
      return {
        exporter: new ZipkinExporter({ url, serviceName: config.serviceName }),
        sampler: ratio(config.zipkin.samplingRatio),
        description: `zipkin ${url}, sampling ratio ${config.zipkin.samplingRatio}`,
      };
    }
    default: {
      const { ConsoleTreeExporter } = await import('./exporters.js');
      return { exporter: new ConsoleTreeExporter(), sampler: ratio(1), description: 'console (span tree on stderr)' };
    }
  }
}

const headerGetter: TextMapGetter<Headers> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key.toLowerCase()],
};

const XRAY_HEADER = 'x-amzn-trace-id';
/** Where Lambda hands the invocation's X-Ray context to the function (unset on Lambda Managed Instances). */
const XRAY_ENV = '_X_AMZN_TRACE_ID';

const HEX_TRACE_ID = /^[0-9a-f]{32}$/i;
const HEX_SPAN_ID = /^[0-9a-f]{16}$/i;
const ZEROS = /^0+$/;
/** `Root=1-<8 hex>-<24 hex>;Parent=<16 hex>;Sampled=0|1`, maybe with `;Lineage=…` (which the propagator ignores). */
const USUAL_XRAY = /^Root=1-([0-9a-fA-F]{8})-([0-9a-fA-F]{24});Parent=([0-9a-fA-F]{16});Sampled=([01])(?:;Lineage=[^;=]*)?$/;

/**
 * The span context an X-Ray trace header names (`Root=1-<8 hex>-<24 hex>;Parent=<16 hex>;Sampled=0|1`), or undefined
 * when it names none or not a valid one. It reads the header as `@opentelemetry/propagator-aws-xray` (2.x) does: parts
 * split on `;` and trimmed, each known by how it starts, a later part overriding an earlier one, `Sampled` required
 * and only `0` or `1` (X-Ray's lazy `?` is no decision to join), other parts (`Lineage`, `Self`) ignored; written
 * here because the propagator, handed a carrier object and a getter for one header, cost more than the rest of the
 * extraction (unit test `tracing-xray-header.test.ts` holds the two to the same answers).
 */
export function xraySpanContext(header: string): SpanContext | undefined {
  // What Lambda sets, in its order, read by one expression; anything else by the general reading below.
  const usual = USUAL_XRAY.exec(header);
  if (usual && !ZEROS.test(usual[1] + usual[2]) && !ZEROS.test(usual[3])) {
    return { traceId: usual[1] + usual[2], spanId: usual[3], traceFlags: usual[4] === '1' ? TraceFlags.SAMPLED : TraceFlags.NONE, isRemote: true };
  }
  let traceId: string | undefined;
  let spanId: string | undefined;
  let traceFlags: number | null = null;
  for (const raw of header.split(';')) {
    const part = raw.trim();
    const value = part.substring(part.indexOf('=') + 1);
    if (part.startsWith('Root')) {
      traceId = value.length === 35 && value[0] === '1' && value[1] === '-' && value[10] === '-' ? value.substring(2, 10) + value.substring(11) : undefined;
    } else if (part.startsWith('Parent')) {
      spanId = value;
    } else if (part.startsWith('Sampled')) {
      traceFlags = value === '1' ? TraceFlags.SAMPLED : value === '0' ? TraceFlags.NONE : null;
    }
  }
  if (traceFlags === null || !traceId || !spanId) return undefined;
  if (!HEX_TRACE_ID.test(traceId) || !HEX_SPAN_ID.test(spanId) || ZEROS.test(traceId) || ZEROS.test(spanId)) return undefined;
  return { traceId, spanId, traceFlags, isRemote: true };
}

/** `context` joined to the X-Ray trace `value` names, or undefined when there is none or it is not valid. */
function xrayContext(context: Context, value: string | undefined): Context | undefined {
  const found = value ? xraySpanContext(value) : undefined;
  if (!found) return undefined;
  // A trace state an earlier propagator found stays (as the X-Ray propagator keeps it).
  const traceState = trace.getSpanContext(context)?.traceState;
  if (traceState) found.traceState = traceState;
  return trace.setSpanContext(context, found);
}

/** Every header the main propagators read (their `fields()`), and Jaeger's baggage, which they list by prefix only. */
const PROPAGATION_HEADERS = new Set(
  [...new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER }).fields(), ...new B3Propagator().fields(), ...new JaegerPropagator().fields(), ...new W3CTraceContextPropagator().fields(), ...new W3CBaggagePropagator().fields()].map((name) => name.toLowerCase()),
);
const JAEGER_BAGGAGE_PREFIX = 'uberctx-';

/** Whether a request carries anything the main propagators would read: most do not, and then there is nothing to parse. */
function carriesContext(headers: Headers): boolean {
  for (const name in headers) if (PROPAGATION_HEADERS.has(name) || name.startsWith(JAEGER_BAGGAGE_PREFIX)) return true;
  return false;
}

function propagators(): TextMapPropagator {
  // Extraction runs in order and a later format overrides an earlier one: W3C wins over Jaeger, Jaeger over B3.
  return new CompositePropagator({
    propagators: [new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER }), new JaegerPropagator(), new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
  });
}

function resourceAttributes(config: TracingConfig): Attributes {
  const env = process.env;
  const attributes: Attributes = {
    'service.name': config.serviceName,
    'service.version': VERSION,
    'cloud.provider': 'aws',
    'process.runtime.name': 'nodejs',
    'process.runtime.version': process.versions.node,
    'telemetry.sdk.language': 'nodejs',
    'telemetry.sdk.name': 'opentelemetry',
  };
  if (config.deploymentEnvironment) {
    attributes['deployment.environment'] = config.deploymentEnvironment;
    attributes['deployment.environment.name'] = config.deploymentEnvironment;
  }
  if (env.AWS_REGION) attributes['cloud.region'] = env.AWS_REGION;
  if (env.AWS_LAMBDA_FUNCTION_NAME) attributes['faas.name'] = env.AWS_LAMBDA_FUNCTION_NAME;
  if (env.AWS_LAMBDA_FUNCTION_VERSION) attributes['faas.version'] = env.AWS_LAMBDA_FUNCTION_VERSION;
  return attributes;
}

const WARM_UP_SPAN_ATTRIBUTES: Attributes = { 'warm.string': 'x', 'warm.int': 1, 'warm.double': 0.5, 'warm.bool': true, 'warm.list': ['x'] };

/**
 * A cold start's first export would open the agent's socket (Node's first UDP bind loads its cluster and child_process
 * modules, about 2.5 ms here) and run span and encoding code V8 has not compiled yet (about 2 ms for the first spans
 * and 2.5 for their encoding, in a fresh process here), all on the first invocation's time. Both are done here
 * instead, on the event loop's first turns, which come when that invocation waits on its own I/O (the AWS SDK's
 * config files, then DynamoDB): a span of a tracer of its own, recorded with every kind of value and an event and
 * encoded, never exported, never in the invocation's buffer. Anything it throws is ignored: it only saves time.
 */
function warmUpInBackground(exporter: JaegerExporter, resource: Resource): void {
  setImmediate(() => {
    exporter.connect();
    setImmediate(() => {
      try {
        const spans: ReadableSpan[] = [];
        const provider = new InvocationTracerProvider({ resource, sampler: { shouldSample: () => RECORD_AND_SAMPLED_RESULT }, spans: { onEnd: (span) => spans.push(span) } });
        const span = provider.getTracer('warm-up').startSpan('warm-up', { kind: SpanKind.SERVER, root: true, attributes: WARM_UP_SPAN_ATTRIBUTES });
        span.setAttributes(WARM_UP_SPAN_ATTRIBUTES);
        span.addEvent('warm-up', WARM_UP_SPAN_ATTRIBUTES);
        span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
        exporter.warmUp(spans);
      } catch {
        // nothing depends on it
      }
    }).unref();
  }).unref();
}

/** Builds the tracer provider the configuration describes and registers it globally. */
export async function setup(config: TracingConfig, logger: TracingLogger): Promise<Tracing> {
  warn = logger.warn;
  const main = propagators();
  const { exporter, sampler, description } = await build(config);
  const tail = config.tail;
  const tailOn = tail.minStatus !== undefined || tail.minDurationMs !== undefined;
  const processor = new InvocationSpanProcessor(exporter);
  const resource = resourceFromAttributes(resourceAttributes(config));
  const provider = new InvocationTracerProvider({ resource, sampler: new KratosSampler(sampler, tailOn), spans: processor });
  otelContext.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(main);
  if (exporter instanceof JaegerExporter) warmUpInBackground(exporter, resource);
  const tailDescription = tailOn
    ? `; tail decisions keep ${[tail.minStatus !== undefined ? `status >= ${tail.minStatus}` : '', tail.minDurationMs !== undefined ? `slower than ${tail.minDurationMs} ms` : ''].filter(Boolean).join(' or ')}`
    : '';
  logger.info(`tracing: ${description}${tailDescription}`, { service: config.serviceName });

  return {
    config,
    extract(headers, xRayTraceId) {
      const joined = carriesContext(headers) ? main.extract(ROOT_CONTEXT, headers, headerGetter) : ROOT_CONTEXT;
      const found = trace.getSpanContext(joined);
      if (found && isSpanContextValid(found)) return joined;
      // X-Ray's context, parsed once: Lambda's _X_AMZN_TRACE_ID when it holds a valid one (what
      // propagator-aws-xray-lambda prefers), else the X-Amzn-Trace-Id header, else the Lambda context's xRayTraceId.
      let fromXray = xrayContext(joined, process.env[XRAY_ENV]);
      if (!fromXray) fromXray = xrayContext(joined, headers[XRAY_HEADER] ?? xRayTraceId);
      if (!fromXray) return joined;
      return (trace.getSpanContext(fromXray)!.traceFlags & TraceFlags.SAMPLED) === 0 ? fromXray.setValue(XRAY_UNSAMPLED_PARENT, true) : fromXray;
    },
    tailKeeps: (status, durationMs) =>
      (tail.minStatus !== undefined && status >= tail.minStatus) || (tail.minDurationMs !== undefined && durationMs > tail.minDurationMs),
    async flush(traceId, keepUnsampled) {
      const batch = processor.take(traceId, keepUnsampled);
      if (batch.length === 0) return;
      const exported = processor.export(batch);
      // Done already (a datagram handed to the kernel): nothing to wait for, so no timer either.
      if (!exported) return;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          warn(`flush did not finish within ${config.flushTimeoutMs} ms; the request goes on without waiting`);
          resolve();
        }, config.flushTimeoutMs);
      });
      try {
        await Promise.race([exported, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

