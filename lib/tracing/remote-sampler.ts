/**
 * Jaeger's remote sampler, on its own: loaded by lib/tracing/sdk.ts only when a sampling server is configured, and in
 * a Lambda bundle a file of its own, tracing-sampler.cjs (scripts/package.ts). Its CommonJS build requires the whole
 * SDK, which would otherwise sit in tracing-sdk.cjs and be parsed at every traced cold start.
 */
export { JaegerRemoteSampler } from '@opentelemetry/sampler-jaeger-remote';
