/**
 * DynamoDB's side of a unit of work (lib/util/writes.ts): a batch of writes is a list of transaction items, each
 * with the error its condition failing means, and a commit is one TransactWriteItems of every batch given. The
 * condition pieces the repositories share live here too.
 */
import { TransactWriteItemsCommand, TransactionCanceledException, type DynamoDBClient, type TransactWriteItem } from '@aws-sdk/client-dynamodb';
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

/** Commits batches prepared by this table's repositories as one transaction. */
export function committer(client: DynamoDBClient, table: string): Committer {
  return {
    commit: async (...writes) => {
      const items = writes.flatMap((w) => {
        const batch = w as unknown as DynamoWrites;
        if (batch?.table !== table || !Array.isArray(batch.items)) throw new Error('these writes were not prepared by this DynamoDB store');
        return batch.items;
      });
      if (items.length > 0) await transact(client, items);
    },
  };
}
