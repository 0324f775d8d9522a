/**
 * `npm start`: checks the whole configuration, then starts DynamoDB Local (unless DYNAMODB_ENDPOINT is set), the
 * table, a local inbox (MailDev, unless COURIER_SMTP_CONNECTION_URI is set), every function served by
 * serverless-offline on http://127.0.0.1:4433 (PORT overrides), and the courier delivering the queued mail. Ctrl-C
 * or SIGTERM (to this process or to npm's: the start script execs into this one) stops all of it.
 */
import { mkdirSync } from 'node:fs';
import { ConfigError } from '../lib/config/env.js';
import { checkConfig } from '../lib/config/index.js';
import { loadSchemaRegistry } from '../lib/identity/schemas.js';
import { JavaMissingError } from './dynamodb-local.js';
import { assertPortFree, PortInUseError, readLaunchSettings } from './launch-settings.js';
import { startLocalInbox, type RunningInbox } from './local-inbox.js';
import { killAllStarted, stopAllStarted } from './processes.js';
import { startCourier, startDatabase, startOffline, type LocalDatabase, type RunningCourier, type RunningOffline } from './local-stack.js';

let database: LocalDatabase | undefined;
let offline: RunningOffline | undefined;
let inbox: RunningInbox | undefined;
let courier: RunningCourier | undefined;
let stopping = false;

async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    await courier?.stop();
    await offline?.stop();
    await inbox?.stop();
    await database?.stop();
    // And whatever was still starting when the signal came (spawned, its start function not yet returned).
    await stopAllStarted();
  }
  process.exit(code);
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    console.log(`\n${signal}: stopping serverless-offline and DynamoDB Local...`);
    void shutdown(0);
  });
}
// Last resort if the launcher itself dies: never leave Java or serverless behind.
process.on('exit', killAllStarted);

async function main(): Promise<void> {
  const settings = readLaunchSettings(process.env);
  // The identity schemas too, as the functions will load them (files read, URLs fetched, each compiled).
  await loadSchemaRegistry(checkConfig({ ...process.env, ...settings.functionEnv }).identity, { compile: true });
  await assertPortFree(settings.host, settings.port, 'PORT');
  if (settings.dynamoLocalPort !== undefined && !process.env.DYNAMODB_ENDPOINT) {
    await assertPortFree('127.0.0.1', settings.dynamoLocalPort, 'DYNAMODB_LOCAL_PORT');
  }
  if (settings.dataPath) mkdirSync(settings.dataPath, { recursive: true });

  database = await startDatabase({ ...process.env, DYNAMODB_LOCAL_PATH: settings.dataPath });
  console.log(
    database.dynamo
      ? `DynamoDB Local ${settings.dataPath ? `(data in ${settings.dataPath})` : '(in memory)'} on ${database.endpoint}, table "${database.tableName}" ready`
      : `Using DynamoDB at ${database.endpoint}, table "${database.tableName}" ready`,
  );
  // Without an SMTP server of the user's, the courier delivers into a local inbox a person can open.
  if (!process.env.COURIER_SMTP_CONNECTION_URI?.trim() && (process.env.COURIER_DELIVERY_STRATEGY ?? 'smtp').trim().toLowerCase() !== 'ses') {
    inbox = await startLocalInbox();
    console.log(`Local inbox (MailDev) on ${inbox.webUrl}: the courier delivers every mail there`);
  }
  const functionEnv = {
    ...settings.functionEnv,
    DYNAMODB_ENDPOINT: database.endpoint,
    DYNAMODB_TABLE_NAME: database.tableName,
    ...(inbox ? { COURIER_SMTP_CONNECTION_URI: inbox.connectionUri } : {}),
  };
  offline = await startOffline({ port: settings.port, env: functionEnv, stdio: 'inherit' });
  courier = await startCourier({ env: functionEnv, stdio: 'inherit' });
  const key = settings.generatedAdminKey;
  const uiUrl = `${settings.functionEnv.SERVE_PUBLIC_BASE_URL ?? offline.baseUrl}/ui/welcome`;
  console.log(`
Kratos-compatible identity API on ${offline.baseUrl}

Open:  ${uiUrl}   (the self-service UI: sign up, sign in, settings)
Try:   curl -s ${offline.baseUrl}/self-service/registration/api${inbox ? `\nMail:  ${inbox.webUrl}   (the local inbox: recovery and verification codes)` : ''}
Admin: curl -s ${offline.baseUrl}/admin/identities -H "Authorization: Bearer ${key ?? '$ADMIN_API_KEY'}"${key ? '\n       (admin key generated for this run; set ADMIN_API_KEY to choose one)' : ''}${settings.generatedCookieSecret ? '\n       (cookie secret generated for this run: browser sessions end when this stops; set SECRETS_COOKIE to keep them)' : ''}
Stop:  Ctrl-C
`);
  offline.process.once('exit', (code) => {
    if (!stopping) {
      console.error(`serverless-offline exited (code ${code}); stopping the rest.`);
      void shutdown(code ?? 1);
    }
  });
}

main().catch(async (error) => {
  const known = error instanceof JavaMissingError || error instanceof ConfigError || error instanceof PortInUseError;
  console.error(known ? `npm start: ${error.message}` : `npm start: could not start: ${error instanceof Error ? error.message : error}`);
  await shutdown(1);
});
