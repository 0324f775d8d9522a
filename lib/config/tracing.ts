/**
 * Tracing configuration from Kratos's environment variable names (`tracing.provider` -> TRACING_PROVIDER, ...),
 * part of the one configuration read at cold start; a bad value stops the cold start naming the variable.
 */
import { ConfigError, readBoolean, readChoice, readDuration, readHostPort, readNumber, readOptionalString, readString, readUrl, type Env } from './env.js';

export type TracingProviderName = 'jaeger' | 'otel' | 'zipkin' | 'console';

export interface TracingConfig {
  /** undefined = tracing off. */
  provider?: TracingProviderName;
  serviceName: string;
  deploymentEnvironment?: string;
  /** Bound on the flush at the end of each invocation: a dead backend delays a request by at most this. */
  flushTimeoutMs: number;
  jaeger: {
    /** UDP agent (Thrift binary); used unless a collector endpoint is set. */
    agentHost: string;
    agentPort: number;
    /** Set when the configured port was Jaeger's compact port 6831 and was moved to the binary port. */
    agentPortRewrittenFrom?: number;
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

/** Jaeger's agent ports: 6831 takes Thrift compact, 6832 Thrift binary. The Node exporter writes binary. */
export const JAEGER_COMPACT_PORT = 6831;
export const JAEGER_BINARY_PORT = 6832;

/** Accepts Kratos's form `http://jaeger:5778/sampling` as well as the bare `http://jaeger:5778`. */
function samplingBase(url: string | undefined): string | undefined {
  return url?.replace(/\/+$/, '').replace(/\/sampling$/, '');
}

export function loadTracingConfig(env: Env = process.env): TracingConfig {
  const provider = readChoice(env, 'TRACING_PROVIDER', ['jaeger', 'otel', 'zipkin', 'console'] as const);
  const agent = readHostPort(env, 'TRACING_PROVIDERS_JAEGER_LOCAL_AGENT_ADDRESS', '127.0.0.1:6832');
  const otlp = {
    serverUrl: readOptionalString(env, 'TRACING_PROVIDERS_OTLP_SERVER_URL'),
    insecure: readBoolean(env, 'TRACING_PROVIDERS_OTLP_INSECURE', false),
  };
  const rewritten = agent.port === JAEGER_COMPACT_PORT;
  return {
    provider,
    serviceName: readString(env, 'TRACING_SERVICE_NAME', 'kratos'),
    deploymentEnvironment: readOptionalString(env, 'TRACING_DEPLOYMENT_ENVIRONMENT'),
    flushTimeoutMs: readDuration(env, 'TRACING_FLUSH_TIMEOUT', '500ms'),
    jaeger: {
      agentHost: agent.host,
      agentPort: rewritten ? JAEGER_BINARY_PORT : agent.port,
      agentPortRewrittenFrom: rewritten ? JAEGER_COMPACT_PORT : undefined,
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
