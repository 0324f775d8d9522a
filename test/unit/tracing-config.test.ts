import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ConfigError } from '../../lib/config/index.js';
import { loadTracingConfig, otlpTracesUrl } from '../../lib/config/tracing.js';
import { PROJECT_ROOT } from '../../scripts/local-stack.js';

describe('tracing configuration', () => {
  it('is off unless TRACING_PROVIDER names a provider', () => {
    expect(loadTracingConfig({}).provider).toBeUndefined();
    expect(loadTracingConfig({ TRACING_PROVIDER: '' }).provider).toBeUndefined();
    expect(() => loadTracingConfig({ TRACING_PROVIDER: 'datadog' })).toThrow(/TRACING_PROVIDER/);
  });

  it('reads Kratos’s documented Jaeger settings as they are: jaeger:6831 stays 6831, Thrift compact', () => {
    const config = loadTracingConfig({
      TRACING_PROVIDER: 'jaeger',
      TRACING_PROVIDERS_JAEGER_SAMPLING_SERVER_URL: 'http://jaeger:5778/sampling',
      TRACING_PROVIDERS_JAEGER_LOCAL_AGENT_ADDRESS: 'jaeger:6831',
      TRACING_PROVIDERS_JAEGER_SAMPLING_TRACE_ID_RATIO: '0.25',
    });
    expect(config.jaeger).toEqual({
      agentHost: 'jaeger',
      agentPort: 6831,
      collectorEndpoint: undefined,
      samplingServerUrl: 'http://jaeger:5778',
      traceIdRatio: 0.25,
    });
    expect(loadTracingConfig({}).jaeger).toMatchObject({ agentHost: '127.0.0.1', agentPort: 6831 });
    expect(loadTracingConfig({ TRACING_PROVIDERS_JAEGER_LOCAL_AGENT_ADDRESS: '[::1]:7000' }).jaeger).toMatchObject({ agentHost: '::1', agentPort: 7000 });
  });

  it('keeps failed invocations by default (status >= 500), and reads the tail thresholds', () => {
    expect(loadTracingConfig({}).tail).toEqual({ minStatus: 500, minDurationMs: undefined });
    expect(loadTracingConfig({ TRACING_TAIL_SAMPLING_MIN_STATUS: '400', TRACING_TAIL_SAMPLING_MIN_DURATION: '250ms' }).tail).toEqual({
      minStatus: 400,
      minDurationMs: 250,
    });
    expect(loadTracingConfig({ TRACING_TAIL_SAMPLING_MIN_STATUS: 'off' }).tail).toEqual({ minStatus: undefined, minDurationMs: undefined });
  });

  it.each([
    ['TRACING_PROVIDERS_JAEGER_LOCAL_AGENT_ADDRESS', 'jaeger'],
    ['TRACING_PROVIDERS_JAEGER_SAMPLING_TRACE_ID_RATIO', '2'],
    ['TRACING_PROVIDERS_OTLP_SAMPLING_SAMPLING_RATIO', 'half'],
    ['TRACING_FLUSH_TIMEOUT', 'soon'],
    ['TRACING_PROVIDERS_ZIPKIN_SERVER_URL', 'zipkin:9411'],
    ['TRACING_PROVIDERS_OTLP_SERVER_URL', 'not a host'],
    ['TRACING_PROVIDERS_OTLP_SERVER_URL', 'http://'],
    ['TRACING_TAIL_SAMPLING_MIN_STATUS', '42'],
    ['TRACING_TAIL_SAMPLING_MIN_STATUS', 'errors'],
    ['TRACING_TAIL_SAMPLING_MIN_DURATION', 'slow'],
  ])('names %s when its value is bad', (name, value) => {
    expect(() => loadTracingConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadTracingConfig({ [name]: value })).toThrow(name);
  });

  it('builds the OTLP traces URL from Kratos’s host:port form', () => {
    expect(otlpTracesUrl({ serverUrl: 'otel:4318', insecure: true })).toBe('http://otel:4318/v1/traces');
    expect(otlpTracesUrl({ serverUrl: 'otel:4318', insecure: false })).toBe('https://otel:4318/v1/traces');
    expect(otlpTracesUrl({ serverUrl: 'https://otel.example/v1/traces', insecure: false })).toBe('https://otel.example/v1/traces');
    expect(loadTracingConfig({ TRACING_PROVIDERS_OTLP_SERVER_URL: 'otel:4318', TRACING_PROVIDERS_OTLP_INSECURE: 'true' }).otlp.tracesUrl).toBe(
      'http://otel:4318/v1/traces',
    );
  });

  it('never keeps a process alive: remote sampling poller, UDP socket and flush all let Node exit', () => {
    const provider = path.join(PROJECT_ROOT, 'dist', 'lib', 'tracing', 'provider.js');
    const script = `
      const { startTracing } = await import(${JSON.stringify(provider)});
      const { trace } = await import('@opentelemetry/api');
      const tracing = await startTracing();
      const span = trace.getTracer('t').startSpan('x');
      span.end();
      await tracing.flush();
    `;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: PROJECT_ROOT,
      env: {
        PATH: process.env.PATH,
        TRACING_PROVIDER: 'jaeger',
        TRACING_PROVIDERS_JAEGER_LOCAL_AGENT_ADDRESS: '127.0.0.1:9',
        // Nothing answers here: the poll fails in the background, and must not hold the process either.
        TRACING_PROVIDERS_JAEGER_SAMPLING_SERVER_URL: 'http://127.0.0.1:9/sampling',
      },
      timeout: 10_000,
      encoding: 'utf8',
    });
    expect(result.error).toBeUndefined();
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('remote sampling from http://127.0.0.1:9/sampling');
  });
});
