// Drives the REAL exporters (Jaeger UDP + HTTP, OTLP/HTTP, Zipkin) through a 2.x TracerProvider into the
// receivers of test/support/trace-receivers.ts and checks they decode ids, parentage, names, kinds and tags.
import { context, SpanKind, trace } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { JaegerExporter } from '@opentelemetry/exporter-jaeger';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { ZipkinExporter } from '@opentelemetry/exporter-zipkin';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { JaegerRemoteSampler } from '@opentelemetry/sampler-jaeger-remote';
import {
  AlwaysOffSampler,
  TracerProvider,
  SamplingDecision,
  SimpleSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace';
import dgram from 'node:dgram';

import {
  decodeJaegerAgentDatagram,
  type HttpSpanReceiver,
  type ReceivedSpan,
  startJaegerHttpReceiver,
  startJaegerUdpReceiver,
  startOtlpHttpReceiver,
  startSamplingServer,
  startZipkinReceiver,
  type UdpSpanReceiver,
} from '../support/trace-receivers.js';

const SERVICE = 'trace-receivers-test';
// JaegerExporter.shutdown() races the final flush against a setTimeout(flushTimeout, default 2000 ms) that it never
// clears, so every shut-down Jaeger exporter holds the process open that long ("Jest did not exit one second after
// the test run"). The flush is already done by then (forceFlush ran first), so a short timeout loses nothing.
const JAEGER_FLUSH_TIMEOUT_MS = 100;

interface Emitted {
  traceId: string;
  parentId: string;
  childId: string;
}

/** parent (SERVER) -> child (CLIENT, string/int/bool/double attributes, one event), exported via SimpleSpanProcessor. */
async function emitParentAndChild(exporter: SpanExporter): Promise<Emitted> {
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': SERVICE }),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const tracer = provider.getTracer('trace-receivers-scope', '1.2.3');
  const parent = tracer.startSpan('parent-op', { kind: SpanKind.SERVER, attributes: { 'http.route': '/self-service/login' } });
  // No context manager is registered here, so the parent is passed explicitly.
  const child = tracer.startSpan(
    'child-op',
    { kind: SpanKind.CLIENT, attributes: { 'str.attr': 'hello', 'int.attr': 42, 'bool.attr': true, 'dbl.attr': 1.5 } },
    trace.setSpan(context.active(), parent),
  );
  child.addEvent('child-event', { 'event.attr': 'x' });
  child.end();
  parent.end();
  await provider.forceFlush();
  await provider.shutdown(); // also shuts the exporter down (closes the Jaeger UDP socket / HTTP agent)
  return { traceId: parent.spanContext().traceId, parentId: parent.spanContext().spanId, childId: child.spanContext().spanId };
}

function byName(spans: readonly ReceivedSpan[], name: string): ReceivedSpan {
  const span = spans.find((s) => s.name === name);
  if (!span) throw new Error(`no span named ${name}; got ${spans.map((s) => s.name).join(', ')}`);
  return span;
}

/** Checks shared by every receiver; `typedTags` is false for Zipkin, whose v2 tags are strings on the wire. */
function expectParentAndChild(spans: readonly ReceivedSpan[], ids: Emitted, typedTags: boolean): { parent: ReceivedSpan; child: ReceivedSpan } {
  expect(spans).toHaveLength(2);
  const parent = byName(spans, 'parent-op');
  const child = byName(spans, 'child-op');
  expect(parent.traceId).toMatch(/^[0-9a-f]{32}$/);
  expect(parent.traceId).toBe(ids.traceId);
  expect(child.traceId).toBe(ids.traceId);
  expect(parent.spanId).toBe(ids.parentId);
  expect(child.spanId).toBe(ids.childId);
  expect(parent.parentSpanId).toBeUndefined();
  expect(child.parentSpanId).toBe(ids.parentId);
  expect(parent.kind).toBe('server');
  expect(child.kind).toBe('client');
  expect(parent.serviceName).toBe(SERVICE);
  expect(child.serviceName).toBe(SERVICE);
  expect(parent.tags['http.route']).toBe('/self-service/login');
  expect(child.tags['str.attr']).toBe('hello');
  expect(child.tags['int.attr']).toBe(typedTags ? 42 : '42');
  expect(child.tags['bool.attr']).toBe(typedTags ? true : 'true');
  expect(child.tags['dbl.attr']).toBe(typedTags ? 1.5 : '1.5');
  expect(child.tags['service.name']).toBe(SERVICE);
  expect(Math.abs(child.startTimeUs / 1000 - Date.now())).toBeLessThan(60_000);
  expect(child.durationUs).toBeGreaterThanOrEqual(0);
  expect(child.startTimeUs).toBeGreaterThanOrEqual(parent.startTimeUs);
  expect(child.events?.map((e) => e.name)).toEqual(['child-event']);
  expect(child.raw).toContain('hello');
  return { parent, child };
}

describe('trace receivers fed by the real exporters', () => {
  describe('Jaeger agent UDP (Thrift binary)', () => {
    let rcv: UdpSpanReceiver;
    beforeEach(async () => {
      rcv = await startJaegerUdpReceiver();
    });
    afterEach(async () => {
      await rcv.close();
    });

    it('decodes emitBatch datagrams from JaegerExporter {host, port}', async () => {
      const ids = await emitParentAndChild(new JaegerExporter({ host: '127.0.0.1', port: rcv.port, flushTimeout: JAEGER_FLUSH_TIMEOUT_MS }));
      const spans = await rcv.waitForSpans(2, 5000);
      expect(rcv.errors).toEqual([]);
      // A strict binary-protocol envelope: 0x80 0x01 (version 1), then ONEWAY, then the "emitBatch" method name.
      expect(rcv.datagrams[0]!.subarray(0, 4)).toEqual(Buffer.from([0x80, 0x01, 0x00, 0x04]));
      expect(rcv.datagrams[0]!.subarray(8, 17).toString('ascii')).toBe('emitBatch');
      const { child } = expectParentAndChild(spans, ids, true);
      expect(child.format).toBe('jaeger-thrift-binary');
      // The OTel Jaeger exporter adds the instrumentation scope as tags and events as logs with an "event" field.
      expect(child.tags['otel.library.name']).toBe('trace-receivers-scope');
      expect(child.events?.[0]?.attributes).toEqual({ 'event.attr': 'x' });
    });

    it('decodes a Thrift compact emitBatch (64-bit trace id, negative i64 span id, CHILD_OF reference)', async () => {
      const datagram = compactEmitBatch();
      const direct = decodeJaegerAgentDatagram(datagram);
      expect(direct).toHaveLength(1);

      const sender = dgram.createSocket('udp4');
      await new Promise<void>((resolve, reject) => sender.send(datagram, rcv.port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
      sender.close();
      const [span] = await rcv.waitForSpans(1, 5000);
      expect(rcv.errors).toEqual([]);
      expect(span).toMatchObject({
        format: 'jaeger-thrift-compact',
        traceId: '00000000000000000123456789abcdef',
        spanId: 'fffffffffffffffe',
        parentSpanId: '0000000000001111',
        name: 'compact-op',
        kind: 'server',
        serviceName: 'compact-svc',
        startTimeUs: 1_700_000_000_000_000,
        durationUs: 1234,
        tags: { 's.tag': 'str', 'd.tag': 2.5, 'b.tag': true, 'l.tag': 1234567890123, 'span.kind': 'server', 'proc.tag': 'p' },
        events: [{ name: 'compact-event', attributes: { level: 'info' } }],
      });
      expect(direct[0]).toEqual(span);
    });

    it('records undecodable datagrams as errors instead of throwing', async () => {
      const sender = dgram.createSocket('udp4');
      await new Promise<void>((resolve, reject) =>
        sender.send(Buffer.from('not thrift'), rcv.port, '127.0.0.1', (err) => (err ? reject(err) : resolve())),
      );
      sender.close();
      const deadline = Date.now() + 5000;
      while (rcv.errors.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(rcv.errors).toHaveLength(1);
      expect(rcv.spans).toEqual([]);
    });
  });

  describe('Jaeger collector HTTP (application/x-thrift)', () => {
    let rcv: HttpSpanReceiver;
    beforeEach(async () => {
      rcv = await startJaegerHttpReceiver();
    });
    afterEach(async () => {
      await rcv.close();
    });

    it('decodes the jaeger.Batch POSTed by JaegerExporter {endpoint}, with basic auth', async () => {
      expect(rcv.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/traces$/);
      const ids = await emitParentAndChild(new JaegerExporter({
          endpoint: rcv.url,
          username: 'jaeger-user',
          password: 's3cret',
          flushTimeout: JAEGER_FLUSH_TIMEOUT_MS,
        }));
      const spans = await rcv.waitForSpans(2, 5000);
      expect(rcv.errors).toEqual([]);
      const { child } = expectParentAndChild(spans, ids, true);
      expect(child.format).toBe('jaeger-http');
      expect(rcv.requests.length).toBeGreaterThanOrEqual(1);
      expect(rcv.requests[0]!.method).toBe('POST');
      expect(rcv.requests[0]!.headers['content-type']).toBe('application/x-thrift');
      expect(rcv.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from('jaeger-user:s3cret').toString('base64')}`);
    });
  });

  describe('OTLP/HTTP', () => {
    let rcv: HttpSpanReceiver;
    beforeEach(async () => {
      rcv = await startOtlpHttpReceiver();
    });
    afterEach(async () => {
      await rcv.close();
    });

    it('decodes the JSON OTLPTraceExporter sends and records its headers', async () => {
      expect(rcv.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1\/traces$/);
      const exporter = new OTLPTraceExporter({ url: rcv.url, headers: { Authorization: 'Bearer otlp-token-123' } });
      const ids = await emitParentAndChild(exporter);
      const spans = await rcv.waitForSpans(2, 5000);
      expect(rcv.errors).toEqual([]);
      const { child } = expectParentAndChild(spans, ids, true);
      expect(child.format).toBe('otlp-json');
      expect(child.events?.[0]?.attributes).toEqual({ 'event.attr': 'x' });
      expect(rcv.requests[0]!.headers['content-type']).toBe('application/json');
      expect(rcv.requests[0]!.headers.authorization).toBe('Bearer otlp-token-123');
    });

    it('decodes binary protobuf (ExportTraceServiceRequest from the real ProtobufTraceSerializer)', async () => {
      // Not InMemorySpanExporter: its shutdown() (run by provider.shutdown()) empties it.
      const finished: ReadableSpan[] = [];
      const collector: SpanExporter = {
        export: (spans, done) => {
          finished.push(...spans);
          done({ code: ExportResultCode.SUCCESS });
        },
        shutdown: async () => {},
      };
      const ids = await emitParentAndChild(collector);
      const body = ProtobufTraceSerializer.serializeRequest(finished);
      expect(body).toBeDefined();
      const res = await fetch(rcv.url, { method: 'POST', headers: { 'Content-Type': 'application/x-protobuf' }, body: body! });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
      expect(rcv.errors).toEqual([]);
      const { child } = expectParentAndChild(rcv.spans, ids, true);
      expect(child.format).toBe('otlp-protobuf');
      expect(child.events?.[0]?.attributes).toEqual({ 'event.attr': 'x' });
    });
  });

  describe('Zipkin v2 JSON', () => {
    let rcv: HttpSpanReceiver;
    beforeEach(async () => {
      rcv = await startZipkinReceiver();
    });
    afterEach(async () => {
      await rcv.close();
    });

    it('decodes the JSON array ZipkinExporter POSTs (tags arrive as strings)', async () => {
      expect(rcv.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v2\/spans$/);
      const ids = await emitParentAndChild(new ZipkinExporter({ url: rcv.url, headers: { 'X-Test': 'zipkin' } }));
      const spans = await rcv.waitForSpans(2, 5000);
      expect(rcv.errors).toEqual([]);
      const { child } = expectParentAndChild(spans, ids, false);
      expect(child.format).toBe('zipkin-json');
      expect(rcv.requests[0]!.headers['content-type']).toBe('application/json');
      expect(rcv.requests[0]!.headers['x-test']).toBe('zipkin');
    });

    it('waitForSpans rejects with what it got after the timeout', async () => {
      await expect(rcv.waitForSpans(1, 50)).rejects.toThrow(/timed out after 50 ms; spans received: none/);
    });
  });

  describe('Jaeger remote sampling server', () => {
    it('answers /sampling?service= and /?service= with a changeable probabilistic strategy', async () => {
      const srv = await startSamplingServer(0.25);
      try {
        const get = async (p: string): Promise<unknown> => (await fetch(`${srv.url}${p}`)).json();
        expect(await get('/sampling?service=kratos')).toEqual({ strategyType: 'PROBABILISTIC', probabilisticSampling: { samplingRate: 0.25 } });
        srv.setSamplingRate(0.5);
        expect(await get('/?service=other')).toEqual({ strategyType: 'PROBABILISTIC', probabilisticSampling: { samplingRate: 0.5 } });
        expect((await fetch(`${srv.url}/nope`)).status).toBe(404);
        expect(srv.requestCount).toBe(2);
        expect(srv.requestedServices).toEqual(['kratos', 'other']);
      } finally {
        await srv.close();
      }
    });

    it('drives the real JaegerRemoteSampler, including a rate change', async () => {
      const srv = await startSamplingServer(1);
      // JaegerRemoteSampler starts a setInterval it never clears and has no shutdown(): capture it so it can be
      // cleared, or it keeps the Jest worker alive.
      const intervals: NodeJS.Timeout[] = [];
      const realSetInterval = globalThis.setInterval;
      globalThis.setInterval = ((...args: Parameters<typeof setInterval>) => {
        const handle = realSetInterval(...args);
        intervals.push(handle);
        return handle;
      }) as typeof setInterval;
      let sampler: JaegerRemoteSampler;
      try {
        sampler = new JaegerRemoteSampler({ endpoint: srv.url, serviceName: SERVICE, poolingInterval: 20, initialSampler: new AlwaysOffSampler() });
      } finally {
        globalThis.setInterval = realSetInterval;
      }
      const decide = (): SamplingDecision =>
        sampler.shouldSample(context.active(), 'f'.repeat(32), 'op', SpanKind.SERVER, {}, []).decision;
      const waitForRequests = async (n: number): Promise<void> => {
        const deadline = Date.now() + 5000;
        while (srv.requestCount < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        expect(srv.requestCount).toBeGreaterThanOrEqual(n);
      };
      try {
        expect(decide()).toBe(SamplingDecision.NOT_RECORD);
        await waitForRequests(2); // the second poll starts only after the first update finished
        expect(decide()).toBe(SamplingDecision.RECORD_AND_SAMPLED);
        srv.setSamplingRate(0);
        const seen = srv.requestCount;
        await waitForRequests(seen + 2);
        expect(decide()).toBe(SamplingDecision.NOT_RECORD);
        expect(srv.requestedServices[0]).toBe(SERVICE);
      } finally {
        intervals.forEach((h) => clearInterval(h));
        await srv.close();
      }
    });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// A tiny Thrift compact-protocol writer, only to build a test datagram (jaeger-client writes binary only).
// ---------------------------------------------------------------------------------------------------------------

const T = { BOOL: 1, I32: 5, I64: 6, DOUBLE: 7, STRING: 8, LIST: 9, STRUCT: 12 } as const;
interface CField {
  id: number;
  t: number;
  v: unknown;
  elem?: number;
}

function varint(out: number[], n: bigint): void {
  let v = BigInt.asUintN(64, n);
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
}
const zigzag = (out: number[], n: bigint): void => varint(out, BigInt.asUintN(64, (n << 1n) ^ (n >> 63n)));

function writeValue(out: number[], t: number, v: unknown, elem?: number): void {
  switch (t) {
    case T.I32:
      zigzag(out, BigInt(v as number));
      return;
    case T.I64:
      zigzag(out, v as bigint);
      return;
    case T.DOUBLE: {
      const b = Buffer.alloc(8);
      b.writeDoubleLE(v as number);
      out.push(...b);
      return;
    }
    case T.STRING: {
      const b = Buffer.from(v as string, 'utf8');
      varint(out, BigInt(b.length));
      out.push(...b);
      return;
    }
    case T.LIST: {
      const items = v as unknown[];
      if (items.length < 15) out.push((items.length << 4) | elem!);
      else {
        out.push(0xf0 | elem!);
        varint(out, BigInt(items.length));
      }
      for (const item of items) writeValue(out, elem!, item);
      return;
    }
    case T.STRUCT:
      writeStruct(out, v as CField[]);
      return;
    default:
      throw new Error(`type ${t}`);
  }
}

function writeStruct(out: number[], fields: CField[]): void {
  let last = 0;
  for (const f of fields) {
    const type = f.t === T.BOOL ? (f.v ? 1 : 2) : f.t; // field bools live in the header's type nibble
    const delta = f.id - last;
    if (delta > 0 && delta <= 15) out.push((delta << 4) | type);
    else {
      out.push(type);
      zigzag(out, BigInt(f.id));
    }
    last = f.id;
    if (f.t !== T.BOOL) writeValue(out, f.t, f.v, f.elem);
  }
  out.push(0);
}

const tag = (key: string, vType: number, valueField: CField): CField[] => [
  { id: 1, t: T.STRING, v: key },
  { id: 2, t: T.I32, v: vType },
  valueField,
];

function compactEmitBatch(): Buffer {
  const spanTags = [
    tag('s.tag', 0, { id: 3, t: T.STRING, v: 'str' }),
    tag('d.tag', 1, { id: 4, t: T.DOUBLE, v: 2.5 }),
    tag('b.tag', 2, { id: 5, t: T.BOOL, v: true }),
    tag('l.tag', 3, { id: 6, t: T.I64, v: 1234567890123n }),
    tag('span.kind', 0, { id: 3, t: T.STRING, v: 'server' }),
  ];
  const span: CField[] = [
    { id: 1, t: T.I64, v: 0x0123456789abcdefn }, // traceIdLow
    { id: 2, t: T.I64, v: 0n }, // traceIdHigh: a 64-bit trace id
    { id: 3, t: T.I64, v: -2n }, // spanId 0xfffffffffffffffe as a signed i64
    { id: 4, t: T.I64, v: 0n }, // parentSpanId 0: parent given as a CHILD_OF reference instead
    { id: 5, t: T.STRING, v: 'compact-op' },
    {
      id: 6,
      t: T.LIST,
      elem: T.STRUCT,
      v: [
        [
          { id: 1, t: T.I32, v: 0 },
          { id: 2, t: T.I64, v: 0x0123456789abcdefn },
          { id: 3, t: T.I64, v: 0n },
          { id: 4, t: T.I64, v: 0x1111n },
        ],
      ],
    },
    { id: 7, t: T.I32, v: 1 },
    { id: 8, t: T.I64, v: 1_700_000_000_000_000n },
    { id: 9, t: T.I64, v: 1234n },
    { id: 10, t: T.LIST, elem: T.STRUCT, v: spanTags },
    {
      id: 11,
      t: T.LIST,
      elem: T.STRUCT,
      v: [
        [
          { id: 1, t: T.I64, v: 1_700_000_000_000_500n },
          {
            id: 2,
            t: T.LIST,
            elem: T.STRUCT,
            v: [tag('event', 0, { id: 3, t: T.STRING, v: 'compact-event' }), tag('level', 0, { id: 3, t: T.STRING, v: 'info' })],
          },
        ],
      ],
    },
  ];
  const batch: CField[] = [
    {
      id: 1,
      t: T.STRUCT,
      v: [
        { id: 1, t: T.STRING, v: 'compact-svc' },
        { id: 2, t: T.LIST, elem: T.STRUCT, v: [tag('proc.tag', 0, { id: 3, t: T.STRING, v: 'p' })] },
      ],
    },
    { id: 2, t: T.LIST, elem: T.STRUCT, v: [span] },
  ];
  const out: number[] = [0x82, (4 << 5) | 1]; // protocol id, ONEWAY | version 1
  varint(out, 0n); // seq id
  writeValue(out, T.STRING, 'emitBatch');
  writeStruct(out, [{ id: 1, t: T.STRUCT, v: batch }]);
  return Buffer.from(out);
}
