/**
 * Our tracer (lib/tracing/invocation-tracer.ts, which stands in for the SDK's TracerProvider) keeps the API's contract
 * as the SDK does: parents and ids, sampling decisions, attributes and their limits, events, status, one end.
 */
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { suppressTracing, TraceState } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOffSampler, AlwaysOnSampler, ParentBasedSampler, type ReadableSpan, type Sampler } from '@opentelemetry/sdk-trace';
import { InvocationTracerProvider } from '../../lib/tracing/invocation-tracer.js';

const resource = resourceFromAttributes({ 'service.name': 'unit' });

function tracerWith(sampler: Sampler = new ParentBasedSampler({ root: new AlwaysOnSampler() })) {
  const ended: ReadableSpan[] = [];
  const provider = new InvocationTracerProvider({ resource, sampler, spans: { onEnd: (span) => ended.push(span) } });
  return { tracer: provider.getTracer('unit-scope', '1.2.3'), ended, provider };
}

const readable = (span: Span) => span as unknown as ReadableSpan;

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
});
afterAll(() => {
  context.disable();
});

describe('our tracer', () => {
  it('starts a new trace at the root and joins the parent for a child, with valid ids', () => {
    const { tracer, ended } = tracerWith();
    const root = tracer.startSpan('root', { kind: SpanKind.SERVER }, ROOT_CONTEXT);
    const child = tracer.startSpan('child', {}, trace.setSpan(ROOT_CONTEXT, root));
    expect(trace.isSpanContextValid(root.spanContext())).toBe(true);
    expect(child.spanContext().traceId).toBe(root.spanContext().traceId);
    expect(child.spanContext().spanId).not.toBe(root.spanContext().spanId);
    expect(readable(child).parentSpanContext).toBe(root.spanContext());
    expect(readable(root).parentSpanContext).toBeUndefined();
    expect(root.spanContext().traceFlags).toBe(TraceFlags.SAMPLED);
    expect([readable(root).kind, readable(child).kind]).toEqual([SpanKind.SERVER, SpanKind.INTERNAL]);
    expect(readable(root).resource).toBe(resource);
    expect(readable(root).instrumentationScope).toEqual({ name: 'unit-scope', version: '1.2.3', schemaUrl: undefined });
    child.end();
    root.end();
    expect(ended.map((s) => s.name)).toEqual(['child', 'root']);
  });

  it('joins a remote parent, its trace state kept, and starts a new trace under an invalid one', () => {
    const { tracer } = tracerWith();
    const traceState = new TraceState('vendor=value');
    const remote = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED, isRemote: true, traceState };
    const joined = tracer.startSpan('joined', {}, trace.setSpanContext(ROOT_CONTEXT, remote));
    expect(joined.spanContext()).toMatchObject({ traceId: remote.traceId, traceState });
    expect(readable(joined).parentSpanContext).toBe(remote);
    const invalid = { ...remote, traceId: '00000000000000000000000000000000' };
    const fresh = tracer.startSpan('fresh', {}, trace.setSpanContext(ROOT_CONTEXT, invalid));
    expect(fresh.spanContext().traceId).not.toBe(invalid.traceId);
    expect(readable(fresh).parentSpanContext).toBeUndefined();
    const root = tracer.startSpan('root', { root: true }, trace.setSpanContext(ROOT_CONTEXT, remote));
    expect(root.spanContext().traceId).not.toBe(remote.traceId);
  });

  it('follows the sampler: a NOT_RECORD decision is a non-recording span that still carries the ids', () => {
    const { tracer, ended } = tracerWith(new ParentBasedSampler({ root: new AlwaysOffSampler() }));
    const span = tracer.startSpan('dropped', {}, ROOT_CONTEXT);
    expect(span.isRecording()).toBe(false);
    expect(trace.isSpanContextValid(span.spanContext())).toBe(true);
    expect(span.spanContext().traceFlags).toBe(TraceFlags.NONE);
    const child = tracer.startSpan('child', {}, trace.setSpan(ROOT_CONTEXT, span));
    expect(child.isRecording()).toBe(false);
    expect(child.spanContext().traceId).toBe(span.spanContext().traceId);
    span.end();
    expect(ended).toEqual([]);
  });

  it('records nothing under suppressed tracing', () => {
    const { tracer } = tracerWith();
    const span = tracer.startSpan('suppressed', {}, suppressTracing(ROOT_CONTEXT));
    expect(span.isRecording()).toBe(false);
    expect(trace.isSpanContextValid(span.spanContext())).toBe(false);
  });

  it('keeps valid attributes only, as the SDK does, and counts those past the limit of 128', () => {
    const { tracer } = tracerWith();
    const span = tracer.startSpan('attrs', { attributes: { given: 'at start', bad: { nested: true } as never } }, ROOT_CONTEXT);
    span.setAttribute('s', 'x').setAttribute('n', 1).setAttribute('b', false).setAttribute('list', ['a', 'b']);
    span.setAttribute('', 'empty key').setAttribute('mixed', ['a', 1] as never).setAttribute('nothing', undefined as never);
    span.setAttributes({ many: 1, more: 2 });
    expect(readable(span).attributes).toEqual({ given: 'at start', s: 'x', n: 1, b: false, list: ['a', 'b'], many: 1, more: 2 });
    for (let i = 0; i < 130; i++) span.setAttribute(`k${i}`, i);
    expect(Object.keys(readable(span).attributes)).toHaveLength(128);
    expect(readable(span).droppedAttributesCount).toBe(130 + 7 - 128);
    span.setAttribute('s', 'replaced');
    expect(readable(span).attributes.s).toBe('replaced');
  });

  it('records events with their time and a copy of their attributes, and exceptions as the SDK names them', () => {
    const { tracer } = tracerWith();
    const before = Date.now();
    const span = tracer.startSpan('events', {}, ROOT_CONTEXT);
    const attributes = { IdentityID: 'id-1' };
    span.addEvent('SessionChecked', attributes);
    attributes.IdentityID = 'changed';
    span.addEvent('at a time', new Date(1_700_000_000_123));
    span.recordException({ name: 'NotFoundError', message: 'no such flow' });
    span.recordException('a string');
    const events = readable(span).events;
    expect(events.map((e) => e.name)).toEqual(['SessionChecked', 'at a time', 'exception', 'exception']);
    expect(events[0].attributes).toEqual({ IdentityID: 'id-1' });
    const ms = (t: [number, number]) => t[0] * 1000 + t[1] / 1e6;
    expect(ms(events[0].time)).toBeGreaterThanOrEqual(before);
    expect(ms(events[0].time)).toBeLessThanOrEqual(Date.now() + 1);
    expect(events[1].time).toEqual([1_700_000_000, 123_000_000]);
    expect(events[2].attributes).toMatchObject({ 'exception.type': 'NotFoundError', 'exception.message': 'no such flow' });
    expect(events[3].attributes).toEqual({ 'exception.message': 'a string' });
  });

  it('keeps the status as the SDK does: ERROR with a string message, OK final', () => {
    const { tracer } = tracerWith();
    const failed = tracer.startSpan('failed', {}, ROOT_CONTEXT);
    failed.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
    expect(readable(failed).status).toEqual({ code: SpanStatusCode.ERROR, message: 'boom' });
    failed.setStatus({ code: SpanStatusCode.UNSET });
    expect(readable(failed).status.code).toBe(SpanStatusCode.ERROR);
    const ok = tracer.startSpan('ok', {}, ROOT_CONTEXT);
    ok.setStatus({ code: SpanStatusCode.OK, message: 'ignored' });
    ok.setStatus({ code: SpanStatusCode.ERROR, message: 'too late' });
    expect(readable(ok).status).toEqual({ code: SpanStatusCode.OK });
  });

  it('ends once, with a duration from the monotonic clock, and changes nothing after', () => {
    const { tracer, ended } = tracerWith();
    const span = tracer.startSpan('once', {}, ROOT_CONTEXT);
    const started = Date.now();
    while (Date.now() - started < 3);
    span.end();
    span.end();
    span.setAttribute('late', true).addEvent('late').updateName('renamed').setStatus({ code: SpanStatusCode.ERROR });
    expect(ended).toHaveLength(1);
    const done = readable(span);
    expect([done.ended, span.isRecording(), done.name, done.attributes, done.events, done.status.code]).toEqual([true, false, 'once', {}, [], SpanStatusCode.UNSET]);
    const ns = done.duration[0] * 1e9 + done.duration[1];
    expect(ns).toBeGreaterThanOrEqual(2e6);
    expect(done.endTime[0] * 1e9 + done.endTime[1] - (done.startTime[0] * 1e9 + done.startTime[1])).toBeCloseTo(ns, -3);
  });

  it('runs startActiveSpan’s function in the span’s context', () => {
    const { tracer } = tracerWith();
    const seen = tracer.startActiveSpan('active', (span) => {
      expect(trace.getActiveSpan()).toBe(span);
      span.end();
      return 'result';
    });
    expect(seen).toBe('result');
  });
});
