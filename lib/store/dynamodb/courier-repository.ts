/**
 * The courier's queue on the table: MESSAGE#<id> items, the queued ones on gsi1 (COURIER#queued, sorted by due
 * time), every one on gsi2 (COURIER#messages, newest first) for the admin API's list. A claim is a conditional update that takes a lease and counts the attempt; each later mark is conditional on
 * that attempt's count, so a courier whose lease ran out (and whose message another courier took) changes nothing.
 */
import { randomUUID } from 'node:crypto';
import { GetItemCommand, QueryCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { CourierMessage } from '../../courier/model.js';
import type { CourierRepository, CourierStream, TableChange } from '../../courier/repository.js';
import { COURIER_MESSAGES, COURIER_QUEUE, itemToMessage, keys, messageToItem, MESSAGE_RETENTION_SECONDS, queueSortKey, type Item } from './items.js';
import { call, conditionally, tableReads } from './toolkit.js';
import { conditions, transactionItems } from './transaction.js';

const messageCollision = () => new Error('message id collision');

const epochSeconds = (date: Date) => Math.floor(date.getTime() / 1000);

export function createCourierRepository(client: DynamoDBClient, table: string): CourierRepository {
  const tx = transactionItems(table);
  const reads = tableReads(client, table);
  /** An update of the attempt `claimed` made: the message is still queued at that attempt's count. */
  const updateClaimed = async (claimed: CourierMessage, update: { set: string; remove?: string; values: Item }): Promise<boolean> => {
    const out = await conditionally(() =>
      client.send(
        new UpdateItemCommand({
          TableName: table,
          Key: keys.message(claimed.id),
          UpdateExpression: `SET ${update.set}${update.remove ? ` REMOVE ${update.remove}` : ''}`,
          ConditionExpression: 'attribute_exists(pk) AND #status = :queued AND send_count = :count',
          ExpressionAttributeNames: { '#status': 'status', ...(update.set.includes('#ttl') ? { '#ttl': 'ttl' } : {}) },
          ExpressionAttributeValues: { ':queued': { S: 'queued' }, ':count': { N: String(claimed.sendCount) }, ...update.values },
        }),
      ),
    );
    return out !== undefined;
  };

  const finished = (status: 'sent' | 'abandoned', now: Date, error?: string) => ({
    set: `#status = :done, updated_at = :now, #ttl = :ttl${error ? ', last_error = :error' : ''}`,
    // The template data holds the code: once the message is done with, it goes (codes are kept only as an HMAC).
    remove: 'gsi1pk, gsi1sk, lease_until, template_data',
    values: {
      ':done': { S: status },
      ':now': { S: now.toISOString() },
      ':ttl': { N: String(epochSeconds(now) + MESSAGE_RETENTION_SECONDS) },
      ...(error ? { ':error': { S: error } } : {}),
    } as Item,
  });

  return {
    queue: (message) => tx.batch(tx.put(messageToItem(message), conditions.absent, messageCollision)),

    // A check of a message key that cannot exist: one transaction item, like a put, writing nothing.
    placeholder: () => tx.batch(tx.check(keys.message(randomUUID()), conditions.absent, messageCollision)),

    async listDue(now, limit) {
      const out = await call(() =>
        client.send(
          new QueryCommand({
            TableName: table,
            IndexName: 'gsi1',
            KeyConditionExpression: 'gsi1pk = :queue AND gsi1sk <= :due',
            // Every key due at `now`, whatever its id: '~' sorts after the ids' characters.
            ExpressionAttributeValues: { ':queue': { S: COURIER_QUEUE }, ':due': { S: `${now.toISOString()}#~` } },
            Limit: limit,
          }),
        ),
      );
      return (out.Items ?? []).map(itemToMessage);
    },

    async get(id) {
      const out = await call(() => client.send(new GetItemCommand({ TableName: table, Key: keys.message(id), ConsistentRead: true })));
      return out.Item ? itemToMessage(out.Item) : undefined;
    },

    // Filters apply to the partition as it is read (a page may take several queries when few messages match).
    async list(filter, page) {
      const keep = (item: Item) => (!filter.status || item.status?.S === filter.status) && (filter.recipient === undefined || item.recipient?.S === filter.recipient);
      const out = await reads.queryPage('gsi2', COURIER_MESSAGES, page.pageSize, page.after, undefined, keep);
      return { items: out.items.map(itemToMessage), ...(out.next ? { next: out.next } : {}) };
    },

    async claim(id, now, leaseMs) {
      const out = await conditionally(() =>
        client.send(
          new UpdateItemCommand({
            TableName: table,
            Key: keys.message(id),
            UpdateExpression: 'SET lease_until = :until, updated_at = :nowIso ADD send_count :one',
            ConditionExpression:
              'attribute_exists(pk) AND #status = :queued AND next_attempt_at <= :nowIso AND (attribute_not_exists(lease_until) OR lease_until <= :now)',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':queued': { S: 'queued' },
              ':now': { N: String(now.getTime()) },
              ':nowIso': { S: now.toISOString() },
              ':until': { N: String(now.getTime() + leaseMs) },
              ':one': { N: '1' },
            },
            ReturnValues: 'ALL_NEW',
          }),
        ),
      );
      return out?.Attributes ? itemToMessage(out.Attributes) : undefined;
    },

    markSent: (claimed, now) => updateClaimed(claimed, finished('sent', now)),

    markAbandoned: (claimed, now, error) => updateClaimed(claimed, finished('abandoned', now, error)),

    markRetry: (claimed, now, error, nextAttemptAt) =>
      updateClaimed(claimed, {
        set: 'next_attempt_at = :next, gsi1sk = :sk, updated_at = :now, last_error = :error',
        remove: 'lease_until',
        values: {
          ':next': { S: nextAttemptAt.toISOString() },
          ':sk': { S: queueSortKey({ id: claimed.id, nextAttemptAt }) },
          ':now': { S: now.toISOString() },
          ':error': { S: error },
        },
      }),
  };
}

/** New queued messages, as the table's DynamoDB Stream delivers them (an INSERT of a MESSAGE# item). */
export const courierStream: CourierStream = {
  queuedMessageOf(change: TableChange) {
    if (change.eventName !== 'INSERT') return undefined;
    const image = change.dynamodb?.NewImage as Item | undefined;
    if (!image?.pk?.S?.startsWith('MESSAGE#') || image.status?.S !== 'queued') return undefined;
    return itemToMessage(image);
  },
};
