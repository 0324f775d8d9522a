/**
 * Peer: @opentelemetry/instrumentation-aws-lambda, set up as its README shows (the `lambda-wrapper` loaded
 * before the handler): a tracer provider, then the instrumentation, which patches the module named by
 * LAMBDA_TASK_ROOT and _HANDLER when it is loaded. Each invocation gets a SERVER span, our DynamoDB client
 * middleware adds its GetItem span under it (through the global API), and the instrumentation force-flushes
 * the provider before the handler's promise resolves.
 *
 * Same backend as ours: the Jaeger exporter over UDP (OTEL_EXPORTER_JAEGER_AGENT_HOST/PORT), so the
 * comparison is the instrumentation and its span processor, not the wire format. BatchSpanProcessor is the
 * processor the OpenTelemetry Node SDK uses by default.
 */
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { JaegerExporter } from '@opentelemetry/exporter-jaeger';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { AwsLambdaInstrumentation } from '@opentelemetry/instrumentation-aws-lambda';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

const provider = new TracerProvider({
  resource: resourceFromAttributes({ 'service.name': 'kratos', 'cloud.provider': 'aws', 'faas.name': process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'whoami' }),
  spanProcessors: [
    new BatchSpanProcessor({
      exporter: new JaegerExporter({
        host: process.env.OTEL_EXPORTER_JAEGER_AGENT_HOST ?? '127.0.0.1',
        port: Number(process.env.OTEL_EXPORTER_JAEGER_AGENT_PORT ?? 6832),
      }),
    }),
  ],
});
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(provider);
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
registerInstrumentations({ tracerProvider: provider, instrumentations: [new AwsLambdaInstrumentation()] });
