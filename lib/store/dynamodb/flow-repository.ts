/** Self-service flows in DynamoDB, with the reads and writes that complete them. */
import { BatchGetItemCommand, PutItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ConcurrentUpdateError, FlowAlreadyUsedError } from '../../errors/index.js';
import type { FlowRepository } from '../../flows/repository.js';
import { claimToLoginCredential, flowToItem, itemToFlow, keys, sessionToItem, type Item } from './items.js';
import { identityWrites } from './identity-repository.js';
import { call, conditions, transact, transactionItems, untilProcessed, type TableReads } from './toolkit.js';

const sessionCollision = () => new Error('session id collision');

export function createFlowRepository(client: DynamoDBClient, table: string, reads: TableReads): FlowRepository {
  const tx = transactionItems(table);
  return {
    create: async (flow) => {
      await call(() => client.send(new PutItemCommand({ TableName: table, Item: flowToItem(flow), ...conditions.absent })));
    },

    get: async (id) => {
      const item = await reads.getItem(keys.flow(id));
      return item ? itemToFlow(item) : undefined;
    },

    markSucceeded: async (id, ui) => {
      await call(() =>
        client.send(
          new UpdateItemCommand({
            TableName: table,
            Key: keys.flow(id),
            UpdateExpression: 'SET #state = :success, #ui = :ui',
            ...conditions.present,
            ExpressionAttributeNames: { '#state': 'state', '#ui': 'ui' },
            ExpressionAttributeValues: { ':success': { S: 'success' }, ':ui': { S: JSON.stringify(ui) } },
          }),
        ),
      );
    },

    saveUi: async (id, ui) => {
      await call(() =>
        client.send(
          new UpdateItemCommand({
            TableName: table,
            Key: keys.flow(id),
            UpdateExpression: 'SET #ui = :ui',
            ...conditions.present,
            ExpressionAttributeNames: { '#ui': 'ui' },
            ExpressionAttributeValues: { ':ui': { S: JSON.stringify(ui) } },
          }),
        ),
      );
    },

    getForPasswordLogin: async (id, identifier) => {
      const flowKey = keys.flow(id);
      const claimKey = keys.identifier(identifier);
      const found: Item[] = [];
      await untilProcessed<Item>([flowKey, claimKey], async (pending) => {
        const out = await call(() => client.send(new BatchGetItemCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: true } } })));
        found.push(...(out.Responses?.[table] ?? []));
        return out.UnprocessedKeys?.[table]?.Keys ?? [];
      });
      const flowItem = found.find((item) => item.pk.S === flowKey.pk.S);
      const claimItem = found.find((item) => item.pk.S === claimKey.pk.S);
      return { flow: flowItem ? itemToFlow(flowItem) : undefined, credential: claimItem ? claimToLoginCredential(claimItem) : undefined };
    },

    completeRegistration: (identity, { session, tokenHash }, { flowId, now }) =>
      transact(client, [
        tx.completeFlow(flowId, now, () => new FlowAlreadyUsedError()),
        ...identityWrites(tx, identity),
        tx.put(sessionToItem(session, tokenHash), conditions.absent, sessionCollision),
      ]),

    completeLogin: ({ session, tokenHash }, { flowId, now }) =>
      transact(client, [
        tx.completeFlow(flowId, now, () => new FlowAlreadyUsedError()),
        tx.put(sessionToItem(session, tokenHash), conditions.absent, sessionCollision),
        // The identity login read (its claim's copy) is still the identity's current revision.
        tx.check(keys.identity(session.identityId), conditions.revision(session.identity.revision), () => new ConcurrentUpdateError()),
      ]),
  };
}
