/**
 * What the courier delivers (Kratos's courier_messages): a message queued in the same DynamoDB transaction as the flow
 * change that needs it, delivered later by the courier function (lib/courier/dispatcher.ts), never by the request.
 */
import type { QueuedWebHook } from '../webhooks/queued.js';

/** Kratos's template types (courier/template). */
export type TemplateType =
  | 'recovery_code_valid'
  | 'recovery_code_invalid'
  | 'verification_code_valid'
  | 'verification_code_invalid'
  | 'login_code_valid'
  | 'registration_code_valid';

/** `queued` until delivered (`sent`) or out of retries (`abandoned`); never deleted before either. */
export type MessageStatus = 'queued' | 'sent' | 'abandoned';

/** Kratos's template model keys, as its built-in templates read them. */
export interface TemplateData {
  to: string;
  recovery_code?: string;
  verification_code?: string;
  verification_url?: string;
  login_code?: string;
  registration_code?: string;
  expires_in_minutes?: number;
  identity_id?: string;
  request_url?: string;
  /** A web hook's request (channel `webhook`). */
  web_hook?: QueuedWebHook;
}

export interface CourierMessage {
  id: string;
  /** `webhook`: a web hook's delivery (never listed as a courier message by the admin API). */
  channel: 'email' | 'webhook';
  recipient: string;
  templateType: TemplateType | 'web_hook';
  templateData: TemplateData;
  status: MessageStatus;
  /** Delivery attempts made so far. */
  sendCount: number;
  createdAt: Date;
  updatedAt: Date;
  /** When the next attempt is due (the sweep picks up queued messages past it). */
  nextAttemptAt: Date;
  /** The W3C `traceparent` of the request that queued it: the courier's span joins that trace. */
  traceparent?: string;
  /** The last failure, for the operator (never the address or the code). */
  lastError?: string;
}

/** What the admin API may filter the messages by (Kratos's listCourierMessages): exact status and recipient. */
export interface MessageFilter {
  status?: MessageStatus;
  recipient?: string;
}

/**
 * Where a message stands in the admin API's list, as a string that sorts in that order: newest first, then by id
 * (Kratos's keyset order: created_at descending, id ascending). Both stores page by it.
 */
export function newestFirstKey(message: Pick<CourierMessage, 'createdAt' | 'id'>): string {
  // Milliseconds left until the year 2286, fixed width: later messages sort first.
  return `${String(9_999_999_999_999 - message.createdAt.getTime()).padStart(13, '0')}#${message.id}`;
}

/** A message to queue now, of either channel. */
function queued(
  id: string,
  channel: CourierMessage['channel'],
  templateType: CourierMessage['templateType'],
  templateData: TemplateData,
  now: Date,
  traceparent: string | undefined,
): CourierMessage {
  return {
    id,
    channel,
    recipient: templateData.to,
    templateType,
    templateData,
    status: 'queued',
    sendCount: 0,
    createdAt: now,
    updatedAt: now,
    nextAttemptAt: now,
    ...(traceparent ? { traceparent } : {}),
  };
}

/** A message to queue now: the flows put it in the same transaction as the change that needs it. */
export function queuedMessage(id: string, templateType: TemplateType, templateData: TemplateData, now: Date, traceparent: string | undefined): CourierMessage {
  return queued(id, 'email', templateType, templateData, now, traceparent);
}

/** A web hook's delivery to queue now, in the flow's own transaction; `recipient` is its URL without query. */
export function queuedWebHook(id: string, request: QueuedWebHook, now: Date, traceparent: string | undefined): CourierMessage {
  const url = new URL(request.url);
  return queued(id, 'webhook', 'web_hook', { to: `${url.protocol}//${url.host}${url.pathname}`, web_hook: request }, now, traceparent);
}
