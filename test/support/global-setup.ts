/**
 * Starts what the integration and end-to-end tests share: one DynamoDB Local with the table, one
 * serverless-offline serving every function against it (bcrypt cost 4), traced to a Jaeger UDP receiver (and a
 * second, untraced, with identifier-first login: TEST_IDENTIFIER_FIRST_BASE_URL), and the
 * courier (the local runner) delivering to a real SMTP server that writes every mail into TEST_MAIL_DIR
 * (read them with test/support/smtp.ts's waitForMail), and breached passwords looked up in a local range API that
 * knows one (BREACHED_PASSWORD).
 * Everything exported and logged during the run lands in an artifacts folder that the global teardown
 * scans for secrets. Test files read the addresses from the environment, which Jest's workers inherit.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../scripts/dynamodb-local.js';
import { startCourier, startDatabase, startOffline, type RunningCourier } from '../../scripts/local-stack.js';
import { OFFLINE_LOG_LEVEL, SCHEMA_ENV, TEST_ENV } from './env.js';
import { BREACHED_PASSWORD, BREACHES, startRangeServer } from './pwned.js';
import { startSmtpReceiver } from './smtp.js';
import { startJaegerUdpReceiver } from './trace-receivers.js';

export default async function globalSetup(): Promise<void> {
  Object.assign(process.env, TEST_ENV);
  process.env.TEST_ARTIFACTS_DIR = mkdtempSync(path.join(tmpdir(), 'kratos-test-artifacts-'));
  const database = await startDatabase({ DYNAMODB_TABLE_NAME: TEST_ENV.DYNAMODB_TABLE_NAME });
  const receiver = await startJaegerUdpReceiver();
  const mail = await startSmtpReceiver();
  const pwned = await startRangeServer({ [BREACHED_PASSWORD]: BREACHES });
  const port = await freePort();
  const idFirstPort = await freePort();
  let offline;
  let idFirst;
  let courier: RunningCourier | undefined;
  try {
    const env = {
      ...TEST_ENV,
      ...SCHEMA_ENV,
      LOG_LEVEL: OFFLINE_LOG_LEVEL,
      DYNAMODB_ENDPOINT: database.endpoint,
      SERVE_PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
      TRACING_PROVIDER: 'jaeger',
      TRACING_PROVIDERS_JAEGER_LOCAL_AGENT_ADDRESS: `127.0.0.1:${receiver.port}`,
      SELFSERVICE_FLOWS_RECOVERY_ENABLED: 'true',
      SELFSERVICE_FLOWS_VERIFICATION_ENABLED: 'true',
      COURIER_SMTP_CONNECTION_URI: mail.connectionUri,
      COURIER_MESSAGE_RETRY_DELAY: '200ms',
      // Every suite calls the shared stack from one address, 127.0.0.1: the per-address limits would count the whole
      // run as one client. They are tested where a test controls the addresses (flows/throttle, flows/code-limits,
      // e2e/throttle in-process over DynamoDB Local).
      SELFSERVICE_FLOWS_LOGIN_THROTTLE_PER_IP_MAX_ATTEMPTS: '100000',
      SELFSERVICE_METHODS_CODE_CONFIG_MAX_REQUESTS_PER_IP: '100000',
      // Kratos's default (breached passwords looked up), against a local range API.
      SELFSERVICE_METHODS_PASSWORD_CONFIG_HAVEIBEENPWNED_ENABLED: 'true',
      SELFSERVICE_METHODS_PASSWORD_CONFIG_HAVEIBEENPWNED_HOST: pwned.baseUrl,
    };
    // The same service in Kratos's other login style (identifier first), and with second factors on (TOTP, lookup
    // codes), for the suites that test them over the wire and in Chromium; started beside the main one, sharing its table.
    const idFirstEnv = {
      ...env,
      SERVE_PUBLIC_BASE_URL: `http://127.0.0.1:${idFirstPort}`,
      SELFSERVICE_FLOWS_LOGIN_STYLE: 'identifier_first',
      TRACING_PROVIDER: '',
      SELFSERVICE_METHODS_TOTP_ENABLED: 'true',
      SELFSERVICE_METHODS_LOOKUP_SECRET_ENABLED: 'true',
    };
    [offline, idFirst] = await Promise.all([
      startOffline({ port, logFile: path.join(process.env.TEST_ARTIFACTS_DIR, 'offline-main.log'), env }),
      startOffline({ port: idFirstPort, logFile: path.join(process.env.TEST_ARTIFACTS_DIR, 'offline-identifier-first.log'), env: idFirstEnv }),
    ]);
    courier = await startCourier({ env, logFile: path.join(process.env.TEST_ARTIFACTS_DIR, 'courier-main.log') });
  } catch (error) {
    await offline?.stop();
    await idFirst?.stop();
    await mail.close();
    await pwned.close();
    await receiver.close();
    await database.stop();
    throw error;
  }
  process.env.TEST_MAIL_DIR = mail.folder;
  process.env.TEST_SMTP_URI = mail.connectionUri;
  process.env.TEST_DYNAMODB_ENDPOINT = database.endpoint;
  process.env.TEST_BASE_URL = offline.baseUrl;
  process.env.TEST_IDENTIFIER_FIRST_BASE_URL = idFirst.baseUrl;
  (globalThis as Record<string, unknown>).__LOCAL_STACK__ = { database, offline, idFirst, receiver, courier, mail, pwned };
}
