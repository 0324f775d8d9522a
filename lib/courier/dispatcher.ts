/**
 * Delivers one queued message: claim it (a lease, counting the attempt), render Kratos's template, send, and mark
 * the message sent; on failure mark it due again after a backoff (COURIER_MESSAGE_RETRY_DELAY, doubling, at most 1 h),
 * or, once COURIER_MESSAGE_RETRIES retries have failed too (Kratos: send_count > message_retries), abandoned.
 * At least once: a courier that dies between the send and the mark leaves the message claimed until its lease ends,
 * and the next sweep sends it again.
 *
 * Never in a log line, a span or `lastError`: the recipient, the subject or the body (they hold the code). A failure is
 * described by its error's name and code alone (mail servers quote the recipient in their messages).
 */
import { MAX_RETRY_DELAY_MS, type CourierConfig } from '../config/courier.js';
import { log } from '../log/index.js';
import { withStoredParentSpan } from '../tracing/background.js';
import { events } from '../tracing/events.js';
import type { CourierMessage, TemplateType } from './model.js';
import type { CourierRepository } from './repository.js';
import type { MailSender } from './senders/index.js';
import type { QueuedWebHookSender } from '../webhooks/queued.js';
import { renderEmail } from './templates.js';

/** Longer than the courier function may run (its timeout), so a lease only runs out when its courier is gone. */
export const CLAIM_LEASE_MS = 120_000;

export type DeliveryOutcome = 'sent' | 'retry' | 'abandoned' | 'skipped';

export interface Dispatcher {
  deliver(message: CourierMessage): Promise<DeliveryOutcome>;
}

export interface DispatcherDeps {
  repository: CourierRepository;
  sender: MailSender;
  /** Delivers a queued web hook (channel `webhook`); without one such a message waits. */
  webHooks?: QueuedWebHookSender;
  config: CourierConfig;
  now?: () => Date;
}

const SAFE_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
const SAFE_CODE = /^[A-Z][A-Z0-9_]{1,40}$/;

/** What may be said of a failure: the error's class, its code and the server's reply code; never its message. */
export function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return 'Error';
  const { code, responseCode } = error as { code?: unknown; responseCode?: unknown };
  const name = SAFE_NAME.test(error.name) ? error.name : 'Error';
  const parts = [name];
  if (typeof code === 'string' && SAFE_CODE.test(code)) parts.push(code);
  if (typeof responseCode === 'number' && Number.isInteger(responseCode)) parts.push(String(responseCode));
  return parts.join(' ');
}

/** The delay before retry number `attempts` (1 after the first failure): the base delay doubled each time, capped. */
export function retryDelayMs(baseMs: number, attempts: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, attempts - 1), MAX_RETRY_DELAY_MS);
}

export function createDispatcher(deps: DispatcherDeps): Dispatcher {
  const now = deps.now ?? (() => new Date());
  const { config, repository, sender } = deps;

  return {
    async deliver(message) {
      const claimed = await repository.claim(message.id, now(), CLAIM_LEASE_MS);
      if (!claimed) return 'skipped'; // another courier has it, it is not due, or it is done
      const fields = { message_id: claimed.id, template_type: claimed.templateType, send_count: claimed.sendCount };
      return withStoredParentSpan(
        claimed.traceparent,
        'courier.DispatchMessage',
        { 'message.id': claimed.id, 'message.type': claimed.channel, 'message.template_type': claimed.templateType, 'message.send_count': claimed.sendCount },
        async (span): Promise<DeliveryOutcome> => {
          const traceIds = span.traceId ? { trace_id: span.traceId } : {};
          const abandon = async (reason: string) => {
            span.markFailed(reason);
            await repository.markAbandoned(claimed, now(), reason);
            events.courierMessageAbandoned(claimed.id, claimed.channel, claimed.templateType);
            log('error', `courier: message abandoned after ${claimed.sendCount} failed attempts`, { ...fields, error: reason, ...traceIds });
            return 'abandoned' as const;
          };
          // A message whose attempts were used up by couriers that died mid-delivery is not sent again.
          if (claimed.sendCount > config.messageRetries + 1) return abandon(claimed.lastError ?? 'AttemptsExhausted');
          try {
            if (claimed.channel === 'webhook') {
              if (!deps.webHooks || !claimed.templateData.web_hook) throw Object.assign(new Error('no web hook sender'), { code: 'NO_SENDER' });
              await deps.webHooks(claimed.id, claimed.templateData.web_hook, claimed.sendCount);
            } else {
              const email = renderEmail(claimed.templateType as TemplateType, claimed.templateData);
              await sender.send({
                to: claimed.recipient,
                from: { address: config.fromAddress, ...(config.fromName ? { name: config.fromName } : {}) },
                ...email,
                headers: config.headers,
              });
            }
          } catch (error) {
            const reason = describeFailure(error);
            // A web hook's answer that no retry changes (a 4xx, the hook no longer configured): given up on at once.
            if (claimed.sendCount > config.messageRetries || (error as { permanent?: unknown }).permanent === true) return abandon(reason);
            const next = new Date(now().getTime() + retryDelayMs(config.retryDelayMs, claimed.sendCount));
            span.markFailed(reason);
            await repository.markRetry(claimed, now(), reason, next);
            log('warn', 'courier: delivery failed, will retry', { ...fields, error: reason, next_attempt_at: next.toISOString(), ...traceIds });
            return 'retry';
          }
          const marked = await repository.markSent(claimed, now());
          events.courierMessageDispatched(claimed.id, claimed.channel, claimed.templateType);
          log('info', 'courier: message sent', { ...fields, marked, dispatch_duration_ms: now().getTime() - claimed.createdAt.getTime(), ...traceIds });
          return 'sent';
        },
      );
    },
  };
}
