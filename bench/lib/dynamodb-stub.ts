/**
 * An in-process stand-in for DynamoDB, at the AWS SDK's transport: the request handler under every client in this
 * process (NodeHttpHandler, what the SDK sends HTTP requests with) answers with a recorded response instead of
 * opening a socket. Everything above it still runs: the command's serialisation, endpoint resolution, SigV4 signing,
 * retries, the response's parsing, and every client middleware (our DynamoDB span, Powertools' subsegment).
 *
 * The recording is a real answer: one whoami run against DynamoDB Local with the recorder installed.
 */
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';

export interface RecordedResponse {
  /** The operation answered (`GetItem`), from the request's X-Amz-Target. */
  operation: string;
  statusCode: number;
  headers: Record<string, string>;
  /** The body, base64. */
  body: string;
}

interface HttpRequestLike {
  headers: Record<string, string>;
}
interface HttpResponseLike {
  statusCode: number;
  reason?: string;
  headers: Record<string, string>;
  body: unknown;
}
type Handle = (request: HttpRequestLike, options?: unknown) => Promise<{ response: HttpResponseLike }>;

/** The request handler class the DynamoDB client of this process uses (resolved from the client, one copy). */
function handlerPrototype(): { handle: Handle } {
  const require = createRequire(import.meta.url);
  const fromClient = createRequire(require.resolve('@aws-sdk/client-dynamodb'));
  return (fromClient('@smithy/node-http-handler') as { NodeHttpHandler: { prototype: { handle: Handle } } }).NodeHttpHandler.prototype;
}

const operationOf = (request: HttpRequestLike) => (request.headers['x-amz-target'] ?? request.headers['X-Amz-Target'] ?? '').split('.').pop() ?? '';

/** A body as the SDK receives one from a socket: a readable stream, here of one chunk. */
function bodyStream(bytes: Buffer): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(bytes);
      }
      this.push(null);
    },
  });
}

/**
 * Runs `work` with the real transport, keeping the responses it received; answers them in order. Each response's
 * body is read, kept, and handed on as a new stream, so `work` sees what it would have seen.
 */
export async function recordResponses(work: () => Promise<unknown>): Promise<RecordedResponse[]> {
  const prototype = handlerPrototype();
  const original = prototype.handle;
  const recorded: RecordedResponse[] = [];
  prototype.handle = async function recordingHandle(this: unknown, request, options) {
    const { response } = await original.call(this, request, options);
    const chunks: Buffer[] = [];
    for await (const chunk of response.body as AsyncIterable<Buffer>) chunks.push(Buffer.from(chunk));
    const body = Buffer.concat(chunks);
    recorded.push({ operation: operationOf(request), statusCode: response.statusCode, headers: { ...response.headers }, body: body.toString('base64') });
    return { response: { ...response, body: bodyStream(body) } };
  };
  try {
    await work();
  } finally {
    prototype.handle = original;
  }
  return recorded;
}

/** From now on every DynamoDB request of this process is answered by the recording of its operation, in-process. */
export function installStub(recordings: RecordedResponse[]): void {
  const byOperation = new Map(recordings.map((r) => [r.operation, { ...r, bytes: Buffer.from(r.body, 'base64') }]));
  handlerPrototype().handle = async function stubHandle(request) {
    const operation = operationOf(request);
    const recorded = byOperation.get(operation);
    if (!recorded) throw new Error(`the DynamoDB stub has no recorded answer to ${operation || 'this request'}`);
    return { response: { statusCode: recorded.statusCode, reason: 'OK', headers: { ...recorded.headers }, body: bodyStream(recorded.bytes) } };
  };
}
