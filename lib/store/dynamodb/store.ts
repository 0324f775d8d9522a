/**
 * The DynamoDB implementation of the storage interfaces (lib/store/store.ts), one repository per file beside this
 * one, all on one table. This folder is the only code that speaks DynamoDB.
 */
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Store } from '../store.js';
import { createCodeRepository } from './code-repository.js';
import { createCourierRepository } from './courier-repository.js';
import { createErrorRepository } from './error-repository.js';
import { createFlowRepository } from './flow-repository.js';
import { createIdentityRepository } from './identity-repository.js';
import { createPasswordCredentials } from './password-repository.js';
import { createSessionRepository, type SessionRepositoryOptions } from './session-repository.js';
import { createThrottleRepository } from './throttle-repository.js';
import { call, tableReads } from './toolkit.js';
import { committer } from './transaction.js';

export type { Store } from '../store.js';

export function createDynamoStore(client: DynamoDBClient, table: string, options: SessionRepositoryOptions = {}): Store {
  const reads = tableReads(client, table);
  return {
    ...committer(client, table),
    flows: createFlowRepository(client, table, reads),
    identities: createIdentityRepository(client, table, reads),
    sessions: createSessionRepository(client, table, reads, options),
    errors: createErrorRepository(client, table, reads),
    courier: createCourierRepository(client, table),
    throttle: createThrottleRepository(client, table, reads),
    codes: createCodeRepository(client, table),
    passwords: createPasswordCredentials(client, table),
    ping: async () => {
      await call(() => client.send(new DescribeTableCommand({ TableName: table })));
    },
  };
}
