/**
 * DynamoDB's side of a unit of work (lib/util/writes.ts): a batch of writes is a list of transaction items, each
 * with the error its condition failing means, and a commit is one TransactWriteItems of every batch given. The
 * condition pieces the repositories share live here too.
 */
import { TransactWriteItemsCommand, TransactionCanceledException, type DynamoDBClient, type TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { KratosError } from '../../errors/index.js';
import { forEachConcurrently } from '../../util/pool.js';
import type { Committer, Writes } from '../../util/writes.js';
import { translateStorageError } from './client.js';
import { keys, type Item } from './items.js';

/** The condition part of a write: an expression and the values it names. */
export interface Condition {
  ConditionExpression: string;
  ExpressionAttributeValues?: Item;
  ExpressionAttributeNames?: Record<string, string>;
}

export const conditions = {
  absent: { ConditionExpression: 'attribute_not_exists(pk)' } as Condition,
  present: { ConditionExpression: 'attribute_exists(pk)' } as Condition,
  /** The identity has not changed (nor vanished) since `revision` was read. */
  revision: (revision: number | undefined): Condition => ({
    ConditionExpression: 'attribute_exists(pk) AND revision = :revision',
    ExpressionAttributeValues: { ':revision': { N: String(revision ?? 1) } },
  }),
  /** A claim still belongs to this identity. */
  claimedBy: (identityId: string): Condition => ({
    ConditionExpression: 'identity_id = :claimant',
    ExpressionAttributeValues: { ':claimant': { S: identityId } },
  }),
  /**
   * A claim this identity releases: still its own, or not there at all (an identity stored before a kind of claim
   * existed, a security key's user handle say, has none to release; another identity's claim is never touched).
   */
  releasable: (identityId: string): Condition => ({
    ConditionExpression: 'attribute_not_exists(pk) OR identity_id = :claimant',
    ExpressionAttributeValues: { ':claimant': { S: identityId } },
  }),
};

/**
 * A transaction item and the error its condition failing means (told, for an item whose write asks for it with
 * `ReturnValuesOnConditionCheckFailure: ALL_OLD`, the item as it was).
 */
export interface Guarded {
  write: TransactWriteItem;
  onConditionFailed: (old?: Item) => Error;
}

/** A prepared batch: the transaction items of one table. */
interface DynamoWrites {
  readonly table: string;
  readonly items: Guarded[];
}

/** Transaction items of one table, as prepared batches. */
export function transactionItems(table: string) {
  const batch = (...items: Guarded[]): Writes => ({ table, items }) as DynamoWrites as unknown as Writes;
  return {
    batch,
    put: (item: Item, condition: Condition, onConditionFailed: () => Error): Guarded => ({
      write: { Put: { TableName: table, Item: item, ...condition } },
      onConditionFailed,
    }),
    delete: (key: Item, condition: Condition, onConditionFailed: () => Error): Guarded => ({
      write: { Delete: { TableName: table, Key: key, ...condition } },
      onConditionFailed,
    }),
    check: (key: Item, condition: Condition, onConditionFailed: () => Error): Guarded => ({
      write: { ConditionCheck: { TableName: table, Key: key, ...condition } },
      onConditionFailed,
    }),
    update: (update: Omit<NonNullable<TransactWriteItem['Update']>, 'TableName'>, onConditionFailed: (old?: Item) => Error): Guarded => ({
      write: { Update: { ...update, TableName: table } },
      onConditionFailed,
    }),
    /**
     * Completes a self-service flow: only an open (`choose_method`, or `sent_email` with a code outstanding), unexpired
     * flow can be completed, and only once.
     */
    completeFlow: (flowId: string, now: Date, onConditionFailed: () => Error): Guarded => ({
      write: {
        Update: {
          TableName: table,
          Key: keys.flow(flowId),
          UpdateExpression: 'SET #state = :done',
          ConditionExpression: 'attribute_exists(pk) AND (#state = :open OR #state = :sent) AND expires_at_ms > :now',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':done': { S: 'passed_challenge' }, ':open': { S: 'choose_method' }, ':sent': { S: 'sent_email' }, ':now': { N: String(now.getTime()) } },
        },
      },
      onConditionFailed,
    }),
  };
}
export type TransactionItems = ReturnType<typeof transactionItems>;

const TRANSACTION_ATTEMPTS = 6;

/**
 * Runs a transaction, all or nothing. When a condition fails, the error of that item is thrown (DynamoDB's
 * cancellation reasons are in item order). Conflicts with another transaction on the same items at the same
 * moment are retried with jitter until the conditions decide.
 */
export async function transact(client: DynamoDBClient, items: Guarded[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await client.send(new TransactWriteItemsCommand({ TransactItems: items.map((item) => item.write) }));
      return;
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw translateStorageError(error);
      const reasons = error.CancellationReasons ?? [];
      const failed = reasons.findIndex((reason) => reason.Code === 'ConditionalCheckFailed');
      if (failed >= 0 && items[failed]) throw items[failed].onConditionFailed(reasons[failed].Item as Item | undefined);
      const conflict = reasons.some((reason) => reason.Code === 'TransactionConflict');
      if (!conflict || attempt >= TRANSACTION_ATTEMPTS) throw translateStorageError(error);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
    }
  }
}

/**
 * A transaction (conflicts retried as `transact` does): the items whose condition failed, by index with the item as
 * it was when the write asked for it; empty when it was written.
 */
async function transactOrFailedItems(client: DynamoDBClient, items: Guarded[]): Promise<{ index: number; old?: Item }[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      await client.send(new TransactWriteItemsCommand({ TransactItems: items.map((item) => item.write) }));
      return [];
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw translateStorageError(error);
      const reasons = error.CancellationReasons ?? [];
      const failed = reasons.flatMap((reason, index) => (reason.Code === 'ConditionalCheckFailed' && items[index] ? [{ index, old: reason.Item as Item | undefined }] : []));
      if (failed.length > 0) return failed;
      const conflict = reasons.some((reason) => reason.Code === 'TransactionConflict');
      if (!conflict || attempt >= TRANSACTION_ATTEMPTS) throw translateStorageError(error);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
    }
  }
}

/** DynamoDB's bounds of one transaction: 100 items, 4 MB (kept well below, counted as JSON). */
const MAX_TRANSACTION_ITEMS = 100;
const MAX_TRANSACTION_BYTES = 3 * 1024 * 1024;
/** Transactions of one commitEach in flight at once. */
const COMMIT_EACH_CONCURRENCY = 8;

const itemKey = (write: TransactWriteItem): string | undefined => {
  const key = write.Put?.Item ?? write.Update?.Key ?? write.Delete?.Key ?? write.ConditionCheck?.Key;
  return key?.pk?.S;
};

/**
 * Units packed into transactions, in waves: a unit touching an item an earlier unit touches goes in a wave after that
 * unit's (so the earlier one's conditions decide first, as if committed one by one); within a wave, transactions take
 * units in order while they fit DynamoDB's bounds. The transactions of a wave run at once, the waves one after another.
 */
function pack(units: Guarded[][]): number[][][] {
  const keysOf = units.map((items, index) => items.map((item) => itemKey(item.write) ?? `#${index}`));
  const lastWave = new Map<string, number>();
  const waves: number[][] = [];
  keysOf.forEach((keys, index) => {
    const wave = Math.max(0, ...keys.map((key) => (lastWave.get(key) ?? -1) + 1));
    for (const key of keys) lastWave.set(key, wave);
    (waves[wave] ??= []).push(index);
  });
  return waves.map((wave) => {
    const groups: number[][] = [];
    let group: number[] = [];
    let count = 0;
    let bytes = 0;
    for (const index of wave) {
      const unitBytes = units[index].reduce((sum, item) => sum + JSON.stringify(item.write).length, 0);
      if (group.length > 0 && (count + units[index].length > MAX_TRANSACTION_ITEMS || bytes + unitBytes > MAX_TRANSACTION_BYTES)) {
        groups.push(group);
        group = [];
        count = 0;
        bytes = 0;
      }
      group.push(index);
      count += units[index].length;
      bytes += unitBytes;
    }
    if (group.length > 0) groups.push(group);
    return groups;
  });
}

/** Commits batches prepared by this table's repositories as one transaction. */
export function committer(client: DynamoDBClient, table: string): Committer {
  const itemsOf = (writes: Writes[]) =>
    writes.flatMap((w) => {
      const batch = w as unknown as DynamoWrites;
      if (batch?.table !== table || !Array.isArray(batch.items)) throw new Error('these writes were not prepared by this DynamoDB store');
      return batch.items;
    });
  return {
    commit: async (...writes) => {
      const items = itemsOf(writes);
      if (items.length > 0) await transact(client, items);
    },

    async commitEach(units) {
      const prepared = units.map(itemsOf);
      const results: (Error | undefined)[] = prepared.map(() => undefined);
      /**
       * One unit alone: its failed condition's error, or a value DynamoDB refuses (400), is its own; the store failing
       * (503, or an error of the SDK itself) fails the call.
       */
      const alone = async (index: number) => {
        try {
          await transact(client, prepared[index]);
        } catch (error) {
          const ofTheStore = !(error instanceof Error) || (error instanceof KratosError && error.status >= 500) || '$metadata' in error;
          if (ofTheStore) throw error;
          results[index] = error;
        }
      };
      /** The units of one transaction: a failed condition takes out its own unit, and the others are tried again. */
      const commitGroup = async (group: number[]) => {
        let pending = group.filter((index) => prepared[index].length > 0);
        while (pending.length > 1) {
          const items = pending.flatMap((index) => prepared[index]);
          const owners = pending.flatMap((index) => prepared[index].map(() => index));
          let failed: { index: number; old?: Item }[];
          try {
            failed = await transactOrFailedItems(client, items);
          } catch (error) {
            // Something of the transaction refused as a whole (a value too large): each unit on its own tells whose.
            if (error instanceof KratosError && error.status < 500) break;
            throw error;
          }
          if (failed.length === 0) return;
          for (const { index: itemIndex, old } of failed) {
            // The unit's first failing condition in the order it gave its writes, as commit reports it.
            results[owners[itemIndex]] ??= items[itemIndex].onConditionFailed(old);
          }
          pending = pending.filter((index) => results[index] === undefined);
        }
        for (const index of pending) await alone(index);
      };
      for (const wave of pack(prepared)) await forEachConcurrently(wave, COMMIT_EACH_CONCURRENCY, commitGroup);
      return results;
    },
  };
}
