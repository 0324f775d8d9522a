/**
 * Remote sampling as Kratos configures it (TRACING_PROVIDERS_JAEGER_SAMPLING_SERVER_URL=http://host:5778/sampling):
 * the strategy served there decides over the configured ratio once it has been fetched, and decisions stay
 * parent-based.
 */
import type { RunningOffline } from '../../scripts/local-stack.js';
import { startJaegerUdpReceiver, startSamplingServer, type SamplingServer, type UdpSpanReceiver } from '../support/trace-receivers.js';
import { randomHex, startTracedOffline } from '../support/traced-stack.js';
import { call, type Answer } from '../support/http.js';

/** A traced route that answers without DynamoDB (401: no session), and below the tail decision's default status. */
const WHOAMI = '/sessions/whoami';

let udp: UdpSpanReceiver;
beforeAll(async () => {
  udp = await startJaegerUdpReceiver();
});
afterAll(() => udp.close());

/** Whether the request's trace reached the receiver. The batch was sent before the response; 800 ms is ample for loopback delivery, even on a loaded machine. */
async function exported(res: Answer): Promise<boolean> {
  try {
    await udp.waitForSpans((spans) => spans.some((s) => s.traceId === res.traceId), 800);
    return true;
  } catch {
    return false;
  }
}

async function withSampling(strategyRate: number, ratio: string, work: (base: string, sampling: SamplingServer) => Promise<void>) {
  const sampling = await startSamplingServer(strategyRate);
  let offline: RunningOffline | undefined;
  try {
    offline = await startTracedOffline({
      TRACING_PROVIDER: 'jaeger',
      TRACING_PROVIDERS_JAEGER_LOCAL_AGENT_ADDRESS: `127.0.0.1:${udp.port}`,
      TRACING_PROVIDERS_JAEGER_SAMPLING_SERVER_URL: `${sampling.url}/sampling`,
      TRACING_PROVIDERS_JAEGER_SAMPLING_TRACE_ID_RATIO: ratio,
    });
    await work(offline.baseUrl, sampling);
  } finally {
    await offline?.stop();
    await sampling.close();
  }
}

/** Requests until the cold start's strategy fetch has answered and `decided` holds (bounded). */
async function untilStrategyApplies(base: string, sampling: SamplingServer, decided: (exported: boolean) => boolean): Promise<void> {
  for (let attempt = 0; attempt < 30; attempt++) {
    const res = await call(base, 'GET', '/sessions/whoami');
    expect(res.status).toBe(401);
    if (sampling.requestCount > 0 && decided(await exported(res))) return;
  }
  throw new Error(`the served strategy never took effect (sampling requests: ${sampling.requestCount})`);
}

describe('remote sampling', () => {
  it('strategy 0 stops root traces the ratio (1) would keep, but a sampled parent is still followed', async () => {
    await withSampling(0, '1', async (base, sampling) => {
      await untilStrategyApplies(base, sampling, (wasExported) => !wasExported);
      expect(sampling.requestedServices).toContain('kratos-test');
      for (let i = 0; i < 5; i++) expect(await exported(await call(base, 'GET', WHOAMI))).toBe(false);
      // Parent-based: the caller decided to sample.
      const joined = await call(base, 'GET', WHOAMI, { headers: { traceparent: `00-${randomHex(16)}-${randomHex(8)}-01` } });
      expect(await exported(joined)).toBe(true);
    });
  });

  it('strategy 1 keeps root traces the ratio (0) would drop', async () => {
    await withSampling(1, '0', async (base, sampling) => {
      await untilStrategyApplies(base, sampling, (wasExported) => wasExported);
      for (let i = 0; i < 5; i++) expect(await exported(await call(base, 'GET', WHOAMI))).toBe(true);
      // Parent-based: the caller decided not to sample.
      const joined = await call(base, 'GET', WHOAMI, { headers: { traceparent: `00-${randomHex(16)}-${randomHex(8)}-00` } });
      expect(await exported(joined)).toBe(false);
    });
  });
});

describe('tail decisions through serverless-offline', () => {
  it('with nothing head-sampled (ratio 0) and TRACING_TAIL_SAMPLING_MIN_STATUS=400, exports failed requests, tagged, and no successful one', async () => {
    const offline = await startTracedOffline({
      TRACING_PROVIDER: 'jaeger',
      TRACING_PROVIDERS_JAEGER_LOCAL_AGENT_ADDRESS: `127.0.0.1:${udp.port}`,
      TRACING_PROVIDERS_JAEGER_SAMPLING_TRACE_ID_RATIO: '0',
      TRACING_TAIL_SAMPLING_MIN_STATUS: '400',
    });
    try {
      const ok = await call(offline.baseUrl, 'GET', '/self-service/login/api');
      expect(ok.status).toBe(200);
      expect(await exported(ok)).toBe(false);
      // Even against the caller's own decision not to sample: the failure is what an operator needs to see.
      const failed = await call(offline.baseUrl, 'GET', WHOAMI, { headers: { traceparent: `00-${randomHex(16)}-${randomHex(8)}-00` } });
      expect(failed.status).toBe(401);
      expect(await exported(failed)).toBe(true);
      const root = udp.spans.find((s) => s.traceId === failed.traceId && s.name === WHOAMI)!;
      expect(root.tags).toMatchObject({ 'sampling.tail_kept': true, 'http.status_code': 401, error: true });
    } finally {
      await offline.stop();
    }
  });
});
