/**
 * Guessing limits in DynamoDB (lib/flows/throttle.ts), changed by conditional writes only: no read-modify-write race.
 * - An identifier's counter, `THROTTLE#login#<hmac>`: the window's end, the attempts of every client in it
 *   (`c_<client>`, a client being an HMAC of its address) and in all (`attempts_all`), a lockout per client (`l_<client>`) and
 *   one for the identifier (`locked_until`). The common case (a new or open window, below every limit) is one
 *   UpdateItem; a window that ended, or a limit reached, takes one more write.
 * - A client's failures across identifiers, `THROTTLE#ip#<hmac>`: a count in a window.
 * - Fixed-window counters (`THROTTLE#<what>#<hmac>#<window>`): one attribute `hits`.
 * Everything is deleted by TTL once nothing of it matters.
 */
import { PutItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Reservation, ThrottleRepository } from '../../flows/throttle.js';
import { translateStorageError } from './client.js';
import { itemToFailures, keys, type Item } from './items.js';
import { conditionally, isConditionFailure, type TableReads } from './toolkit.js';
import { transactionItems } from './transaction.js';

const seconds = (ms: number) => String(Math.ceil(ms / 1000));
const num = (item: Item | undefined, name: string) => Number(item?.[name]?.N ?? 0);

export function createThrottleRepository(client: DynamoDBClient, table: string, reads: TableReads): ThrottleRepository {
  const tx = transactionItems(table);
  /** One conditional write of a counter: true when it was made. */
  const write = async (command: UpdateItemCommand | PutItemCommand) => (await conditionally(() => client.send(command as UpdateItemCommand))) !== undefined;

  return {
    async reserve(key, clientName, limits, now): Promise<Reservation> {
      const t = now.getTime();
      const Key = keys.throttle(key);
      const c = `c_${clientName}`;
      const l = `l_${clientName}`;
      const ceiling = limits.perIdentifier !== undefined;
      const refused = (untilMs: number, lockedNow: boolean, by: 'client' | 'identifier'): Reservation => ({ allowed: false, retryAfterMs: untilMs - t, lockedNow, by });
      for (let round = 0; round < 4; round += 1) {
        let old: Item | undefined;
        try {
          // One more attempt in a new or open window, below the client's limit (and the identifier's), not locked out.
          await client.send(
            new UpdateItemCommand({
              TableName: table,
              Key,
              UpdateExpression:
                'SET #c = if_not_exists(#c, :zero) + :one, attempts_all = if_not_exists(attempts_all, :zero) + :one, window_ends_at = if_not_exists(window_ends_at, :end), #ttl = if_not_exists(#ttl, :ttl), kind = :kind',
              ConditionExpression: [
                '(attribute_not_exists(window_ends_at) OR window_ends_at > :now)',
                '(attribute_not_exists(#c) OR #c < :perClient)',
                '(attribute_not_exists(#l) OR #l <= :now)',
                ...(ceiling ? ['(attribute_not_exists(attempts_all) OR attempts_all < :perIdentifier)', '(attribute_not_exists(locked_until) OR locked_until <= :now)'] : []),
              ].join(' AND '),
              ExpressionAttributeNames: { '#c': c, '#l': l, '#ttl': 'ttl' },
              ExpressionAttributeValues: {
                ':zero': { N: '0' },
                ':one': { N: '1' },
                ':end': { N: String(t + limits.windowMs) },
                ':ttl': { N: seconds(t + limits.windowMs + limits.lockoutMs) },
                ':kind': { S: 'throttle' },
                ':now': { N: String(t) },
                ':perClient': { N: String(limits.perClient) },
                ...(ceiling ? { ':perIdentifier': { N: String(limits.perIdentifier) } } : {}),
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
        if (num(old, l) > t) return refused(num(old, l), false, 'client');
        if (ceiling && num(old, 'locked_until') > t) return refused(num(old, 'locked_until'), false, 'identifier');
        if (num(old, 'window_ends_at') <= t) {
          // The window is over: a new one with this attempt, keeping every lockout still running (unless someone else
          // started it first).
          const kept = Object.fromEntries(Object.entries(old).filter(([name, value]) => (name.startsWith('l_') || name === 'locked_until') && Number(value.N) > t));
          const fresh = await write(
            new PutItemCommand({
              TableName: table,
              Item: { ...Key, ...kept, kind: { S: 'throttle' }, [c]: { N: '1' }, attempts_all: { N: '1' }, window_ends_at: { N: String(t + limits.windowMs) }, ttl: { N: seconds(t + limits.windowMs + limits.lockoutMs) } },
              ConditionExpression: 'window_ends_at = :end',
              ExpressionAttributeValues: { ':end': old.window_ends_at },
            }),
          );
          if (fresh) return { allowed: true };
          continue;
        }
        // A limit is reached in the open window: lock out (once; a concurrent lock is as good), and start the count
        // afresh for when the lockout ends.
        const until = t + limits.lockoutMs;
        const by = num(old, c) >= limits.perClient ? 'client' : 'identifier';
        const [lock, count] = by === 'client' ? [l, c] : ['locked_until', 'attempts_all'];
        const locked = await write(
          new UpdateItemCommand({
            TableName: table,
            Key,
            UpdateExpression: 'SET #lock = :until, #count = :zero, #ttl = :ttl',
            ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(#lock) OR #lock <= :now)',
            ExpressionAttributeNames: { '#lock': lock, '#count': count, '#ttl': 'ttl' },
            ExpressionAttributeValues: { ':until': { N: String(until) }, ':zero': { N: '0' }, ':ttl': { N: seconds(until + limits.windowMs) }, ':now': { N: String(t) } },
          }),
        );
        return refused(until, locked, by);
      }
      // Contended beyond reason: refuse rather than check unreserved.
      return refused(t + 1000, false, 'client');
    },

    succeeded: (key, clientName, ttlMs, now) =>
      tx.batch(
        tx.update(
          {
            Key: keys.throttle(key),
            UpdateExpression: 'REMOVE #c SET #ttl = if_not_exists(#ttl, :ttl) ADD attempts_all :minusOne',
            ExpressionAttributeNames: { '#c': `c_${clientName}`, '#ttl': 'ttl' },
            ExpressionAttributeValues: { ':ttl': { N: seconds(now.getTime() + ttlMs) }, ':minusOne': { N: '-1' } },
          },
          () => new Error('unconditional update'),
        ),
      ),

    // Unconditional: a counter that is gone already is as good as cleared.
    clear: (key) => tx.batch({ write: { Delete: { TableName: table, Key: keys.throttle(key) } }, onConditionFailed: () => new Error('unconditional delete') }),

    async failures(key, now) {
      const failures = itemToFailures(await reads.getItem(keys.throttle(key)));
      return failures && failures.windowEndsAt.getTime() > now.getTime() ? failures : undefined;
    },

    async recordFailure(key, windowMs, now) {
      const t = now.getTime();
      const counted = await write(
        new UpdateItemCommand({
          TableName: table,
          Key: keys.throttle(key),
          UpdateExpression: 'SET attempts = if_not_exists(attempts, :zero) + :one, window_ends_at = if_not_exists(window_ends_at, :end), #ttl = if_not_exists(#ttl, :ttl), kind = :kind',
          ConditionExpression: 'attribute_not_exists(window_ends_at) OR window_ends_at > :now',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: { ':zero': { N: '0' }, ':one': { N: '1' }, ':end': { N: String(t + windowMs) }, ':ttl': { N: seconds(t + windowMs) }, ':kind': { S: 'throttle' }, ':now': { N: String(t) } },
        }),
      );
      if (counted) return;
      // The window is over: a new one with this failure (a concurrent failure restarting it too is one failure lost, no more).
      await client
        .send(new PutItemCommand({ TableName: table, Item: { ...keys.throttle(key), kind: { S: 'throttle' }, attempts: { N: '1' }, window_ends_at: { N: String(t + windowMs) }, ttl: { N: seconds(t + windowMs) } } }))
        .catch((error: unknown) => {
          throw translateStorageError(error);
        });
    },

    countWithin: (key, max, expiresAt, onFull) =>
      tx.batch(
        tx.update(
          {
            Key: keys.throttle(key),
            UpdateExpression: 'SET #ttl = :ttl, kind = :kind ADD hits :one',
            ConditionExpression: 'attribute_not_exists(hits) OR hits < :max',
            ExpressionAttributeNames: { '#ttl': 'ttl' },
            ExpressionAttributeValues: { ':ttl': { N: seconds(expiresAt.getTime()) }, ':kind': { S: 'throttle' }, ':one': { N: '1' }, ':max': { N: String(max) } },
          },
          onFull,
        ),
      ),

    count: async (key) => num(await reads.getItem(keys.throttle(key)), 'hits'),

    async increment(key, expiresAt) {
      await conditionally(() =>
        client.send(
          new UpdateItemCommand({
            TableName: table,
            Key: keys.throttle(key),
            UpdateExpression: 'SET #ttl = :ttl, kind = :kind ADD hits :one',
            ExpressionAttributeNames: { '#ttl': 'ttl' },
            ExpressionAttributeValues: { ':ttl': { N: seconds(expiresAt.getTime()) }, ':kind': { S: 'throttle' }, ':one': { N: '1' } },
          }),
        ),
      );
    },
  };
}
