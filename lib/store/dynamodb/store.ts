/**
 * The DynamoDB implementation of the storage interfaces, one repository per file beside this one. This folder is
 * the only code that speaks DynamoDB.
 */
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { CourierRepository } from '../../courier/repository.js';
import type { SelfServiceErrorRepository } from '../../flows/errors.js';
import type { FlowRepository } from '../../flows/repository.js';
import type { ThrottleRepository } from '../../flows/throttle.js';
import type { IdentityRepository } from '../../identity/repository.js';
import type { SessionRepository } from '../../session/repository.js';
import { createCourierRepository } from './courier-repository.js';
import { createErrorRepository } from './error-repository.js';
import { createFlowRepository } from './flow-repository.js';
import { createIdentityRepository } from './identity-repository.js';
import { createSessionRepository } from './session-repository.js';
import { createThrottleRepository } from './throttle-repository.js';
import { call, tableReads } from './toolkit.js';

export interface Store {
  flows: FlowRepository;
  identities: IdentityRepository;
  sessions: SessionRepository;
  errors: SelfServiceErrorRepository;
  /** The courier's message queue. */
  courier: CourierRepository;
  /** Failed-login counters. */
  throttle: ThrottleRepository;
  /** Cheap reachability check for /health/ready. */
  ping(): Promise<void>;
}

export function createDynamoStore(client: DynamoDBClient, table: string): Store {
  const reads = tableReads(client, table);
  return {
    flows: createFlowRepository(client, table, reads),
    identities: createIdentityRepository(client, table, reads),
    sessions: createSessionRepository(client, table, reads),
    errors: createErrorRepository(client, table, reads),
    courier: createCourierRepository(client, table),
    throttle: createThrottleRepository(client, table),
    ping: async () => {
      await call(() => client.send(new DescribeTableCommand({ TableName: table })));
    },
  };
}
