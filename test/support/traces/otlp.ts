/**
 * OTLP/HTTP receiver for tests: POST /v1/traces, application/json, which is what
 * @opentelemetry/exporter-trace-otlp-http sends (it has no protobuf option). The body is OTLP's JSON encoding
 * (ExportTraceServiceRequest), parsed as JSON.
 */
import { rawJson, startHttpReceiver, type HttpSpanReceiver, type ReceivedSpan, type TagValue } from './common.js';

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
          startTimeUs: Number(start / 1000n),
          durationUs: Number((end - start) / 1000n),
          tags,
          processTags: resourceTags,
          events: (span.events ?? []).map((e) => ({ name: e.name ?? '', attributes: otlpAttributes(e.attributes, otlpPlainValue) })),
          format,
          raw: rawJson({ resource: rs.resource, scope: ss.scope, span }),
        });
      }
    }
  }
  return out;
}

export function startOtlpHttpReceiver(): Promise<HttpSpanReceiver> {
  return startHttpReceiver('/v1/traces', 200, (body, req) => {
    const type = String(req.headers['content-type'] ?? '');
    if (!type.startsWith('application/json')) throw new Error(`otlp: unsupported Content-Type ${type}`);
    const parsed = JSON.parse(body.toString('utf8')) as OtlpRequest;
    return { spans: otlpRequestToSpans(parsed, 'otlp-json'), contentType: 'application/json', body: '{}' };
  });
}
