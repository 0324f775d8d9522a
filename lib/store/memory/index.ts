/**
 * The storage interfaces in memory, held to the same contract suite as DynamoDB (test/contract/store-contract.ts):
 * the same conditions (an identifier claimed once, a flow completed once, a code spent once), the same all-or-nothing
 * commits, the same shapes read back. For flow tests that take milliseconds, and nothing else: it is one process's
 * memory, gone when the process ends.
 */
import type { Store } from '../store.js';
import { memoryTransactions } from './core.js';
import { memoryCourier } from './courier.js';
import { memoryCodes, memoryErrors, memoryFlows, memoryPasswords } from './flows.js';
import { memoryIdentities } from './identities.js';
import { memorySessions } from './sessions.js';
import { emptyTables, type MemoryTables } from './tables.js';
import { memoryThrottle } from './throttle.js';

export function createMemoryStore(): Store & { tables: MemoryTables } {
  const tables = emptyTables();
  const tx = memoryTransactions();
  return {
    ...tx.committer,
    tables,
    flows: memoryFlows(tables, tx),
    identities: memoryIdentities(tables, tx),
    sessions: memorySessions(tables, tx),
    errors: memoryErrors(tables),
    courier: memoryCourier(tables, tx),
    throttle: memoryThrottle(tables, tx),
    codes: memoryCodes(tables, tx),
    passwords: memoryPasswords(tables),
    ping: async () => {},
  };
}
