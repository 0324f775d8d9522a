/** Sessions in DynamoDB, stored under the SHA-256 of their token, each with a copy of its identity. */
import { BatchWriteItemCommand, QueryCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { isSessionActive } from '../../session/model.js';
import type { SessionListRequest, SessionRepository } from '../../session/repository.js';
import { identitySnapshot, itemToSession, keys, sessionToItem, SESSIONS_COLLECTION, type Item } from './items.js';
import { call, conditionally, untilProcessed, type TableReads } from './toolkit.js';
import { conditions, transactionItems } from './transaction.js';

const BATCH_WRITE_LIMIT = 25;
const tokenHashOf = (item: Item) => item.pk.S!.slice('SESSION#'.length);
const sessionCollision = () => new Error('session id collision');

export function createSessionRepository(client: DynamoDBClient, table: string, reads: TableReads): SessionRepository {
  const tx = transactionItems(table);
  /** An update of an existing session item (undefined when there is none); `ALL_OLD` returns what it was. */
  const update = (key: Item, expression: string, values: Item, options: { names?: Record<string, string>; returnOld?: boolean } = {}) =>
    conditionally(() =>
      client.send(
        new UpdateItemCommand({
          TableName: table,
          Key: key,
          UpdateExpression: expression,
          ...conditions.present,
          ExpressionAttributeValues: values,
          ...(options.names ? { ExpressionAttributeNames: options.names } : {}),
          ...(options.returnOld ? { ReturnValues: 'ALL_OLD' as const } : {}),
        }),
      ),
    );
  const revoke = (tokenHash: string) => update(keys.session(tokenHash), 'SET active = :active', { ':active': { BOOL: false } }, { returnOld: true });
  const activeFilter = (request: SessionListRequest) => (item: Item) =>
    request.active === undefined || isSessionActive(itemToSession(item), request.now) === request.active;
  const ofIdentity = (identityId: string) => reads.queryAll('gsi2', `IDENTITY#${identityId}`);

  return {
    add: (session, tokenHash) => tx.batch(tx.put(sessionToItem(session, tokenHash), conditions.absent, sessionCollision)),

    getByTokenHash: async (tokenHash) => {
      const item = await reads.getItem(keys.session(tokenHash));
      return item ? itemToSession(item) : undefined;
    },

    getById: async (id) => {
      const out = await call(() =>
        client.send(
          new QueryCommand({
            TableName: table,
            IndexName: 'gsi1',
            KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk = :id',
            ExpressionAttributeValues: { ':pk': { S: SESSIONS_COLLECTION }, ':id': { S: id } },
          }),
        ),
      );
      const item = out.Items?.[0];
      return item ? itemToSession(item) : undefined;
    },

    revokeByTokenHash: async (tokenHash) => {
      // The old item comes back with the update: whose session it was costs no second call.
      const old = (await revoke(tokenHash))?.Attributes;
      return old ? { sessionId: old.id?.S ?? '', identityId: old.identity_id?.S ?? '' } : undefined;
    },

    list: async (request) => {
      const page = await reads.queryPage('gsi1', SESSIONS_COLLECTION, request.pageSize, request.after, undefined, activeFilter(request));
      return { items: page.items.map(itemToSession), next: page.next };
    },

    listByIdentity: async (identityId, request) => {
      const page = await reads.queryPage('gsi2', `IDENTITY#${identityId}`, request.pageSize, request.after, undefined, activeFilter(request));
      return { items: page.items.map(itemToSession), next: page.next };
    },

    revokeAllOfIdentity: async (identityId) => {
      const active = (await ofIdentity(identityId)).filter((item) => item.active?.BOOL);
      // A session deleted meanwhile is simply not revoked.
      for (const item of active) await revoke(tokenHashOf(item));
      return active.length;
    },

    deleteAllOfIdentity: async (identityId) => {
      const items = await ofIdentity(identityId);
      for (let i = 0; i < items.length; i += BATCH_WRITE_LIMIT) {
        const deletes = items.slice(i, i + BATCH_WRITE_LIMIT).map((item) => ({ DeleteRequest: { Key: { pk: item.pk } } }));
        await untilProcessed(deletes, async (pending) => {
          const out = await call(() => client.send(new BatchWriteItemCommand({ RequestItems: { [table]: pending } })));
          return (out.UnprocessedItems?.[table] ?? []) as typeof pending;
        });
      }
    },

    extend: async (tokenHash, expiresAt) =>
      (await update(
        keys.session(tokenHash),
        'SET expires_at = :at, #ttl = :ttl',
        { ':at': { S: expiresAt.toISOString() }, ':ttl': { N: String(Math.floor(expiresAt.getTime() / 1000)) } },
        { names: { '#ttl': 'ttl' } },
      )) !== undefined,

    refreshIdentity: async (identity) => {
      const snapshot = { S: JSON.stringify(identitySnapshot(identity)) };
      // A session deleted meanwhile needs no refresh.
      for (const item of await ofIdentity(identity.id)) {
        await update({ pk: item.pk }, 'SET #identity = :snapshot', { ':snapshot': snapshot }, { names: { '#identity': 'identity' } });
      }
    },
  };
}
