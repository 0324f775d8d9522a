/**
 * `npm run backfill-addresses`: gives identities stored before addresses existed their verifiable and recovery
 * addresses (lib/identity/backfill.ts), against the DynamoDB and identity schemas the environment configures.
 */
import { loadConfig } from '../lib/config/index.js';
import { backfillAddresses } from '../lib/identity/backfill.js';
import { loadSchemaRegistry } from '../lib/identity/schemas.js';
import { createDynamoClient } from '../lib/store/dynamodb/client.js';
import { createDynamoStore } from '../lib/store/dynamodb/store.js';

const config = loadConfig();
const client = createDynamoClient(config.dynamodb);
try {
  const store = createDynamoStore(client, config.dynamodb.tableName);
  const report = await backfillAddresses(store, await loadSchemaRegistry(config.identity), new Date());
  console.log(`identities scanned ${report.scanned}, given their addresses ${report.updated}`);
  if (report.conflicts.length) console.log(`address held by another identity (left unchanged): ${report.conflicts.join(', ')}`);
  if (report.unknownSchema.length) console.log(`schema not configured (left unchanged): ${report.unknownSchema.join(', ')}`);
} finally {
  client.destroy();
}
