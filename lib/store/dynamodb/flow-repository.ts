/** Self-service flows in DynamoDB: one FLOW#<id> item each (TTL-expired by DynamoDB, checked on every read). */
import { PutItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { FlowAlreadyUsedError } from '../../errors/index.js';
import type { FlowRepository } from '../../flows/repository.js';
import type { SavedUi } from '../../flows/model.js';
import { flowToItem, internalAttribute, itemToFlow, keys, type Item } from './items.js';
import { call, conditionally, type TableReads } from './toolkit.js';
import { conditions, transactionItems } from './transaction.js';

const flowCollision = () => new Error('flow id collision');

export function createFlowRepository(client: DynamoDBClient, table: string, reads: TableReads): FlowRepository {
  const tx = transactionItems(table);
  /** One attribute update of an existing flow. */
  const set = async (id: string, expression: string, values: Item | undefined, names?: Record<string, string>) => {
    await call(() =>
      client.send(
        new UpdateItemCommand({
          TableName: table,
          Key: keys.flow(id),
          UpdateExpression: expression,
          ...conditions.present,
          ...(names ? { ExpressionAttributeNames: names } : {}),
          ...(values ? { ExpressionAttributeValues: values } : {}),
        }),
      ),
    );
  };
  const uiValue = (ui: SavedUi) => ({ S: JSON.stringify(ui) });

  return {
    create: async (flow) => {
      await call(() => client.send(new PutItemCommand({ TableName: table, Item: flowToItem(flow), ...conditions.absent })));
    },

    get: async (id) => {
      const item = await reads.getItem(keys.flow(id));
      return item ? itemToFlow(item) : undefined;
    },

    add: (flow) => tx.batch(tx.put(flowToItem(flow), conditions.absent, flowCollision)),

    complete: (flowId, now) => tx.batch(tx.completeFlow(flowId, now, () => new FlowAlreadyUsedError())),

    showScreen: async (id, screen, firstScreen, ui) => {
      const moved = await conditionally(() =>
        client.send(
          new UpdateItemCommand({
            TableName: table,
            Key: keys.flow(id),
            UpdateExpression: `SET #screen = :screen, #ui = :ui${firstScreen ? ', first_screen = :first' : ''} REMOVE messages${firstScreen ? '' : ', first_screen'}`,
            ConditionExpression: 'attribute_exists(pk) AND #state = :open',
            ExpressionAttributeNames: { '#screen': 'screen', '#ui': 'ui', '#state': 'state' },
            ExpressionAttributeValues: {
              ':screen': { S: screen },
              ':ui': uiValue(ui),
              ':open': { S: 'choose_method' },
              ...(firstScreen ? { ':first': { S: JSON.stringify(firstScreen) } } : {}),
            },
          }),
        ),
      );
      if (!moved) throw new FlowAlreadyUsedError();
    },

    saveUi: (id, ui) => set(id, 'SET #ui = :ui', { ':ui': uiValue(ui) }, { '#ui': 'ui' }),

    markSucceeded: (id, ui) => set(id, 'SET #state = :success, #ui = :ui', { ':success': { S: 'success' }, ':ui': uiValue(ui) }, { '#state': 'state', '#ui': 'ui' }),

    setCsrfToken: (flowId, maskedToken) => set(flowId, 'SET csrf_token = :token', { ':token': { S: maskedToken } }),

    // One attribute per method (`internal_<method>`): set or removed in one write, without touching the others'.
    setInternal: (flowId, method, value) =>
      value === undefined
        ? set(flowId, 'REMOVE #method', undefined, { '#method': internalAttribute(method) })
        : set(flowId, 'SET #method = :value', { ':value': { S: JSON.stringify(value) } }, { '#method': internalAttribute(method) }),

    setOidcState: (flowId, state, active) =>
      active
        ? set(flowId, 'SET oidc = :oidc, active = :active', { ':oidc': { S: JSON.stringify(state) }, ':active': { S: active } })
        : set(flowId, 'SET oidc = :oidc', { ':oidc': { S: JSON.stringify(state) } }),
  };
}
