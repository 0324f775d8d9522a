/** The password strategy's login read: the flow and the identifier's claim (with its login copy) in one BatchGetItem. */
import { BatchGetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { PasswordCredentials } from '../../strategies/password/repository.js';
import { claimToLoginCredential, itemToFlow, keys, type Item } from './items.js';
import { call, untilProcessed } from './toolkit.js';

export function createPasswordCredentials(client: DynamoDBClient, table: string): PasswordCredentials {
  return {
    flowWithCredential: async (flowId, identifier) => {
      const flowKey = keys.flow(flowId);
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
  };
}
