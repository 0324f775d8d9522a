/**
 * OpenTelemetry's ES module loader hook (import-in-the-middle). instrumentation-aws-lambda patches the handler
 * module when it loads; our functions are ES modules, so, as its README says for Lambda's Node 24 runtime
 * (which imports handlers), the hook must be registered before the handler is imported.
 */
import { register } from 'node:module';

register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
