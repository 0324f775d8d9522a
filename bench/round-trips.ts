/**
 * DynamoDB round trips per endpoint, counted from what the tracing exports: every DynamoDB call is a
 * `DynamoDB.<Operation>` span (lib/tracing/aws-sdk.ts, around all of the SDK's retries). One worker traces
 * to a Zipkin receiver (JSON, so counting needs no decoder) and calls each endpoint once.
 */
import { lambdaRuntimeEnv } from './lib/lambda.js';
import { httpSink } from './lib/sinks.js';
import { Worker } from './lib/workers.js';
import { DIST, PASSWORD, WORKER, functionEnv } from './lib/env.js';
import path from 'node:path';

interface ZipkinSpan {
  traceId: string;
  name?: string;
  kind?: string;
}

export async function runRoundTrips(dynamoEndpoint: string, extraEnv: Record<string, string> = {}): Promise<Record<string, number>> {
  const zipkin = await httpSink('/api/v2/spans', 202, { keepJson: true });
  const worker = new Worker({
    name: 'round-trips',
    script: WORKER,
    env: {
      ...functionEnv(dynamoEndpoint),
      ...lambdaRuntimeEnv(path.join(DIST, 'functions'), 'whoami'),
      TRACING_PROVIDER: 'zipkin',
      TRACING_PROVIDERS_ZIPKIN_SERVER_URL: zipkin.url,
      ...extraEnv,
    },
  });
  try {
    const traces = await worker.call<Record<string, string>>('round-trips', { password: PASSWORD });
    // Each invocation's spans were flushed (and acknowledged) before its handler returned.
    const spans = (zipkin.bodies as ZipkinSpan[][]).flat();
    const counts: Record<string, number> = {};
    for (const [endpoint, traceId] of Object.entries(traces)) {
      const trace = spans.filter((s) => s.traceId === traceId);
      if (trace.length === 0) throw new Error(`round trips: no spans exported for ${endpoint} (trace ${traceId})`);
      counts[endpoint] = trace.filter((s) => /^DynamoDB\./i.test(s.name ?? '')).length;
    }
    return counts;
  } finally {
    await worker.stop();
    await zipkin.close();
  }
}

/**
 * Social sign-in's round trips: per request of a browser's sign-in through a real OpenID provider (bench/oidc-worker.ts),
 * the DynamoDB calls and the calls to the provider (HTTP client spans: discovery, token, JWKS).
 */
export async function runOidcRoundTrips(dynamoEndpoint: string): Promise<Record<string, { dynamodb: number; provider: number }>> {
  const zipkin = await httpSink('/api/v2/spans', 202, { keepJson: true });
  const worker = new Worker({
    name: 'oidc-round-trips',
    script: path.join(DIST, 'bench', 'oidc-worker.js'),
    env: { ...functionEnv(dynamoEndpoint), TRACING_PROVIDER: 'zipkin', TRACING_PROVIDERS_ZIPKIN_SERVER_URL: zipkin.url, SECRETS_COOKIE: 'bench-cookie-secret-0123456789abcdef' },
  });
  try {
    const traces = await worker.call<Record<string, string>>('oidc-round-trips', {});
    const spans = (zipkin.bodies as ZipkinSpan[][]).flat();
    const counts: Record<string, { dynamodb: number; provider: number }> = {};
    for (const [step, traceId] of Object.entries(traces)) {
      const trace = spans.filter((s) => s.traceId === traceId);
      if (trace.length === 0) throw new Error(`oidc round trips: no spans exported for ${step} (trace ${traceId})`);
      counts[step] = {
        dynamodb: trace.filter((s) => /^DynamoDB\./i.test(s.name ?? '')).length,
        provider: trace.filter((s) => s.kind === 'CLIENT' && !/^DynamoDB\./i.test(s.name ?? '')).length,
      };
    }
    return counts;
  } finally {
    await worker.stop();
    await zipkin.close();
  }
}
