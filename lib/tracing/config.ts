/**
 * Tracing configuration from Kratos's environment variable names (`tracing.provider` -> TRACING_PROVIDER, ...).
 * Read once per cold start; a bad value stops the cold start with a message naming the variable.
 */
import { ConfigError, readBoolean, readDuration, readNumber, readOptionalString, readString, readUrl } from '../config/index.js';

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
  otlp: { serverUrl?: string; insecure: boolean; samplingRatio: number; authorizationHeader?: string };
  zipkin: { serverUrl?: string; samplingRatio: number };
}

type Env = Record<string, string | undefined>;

/** Jaeger's agent ports: 6831 takes Thrift compact, 6832 Thrift binary. The Node exporter writes binary. */
export const JAEGER_COMPACT_PORT = 6831;
export const JAEGER_BINARY_PORT = 6832;

function hostPort(env: Env, name: string, fallback: string): { host: string; port: number } {
  const raw = readString(env, name, fallback);
  const match = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(raw);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port < 1 || port > 65535) throw new ConfigError(`${name} must be host:port, got "${raw}"`);
  return { host: match[1].replace(/^\[|\]$/g, ''), port };
}

/** Accepts Kratos's form `http://jaeger:5778/sampling` as well as the bare `http://jaeger:5778`. */
function samplingBase(url: string | undefined): string | undefined {
  return url?.replace(/\/+$/, '').replace(/\/sampling$/, '');
}

export function loadTracingConfig(env: Env = process.env): TracingConfig {
  const raw = readOptionalString(env, 'TRACING_PROVIDER')?.toLowerCase();
  if (raw !== undefined && !['jaeger', 'otel', 'zipkin', 'console'].includes(raw)) {
    throw new ConfigError(`TRACING_PROVIDER must be one of jaeger, otel, zipkin, console (or unset for off), got "${raw}"`);
  }
  const agent = hostPort(env, 'TRACING_PROVIDERS_JAEGER_LOCAL_AGENT_ADDRESS', '127.0.0.1:6832');
  const rewritten = agent.port === JAEGER_COMPACT_PORT;
  return {
    provider: raw as TracingProviderName | undefined,
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
      serverUrl: readOptionalString(env, 'TRACING_PROVIDERS_OTLP_SERVER_URL'),
      insecure: readBoolean(env, 'TRACING_PROVIDERS_OTLP_INSECURE', false),
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
export function otlpTracesUrl(config: TracingConfig['otlp']): string {
  const raw = config.serverUrl ?? '127.0.0.1:4318';
  const base = /^https?:\/\//.test(raw) ? raw : `${config.insecure ? 'http' : 'https'}://${raw}`;
  try {
    new URL(base);
  } catch {
    throw new ConfigError(`TRACING_PROVIDERS_OTLP_SERVER_URL must be host:port or a URL, got "${raw}"`);
  }
  return base.replace(/\/+$/, '').endsWith('/v1/traces') ? base.replace(/\/+$/, '') : `${base.replace(/\/+$/, '')}/v1/traces`;
}
