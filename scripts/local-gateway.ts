/**
 * The local stand-in for API Gateway in front of serverless-offline (npm start and the tests both serve through it).
 *
 * Two things serverless-offline does unlike AWS, and this fixes:
 * - A failure outside the handler (a timeout, a crash, a worker that died) reaches an HTTP API caller as
 *   **HTTP 200** with `{"errorMessage","errorType","stackTrace"}`: serverless-offline wraps any result without a
 *   `statusCode` as a 200 for payload 2.0, its own error objects included. API Gateway answers 5xx there. Here such
 *   an answer becomes 504 (timeout) or 502 (anything else) in Kratos's error envelope, with no stack trace.
 * - Every concurrent request to a function gets a worker of its own, so 30 concurrent first requests are 30 cold
 *   starts at once: on a 2-core machine they outlast the function timeout (which counts the module loading).
 *   On AWS each of those cold starts would have CPU of its own. Here at most `perFunction` requests per route are in
 *   serverless-offline at once and the rest wait their turn (time that no function timeout counts), so a burst is
 *   served by a few workers, each warm after its first request.
 *
 * Nothing else changes: method, path, query, headers (the Host a client sent included) and body pass through as
 * they are, and every answer of a function comes back byte for byte.
 */
import { Agent, createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { errorEnvelope } from '../lib/errors/index.js';

export interface GatewayOptions {
  host: string;
  port: number;
  /** serverless-offline's own address, e.g. http://127.0.0.1:41234. */
  upstream: string;
  /** Requests per route in serverless-offline at once; by default twice the CPUs there are. */
  perFunction?: number;
  /** The functions' timeout, for the 504's reason. */
  functionTimeoutSeconds?: number;
  /** A line per answer the gateway made up (a 502 or 504), for the log. */
  log?: (line: string) => void;
}

export interface RunningGateway {
  url: string;
  close(): Promise<void>;
}

/** API Gateway's payload limit. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);

/** A route's key: its method and path, with ids (UUIDs, long tokens) as `*`, so one function's requests share a turn. */
export function routeKey(method: string, url: string): string {
  const path = url.split('?')[0];
  return `${method} ${path
    .split('/')
    .map((segment) => (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(segment) || segment.length > 40 ? '*' : segment))
    .join('/')}`;
}

/** Waiting turns per route: FIFO, at most `limit` running. */
class Turns {
  private running = new Map<string, number>();
  private waiting = new Map<string, (() => void)[]>();
  constructor(private readonly limit: number) {}

  async take(key: string): Promise<() => void> {
    const running = this.running.get(key) ?? 0;
    if (running < this.limit) {
      this.running.set(key, running + 1);
    } else {
      await new Promise<void>((resolve) => {
        const queue = this.waiting.get(key) ?? [];
        queue.push(resolve);
        this.waiting.set(key, queue);
      });
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.get(key)?.shift();
      if (next) return next(); // the turn passes on; the running count stays
      if (this.waiting.get(key)?.length === 0) this.waiting.delete(key);
      const left = (this.running.get(key) ?? 1) - 1;
      if (left === 0) this.running.delete(key);
      else this.running.set(key, left);
    };
  }
}

/**
 * serverless-offline's own answer for a failure outside the handler, recognised by its body: a Lambda error object
 * (`errorType`, `errorMessage`), or hapi's error (`statusCode`, `error`, `message`) with a 5xx. Undefined for
 * anything a function answered.
 */
export function offlineFailureOf(status: number, headers: IncomingHttpHeaders, body: Buffer): { timeout: boolean; kind: string } | undefined {
  if (!String(headers['content-type'] ?? '').includes('json') || body.length > 64 * 1024) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const value = parsed as Record<string, unknown>;
  if (typeof value.errorType === 'string' && typeof value.errorMessage === 'string' && !('error' in value)) {
    return { timeout: value.errorType === 'LambdaTimeoutError' || value.errorMessage.includes('[504]'), kind: value.errorType };
  }
  if (status >= 500 && typeof value.statusCode === 'number' && typeof value.error === 'string' && !('errorType' in value)) {
    return { timeout: false, kind: value.error };
  }
  return undefined;
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        resolve(undefined);
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sendEnvelope(res: ServerResponse, status: number, reason: string): void {
  const body = JSON.stringify(errorEnvelope({ status, reason }));
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'private, no-cache, no-store, must-revalidate' });
  res.end(body);
}

export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const upstream = new URL(options.upstream);
  const agent = new Agent({ keepAlive: true });
  const turns = new Turns(options.perFunction ?? Math.max(2, availableParallelism() * 2));
  const log = options.log ?? (() => {});

  const forward = (req: IncomingMessage, body: Buffer) =>
    new Promise<{ status: number; headers: IncomingHttpHeaders; rawHeaders: string[]; body: Buffer }>((resolve, reject) => {
      const headers: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
      }
      if (body.length > 0 || !['GET', 'HEAD'].includes(req.method ?? 'GET')) headers['content-length'] = String(body.length);
      const outgoing = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, agent },
        (answer) => {
          const chunks: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => chunks.push(chunk));
          answer.on('end', () => resolve({ status: answer.statusCode ?? 502, headers: answer.headers, rawHeaders: answer.rawHeaders, body: Buffer.concat(chunks) }));
          answer.on('error', reject);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });

  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      if (!body) return sendEnvelope(res, 413, 'The request body is over API Gateway’s 10 MB limit.');
      const release = await turns.take(routeKey(req.method ?? 'GET', req.url ?? '/'));
      let answer;
      try {
        if (req.socket.destroyed) return; // the caller gave up while waiting
        answer = await forward(req, body);
      } catch (error) {
        log(`local gateway: ${req.method} ${req.url?.split('?')[0]} → 502 (serverless-offline did not answer: ${error instanceof Error ? error.message : error})`);
        return sendEnvelope(res, 502, 'The function could not be reached.');
      } finally {
        release();
      }
      const failure = offlineFailureOf(answer.status, answer.headers, answer.body);
      if (failure) {
        const status = failure.timeout ? 504 : 502;
        log(`local gateway: ${req.method} ${req.url?.split('?')[0]} → ${status} (serverless-offline: ${failure.kind})`);
        return sendEnvelope(
          res,
          status,
          failure.timeout
            ? `The function did not answer within its timeout${options.functionTimeoutSeconds ? ` (${options.functionTimeoutSeconds} s)` : ''}.`
            : 'The function failed before it could answer.',
        );
      }
      // Every header as the function set it (several Set-Cookie included), minus hop-by-hop ones.
      const headers: [string, string][] = [];
      for (let i = 0; i < answer.rawHeaders.length; i += 2) {
        if (!HOP_BY_HOP.has(answer.rawHeaders[i].toLowerCase())) headers.push([answer.rawHeaders[i], answer.rawHeaders[i + 1]]);
      }
      res.writeHead(answer.status, headers.flat());
      res.end(req.method === 'HEAD' ? undefined : answer.body);
    })().catch((error: unknown) => {
      log(`local gateway: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) sendEnvelope(res, 502, 'The function could not be reached.');
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}
