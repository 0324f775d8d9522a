/** Jaeger remote sampling for tests: GET /sampling?service=NAME (and GET /?service=NAME). */
import http from 'node:http';
import { closeServer, listen } from './common.js';

export interface SamplingStrategyResponse {
  strategyType: string;
  probabilisticSampling?: { samplingRate: number };
  [k: string]: unknown;
}

export interface SamplingServer {
  /** Base URL (no path), e.g. http://127.0.0.1:PORT, what JaegerRemoteSampler's `endpoint` expects (it appends /sampling). */
  readonly url: string;
  readonly port: number;
  /** Number of sampling requests answered (GET /sampling?service= or GET /?service=). */
  readonly requestCount: number;
  /** Service names asked for, in order. */
  readonly requestedServices: string[];
  /** The strategy answered now. */
  strategy: SamplingStrategyResponse;
  /** Status to answer with (default 200); set >= 400 to simulate an unavailable sampling endpoint. */
  status: number;
  setSamplingRate(rate: number): void;
  close(): Promise<void>;
}

const probabilistic = (samplingRate: number): SamplingStrategyResponse => ({
  strategyType: 'PROBABILISTIC',
  probabilisticSampling: { samplingRate },
});

/** `strategy` is a probabilistic sampling rate (0..1) or a full strategy response object. */
export async function startSamplingServer(strategy: number | SamplingStrategyResponse): Promise<SamplingServer> {
  const server = http.createServer();
  const state = {
    url: '',
    port: 0,
    requestCount: 0,
    requestedServices: [] as string[],
    strategy: typeof strategy === 'number' ? probabilistic(strategy) : strategy,
    status: 200,
    setSamplingRate(rate: number): void {
      state.strategy = probabilistic(rate);
    },
    close: (): Promise<void> => closeServer(server),
  };
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    req.resume();
    const u = new URL(req.url ?? '/', 'http://x');
    if (req.method !== 'GET' || (u.pathname !== '/sampling' && u.pathname !== '/')) {
      res.writeHead(404).end();
      return;
    }
    state.requestCount++;
    state.requestedServices.push(u.searchParams.get('service') ?? '');
    if (state.status >= 400) {
      res.writeHead(state.status).end();
      return;
    }
    res.writeHead(state.status, { 'Content-Type': 'application/json' }).end(JSON.stringify(state.strategy));
  });
  state.port = await listen(server);
  state.url = `http://127.0.0.1:${state.port}`;
  return state;
}
