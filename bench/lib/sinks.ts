/**
 * Stand-ins for tracing backends, all on 127.0.0.1. They only receive (the benchmarks time the sender, not
 * the decoding), except the Zipkin one, whose JSON the round-trip count reads.
 */
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { createInterface } from 'node:readline';
import http from 'node:http';
import net from 'node:net';

export interface UdpSink {
  port: number;
  /** Datagrams received so far. */
  readonly datagrams: number;
  close(): Promise<void>;
}

/** A Jaeger agent or X-Ray daemon that swallows every datagram. */
export function udpSink(): Promise<UdpSink> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    let datagrams = 0;
    socket.on('message', () => {
      datagrams++;
    });
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      resolve({
        port: socket.address().port,
        get datagrams() {
          return datagrams;
        },
        close: () => new Promise<void>((done) => socket.close(() => done())),
      });
    });
  });
}

export interface QuietUdpSink {
  port: number;
  /** Stops the receiving process: datagrams wait in its socket's buffer (4 MiB at most) and wake nobody. */
  pause(): void;
  /** Lets it run again: it reads what arrived meanwhile. */
  resume(): void;
  /** Datagrams received so far (the sink running). */
  count(): Promise<number>;
  close(): Promise<void>;
}

const QUIET_SINK_SCRIPT = `
const socket = require('node:dgram').createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
let datagrams = 0;
socket.on('message', () => datagrams++);
socket.bind(0, '127.0.0.1', () => process.stdout.write(socket.address().port + '\\n'));
require('node:readline').createInterface({ input: process.stdin })
  .on('line', () => process.stdout.write(datagrams + '\\n'))
  .on('close', () => process.exit(0));
`;

/**
 * A Jaeger agent or X-Ray daemon in a process of its own, which the tracer-cost benchmark stops while it measures.
 * A receiver waiting for datagrams is woken by each one, and on a machine of two busy cores the kernel puts it on
 * the sender's core (a UDP wake-up says the waker will sleep soon), where it runs instead of the sender: its work then
 * showed in the sender's wall time, some 40 µs per invocation for every UDP exporter alike. A stopped process waits
 * on nothing, so a send only queues the datagram, as it does for an agent elsewhere.
 */
export async function quietUdpSink(): Promise<QuietUdpSink> {
  const child = spawn(process.execPath, ['-e', QUIET_SINK_SCRIPT], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async () => {
    const line = await lines.next();
    if (line.done) throw new Error('the UDP sink process exited');
    return Number(line.value);
  };
  const port = await next();
  let paused = false;
  const resume = () => {
    if (paused) child.kill('SIGCONT');
    paused = false;
  };
  return {
    port,
    pause() {
      if (!paused) child.kill('SIGSTOP');
      paused = true;
    },
    resume,
    async count() {
      resume();
      child.stdin!.write('\n');
      return next();
    },
    async close() {
      resume();
      const exited = new Promise<void>((done) => child.once('exit', () => done()));
      child.stdin!.end();
      await exited;
    },
  };
}

/** A UDP port with nothing bound to it: datagrams sent there are dropped (ICMP port unreachable). */
export function unusedUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

export interface HttpSink {
  url: string;
  port: number;
  /** Requests answered on the endpoint path. */
  readonly requests: number;
  /** JSON bodies received, parsed (only kept when asked for). */
  readonly bodies: unknown[];
  close(): Promise<void>;
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });
}

function closeServer(server: http.Server | net.Server, sockets: Set<net.Socket>): Promise<void> {
  for (const socket of sockets) socket.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * An HTTP collector: answers `status` to every POST on `endpoint` once the body has arrived (an OTLP/HTTP
 * collector answers 200 on /v1/traces, Jaeger's 202 on /api/traces, Zipkin's 202 on /api/v2/spans).
 */
export async function httpSink(endpoint: string, status: number, options: { keepJson?: boolean } = {}): Promise<HttpSink> {
  let requests = 0;
  const bodies: unknown[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || new URL(req.url ?? '/', 'http://x').pathname !== endpoint) {
        res.writeHead(404).end();
        return;
      }
      requests++;
      if (options.keepJson) bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(status === 200 ? '{}' : '');
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}${endpoint}`,
    port,
    get requests() {
      return requests;
    },
    bodies,
    close: () => closeServer(server, sockets),
  };
}

export interface HangingServer {
  port: number;
  close(): Promise<void>;
}

/** A TCP server that accepts connections and never answers: the worst a collector can do. */
export async function hangingServer(): Promise<HangingServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    socket.resume(); // read and discard, never write
  });
  const port = await listen(server);
  return { port, close: () => closeServer(server, sockets) };
}
