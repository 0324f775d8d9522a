/**
 * Jaeger receivers for tests, decoding what the exporter really sends with libraries independent of it:
 *   - Thrift compact (the agent's 6831): Apache Thrift's TCompactProtocol reads the bytes, walked field by field
 *     with Jaeger's IDL (jaeger.thrift and agent.thrift as jaeger-client ships them, parsed by thriftrw).
 *   - Thrift binary (the agent's 6832, and the collector's HTTP body): thriftrw's own codec with that IDL.
 *     Apache Thrift's TBinaryProtocol reads it too (`decodeWithApacheThrift`), for cross-checks.
 */
import dgram from 'node:dgram';
import { createRequire } from 'node:module';
import path from 'node:path';
import thrift from 'thrift';
import { rawJson, SpanCollector, startHttpReceiver, type HttpSpanReceiver, type ReceivedSpan, type SpanReceiver, type TagValue } from './common.js';

const require = createRequire(import.meta.url);

/** A decoded Thrift value: i64 as bigint, binary as Buffer, structs as objects keyed by field name. */
type Value = bigint | number | string | boolean | Buffer | Value[] | { [field: string]: Value };

export interface JaegerTag {
  key: string;
  vType: number;
  vStr?: string;
  vDouble?: number;
  vBool?: boolean;
  vLong?: bigint;
  vBinary?: Buffer;
}
export interface JaegerSpan {
  traceIdLow: bigint;
  traceIdHigh: bigint;
  spanId: bigint;
  parentSpanId: bigint;
  operationName: string;
  references?: Array<{ refType: number; traceIdLow: bigint; traceIdHigh: bigint; spanId: bigint }>;
  flags: number;
  startTime: bigint;
  duration: bigint;
  tags?: JaegerTag[];
  logs?: Array<{ timestamp: bigint; fields: JaegerTag[] }>;
}
export interface JaegerBatch {
  process: { serviceName: string; tags?: JaegerTag[] };
  spans: JaegerSpan[];
}

// ---- Jaeger's IDL, parsed by thriftrw ---------------------------------------------------------------------------

interface ThriftrwType {
  name: string;
  valueType?: ThriftrwType;
}
interface ThriftrwField {
  id: number;
  name: string;
  valueType: ThriftrwType;
}
interface ThriftrwModel {
  fields?: ThriftrwField[];
  fieldsById?: Record<number, ThriftrwField>;
}
interface ThriftrwResult<T> {
  err: Error | null;
  value: T;
}
interface JaegerIdl {
  modules: { jaeger: { models: Record<string, ThriftrwModel>; Batch: { rw: { readFrom(b: Buffer, o: number): ThriftrwResult<unknown> } } } };
  Agent: {
    emitBatch: {
      args: ThriftrwModel;
      argumentsMessageRW: { readFrom(b: Buffer, o: number): ThriftrwResult<{ name: string; type: string; body: { batch: unknown } }> };
    };
  };
}

let idl: JaegerIdl | undefined;

/** Jaeger's IDL as jaeger-client ships it (its thriftrw-idl/agent.thrift includes ../jaeger-idl/thrift/jaeger.thrift). */
export function jaegerIdl(): JaegerIdl {
  if (idl) return idl;
  const srcDir = path.dirname(require.resolve('jaeger-client/dist/src/thrift.js'));
  const { Thrift } = require('thriftrw') as { Thrift: new (options: Record<string, unknown>) => JaegerIdl };
  idl = new Thrift({ entryPoint: path.join(srcDir, 'thriftrw-idl', 'agent.thrift'), allowFilesystemAccess: true, allowOptionalArguments: true });
  return idl;
}

// ---- Apache Thrift's protocols, walked with the IDL -------------------------------------------------------------

type ApacheProtocol = InstanceType<typeof thrift.TCompactProtocol>;
const STOP = thrift.Thrift.Type.STOP;
/** Apache Thrift's own conversion of its Int64 to a bigint (newer than @types/thrift). */
const toBigInt = (thrift as unknown as { toBigInt(value: unknown): bigint }).toBigInt;

function readValue(protocol: ApacheProtocol, type: ThriftrwType): Value {
  switch (type.name) {
    case 'string':
      return protocol.readString();
    case 'binary':
      return protocol.readBinary();
    case 'i64':
      return toBigInt(protocol.readI64());
    case 'i32':
      return protocol.readI32();
    case 'double':
      return protocol.readDouble();
    case 'boolean':
      return protocol.readBool();
    case 'list': {
      const { size } = protocol.readListBegin();
      const out: Value[] = [];
      for (let i = 0; i < size; i++) out.push(readValue(protocol, type.valueType!));
      protocol.readListEnd();
      return out;
    }
    default: {
      const model = jaegerIdl().modules.jaeger.models[type.name];
      if (!model) throw new Error(`jaeger IDL has no type ${type.name}`);
      if (!model.fields) return protocol.readI32(); // an enum
      return readStruct(protocol, model);
    }
  }
}

function readStruct(protocol: ApacheProtocol, model: ThriftrwModel): { [field: string]: Value } {
  const out: { [field: string]: Value } = {};
  protocol.readStructBegin();
  for (;;) {
    const { ftype, fid } = protocol.readFieldBegin();
    if (ftype === STOP) break;
    const field = model.fields!.find((f) => f.id === fid);
    if (field) out[field.name] = readValue(protocol, field.valueType);
    else protocol.skip(ftype);
    protocol.readFieldEnd();
  }
  protocol.readStructEnd();
  return out;
}

/** Reads an `Agent.emitBatch` message with Apache Thrift's compact or binary protocol. */
export function decodeWithApacheThrift(message: Buffer, protocolName: 'compact' | 'binary'): { method: string; type: number; batch: JaegerBatch } {
  const transport = new thrift.TFramedTransport(message);
  const protocol = protocolName === 'compact' ? new thrift.TCompactProtocol(transport) : new thrift.TBinaryProtocol(transport);
  const begin = protocol.readMessageBegin();
  const args = readStruct(protocol, jaegerIdl().Agent.emitBatch.args);
  protocol.readMessageEnd();
  return { method: begin.fname, type: begin.mtype, batch: args.batch as unknown as JaegerBatch };
}

/**
 * thriftrw's values in the Apache walker's shape, led by the same IDL: i64 (8-byte buffers) as bigint, enums (names)
 * as their values, unset optional fields (null) left out.
 */
function fromThriftrw(value: unknown, type: ThriftrwType): Value | undefined {
  if (value === null || value === undefined) return undefined;
  switch (type.name) {
    case 'i64':
      return (value as Buffer).readBigInt64BE(0);
    case 'list':
      return (value as unknown[]).map((item) => fromThriftrw(item, type.valueType!)!);
    case 'string':
    case 'binary':
    case 'i32':
    case 'double':
    case 'boolean':
      return value as Value;
    default: {
      const model = jaegerIdl().modules.jaeger.models[type.name] as ThriftrwModel & { namesToValues?: Record<string, number> };
      if (!model.fields) return model.namesToValues![value as string];
      const out: { [field: string]: Value } = {};
      for (const field of model.fields) {
        const plain = fromThriftrw((value as Record<string, unknown>)[field.name], field.valueType);
        if (plain !== undefined) out[field.name] = plain;
      }
      return out;
    }
  }
}

const BATCH: ThriftrwType = { name: 'Batch' };

/** Reads an `Agent.emitBatch` message in Thrift binary with thriftrw. */
export function decodeBinaryWithThriftrw(message: Buffer): { method: string; batch: JaegerBatch } {
  const result = jaegerIdl().Agent.emitBatch.argumentsMessageRW.readFrom(message, 0);
  if (result.err) throw result.err;
  return { method: result.value.name, batch: fromThriftrw(result.value.body.batch, BATCH) as unknown as JaegerBatch };
}

// ---- Jaeger's model as the tests' span shape ---------------------------------------------------------------------

const REF_CHILD_OF = 0;

function tagValue(tag: JaegerTag): TagValue {
  switch (tag.vType) {
    case 0:
      return tag.vStr ?? '';
    case 1:
      return tag.vDouble ?? 0;
    case 2:
      return tag.vBool ?? false;
    case 3: {
      const n = tag.vLong ?? 0n;
      return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString();
    }
    default:
      return (tag.vBinary ?? Buffer.alloc(0)).toString('base64');
  }
}

function tagsOf(tags: JaegerTag[] | undefined): Record<string, TagValue> {
  const out: Record<string, TagValue> = {};
  for (const t of tags ?? []) out[t.key] = tagValue(t);
  return out;
}

const hex64 = (v: bigint) => BigInt.asUintN(64, v).toString(16).padStart(16, '0');

export function jaegerBatchToSpans(batch: JaegerBatch, format: ReceivedSpan['format']): ReceivedSpan[] {
  const processTags = tagsOf(batch.process.tags);
  return (batch.spans ?? []).map((span) => {
    const tags = { ...processTags, ...tagsOf(span.tags) };
    let parent: string | undefined = hex64(span.parentSpanId);
    if (/^0+$/.test(parent)) {
      // Jaeger allows the parent as an explicit CHILD_OF reference instead.
      const childOf = (span.references ?? []).find((r) => r.refType === REF_CHILD_OF);
      parent = childOf ? hex64(childOf.spanId) : undefined;
    }
    const kind = tags['span.kind'];
    return {
      traceId: hex64(span.traceIdHigh) + hex64(span.traceIdLow),
      spanId: hex64(span.spanId),
      parentSpanId: parent,
      name: span.operationName,
      kind: typeof kind === 'string' ? kind.toLowerCase() : undefined,
      serviceName: batch.process.serviceName,
      startTimeUs: Number(span.startTime),
      durationUs: Number(span.duration),
      tags,
      processTags,
      flags: span.flags,
      events: (span.logs ?? []).map((log) => {
        const { event, ...attributes } = tagsOf(log.fields);
        return { name: event === undefined ? '' : String(event), attributes };
      }),
      format,
      raw: rawJson({ process: batch.process, span }),
    };
  });
}

/** Decodes one Agent.emitBatch datagram: compact (first byte 0x82) with Apache Thrift, binary with thriftrw. */
export function decodeJaegerAgentDatagram(datagram: Buffer): ReceivedSpan[] {
  if (datagram[0] === 0x82) {
    const { method, batch } = decodeWithApacheThrift(datagram, 'compact');
    if (method !== 'emitBatch') throw new Error(`jaeger agent (compact): unexpected method ${method}`);
    return jaegerBatchToSpans(batch, 'jaeger-thrift-compact');
  }
  const { method, batch } = decodeBinaryWithThriftrw(datagram);
  if (method !== 'emitBatch') throw new Error(`jaeger agent (binary): unexpected method ${method}`);
  return jaegerBatchToSpans(batch, 'jaeger-thrift-binary');
}

/** Decodes a Thrift-binary jaeger.Batch (the Jaeger collector's HTTP body) with thriftrw. */
export function decodeJaegerBatch(body: Buffer): ReceivedSpan[] {
  const result = jaegerIdl().modules.jaeger.Batch.rw.readFrom(body, 0);
  if (result.err) throw result.err;
  return jaegerBatchToSpans(fromThriftrw(result.value, BATCH) as unknown as JaegerBatch, 'jaeger-http');
}

// ---- Receivers ---------------------------------------------------------------------------------------------------

export interface UdpSpanReceiver extends SpanReceiver {
  readonly host: string;
  readonly port: number;
  /** Raw datagrams received, in order. */
  readonly datagrams: Buffer[];
}

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

/** A Jaeger agent on UDP (127.0.0.1), taking compact or binary emitBatch datagrams. */
export function startJaegerUdpReceiver(port = 0): Promise<UdpSpanReceiver> {
  jaegerIdl(); // parse the IDL up front so a broken IDL fails here, not silently per datagram
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', reject);
    socket.bind(port, '127.0.0.1', () => {
      socket.off('error', reject);
      const address = socket.address();
      resolve(new UdpReceiver(socket, address.address, address.port));
    });
  });
}

/** A Jaeger collector: POST /api/traces with a Thrift-binary jaeger.Batch. */
export function startJaegerHttpReceiver(): Promise<HttpSpanReceiver> {
  jaegerIdl();
  return startHttpReceiver('/api/traces', 202, (body, req) => {
    const type = String(req.headers['content-type'] ?? '');
    if (!type.startsWith('application/x-thrift') && !type.startsWith('application/vnd.apache.thrift.binary')) {
      throw new Error(`jaeger http: unsupported Content-Type ${type}`);
    }
    return { spans: decodeJaegerBatch(body), contentType: 'text/plain', body: '' };
  });
}
