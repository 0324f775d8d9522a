/**
 * The project's Jaeger exporter, driven through a real 2.x TracerProvider, checked on the bytes it puts on the wire
 * as decoders independent of it read them: Apache Thrift's TCompactProtocol and TBinaryProtocol, and thriftrw, all
 * with Jaeger's IDL.
 */
import { context, SpanKind, SpanStatusCode, trace, type Link } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SimpleSpanProcessor, TracerProvider, type IdGenerator, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace';
import { JaegerExporter, MAX_DATAGRAM_BYTES } from '../../lib/tracing/jaeger/exporter.js';
import {
  decodeBinaryWithThriftrw,
  decodeJaegerAgentDatagram,
  decodeWithApacheThrift,
  startJaegerHttpReceiver,
  startJaegerUdpReceiver,
  type ReceivedSpan,
  type UdpSpanReceiver,
} from '../support/trace-receivers.js';

const SERVICE = 'jaeger-exporter-test';

/** Ids with the high bit set: negative as Thrift's signed i64, where zigzag and two's complement bite. */
class FixedIds implements IdGenerator {
  private n = 0;
  generateTraceId = () => 'f0e1d2c3b4a5968778695a4b3c2d1e0f';
  generateSpanId = () => ['fffffffffffffffe', '8000000000000001', '00000000000000ff'][this.n++ % 3];
}

interface Emitted {
  traceId: string;
  parentId: string;
  childId: string;
}

async function emit(exporter: SpanExporter): Promise<Emitted> {
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': SERVICE, 'deployment.environment.name': 'test', 'process.pid': 42 }),
    idGenerator: new FixedIds(),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  const tracer = provider.getTracer('kratos-lambda', '0.1.0');
  const parent = tracer.startSpan('/self-service/login', { kind: SpanKind.SERVER, attributes: { 'http.route': '/self-service/login' } });
  const link: Link = { context: { traceId: '0123456789abcdef0123456789abcdef', spanId: '1111111111111111', traceFlags: 1 } };
  const child = tracer.startSpan(
    'DynamoDB.GetItem',
    {
      kind: SpanKind.CLIENT,
      links: [link],
      attributes: { 'str.attr': 'hello', 'int.attr': 42, 'neg.attr': -7, 'bool.attr': true, 'dbl.attr': 1.5, 'arr.attr': ['a', 'b'], 'big.attr': 2 ** 60 },
    },
    trace.setSpan(context.active(), parent),
  );
  child.addEvent('SessionIssued', { IdentityID: 'id-1', FlowRefresh: false });
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
  child.end();
  parent.end();
  await provider.forceFlush();
  await provider.shutdown();
  return { traceId: parent.spanContext().traceId, parentId: parent.spanContext().spanId, childId: child.spanContext().spanId };
}

/** Spans as a provider hands them to an exporter, without exporting them. */
async function collect(build: (tracer: ReturnType<TracerProvider['getTracer']>) => void): Promise<ReadableSpan[]> {
  const finished: ReadableSpan[] = [];
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': SERVICE }),
    spanProcessors: [new SimpleSpanProcessor({ exporter: { export: (spans, done) => (finished.push(...spans), done({ code: 0 })), shutdown: async () => {} } })],
  });
  build(provider.getTracer('t'));
  await provider.forceFlush();
  await provider.shutdown();
  return finished;
}

/** The two-span tree of `emit`, as collected spans. */
async function collectTree(): Promise<ReadableSpan[]> {
  const finished: ReadableSpan[] = [];
  await emit({ export: (spans, done) => (finished.push(...spans), done({ code: 0 })), shutdown: async () => {} });
  return finished;
}

function expectTheTree(spans: readonly ReceivedSpan[], ids: Emitted) {
  const parent = spans.find((s) => s.name === '/self-service/login')!;
  const child = spans.find((s) => s.name === 'DynamoDB.GetItem')!;
  expect(parent.traceId).toBe('f0e1d2c3b4a5968778695a4b3c2d1e0f');
  expect([parent.spanId, child.spanId]).toEqual([ids.parentId, ids.childId]);
  expect(parent.parentSpanId).toBeUndefined();
  expect(child.parentSpanId).toBe(ids.parentId);
  expect(parent.serviceName).toBe(SERVICE);
  // Resource attributes are the process's tags, once per batch.
  expect(child.processTags).toEqual({ 'deployment.environment.name': 'test', 'process.pid': 42 });
  expect(child.tags).toMatchObject({
    'str.attr': 'hello',
    'int.attr': 42,
    'neg.attr': -7,
    'bool.attr': true,
    'dbl.attr': 1.5,
    'arr.attr': '["a","b"]',
    'big.attr': 2 ** 60,
    'span.kind': 'client',
    'otel.status_code': 'ERROR',
    'otel.status_description': 'boom',
    error: true,
    'otel.scope.name': 'kratos-lambda',
    'otel.scope.version': '0.1.0',
  });
  expect(parent.tags['span.kind']).toBe('server');
  expect(Object.values(child.tags)).not.toContain('undefined');
  expect(child.events).toEqual([{ name: 'SessionIssued', attributes: { IdentityID: 'id-1', FlowRefresh: false } }]);
  // Microseconds since the epoch, for spans and for logs alike.
  expect(Math.abs(child.startTimeUs / 1000 - Date.now())).toBeLessThan(60_000);
  expect(child.flags).toBe(1);
  return { parent, child };
}

describe('the Jaeger exporter, agent over UDP', () => {
  let agent: UdpSpanReceiver;
  beforeEach(async () => {
    agent = await startJaegerUdpReceiver();
  });
  afterEach(async () => {
    await agent.close();
  });

  it('sends Thrift compact emitBatch datagrams, as Jaeger takes on 6831 and Kratos sends', async () => {
    const exporter = new JaegerExporter({ agent: { host: '127.0.0.1', port: agent.port } });
    expect(exporter.protocol).toBe('compact');
    const ids = await emit(exporter);
    const spans = await agent.waitForSpans(2);
    expect(agent.errors).toEqual([]);
    expect(agent.datagrams[0]!.subarray(0, 2)).toEqual(Buffer.from([0x82, 0x81])); // compact, version 1, ONEWAY
    expect(spans.every((s) => s.format === 'jaeger-thrift-compact')).toBe(true);
    const { child } = expectTheTree(spans, ids);
    // Apache Thrift's reader sees the whole model, the link as a FOLLOWS_FROM reference included.
    const decoded = decodeWithApacheThrift(agent.datagrams[0]!, 'compact');
    expect(decoded.method).toBe('emitBatch');
    const wire = decoded.batch.spans.find((s) => s.operationName === 'DynamoDB.GetItem')!;
    expect(wire.references).toEqual([{ refType: 1, traceIdLow: 0x0123456789abcdefn, traceIdHigh: 0x0123456789abcdefn, spanId: 0x1111111111111111n }]);
    expect(BigInt.asUintN(64, wire.spanId).toString(16)).toBe(child.spanId);
    expect(wire.logs?.[0]?.timestamp).toBeGreaterThanOrEqual(BigInt(child.startTimeUs));
  });

  it('a warm-up encodes spans and sends nothing; the export after it is whole', async () => {
    const exporter = new JaegerExporter({ agent: { host: '127.0.0.1', port: agent.port } });
    exporter.connect();
    exporter.warmUp(await collectTree());
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(agent.datagrams).toHaveLength(0);
    const ids = await emit(exporter);
    expectTheTree(await agent.waitForSpans(2), ids);
    // One datagram per span (the simple processor exports each alone), numbered from 0: the warm-up took no number.
    expect(agent.datagrams.map((datagram) => datagram[2])).toEqual([0, 1]);
    expect(agent.errors).toEqual([]);
  });

  it('sends Thrift binary on port 6832, read alike by thriftrw and by Apache Thrift', async () => {
    const sent: Buffer[] = [];
    // The binary port is chosen by number: capture what would go to 6832 instead of needing that port free.
    const exporter = new JaegerExporter({ agent: { host: '127.0.0.1', port: 6832 } });
    expect(exporter.protocol).toBe('binary');
    const [group] = exporter.encode(await collectTree());
    for (const { bytes } of exporter.datagrams(group!).datagrams) sent.push(bytes);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.subarray(0, 4)).toEqual(Buffer.from([0x80, 0x01, 0x00, 0x04])); // strict binary, ONEWAY
    const byThriftrw = decodeBinaryWithThriftrw(sent[0]!);
    const byApache = decodeWithApacheThrift(sent[0]!, 'binary');
    expect(byApache.batch).toEqual(byThriftrw.batch);
    const spans = decodeJaegerAgentDatagram(sent[0]!);
    expect(spans.every((s) => s.format === 'jaeger-thrift-binary')).toBe(true);
    expect(spans.map((s) => s.name).sort()).toEqual(['/self-service/login', 'DynamoDB.GetItem']);
  });

  it('splits a batch across datagrams of at most 65,000 bytes, and counts a span too large for any', async () => {
    const dropped: number[] = [];
    const exporter = new JaegerExporter({ agent: { host: '127.0.0.1', port: agent.port } }, (count) => dropped.push(count));
    const many = await collect((tracer) => {
      for (let i = 0; i < 300; i++) tracer.startSpan(`many-${i}`, { attributes: { filler: 'z'.repeat(500) } }).end();
      tracer.startSpan('huge', { attributes: { filler: 'y'.repeat(70_000) } }).end();
    });
    const result = await new Promise<{ code: number }>((resolve) => exporter.export(many, resolve));
    expect(result.code).toBe(0);
    await agent.waitForSpans(300);
    expect(agent.errors).toEqual([]);
    expect(agent.datagrams.length).toBeGreaterThan(2);
    for (const datagram of agent.datagrams) expect(datagram.length).toBeLessThanOrEqual(MAX_DATAGRAM_BYTES);
    expect(new Set(agent.spans.map((s) => s.name)).size).toBe(300);
    expect(agent.spans.some((s) => s.name === 'huge')).toBe(false);
    expect(dropped).toEqual([1]);
    expect(exporter.droppedSpans).toBe(1);
    await exporter.shutdown();
  });

  it('reports spans it could not send to an agent whose name does not resolve, and fails the export', async () => {
    const dropped: Array<[number, string]> = [];
    const exporter = new JaegerExporter({ agent: { host: 'no-such-agent.invalid', port: 6831 } }, (count, why) => dropped.push([count, why]));
    const spans = await collectTree();
    const result = await new Promise<{ code: number }>((resolve) => exporter.export(spans, resolve));
    expect(result.code).toBe(1);
    expect(dropped).toEqual([[2, expect.stringContaining('no-such-agent.invalid')]]);
    expect(exporter.droppedSpans).toBe(2);
  });
});

describe('the Jaeger exporter, collector over HTTP', () => {
  it('POSTs a Thrift binary Batch that thriftrw decodes', async () => {
    const collector = await startJaegerHttpReceiver();
    try {
      const ids = await emit(new JaegerExporter({ collector: { endpoint: collector.url, timeoutMs: 2000 } }));
      const spans = await collector.waitForSpans(2);
      expect(collector.errors).toEqual([]);
      expect(collector.requests[0]!.headers['content-type']).toBe('application/vnd.apache.thrift.binary');
      expect(spans.every((s) => s.format === 'jaeger-http')).toBe(true);
      expectTheTree(spans, ids);
    } finally {
      await collector.close();
    }
  });

  it('fails the export and counts the spans when the collector refuses them', async () => {
    const collector = await startJaegerHttpReceiver();
    collector.status = 503;
    try {
      const exporter = new JaegerExporter({ collector: { endpoint: collector.url, timeoutMs: 2000 } });
      const spans = await collectTree();
      const result = await new Promise<{ code: number; error?: Error }>((resolve) => exporter.export(spans, resolve));
      expect(result.code).toBe(1);
      expect(result.error?.message).toContain('HTTP 503');
      expect(exporter.droppedSpans).toBe(2);
    } finally {
      await collector.close();
    }
  });
});
