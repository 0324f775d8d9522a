/**
 * Starts what the integration and end-to-end tests share: one DynamoDB Local with the table, and one
 * serverless-offline serving every function against it (bcrypt cost 4), traced to a Jaeger UDP receiver.
 * Everything exported and logged during the run lands in an artifacts folder that the global teardown
 * scans for secrets. Test files read the addresses from the environment, which Jest's workers inherit.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../scripts/dynamodb-local.js';
import { startDatabase, startOffline } from '../../scripts/local-stack.js';
import { OFFLINE_LOG_LEVEL, SCHEMA_ENV, TEST_ENV } from './env.js';
import { startJaegerUdpReceiver } from './trace-receivers.js';

export default async function globalSetup(): Promise<void> {
  Object.assign(process.env, TEST_ENV);
  process.env.TEST_ARTIFACTS_DIR = mkdtempSync(path.join(tmpdir(), 'kratos-test-artifacts-'));
  const database = await startDatabase({ DYNAMODB_TABLE_NAME: TEST_ENV.DYNAMODB_TABLE_NAME });
  const receiver = await startJaegerUdpReceiver();
  const port = await freePort();
  let offline;
  try {
    offline = await startOffline({
      port,
      logFile: path.join(process.env.TEST_ARTIFACTS_DIR, 'offline-main.log'),
      env: {
        ...TEST_ENV,
        ...SCHEMA_ENV,
        LOG_LEVEL: OFFLINE_LOG_LEVEL,
        DYNAMODB_ENDPOINT: database.endpoint,
        SERVE_PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
        TRACING_PROVIDER: 'jaeger',
        TRACING_PROVIDERS_JAEGER_LOCAL_AGENT_ADDRESS: `127.0.0.1:${receiver.port}`,
      },
    });
  } catch (error) {
    await receiver.close();
    await database.stop();
    throw error;
  }
  process.env.TEST_DYNAMODB_ENDPOINT = database.endpoint;
  process.env.TEST_BASE_URL = offline.baseUrl;
  (globalThis as Record<string, unknown>).__LOCAL_STACK__ = { database, offline, receiver };
}
