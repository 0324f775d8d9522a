/**
 * Cold start: from spawning a fresh Node process to the first response of a bundled whoami, for
 *   bare          a bare Middy handler doing the same GetItem (bench/cold/bare.ts), no tracing
 *   ours          dist/functions/whoami.cjs as `npm run package` builds it, tracing to a Jaeger agent (UDP)
 *   ours-off      the same bundle with tracing off (TRACING_PROVIDER unset, the default)
 *   ours-otel     the same bundle tracing to an OTLP/HTTP collector
 *   powertools    the same whoami (our tracing off) in Powertools' captureLambdaHandler, X-Ray daemon (UDP)
 *   login-init    dist/functions/login-init.cjs, tracing to the Jaeger agent: a self-service function's cold start (its
 *                 identity schema, the sign-in methods' nodes), for the record; not compared with the peers
 *   otel-lambda   whoami (our tracing off) patched by instrumentation-aws-lambda loaded with `--require` as its
 *                 README shows (NODE_OPTIONS=--require lambda-wrapper), Jaeger agent (UDP). It cannot patch an
 *                 esbuild CommonJS bundle as is: esbuild defines `exports.handler` as a non-configurable getter
 *                 and shimmer fails with "Cannot redefine property: handler" (open-telemetry/opentelemetry-lambda
 *                 #1781). So its bundle is whoami.cjs plus the usual workaround, a footer that re-exports the
 *                 handler as a plain property.
 * Every bundle is built the way scripts/package.ts builds the functions and runs from one temporary folder
 * with no node_modules above it, as in a Lambda zip.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, cpSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { buildBundles, FUNCTION_BUNDLE_OPTIONS, LAMBDA_BUNDLE_OPTIONS, SDK_BUNDLE_FILE } from '../../scripts/package.js';
import { httpEvent, lambdaRuntimeEnv, xrayTraceHeader } from '../lib/lambda.js';
import { httpSink, udpSink } from '../lib/sinks.js';
import { median, rotate } from '../lib/stats.js';
import { ROOT, functionEnv } from '../lib/env.js';

export type ColdVariant = 'bare' | 'ours' | 'ours-off' | 'ours-otel' | 'powertools' | 'otel-lambda' | 'login-init';
export const COLD_VARIANTS: ColdVariant[] = ['bare', 'ours', 'ours-off', 'ours-otel', 'powertools', 'otel-lambda', 'login-init'];

export interface ColdStartResults {
  medianMs: Record<ColdVariant, number>;
  bundleBytes: Record<string, number>;
}

/** Bundled exactly as `npm run package` bundles a function (a function of ours: its tracing SDK apart). */
async function bundle(entry: string, outfile: string, footer?: string, options = LAMBDA_BUNDLE_OPTIONS): Promise<number> {
  await build({ ...options, footer: footer ? { js: footer } : undefined, entryPoints: [entry], outfile });
  return statSync(outfile).size;
}

/**
 * The instrumentation-aws-lambda peer exports with @opentelemetry/exporter-jaeger (OpenTelemetry JS's only Jaeger
 * UDP exporter), which bundles only as its users must ship it: not file-wide strict (its Thrift stack assigns to a
 * function's read-only `name`) and with jaeger-client's Thrift IDL files beside the bundle, read at load time.
 */
async function bundleJaegerPeer(entry: string, outfile: string): Promise<number> {
  await build({ ...LAMBDA_BUNDLE_OPTIONS, tsconfigRaw: { compilerOptions: { alwaysStrict: false } }, entryPoints: [entry], outfile });
  const jaegerClient = path.join(path.dirname(createRequire(import.meta.url).resolve('jaeger-client/package.json')), 'dist', 'src');
  for (const idl of ['jaeger-idl', 'thriftrw-idl']) cpSync(path.join(jaegerClient, idl), path.join(path.dirname(outfile), idl), { recursive: true });
  return statSync(outfile).size;
}

interface Run {
  args: string[];
  env: Record<string, string>;
}

/** Spawns one fresh process; resolves with the time to its first response, once it has exited. */
function coldRun(dir: string, run: Run): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, run.args, { cwd: dir, env: { PATH: process.env.PATH ?? '', ...run.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let elapsed: number | undefined;
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      elapsed ??= performance.now() - started;
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const status = /"statusCode":(\d+)/.exec(stdout)?.[1];
      if (code !== 0 || status !== '200' || elapsed === undefined) {
        reject(new Error(`cold start ${run.args.join(' ')} failed (exit ${code}, status ${status}):\n${stdout}\n${stderr}`));
      } else resolve(elapsed);
    });
  });
}

export async function runColdStart(options: { dynamoEndpoint: string; token: string; runs: number; log(line: string): void }): Promise<ColdStartResults> {
  const built = await buildBundles(['whoami', 'login-init']);
  const whoami = built.find((b) => b.name === 'whoami')!;
  const sdk = built.find((b) => `${b.name}.cjs` === SDK_BUNDLE_FILE)!;
  const dir = mkdtempSync(path.join(tmpdir(), 'kratos-bench-cold-'));
  const jaeger = await udpSink();
  const otlp = await httpSink('/v1/traces', 200);
  const xray = await udpSink();
  const peerJaeger = await udpSink();
  try {
    // whoami.cjs and the files apart beside it (the SDK's, and the OTLP exporter's for ours-otel), as in its zip.
    for (const file of built) copyFileSync(file.file, path.join(dir, path.basename(file.file)));
    copyFileSync(path.join(ROOT, 'bench', 'cold', 'harness.cjs'), path.join(dir, 'harness.cjs'));
    const bundleBytes: Record<string, number> = {
      whoami: whoami.bytes,
      [sdk.name]: sdk.bytes,
      bare: await bundle(path.join(ROOT, 'bench', 'cold', 'bare.ts'), path.join(dir, 'bare.cjs')),
      // whoami.cjs with the handler re-exported as a plain property, which instrumentation-aws-lambda can patch.
      'whoami-mutable-exports': await bundle(path.join(ROOT, 'functions', 'whoami.ts'), path.join(dir, 'whoami-otel.cjs'), 'module.exports = { ...module.exports };', FUNCTION_BUNDLE_OPTIONS),
      powertools: await bundle(path.join(ROOT, 'bench', 'peers', 'powertools.ts'), path.join(dir, 'powertools.cjs')),
      'otel-lambda-init': await bundleJaegerPeer(path.join(ROOT, 'bench', 'peers', 'otel-lambda-init.ts'), path.join(dir, 'otel-lambda-init.cjs')),
    };
    options.log(`bundles (bytes): ${Object.entries(bundleBytes).map(([k, v]) => `${k} ${v}`).join(', ')}`);

    const event = JSON.stringify(httpEvent('GET', '/sessions/whoami', { headers: { 'x-session-token': options.token } }));
    const loginEvent = JSON.stringify(httpEvent('GET', '/self-service/login/api'));
    const base = { ...functionEnv(options.dynamoEndpoint), ...lambdaRuntimeEnv(dir, 'whoami') };
    const harness = (bundleFile: string) => [path.join(dir, 'harness.cjs'), path.join(dir, bundleFile), event];
    const runs: Record<ColdVariant, () => Run> = {
      bare: () => ({ args: harness('bare.cjs'), env: base }),
      ours: () => ({ args: harness('whoami.cjs'), env: { ...base, TRACING_PROVIDER: 'jaeger', TRACING_PROVIDERS_JAEGER_LOCAL_AGENT_ADDRESS: `127.0.0.1:${jaeger.port}` } }),
      'ours-off': () => ({ args: harness('whoami.cjs'), env: base }),
      'login-init': () => ({
        args: [path.join(dir, 'harness.cjs'), path.join(dir, 'login-init.cjs'), loginEvent],
        env: { ...base, ...lambdaRuntimeEnv(dir, 'login-init'), TRACING_PROVIDER: 'jaeger', TRACING_PROVIDERS_JAEGER_LOCAL_AGENT_ADDRESS: `127.0.0.1:${jaeger.port}` },
      }),
      'ours-otel': () => ({ args: harness('whoami.cjs'), env: { ...base, TRACING_PROVIDER: 'otel', TRACING_PROVIDERS_OTLP_SERVER_URL: `127.0.0.1:${otlp.port}`, TRACING_PROVIDERS_OTLP_INSECURE: 'true' } }),
      powertools: () => ({
        args: harness('powertools.cjs'),
        env: { ...base, AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${xray.port}`, AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR', POWERTOOLS_SERVICE_NAME: 'kratos', _X_AMZN_TRACE_ID: xrayTraceHeader() },
      }),
      'otel-lambda': () => ({
        args: ['--require', path.join(dir, 'otel-lambda-init.cjs'), ...harness('whoami-otel.cjs')],
        env: { ...base, ...lambdaRuntimeEnv(dir, 'whoami-otel'), OTEL_EXPORTER_JAEGER_AGENT_HOST: '127.0.0.1', OTEL_EXPORTER_JAEGER_AGENT_PORT: String(peerJaeger.port) },
      }),
    };

    const WARMUP = 2; // the first runs also warm the page cache with the bundles
    const samples = Object.fromEntries(COLD_VARIANTS.map((v) => [v, [] as number[]])) as Record<ColdVariant, number[]>;
    for (let i = 0; i < options.runs + WARMUP; i++) {
      for (const variant of rotate(COLD_VARIANTS, i)) {
        const ms = await coldRun(dir, runs[variant]());
        if (i >= WARMUP) samples[variant].push(ms);
      }
    }
    for (const [variant, sink] of [['ours', jaeger], ['powertools', xray], ['otel-lambda', peerJaeger]] as const) {
      if (sink.datagrams === 0) throw new Error(`cold start: ${variant} exported nothing`);
    }
    if (otlp.requests === 0) throw new Error('cold start: ours-otel exported nothing');
    return { medianMs: Object.fromEntries(COLD_VARIANTS.map((v) => [v, median(samples[v])])) as Record<ColdVariant, number>, bundleBytes };
  } finally {
    await Promise.all([jaeger, otlp, xray, peerJaeger].map((sink) => sink.close()));
    rmSync(dir, { recursive: true, force: true });
  }
}
