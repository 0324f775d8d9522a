/**
 * Tracing configuration from Kratos's environment variable names (`tracing.provider` -> TRACING_PROVIDER, ...),
 * part of the one configuration read at cold start; a bad value stops the cold start naming the variable.
 */
import { ConfigError, readBoolean, readChoice, readDuration, readHostPort, readInteger, readNumber, readOptionalString, readString, readUrl, type Env } from './env.js';

export type TracingProviderName = 'jaeger' | 'otel' | 'zipkin' | 'console';

export interface TracingConfig {
  /** undefined = tracing off. */
  provider?: TracingProviderName;
  serviceName: string;
  deploymentEnvironment?: string;
  /** Bound on the flush at the end of each invocation: a dead backend delays a request by at most this. */
  flushTimeoutMs: number;
  /**
   * Tail decisions: spans are recorded even when the head sampler says no, and the whole invocation is exported
   * anyway when it answered with at least `minStatus` or took longer than `minDurationMs`. Both undefined = off.
   */
  tail: { minStatus?: number; minDurationMs?: number };
  jaeger: {
    /** UDP agent: Thrift compact, or Thrift binary on port 6832; used unless a collector endpoint is set. */
    agentHost: string;
    agentPort: number;
    collectorEndpoint?: string;
    /** Base URL of the remote sampling API (without the `/sampling` path the sampler appends). */
    samplingServerUrl?: string;
    traceIdRatio: number;
  };
  otlp: {
    serverUrl?: string;
    insecure: boolean;
    samplingRatio: number;
    authorizationHeader?: string;
    /** Where spans are POSTed, derived from serverUrl and insecure (and validated) at load. */
    tracesUrl: string;
  };
  zipkin: { serverUrl?: string; samplingRatio: number };
}

/** TRACING_TAIL_SAMPLING_MIN_STATUS: an HTTP status, or `off`. */
function readTailStatus(env: Env): number | undefined {
  const raw = readOptionalString(env, 'TRACING_TAIL_SAMPLING_MIN_STATUS')?.toLowerCase();
  if (raw === 'off') return undefined;
  return readInteger(env, 'TRACING_TAIL_SAMPLING_MIN_STATUS', 500, 100, 599);
}

/** Accepts Kratos's form `http://jaeger:5778/sampling` as well as the bare `http://jaeger:5778`. */
function samplingBase(url: string | undefined): string | undefined {
  return url?.replace(/\/+$/, '').replace(/\/sampling$/, '');
}

export function loadTracingConfig(env: Env = process.env): TracingConfig {
  const provider = readChoice(env, 'TRACING_PROVIDER', ['jaeger', 'otel', 'zipkin', 'console'] as const);
  const agent = readHostPort(env, 'TRACING_PROVIDERS_JAEGER_LOCAL_AGENT_ADDRESS', '127.0.0.1:6831');
  const otlp = {
    serverUrl: readOptionalString(env, 'TRACING_PROVIDERS_OTLP_SERVER_URL'),
    insecure: readBoolean(env, 'TRACING_PROVIDERS_OTLP_INSECURE', false),
  };
  return {
    provider,
    serviceName: readString(env, 'TRACING_SERVICE_NAME', 'kratos'),
    deploymentEnvironment: readOptionalString(env, 'TRACING_DEPLOYMENT_ENVIRONMENT'),
    flushTimeoutMs: readDuration(env, 'TRACING_FLUSH_TIMEOUT', '500ms'),
    tail: {
      minStatus: readTailStatus(env),
      minDurationMs: readOptionalString(env, 'TRACING_TAIL_SAMPLING_MIN_DURATION') ? readDuration(env, 'TRACING_TAIL_SAMPLING_MIN_DURATION', '1s') : undefined,
    },
    jaeger: {
      agentHost: agent.host,
      agentPort: agent.port,
      collectorEndpoint: readUrl(env, 'TRACING_PROVIDERS_JAEGER_COLLECTOR_ENDPOINT'),
      samplingServerUrl: samplingBase(readUrl(env, 'TRACING_PROVIDERS_JAEGER_SAMPLING_SERVER_URL')),
      traceIdRatio: readNumber(env, 'TRACING_PROVIDERS_JAEGER_SAMPLING_TRACE_ID_RATIO', 1, 0, 1),
    },
    otlp: {
      ...otlp,
      tracesUrl: otlpTracesUrl(otlp),
      samplingRatio: readNumber(env, 'TRACING_PROVIDERS_OTLP_SAMPLING_SAMPLING_RATIO', 1, 0, 1),
      authorizationHeader: readOptionalString(env, 'TRACING_PROVIDERS_OTLP_AUTHORIZATION_HEADER'),
    },
    zipkin: {
      serverUrl: readUrl(env, 'TRACING_PROVIDERS_ZIPKIN_SERVER_URL'),
      samplingRatio: readNumber(env, 'TRACING_PROVIDERS_ZIPKIN_SAMPLING_SAMPLING_RATIO', 1, 0, 1),
    },
  };
}

/**
 * The OTLP/HTTP traces URL. Kratos's `server_url` is a host:port (`otel-collector:4318`); a full URL is taken
 * as the collector's base (or as the traces endpoint when it already ends in /v1/traces).
 */
export function otlpTracesUrl(config: { serverUrl?: string; insecure: boolean }): string {
  const raw = config.serverUrl ?? '127.0.0.1:4318';
  const base = /^https?:\/\//i.test(raw) ? raw : `${config.insecure ? 'http' : 'https'}://${raw}`;
  let url: URL | undefined;
  try {
    url = new URL(base);
  } catch {
    url = undefined;
  }
  if (!url || !url.hostname || /[\s]/.test(raw)) {
    throw new ConfigError(`TRACING_PROVIDERS_OTLP_SERVER_URL must be host:port (as Kratos takes it) or an http(s) URL, got "${raw}"`);
  }
  return base.replace(/\/+$/, '').endsWith('/v1/traces') ? base.replace(/\/+$/, '') : `${base.replace(/\/+$/, '')}/v1/traces`;
}
