/**
 * Web hooks whose answer is not waited for (`response.ignore`): queued with the flow's writes and delivered by the
 * courier like a mail, at least once, retried with the courier's backoff, given up on (`abandoned`) after its retries
 * or at once on an answer no retry changes (a 4xx but 408 and 429). Each attempt carries the delivery's id as
 * `Idempotency-Key` (and as Kratos's `Ory-Webhook-Trigger-ID`), the same on every retry, so a receiver can drop a
 * delivery it already took.
 */
import type { WebHookConfig } from '../config/web-hook.js';
import type { FetchLike } from '../tracing/http-client.js';
import { attempt, inWebHookSpan, retryable, WebHookNetworkError } from './index.js';

/**
 * What is queued: the request as the flow built it, but for the hook's secret, which the courier adds from its own
 * configuration (the hook found by `fingerprint`), so no credential is ever stored.
 */
export interface QueuedWebHook {
  fingerprint: string;
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
}

/** A failure of one delivery attempt; `permanent`: no retry would change it. `code` says what (never the body). */
export class WebHookDeliveryError extends Error {
  override name = 'WebHookDeliveryError';
  constructor(
    readonly code: string,
    readonly permanent: boolean,
  ) {
    super(`web hook delivery failed: ${code}`);
  }
}

export type QueuedWebHookSender = (deliveryId: string, queued: QueuedWebHook, attemptNumber: number) => Promise<void>;

/** The courier's sender of queued web hooks, over the hooks configured now and their secrets. */
export function queuedWebHookSender(hooks: readonly WebHookConfig[], secrets: () => Record<string, string>, fetcher?: FetchLike): QueuedWebHookSender {
  const byFingerprint = new Map(hooks.map((hook) => [hook.fingerprint, hook]));
  return async (deliveryId, queued, attemptNumber) => {
    const hook = byFingerprint.get(queued.fingerprint);
    // Its configuration changed or it was removed since the flow queued it: nobody asked for this request any more.
    if (!hook) throw new WebHookDeliveryError('NOT_CONFIGURED', true);
    const attributes = { 'webhook.response.ignore': true, 'webhook.can_interrupt': false, 'webhook.response.parse': false, 'webhook.attempt': attemptNumber };
    await inWebHookSpan('selfservice.webhook', attributes, hook, deliveryId, async (span) => {
      const result = await attempt(queued, hook, secrets(), { triggerId: deliveryId, attempt: attemptNumber, idempotencyKey: deliveryId }, fetcher).catch((error: unknown) => {
        if (error instanceof WebHookNetworkError) throw new WebHookDeliveryError(error.timedOut ? 'TIMEOUT' : 'UNREACHABLE', false);
        throw error;
      });
      span.setAttributes({ 'http.response.status_code': result.status });
      if (result.status >= 400) throw new WebHookDeliveryError(`HTTP_${result.status}`, !(retryable(result.status) || result.status === 408));
    });
  };
}
