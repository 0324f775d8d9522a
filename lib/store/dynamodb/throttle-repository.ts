/**
 * Login throttling counters in DynamoDB: one item per key (`THROTTLE#<key>`) with the attempts of the current window,
 * when that window ends, and a lockout, all changed by conditional writes only (no read-modify-write race), and
 * deleted by TTL once nothing of it matters. The common case (a new or open window) is one UpdateItem.
 */
import { PutItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Reservation, ThrottleRepository } from '../../flows/throttle.js';
import { translateStorageError } from './client.js';
import { keys, type Item } from './items.js';
import { conditionally, isConditionFailure } from './toolkit.js';
import { transactionItems } from './transaction.js';

const seconds = (ms: number) => String(Math.ceil(ms / 1000));

export function createThrottleRepository(client: DynamoDBClient, table: string): ThrottleRepository {
  const tx = transactionItems(table);
  return {
    // Unconditional: a counter that is gone already is as good as cleared.
    clear: (key) => tx.batch({ write: { Delete: { TableName: table, Key: keys.throttle(key) } }, onConditionFailed: () => new Error('unconditional delete') }),

    async reserve(key, limit, now): Promise<Reservation> {
      const t = now.getTime();
      const Key = keys.throttle(key);
      for (let round = 0; round < 4; round += 1) {
        let old: Item | undefined;
        try {
          // A new window, or one more attempt in the open window below the limit, not locked.
          await client.send(
            new UpdateItemCommand({
              TableName: table,
              Key,
              UpdateExpression: 'SET attempts = if_not_exists(attempts, :zero) + :one, window_ends_at = if_not_exists(window_ends_at, :end), #ttl = if_not_exists(#ttl, :ttl), kind = :kind',
              ConditionExpression: '(attribute_not_exists(pk) OR (window_ends_at > :now AND attempts < :max)) AND (attribute_not_exists(locked_until) OR locked_until <= :now)',
              ExpressionAttributeNames: { '#ttl': 'ttl' },
              ExpressionAttributeValues: {
                ':zero': { N: '0' },
                ':one': { N: '1' },
                ':end': { N: String(t + limit.windowMs) },
                ':ttl': { N: seconds(t + limit.windowMs + limit.lockoutMs) },
                ':kind': { S: 'throttle' },
                ':now': { N: String(t) },
                ':max': { N: String(limit.max) },
              },
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            }),
          );
          return { allowed: true };
        } catch (error) {
          if (!isConditionFailure(error)) throw translateStorageError(error);
          old = error.Item;
        }
        if (!old) continue; // it vanished meanwhile (TTL): try again
        const lockedUntil = Number(old.locked_until?.N ?? 0);
        if (lockedUntil > t) return { allowed: false, retryAfterMs: lockedUntil - t, lockedNow: false };
        const windowEnds = Number(old.window_ends_at?.N ?? 0);
        if (windowEnds <= t || lockedUntil > 0) {
          // The window (or a lockout) is over: a fresh window, unless someone else started it first.
          const fresh = await conditionalPut(client, table, {
            ...Key,
            kind: { S: 'throttle' },
            attempts: { N: '1' },
            window_ends_at: { N: String(t + limit.windowMs) },
            ttl: { N: seconds(t + limit.windowMs + limit.lockoutMs) },
          }, old);
          if (fresh) return { allowed: true };
          continue;
        }
        // The limit is reached in the open window: lock it out (once; a concurrent lock is as good).
        const until = t + limit.lockoutMs;
        const locked = await conditionalLock(client, table, Key, until, t);
        return { allowed: false, retryAfterMs: until - t, lockedNow: locked };
      }
      // Contended beyond reason: refuse rather than compare unreserved.
      return { allowed: false, retryAfterMs: 1000, lockedNow: false };
    },
  };
}

async function conditionalPut(client: DynamoDBClient, table: string, item: Item, old: Item): Promise<boolean> {
  const put = await conditionally(() =>
    client.send(
      new PutItemCommand({
        TableName: table,
        Item: item,
        // Unchanged since it was read, lockout included: a lock written meanwhile is not overwritten.
        ConditionExpression: old.locked_until
          ? 'attempts = :attempts AND window_ends_at = :end AND locked_until = :lock'
          : 'attempts = :attempts AND window_ends_at = :end AND attribute_not_exists(locked_until)',
        ExpressionAttributeValues: {
          ':attempts': old.attempts ?? { N: '0' },
          ':end': old.window_ends_at ?? { N: '0' },
          ...(old.locked_until ? { ':lock': old.locked_until } : {}),
        },
      }),
    ),
  );
  return put !== undefined;
}

async function conditionalLock(client: DynamoDBClient, table: string, key: Item, until: number, now: number): Promise<boolean> {
  const locked = await conditionally(() =>
    client.send(
      new UpdateItemCommand({
        TableName: table,
        Key: key,
        UpdateExpression: 'SET locked_until = :until, #ttl = :ttl',
        ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(locked_until) OR locked_until <= :now)',
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: { ':until': { N: String(until) }, ':ttl': { N: seconds(until) }, ':now': { N: String(now) } },
      }),
    ),
  );
  return locked !== undefined;
}
