/**
 * The Jaeger exporter's encoding cost per span: whoami's two spans and a login's three, as the functions record
 * them (a SERVER root with its HTTP and Lambda attributes and a Kratos span event; CLIENT DynamoDB spans; a bcrypt
 * span), encoded into emitBatch datagrams in Thrift compact (the agent's 6831) and binary (6832), in-process.
 * Repeated tag values are cached, as in a warm function; the invocation id differs every time, as in Lambda.
 */
import { context, SpanKind, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { randomUUID } from 'node:crypto';
import { JaegerExporter } from '../lib/tracing/jaeger/exporter.js';
import { median } from './lib/stats.js';

/** `invocations` whoami-shaped and login-shaped traces, as the provider hands them to an exporter. */
async function traces(invocations: number): Promise<ReadableSpan[][]> {
  const finished: ReadableSpan[] = [];
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'kratos', 'service.version': '0.1.0', 'cloud.provider': 'aws', 'cloud.region': 'us-east-1', 'faas.name': 'whoami', 'process.runtime.name': 'nodejs', 'process.runtime.version': process.versions.node }),
    spanProcessors: [new SimpleSpanProcessor({ exporter: { export: (spans, done) => (finished.push(...spans), done({ code: 0 })), shutdown: async () => {} } })],
  });
  const tracer = provider.getTracer('kratos-lambda', '0.1.0');
  const dynamo = (operation: string) => ({
    'db.system': 'dynamodb',
    'db.system.name': 'aws.dynamodb',
    'db.operation': operation,
    'db.operation.name': operation,
    'aws.dynamodb.table_names': ['kratos'],
    'rpc.system': 'aws-api',
    'rpc.service': 'DynamoDB',
    'rpc.method': operation,
    'aws.dynamodb.attempts': 1,
    'aws.request_id': randomUUID(),
  });
  const out: ReadableSpan[][] = [];
  for (let i = 0; i < invocations; i++) {
    for (const [route, method, children] of [
      ['/sessions/whoami', 'GET', [['DynamoDB.GetItem', dynamo('GetItem')]]],
      ['/self-service/login', 'POST', [['DynamoDB.BatchGetItem', dynamo('BatchGetItem')], ['bcrypt.compare', { 'bcrypt.workfactor': 12, 'hash.type': 'bcrypt' }], ['DynamoDB.TransactWriteItems', dynamo('TransactWriteItems')]]],
    ] as const) {
      const start = finished.length;
      const root = tracer.startSpan(route, {
        kind: SpanKind.SERVER,
        attributes: {
          'http.method': method,
          'http.request.method': method,
          'url.path': route,
          'url.scheme': 'https',
          'server.address': 'id.example.com',
          'http.route': route,
          'faas.trigger': 'http',
          'faas.invocation_id': randomUUID(),
          'faas.coldstart': false,
          'client.address': '203.0.113.9',
          'user_agent.original': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36',
        },
      });
      const parent = trace.setSpan(context.active(), root);
      for (const [name, attributes] of children) tracer.startSpan(name, { kind: name.startsWith('DynamoDB') ? SpanKind.CLIENT : SpanKind.INTERNAL, attributes }, parent).end();
      root.addEvent('SessionChecked', { IdentityID: randomUUID(), SessionID: randomUUID() });
      root.setAttributes({ 'http.status_code': 200, 'http.response.status_code': 200 });
      root.end();
      out.push(finished.slice(start));
    }
  }
  await provider.shutdown();
  return out;
}

export async function runExporterEncode(invocations: number): Promise<{ compactUsPerSpan: number; binaryUsPerSpan: number; bytesPerSpan: number }> {
  const batches = await traces(invocations);
  const spans = batches.reduce((n, b) => n + b.length, 0);
  const result = { compactUsPerSpan: 0, binaryUsPerSpan: 0, bytesPerSpan: 0 };
  for (const [protocol, port] of [['compact', 6831], ['binary', 6832]] as const) {
    const exporter = new JaegerExporter({ agent: { host: '127.0.0.1', port } });
    const rounds: number[] = [];
    let bytes = 0;
    for (let round = 0; round < 12; round++) {
      const started = performance.now();
      for (const batch of batches) for (const group of exporter.encode(batch)) for (const d of exporter.datagrams(group).datagrams) bytes += d.bytes.length;
      rounds.push(((performance.now() - started) * 1000) / spans);
    }
    // The first rounds warm the JIT and the tag cache.
    const perSpan = median(rounds.slice(2));
    if (protocol === 'compact') {
      result.compactUsPerSpan = perSpan;
      result.bytesPerSpan = bytes / 12 / spans;
    } else result.binaryUsPerSpan = perSpan;
  }
  return result;
}
