// Test fixtures that receive what the OpenTelemetry exporters really put on the wire and decode it into
// one common span shape, so tests can assert on exported traces without a real Jaeger/Zipkin/collector.
//
//   startJaegerUdpReceiver(port?)  Jaeger agent UDP: Agent.emitBatch, Thrift binary (strict or legacy
//                                  envelope, decoded with thriftrw) or Thrift compact (hand-decoded).
//   startJaegerHttpReceiver()      Jaeger collector: POST /api/traces, application/x-thrift (binary jaeger.Batch).
//   startOtlpHttpReceiver()        OTLP/HTTP: POST /v1/traces, application/json (what exporter-trace-otlp-http
//                                  sends) or application/x-protobuf (what exporter-trace-otlp-proto sends).
//   startZipkinReceiver()          Zipkin v2: POST /api/v2/spans, JSON array.
//   startSamplingServer(strategy)  Jaeger remote sampling: GET /sampling?service=NAME (and GET /?service=NAME).
//
// Everything listens on 127.0.0.1, port 0 (ephemeral) unless a port is given.
import dgram from 'node:dgram';
import { appendFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import path from 'node:path';
import zlib from 'node:zlib';

const require = createRequire(import.meta.url);

// ---------------------------------------------------------------------------------------------------------------
// Common shape
// ---------------------------------------------------------------------------------------------------------------

export type TagValue = string | number | boolean;

export interface ReceivedEvent {
  name: string;
  attributes: Record<string, unknown>;
}

export interface ReceivedSpan {
  /** 32 lower-case hex chars (64-bit Jaeger ids are left-padded with zeros). */
  traceId: string;
  /** 16 lower-case hex chars. */
  spanId: string;
  /** 16 lower-case hex chars; undefined for a root span (parentSpanId 0 in Jaeger). */
  parentSpanId?: string;
  name: string;
  /** 'server' | 'client' | 'producer' | 'consumer' | 'internal', only when the wire format says. */
  kind?: string;
  serviceName?: string;
  startTimeUs: number;
  durationUs: number;
  /**
   * Resource/process tags first, then span attributes/tags (span wins on a clash). Values keep the type the
   * wire format carries: Jaeger numbers are all DOUBLE (so 42 arrives as 42), Zipkin v2 tags are always
   * strings, OTLP keeps string/int/double/bool (arrays and maps are JSON-stringified, bytes base64).
   */
  tags: Record<string, TagValue>;
  events?: ReceivedEvent[];
  /** Which receiver/format produced it. */
  format: 'jaeger-thrift-binary' | 'jaeger-thrift-compact' | 'jaeger-http' | 'otlp-json' | 'otlp-protobuf' | 'zipkin-json';
  /** JSON dump of everything received for this span (process/resource/scope included), for grepping secrets. */
  raw: string;
}

export type SpanPredicate = (spans: readonly ReceivedSpan[]) => boolean;

export interface SpanReceiver {
  readonly spans: ReceivedSpan[];
  /** Decode failures (malformed datagrams/bodies); a test can assert this stays empty. */
  readonly errors: Error[];
  /**
   * Resolves with the spans once `predicate(spans)` is true (a number n means "at least n spans").
   * Polls every 10 ms; rejects after timeoutMs with what was received. A safety net, not a sync mechanism.
   */
  waitForSpans(predicate: SpanPredicate | number, timeoutMs?: number): Promise<ReceivedSpan[]>;
  clear(): void;
  close(): Promise<void>;
}

export interface ReceivedRequest {
  method: string;
  /** Path plus query string as received. */
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The body as received (still compressed if Content-Encoding was set). */
  bodyBytes: Buffer;
}

export interface HttpSpanReceiver extends SpanReceiver {
  /** Full endpoint URL to hand to the exporter, e.g. http://127.0.0.1:PORT/v1/traces. */
  readonly url: string;
  readonly port: number;
  /** Every request received, in order, including ones to other paths. */
  readonly requests: ReceivedRequest[];
  /** Status answered to accepted requests (default 200 for OTLP/Zipkin, 202 for Jaeger); set >= 400 to simulate failure. */
  status: number;
}

export interface UdpSpanReceiver extends SpanReceiver {
  readonly host: string;
  readonly port: number;
  /** Raw datagrams received, in order. */
  readonly datagrams: Buffer[];
}

class SpanCollector {
  readonly spans: ReceivedSpan[] = [];
  readonly errors: Error[] = [];

  waitForSpans(predicate: SpanPredicate | number, timeoutMs = 5000): Promise<ReceivedSpan[]> {
    const test: SpanPredicate = typeof predicate === 'number' ? (s) => s.length >= predicate : predicate;
    const deadline = Date.now() + timeoutMs;
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (test(this.spans)) {
          resolve([...this.spans]);
          return;
        }
        if (Date.now() >= deadline) {
          const got = this.spans.map((s) => `${s.name}(${s.spanId})`).join(', ') || 'none';
          const errs = this.errors.length ? `; decode errors: ${this.errors.map((e) => e.message).join(' | ')}` : '';
          reject(new Error(`waitForSpans timed out after ${timeoutMs} ms; spans received: ${got}${errs}`));
          return;
        }
        setTimeout(check, 10);
      };
      check();
    });
  }

  clear(): void {
    this.spans.length = 0;
    this.errors.length = 0;
  }

  /**
   * Keeps decoded spans, and appends them to the run's artifacts folder (TEST_ARTIFACTS_DIR) when there is
   * one, where the global teardown looks for secrets in everything any test exported.
   */
  record(spans: ReceivedSpan[]): void {
    this.spans.push(...spans);
    const dir = process.env.TEST_ARTIFACTS_DIR;
    if (dir && spans.length > 0) {
      appendFileSync(path.join(dir, `spans-${process.pid}.jsonl`), spans.map((s) => s.raw).join('\n') + '\n');
    }
  }

  /** Records a decode failure (used by the receivers). */
  recordError(err: unknown): void {
    this.errors.push(err instanceof Error ? err : new Error(String(err)));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------------------------

/** JSON-safe deep copy: Buffers/Uint8Arrays become hex, bigints decimal strings, Maps objects. */
function toPlain(value: unknown): unknown {
  if (value === null || value === undefined) return value;
  if (typeof value === 'bigint') return value.toString();
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (Array.isArray(value)) return value.map(toPlain);
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), toPlain(v)]));
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = toPlain(v);
    return out;
  }
  return value;
}

const rawJson = (value: unknown): string => JSON.stringify(toPlain(value));

const ZERO_ID = /^0+$/;

function bigintToNumber(v: bigint): number {
  return Number(v);
}

/** A Thrift i64 as thriftrw (8-byte Buffer) or the compact decoder (bigint) hands it over. */
type Int64Like = Buffer | Uint8Array | bigint | number | { toBuffer(): Buffer } | null | undefined;

function int64ToBigInt(v: Int64Like): bigint {
  if (v === null || v === undefined) return 0n;
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) {
    const b = Buffer.from(v);
    if (b.length === 0) return 0n;
    const padded = b.length >= 8 ? b.subarray(b.length - 8) : Buffer.concat([Buffer.alloc(8 - b.length), b]);
    return padded.readBigInt64BE(0);
  }
  if (typeof (v as { toBuffer?: unknown }).toBuffer === 'function') return int64ToBigInt((v as { toBuffer(): Buffer }).toBuffer());
  throw new Error(`unsupported i64 representation: ${String(v)}`);
}

/** i64 -> 16 lower-case hex chars (two's complement, as Jaeger ids are unsigned 64-bit on the wire). */
function int64ToHex(v: Int64Like): string {
  return BigInt.asUintN(64, int64ToBigInt(v)).toString(16).padStart(16, '0');
}

/** OTLP ids: hex per the OTLP/JSON spec; base64 (plain proto3 JSON) accepted too. */
function otlpIdToHex(id: unknown, bytes: number): string | undefined {
  if (id === undefined || id === null || id === '') return undefined;
  if (id instanceof Uint8Array) return Buffer.from(id).toString('hex');
  const s = String(id);
  if (s.length === bytes * 2 && /^[0-9a-fA-F]+$/.test(s)) return s.toLowerCase();
  const b = Buffer.from(s, 'base64');
  if (b.length === bytes) return b.toString('hex');
  return s.toLowerCase();
}

function nanosToBigInt(v: unknown): bigint {
  if (v === undefined || v === null) return 0n;
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(Math.round(v));
  if (typeof v === 'string') return BigInt(v);
  if (typeof v === 'object' && 'low' in v && 'high' in v) {
    const { low, high } = v as { low: number; high: number };
    return (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
  }
  throw new Error(`unsupported timestamp: ${JSON.stringify(v)}`);
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function decodeContentEncoding(body: Buffer, encoding: string | undefined): Buffer {
  switch ((encoding ?? '').toLowerCase()) {
    case '':
    case 'identity':
      return body;
    case 'gzip':
      return zlib.gunzipSync(body);
    case 'deflate':
      return zlib.inflateSync(body);
    case 'br':
      return zlib.brotliDecompressSync(body);
    default:
      throw new Error(`unsupported Content-Encoding ${encoding}`);
  }
}

function listen(server: http.Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
    // Exporters use keep-alive agents; without this close() waits for their idle sockets.
    server.closeAllConnections();
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Jaeger Thrift
// ---------------------------------------------------------------------------------------------------------------

const JAEGER_TAG_TYPES = ['STRING', 'DOUBLE', 'BOOL', 'LONG', 'BINARY'] as const;
const JAEGER_REF_TYPES = ['CHILD_OF', 'FOLLOWS_FROM'] as const;

interface JaegerTag {
  key: string;
  vType: string | number;
  vStr?: string | null;
  vDouble?: number | null;
  vBool?: boolean | null;
  vLong?: Int64Like;
  vBinary?: Buffer | null;
}
interface JaegerLog {
  timestamp: Int64Like;
  fields: JaegerTag[];
}
interface JaegerSpanRef {
  refType: string | number;
  traceIdLow: Int64Like;
  traceIdHigh: Int64Like;
  spanId: Int64Like;
}
interface JaegerSpan {
  traceIdLow: Int64Like;
  traceIdHigh: Int64Like;
  spanId: Int64Like;
  parentSpanId: Int64Like;
  operationName: string;
  references?: JaegerSpanRef[] | null;
  flags: number;
  startTime: Int64Like;
  duration: Int64Like;
  tags?: JaegerTag[] | null;
  logs?: JaegerLog[] | null;
}
interface JaegerProcess {
  serviceName: string;
  tags?: JaegerTag[] | null;
}
interface JaegerBatch {
  process: JaegerProcess;
  spans: JaegerSpan[];
}

// Minimal typing of the parts of thriftrw used here (it ships no type declarations).
interface ThriftResult<T> {
  err: Error | null;
  value: T;
  offset: number;
}
interface ThriftRW<T> {
  readFrom(buffer: Buffer, offset: number): ThriftResult<T>;
}
interface ThriftMessage<T> {
  name: string;
  type: string;
  id: number;
  version: number;
  body: T;
}
interface AgentThrift {
  Agent: { emitBatch: { argumentsMessageRW: ThriftRW<ThriftMessage<{ batch: JaegerBatch }>> } };
  modules: { jaeger: { Batch: { rw: ThriftRW<JaegerBatch> } } };
}

let agentThrift: AgentThrift | undefined;

/**
 * Loads the same IDL jaeger-client's UDPSender writes with. Trap: it is NOT jaeger-idl/thrift/agent.thrift
 * (thriftrw rejects that one: zipkincore.thrift is not strict-mode clean and includes must start with ./),
 * but jaeger-client's own copy dist/src/thriftrw-idl/agent.thrift, which includes ../jaeger-idl/thrift/jaeger.thrift.
 * jaeger-client is resolved from @opentelemetry/exporter-jaeger so it is the copy the exporter really uses.
 */
function loadAgentThrift(): AgentThrift {
  if (agentThrift) return agentThrift;
  let req: NodeJS.Require = require;
  try {
    req = createRequire(require.resolve('@opentelemetry/exporter-jaeger'));
  } catch {
    // exporter not installed: fall back to the top-level jaeger-client
  }
  const srcDir = path.dirname(req.resolve('jaeger-client/dist/src/thrift.js'));
  const { Thrift } = req('thriftrw') as { Thrift: new (opts: Record<string, unknown>) => AgentThrift };
  agentThrift = new Thrift({
    entryPoint: path.join(srcDir, 'thriftrw-idl', 'agent.thrift'),
    allowFilesystemAccess: true,
    allowOptionalArguments: true,
  });
  return agentThrift;
}

function jaegerTagValue(tag: JaegerTag): TagValue {
  const type = typeof tag.vType === 'number' ? JAEGER_TAG_TYPES[tag.vType] : tag.vType;
  switch (type) {
    case 'STRING':
      return tag.vStr ?? '';
    case 'DOUBLE':
      return tag.vDouble ?? 0;
    case 'BOOL':
      return tag.vBool ?? false;
    case 'LONG': {
      const n = int64ToBigInt(tag.vLong);
      return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString();
    }
    case 'BINARY':
      return Buffer.from(tag.vBinary ?? []).toString('base64');
    default:
      return tag.vStr ?? String(tag.vType);
  }
}

function jaegerTags(tags: JaegerTag[] | null | undefined): Record<string, TagValue> {
  const out: Record<string, TagValue> = {};
  for (const t of tags ?? []) out[t.key] = jaegerTagValue(t);
  return out;
}

function jaegerBatchToSpans(batch: JaegerBatch, format: ReceivedSpan['format']): ReceivedSpan[] {
  const processTags = jaegerTags(batch.process?.tags);
  return (batch.spans ?? []).map((span) => {
    const tags = { ...processTags, ...jaegerTags(span.tags) };
    const traceId = int64ToHex(span.traceIdHigh) + int64ToHex(span.traceIdLow);
    let parent: string | undefined = int64ToHex(span.parentSpanId);
    if (ZERO_ID.test(parent)) {
      // Jaeger allows expressing the parent as an explicit CHILD_OF reference instead.
      const childOf = (span.references ?? []).find(
        (r) => (typeof r.refType === 'number' ? JAEGER_REF_TYPES[r.refType] : r.refType) === 'CHILD_OF',
      );
      parent = childOf ? int64ToHex(childOf.spanId) : undefined;
    }
    const kind = tags['span.kind'];
    return {
      traceId,
      spanId: int64ToHex(span.spanId),
      parentSpanId: parent,
      name: span.operationName,
      kind: typeof kind === 'string' ? kind.toLowerCase() : undefined,
      serviceName: batch.process?.serviceName,
      startTimeUs: bigintToNumber(int64ToBigInt(span.startTime)),
      durationUs: bigintToNumber(int64ToBigInt(span.duration)),
      tags,
      events: (span.logs ?? []).map((log) => {
        const fields = jaegerTags(log.fields);
        const { event, ...attributes } = fields;
        return { name: event === undefined ? '' : String(event), attributes };
      }),
      format,
      raw: rawJson({ process: batch.process, span }),
    };
  });
}

// --- Thrift compact protocol (the Jaeger agent's port 6831 flavour); thriftrw has no compact codec. -----------

type CompactValue = boolean | number | bigint | Buffer | CompactStruct | CompactValue[] | Map<CompactValue, CompactValue>;
type CompactStruct = Map<number, CompactValue>;

class CompactReader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}

  byte(): number {
    if (this.pos >= this.buf.length) throw new Error('compact: truncated');
    return this.buf[this.pos++]!;
  }
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.byte();
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 70n) throw new Error('compact: varint too long');
    }
  }
  zigzag(): bigint {
    const n = this.varint();
    return (n >> 1n) ^ -(n & 1n);
  }
  bytes(): Buffer {
    const len = Number(this.varint());
    if (this.pos + len > this.buf.length) throw new Error('compact: truncated binary');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return Buffer.from(out);
  }
  value(type: number, inField: boolean): CompactValue {
    switch (type) {
      case 1: // BOOLEAN_TRUE (in a field header) / bool element
        return inField ? true : this.byte() === 1;
      case 2: // BOOLEAN_FALSE
        return inField ? false : this.byte() === 1;
      case 3: {
        const b = this.byte();
        return b > 127 ? b - 256 : b;
      }
      case 4:
      case 5:
        return Number(this.zigzag());
      case 6:
        return this.zigzag();
      case 7: {
        if (this.pos + 8 > this.buf.length) throw new Error('compact: truncated double');
        const d = this.buf.readDoubleLE(this.pos);
        this.pos += 8;
        return d;
      }
      case 8:
        return this.bytes();
      case 9:
      case 10: {
        const header = this.byte();
        let size = header >> 4;
        const elemType = header & 0x0f;
        if (size === 15) size = Number(this.varint());
        const out: CompactValue[] = [];
        for (let i = 0; i < size; i++) out.push(this.value(elemType, false));
        return out;
      }
      case 11: {
        const size = Number(this.varint());
        const out = new Map<CompactValue, CompactValue>();
        if (size === 0) return out;
        const kv = this.byte();
        for (let i = 0; i < size; i++) out.set(this.value(kv >> 4, false), this.value(kv & 0x0f, false));
        return out;
      }
      case 12:
        return this.struct();
      default:
        throw new Error(`compact: unknown type ${type}`);
    }
  }
  struct(): CompactStruct {
    const out: CompactStruct = new Map();
    let last = 0;
    for (;;) {
      const header = this.byte();
      if (header === 0) return out;
      const type = header & 0x0f;
      const delta = header >> 4;
      const id = delta === 0 ? Number(this.zigzag()) : last + delta;
      last = id;
      out.set(id, this.value(type, true));
    }
  }
  message(): { name: string; type: number; seqId: number; args: CompactStruct } {
    if (this.byte() !== 0x82) throw new Error('compact: bad protocol id');
    const vt = this.byte();
    if ((vt & 0x1f) !== 1) throw new Error(`compact: unsupported version ${vt & 0x1f}`);
    const seqId = Number(this.varint());
    const name = this.bytes().toString('utf8');
    return { name, type: (vt >> 5) & 0x07, seqId, args: this.struct() };
  }
}

function cStr(v: CompactValue | undefined): string {
  return Buffer.isBuffer(v) ? v.toString('utf8') : v === undefined ? '' : String(v);
}
function cList(v: CompactValue | undefined): CompactStruct[] {
  return Array.isArray(v) ? (v.filter((x) => x instanceof Map) as CompactStruct[]) : [];
}
function cI64(v: CompactValue | undefined): bigint {
  return typeof v === 'bigint' ? v : typeof v === 'number' ? BigInt(v) : 0n;
}
function cTag(s: CompactStruct): JaegerTag {
  return {
    key: cStr(s.get(1)),
    vType: Number(s.get(2) ?? 0),
    vStr: s.has(3) ? cStr(s.get(3)) : null,
    vDouble: typeof s.get(4) === 'number' ? (s.get(4) as number) : null,
    vBool: typeof s.get(5) === 'boolean' ? (s.get(5) as boolean) : null,
    vLong: s.has(6) ? cI64(s.get(6)) : null,
    vBinary: Buffer.isBuffer(s.get(7)) ? (s.get(7) as Buffer) : null,
  };
}
function compactToJaegerBatch(s: CompactStruct): JaegerBatch {
  const proc = s.get(1) instanceof Map ? (s.get(1) as CompactStruct) : new Map<number, CompactValue>();
  return {
    process: { serviceName: cStr(proc.get(1)), tags: cList(proc.get(2)).map(cTag) },
    spans: cList(s.get(2)).map((sp) => ({
      traceIdLow: cI64(sp.get(1)),
      traceIdHigh: cI64(sp.get(2)),
      spanId: cI64(sp.get(3)),
      parentSpanId: cI64(sp.get(4)),
      operationName: cStr(sp.get(5)),
      references: cList(sp.get(6)).map((r) => ({
        refType: Number(r.get(1) ?? 0),
        traceIdLow: cI64(r.get(2)),
        traceIdHigh: cI64(r.get(3)),
        spanId: cI64(r.get(4)),
      })),
      flags: Number(sp.get(7) ?? 0),
      startTime: cI64(sp.get(8)),
      duration: cI64(sp.get(9)),
      tags: cList(sp.get(10)).map(cTag),
      logs: cList(sp.get(11)).map((l) => ({ timestamp: cI64(l.get(1)), fields: cList(l.get(2)).map(cTag) })),
    })),
  };
}

/** Decodes one Agent.emitBatch datagram (binary strict/legacy envelope, or compact). Exported for unit tests. */
export function decodeJaegerAgentDatagram(msg: Buffer): ReceivedSpan[] {
  if (msg.length > 0 && msg[0] === 0x82) {
    const m = new CompactReader(msg).message();
    if (m.name !== 'emitBatch') throw new Error(`jaeger agent (compact): unexpected method ${m.name}`);
    const batch = m.args.get(1);
    if (!(batch instanceof Map)) throw new Error('jaeger agent (compact): emitBatch without batch');
    return jaegerBatchToSpans(compactToJaegerBatch(batch as CompactStruct), 'jaeger-thrift-compact');
  }
  const res = loadAgentThrift().Agent.emitBatch.argumentsMessageRW.readFrom(msg, 0);
  if (res.err) throw res.err;
  if (res.value.name !== 'emitBatch') throw new Error(`jaeger agent: unexpected method ${res.value.name}`);
  return jaegerBatchToSpans(res.value.body.batch, 'jaeger-thrift-binary');
}

/** Decodes a Thrift-binary jaeger.Batch (the Jaeger collector HTTP body). Exported for unit tests. */
export function decodeJaegerBatch(body: Buffer): ReceivedSpan[] {
  const res = loadAgentThrift().modules.jaeger.Batch.rw.readFrom(body, 0);
  if (res.err) throw res.err;
  return jaegerBatchToSpans(res.value, 'jaeger-http');
}

// ---------------------------------------------------------------------------------------------------------------
// OTLP
// ---------------------------------------------------------------------------------------------------------------

const OTLP_KINDS = [undefined, 'internal', 'server', 'client', 'producer', 'consumer'] as const;
const OTLP_STATUS = ['UNSET', 'OK', 'ERROR'] as const;

interface OtlpAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string | bigint;
  doubleValue?: number | string;
  arrayValue?: { values?: OtlpAnyValue[] };
  kvlistValue?: { values?: OtlpKeyValue[] };
  bytesValue?: string | Uint8Array;
}
interface OtlpKeyValue {
  key: string;
  value?: OtlpAnyValue;
}
interface OtlpEvent {
  timeUnixNano?: unknown;
  name?: string;
  attributes?: OtlpKeyValue[];
}
interface OtlpSpan {
  traceId?: string | Uint8Array;
  spanId?: string | Uint8Array;
  parentSpanId?: string | Uint8Array;
  name?: string;
  kind?: number | string;
  startTimeUnixNano?: unknown;
  endTimeUnixNano?: unknown;
  attributes?: OtlpKeyValue[];
  events?: OtlpEvent[];
  status?: { code?: number | string; message?: string };
  [k: string]: unknown;
}
export interface OtlpRequest {
  resourceSpans?: Array<{
    resource?: { attributes?: OtlpKeyValue[] };
    scopeSpans?: Array<{ scope?: { name?: string; version?: string }; spans?: OtlpSpan[] }>;
  }>;
}

function otlpPlainValue(v: OtlpAnyValue | undefined): unknown {
  if (!v) return undefined;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) {
    const n = BigInt(v.intValue);
    return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString();
  }
  if (v.doubleValue !== undefined) return Number(v.doubleValue);
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(otlpPlainValue);
  if (v.kvlistValue) return otlpAttributes(v.kvlistValue.values, otlpPlainValue);
  if (v.bytesValue !== undefined)
    return typeof v.bytesValue === 'string' ? v.bytesValue : Buffer.from(v.bytesValue).toString('base64');
  return undefined;
}

function otlpTagValue(v: OtlpAnyValue | undefined): TagValue {
  const p = otlpPlainValue(v);
  if (typeof p === 'string' || typeof p === 'number' || typeof p === 'boolean') return p;
  return JSON.stringify(p ?? null);
}

function otlpAttributes<T>(attrs: OtlpKeyValue[] | undefined, conv: (v: OtlpAnyValue | undefined) => T): Record<string, T> {
  const out: Record<string, T> = {};
  for (const kv of attrs ?? []) out[kv.key] = conv(kv.value);
  return out;
}

function otlpRequestToSpans(req: OtlpRequest, format: ReceivedSpan['format']): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of req.resourceSpans ?? []) {
    const resourceTags = otlpAttributes(rs.resource?.attributes, otlpTagValue);
    for (const ss of rs.scopeSpans ?? []) {
      for (const span of ss.spans ?? []) {
        const tags: Record<string, TagValue> = { ...resourceTags, ...otlpAttributes(span.attributes, otlpTagValue) };
        const statusCode = Number(span.status?.code ?? 0);
        // Same normalisation the Jaeger and Zipkin exporters apply, so assertions read alike across formats.
        if (statusCode !== 0) {
          tags['otel.status_code'] = OTLP_STATUS[statusCode] ?? String(statusCode);
          if (span.status?.message) tags['otel.status_description'] = span.status.message;
        }
        const start = nanosToBigInt(span.startTimeUnixNano);
        const end = nanosToBigInt(span.endTimeUnixNano);
        const kindNum = typeof span.kind === 'string' ? Number(span.kind.replace(/\D/g, '') || NaN) : span.kind;
        const kind =
          typeof span.kind === 'string' && Number.isNaN(kindNum)
            ? span.kind.replace(/^SPAN_KIND_/, '').toLowerCase()
            : OTLP_KINDS[kindNum ?? 0];
        const service = resourceTags['service.name'];
        out.push({
          traceId: otlpIdToHex(span.traceId, 16) ?? '',
          spanId: otlpIdToHex(span.spanId, 8) ?? '',
          parentSpanId: otlpIdToHex(span.parentSpanId, 8),
          name: span.name ?? '',
          kind: kind === 'unspecified' ? undefined : kind,
          serviceName: service === undefined ? undefined : String(service),
          startTimeUs: bigintToNumber(start / 1000n),
          durationUs: bigintToNumber((end - start) / 1000n),
          tags,
          events: (span.events ?? []).map((e) => ({ name: e.name ?? '', attributes: otlpAttributes(e.attributes, otlpPlainValue) })),
          format,
          raw: rawJson({ resource: rs.resource, scope: ss.scope, span }),
        });
      }
    }
  }
  return out;
}

// --- minimal protobuf decoder for ExportTraceServiceRequest (otlp-transformer ships a writer, no request reader) --

class PbReader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}
  atEnd(): boolean {
    return this.pos >= this.buf.length;
  }
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw new Error('protobuf: truncated varint');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 70n) throw new Error('protobuf: varint too long');
    }
  }
  tag(): { field: number; wire: number } {
    const t = Number(this.varint());
    return { field: t >>> 3, wire: t & 7 };
  }
  bytes(): Buffer {
    const len = Number(this.varint());
    if (this.pos + len > this.buf.length) throw new Error('protobuf: truncated bytes');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
  fixed64(): Buffer {
    if (this.pos + 8 > this.buf.length) throw new Error('protobuf: truncated fixed64');
    const out = this.buf.subarray(this.pos, this.pos + 8);
    this.pos += 8;
    return out;
  }
  fixed32(): number {
    if (this.pos + 4 > this.buf.length) throw new Error('protobuf: truncated fixed32');
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new Error(`protobuf: unsupported wire type ${wire}`);
  }
  /** Iterate the fields of this message, calling fn; fn returns false to skip the field. */
  each(fn: (field: number, wire: number, r: PbReader) => boolean): void {
    while (!this.atEnd()) {
      const { field, wire } = this.tag();
      if (!fn(field, wire, this)) this.skip(wire);
    }
  }
}

function pbAnyValue(buf: Buffer): OtlpAnyValue {
  const v: OtlpAnyValue = {};
  new PbReader(buf).each((f, w, r) => {
    if (f === 1 && w === 2) v.stringValue = r.bytes().toString('utf8');
    else if (f === 2 && w === 0) v.boolValue = r.varint() !== 0n;
    else if (f === 3 && w === 0) v.intValue = BigInt.asIntN(64, r.varint()).toString();
    else if (f === 4 && w === 1) v.doubleValue = r.fixed64().readDoubleLE(0);
    else if (f === 5 && w === 2) {
      const values: OtlpAnyValue[] = [];
      new PbReader(r.bytes()).each((f2, w2, r2) => (f2 === 1 && w2 === 2 ? (values.push(pbAnyValue(r2.bytes())), true) : false));
      v.arrayValue = { values };
    } else if (f === 6 && w === 2) {
      const values: OtlpKeyValue[] = [];
      new PbReader(r.bytes()).each((f2, w2, r2) => (f2 === 1 && w2 === 2 ? (values.push(pbKeyValue(r2.bytes())), true) : false));
      v.kvlistValue = { values };
    } else if (f === 7 && w === 2) v.bytesValue = Buffer.from(r.bytes()).toString('base64');
    else return false;
    return true;
  });
  return v;
}

function pbKeyValue(buf: Buffer): OtlpKeyValue {
  const kv: OtlpKeyValue = { key: '' };
  new PbReader(buf).each((f, w, r) => {
    if (f === 1 && w === 2) kv.key = r.bytes().toString('utf8');
    else if (f === 2 && w === 2) kv.value = pbAnyValue(r.bytes());
    else return false;
    return true;
  });
  return kv;
}

const pbFixed64Nanos = (b: Buffer): string => b.readBigUInt64LE(0).toString();

function pbSpan(buf: Buffer): OtlpSpan {
  const s: OtlpSpan = { attributes: [], events: [] };
  new PbReader(buf).each((f, w, r) => {
    if (f === 1 && w === 2) s.traceId = Buffer.from(r.bytes()).toString('hex');
    else if (f === 2 && w === 2) s.spanId = Buffer.from(r.bytes()).toString('hex');
    else if (f === 3 && w === 2) s.traceState = r.bytes().toString('utf8');
    else if (f === 4 && w === 2) {
      const p = r.bytes();
      if (p.length) s.parentSpanId = Buffer.from(p).toString('hex');
    } else if (f === 5 && w === 2) s.name = r.bytes().toString('utf8');
    else if (f === 6 && w === 0) s.kind = Number(r.varint());
    else if (f === 7 && w === 1) s.startTimeUnixNano = pbFixed64Nanos(r.fixed64());
    else if (f === 8 && w === 1) s.endTimeUnixNano = pbFixed64Nanos(r.fixed64());
    else if (f === 9 && w === 2) s.attributes!.push(pbKeyValue(r.bytes()));
    else if (f === 11 && w === 2) {
      const e: OtlpEvent = { attributes: [] };
      new PbReader(r.bytes()).each((f2, w2, r2) => {
        if (f2 === 1 && w2 === 1) e.timeUnixNano = pbFixed64Nanos(r2.fixed64());
        else if (f2 === 2 && w2 === 2) e.name = r2.bytes().toString('utf8');
        else if (f2 === 3 && w2 === 2) e.attributes!.push(pbKeyValue(r2.bytes()));
        else return false;
        return true;
      });
      s.events!.push(e);
    } else if (f === 15 && w === 2) {
      const st: { code?: number; message?: string } = {};
      new PbReader(r.bytes()).each((f2, w2, r2) => {
        if (f2 === 2 && w2 === 2) st.message = r2.bytes().toString('utf8');
        else if (f2 === 3 && w2 === 0) st.code = Number(r2.varint());
        else return false;
        return true;
      });
      s.status = st;
    } else if (f === 16 && w === 5) s.flags = r.fixed32();
    else return false;
    return true;
  });
  return s;
}

/** Decodes a binary-protobuf ExportTraceServiceRequest into the OTLP/JSON object shape. Exported for unit tests. */
export function decodeOtlpProtobuf(body: Buffer): OtlpRequest {
  const req: Required<OtlpRequest> = { resourceSpans: [] };
  new PbReader(body).each((f, w, r) => {
    if (f !== 1 || w !== 2) return false;
    const rs: NonNullable<OtlpRequest['resourceSpans']>[number] = { resource: { attributes: [] }, scopeSpans: [] };
    new PbReader(r.bytes()).each((f2, w2, r2) => {
      if (f2 === 1 && w2 === 2) {
        new PbReader(r2.bytes()).each((f3, w3, r3) =>
          f3 === 1 && w3 === 2 ? (rs.resource!.attributes!.push(pbKeyValue(r3.bytes())), true) : false,
        );
      } else if (f2 === 2 && w2 === 2) {
        const ss: { scope?: { name?: string; version?: string }; spans: OtlpSpan[] } = { spans: [] };
        new PbReader(r2.bytes()).each((f3, w3, r3) => {
          if (f3 === 1 && w3 === 2) {
            const scope: { name?: string; version?: string } = {};
            new PbReader(r3.bytes()).each((f4, w4, r4) => {
              if (f4 === 1 && w4 === 2) scope.name = r4.bytes().toString('utf8');
              else if (f4 === 2 && w4 === 2) scope.version = r4.bytes().toString('utf8');
              else return false;
              return true;
            });
            ss.scope = scope;
          } else if (f3 === 2 && w3 === 2) ss.spans.push(pbSpan(r3.bytes()));
          else return false;
          return true;
        });
        rs.scopeSpans!.push(ss);
      } else return false;
      return true;
    });
    req.resourceSpans.push(rs);
    return true;
  });
  return req;
}

// ---------------------------------------------------------------------------------------------------------------
// Zipkin
// ---------------------------------------------------------------------------------------------------------------

interface ZipkinSpan {
  traceId: string;
  id: string;
  parentId?: string;
  name?: string;
  kind?: string;
  timestamp?: number;
  duration?: number;
  localEndpoint?: { serviceName?: string };
  tags?: Record<string, string>;
  annotations?: Array<{ timestamp: number; value: string }>;
}

function zipkinToSpans(body: unknown): ReceivedSpan[] {
  if (!Array.isArray(body)) throw new Error('zipkin: body is not a JSON array');
  return (body as ZipkinSpan[]).map((z) => ({
    traceId: String(z.traceId).toLowerCase().padStart(32, '0'),
    spanId: String(z.id).toLowerCase(),
    parentSpanId: z.parentId ? String(z.parentId).toLowerCase() : undefined,
    name: z.name ?? '',
    kind: z.kind ? z.kind.toLowerCase() : undefined,
    serviceName: z.localEndpoint?.serviceName,
    startTimeUs: z.timestamp ?? 0,
    durationUs: z.duration ?? 0,
    tags: { ...(z.tags ?? {}) },
    events: (z.annotations ?? []).map((a) => ({ name: a.value, attributes: {} })),
    format: 'zipkin-json' as const,
    raw: rawJson(z),
  }));
}

// ---------------------------------------------------------------------------------------------------------------
// Receivers
// ---------------------------------------------------------------------------------------------------------------

class UdpReceiver extends SpanCollector implements UdpSpanReceiver {
  readonly datagrams: Buffer[] = [];
  constructor(
    private readonly socket: dgram.Socket,
    readonly host: string,
    readonly port: number,
  ) {
    super();
    socket.on('message', (msg) => {
      this.datagrams.push(msg);
      try {
        this.record(decodeJaegerAgentDatagram(msg));
      } catch (err) {
        this.recordError(err);
      }
    });
  }
  override clear(): void {
    super.clear();
    this.datagrams.length = 0;
  }
  close(): Promise<void> {
    return new Promise((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve(); // already closed
      }
    });
  }
}

/** Jaeger agent on UDP (127.0.0.1). Give JaegerExporter `{ host: '127.0.0.1', port: receiver.port }`. */
export function startJaegerUdpReceiver(port = 0): Promise<UdpSpanReceiver> {
  loadAgentThrift(); // parse the IDL up front so a broken IDL fails here, not silently per datagram
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', reject);
    socket.bind(port, '127.0.0.1', () => {
      socket.off('error', reject);
      const addr = socket.address();
      resolve(new UdpReceiver(socket, addr.address, addr.port));
    });
  });
}

type HttpDecoder = (body: Buffer, req: http.IncomingMessage) => { spans: ReceivedSpan[]; contentType: string; body: string };

class HttpReceiver extends SpanCollector implements HttpSpanReceiver {
  readonly requests: ReceivedRequest[] = [];
  url = '';
  port = 0;
  constructor(
    readonly server: http.Server,
    public status: number,
  ) {
    super();
  }
  override clear(): void {
    super.clear();
    this.requests.length = 0;
  }
  close(): Promise<void> {
    return closeServer(this.server);
  }
}

async function startHttpReceiver(endpointPath: string, defaultStatus: number, decode: HttpDecoder): Promise<HttpSpanReceiver> {
  const server = http.createServer();
  const receiver = new HttpReceiver(server, defaultStatus);
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    void (async () => {
      const bodyBytes = await readBody(req);
      receiver.requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, bodyBytes });
      const pathname = new URL(req.url ?? '/', 'http://x').pathname;
      if (pathname !== endpointPath) {
        res.writeHead(404).end();
        return;
      }
      if (req.method !== 'POST') {
        res.writeHead(405).end();
        return;
      }
      let answer: ReturnType<HttpDecoder>;
      try {
        answer = decode(decodeContentEncoding(bodyBytes, req.headers['content-encoding']), req);
      } catch (err) {
        receiver.recordError(err);
        res.writeHead(400, { 'Content-Type': 'text/plain' }).end(String(err));
        return;
      }
      // Spans are recorded even when a failure status is simulated: they did reach the "collector".
      receiver.record(answer.spans);
      res.writeHead(receiver.status, { 'Content-Type': answer.contentType }).end(answer.body);
    })().catch((err: unknown) => {
      receiver.recordError(err);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  receiver.port = await listen(server);
  receiver.url = `http://127.0.0.1:${receiver.port}${endpointPath}`;
  return receiver;
}

/** Jaeger collector: POST /api/traces with a Thrift-binary jaeger.Batch. Give JaegerExporter `{ endpoint: receiver.url }`. */
export function startJaegerHttpReceiver(): Promise<HttpSpanReceiver> {
  loadAgentThrift();
  return startHttpReceiver('/api/traces', 202, (body, req) => {
    const ct = String(req.headers['content-type'] ?? '');
    if (!ct.startsWith('application/x-thrift') && !ct.startsWith('application/vnd.apache.thrift.binary')) {
      throw new Error(`jaeger http: unsupported Content-Type ${ct}`);
    }
    return { spans: decodeJaegerBatch(body), contentType: 'text/plain', body: '' };
  });
}

/**
 * OTLP/HTTP traces: POST /v1/traces. application/json is what @opentelemetry/exporter-trace-otlp-http sends
 * (always; it has no protobuf option); application/x-protobuf (exporter-trace-otlp-proto) is decoded too.
 */
export function startOtlpHttpReceiver(): Promise<HttpSpanReceiver> {
  return startHttpReceiver('/v1/traces', 200, (body, req) => {
    const ct = String(req.headers['content-type'] ?? '');
    if (ct.startsWith('application/x-protobuf') || ct.startsWith('application/protobuf')) {
      // An empty ExportTraceServiceResponse is zero bytes.
      return { spans: otlpRequestToSpans(decodeOtlpProtobuf(body), 'otlp-protobuf'), contentType: 'application/x-protobuf', body: '' };
    }
    if (ct.startsWith('application/json')) {
      const parsed = JSON.parse(body.toString('utf8')) as OtlpRequest;
      return { spans: otlpRequestToSpans(parsed, 'otlp-json'), contentType: 'application/json', body: '{}' };
    }
    throw new Error(`otlp: unsupported Content-Type ${ct}`);
  });
}

/** Zipkin v2: POST /api/v2/spans with a JSON array. Give ZipkinExporter `{ url: receiver.url }`. */
export function startZipkinReceiver(): Promise<HttpSpanReceiver> {
  return startHttpReceiver('/api/v2/spans', 202, (body) => ({
    spans: zipkinToSpans(JSON.parse(body.toString('utf8'))),
    contentType: 'text/plain',
    body: '',
  }));
}

// ---------------------------------------------------------------------------------------------------------------
// Jaeger remote sampling
// ---------------------------------------------------------------------------------------------------------------

export interface SamplingStrategyResponse {
  strategyType: string;
  probabilisticSampling?: { samplingRate: number };
  [k: string]: unknown;
}

export interface SamplingServer {
  /** Base URL (no path), e.g. http://127.0.0.1:PORT, what JaegerRemoteSampler's `endpoint` expects (it appends /sampling). */
  readonly url: string;
  readonly port: number;
  /** Number of sampling requests answered (GET /sampling?service= or GET /?service=). */
  readonly requestCount: number;
  /** Service names asked for, in order. */
  readonly requestedServices: string[];
  /** The strategy answered now. */
  strategy: SamplingStrategyResponse;
  /** Status to answer with (default 200); set >= 400 to simulate an unavailable sampling endpoint. */
  status: number;
  setSamplingRate(rate: number): void;
  close(): Promise<void>;
}

const probabilistic = (samplingRate: number): SamplingStrategyResponse => ({
  strategyType: 'PROBABILISTIC',
  probabilisticSampling: { samplingRate },
});

/** `strategy` is a probabilistic sampling rate (0..1) or a full strategy response object. */
export async function startSamplingServer(strategy: number | SamplingStrategyResponse): Promise<SamplingServer> {
  const server = http.createServer();
  const state = {
    url: '',
    port: 0,
    requestCount: 0,
    requestedServices: [] as string[],
    strategy: typeof strategy === 'number' ? probabilistic(strategy) : strategy,
    status: 200,
    setSamplingRate(rate: number): void {
      state.strategy = probabilistic(rate);
    },
    close: (): Promise<void> => closeServer(server),
  };
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    req.resume();
    const u = new URL(req.url ?? '/', 'http://x');
    if (req.method !== 'GET' || (u.pathname !== '/sampling' && u.pathname !== '/')) {
      res.writeHead(404).end();
      return;
    }
    state.requestCount++;
    state.requestedServices.push(u.searchParams.get('service') ?? '');
    if (state.status >= 400) {
      res.writeHead(state.status).end();
      return;
    }
    res.writeHead(state.status, { 'Content-Type': 'application/json' }).end(JSON.stringify(state.strategy));
  });
  state.port = await listen(server);
  state.url = `http://127.0.0.1:${state.port}`;
  return state;
}
