/**
 * OpenTelemetry spans as Jaeger's Thrift model (`jaeger.thrift`: Batch, Process, Span, Tag, Log, SpanRef), written
 * straight to a Thrift writer. The mapping is the one OpenTelemetry's Jaeger exporter used, corrected where it
 * disagreed with Jaeger: resource attributes become the process's tags (once per batch, not on every span), log
 * timestamps are microseconds, integers are LONG, and nothing is ever the string "undefined".
 *   - tags: the span's attributes; `otel.status_code`/`otel.status_description` when a status is set; `error=true`
 *     for an ERROR status; `span.kind` unless internal; `otel.scope.name`/`otel.scope.version`; dropped counts
 *   - logs: one per event, its `event` field the event's name, then its attributes
 *   - references: links as FOLLOWS_FROM (the parent is `parentSpanId`)
 */
import type { Attributes, AttributeValue, HrTime } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { BinaryWriter, CompactWriter, TType, type ThriftWriter } from './thrift.js';

const TAG_STRING = 0;
const TAG_DOUBLE = 1;
const TAG_BOOL = 2;
const TAG_LONG = 3;
const FOLLOWS_FROM = 1;
const SAMPLED = 1;
const STATUS_NAMES = ['UNSET', 'OK', 'ERROR'];
const KIND_NAMES = ['internal', 'server', 'client', 'producer', 'consumer'];
/** Integers up to this size are sent as LONG (exact through the writers' double arithmetic); larger ones as DOUBLE. */
const LONG_LIMIT = 2 ** 51;

type TagValue = string | number | boolean;

function tagValueOf(value: AttributeValue | undefined): TagValue | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  // Arrays, as OpenTelemetry's Jaeger translation sends them: a JSON string.
  return JSON.stringify(value);
}

/**
 * Encoded Tag structs by protocol, key and value: most tags repeat from one invocation to the next (`db.system`,
 * `http.method`, `span.kind`, the route), and copying their bytes costs a fraction of encoding them. A key whose
 * values keep changing (an invocation id) stops being cached after a few distinct values. Bounded.
 */
interface CachedKey {
  values: Map<TagValue, Uint8Array>;
  varies: boolean;
}
const tagCache = { compact: new Map<string, CachedKey>(), binary: new Map<string, CachedKey>() };
const scratch = { compact: new CompactWriter(256), binary: new BinaryWriter(256) };
const VALUES_PER_KEY = 16;
const CACHED_KEYS = 512;
const CACHEABLE_LENGTH = 96;

export function writeTag(w: ThriftWriter, key: string, value: TagValue): void {
  const cache = tagCache[w.protocol];
  let entry = cache.get(key);
  if (!entry) {
    if (cache.size >= CACHED_KEYS) cache.clear();
    entry = { values: new Map(), varies: false };
    cache.set(key, entry);
  }
  if (entry.varies || (typeof value === 'string' && value.length > CACHEABLE_LENGTH)) return encodeTag(w, key, value);
  let bytes = entry.values.get(value);
  if (!bytes) {
    if (entry.values.size >= VALUES_PER_KEY) {
      entry.varies = true;
      entry.values.clear();
      return encodeTag(w, key, value);
    }
    const sw = scratch[w.protocol];
    sw.reset();
    encodeTag(sw, key, value);
    bytes = Buffer.from(sw.bytes());
    entry.values.set(value, bytes);
  }
  w.raw(bytes);
}

function encodeTag(w: ThriftWriter, key: string, value: TagValue): void {
  w.structBegin();
  w.fieldBegin(1, TType.STRING);
  w.string(key);
  if (typeof value === 'string') {
    w.fieldBegin(2, TType.I32);
    w.i32(TAG_STRING);
    w.fieldBegin(3, TType.STRING);
    w.string(value);
  } else if (typeof value === 'boolean') {
    w.fieldBegin(2, TType.I32);
    w.i32(TAG_BOOL);
    w.boolField(5, value);
  } else if (Number.isInteger(value) && Math.abs(value) < LONG_LIMIT) {
    w.fieldBegin(2, TType.I32);
    w.i32(TAG_LONG);
    w.fieldBegin(6, TType.I64);
    w.i64(value);
  } else {
    w.fieldBegin(2, TType.I32);
    w.i32(TAG_DOUBLE);
    w.fieldBegin(4, TType.DOUBLE);
    w.double(value);
  }
  w.structEnd();
}

function definedCount(attributes: Attributes): number {
  let count = 0;
  for (const key in attributes) if (tagValueOf(attributes[key]) !== undefined) count++;
  return count;
}

function writeAttributes(w: ThriftWriter, attributes: Attributes): void {
  for (const key in attributes) {
    const value = tagValueOf(attributes[key]);
    if (value !== undefined) writeTag(w, key, value);
  }
}

export const microseconds = (time: HrTime): number => time[0] * 1_000_000 + Math.floor(time[1] / 1000);

/** The Process struct: the resource's `service.name` and its other attributes as tags. */
export function writeProcess(w: ThriftWriter, resource: Attributes): void {
  const serviceName = typeof resource['service.name'] === 'string' ? resource['service.name'] : 'unknown_service';
  const tags: Attributes = { ...resource };
  delete tags['service.name'];
  w.structBegin();
  w.fieldBegin(1, TType.STRING);
  w.string(serviceName);
  const count = definedCount(tags);
  if (count > 0) {
    w.fieldBegin(2, TType.LIST);
    w.listBegin(TType.STRUCT, count);
    writeAttributes(w, tags);
  }
  w.structEnd();
}

/** One Span struct. */
export function writeSpan(w: ThriftWriter, span: ReadableSpan): void {
  const context = span.spanContext();
  const traceId = context.traceId.padStart(32, '0');
  const parentSpanId = span.parentSpanContext?.spanId;
  const { attributes, status, kind, instrumentationScope: scope } = span;

  w.structBegin();
  w.fieldBegin(1, TType.I64);
  w.i64Hex(traceId, 16);
  w.fieldBegin(2, TType.I64);
  w.i64Hex(traceId, 0);
  w.fieldBegin(3, TType.I64);
  w.i64Hex(context.spanId);
  w.fieldBegin(4, TType.I64);
  if (parentSpanId) w.i64Hex(parentSpanId);
  else w.i64(0);
  w.fieldBegin(5, TType.STRING);
  w.string(span.name);
  if (span.links.length > 0) {
    w.fieldBegin(6, TType.LIST);
    w.listBegin(TType.STRUCT, span.links.length);
    for (const link of span.links) {
      const linkedTrace = link.context.traceId.padStart(32, '0');
      w.structBegin();
      w.fieldBegin(1, TType.I32);
      w.i32(FOLLOWS_FROM);
      w.fieldBegin(2, TType.I64);
      w.i64Hex(linkedTrace, 16);
      w.fieldBegin(3, TType.I64);
      w.i64Hex(linkedTrace, 0);
      w.fieldBegin(4, TType.I64);
      w.i64Hex(link.context.spanId);
      w.structEnd();
    }
  }
  w.fieldBegin(7, TType.I32);
  // Only kept spans are exported (head-sampled or kept by the tail decision): Jaeger sees them as sampled.
  w.i32(context.traceFlags | SAMPLED);
  w.fieldBegin(8, TType.I64);
  w.i64(microseconds(span.startTime));
  w.fieldBegin(9, TType.I64);
  w.i64(microseconds(span.duration));

  const statusSet = status.code !== 0;
  const addError = status.code === 2 && attributes.error === undefined;
  const scopeVersion = scope?.version;
  const tagCount =
    definedCount(attributes) +
    (statusSet ? 1 : 0) +
    (statusSet && status.message ? 1 : 0) +
    (addError ? 1 : 0) +
    (kind !== 0 ? 1 : 0) +
    (scope?.name ? 1 : 0) +
    (scopeVersion ? 1 : 0) +
    (span.droppedAttributesCount ? 1 : 0) +
    (span.droppedEventsCount ? 1 : 0) +
    (span.droppedLinksCount ? 1 : 0);
  if (tagCount > 0) {
    w.fieldBegin(10, TType.LIST);
    w.listBegin(TType.STRUCT, tagCount);
    writeAttributes(w, attributes);
    if (statusSet) {
      writeTag(w, 'otel.status_code', STATUS_NAMES[status.code] ?? String(status.code));
      if (status.message) writeTag(w, 'otel.status_description', status.message);
    }
    if (addError) writeTag(w, 'error', true);
    if (kind !== 0) writeTag(w, 'span.kind', KIND_NAMES[kind] ?? String(kind));
    if (scope?.name) writeTag(w, 'otel.scope.name', scope.name);
    if (scopeVersion) writeTag(w, 'otel.scope.version', scopeVersion);
    if (span.droppedAttributesCount) writeTag(w, 'otel.dropped_attributes_count', span.droppedAttributesCount);
    if (span.droppedEventsCount) writeTag(w, 'otel.dropped_events_count', span.droppedEventsCount);
    if (span.droppedLinksCount) writeTag(w, 'otel.dropped_links_count', span.droppedLinksCount);
  }

  if (span.events.length > 0) {
    w.fieldBegin(11, TType.LIST);
    w.listBegin(TType.STRUCT, span.events.length);
    for (const event of span.events) {
      const eventAttributes = event.attributes ?? {};
      w.structBegin();
      w.fieldBegin(1, TType.I64);
      w.i64(microseconds(event.time));
      w.fieldBegin(2, TType.LIST);
      w.listBegin(TType.STRUCT, 1 + definedCount(eventAttributes));
      writeTag(w, 'event', event.name);
      writeAttributes(w, eventAttributes);
      w.structEnd();
    }
  }
  w.structEnd();
}

/**
 * `Agent.emitBatch(1: Batch batch)` as a oneway message, from a pre-encoded Process and pre-encoded Spans of the
 * same protocol.
 */
export function writeEmitBatch(w: ThriftWriter, seqId: number, process: Uint8Array, spans: Uint8Array[]): void {
  w.onewayMessageBegin('emitBatch', seqId);
  w.structBegin(); // the arguments
  w.fieldBegin(1, TType.STRUCT);
  writeBatch(w, process, spans);
  w.structEnd();
}

/** `Agent.emitBatch` with the spans encoded in place, after a pre-encoded Process of the same protocol. */
export function writeEmitBatchOf(w: ThriftWriter, seqId: number, process: Uint8Array, spans: ReadableSpan[]): void {
  w.onewayMessageBegin('emitBatch', seqId);
  w.structBegin(); // the arguments
  w.fieldBegin(1, TType.STRUCT);
  w.structBegin(); // the Batch
  w.fieldBegin(1, TType.STRUCT);
  w.raw(process);
  w.fieldBegin(2, TType.LIST);
  w.listBegin(TType.STRUCT, spans.length);
  for (const span of spans) writeSpan(w, span);
  w.structEnd();
  w.structEnd();
}

/** A Batch struct (also the Jaeger collector's HTTP body). */
export function writeBatch(w: ThriftWriter, process: Uint8Array, spans: Uint8Array[]): void {
  w.structBegin();
  w.fieldBegin(1, TType.STRUCT);
  w.raw(process);
  w.fieldBegin(2, TType.LIST);
  w.listBegin(TType.STRUCT, spans.length);
  for (const span of spans) w.raw(span);
  w.structEnd();
}
