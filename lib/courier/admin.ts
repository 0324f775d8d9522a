/**
 * The admin API's view of the courier (Kratos's courier/handler.go): messages listed newest first with Kratos's
 * filters, and one by id, as Kratos's `Message`. Kratos shows a message's body and subject only in its dev mode
 * (`<redacted-unless-dev-mode>` otherwise); this service has no dev mode, and keeps no rendered body at all (a queued
 * message holds its template data, code included, until it is sent): the code or link never reaches the admin API.
 */
import { BadRequestError, NotFoundError } from '../errors/index.js';
import { canonicalUuid } from '../util/ids.js';
import type { Page } from '../util/page.js';
import type { CourierMessage, MessageStatus } from './model.js';
import type { CourierRepository } from './repository.js';

/** Kratos's statuses (`processing` too: a message is never stored so here, so that filter finds none). */
const STATUSES = new Set(['queued', 'sent', 'processing', 'abandoned']);

const REDACTED = '<redacted-unless-dev-mode>';

/** Kratos's Message, as its admin API answers it. */
export function adminMessage(message: CourierMessage) {
  return {
    id: message.id,
    status: message.status,
    type: 'email' as const,
    channel: message.channel,
    recipient: message.recipient,
    body: REDACTED,
    subject: REDACTED,
    template_type: message.templateType,
    send_count: message.sendCount,
    created_at: message.createdAt.toISOString(),
    updated_at: message.updatedAt.toISOString(),
  };
}

export function createCourierAdmin(deps: { courier: Pick<CourierRepository, 'get' | 'list'> }) {
  return {
    /** `status` (Kratos's values; anything else 400) and `recipient` (exact) filter; unset, neither does. */
    async list(query: { status?: string; recipient?: string; pageSize: number; pageToken?: string }): Promise<Page<CourierMessage>> {
      if (query.status !== undefined && !STATUSES.has(query.status)) throw new BadRequestError('Message status is not valid');
      if (query.status === 'processing') return { items: [] };
      return deps.courier.list(
        { ...(query.status ? { status: query.status as MessageStatus } : {}), ...(query.recipient ? { recipient: query.recipient } : {}) },
        { pageSize: query.pageSize, after: query.pageToken },
      );
    },

    async get(id: string | undefined): Promise<CourierMessage> {
      const messageId = canonicalUuid(id);
      if (!messageId) throw new BadRequestError(`could not parse parameter {id} as UUID, got ${JSON.stringify(String(id ?? '').slice(0, 64))}`);
      const message = await deps.courier.get(messageId);
      // Only e-mail is a courier message to the admin API (anything else the courier delivers is not Kratos's Message).
      if (!message || message.channel !== 'email') throw new NotFoundError();
      return message;
    },
  };
}
export type CourierAdmin = ReturnType<typeof createCourierAdmin>;
