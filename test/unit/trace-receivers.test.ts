// Drives the real OTLP/HTTP and Zipkin exporters through a 2.x TracerProvider into the receivers of
// test/support/trace-receivers.ts and checks they decode ids, parentage, names, kinds and tags; the Jaeger
// receivers are driven by the project's own exporter in jaeger-exporter.test.ts.
import { context, SpanKind, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { ZipkinExporter } from '@opentelemetry/exporter-zipkin';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { JaegerRemoteSampler } from '@opentelemetry/sampler-jaeger-remote';
import { AlwaysOffSampler, TracerProvider, SamplingDecision, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace';

import { type HttpSpanReceiver, type ReceivedSpan, startOtlpHttpReceiver, startSamplingServer, startZipkinReceiver } from '../support/trace-receivers.js';

const SERVICE = 'trace-receivers-test';

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
