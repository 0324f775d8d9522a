/**
 * Starts what the integration and end-to-end tests share: one DynamoDB Local with the table, and one
 * serverless-offline serving every function against it (bcrypt cost 4). Test files read the addresses from
 * the environment, which Jest's workers inherit.
 */
import { freePort } from '../../scripts/dynamodb-local.js';
import { startDatabase, startOffline } from '../../scripts/local-stack.js';
import { OFFLINE_LOG_LEVEL, TEST_ENV } from './env.js';

export default async function globalSetup(): Promise<void> {
  Object.assign(process.env, TEST_ENV);
  const database = await startDatabase({ DYNAMODB_TABLE_NAME: TEST_ENV.DYNAMODB_TABLE_NAME });
  const port = await freePort();
  let offline;
  try {
    offline = await startOffline({
      port,
      env: { ...TEST_ENV, LOG_LEVEL: OFFLINE_LOG_LEVEL, DYNAMODB_ENDPOINT: database.endpoint, SERVE_PUBLIC_BASE_URL: `http://127.0.0.1:${port}` },
    });
  } catch (error) {
    await database.stop();
    throw error;
  }
  process.env.TEST_DYNAMODB_ENDPOINT = database.endpoint;
  process.env.TEST_BASE_URL = offline.baseUrl;
  (globalThis as Record<string, unknown>).__LOCAL_STACK__ = { database, offline };
}
