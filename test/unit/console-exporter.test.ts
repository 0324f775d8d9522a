/** `TRACING_PROVIDER=console`: the span tree printed for a request, with Kratos's events under their span. */
import { context, trace } from '@opentelemetry/api';
import { SimpleSpanProcessor, TracerProvider, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { renderTree } from '../../lib/tracing/console-exporter.js';

class Collect implements SpanExporter {
  spans: ReadableSpan[] = [];
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.spans.push(...spans);
    done({ code: ExportResultCode.SUCCESS });
  }
  shutdown = () => Promise.resolve();
}

it('prints the root, its events, and its children in start order', () => {
  const collect = new Collect();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: collect })] });
  const tracer = provider.getTracer('test');
  const root = tracer.startSpan('/self-service/login', { attributes: { 'http.method': 'POST', 'http.status_code': 400, error: true, 'url.path': '/hidden' } });
  root.addEvent('LoginFailed', { SelfServiceFlowType: 'api', SelfServiceMethodUsed: 'password' });
  const inRoot = trace.setSpan(context.active(), root);
  const read = tracer.startSpan('DynamoDB.BatchGetItem', { attributes: { 'aws.dynamodb.table_names': ['kratos'] } }, inRoot);
  read.end();
  const compare = tracer.startSpan('bcrypt.compare', { attributes: { 'bcrypt.workfactor': 4 } }, inRoot);
  compare.addEvent('checked');
  compare.end();
  root.end();

  const lines = renderTree(collect.spans).split('\n');
  expect(lines[0]).toBe(`trace ${root.spanContext().traceId}`);
  expect(lines[1]).toMatch(/^\/self-service\/login \d+\.\dms  http\.method=POST http\.status_code=400 error=true$/);
  expect(lines[2]).toBe('│  event LoginFailed  SelfServiceFlowType=api SelfServiceMethodUsed=password');
  expect(lines[3]).toMatch(/^├─ DynamoDB\.BatchGetItem \d+\.\dms  aws\.dynamodb\.table_names=kratos$/);
  expect(lines[4]).toMatch(/^└─ bcrypt\.compare \d+\.\dms  bcrypt\.workfactor=4$/);
  expect(lines[5]).toBe('      event checked');
  expect(lines).toHaveLength(6);
});
