/** serverless-offline instances with tracing configured, for the tracing end-to-end tests. */
import path from 'node:path';
import { freePort } from '../../scripts/dynamodb-local.js';
import { startOffline, type RunningOffline } from '../../scripts/local-stack.js';
import { dynamoEndpoint, OFFLINE_LOG_LEVEL, suiteCourierEnv, TEST_ENV } from './env.js';
import type { ReceivedSpan, SpanReceiver } from './trace-receivers.js';

export const TEST_SERVICE = 'kratos-test';

export async function startTracedOffline(env: Record<string, string>, options: { port?: number } = {}): Promise<RunningOffline> {
  const port = options.port ?? (await freePort());
  const artifacts = process.env.TEST_ARTIFACTS_DIR;
  return startOffline({
    port,
    logFile: artifacts ? path.join(artifacts, `offline-${port}.log`) : undefined,
    env: {
      ...TEST_ENV,
      LOG_LEVEL: OFFLINE_LOG_LEVEL,
      DYNAMODB_ENDPOINT: dynamoEndpoint(),
      SERVE_PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
      TRACING_SERVICE_NAME: TEST_SERVICE,
      ...suiteCourierEnv(),
      ...env,
    },
  });
}

/**
 * The spans of one trace. The root span and its children are exported in one batch, flushed before the
 * response was sent; the wait only covers the receiver's own event loop picking the bytes up.
 */
export async function traceOf(receiver: SpanReceiver, traceId: string | undefined, rootName: string): Promise<ReceivedSpan[]> {
  if (!traceId) throw new Error('the response carried no traceresponse header');
  await receiver.waitForSpans((spans) => spans.some((s) => s.traceId === traceId && s.name === rootName), 2000);
  return receiver.spans.filter((s) => s.traceId === traceId);
}

/** Root span of a trace, and its children in start order. */
export function treeOf(spans: ReceivedSpan[], rootName: string) {
  const root = spans.find((s) => s.name === rootName);
  if (!root) throw new Error(`no root span ${rootName} among ${spans.map((s) => s.name).join(', ')}`);
  const children = spans.filter((s) => s.parentSpanId === root.spanId).sort((a, b) => a.startTimeUs - b.startTimeUs);
  return { root, children, names: children.map((c) => c.name) };
}

export function randomHex(bytes: number): string {
  return [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, '0')).join('');
}
