/**
 * `npm run bench`: the performance benchmarks (not tests). Starts its own DynamoDB Local, runs each
 * benchmark, prints a table and writes bench/results.json: one `{ name, unit, value, target, met }` per
 * measurement (`met` is null for informational ones). `node dist/bench/run.js --quick` runs a few
 * invocations of everything, to check the benchmarks themselves; its numbers mean little.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDatabase } from '../scripts/local-stack.js';
import { runColdStart } from './cold/cold-start.js';
import { runExporterEncode } from './exporter-encode.js';
import { runImportRate } from './import-rate.js';
import { runJsonnet } from './jsonnet.js';
import { lambdaRuntimeEnv } from './lib/lambda.js';
import { round } from './lib/stats.js';
import { Worker } from './lib/workers.js';
import { DIST, PASSWORD, ROOT, TABLE, WORKER, functionEnv } from './lib/env.js';
import { runLocalBurst } from './local-burst.js';
import { runLoginFloor } from './login-floor.js';
import { runRecoveryTiming } from './recovery-timing.js';
import { runOidcRoundTrips, runRoundTrips } from './round-trips.js';
import { runTokenize, TOKENIZE_CONFIGS } from './tokenize.js';
import { runAuthorizerPath } from './jwt-authorizer.js';
import { COST_LABELS, COST_SIZE, COST_SIZE_QUICK, costTable, recordWhoami, runTracerCost, type Spread } from './tracer-cost.js';
import { runWarm } from './warm.js';

interface Result {
  name: string;
  unit: string;
  value: number | null;
  target: string;
  met: boolean | null;
  /** The interquartile range, for the in-process figures (median over rounds). */
  iqr?: string;
}

const quick = process.argv.includes('--quick');
const SIZE = quick
  ? { rounds: 2, batch: 50, warmup: 50, hanging: 3, coldRuns: 3, floor: 3, encode: 200, recovery: 10, jsonnet: 500, tokenize: { rounds: 2, batch: 20, warmup: 20 }, imported: 500 }
  : { rounds: 16, batch: 200, warmup: 1000, hanging: 10, coldRuns: 60, floor: 20, encode: 2000, recovery: 200, jsonnet: 20_000, tokenize: { rounds: 8, batch: 100, warmup: 300 }, imported: 10_000 };

const results: Result[] = [];
const info = (name: string, unit: string, value: number | null, digits = 3) =>
  results.push({ name, unit, value: value === null ? null : round(value, digits), target: 'info', met: null });
const atMost = (name: string, unit: string, value: number, limit: number, digits = 3, label = `<= ${limit}`) =>
  results.push({ name, unit, value: round(value, digits), target: label, met: value <= limit });
/** A median over rounds, with its interquartile range. */
const spread = (name: string, unit: string, value: Spread | undefined, digits = 1) =>
  value && results.push({ name, unit, value: round(value.median, digits), target: 'info', met: null, iqr: `${round(value.q1, digits)}–${round(value.q3, digits)}` });
const below = (name: string, unit: string, value: number, limit: number, digits = 3) =>
  results.push({ name, unit, value: round(value, digits), target: `< ${limit}`, met: value < limit });

const started = performance.now();
const log = (line: string) => console.log(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);

function machine(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${cpus.length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}, Node ${process.version}`;
}

/** Other work on the machine (a test suite, a build) skews every number here: say so up front. */
async function warnIfBusy(): Promise<void> {
  const idle = () => os.cpus().reduce((sum, cpu) => ({ idle: sum.idle + cpu.times.idle, all: sum.all + Object.values(cpu.times).reduce((a, b) => a + b, 0) }), { idle: 0, all: 0 });
  const before = idle();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const after = idle();
  const busy = 1 - (after.idle - before.idle) / (after.all - before.all);
  if (busy > 0.2) log(`warning: the CPUs were ${(busy * 100).toFixed(0)}% busy before the start; other processes will skew the results`);
}

async function registerIdentity(dynamoEndpoint: string): Promise<string> {
  const worker = new Worker({ name: 'register', script: WORKER, env: { ...functionEnv(dynamoEndpoint), ...lambdaRuntimeEnv(path.join(DIST, 'functions'), 'whoami') } });
  try {
    return (await worker.call<{ token: string }>('register', { email: `bench-cold-${Date.now()}@example.com`, password: PASSWORD })).token;
  } finally {
    await worker.stop();
  }
}

async function main(): Promise<void> {
  log(`machine: ${machine()}${quick ? ' (quick run: too few samples to mean much)' : ''}`);
  await warnIfBusy();
  log('starting DynamoDB Local');
  const db = await startDatabase({ DYNAMODB_TABLE_NAME: TABLE });
  try {
    // 5. Round trips first: quick, and it checks that every endpoint answers before anything is timed.
    log('DynamoDB round trips per endpoint');
    // Login throttling (on by default) reserves each attempt (one call more per login) and counts a failure against
    // the client (one more on a failed one); off, none.
    const trips = await runRoundTrips(db.endpoint);
    const tripsUnthrottled = await runRoundTrips(db.endpoint, { SELFSERVICE_FLOWS_LOGIN_THROTTLE_MAX_ATTEMPTS: '0', SELFSERVICE_FLOWS_LOGIN_THROTTLE_PER_IP_MAX_ATTEMPTS: '0' });
    for (const [endpoint, count] of Object.entries(tripsUnthrottled)) if (endpoint.startsWith('login submit')) trips[`${endpoint}, throttling off`] = count;
    const tripTargets: Record<string, number> = {
      whoami: 1,
      'login submit': 3,
      'login submit (wrong password)': 3,
      'login submit (unknown identifier)': 3,
      'login submit, throttling off': 2,
      'login submit (wrong password), throttling off': 1,
      'login submit (unknown identifier), throttling off': 1,
      'registration submit': 2,
    };

    log('social sign-in: round trips of a browser through a real OpenID provider');
    const oidcTrips = await runOidcRoundTrips(db.endpoint);

    // 1. What each tracer adds, in-process (bench/tracer-cost.ts).
    const costSize = quick ? COST_SIZE_QUICK : COST_SIZE;
    log(`in-process tracer cost: ${costSize.rounds} rounds of ${costSize.batch} whoami invocations per configuration, ${costSize.copies} processes each`);
    const cost = await runTracerCost({ recorded: await recordWhoami(db.endpoint), ...costSize, log });
    log(`in-process tracer cost, µs per invocation:\n${costTable(cost)}`);

    // 1, 2, 6. Warm invocations.
    log(`warm invocations: ${SIZE.rounds} rounds of ${SIZE.batch} per configuration and handler`);
    const warm = await runWarm({ dynamoEndpoint: db.endpoint, rounds: SIZE.rounds, batch: SIZE.batch, warmup: SIZE.warmup, hangingInvocations: SIZE.hanging, log });

    log(`Jaeger exporter encoding: ${SIZE.encode} whoami and login traces`);
    const encode = await runExporterEncode(SIZE.encode);

    log(`recovery submit, known and unknown address: ${SIZE.recovery} each`);
    const recovery = await runRecoveryTiming(db.endpoint, SIZE.recovery);

    log(`Jsonnet claims mapper: ${SIZE.jsonnet} warm evaluations, and the evaluator's bundle`);
    const jsonnet = await runJsonnet(SIZE.jsonnet, SIZE.jsonnet / 4);

    log(`whoami with tokenize_as: ${SIZE.tokenize.rounds} rounds of ${SIZE.tokenize.batch} per configuration`);
    const tokenize = await runTokenize(db.endpoint, SIZE.tokenize);

    log('the JWT authorizer path: a session JWT on the example route behind API Gateway\'s JWT authorizer');
    const authorizer = await runAuthorizerPath(db.endpoint, quick ? 10 : 50);

    log(`import: ${SIZE.imported} identities with bcrypt hashes through npm run import and PATCH /admin/identities`);
    const imported = await runImportRate(db.endpoint, SIZE.imported);
    log(`import: ${imported.created} created in ${imported.seconds.toFixed(1)} s, ${imported.perSecond.toFixed(0)} identities/s`);

    // 4. Login floor.
    log(`login at bcrypt cost 12: ${SIZE.floor} logins and compares`);
    const floor = await runLoginFloor(db.endpoint, SIZE.floor);

    // 3. Cold start.
    log(`cold start: ${SIZE.coldRuns} fresh processes per variant`);
    const cold = await runColdStart({ dynamoEndpoint: db.endpoint, token: await registerIdentity(db.endpoint), runs: SIZE.coldRuns, log });

    log('npm start locally: first requests on a fresh stack, and a cold burst of 30 registrations');
    const local = await runLocalBurst(db.endpoint);

    // The table, in the issue's order.
    const c = cost.stats;
    spread('in-process whoami, no tracing: CPU', 'us', c.off.cpu);
    spread('in-process whoami, no tracing: wall', 'us', c.off.wall);
    for (const config of ['jaeger', 'otel', 'sampled-out', 'powertools', 'otel-lambda'] as const) {
      spread(`in-process whoami added CPU: ${COST_LABELS[config]}`, 'us', c[config].addedCpu);
      spread(`in-process whoami added wall: ${COST_LABELS[config]}`, 'us', c[config].addedWall);
      info(`in-process whoami added CPU, share of untraced: ${COST_LABELS[config]}`, 'ratio', c[config].shareCpu!.median);
      info(`in-process whoami added wall, share of untraced: ${COST_LABELS[config]}`, 'ratio', c[config].shareWall!.median);
    }
    for (const measure of ['shareCpu', 'shareWall'] as const) {
      const what = measure === 'shareCpu' ? 'CPU' : 'wall';
      for (const peer of ['powertools', 'otel-lambda'] as const) info(`in-process added ${what} as a share: ours (jaeger) / ${COST_LABELS[peer]}`, 'ratio', c.jaeger[measure]!.median / c[peer][measure]!.median);
    }
    for (const measure of ['addedCpu', 'addedWall'] as const) {
      const what = measure === 'addedCpu' ? 'CPU' : 'wall';
      const oursAdded = c.jaeger[measure]!.median;
      for (const peer of ['powertools', 'otel-lambda'] as const) info(`in-process added ${what}: ours (jaeger) / ${COST_LABELS[peer]}`, 'ratio', oursAdded / c[peer][measure]!.median);
      atMost(`in-process added ${what}: ours (jaeger) / the better peer`, 'ratio', oursAdded / Math.min(c.powertools[measure]!.median, c['otel-lambda'][measure]!.median), 0.5);
    }
    const s = warm.stats;
    for (const handler of ['whoami', 'login-init'] as const) {
      for (const config of ['off', 'jaeger', 'otel'] as const) {
        const label = config === 'off' ? 'untraced' : config === 'jaeger' ? 'jaeger UDP' : 'otel OTLP/HTTP';
        info(`warm ${handler} ${label} median`, 'ms', s[config]![handler]!.medianMs);
        info(`warm ${handler} ${label} p99`, 'ms', s[config]![handler]!.p99Ms);
      }
      atMost(`warm ${handler} overhead jaeger (traced/untraced)`, 'ratio', s.jaeger![handler]!.ratio, 1.05);
      atMost(`warm ${handler} overhead otel (traced/untraced)`, 'ratio', s.otel![handler]!.ratio, 1.05);
    }
    const ours = s.jaeger!.whoami!;
    const peerAdded: number[] = [];
    for (const [config, label] of [['powertools', 'Powertools Tracer (X-Ray UDP)'], ['otel-lambda', 'instrumentation-aws-lambda (Jaeger UDP)']] as const) {
      const peer = s[config]!.whoami!;
      info(`peer whoami ${label} median`, 'ms', peer.medianMs);
      info(`peer whoami ${label} overhead (traced/untraced)`, 'ratio', peer.ratio);
      info(`peer whoami ${label} added`, 'ms', peer.addedMs);
      below(`whoami overhead: ours (jaeger) / ${label}`, 'ratio', ours.ratio / peer.ratio, 1);
      peerAdded.push(peer.addedMs);
    }
    info('whoami added by our tracing (jaeger UDP)', 'ms', ours.addedMs);
    // End to end against DynamoDB Local: what a user sees, but the machine moves it more than the tracers do; the
    // target is held on the in-process measure above.
    info('whoami added: ours (jaeger) / the better peer (end to end, noisy)', 'ratio', ours.addedMs / Math.min(...peerAdded));
    const sampledOut = s['jaeger-sampled-out']!.whoami!;
    info('warm whoami sampled out, tail decisions on: median', 'ms', sampledOut.medianMs);
    info('warm whoami sampled out, tail decisions on: added vs untraced', 'ms', sampledOut.addedMs);
    info('Jaeger exporter encoding, Thrift compact, per span', 'us', encode.compactUsPerSpan, 2);
    info('Jaeger exporter encoding, Thrift binary, per span', 'us', encode.binaryUsPerSpan, 2);
    info('Jaeger exporter, Thrift compact bytes per span', 'bytes', encode.bytesPerSpan, 0);

    info('cold start whoami bare Middy + GetItem', 'ms', cold.medianMs.bare, 1);
    info('cold start whoami ours (jaeger UDP)', 'ms', cold.medianMs.ours, 1);
    info('cold start whoami ours (tracing off)', 'ms', cold.medianMs['ours-off'], 1);
    info('cold start whoami ours (otel OTLP/HTTP)', 'ms', cold.medianMs['ours-otel'], 1);
    info('cold start whoami Powertools Tracer', 'ms', cold.medianMs.powertools, 1);
    info('cold start whoami instrumentation-aws-lambda', 'ms', cold.medianMs['otel-lambda'], 1);
    info('cold start login-init ours (jaeger UDP)', 'ms', cold.medianMs['login-init'], 1);
    atMost('cold start ours / bare', 'ratio', cold.medianMs.ours / cold.medianMs.bare, 1.25);
    below('cold start ours (jaeger) / Powertools Tracer', 'ratio', cold.medianMs.ours / cold.medianMs.powertools, 1);
    below('cold start ours (jaeger) / instrumentation-aws-lambda', 'ratio', cold.medianMs.ours / cold.medianMs['otel-lambda'], 1);
    atMost('whoami bundle size', 'KiB', cold.bundleBytes.whoami / 1024, 600, 1);

    info('local (npm start) first request to a function, new worker: median', 'ms', local.coldFirstRequestMs.median, 1);
    info('local (npm start) first request to a function, new worker: slowest', 'ms', local.coldFirstRequestMs.max, 1);
    info('local (npm start) request to a warm worker: median', 'ms', local.warmRequestMs, 1);
    info('local cold burst, 30 concurrent registrations (cost 12): slowest answer', 'ms', local.burst.slowestMs, 0);
    info('local cold burst, 30 concurrent registrations (cost 12): all answered after', 'ms', local.burst.wallMs, 0);
    atMost('local cold burst, 30 concurrent registrations: answers other than one 200 and 29 × 400', 'answers', 30 - (local.burst.statuses[200] === 1 ? 1 : 0) - (local.burst.statuses[400] ?? 0), 0, 0);
    atMost('local cold burst, 30 concurrent registrations: 5xx answers', 'answers', Object.entries(local.burst.statuses).filter(([s]) => Number(s) >= 500).reduce((n, [, c]) => n + c, 0), 0, 0);

    info('recovery submit (known address) median', 'ms', recovery.knownMs, 2);
    info('recovery submit (unknown address) median', 'ms', recovery.unknownMs, 2);
    atMost('recovery submit, unknown vs known address: difference / known', 'ratio', Math.abs(recovery.unknownMs - recovery.knownMs) / recovery.knownMs, 0.1);
    below('Jsonnet claims mapper, warm evaluation median', 'us', jsonnet.warmMedianUs, 1000, 1);
    info('Jsonnet claims mapper, warm evaluation p99', 'us', jsonnet.warmP99Us, 1);
    atMost('lib/jsonnet bundle size (minified)', 'KiB', jsonnet.bundleKiB, 120, 1);
    for (const config of TOKENIZE_CONFIGS) {
      const label = config === 'whoami' ? 'warm whoami, untraced (tokenize bench)' : `warm whoami?tokenize_as=${config.slice('whoami:'.length)}`;
      info(`${label} median`, 'ms', tokenize.medianMs[config]);
      if (config !== 'whoami') info(`${label} added vs plain whoami`, 'ms', tokenize.addedMs[config]);
    }
    atMost(`JWT authorizer path: answers other than 200 of ${authorizer.requests} requests to the example route`, 'answers', authorizer.requests - authorizer.ok, 0, 0);
    atMost(`JWT authorizer path: invocations of our functions for ${authorizer.requests} requests`, 'invocations', authorizer.ourInvocations, 0, 0);
    info('JWT authorizer path: the same count for whoami calls (the control, one each)', 'invocations', authorizer.controlInvocations, 0);
    info(`import rate, ${imported.identities} identities, 1,000 a batch (npm start stack, DynamoDB Local)`, 'identities/s', imported.perSecond, 0);
    atMost('import: identities not created', 'identities', imported.identities - imported.created, 0, 0);
    info('login submit at cost 12 median', 'ms', floor.loginMs, 1);
    info('bcryptjs compare at cost 12 median', 'ms', floor.bcryptjsMs, 1);
    atMost('login submit / bcryptjs compare (cost 12)', 'ratio', floor.loginMs / floor.bcryptjsMs, 1.1);
    info(`native bcrypt compare at cost 12 median${floor.nativeError ? ` (unavailable: ${floor.nativeError})` : ''}`, 'ms', floor.nativeMs ?? null, 1);
    info('bcryptjs / native bcrypt compare (cost 12)', 'ratio', floor.nativeMs ? floor.bcryptjsMs / floor.nativeMs : null);

    for (const [endpoint, count] of Object.entries(trips)) {
      const name = `DynamoDB round trips ${endpoint}`;
      if (tripTargets[endpoint] === undefined) info(name, 'calls', count, 0);
      else atMost(name, 'calls', count, tripTargets[endpoint], 0);
    }
    for (const [step, count] of Object.entries(oidcTrips)) {
      info(`DynamoDB round trips ${step}`, 'calls', count.dynamodb, 0);
      info(`provider HTTP calls ${step}`, 'calls', count.provider, 0);
    }

    const f = warm.flush;
    atMost('flush, Jaeger agent unreachable (UDP): added vs reachable', 'ms', f.udpDeadMs, 0.1);
    atMost('flush, collector port closed (HTTP): added vs reachable', 'ms', f.httpClosedMs, f.flushTimeoutMs, 3);
    // The bound is the flush timeout; 5% on top leaves room for the timer firing late on a loaded machine.
    const slack = f.flushTimeoutMs * 1.05;
    atMost('flush, collector never answers (HTTP): added median', 'ms', f.httpHangingMedianMs, slack, 1, `<= ${slack} (timeout ${f.flushTimeoutMs} + 5%)`);
    info('flush, collector never answers (HTTP): added max', 'ms', f.httpHangingMaxMs, 1);
  } finally {
    await db.stop();
  }

  writeFileSync(path.join(ROOT, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  printTable();
  console.log(`\nmachine: ${machine()}`);
  console.log(`total: ${((performance.now() - started) / 1000).toFixed(0)} s; results in bench/results.json`);
}

function printTable(): void {
  const rows = results.map((r) => [r.name, r.value === null ? 'n/a' : String(r.value), r.iqr ?? '', r.unit, r.target, r.met === null ? '' : r.met ? 'yes' : 'NO']);
  const header = ['measurement', 'value', 'IQR', 'unit', 'target', 'met'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 1 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  console.log(`\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const row of rows) console.log(line(row));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
