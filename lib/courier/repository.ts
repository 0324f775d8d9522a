/**
 * The courier's storage: the queue of messages (lib/store/dynamodb/courier-repository.ts). A message is queued by a
 * flow's own transaction; the courier claims it (a lease, so two couriers never send it at the same moment), and
 * marks it sent, due again later, or abandoned. Every mark applies only to the attempt that claimed it.
 */
import type { Page, PageRequest } from '../util/page.js';
import type { Writes } from '../util/writes.js';
import type { CourierMessage, MessageFilter } from './model.js';

/** One change of the table as its change stream delivers it (a DynamoDB Stream record). */
export interface TableChange {
  eventName?: string;
  dynamodb?: { NewImage?: unknown; SequenceNumber?: string };
}

export interface CourierRepository {
  /** Queues a message, as part of the change that needs it sent (so the mail exists exactly when the change does). */
  queue(message: CourierMessage): Writes;
  /**
   * Stands in for `queue` where no message goes out (a code for an address nobody has): it writes nothing but costs
   * what queueing costs, so both answers take the same work.
   */
  placeholder(): Writes;
  /** Queued messages due at `now`, the longest waiting first, at most `limit`. */
  listDue(now: Date, limit: number): Promise<CourierMessage[]>;
  get(id: string): Promise<CourierMessage | undefined>;
  /**
   * Every e-mail message kept (queued, and sent or abandoned until their retention ends), newest first, filtered;
   * keyset pages. Messages of other channels are not listed.
   */
  list(filter: MessageFilter, page: PageRequest): Promise<Page<CourierMessage>>;
  /**
   * Takes the message for one delivery attempt: only a queued, due message whose lease (if any) ran out can be
   * claimed; the claim counts the attempt (sendCount + 1) and holds the message for `leaseMs`. Undefined when another
   * courier holds it, it is not due, or it is no longer queued.
   */
  claim(id: string, now: Date, leaseMs: number): Promise<CourierMessage | undefined>;
  /** Delivered: out of the queue, kept for MESSAGE_RETENTION_SECONDS. False when this attempt no longer holds it. */
  markSent(claimed: CourierMessage, now: Date): Promise<boolean>;
  /** Failed, to be tried again at `nextAttemptAt` (the lease ends). */
  markRetry(claimed: CourierMessage, now: Date, error: string, nextAttemptAt: Date): Promise<boolean>;
  /** Out of attempts: out of the queue, kept for MESSAGE_RETENTION_SECONDS. */
  markAbandoned(claimed: CourierMessage, now: Date, error: string): Promise<boolean>;
}

/** The table's change stream, as the courier reads it (DynamoDB Streams: only the DynamoDB store has one). */
export interface CourierStream {
  /** The queued message a newly inserted item is, if it is one. */
  queuedMessageOf(change: TableChange): CourierMessage | undefined;
}
