/** Self-service errors shown to browsers, in DynamoDB: one item each, expired by TTL (and checked on read). */
import { PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SelfServiceErrorRepository } from '../../flows/errors.js';
import { keys } from './items.js';
import { call, type TableReads } from './toolkit.js';
import { conditions } from './transaction.js';

export function createErrorRepository(client: DynamoDBClient, table: string, reads: TableReads): SelfServiceErrorRepository {
  return {
    create: async (error) => {
      await call(() =>
        client.send(
          new PutItemCommand({
            TableName: table,
            Item: {
              ...keys.error(error.id),
              kind: { S: 'error' },
              id: { S: error.id },
              error: { S: JSON.stringify(error.error) },
              created_at: { S: error.createdAt.toISOString() },
              expires_at: { S: error.expiresAt.toISOString() },
              ttl: { N: String(Math.floor(error.expiresAt.getTime() / 1000)) },
            },
            ...conditions.absent,
          }),
        ),
      );
    },

    get: async (id) => {
      const item = await reads.getItem(keys.error(id));
      if (!item?.error?.S || !item.created_at?.S || !item.expires_at?.S) return undefined;
      return { id, error: JSON.parse(item.error.S) as Record<string, unknown>, createdAt: new Date(item.created_at.S), expiresAt: new Date(item.expires_at.S) };
    },
  };
}
