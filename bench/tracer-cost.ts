/**
 * What each tracer adds to one warm whoami, measured in-process so that the tracer, not the machine, is what varies:
 * the same handler as deployed, with the DynamoDB client answered by an in-process stub transport (the recorded
 * GetItem answer; the AWS SDK's middleware stack, our DynamoDB span and Powertools' subsegment still run), and each
 * tracer exporting to a local socket that only receives (a UDP receiver's process is stopped while a round runs, so
 * that its work never lands in the sender's time; see quietUdpSink).
 *
 * A traced configuration and the untraced whoami alternate invocation by invocation in the same process (the worker's
 * `pairs`): the traced side is the variant of the worker's environment (ours, or a peer), the untraced side a twin, a
 * second copy of the compiled code (dist/twin/) loaded as a module graph of its own with tracing off. OpenTelemetry's
 * API globals allow one tracer provider per process; the twin never asks for one (with tracing off our code looks
 * for an active span, finds none and records nothing), so the traced side keeps them. Load, the process's JIT state
 * and its heap are then shared by both sides and cancel in the difference. Each configuration runs in processes of
 * its own (two), taking turns in many short rounds whose order rotates; a round's figure per side is its median
 * invocation (CPU: user + system of the whole process; wall), and what the tracer adds is the traced median minus
 * the twin's in that round. Reported: the median over rounds and the interquartile range.
 *
 * Alone (starts its own DynamoDB Local to record the answer, stops it before measuring): node dist/bench/tracer-cost.js
 */
import { cpSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RecordedResponse } from './lib/dynamodb-stub.js';
import { DIST, PASSWORD, TABLE, WORKER, functionEnv } from './lib/env.js';
import { lambdaRuntimeEnv } from './lib/lambda.js';
import { httpSink, quietUdpSink, type HttpSink, type QuietUdpSink } from './lib/sinks.js';
import { quantile, rotate } from './lib/stats.js';
import { Worker } from './lib/workers.js';

/**
 * V8's young generation, fixed: left to itself it grows from 1 MiB as a process runs, at a pace of its own, and how
 * often a process then scavenges moved its whoami's median by up to 15 % between identical processes.
 */
const YOUNG_GENERATION = ['--min-semi-space-size=16', '--max-semi-space-size=16'];

export const COST_CONFIGS = ['off', 'jaeger', 'otel', 'sampled-out', 'powertools', 'otel-lambda'] as const;
export type CostConfig = (typeof COST_CONFIGS)[number];

export const COST_LABELS: Record<CostConfig, string> = {
  off: 'no tracing',
  jaeger: 'ours, Jaeger (Thrift compact, UDP)',
  otel: 'ours, OTLP/HTTP',
  'sampled-out': 'ours, Jaeger, sampled out (tail decisions on)',
  powertools: 'Powertools Tracer (X-Ray, UDP)',
  'otel-lambda': 'instrumentation-aws-lambda (Jaeger, UDP)',
};

export interface CostOptions {
  /** What recordWhoami() answered. */
  recorded: RecordedWhoami;
  rounds: number;
  /** Invocations per worker process in each round. */
  batch: number;
  /** Invocations per worker process before the first round (JIT, the tracers' own warm-up). */
  warmup: number;
  /** Worker processes per configuration. */
  copies: number;
  log(line: string): void;
}

/** Microseconds per invocation: the median over rounds and the interquartile range. */
export interface Spread {
  median: number;
  q1: number;
  q3: number;
}

export interface CostStats {
  cpu: Spread;
  wall: Spread;
  /** Against the untraced configuration in the same round (absent for the untraced one). */
  addedCpu?: Spread;
  addedWall?: Spread;
  /**
   * What tracing adds as a share of the untraced invocation in the same round (traced / untraced - 1): a machine that
   * runs everything slower for a while (other processes on the cores, their caches) scales both sides, and this
   * cancels that too, where the difference in µs only cancels what is added.
   */
  shareCpu?: Spread;
  shareWall?: Spread;
}

export interface CostResults {
  stats: Record<CostConfig, CostStats>;
  rounds: number;
  invocationsPerRound: number;
}

interface Round {
  cpuUs: number;
  wallUs: number;
}
/** What the worker answers: each invocation's CPU and wall time. */
interface Samples {
  cpuUs: number[];
  wallUs: number[];
}

const spread = (values: number[]): Spread => ({ median: quantile(values, 0.5), q1: quantile(values, 0.25), q3: quantile(values, 0.75) });

export interface RecordedWhoami {
  /** The configuration the functions ran with when recording (and run with, stubbed). */
  env: Record<string, string>;
  token: string;
  recordings: RecordedResponse[];
}

/**
 * Registers an identity and records whoami's DynamoDB answer, against DynamoDB Local, in a worker of its own; the
 * measurement needs no database after that.
 */
export async function recordWhoami(dynamoEndpoint: string): Promise<RecordedWhoami> {
  const env = { ...functionEnv(dynamoEndpoint), ...lambdaRuntimeEnv(path.join(DIST, 'functions'), 'whoami') };
  const recorder = new Worker({ name: 'record', script: WORKER, env });
  try {
    const { token } = await recorder.call<{ token: string }>('register', { email: `bench-cost-${Date.now()}@example.com`, password: PASSWORD });
    const recordings = await recorder.call<RecordedResponse[]>('record-whoami', { token });
    if (recordings.length !== 1 || recordings[0].operation !== 'GetItem' || recordings[0].statusCode !== 200) {
      throw new Error(`whoami's DynamoDB answers were not one GetItem: ${JSON.stringify(recordings.map((r) => [r.operation, r.statusCode]))}`);
    }
    return { env, token, recordings };
  } finally {
    await recorder.stop();
  }
}

/** The traced configurations; each runs in processes of its own, each process with its untraced twin. */
export const TRACED_CONFIGS = COST_CONFIGS.filter((c): c is Exclude<CostConfig, 'off'> => c !== 'off');

/**
 * The untraced twin's code: a second copy of the compiled functions and lib (with the JSON they import), so that a
 * worker can hold whoami twice, as two module graphs with a configuration each (bench/worker.ts, `pairs`).
 */
export function makeTwin(): string {
  const twin = path.join(DIST, 'twin');
  rmSync(twin, { recursive: true, force: true });
  for (const dir of ['functions', 'lib', 'kratos']) cpSync(path.join(DIST, dir), path.join(twin, dir), { recursive: true });
  return twin;
}

export async function runTracerCost(options: CostOptions): Promise<CostResults> {
  const { env: baseEnv, token, recordings } = options.recorded;
  const twin = makeTwin();

  // The UDP receivers are stopped while the workers run (see quietUdpSink), and read what arrived between rounds.
  const jaegerUdp = await quietUdpSink();
  const otlp = await httpSink('/v1/traces', 200);
  const xray = await quietUdpSink();
  const peerJaeger = await quietUdpSink();
  const quiet = [jaegerUdp, xray, peerJaeger];
  const sinks: Partial<Record<CostConfig, QuietUdpSink | HttpSink>> = { jaeger: jaegerUdp, otel: otlp, powertools: xray, 'otel-lambda': peerJaeger };
  const envs: Record<CostConfig, Record<string, string>> = {
    off: {},
    jaeger: { TRACING_PROVIDER: 'jaeger', TRACING_PROVIDERS_JAEGER_LOCAL_AGENT_ADDRESS: `127.0.0.1:${jaegerUdp.port}` },
    otel: { TRACING_PROVIDER: 'otel', TRACING_PROVIDERS_OTLP_SERVER_URL: `127.0.0.1:${otlp.port}`, TRACING_PROVIDERS_OTLP_INSECURE: 'true' },
    // Head-sampled out (ratio 0, X-Ray not sampling either) and successful: every span recorded, nothing exported.
    'sampled-out': {
      TRACING_PROVIDER: 'jaeger',
      TRACING_PROVIDERS_JAEGER_LOCAL_AGENT_ADDRESS: `127.0.0.1:${jaegerUdp.port}`,
      TRACING_PROVIDERS_JAEGER_SAMPLING_TRACE_ID_RATIO: '0',
      BENCH_XRAY_SAMPLED: '0',
    },
    powertools: { BENCH_VARIANT: 'powertools', AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${xray.port}`, AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR', POWERTOOLS_SERVICE_NAME: 'kratos' },
    'otel-lambda': { BENCH_VARIANT: 'otel-lambda', OTEL_EXPORTER_JAEGER_AGENT_HOST: '127.0.0.1', OTEL_EXPORTER_JAEGER_AGENT_PORT: String(peerJaeger.port) },
  };
  const workers = new Map<CostConfig, Worker[]>(
    TRACED_CONFIGS.map((config) => [
      config,
      Array.from({ length: options.copies }, (_, i) => new Worker({ name: `cost-${config}-${i}`, script: WORKER, env: { ...baseEnv, ...envs[config] }, nodeArgs: YOUNG_GENERATION })),
    ]),
  );
  /** Per configuration and round: the traced side's and the twin's median invocation. */
  const rounds = new Map<CostConfig, Array<{ traced: Round; untraced: Round }>>(TRACED_CONFIGS.map((c) => [c, []]));
  const raw = new Map<CostConfig, Array<Record<'traced' | 'untraced', Samples>>>(TRACED_CONFIGS.map((c) => [c, []]));
  const medianOf = (samples: Samples): Round => ({ cpuUs: quantile(samples.cpuUs, 0.5), wallUs: quantile(samples.wallUs, 0.5) });
  /** A round's figure for each side: its median invocation (a preemption or a GC pause is not the tracer's). */
  const run = async (config: CostConfig, copy: number, n: number) => {
    const samples = await workers.get(config)![copy].call<Record<'traced' | 'untraced', Samples>>('pairs', { n, token, twin });
    raw.get(config)!.push(samples);
    return { traced: medianOf(samples.traced), untraced: medianOf(samples.untraced) };
  };

  try {
    for (const copies of workers.values()) for (const worker of copies) await worker.call('stub-dynamodb', { recordings });
    options.log(`warm-up: ${options.warmup} pairs per process, ${options.copies} processes per configuration`);
    for (const config of TRACED_CONFIGS) for (let copy = 0; copy < options.copies; copy++) await run(config, copy, options.warmup);
    const before = new Map<CostConfig, number>();
    for (const config of TRACED_CONFIGS) before.set(config, await count(sinks[config]));
    for (let round = 0; round < options.rounds; round++) {
      // One process of each configuration per round, the copies in turn; the order rotates.
      const copy = round % options.copies;
      for (const sink of quiet) sink.pause();
      for (const config of rotate(TRACED_CONFIGS, Math.floor(round / options.copies))) rounds.get(config)!.push(await run(config, copy, options.batch));
      for (const sink of quiet) sink.resume();
      if ((round + 1) % Math.max(1, Math.floor(options.rounds / 4)) === 0 || round + 1 === options.rounds) {
        const recent = (c: CostConfig) => quantile(rounds.get(c)!.slice(-50).map((r) => r.traced.cpuUs - r.untraced.cpuUs), 0.5).toFixed(1);
        options.log(`round ${round + 1}/${options.rounds}: CPU µs added per invocation (median of the last 50 rounds) ${TRACED_CONFIGS.map((c) => `${c} ${recent(c)}`).join(', ')}`);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 200)); // the receivers read what the last round sent
    for (const config of TRACED_CONFIGS) {
      const sink = sinks[config];
      if (sink && (await count(sink)) - before.get(config)! === 0) throw new Error(`${config}: its backend received nothing; the configuration did not trace`);
    }
  } finally {
    await Promise.all([...workers.values()].flat().map((w) => w.stop()));
    await Promise.all([jaegerUdp, otlp, xray, peerJaeger].map((s) => s.close()));
    rmSync(twin, { recursive: true, force: true });
  }

  // "No tracing": the twins of every process, round by round.
  const twins = TRACED_CONFIGS.flatMap((c) => rounds.get(c)!.map((r) => r.untraced));
  const stats = {
    off: { cpu: spread(twins.map((r) => r.cpuUs)), wall: spread(twins.map((r) => r.wallUs)) },
    ...Object.fromEntries(
      TRACED_CONFIGS.map((config) => {
        const own = rounds.get(config)!;
        const s: CostStats = {
          cpu: spread(own.map((r) => r.traced.cpuUs)),
          wall: spread(own.map((r) => r.traced.wallUs)),
          addedCpu: spread(own.map((r) => r.traced.cpuUs - r.untraced.cpuUs)),
          addedWall: spread(own.map((r) => r.traced.wallUs - r.untraced.wallUs)),
          shareCpu: spread(own.map((r) => r.traced.cpuUs / r.untraced.cpuUs - 1)),
          shareWall: spread(own.map((r) => r.traced.wallUs / r.untraced.wallUs - 1)),
        };
        return [config, s];
      }),
    ),
  } as Record<CostConfig, CostStats>;
  if (process.env.BENCH_COST_RAW) (await import('node:fs')).writeFileSync(process.env.BENCH_COST_RAW, JSON.stringify(Object.fromEntries(raw)));
  return { stats, rounds: options.rounds, invocationsPerRound: options.batch };
}

async function count(sink: QuietUdpSink | HttpSink | undefined): Promise<number> {
  if (!sink) return 0;
  return 'requests' in sink ? sink.requests : sink.count();
}

const fmt = (s: Spread | undefined) => (s ? `${s.median.toFixed(1)} [${s.q1.toFixed(1)}–${s.q3.toFixed(1)}]` : '');

/** The in-process table: per configuration, CPU and wall time per invocation and what tracing adds, median [IQR]. */
export function costTable(results: CostResults): string {
  const header = ['whoami, in-process (µs per invocation, median [IQR] over rounds)', 'CPU', 'CPU added', 'wall', 'wall added', 'CPU added %', 'wall added %'];
  const pct = (s: Spread | undefined) => (s ? `${(s.median * 100).toFixed(1)} [${(s.q1 * 100).toFixed(1)}–${(s.q3 * 100).toFixed(1)}]` : '');
  const rows = COST_CONFIGS.map((c) => {
    const s = results.stats[c];
    return [COST_LABELS[c], fmt(s.cpu), fmt(s.addedCpu), fmt(s.wall), fmt(s.addedWall), pct(s.shareCpu), pct(s.shareWall)];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The full measurement's size (npm run bench uses the same); `--quick` checks that it runs at all. */
export const COST_SIZE = { rounds: 200, batch: 25, warmup: 1000, copies: 2 };
export const COST_SIZE_QUICK = { rounds: 6, batch: 10, warmup: 50, copies: 1 };

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { readFileSync, writeFileSync, existsSync } = await import('node:fs');
  const { startDatabase } = await import('../scripts/local-stack.js');
  const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const size = { ...(process.argv.includes('--quick') ? COST_SIZE_QUICK : COST_SIZE) };
  for (const key of Object.keys(size) as Array<keyof typeof size>) if (arg(key)) size[key] = Number(arg(key));
  const log = (line: string) => console.log(line);
  log(`machine: ${os.cpus()[0]?.model.trim()}, ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  // --recording=FILE keeps the recorded answer between runs (made once, against DynamoDB Local).
  const file = arg('recording');
  let recorded: RecordedWhoami;
  if (file && existsSync(file)) {
    recorded = JSON.parse(readFileSync(file, 'utf8')) as RecordedWhoami;
  } else {
    const db = await startDatabase({ DYNAMODB_TABLE_NAME: TABLE });
    try {
      recorded = await recordWhoami(db.endpoint);
    } finally {
      await db.stop();
    }
    if (file) writeFileSync(file, JSON.stringify(recorded));
  }
  const results = await runTracerCost({ recorded, ...size, log });
  console.log(`\n${costTable(results)}`);
  console.log(`\n${results.rounds} rounds of ${results.invocationsPerRound} invocations per configuration; load average after: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}
