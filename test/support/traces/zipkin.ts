/** Zipkin v2 receiver for tests: POST /api/v2/spans with a JSON array. */
import { rawJson, startHttpReceiver, type HttpSpanReceiver, type ReceivedSpan } from './common.js';

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
    processTags: {},
    events: (z.annotations ?? []).map((a) => ({ name: a.value, attributes: {} })),
    format: 'zipkin-json' as const,
    raw: rawJson(z),
  }));
}

export function startZipkinReceiver(): Promise<HttpSpanReceiver> {
  return startHttpReceiver('/api/v2/spans', 202, (body) => ({ spans: zipkinToSpans(JSON.parse(body.toString('utf8'))), contentType: 'text/plain', body: '' }));
}
