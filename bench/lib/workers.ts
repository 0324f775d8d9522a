/**
 * Benchmark workers: one Node process per tracing configuration, because tracing is configured once per
 * process (OpenTelemetry's API globals, and getTracing() caches what the environment said at cold start).
 *
 * Protocol: the parent writes one JSON command per line on the worker's stdin; the worker answers with one
 * line `@@bench {json}` on stdout. Anything else a library prints on stdout is kept as output, not parsed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export const PROTOCOL_PREFIX = '@@bench ';

export interface WorkerOptions {
  /** A label for error messages. */
  name: string;
  script: string;
  env: Record<string, string>;
  /** Node options before the script (e.g. --import, --require). */
  nodeArgs?: string[];
}

export class Worker {
  private readonly child: ChildProcess;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  private output = '';

  constructor(readonly options: WorkerOptions) {
    // Only what the configuration says: no inherited TRACING_*, DYNAMODB_*, LOG_LEVEL from the caller's shell.
    this.child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.script], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      if (!line.startsWith(PROTOCOL_PREFIX)) {
        this.keep(`${line}\n`);
        return;
      }
      const answer = JSON.parse(line.slice(PROTOCOL_PREFIX.length)) as { id: number; ok: boolean; result?: unknown; error?: string };
      const waiter = this.pending.get(answer.id);
      this.pending.delete(answer.id);
      if (answer.ok) waiter?.resolve(answer.result);
      else waiter?.reject(new Error(`worker ${options.name}: ${answer.error}\n${this.output}`));
    });
    this.child.stderr!.on('data', (chunk: Buffer) => this.keep(chunk.toString()));
    this.child.on('exit', (code, signal) => {
      for (const waiter of this.pending.values()) {
        waiter.reject(new Error(`worker ${options.name} exited (${code ?? signal}) before answering:\n${this.output}`));
      }
      this.pending.clear();
    });
  }

  private keep(text: string): void {
    this.output = (this.output + text).slice(-8000);
  }

  /** What the worker printed besides its answers (the last few KiB). */
  get log(): string {
    return this.output;
  }

  call<T>(cmd: string, args: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.child.stdin!.write(`${JSON.stringify({ id, cmd, ...args })}\n`);
    });
  }

  /**
   * Ends the worker: closing its stdin asks it to exit once its current command is done; one still running a
   * second later (e.g. waiting on a backend that never answers) is killed, by its pid.
   */
  stop(): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) return resolve();
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 1000);
      this.child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      this.child.stdin!.end();
    });
  }
}
