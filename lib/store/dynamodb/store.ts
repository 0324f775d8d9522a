/**
 * The DynamoDB implementation of the storage interfaces. This folder is the only code that speaks DynamoDB.
 */
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  DescribeTableCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
  TransactionCanceledException,
  UpdateItemCommand,
  type DynamoDBClient,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { ConcurrentUpdateError, DuplicateIdentifierError, FlowAlreadyUsedError } from '../../errors.js';
import type { FlowRepository } from '../../flows/model.js';
import type { Identity } from '../../identity/model.js';
import type { IdentityRepository, Page } from '../../identity/repository.js';
import { isSessionActive, type Session } from '../../session/model.js';
import type { SessionListRequest, SessionRepository } from '../../session/repository.js';
import { translateStorageError } from './client.js';
import {
  flowToItem,
  identifierClaimItem,
  IDENTITIES_COLLECTION,
  identitySnapshot,
  identityToItem,
  itemToFlow,
  itemToIdentity,
  itemToSession,
  keys,
  PUBLIC_IDENTITY_ATTRIBUTES,
  sessionToItem,
  SESSIONS_COLLECTION,
  type Item,
} from './items.js';

export interface Store {
  flows: FlowRepository;
  identities: IdentityRepository;
  sessions: SessionRepository;
  /** Cheap reachability check for /health/ready. */
  ping(): Promise<void>;
}

const NOT_EXISTS = 'attribute_not_exists(pk)';
const TRANSACTION_ATTEMPTS = 6;

async function call<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw translateStorageError(error);
  }
}

const projection = (attributes: string[]) => ({
  ProjectionExpression: attributes.map((_, i) => `#p${i}`).join(','),
  ExpressionAttributeNames: Object.fromEntries(attributes.map((name, i) => [`#p${i}`, name])),
});

/** The flow-completion part of a transaction: only an open, unexpired flow can be completed, and only once. */
function completeFlow(table: string, flowId: string, now: Date): TransactWriteItem {
  return {
    Update: {
      TableName: table,
      Key: keys.flow(flowId),
      UpdateExpression: 'SET #state = :done',
      ConditionExpression: 'attribute_exists(pk) AND #state = :open AND expires_at_ms > :now',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: {
        ':done': { S: 'passed_challenge' },
        ':open': { S: 'choose_method' },
        ':now': { N: String(now.getTime()) },
      },
    },
  };
}

/** Guards a write on an identity not having changed (or vanished) since `revision` was read. */
function identityUnchanged(table: string, identity: Identity): TransactWriteItem {
  return {
    ConditionCheck: {
      TableName: table,
      Key: keys.identity(identity.id),
      ConditionExpression: 'attribute_exists(pk) AND revision = :revision',
      ExpressionAttributeValues: { ':revision': { N: String(identity.revision ?? 1) } },
    },
  };
}

const identifiersOf = (identity: Identity) => identity.identifiers ?? identity.password?.identifiers ?? [];

/**
 * Runs a transaction and says which item's condition failed. Transaction conflicts (another transaction on
 * the same items at the same moment) are retried with jitter until the conditions decide.
 */
async function transact(client: DynamoDBClient, items: TransactWriteItem[]): Promise<number | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      await client.send(new TransactWriteItemsCommand({ TransactItems: items }));
      return undefined;
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw translateStorageError(error);
      const reasons = error.CancellationReasons ?? [];
      const failed = reasons.findIndex((r) => r.Code === 'ConditionalCheckFailed');
      if (failed >= 0) return failed;
      const conflict = reasons.some((r) => r.Code === 'TransactionConflict');
      if (!conflict || attempt >= TRANSACTION_ATTEMPTS) throw translateStorageError(error);
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
    }
  }
}

/**
 * Batch calls may leave part of a request unprocessed under load; send the rest again with a short backoff,
 * and give up as throttled (503) after five rounds.
 */
async function untilProcessed<T>(requests: T[], send: (pending: T[]) => Promise<T[]>): Promise<void> {
  let pending = requests;
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt >= 5) throw translateStorageError(Object.assign(new Error('unprocessed batch items'), { name: 'ThrottlingException' }));
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 10 * attempt));
    pending = await send(pending);
  }
}

function decodeToken(token: string | undefined): string | undefined {
  if (!token) return undefined;
  return Buffer.from(token, 'base64url').toString('utf8');
}
const encodeToken = (value: string) => Buffer.from(value, 'utf8').toString('base64url');

export function createDynamoStore(client: DynamoDBClient, table: string): Store {
  const getItem = (key: Item, attributes?: string[]) =>
    call(async () => {
      const out = await client.send(
        new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true, ...(attributes ? projection(attributes) : {}) }),
      );
      return out.Item;
    });

  /** One page of a GSI partition in sort-key order, after the keyset token. */
  async function queryPage(
    index: 'gsi1' | 'gsi2',
    partition: string,
    pageSize: number,
    after: string | undefined,
    attributes?: string[],
    keep: (item: Item) => boolean = () => true,
  ): Promise<Page<Item>> {
    const items: Item[] = [];
    let cursor = decodeToken(after);
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
    return { items: shown, next: more ? encodeToken(shown[shown.length - 1][`${index}sk`].S!) : undefined };
  }

  /** Every item of a GSI partition (for per-identity session maintenance). */
  async function queryAll(index: 'gsi1' | 'gsi2', partition: string): Promise<Item[]> {
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
  }

  const flows: FlowRepository = {
    create: (flow) =>
      call(() => client.send(new PutItemCommand({ TableName: table, Item: flowToItem(flow), ConditionExpression: NOT_EXISTS }))).then(
        () => undefined,
      ),
    get: async (id) => {
      const item = await getItem(keys.flow(id));
      return item ? itemToFlow(item) : undefined;
    },
    markSucceeded: (id) =>
      call(() =>
        client.send(
          new UpdateItemCommand({
            TableName: table,
            Key: keys.flow(id),
            UpdateExpression: 'SET #state = :success',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeNames: { '#state': 'state' },
            ExpressionAttributeValues: { ':success': { S: 'success' } },
          }),
        ),
      ).then(() => undefined),
    getWithIdentifierOwner: async (id, identifier) => {
      const flowKey = keys.flow(id);
      const claimKey = keys.identifier(identifier);
      const found: Item[] = [];
      await untilProcessed<Item>([flowKey, claimKey], async (pending) => {
        const out = await call(() =>
          client.send(new BatchGetItemCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: true } } })),
        );
        found.push(...(out.Responses?.[table] ?? []));
        return out.UnprocessedKeys?.[table]?.Keys ?? [];
      });
      const flowItem = found.find((item) => item.pk.S === flowKey.pk.S);
      const claimItem = found.find((item) => item.pk.S === claimKey.pk.S);
      return { flow: flowItem ? itemToFlow(flowItem) : undefined, identityId: claimItem?.identity_id?.S };
    },
  };

  const claimPuts = (identity: Identity, identifiers: string[]): TransactWriteItem[] =>
    identifiers.map((identifier) => ({
      Put: { TableName: table, Item: identifierClaimItem(identifier, identity.id), ConditionExpression: NOT_EXISTS },
    }));

  const identities: IdentityRepository = {
    get: async (id) => {
      const item = await getItem(keys.identity(id), PUBLIC_IDENTITY_ATTRIBUTES);
      return item ? itemToIdentity(item) : undefined;
    },
    getWithCredentials: async (id) => {
      const item = await getItem(keys.identity(id));
      return item ? itemToIdentity(item) : undefined;
    },
    findIdByIdentifier: async (identifier) => (await getItem(keys.identifier(identifier)))?.identity_id?.S,
    list: async (page, withCredentials) => {
      const result = await queryPage('gsi1', IDENTITIES_COLLECTION, page.pageSize, page.after, withCredentials ? undefined : [
        ...PUBLIC_IDENTITY_ATTRIBUTES,
        'gsi1sk',
      ]);
      return { items: result.items.map(itemToIdentity), next: result.next };
    },
    createWithSession: async (identity, { session, tokenHash }, flow) => {
      const identifiers = identifiersOf(identity);
      const failed = await transact(client, [
        completeFlow(table, flow.id, flow.now),
        ...claimPuts(identity, identifiers),
        { Put: { TableName: table, Item: identityToItem(identity), ConditionExpression: NOT_EXISTS } },
        { Put: { TableName: table, Item: sessionToItem(session, tokenHash), ConditionExpression: NOT_EXISTS } },
      ]);
      if (failed === undefined) return;
      if (failed === 0) throw new FlowAlreadyUsedError();
      if (failed <= identifiers.length) throw new DuplicateIdentifierError();
      throw new Error('identity or session id collision');
    },
    create: async (identity) => {
      const identifiers = identifiersOf(identity);
      const failed = await transact(client, [
        ...claimPuts(identity, identifiers),
        { Put: { TableName: table, Item: identityToItem(identity), ConditionExpression: NOT_EXISTS } },
      ]);
      if (failed === undefined) return;
      if (failed < identifiers.length) throw new DuplicateIdentifierError();
      throw new Error('identity id collision');
    },
    update: async (next, previous) => {
      const before = new Set(identifiersOf(previous));
      const after = new Set(identifiersOf(next));
      const added = [...after].filter((i) => !before.has(i));
      const removed = [...before].filter((i) => !after.has(i));
      const stored: Identity = { ...next, identifiers: [...after], revision: (previous.revision ?? 1) + 1 };
      if (stored.password && !stored.password.hashedPassword) {
        throw new Error('an identity update must carry the password hash it keeps (read it with getWithCredentials)');
      }
      const failed = await transact(client, [
        {
          Put: {
            TableName: table,
            Item: identityToItem(stored),
            ConditionExpression: 'attribute_exists(pk) AND revision = :revision',
            ExpressionAttributeValues: { ':revision': { N: String(previous.revision ?? 1) } },
          },
        },
        ...claimPuts(stored, added),
        ...removed.map((identifier) => ({
          Delete: {
            TableName: table,
            Key: keys.identifier(identifier),
            ConditionExpression: 'identity_id = :id',
            ExpressionAttributeValues: { ':id': { S: stored.id } },
          },
        })),
      ]);
      if (failed === undefined) return stored;
      if (failed === 0) throw new ConcurrentUpdateError();
      if (failed <= added.length) throw new DuplicateIdentifierError();
      throw new ConcurrentUpdateError();
    },
    delete: async (id) => {
      const current = await getItem(keys.identity(id), ['pk', 'identifiers', 'revision']);
      if (!current) return false;
      const identifiers = JSON.parse(current.identifiers?.S ?? '[]') as string[];
      const failed = await transact(client, [
        {
          Delete: {
            TableName: table,
            Key: keys.identity(id),
            ConditionExpression: 'attribute_exists(pk) AND revision = :revision',
            ExpressionAttributeValues: { ':revision': { N: current.revision?.N ?? '1' } },
          },
        },
        ...identifiers.map((identifier) => ({
          Delete: {
            TableName: table,
            Key: keys.identifier(identifier),
            ConditionExpression: 'identity_id = :id',
            ExpressionAttributeValues: { ':id': { S: id } },
          },
        })),
      ]);
      if (failed !== undefined) throw new ConcurrentUpdateError();
      return true;
    },
  };

  const activeFilter = (request: SessionListRequest) => (item: Item) =>
    request.active === undefined || isSessionActive(itemToSession(item), request.now) === request.active;

  const setActive = (tokenHash: string, active: boolean) =>
    call(() =>
      client.send(
        new UpdateItemCommand({
          TableName: table,
          Key: keys.session(tokenHash),
          UpdateExpression: 'SET active = :active',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':active': { BOOL: active } },
        }),
      ),
    );

  const sessions: SessionRepository = {
    getByTokenHash: async (tokenHash) => {
      const item = await getItem(keys.session(tokenHash));
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
      try {
        await setActive(tokenHash, false);
        return true;
      } catch (error) {
        if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return false;
        throw error;
      }
    },
    createForFlow: async (session: Session, tokenHash, flow) => {
      const failed = await transact(client, [
        completeFlow(table, flow.id, flow.now),
        { Put: { TableName: table, Item: sessionToItem(session, tokenHash), ConditionExpression: NOT_EXISTS } },
        identityUnchanged(table, session.identity),
      ]);
      if (failed === 0) throw new FlowAlreadyUsedError();
      if (failed === 2) throw new ConcurrentUpdateError();
      if (failed !== undefined) throw new Error('session id collision');
    },
    list: async (request) => {
      const page = await queryPage('gsi1', SESSIONS_COLLECTION, request.pageSize, request.after, undefined, activeFilter(request));
      return { items: page.items.map(itemToSession), next: page.next };
    },
    listByIdentity: async (identityId, request) => {
      const page = await queryPage('gsi2', `IDENTITY#${identityId}`, request.pageSize, request.after, undefined, activeFilter(request));
      return { items: page.items.map(itemToSession), next: page.next };
    },
    revokeAllOfIdentity: async (identityId) => {
      const items = (await queryAll('gsi2', `IDENTITY#${identityId}`)).filter((item) => item.active?.BOOL);
      for (const item of items) await setActive(item.pk.S!.slice('SESSION#'.length), false).catch(() => undefined);
      return items.length;
    },
    deleteAllOfIdentity: async (identityId) => {
      const items = await queryAll('gsi2', `IDENTITY#${identityId}`);
      for (let i = 0; i < items.length; i += 25) {
        const deletes = items.slice(i, i + 25).map((item) => ({ DeleteRequest: { Key: { pk: item.pk } } }));
        await untilProcessed(deletes, async (pending) => {
          const out = await call(() => client.send(new BatchWriteItemCommand({ RequestItems: { [table]: pending } })));
          return (out.UnprocessedItems?.[table] ?? []) as typeof pending;
        });
      }
    },
    extend: async (tokenHash, expiresAt) => {
      try {
        await call(() =>
          client.send(
            new UpdateItemCommand({
              TableName: table,
              Key: keys.session(tokenHash),
              UpdateExpression: 'SET expires_at = :at, #ttl = :ttl',
              ConditionExpression: 'attribute_exists(pk)',
              ExpressionAttributeNames: { '#ttl': 'ttl' },
              ExpressionAttributeValues: {
                ':at': { S: expiresAt.toISOString() },
                ':ttl': { N: String(Math.floor(expiresAt.getTime() / 1000)) },
              },
            }),
          ),
        );
        return true;
      } catch (error) {
        if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return false;
        throw error;
      }
    },
    refreshIdentity: async (identity) => {
      const snapshot = { S: JSON.stringify(identitySnapshot(identity)) };
      for (const item of await queryAll('gsi2', `IDENTITY#${identity.id}`)) {
        await call(() =>
          client.send(
            new UpdateItemCommand({
              TableName: table,
              Key: { pk: item.pk },
              UpdateExpression: 'SET #identity = :snapshot',
              ConditionExpression: 'attribute_exists(pk)',
              ExpressionAttributeNames: { '#identity': 'identity' },
              ExpressionAttributeValues: { ':snapshot': snapshot },
            }),
          ),
        ).catch((error: unknown) => {
          if (!(error instanceof Error && error.name === 'ConditionalCheckFailedException')) throw error;
        });
      }
    },
  };

  return {
    flows,
    identities,
    sessions,
    ping: () => call(() => client.send(new DescribeTableCommand({ TableName: table }))).then(() => undefined),
  };
}
