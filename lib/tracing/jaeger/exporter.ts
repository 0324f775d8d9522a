/**
 * The project's own Jaeger exporter (OpenTelemetry's `@opentelemetry/exporter-jaeger` is deprecated, cannot be
 * bundled and writes only Thrift binary):
 *   - agent, UDP: `Agent.emitBatch` in Thrift compact (Jaeger's port 6831, what Kratos's Go exporter sends), or in
 *     Thrift binary when the port is 6832 (the agent's binary port). Each datagram stays within the agent's
 *     65,000 bytes: a batch too big is split, a span too big for any datagram is counted and reported, never
 *     dropped silently.
 *   - collector, HTTP: a Thrift binary `Batch` POSTed to `…/api/traces`.
 */
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import type dgram from 'node:dgram';
import { isIP } from 'node:net';
import { BinaryWriter, CompactWriter, type ThriftWriter } from './thrift.js';
import { writeBatch, writeEmitBatch, writeEmitBatchOf, writeProcess, writeSpan } from './model.js';

const SUCCESS = 0; // ExportResultCode.SUCCESS
const FAILED = 1; // ExportResultCode.FAILED

/** The Jaeger agent's UDP packet limit (its `--processor.*.server-max-packet-size` default). */
export const MAX_DATAGRAM_BYTES = 65_000;
/** Jaeger's agent port that takes Thrift binary; every other agent port is sent Thrift compact. */
export const JAEGER_BINARY_PORT = 6832;
/** Upper bound of the emitBatch envelope around the process and spans (message header, field headers, stops). */
const ENVELOPE_BYTES = 64;

export type JaegerTarget =
  | { agent: { host: string; port: number } }
  | { collector: { endpoint: string; timeoutMs: number } };

type ExportCallback = (result: ExportResult) => void;

/** Spans of one process (resource), each pre-encoded. */
interface EncodedGroup {
  process: Uint8Array;
  spans: Buffer[];
}

export class JaegerExporter implements SpanExporter {
  /** Spans that could not be sent since this exporter started (too large for a datagram, or a failed send). */
  droppedSpans = 0;
  readonly protocol: 'compact' | 'binary';
  private readonly processes = new WeakMap<object, Uint8Array>();
  private readonly scratch: ThriftWriter;
  /** Where a whole datagram is written, reused across exports. */
  private readonly datagramWriter: ThriftWriter;
  private socket?: Promise<{ socket: dgram.Socket; address: string }>;
  /** The agent's socket once open: from then on an export sends at once, without waiting for anything. */
  private connected?: dgram.Socket;
  private seqId = 0;

  constructor(
    readonly target: JaegerTarget,
    private readonly onDropped: (count: number, why: string) => void = () => {},
  ) {
    this.protocol = 'agent' in target && target.agent.port !== JAEGER_BINARY_PORT ? 'compact' : 'binary';
    this.scratch = this.writer();
    this.datagramWriter = this.writer(8192);
  }

  /** Opens the agent's socket now rather than at the first export (sdk.ts: while a cold start waits on its own I/O). */
  connect(): void {
    if ('agent' in this.target) this.openSocket(this.target.agent.host, this.target.agent.port).catch(() => undefined);
  }

  /**
   * Encodes `spans` as an export to the agent would, and sends nothing: the encoding's code compiled, and their
   * process's tags encoded, before the first export needs them (sdk.ts, at a cold start).
   */
  warmUp(spans: ReadableSpan[]): void {
    if (!('agent' in this.target)) return;
    this.writeOneDatagram(spans);
    this.datagramWriter.reset();
  }

  private writer(initialSize?: number): ThriftWriter {
    return this.protocol === 'compact' ? new CompactWriter(initialSize) : new BinaryWriter(initialSize);
  }

  /** Encodes spans, grouped by process; a span's bytes are copied out of the scratch writer. */
  encode(spans: ReadableSpan[]): EncodedGroup[] {
    const groups = new Map<object, EncodedGroup>();
    for (const span of spans) {
      const resource = span.resource;
      let group = groups.get(resource);
      if (!group) {
        group = { process: this.processOf(resource), spans: [] };
        groups.set(resource, group);
      }
      this.scratch.reset();
      writeSpan(this.scratch, span);
      group.spans.push(Buffer.from(this.scratch.bytes()));
    }
    return [...groups.values()];
  }

  private processOf(resource: ReadableSpan['resource']): Uint8Array {
    let bytes = this.processes.get(resource);
    if (!bytes) {
      const w = this.writer(512);
      writeProcess(w, resource.attributes);
      bytes = Buffer.from(w.bytes());
      this.processes.set(resource, bytes);
    }
    return bytes;
  }

  /** Packs a group's spans into as few emitBatch datagrams as fit the agent's limit. */
  datagrams(group: EncodedGroup): { datagrams: Array<{ bytes: Buffer; spans: number }>; tooLarge: number } {
    const room = MAX_DATAGRAM_BYTES - ENVELOPE_BYTES - group.process.length;
    const datagrams: Array<{ bytes: Buffer; spans: number }> = [];
    let tooLarge = 0;
    let pending: Buffer[] = [];
    let size = 0;
    const emit = () => {
      if (pending.length === 0) return;
      const w = this.writer(size + group.process.length + ENVELOPE_BYTES);
      writeEmitBatch(w, this.seqId++, group.process, pending);
      datagrams.push({ bytes: Buffer.from(w.bytes()), spans: pending.length });
      pending = [];
      size = 0;
    };
    for (const span of group.spans) {
      if (span.length > room) {
        tooLarge++;
        continue;
      }
      if (size + span.length > room) emit();
      pending.push(span);
      size += span.length;
    }
    emit();
    return { datagrams, tooLarge };
  }

  /**
   * The common case in one pass: spans of one process (a function's are) that fit one datagram, written straight
   * into one reused writer and copied out once (the socket may hold the bytes after `send` returns). Undefined when
   * they do not fit or do not share a process: the general path then encodes span by span and splits.
   */
  private oneDatagram(spans: ReadableSpan[]): Buffer | undefined {
    if (!this.writeOneDatagram(spans)) return undefined;
    this.seqId++;
    return Buffer.from(this.datagramWriter.bytes());
  }

  /** `spans` written as the next emitBatch into the reused datagram writer; false when they do not go in one datagram. */
  private writeOneDatagram(spans: ReadableSpan[]): boolean {
    const resource = spans[0]?.resource;
    if (!resource || spans.some((span) => span.resource !== resource)) return false;
    const w = this.datagramWriter;
    try {
      w.reset();
      writeEmitBatchOf(w, this.seqId, this.processOf(resource), spans);
    } catch {
      return false; // the general path reports what cannot be encoded
    }
    return w.length <= MAX_DATAGRAM_BYTES;
  }

  export(spans: ReadableSpan[], done: ExportCallback): void {
    if ('agent' in this.target && this.connected) {
      const datagram = this.oneDatagram(spans);
      if (datagram) {
        const refused = this.sendNow([{ bytes: datagram, spans: spans.length }], this.connected, this.target.agent);
        done(refused ? { code: FAILED, error: refused } : { code: SUCCESS });
        return;
      }
    }
    let groups: EncodedGroup[];
    try {
      groups = this.encode(spans);
    } catch (error) {
      this.drop(spans.length, `could not be encoded (${error instanceof Error ? error.message : String(error)})`);
      done({ code: FAILED, error: error instanceof Error ? error : new Error(String(error)) });
      return;
    }
    if ('agent' in this.target && this.connected) {
      const refused = this.sendNow(groups.flatMap((group) => this.packed(group)), this.connected, this.target.agent);
      done(refused ? { code: FAILED, error: refused } : { code: SUCCESS });
      return;
    }
    const sent = 'agent' in this.target ? this.sendDatagrams(groups, this.target.agent) : this.post(groups, this.target.collector);
    sent.then(
      () => done({ code: SUCCESS }),
      (error: Error) => done({ code: FAILED, error }),
    );
  }

  /**
   * The datagrams handed to the open socket, and the export done: a UDP send does not wait for the agent, and the
   * kernel takes the datagram during the call. A send that fails later (the agent's port closed) is counted and
   * reported when the socket says so, as every dropped span is; the invocation does not wait for that.
   */
  private sendNow(datagrams: Array<{ bytes: Buffer; spans: number }>, socket: dgram.Socket, agent: { host: string; port: number }): Error | undefined {
    let refused: Error | undefined;
    const lost = (spans: number, error: Error) => this.drop(spans, `not sent to ${agent.host}:${agent.port}: ${error.message}`);
    for (const datagram of datagrams) {
      try {
        socket.send(datagram.bytes, (error) => error && lost(datagram.spans, error));
      } catch (error) {
        // The socket refused the send outright (closed under us): the next export opens another.
        refused = error instanceof Error ? error : new Error(String(error));
        this.connected = undefined;
        this.socket = undefined;
        lost(datagram.spans, refused);
      }
    }
    return refused;
  }

  /** A group's datagrams; spans too large for any are counted and reported. */
  private packed(group: EncodedGroup): Array<{ bytes: Buffer; spans: number }> {
    const { datagrams, tooLarge } = this.datagrams(group);
    this.drop(tooLarge, `each larger than a ${MAX_DATAGRAM_BYTES}-byte Jaeger agent datagram`);
    return datagrams;
  }

  private drop(count: number, why: string): void {
    if (count <= 0) return;
    this.droppedSpans += count;
    this.onDropped(count, why);
  }

  private async sendDatagrams(groups: EncodedGroup[], agent: { host: string; port: number }): Promise<void> {
    let failure: Error | undefined;
    for (const group of groups) {
      const { datagrams, tooLarge } = this.datagrams(group);
      this.drop(tooLarge, `each larger than a ${MAX_DATAGRAM_BYTES}-byte Jaeger agent datagram`);
      let open: { socket: dgram.Socket; address: string };
      try {
        open = await this.openSocket(agent.host, agent.port);
      } catch (error) {
        this.drop(group.spans.length - tooLarge, `not sent: ${agent.host} did not resolve`);
        failure = error as Error;
        continue;
      }
      for (const datagram of datagrams) {
        try {
          await new Promise<void>((resolve, reject) =>
            open.socket.send(datagram.bytes, (error) => (error ? reject(error) : resolve())),
          );
        } catch (error) {
          failure = error as Error;
          this.drop(datagram.spans, `not sent to ${agent.host}:${agent.port}: ${failure.message}`);
        }
      }
    }
    if (failure) throw failure;
  }

  /**
   * One socket for the exporter's life, connected to the agent (a connected UDP socket sends without an address
   * lookup per datagram, and hears of an agent that is not there), of the family the agent's address has; it never
   * keeps the process alive.
   */
  private openSocket(host: string, port: number): Promise<{ socket: dgram.Socket; address: string }> {
    this.socket ??= (async () => {
      const address = isIP(host) ? host : (await (await import('node:dns/promises')).lookup(host)).address;
      // node:dgram loaded here, on the socket's first opening (sdk.ts: in the background at a cold start), not with the SDK.
      const { createSocket } = await import('node:dgram');
      const socket = createSocket(isIP(address) === 6 ? 'udp6' : 'udp4');
      socket.on('error', () => {}); // a send error is reported to its callback; nothing else may crash the process
      try {
        await new Promise<void>((resolve, reject) => {
          socket.once('error', reject);
          socket.connect(port, address, () => {
            socket.off('error', reject);
            resolve();
          });
        });
      } catch (error) {
        socket.close(); // bound before connecting: closed, or each retry would leave one open, holding the process
        throw error;
      }
      socket.unref();
      this.connected = socket;
      return { socket, address };
    })().catch((error: unknown) => {
      this.socket = undefined; // resolve again on the next export
      throw error;
    });
    return this.socket;
  }

  private async post(groups: EncodedGroup[], collector: { endpoint: string; timeoutMs: number }): Promise<void> {
    const url = new URL(collector.endpoint);
    const { request } = url.protocol === 'https:' ? await import('node:https') : await import('node:http');
    let failure: Error | undefined;
    for (const group of groups) {
      const w = this.writer();
      writeBatch(w, group.process, group.spans);
      const body = Buffer.from(w.bytes());
      try {
        await new Promise<void>((resolve, reject) => {
          const req = request(
            url,
            {
              method: 'POST',
              headers: { 'Content-Type': 'application/vnd.apache.thrift.binary', 'Content-Length': body.length },
              timeout: collector.timeoutMs,
            },
            (res) => {
              res.resume();
              res.on('end', () =>
                res.statusCode !== undefined && res.statusCode < 300 ? resolve() : reject(new Error(`collector answered HTTP ${res.statusCode}`)),
              );
            },
          );
          req.on('timeout', () => req.destroy(new Error(`collector did not answer within ${collector.timeoutMs} ms`)));
          req.on('error', reject);
          req.end(body);
        });
      } catch (error) {
        failure = error as Error;
        this.drop(group.spans.length, `not accepted by ${url.origin}: ${failure.message}`);
      }
    }
    if (failure) throw failure;
  }

  async shutdown(): Promise<void> {
    const open = await this.socket?.catch(() => undefined);
    open?.socket.close();
    this.socket = undefined;
    this.connected = undefined;
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
}
