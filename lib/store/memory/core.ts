/**
 * The in-memory store's transactions: each prepared write is a condition and a change of one keyed item; a commit
 * checks every condition against the state before any change (the first failing one's error is thrown, nothing
 * written), then applies them all, synchronously: no other commit can interleave, as no other transaction can see a
 * DynamoDB transaction half done. Values are copied in and out (structuredClone), so a caller holding an object
 * never changes what is stored, as with a database.
 */
import type { Committer, Writes } from '../../util/writes.js';

/** One item's part in a commit. */
export interface Op {
  /** Which item it touches: DynamoDB refuses two operations on one item in a transaction, and so does this. */
  key: string;
  /** The error its condition failing means, or undefined when it holds. */
  check(): Error | undefined;
  apply(): void;
}

interface MemoryWrites {
  readonly owner: symbol;
  readonly ops: Op[];
}

/** The error DynamoDB gives a single conditional update whose item is gone (a bug of the caller, 500). */
export const conditionFailed = () => Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });

export const copy = <T>(value: T): T => structuredClone(value);

export function memoryTransactions() {
  const owner = Symbol('memory store');
  const batch = (...ops: Op[]): Writes => ({ owner, ops }) as MemoryWrites as unknown as Writes;
  const committer: Committer = {
    async commit(...writes) {
      // Give other requests their turn first, as a network round trip would.
      await Promise.resolve();
      const ops = writes.flatMap((w) => {
        const prepared = w as unknown as MemoryWrites;
        if (prepared?.owner !== owner) throw new Error('these writes were not prepared by this memory store');
        return prepared.ops;
      });
      const keys = new Set<string>();
      for (const op of ops) {
        if (keys.has(op.key)) throw Object.assign(new Error('Transaction request cannot include multiple operations on one item'), { name: 'ValidationException' });
        keys.add(op.key);
      }
      for (const op of ops) {
        const failed = op.check();
        if (failed) throw failed;
      }
      for (const op of ops) op.apply();
    },
    async commitEach(units) {
      const results: (Error | undefined)[] = [];
      for (const unit of units) {
        try {
          await committer.commit(...unit);
          results.push(undefined);
        } catch (error) {
          if (error instanceof Error && error.name === 'ValidationException') throw error;
          results.push(error as Error);
        }
      }
      return results;
    },
  };
  /** A conditional change of one item, committed on its own (what a single UpdateItem does). */
  const single = async (op: Op): Promise<boolean> => {
    await Promise.resolve();
    if (op.check()) return false;
    op.apply();
    return true;
  };
  return { batch, committer, single };
}

/** Keyset pages over items sorted by `sortKey`: a page after the token, and the token of the next page if there is one. */
export function page<T>(items: T[], sortKey: (item: T) => string, pageSize: number, after: string | undefined): { items: T[]; next?: string } {
  const cursor = after ? Buffer.from(after, 'base64url').toString('utf8') : undefined;
  const sorted = [...items].sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0)).filter((item) => cursor === undefined || sortKey(item) > cursor);
  const shown = sorted.slice(0, pageSize);
  const more = sorted.length > pageSize;
  return { items: shown, next: more ? Buffer.from(sortKey(shown[shown.length - 1]), 'utf8').toString('base64url') : undefined };
}
