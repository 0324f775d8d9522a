/**
 * The tracer provider our functions record spans with: a small stand-in for the OpenTelemetry SDK's TracerProvider,
 * Tracer and Span, written by hand. Why: profiling the in-process tracer-cost benchmark (issue 26) found about a
 * third of what our tracing adds to a warm whoami in the SDK's span path, around two spans and one event: a meter
 * and TracerMetrics per span, attributes sanitised and copied twice over, the ids it had just generated checked
 * against regular expressions, a clock anchored and converted through several HrTime helpers for every span and
 * event, a processor chain. A function records a few spans per invocation and hands them to one exporter, so this
 * keeps only what that needs:
 *   - the API's contract (`Tracer`, `Span`): the parent from the context (or none with `root`), a suppressed
 *     context gives a non-recording span, the sampler decides (its trace state and attributes kept), NOT_RECORD
 *     gives a non-recording span that still propagates, attributes/events/links/status/name as the SDK treats them
 *     (empty keys and invalid values ignored, the SDK's default limits of 128 per span, ERROR's message kept only
 *     when a string, OK final, nothing changes once ended, `end` once);
 *   - what exporters read (`ReadableSpan`, so the Jaeger, OTLP, Zipkin and console exporters take these spans as
 *     the SDK's): the times as the SDK takes them (start from `Date.now()`, end and events from the monotonic clock
 *     since then), the resource, the instrumentation scope, the dropped counts;
 *   - ended spans go straight to the invocation's buffer (`onEnd`), as the SDK's one span processor did.
 * The samplers, the resource and the exporters are the SDK's and OpenTelemetry's own. What it leaves out: span
 * limits from the environment (OTEL_SPAN_*_LIMIT; the defaults hold), the SDK's diagnostic log lines, its metrics.
 */
import {
  context as otelContext,
  SamplingDecision,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
  type Attributes,
  type AttributeValue,
  type Context,
  type Exception,
  type HrTime,
  type Link,
  type Span,
  type SpanContext,
  type SpanOptions,
  type SpanStatus,
  type TimeInput,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { isTracingSuppressed, type InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, Sampler, TimedEvent } from '@opentelemetry/sdk-trace';
import { randomFillSync } from 'node:crypto';

/** The SDK's default span limits (attributes, events, links, attributes per event or link). */
const LIMIT = 128;

/** Where ended spans go: the invocation's buffer (sdk.ts). */
export interface EndedSpans {
  onEnd(span: ReadableSpan): void;
}

export interface InvocationTracerOptions {
  resource: Resource;
  sampler: Sampler;
  spans: EndedSpans;
}

/** Random ids from a pool of crypto bytes refilled every 512 ids; never all zeros (the API's invalid id). */
const pool = Buffer.allocUnsafe(4096);
let poolAt = pool.length;
function randomHex(bytes: 8 | 16): string {
  for (;;) {
    if (poolAt + bytes > pool.length) {
      randomFillSync(pool);
      poolAt = 0;
    }
    const id = pool.toString('hex', poolAt, (poolAt += bytes));
    if (/[^0]/.test(id)) return id;
  }
}

/** Milliseconds since the epoch as the API's [seconds, nanoseconds]. */
function hrTimeOf(ms: number): HrTime {
  let seconds = Math.floor(ms / 1000);
  let nanos = Math.round((ms - seconds * 1000) * 1e6);
  if (nanos >= 1e9) {
    seconds += 1;
    nanos -= 1e9;
  }
  return [seconds, nanos];
}

/** A TimeInput as milliseconds since the epoch (a number below `performance.now()` is a performance timestamp). */
function epochMsOf(time: TimeInput, perfToEpoch: number): number {
  if (typeof time === 'number') return time <= performance.now() ? time + perfToEpoch : time;
  if (time instanceof Date) return time.getTime();
  return time[0] * 1000 + time[1] / 1e6;
}

const isTimeInput = (value: unknown): value is TimeInput =>
  typeof value === 'number' || value instanceof Date || (Array.isArray(value) && value.length === 2 && typeof value[0] === 'number' && typeof value[1] === 'number');

function isPrimitive(value: unknown): boolean {
  const type = typeof value;
  return type === 'string' || type === 'number' || type === 'boolean';
}

/** The API's attribute values: a primitive, or an array of one primitive type (nulls allowed). */
function isAttributeValue(value: unknown): value is AttributeValue {
  if (isPrimitive(value)) return true;
  if (!Array.isArray(value)) return false;
  let type: string | undefined;
  for (const element of value) {
    if (element === null || element === undefined) continue;
    if (!isPrimitive(element)) return false;
    type ??= typeof element;
    if (typeof element !== type) return false;
  }
  return true;
}

/** Valid attributes copied (arrays too), at most `LIMIT`; the count of those left out. */
function copyAttributes(from: Attributes | undefined): { attributes: Attributes; dropped: number } {
  const attributes: Attributes = {};
  let count = 0;
  let dropped = 0;
  for (const key in from) {
    const value = from[key];
    if (key.length === 0 || value === undefined || value === null || !isAttributeValue(value)) continue;
    if (count >= LIMIT) {
      dropped++;
      continue;
    }
    attributes[key] = Array.isArray(value) ? value.slice() : value;
    count++;
  }
  return { attributes, dropped };
}

class InvocationSpan implements Span, ReadableSpan {
  readonly attributes: Attributes = {};
  readonly links: Link[] = [];
  readonly events: TimedEvent[] = [];
  status: SpanStatus = { code: SpanStatusCode.UNSET };
  readonly startTime: HrTime;
  endTime: HrTime = [0, 0];
  duration: HrTime = [-1, -1];
  ended = false;
  droppedAttributesCount = 0;
  droppedEventsCount = 0;
  droppedLinksCount = 0;
  private attributeCount = 0;
  private readonly startMs: number;
  private readonly startPerf: number;
  /** Added to a `performance.now()` reading: milliseconds since the epoch, anchored at the span's start. */
  private readonly perfToEpoch: number;

  constructor(
    private readonly context: SpanContext,
    public name: string,
    readonly kind: SpanKind,
    readonly parentSpanContext: SpanContext | undefined,
    readonly resource: Resource,
    readonly instrumentationScope: InstrumentationScope,
    private readonly spans: EndedSpans,
    startTime: TimeInput | undefined,
  ) {
    const now = Date.now();
    this.startPerf = performance.now();
    this.perfToEpoch = now - this.startPerf;
    this.startMs = startTime === undefined ? now : epochMsOf(startTime, this.perfToEpoch);
    this.startTime = hrTimeOf(this.startMs);
  }

  spanContext(): SpanContext {
    return this.context;
  }

  /** Now, or the given time, in milliseconds since the epoch, on the span's clock. */
  private epochMs(time?: TimeInput): number {
    return time === undefined ? this.perfToEpoch + performance.now() : epochMsOf(time, this.perfToEpoch);
  }

  setAttribute(key: string, value: AttributeValue): this {
    if (value === undefined || value === null || this.ended || key.length === 0 || !isAttributeValue(value)) return this;
    const isNew = !Object.prototype.hasOwnProperty.call(this.attributes, key);
    if (isNew && this.attributeCount >= LIMIT) {
      this.droppedAttributesCount++;
      return this;
    }
    this.attributes[key] = value;
    if (isNew) this.attributeCount++;
    return this;
  }

  setAttributes(attributes: Attributes): this {
    for (const key in attributes) this.setAttribute(key, attributes[key] as AttributeValue);
    return this;
  }

  addEvent(name: string, attributesOrTime?: Attributes | TimeInput, time?: TimeInput): this {
    if (this.ended) return this;
    let attributes: Attributes | undefined;
    if (isTimeInput(attributesOrTime)) {
      if (!isTimeInput(time)) time = attributesOrTime;
    } else attributes = attributesOrTime;
    if (this.events.length >= LIMIT) {
      this.events.shift();
      this.droppedEventsCount++;
    }
    const copied = copyAttributes(attributes);
    this.events.push({ name, attributes: copied.attributes, time: hrTimeOf(this.epochMs(time)), droppedAttributesCount: copied.dropped });
    return this;
  }

  addLink(link: Link): this {
    if (this.ended) return this;
    if (this.links.length >= LIMIT) {
      this.links.shift();
      this.droppedLinksCount++;
    }
    const copied = copyAttributes(link.attributes);
    const kept: Link = { context: link.context };
    if (Object.keys(copied.attributes).length > 0) kept.attributes = copied.attributes;
    if (copied.dropped > 0) kept.droppedAttributesCount = copied.dropped;
    this.links.push(kept);
    return this;
  }

  addLinks(links: Link[]): this {
    for (const link of links) this.addLink(link);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (this.ended || status.code === SpanStatusCode.UNSET || this.status.code === SpanStatusCode.OK) return this;
    this.status = status.code === SpanStatusCode.ERROR && typeof status.message === 'string' ? { code: status.code, message: status.message } : { code: status.code };
    return this;
  }

  updateName(name: string): this {
    if (!this.ended) this.name = name;
    return this;
  }

  end(endTime?: TimeInput): void {
    if (this.ended) return;
    let endMs = endTime === undefined ? this.startMs + (performance.now() - this.startPerf) : this.epochMs(endTime);
    if (endMs < this.startMs) endMs = this.startMs;
    this.endTime = hrTimeOf(endMs);
    const durationNs = Math.round((endMs - this.startMs) * 1e6);
    this.duration = [Math.floor(durationNs / 1e9), durationNs % 1e9];
    this.ended = true;
    this.spans.onEnd(this);
  }

  isRecording(): boolean {
    return !this.ended;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {};
    if (typeof exception === 'string') {
      attributes['exception.message'] = exception;
    } else if (exception) {
      if (exception.code) attributes['exception.type'] = exception.code.toString();
      else if (exception.name) attributes['exception.type'] = exception.name;
      if (exception.message) attributes['exception.message'] = exception.message;
      if (exception.stack) attributes['exception.stacktrace'] = exception.stack;
    }
    if (attributes['exception.type'] || attributes['exception.message']) this.addEvent('exception', attributes, time);
  }
}

class InvocationTracer implements Tracer {
  constructor(
    private readonly scope: InstrumentationScope,
    private readonly options: InvocationTracerOptions,
  ) {}

  startSpan(name: string, options: SpanOptions = {}, context: Context = otelContext.active()): Span {
    if (options.root) context = trace.deleteSpan(context);
    if (isTracingSuppressed(context)) return trace.wrapSpanContext({ traceId: '00000000000000000000000000000000', spanId: '0000000000000000', traceFlags: TraceFlags.NONE });
    const parentSpan = trace.getSpan(context);
    const parent = parentSpan?.spanContext();
    // A span of ours has valid ids by construction: only a context from elsewhere is checked.
    const validParent = parent && (parentSpan instanceof InvocationSpan || trace.isSpanContextValid(parent)) ? parent : undefined;
    const traceId = validParent ? validParent.traceId : randomHex(16);
    const spanId = randomHex(8);
    const kind = options.kind ?? SpanKind.INTERNAL;
    const links = options.links ?? [];
    const attributes = options.attributes ? copyAttributes(options.attributes).attributes : {};
    const sampling = this.options.sampler.shouldSample(context, traceId, name, kind, attributes, links);
    const spanContext: SpanContext = {
      traceId,
      spanId,
      traceFlags: sampling.decision === SamplingDecision.RECORD_AND_SAMPLED ? TraceFlags.SAMPLED : TraceFlags.NONE,
      traceState: sampling.traceState ?? validParent?.traceState,
    };
    if (sampling.decision === SamplingDecision.NOT_RECORD) return trace.wrapSpanContext(spanContext);
    const span = new InvocationSpan(spanContext, name, kind, validParent, this.options.resource, this.scope, this.options.spans, options.startTime);
    for (const link of links) span.addLink(link);
    span.setAttributes(attributes);
    if (sampling.attributes) span.setAttributes(sampling.attributes);
    return span;
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, ...rest: [F] | [SpanOptions, F] | [SpanOptions, Context, F]): ReturnType<F> {
    const fn = rest[rest.length - 1] as F;
    const options = rest.length > 1 ? (rest[0] as SpanOptions) : undefined;
    const parent = rest.length > 2 ? (rest[1] as Context) : otelContext.active();
    const span = this.startSpan(name, options, parent);
    return otelContext.with(trace.setSpan(parent, span), fn as (span: Span) => ReturnType<F>, undefined, span);
  }
}

/** Whether a span is one this tracer recorded (a local parent whose ids need no checking). */
export const isInvocationSpan = (span: Span | undefined): boolean => span instanceof InvocationSpan;

export class InvocationTracerProvider implements TracerProvider {
  private readonly tracers = new Map<string, InvocationTracer>();

  constructor(private readonly options: InvocationTracerOptions) {}

  getTracer(name: string, version?: string, options?: { schemaUrl?: string }): Tracer {
    const key = `${name}@${version ?? ''}:${options?.schemaUrl ?? ''}`;
    let tracer = this.tracers.get(key);
    if (!tracer) {
      tracer = new InvocationTracer({ name, version, schemaUrl: options?.schemaUrl }, this.options);
      this.tracers.set(key, tracer);
    }
    return tracer;
  }
}
