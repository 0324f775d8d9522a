/** Access to the tests' DynamoDB Local: the real store, and a raw scan to look for orphans. */
import { ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createApp } from '../../lib/app.js';
import { loadConfig } from '../../lib/config/index.js';
import { createDynamoClient } from '../../lib/store/dynamodb/client.js';
import { createDynamoStore } from '../../lib/store/dynamodb/store.js';
import { dynamoEndpoint, TEST_ENV } from './env.js';

export function testConfig(overrides: Record<string, string> = {}) {
  return loadConfig({ ...TEST_ENV, DYNAMODB_ENDPOINT: dynamoEndpoint(), ...overrides });
}

export function testStore() {
  const config = testConfig();
  const client = createDynamoClient(config.dynamodb);
  const store = createDynamoStore(client, config.dynamodb.tableName);
  return { client, store, app: createApp(config, store), config };
}

/** Every item of a table (test tables stay small). */
export async function scanTable(client: DynamoDBClient, table: string): Promise<Record<string, AttributeValue>[]> {
  const items: Record<string, AttributeValue>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const out = await client.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
}

/** Every item of the shared test table. */
export async function scanAll(): Promise<Record<string, AttributeValue>[]> {
  const { client } = testStore();
  try {
    return await scanTable(client, TEST_ENV.DYNAMODB_TABLE_NAME);
  } finally {
    client.destroy();
  }
}
