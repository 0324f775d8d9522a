/**
 * A function bundle and the tracing SDK's file beside it (scripts/package.ts) share one copy of the OpenTelemetry
 * API: the function hands its copy over under this global key before it requires the SDK's file, whose
 * `@opentelemetry/api` is that copy. With two copies, a tracer a function got before the SDK registered would be
 * the other copy's proxy and never record.
 */
export const OTEL_API_GLOBAL_KEY = 'kratos-lambda.opentelemetry-api';
