/**
 * The password strategy's login read, one BatchGetItem: the flow, the identifier's claim (with its login copy), and the
 * client's failures across identifiers.
 */
import { BatchGetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { PasswordCredentials } from '../../strategies/password/repository.js';
import { claimToLoginCredential, itemToFailures, itemToFlow, keys, type Item } from './items.js';
import { call, untilProcessed } from './toolkit.js';

export function createPasswordCredentials(client: DynamoDBClient, table: string): PasswordCredentials {
  return {
    flowWithCredential: async (flowId, identifier, failuresKey) => {
      const flowKey = keys.flow(flowId);
      const claimKey = keys.identifier(identifier);
      const counterKey = failuresKey ? keys.throttle(failuresKey) : undefined;
      const found: Item[] = [];
      await untilProcessed<Item>([flowKey, claimKey, ...(counterKey ? [counterKey] : [])], async (pending) => {
        const out = await call(() => client.send(new BatchGetItemCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: true } } })));
        found.push(...(out.Responses?.[table] ?? []));
        return out.UnprocessedKeys?.[table]?.Keys ?? [];
      });
      const flowItem = found.find((item) => item.pk.S === flowKey.pk.S);
      const claimItem = found.find((item) => item.pk.S === claimKey.pk.S);
      const counterItem = counterKey ? found.find((item) => item.pk.S === counterKey.pk.S) : undefined;
      return {
        flow: flowItem ? itemToFlow(flowItem) : undefined,
        credential: claimItem ? claimToLoginCredential(claimItem) : undefined,
        failures: itemToFailures(counterItem),
      };
    },
  };
}
