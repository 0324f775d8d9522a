/**
 * What every trace receiver shares: the one span shape the tests assert on, collecting and waiting, the run's
 * artifact log (the global teardown scans it for secrets), and small HTTP/UDP server helpers.
 */
import { appendFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import zlib from 'node:zlib';

export type TagValue = string | number | boolean;

export interface ReceivedEvent {
  name: string;
  attributes: Record<string, unknown>;
}

export interface ReceivedSpan {
  /** 32 lower-case hex chars (64-bit Jaeger ids are left-padded with zeros). */
  traceId: string;
  /** 16 lower-case hex chars. */
  spanId: string;
  /** 16 lower-case hex chars; undefined for a root span (parentSpanId 0 in Jaeger). */
  parentSpanId?: string;
  name: string;
  /** 'server' | 'client' | 'producer' | 'consumer' | 'internal', only when the wire format says. */
  kind?: string;
  serviceName?: string;
  startTimeUs: number;
  durationUs: number;
  /**
   * Resource/process tags first, then span attributes/tags (span wins on a clash). Values keep the type the wire
   * format carries: Jaeger LONG and DOUBLE arrive as numbers, Zipkin v2 tags are always strings, OTLP keeps
   * string/int/double/bool (arrays and maps are JSON-stringified).
   */
  tags: Record<string, TagValue>;
  /** Resource/process tags alone. */
  processTags: Record<string, TagValue>;
  events?: ReceivedEvent[];
  /** Jaeger's `flags` (1 = sampled), where the format carries them. */
  flags?: number;
  /** Which receiver/format produced it. */
  format: 'jaeger-thrift-binary' | 'jaeger-thrift-compact' | 'jaeger-http' | 'otlp-json' | 'zipkin-json';
  /** JSON dump of everything received for this span (process/resource/scope included), for grepping secrets. */
  raw: string;
}

export type SpanPredicate = (spans: readonly ReceivedSpan[]) => boolean;

export interface SpanReceiver {
  readonly spans: ReceivedSpan[];
  /** Decode failures (malformed datagrams/bodies); a test can assert this stays empty. */
  readonly errors: Error[];
  /**
   * Resolves with the spans once `predicate(spans)` is true (a number n means "at least n spans").
   * Polls every 10 ms; rejects after timeoutMs with what was received. A safety net, not a sync mechanism.
   */
  waitForSpans(predicate: SpanPredicate | number, timeoutMs?: number): Promise<ReceivedSpan[]>;
  clear(): void;
  close(): Promise<void>;
}

export class SpanCollector {
  readonly spans: ReceivedSpan[] = [];
  readonly errors: Error[] = [];

  waitForSpans(predicate: SpanPredicate | number, timeoutMs = 5000): Promise<ReceivedSpan[]> {
    const test: SpanPredicate = typeof predicate === 'number' ? (s) => s.length >= predicate : predicate;
    const deadline = Date.now() + timeoutMs;
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (test(this.spans)) return resolve([...this.spans]);
        if (Date.now() >= deadline) {
          const got = this.spans.map((s) => `${s.name}(${s.spanId})`).join(', ') || 'none';
          const errs = this.errors.length ? `; decode errors: ${this.errors.map((e) => e.message).join(' | ')}` : '';
          return reject(new Error(`waitForSpans timed out after ${timeoutMs} ms; spans received: ${got}${errs}`));
        }
        setTimeout(check, 10);
      };
      check();
    });
  }

  clear(): void {
    this.spans.length = 0;
    this.errors.length = 0;
  }

  /**
   * Keeps decoded spans, and appends them to the run's artifacts folder (TEST_ARTIFACTS_DIR) when there is one,
   * where the global teardown looks for secrets in everything any test exported.
   */
  record(spans: ReceivedSpan[]): void {
    this.spans.push(...spans);
    const dir = process.env.TEST_ARTIFACTS_DIR;
    if (dir && spans.length > 0) appendFileSync(path.join(dir, `spans-${process.pid}.jsonl`), spans.map((s) => s.raw).join('\n') + '\n');
  }

  recordError(err: unknown): void {
    this.errors.push(err instanceof Error ? err : new Error(String(err)));
  }
}

/** JSON-safe deep copy: Buffers become hex, bigints decimal strings, Maps objects. */
export function toPlain(value: unknown): unknown {
  if (value === null || value === undefined) return value;
  if (typeof value === 'bigint') return value.toString();
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (Array.isArray(value)) return value.map(toPlain);
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), toPlain(v)]));
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = toPlain(v);
    return out;
  }
  return value;
}

export const rawJson = (value: unknown): string => JSON.stringify(toPlain(value));

export function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function decodeContentEncoding(body: Buffer, encoding: string | undefined): Buffer {
  switch ((encoding ?? '').toLowerCase()) {
    case '':
    case 'identity':
      return body;
    case 'gzip':
      return zlib.gunzipSync(body);
    case 'deflate':
      return zlib.inflateSync(body);
    case 'br':
      return zlib.brotliDecompressSync(body);
    default:
      throw new Error(`unsupported Content-Encoding ${encoding}`);
  }
}

export function listen(server: http.Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    // Exporters use keep-alive agents; without this close() waits for their idle sockets.
    server.closeAllConnections();
  });
}

export interface ReceivedRequest {
  method: string;
  /** Path plus query string as received. */
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The body as received (still compressed if Content-Encoding was set). */
  bodyBytes: Buffer;
}

export interface HttpSpanReceiver extends SpanReceiver {
  /** Full endpoint URL to hand to the exporter, e.g. http://127.0.0.1:PORT/v1/traces. */
  readonly url: string;
  readonly port: number;
  /** Every request received, in order, including ones to other paths. */
  readonly requests: ReceivedRequest[];
  /** Status answered to accepted requests; set >= 400 to simulate failure. */
  status: number;
}

export type HttpDecoder = (body: Buffer, req: http.IncomingMessage) => { spans: ReceivedSpan[]; contentType: string; body: string };

class HttpReceiver extends SpanCollector implements HttpSpanReceiver {
  readonly requests: ReceivedRequest[] = [];
  url = '';
  port = 0;
  constructor(
    readonly server: http.Server,
    public status: number,
  ) {
    super();
  }
  override clear(): void {
    super.clear();
    this.requests.length = 0;
  }
  close(): Promise<void> {
    return closeServer(this.server);
  }
}

/** An HTTP endpoint that decodes what is POSTed to `endpointPath` into spans. */
export async function startHttpReceiver(endpointPath: string, defaultStatus: number, decode: HttpDecoder): Promise<HttpSpanReceiver> {
  const server = http.createServer();
  const receiver = new HttpReceiver(server, defaultStatus);
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    void (async () => {
      const bodyBytes = await readBody(req);
      receiver.requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, bodyBytes });
      const pathname = new URL(req.url ?? '/', 'http://x').pathname;
      if (pathname !== endpointPath) return void res.writeHead(404).end();
      if (req.method !== 'POST') return void res.writeHead(405).end();
      let answer: ReturnType<HttpDecoder>;
      try {
        answer = decode(decodeContentEncoding(bodyBytes, req.headers['content-encoding']), req);
      } catch (err) {
        receiver.recordError(err);
        return void res.writeHead(400, { 'Content-Type': 'text/plain' }).end(String(err));
      }
      // Spans are recorded even when a failure status is simulated: they did reach the "collector".
      receiver.record(answer.spans);
      res.writeHead(receiver.status, { 'Content-Type': answer.contentType }).end(answer.body);
    })().catch((err: unknown) => {
      receiver.recordError(err);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  receiver.port = await listen(server);
  receiver.url = `http://127.0.0.1:${receiver.port}${endpointPath}`;
  return receiver;
}
