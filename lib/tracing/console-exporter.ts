/** `TRACING_PROVIDER=console`: each invocation's spans as a readable tree on stderr. */
import { ExportResultCode, hrTimeToMicroseconds, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';

const SHOWN_ATTRIBUTES = [
  'http.method',
  'http.status_code',
  'error',
  'bcrypt.workfactor',
  'aws.dynamodb.table_names',
  'faas.coldstart',
];

function describe(span: ReadableSpan): string {
  const ms = (hrTimeToMicroseconds(span.duration) / 1000).toFixed(1);
  const tags = SHOWN_ATTRIBUTES.filter((k) => span.attributes[k] !== undefined).map((k) => `${k}=${String(span.attributes[k])}`);
  if (span.status.code === 2) tags.push('status=ERROR');
  return `${span.name} ${ms}ms${tags.length ? `  ${tags.join(' ')}` : ''}`;
}

/** A span's events, one line each: Kratos's events with their keys. */
function eventLines(span: ReadableSpan): string[] {
  return span.events.map((event) => {
    const attrs = Object.entries(event.attributes ?? {}).map(([k, v]) => `${k}=${String(v)}`);
    return `event ${event.name}${attrs.length ? `  ${attrs.join(' ')}` : ''}`;
  });
}

export function renderTree(spans: ReadableSpan[]): string {
  const lines: string[] = [];
  const ids = new Set(spans.map((s) => s.spanContext().spanId));
  const children = new Map<string | undefined, ReadableSpan[]>();
  for (const span of spans) {
    const parent = span.parentSpanContext?.spanId;
    const key = parent && ids.has(parent) ? parent : undefined;
    children.set(key, [...(children.get(key) ?? []), span]);
  }
  const walk = (span: ReadableSpan, prefix: string, last: boolean, root: boolean) => {
    lines.push(root ? `${describe(span)}` : `${prefix}${last ? '└─ ' : '├─ '}${describe(span)}`);
    const kids = (children.get(span.spanContext().spanId) ?? []).sort((a, b) => hrTimeToMicroseconds(a.startTime) - hrTimeToMicroseconds(b.startTime));
    const inner = root ? '' : `${prefix}${last ? '   ' : '│  '}`;
    for (const line of eventLines(span)) lines.push(`${inner}${kids.length ? '│' : ' '}  ${line}`);
    kids.forEach((kid, i) => walk(kid, root ? '' : `${prefix}${last ? '   ' : '│  '}`, i === kids.length - 1, false));
  };
  for (const root of children.get(undefined) ?? []) {
    lines.push(`trace ${root.spanContext().traceId}`);
    walk(root, '', true, true);
  }
  return lines.join('\n');
}

export class ConsoleTreeExporter implements SpanExporter {
  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    process.stderr.write(`${renderTree(spans)}\n`);
    done({ code: ExportResultCode.SUCCESS });
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
