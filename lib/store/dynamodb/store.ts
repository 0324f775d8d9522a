/**
 * The DynamoDB implementation of the storage interfaces. This folder is the only code that speaks DynamoDB.
 */
import {
  BatchGetItemCommand,
  DescribeTableCommand,
  GetItemCommand,
  PutItemCommand,
  TransactWriteItemsCommand,
  TransactionCanceledException,
  UpdateItemCommand,
  type DynamoDBClient,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import { DuplicateIdentifierError, FlowAlreadyUsedError } from '../../errors.js';
import type { FlowRecord, FlowRepository } from '../../flows/model.js';
import type { Identity } from '../../identity/model.js';
import type { IdentityRepository } from '../../identity/repository.js';
import type { Session } from '../../session/model.js';
import type { SessionRepository } from '../../session/repository.js';
import { translateStorageError } from './client.js';
import {
  flowToItem,
  identifierClaimItem,
  identityToItem,
  itemToFlow,
  itemToIdentity,
  itemToSession,
  keys,
  PUBLIC_IDENTITY_ATTRIBUTES,
  sessionToItem,
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

export function createDynamoStore(client: DynamoDBClient, table: string): Store {
  const getItem = (key: Item, projection?: string[]) =>
    call(async () => {
      const out = await client.send(
        new GetItemCommand({
          TableName: table,
          Key: key,
          ConsistentRead: true,
          ...(projection
            ? {
                ProjectionExpression: projection.map((_, i) => `#p${i}`).join(','),
                ExpressionAttributeNames: Object.fromEntries(projection.map((name, i) => [`#p${i}`, name])),
              }
            : {}),
        }),
      );
      return out.Item;
    });

  const flows: FlowRepository = {
    create: (flow) =>
      call(() => client.send(new PutItemCommand({ TableName: table, Item: flowToItem(flow), ConditionExpression: NOT_EXISTS }))).then(
        () => undefined,
      ),
    get: async (id) => {
      const item = await getItem(keys.flow(id));
      return item ? itemToFlow(item) : undefined;
    },
    getWithIdentifierOwner: async (id, identifier) => {
      const flowKey = keys.flow(id);
      const claimKey = keys.identifier(identifier);
      let pending: Item[] = [flowKey, claimKey];
      const found: Item[] = [];
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 10 * attempt));
        if (attempt >= 5) throw translateStorageError(Object.assign(new Error('unprocessed keys'), { name: 'ThrottlingException' }));
        const out = await call(() =>
          client.send(new BatchGetItemCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: true } } })),
        );
        found.push(...(out.Responses?.[table] ?? []));
        pending = out.UnprocessedKeys?.[table]?.Keys ?? [];
      }
      const flowItem = found.find((item) => item.pk.S === flowKey.pk.S);
      const claimItem = found.find((item) => item.pk.S === claimKey.pk.S);
      return { flow: flowItem ? itemToFlow(flowItem) : undefined, identityId: claimItem?.identity_id?.S };
    },
  };

  const identities: IdentityRepository = {
    get: async (id) => {
      const item = await getItem(keys.identity(id), PUBLIC_IDENTITY_ATTRIBUTES);
      return item ? itemToIdentity(item) : undefined;
    },
    getWithCredentials: async (id) => {
      const item = await getItem(keys.identity(id));
      return item ? itemToIdentity(item) : undefined;
    },
    createWithSession: async (identity: Identity, { session, tokenHash }, flow) => {
      const identifiers = identity.password?.identifiers ?? [];
      const items: TransactWriteItem[] = [
        completeFlow(table, flow.id, flow.now),
        ...identifiers.map((identifier) => ({
          Put: { TableName: table, Item: identifierClaimItem(identifier, identity.id), ConditionExpression: NOT_EXISTS },
        })),
        { Put: { TableName: table, Item: identityToItem(identity), ConditionExpression: NOT_EXISTS } },
        { Put: { TableName: table, Item: sessionToItem(session, tokenHash), ConditionExpression: NOT_EXISTS } },
      ];
      const failed = await transact(client, items);
      if (failed === undefined) return;
      if (failed === 0) throw new FlowAlreadyUsedError();
      if (failed <= identifiers.length) throw new DuplicateIdentifierError();
      throw new Error('identity or session id collision');
    },
  };

  const sessions: SessionRepository = {
    getByTokenHash: async (tokenHash) => {
      const item = await getItem(keys.session(tokenHash));
      return item ? itemToSession(item) : undefined;
    },
    revokeByTokenHash: async (tokenHash) => {
      try {
        await client.send(
          new UpdateItemCommand({
            TableName: table,
            Key: keys.session(tokenHash),
            UpdateExpression: 'SET active = :false',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeValues: { ':false': { BOOL: false } },
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return false;
        throw translateStorageError(error);
      }
    },
    createForFlow: async (session: Session, tokenHash, flow) => {
      const failed = await transact(client, [
        completeFlow(table, flow.id, flow.now),
        { Put: { TableName: table, Item: sessionToItem(session, tokenHash), ConditionExpression: NOT_EXISTS } },
      ]);
      if (failed === 0) throw new FlowAlreadyUsedError();
      if (failed !== undefined) throw new Error('session id collision');
    },
  };

  return {
    flows,
    identities,
    sessions,
    ping: () => call(() => client.send(new DescribeTableCommand({ TableName: table }))).then(() => undefined),
  };
}

export type { FlowRecord };
