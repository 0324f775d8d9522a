/** The courier's queue in memory, with the DynamoDB store's claims and leases (courier-repository.ts). */
import { newestFirstKey, type CourierMessage } from '../../courier/model.js';
import type { CourierRepository } from '../../courier/repository.js';
import { copy, page, type memoryTransactions } from './core.js';
import type { MemoryTables } from './tables.js';

type Stored = CourierMessage & { leaseUntil?: number };

/** A message as read back: no lease (a storage detail), no template data once it was sent or given up (it held the code). */
function out(message: Stored): CourierMessage {
  const { leaseUntil: _, ...rest } = copy(message);
  return rest;
}

export function memoryCourier(t: MemoryTables, tx: ReturnType<typeof memoryTransactions>): CourierRepository {
  /** A change of the attempt `claimed` made: the message is still queued at that attempt's count. */
  const updateClaimed = async (claimed: CourierMessage, change: (m: Stored) => void) => {
    await Promise.resolve();
    const current = t.messages.get(claimed.id);
    if (!current || current.status !== 'queued' || current.sendCount !== claimed.sendCount) return false;
    change(current);
    return true;
  };
  const finish = (status: 'sent' | 'abandoned', now: Date, error?: string) => (m: Stored) => {
    m.status = status;
    m.updatedAt = new Date(now);
    m.templateData = { to: m.recipient };
    delete m.leaseUntil;
    if (error) m.lastError = error;
  };
  return {
    queue: (message) =>
      tx.batch({
        key: `message#${message.id}`,
        check: () => (t.messages.has(message.id) ? new Error('message id collision') : undefined),
        apply: () => t.messages.set(message.id, copy(message)),
      }),
    placeholder: () => tx.batch({ key: `message#placeholder#${Math.random()}`, check: () => undefined, apply: () => {} }),
    listDue: async (now, limit) =>
      [...t.messages.values()]
        .filter((m) => m.status === 'queued' && m.nextAttemptAt.getTime() <= now.getTime())
        .sort((a, b) => a.nextAttemptAt.getTime() - b.nextAttemptAt.getTime() || (a.id < b.id ? -1 : 1))
        .slice(0, limit)
        .map(out),
    get: async (id) => {
      const found = t.messages.get(id);
      return found ? out(found) : undefined;
    },
    list: async (filter, request) => {
      const matching = [...t.messages.values()].filter(
        (m) => m.channel === 'email' && (!filter.status || m.status === filter.status) && (filter.recipient === undefined || m.recipient === filter.recipient),
      );
      const found = page(matching, newestFirstKey, request.pageSize, request.after);
      return { items: found.items.map(out), ...(found.next ? { next: found.next } : {}) };
    },
    claim: async (id, now, leaseMs) => {
      await Promise.resolve();
      const m = t.messages.get(id);
      if (!m || m.status !== 'queued' || m.nextAttemptAt.getTime() > now.getTime() || (m.leaseUntil !== undefined && m.leaseUntil > now.getTime())) return undefined;
      m.leaseUntil = now.getTime() + leaseMs;
      m.updatedAt = new Date(now);
      m.sendCount += 1;
      return out(m);
    },
    markSent: (claimed, now) => updateClaimed(claimed, finish('sent', now)),
    markAbandoned: (claimed, now, error) => updateClaimed(claimed, finish('abandoned', now, error)),
    markRetry: (claimed, now, error, nextAttemptAt) =>
      updateClaimed(claimed, (m) => {
        m.nextAttemptAt = new Date(nextAttemptAt);
        m.updatedAt = new Date(now);
        m.lastError = error;
        delete m.leaseUntil;
      }),
  };
}
