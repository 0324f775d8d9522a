/**
 * The exporters other than Jaeger's: OTLP/HTTP, Zipkin and the console's span tree. Loaded by sdk.ts only when one of
 * them is configured, and in a Lambda bundle a file of its own, tracing-exporters.cjs (scripts/package.ts): they are a
 * third of what the SDK's file would otherwise hold, parsed at every traced cold start, Jaeger's (Kratos's exporter)
 * included.
 */
export { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
export { ZipkinExporter } from '@opentelemetry/exporter-zipkin';
export { ConsoleTreeExporter } from './console-exporter.js';
