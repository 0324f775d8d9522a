/** Guessing limits in memory, deciding as throttle-repository.ts's conditional writes do. */
import type { Reservation, ThrottleRepository } from '../../flows/throttle.js';
import type { memoryTransactions } from './core.js';
import type { MemoryTables } from './tables.js';

export function memoryThrottle(t: MemoryTables, tx: ReturnType<typeof memoryTransactions>): ThrottleRepository {
  return {
    async reserve(key, client, limits, now): Promise<Reservation> {
      await Promise.resolve();
      const at = now.getTime();
      const refused = (until: number, lockedNow: boolean, by: 'client' | 'identifier'): Reservation => ({ allowed: false, retryAfterMs: until - at, lockedNow, by });
      const counter = t.throttle.get(key) ?? { windowEndsAt: at + limits.windowMs, total: 0, clients: {}, locks: {} };
      const ceiling = limits.perIdentifier !== undefined;
      if ((counter.locks[client] ?? 0) > at) return refused(counter.locks[client], false, 'client');
      if (ceiling && (counter.lockedUntil ?? 0) > at) return refused(counter.lockedUntil!, false, 'identifier');
      if (counter.windowEndsAt <= at) {
        // A new window with this attempt, keeping every lockout still running.
        const locks = Object.fromEntries(Object.entries(counter.locks).filter(([, until]) => until > at));
        t.throttle.set(key, { windowEndsAt: at + limits.windowMs, total: 1, clients: { [client]: 1 }, locks, ...((counter.lockedUntil ?? 0) > at ? { lockedUntil: counter.lockedUntil } : {}) });
        return { allowed: true };
      }
      const reachedClient = (counter.clients[client] ?? 0) >= limits.perClient;
      if (!reachedClient && !(ceiling && counter.total >= limits.perIdentifier!)) {
        counter.clients[client] = (counter.clients[client] ?? 0) + 1;
        counter.total += 1;
        t.throttle.set(key, counter);
        return { allowed: true };
      }
      const until = at + limits.lockoutMs;
      if (reachedClient) {
        counter.locks[client] = until;
        counter.clients[client] = 0;
        return refused(until, true, 'client');
      }
      counter.lockedUntil = until;
      counter.total = 0;
      return refused(until, true, 'identifier');
    },

    succeeded: (key, client) =>
      tx.batch({
        key: `throttle#${key}`,
        check: () => undefined,
        apply: () => {
          const counter = t.throttle.get(key);
          if (!counter) return;
          delete counter.clients[client];
          counter.total -= 1;
        },
      }),

    clear: (key) => tx.batch({ key: `throttle#${key}`, check: () => undefined, apply: () => void t.throttle.delete(key) }),

    async failures(key, now) {
      const found = t.failures.get(key);
      return found && found.windowEndsAt > now.getTime() ? { count: found.count, windowEndsAt: new Date(found.windowEndsAt) } : undefined;
    },

    async recordFailure(key, windowMs, now) {
      await Promise.resolve();
      const found = t.failures.get(key);
      if (found && found.windowEndsAt > now.getTime()) found.count += 1;
      else t.failures.set(key, { count: 1, windowEndsAt: now.getTime() + windowMs });
    },

    countWithin: (key, max, _expiresAt, onFull) =>
      tx.batch({ key: `count#${key}`, check: () => ((t.counts.get(key) ?? 0) >= max ? onFull() : undefined), apply: () => void t.counts.set(key, (t.counts.get(key) ?? 0) + 1) }),

    count: async (key) => t.counts.get(key) ?? 0,

    async increment(key) {
      await Promise.resolve();
      t.counts.set(key, (t.counts.get(key) ?? 0) + 1);
    },
  };
}
