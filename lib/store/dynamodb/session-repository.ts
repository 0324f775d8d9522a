/**
 * Sessions in DynamoDB, stored under the SHA-256 of their token, each with a copy of its identity (whoami is one
 * read). Every session is also listed in its identity's index items (`SESSIONS#<identity>#<hour it expires>`), written
 * in the session's own transaction and read strongly: when the identity changes (disabled, deleted, a new password,
 * an address verified), every one of its sessions is found and changed before the change answers, which the
 * eventually consistent gsi2 could not promise (a session made a moment before may not be in it yet). gsi2 still
 * lists sessions for the admin API, and finds those made before the index existed.
 */
import { BatchGetItemCommand, BatchWriteItemCommand, QueryCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { isSessionActive } from '../../session/model.js';
import type { SessionListRequest, SessionRepository } from '../../session/repository.js';
import { NoActiveSessionError } from '../../errors/index.js';
import { amrItem, identitySnapshot, itemToSession, keys, sessionToItem, SESSIONS_COLLECTION, type Item } from './items.js';
import { call, conditionally, untilProcessed, type TableReads } from './toolkit.js';
import { conditions, transactionItems } from './transaction.js';

const BATCH_WRITE_LIMIT = 25;
const BATCH_GET_LIMIT = 100;
const HOUR_MS = 3_600_000;
const hourOf = (date: Date) => Math.floor(date.getTime() / HOUR_MS);
const tokenHashOf = (item: Item) => item.pk.S!.slice('SESSION#'.length);
const sessionCollision = () => new Error('session id collision');

export interface SessionRepositoryOptions {
  /** The longest a session lives (SESSION_LIFESPAN): how far ahead the index is read. */
  sessionLifespanMs?: number;
}

export function createSessionRepository(client: DynamoDBClient, table: string, reads: TableReads, options: SessionRepositoryOptions = {}): SessionRepository {
  const tx = transactionItems(table);
  const horizonMs = options.sessionLifespanMs ?? 24 * HOUR_MS;
  /** Lists a session in its identity's index item for the hour it expires in. */
  const indexWrite = (identityId: string, tokenHash: string, expiresAt: Date) => ({
    TableName: table,
    Key: keys.sessionIndex(identityId, hourOf(expiresAt)),
    UpdateExpression: 'ADD hashes :hash SET #ttl = :ttl, kind = :kind',
    ExpressionAttributeNames: { '#ttl': 'ttl' },
    ExpressionAttributeValues: { ':hash': { SS: [tokenHash] }, ':ttl': { N: String((hourOf(expiresAt) + 2) * 3600) }, ':kind': { S: 'session_index' } },
  });
  /** Items by key, strongly consistent, 100 at a time. */
  async function getAll(wanted: Item[]): Promise<Item[]> {
    const found: Item[] = [];
    for (let i = 0; i < wanted.length; i += BATCH_GET_LIMIT) {
      await untilProcessed<Item>(wanted.slice(i, i + BATCH_GET_LIMIT), async (pending) => {
        const out = await call(() => client.send(new BatchGetItemCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: true } } })));
        found.push(...(out.Responses?.[table] ?? []));
        return out.UnprocessedKeys?.[table]?.Keys ?? [];
      });
    }
    return found;
  }
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
  /**
   * Every session item of an identity that may still be alive: those its index lists (strongly read), and those gsi2
   * lists (sessions from before the index).
   */
  async function ofIdentity(identityId: string): Promise<Item[]> {
    const now = Date.now();
    const hours: Item[] = [];
    for (let hour = hourOf(new Date(now - HOUR_MS)); hour <= hourOf(new Date(now + horizonMs)); hour++) hours.push(keys.sessionIndex(identityId, hour));
    const listed = (await getAll(hours)).flatMap((item) => item.hashes?.SS ?? []);
    const indexed = await reads.queryAll('gsi2', `IDENTITY#${identityId}`);
    const missing = [...new Set(listed)].filter((hash) => !indexed.some((item) => tokenHashOf(item) === hash));
    return [...indexed, ...(await getAll(missing.map((hash) => keys.session(hash))))];
  }

  return {
    add: (session, tokenHash) =>
      tx.batch(
        tx.put(sessionToItem(session, tokenHash), conditions.absent, sessionCollision),
        tx.update(indexWrite(session.identityId, tokenHash, session.expiresAt), () => new Error('unconditional update')),
      ),

    stepUp: (tokenHash, change) =>
      tx.batch(
        tx.update(
          {
            Key: keys.session(tokenHash),
            UpdateExpression: 'SET amr = :amr, authenticated_at = :at, #identity = :identity',
            ConditionExpression: 'attribute_exists(pk) AND active = :active',
            ExpressionAttributeNames: { '#identity': 'identity' },
            ExpressionAttributeValues: {
              ':amr': amrItem(change.amr),
              ':at': { S: change.authenticatedAt.toISOString() },
              ':identity': { S: JSON.stringify(identitySnapshot(change.identity)) },
              ':active': { BOOL: true },
            },
          },
          () => new NoActiveSessionError(),
        ),
      ),

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

    revokeAllOfIdentity: async (identityId, except) => {
      const active = (await ofIdentity(identityId)).filter((item) => item.active?.BOOL && item.id?.S !== except);
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

    extend: async (tokenHash, expiresAt) => {
      const extended = await update(
        keys.session(tokenHash),
        'SET expires_at = :at, #ttl = :ttl',
        { ':at': { S: expiresAt.toISOString() }, ':ttl': { N: String(Math.floor(expiresAt.getTime() / 1000)) } },
        { names: { '#ttl': 'ttl' }, returnOld: true },
      );
      const identityId = extended?.Attributes?.identity_id?.S;
      if (!identityId) return false;
      // Listed again for the hour it now expires in.
      await call(() => client.send(new UpdateItemCommand(indexWrite(identityId, tokenHash, expiresAt))));
      return true;
    },

    refreshIdentity: async (identity) => {
      const snapshot = { S: JSON.stringify(identitySnapshot(identity)) };
      // A session deleted meanwhile needs no refresh.
      for (const item of await ofIdentity(identity.id)) {
        await update({ pk: item.pk }, 'SET #identity = :snapshot', { ':snapshot': snapshot }, { names: { '#identity': 'identity' } });
      }
    },
  };
}
