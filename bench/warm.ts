/**
 * Warm invocations, in-process: whoami and login init under each tracing configuration, the two peers on
 * whoami, and the flush cost of unreachable backends. Every configuration runs in three worker processes of its
 * own: a process alone carries a bias of its own (its connection to DynamoDB Local, where its JIT settled), as
 * large as ±0.08 ms here between identical configurations, which three processes average out. The workers take
 * turns (only one runs at a time, the machine has two cores and DynamoDB Local needs one), in rounds whose order
 * rotates, so slow phases of a noisy machine spread over all configurations. Ratios are taken within a round and
 * the median of the rounds' ratios is reported.
 */
import path from 'node:path';
import { lambdaRuntimeEnv } from './lib/lambda.js';
import { hangingServer, httpSink, udpSink, unusedUdpPort, type HttpSink, type UdpSink } from './lib/sinks.js';
import { median, p99, max, rotate } from './lib/stats.js';
import { Worker } from './lib/workers.js';
import { DIST, PASSWORD, WORKER, functionEnv } from './lib/env.js';
import { freePort } from '../scripts/dynamodb-local.js';

export type BenchHandler = 'whoami' | 'login-init';

export interface WarmOptions {
  dynamoEndpoint: string;
  rounds: number;
  /** Invocations per configuration and handler in each round. */
  batch: number;
  /** Invocations before the first round, per configuration and handler (JIT, connections, DynamoDB Local). */
  warmup: number;
  /** Invocations against a collector that never answers (each one waits for the flush timeout). */
  hangingInvocations: number;
  log(line: string): void;
}

interface Config {
  name: string;
  handlers: BenchHandler[];
  env: Record<string, string>;
  /** What must have received something once the runs are over (proves the configuration really exported). */
  sink?: UdpSink | HttpSink;
}

export interface WarmStats {
  medianMs: number;
  p99Ms: number;
  /** Median over rounds of (this configuration's median / untraced median) in the same round. */
  ratio: number;
  /** Median over rounds of (this configuration's median - untraced median), ms. */
  addedMs: number;
  /** Exports the backend received per invocation (datagrams or requests), when there is a live backend. */
  exportsPerInvocation?: number;
}

export interface WarmResults {
  stats: Record<string, Partial<Record<BenchHandler, WarmStats>>>;
  /** Median over rounds of (a - b) medians, ms, for the flush-cost pairs. */
  flush: { udpDeadMs: number; httpClosedMs: number; httpHangingMedianMs: number; httpHangingMaxMs: number; flushTimeoutMs: number };
}

const FLUSH_TIMEOUT_MS = 500; // TRACING_FLUSH_TIMEOUT's default, which these runs leave unset
/** Worker processes per configuration. */
const COPIES = 3;

export async function runWarm(options: WarmOptions): Promise<WarmResults> {
  const jaegerUdp = await udpSink();
  const otlp = await httpSink('/v1/traces', 200);
  const xray = await udpSink();
  const peerJaegerUdp = await udpSink();
  const collector = await httpSink('/api/traces', 202);
  const hanging = await hangingServer();
  const deadUdpPort = await unusedUdpPort();
  const closedTcpPort = await freePort();

  const jaeger = { TRACING_PROVIDER: 'jaeger' };
  const configs: Config[] = [
    { name: 'off', handlers: ['whoami', 'login-init'], env: {} },
    {
      name: 'jaeger',
      handlers: ['whoami', 'login-init'],
      env: { ...jaeger, TRACING_PROVIDERS_JAEGER_LOCAL_AGENT_ADDRESS: `127.0.0.1:${jaegerUdp.port}` },
      sink: jaegerUdp,
    },
    {
      name: 'otel',
      handlers: ['whoami', 'login-init'],
      env: { TRACING_PROVIDER: 'otel', TRACING_PROVIDERS_OTLP_SERVER_URL: `127.0.0.1:${otlp.port}`, TRACING_PROVIDERS_OTLP_INSECURE: 'true' },
      sink: otlp,
    },
    {
      name: 'powertools',
      handlers: ['whoami'],
      env: {
        BENCH_VARIANT: 'powertools',
        AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${xray.port}`,
        AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
        POWERTOOLS_SERVICE_NAME: 'kratos',
      },
      sink: xray,
    },
    {
      name: 'otel-lambda',
      handlers: ['whoami'],
      env: { BENCH_VARIANT: 'otel-lambda', OTEL_EXPORTER_JAEGER_AGENT_HOST: '127.0.0.1', OTEL_EXPORTER_JAEGER_AGENT_PORT: String(peerJaegerUdp.port) },
      sink: peerJaegerUdp,
    },
    {
      // Head-sampled out (ratio 0, X-Ray not sampling either) and successful: the tail decision records, keeps nothing.
      name: 'jaeger-sampled-out',
      handlers: ['whoami'],
      env: { ...jaeger, TRACING_PROVIDERS_JAEGER_LOCAL_AGENT_ADDRESS: `127.0.0.1:${jaegerUdp.port}`, TRACING_PROVIDERS_JAEGER_SAMPLING_TRACE_ID_RATIO: '0', BENCH_XRAY_SAMPLED: '0' },
    },
    { name: 'jaeger-udp-dead', handlers: ['whoami'], env: { ...jaeger, TRACING_PROVIDERS_JAEGER_LOCAL_AGENT_ADDRESS: `127.0.0.1:${deadUdpPort}` } },
    { name: 'jaeger-http', handlers: ['whoami'], env: { ...jaeger, TRACING_PROVIDERS_JAEGER_COLLECTOR_ENDPOINT: collector.url }, sink: collector },
    {
      name: 'jaeger-http-closed',
      handlers: ['whoami'],
      env: { ...jaeger, TRACING_PROVIDERS_JAEGER_COLLECTOR_ENDPOINT: `http://127.0.0.1:${closedTcpPort}/api/traces` },
    },
  ];
  const hangingConfig: Config = {
    name: 'jaeger-http-hanging',
    handlers: ['whoami'],
    env: { ...jaeger, TRACING_PROVIDERS_JAEGER_COLLECTOR_ENDPOINT: `http://127.0.0.1:${hanging.port}/api/traces` },
  };

  const baseEnv = { ...functionEnv(options.dynamoEndpoint), ...lambdaRuntimeEnv(path.join(DIST, 'functions'), 'whoami') };
  const workers = new Map<string, Worker[]>();
  for (const config of configs) {
    workers.set(
      config.name,
      Array.from({ length: COPIES }, (_, i) => new Worker({ name: `${config.name}-${i}`, script: WORKER, env: { ...baseEnv, ...config.env } })),
    );
  }
  workers.set(hangingConfig.name, [new Worker({ name: hangingConfig.name, script: WORKER, env: { ...baseEnv, ...hangingConfig.env } })]);
  const samples = new Map<string, number[][]>(); // `${config}/${handler}` -> one array per round
  /** `n` invocations spread over the configuration's worker processes, one after the other. */
  const bench = async (config: Config, handler: BenchHandler, n: number, token: string) => {
    const copies = workers.get(config.name)!;
    const out: number[] = [];
    for (const worker of copies) out.push(...(await worker.call<number[]>('bench', { handler, n: Math.ceil(n / copies.length), token })));
    return out;
  };

  try {
    // Steady state, as a long-lived Lambda instance sees it: DynamoDB Local first (see seed), then each worker, long
    // enough for its JIT (and, for the instrumentation-aws-lambda peer, for what only an unbundled run pays: its
    // Jaeger exporter encodes ids with the deprecated Buffer(), and Node captures a stack for each of the first
    // 10,000 such calls to see whether it comes from node_modules).
    options.log(`warm-up: DynamoDB Local, then ${options.warmup} invocations per configuration and handler`);
    const token = await seed(baseEnv, options.warmup * 3);
    for (const config of configs) for (const handler of config.handlers) await bench(config, handler, options.warmup * COPIES, token);
    const exportedBefore = new Map(configs.map((c) => [c.name, count(c.sink)]));

    for (let round = 0; round < options.rounds; round++) {
      const handlerOrder: BenchHandler[] = round % 2 ? ['login-init', 'whoami'] : ['whoami', 'login-init'];
      for (const handler of handlerOrder) {
        for (const config of rotate(configs, round).filter((c) => c.handlers.includes(handler))) {
          const key = `${config.name}/${handler}`;
          samples.set(key, [...(samples.get(key) ?? []), await bench(config, handler, options.batch, token)]);
        }
      }
      options.log(`round ${round + 1}/${options.rounds}: whoami medians ${configs.map((c) => `${c.name} ${median(samples.get(`${c.name}/whoami`)!.at(-1)!).toFixed(3)}`).join(', ')} ms`);
    }

    const stats: WarmResults['stats'] = {};
    for (const config of configs) {
      for (const handler of config.handlers) {
        const rounds = samples.get(`${config.name}/${handler}`)!;
        const base = samples.get(`off/${handler}`)!;
        const invocations = rounds.length * options.batch;
        (stats[config.name] ??= {})[handler] = {
          medianMs: median(rounds.map(median)),
          p99Ms: p99(rounds.flat()),
          ratio: median(rounds.map((r, i) => median(r) / median(base[i]))),
          addedMs: median(rounds.map((r, i) => median(r) - median(base[i]))),
        };
        if (config.sink) {
          // Exports of this configuration's measured invocations (both handlers share the sink).
          const exported = count(config.sink) - exportedBefore.get(config.name)!;
          const perInvocation = exported / (invocations * config.handlers.length);
          if (!(perInvocation > 0)) throw new Error(`${config.name}: its backend received nothing; the configuration did not trace`);
          stats[config.name]![handler]!.exportsPerInvocation = perInvocation;
          if (handler === 'whoami') options.log(`${config.name}: ${perInvocation.toFixed(2)} datagrams or requests exported per invocation`);
        }
      }
    }

    const pairDelta = (a: string, b: string) => {
      const ra = samples.get(`${a}/whoami`)!;
      const rb = samples.get(`${b}/whoami`)!;
      return median(ra.map((r, i) => median(r) - median(rb[i])));
    };
    // A collector that never answers: every flush waits for the timeout, so a few invocations are enough.
    options.log(`collector that never answers: ${options.hangingInvocations} invocations`);
    const liveHttp = stats['jaeger-http']!.whoami!.medianMs;
    const hangingSamples = await bench(hangingConfig, 'whoami', options.hangingInvocations, token);
    return {
      stats,
      flush: {
        udpDeadMs: pairDelta('jaeger-udp-dead', 'jaeger'),
        httpClosedMs: pairDelta('jaeger-http-closed', 'jaeger-http'),
        httpHangingMedianMs: median(hangingSamples) - liveHttp,
        httpHangingMaxMs: max(hangingSamples) - liveHttp,
        flushTimeoutMs: FLUSH_TIMEOUT_MS,
      },
    };
  } finally {
    await Promise.all([...workers.values()].flat().map((w) => w.stop()));
    await Promise.all([jaegerUdp, otlp, xray, peerJaegerUdp, collector, hanging].map((s) => s.close()));
  }
}

/**
 * Registers the identity whose session whoami reads, and warms DynamoDB Local (Java keeps getting faster for
 * thousands of requests), in a worker of its own: no measured worker gets more warm-up than another.
 */
async function seed(env: Record<string, string>, invocations: number): Promise<string> {
  const seeder = new Worker({ name: 'seed', script: WORKER, env });
  try {
    const { token } = await seeder.call<{ token: string }>('register', { email: `bench-warm-${Date.now()}@example.com`, password: PASSWORD });
    await seeder.call('bench', { handler: 'whoami', n: invocations, token });
    return token;
  } finally {
    await seeder.stop();
  }
}

function count(sink: UdpSink | HttpSink | undefined): number {
  if (!sink) return 0;
  return 'datagrams' in sink ? sink.datagrams : sink.requests;
}
