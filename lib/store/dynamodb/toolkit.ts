/**
 * What the repositories share to speak DynamoDB: error translation, single conditional writes, reads, keyset pages
 * and batch retries. Transactions are in transaction.ts.
 */
import { GetItemCommand, QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { translateStorageError } from './client.js';
import type { Item } from './items.js';

/** One DynamoDB call; failures of the database itself become a 503 (ServiceUnavailableError). */
export async function call<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw translateStorageError(error);
  }
}

/** A conditional write refused by its condition (with the item as it was, when the write asked for ALL_OLD). */
export const isConditionFailure = (error: unknown): error is Error & { Item?: Item } => error instanceof Error && error.name === 'ConditionalCheckFailedException';

/** A single conditional write: its output when it was made, undefined when its condition failed. */
export async function conditionally<T extends object>(work: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call(work);
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
}

export const projection = (attributes: string[]) => ({
  ProjectionExpression: attributes.map((_, i) => `#p${i}`).join(','),
  ExpressionAttributeNames: Object.fromEntries(attributes.map((name, i) => [`#p${i}`, name])),
});

/**
 * Batch calls may leave part of a request unprocessed under load; send the rest again with a short backoff,
 * and give up as throttled (503) after five rounds.
 */
export async function untilProcessed<T>(requests: T[], send: (pending: T[]) => Promise<T[]>): Promise<void> {
  let pending = requests;
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt >= 5) throw translateStorageError(Object.assign(new Error('unprocessed batch items'), { name: 'ThrottlingException' }));
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 10 * attempt));
    pending = await send(pending);
  }
}

const decodePageToken = (token: string | undefined) => (token ? Buffer.from(token, 'base64url').toString('utf8') : undefined);
const encodePageToken = (value: string) => Buffer.from(value, 'utf8').toString('base64url');

export type Index = 'gsi1' | 'gsi2';

/** Reads and queries of one table. */
export function tableReads(client: DynamoDBClient, table: string) {
  return {
    /** A strongly consistent read of one item, optionally only some attributes. */
    getItem: (key: Item, attributes?: string[]) =>
      call(async () => {
        const out = await client.send(
          new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true, ...(attributes ? projection(attributes) : {}) }),
        );
        return out.Item;
      }),

    /** One page of a GSI partition in sort-key order, after the keyset token; `keep` filters items. */
    async queryPage(
      index: Index,
      partition: string,
      pageSize: number,
      after: string | undefined,
      attributes?: string[],
      keep: (item: Item) => boolean = () => true,
    ): Promise<{ items: Item[]; next?: string }> {
      const items: Item[] = [];
      let cursor = decodePageToken(after);
      let exhausted = false;
      // Ask for one more than a page so the last page has no `next`; filtered queries may take several rounds.
      while (items.length <= pageSize && !exhausted) {
        const out = await call(() =>
          client.send(
            new QueryCommand({
              TableName: table,
              IndexName: index,
              KeyConditionExpression: cursor ? '#pk = :pk AND #sk > :after' : '#pk = :pk',
              ExpressionAttributeNames: {
                '#pk': `${index}pk`,
                ...(cursor ? { '#sk': `${index}sk` } : {}),
                ...(attributes ? projection(attributes).ExpressionAttributeNames : {}),
              },
              ExpressionAttributeValues: { ':pk': { S: partition }, ...(cursor ? { ':after': { S: cursor } } : {}) },
              ...(attributes ? { ProjectionExpression: projection(attributes).ProjectionExpression } : {}),
              Limit: pageSize + 1 - items.length,
            }),
          ),
        );
        const page = out.Items ?? [];
        for (const item of page) {
          cursor = item[`${index}sk`].S;
          if (keep(item)) items.push(item);
        }
        exhausted = !out.LastEvaluatedKey || page.length === 0;
      }
      const more = items.length > pageSize;
      const shown = items.slice(0, pageSize);
      return { items: shown, next: more ? encodePageToken(shown[shown.length - 1][`${index}sk`].S!) : undefined };
    },

    /** Every item of a GSI partition. */
    async queryAll(index: Index, partition: string): Promise<Item[]> {
      const items: Item[] = [];
      let start: Item | undefined;
      do {
        const out = await call(() =>
          client.send(
            new QueryCommand({
              TableName: table,
              IndexName: index,
              KeyConditionExpression: '#pk = :pk',
              ExpressionAttributeNames: { '#pk': `${index}pk` },
              ExpressionAttributeValues: { ':pk': { S: partition } },
              ExclusiveStartKey: start,
            }),
          ),
        );
        items.push(...(out.Items ?? []));
        start = out.LastEvaluatedKey;
      } while (start);
      return items;
    },
  };
}
export type TableReads = ReturnType<typeof tableReads>;
