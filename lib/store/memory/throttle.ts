/** Failed-attempt counters in memory, deciding as throttle-repository.ts's conditional writes do. */
import type { Reservation, ThrottleRepository } from '../../flows/throttle.js';
import type { memoryTransactions } from './core.js';
import type { MemoryTables } from './tables.js';

export function memoryThrottle(t: MemoryTables, tx: ReturnType<typeof memoryTransactions>): ThrottleRepository {
  return {
    async reserve(key, limit, now): Promise<Reservation> {
      await Promise.resolve();
      const at = now.getTime();
      const counter = t.throttle.get(key);
      const unlocked = counter?.lockedUntil === undefined || counter.lockedUntil <= at;
      // A new window, or one more attempt in the open window below the limit, not locked.
      if ((!counter || (counter.windowEndsAt > at && counter.attempts < limit.max)) && unlocked) {
        if (counter) counter.attempts += 1;
        else t.throttle.set(key, { attempts: 1, windowEndsAt: at + limit.windowMs });
        return { allowed: true };
      }
      if (counter!.lockedUntil !== undefined && counter!.lockedUntil > at) return { allowed: false, retryAfterMs: counter!.lockedUntil - at, lockedNow: false };
      if (counter!.windowEndsAt <= at || counter!.lockedUntil !== undefined) {
        // The window (or a lockout) is over: a fresh window.
        t.throttle.set(key, { attempts: 1, windowEndsAt: at + limit.windowMs });
        return { allowed: true };
      }
      // The limit is reached in the open window: locked out.
      counter!.lockedUntil = at + limit.lockoutMs;
      return { allowed: false, retryAfterMs: limit.lockoutMs, lockedNow: true };
    },
    clear: (key) => tx.batch({ key: `throttle#${key}`, check: () => undefined, apply: () => void t.throttle.delete(key) }),
  };
}
