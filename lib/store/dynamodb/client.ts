import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Config } from '../../config/index.js';
import { BadRequestError, ServiceUnavailableError } from '../../errors/index.js';
import { traceDynamoDbClient } from '../../tracing/aws-sdk.js';

export function createDynamoClient(config: Config['dynamodb']): DynamoDBClient {
  const local = config.endpoint !== undefined;
  const client = new DynamoDBClient({
    region: config.region,
    endpoint: config.endpoint,
    // DynamoDB Local and LocalStack accept any credentials; real AWS uses the Lambda role's.
    ...(local && !process.env.AWS_ACCESS_KEY_ID
      ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
    maxAttempts: 3,
    // Bounded so that an unreachable database answers 503 quickly instead of holding the request.
    requestHandler: { connectionTimeout: 3000, requestTimeout: 5000 },
  });
  traceDynamoDbClient(client);
  return client;
}

const UNAVAILABLE_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'ResourceNotFoundException',
  'TimeoutError',
  'RequestTimeout',
  'AbortError',
]);
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);

/**
 * Failures of the database itself become a 503; a value too large for a key or an item (what a caller sent and no
 * check upstream bounded) a 400; everything else stays a bug (500).
 */
export function translateStorageError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  if (error.name === 'ValidationException' && /size|too large|exceeded/i.test(error.message)) {
    return new BadRequestError('A value in the request is too long to be stored.');
  }
  const code = (error as { code?: string }).code;
  if (UNAVAILABLE_NAMES.has(error.name) || (code && UNAVAILABLE_CODES.has(code)) || error.name === 'SystemError') {
    return new ServiceUnavailableError();
  }
  return error;
}
