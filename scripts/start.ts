/**
 * `npm start`: DynamoDB Local (unless DYNAMODB_ENDPOINT is set), the table, and every function served by
 * serverless-offline on http://127.0.0.1:4433 (PORT overrides). Ctrl-C or SIGTERM stops all of it.
 */
import { randomBytes } from 'node:crypto';
import { JavaMissingError } from './dynamodb-local.js';
import { startDatabase, startOffline, type LocalDatabase, type RunningOffline } from './local-stack.js';

let database: LocalDatabase | undefined;
let offline: RunningOffline | undefined;
let stopping = false;

async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    await offline?.stop();
    await database?.stop();
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
process.on('exit', () => {
  for (const pid of [offline?.process.pid ? -offline.process.pid : undefined, database?.dynamo?.pid]) {
    if (pid === undefined) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

async function main(): Promise<void> {
  const port = Number(process.env.PORT || 4433);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`PORT must be a TCP port, got "${process.env.PORT}"`);
  database = await startDatabase(process.env);
  console.log(
    database.dynamo
      ? `DynamoDB Local ${process.env.DYNAMODB_LOCAL_PATH ? `(data in ${process.env.DYNAMODB_LOCAL_PATH})` : '(in memory)'} on ${database.endpoint}, table "${database.tableName}" ready`
      : `Using DynamoDB at ${database.endpoint}, table "${database.tableName}" ready`,
  );
  // The admin API fails closed without a key; for local use, make one up and show it.
  const generatedAdminKey = process.env.ADMIN_API_KEY ? undefined : randomBytes(24).toString('base64url');
  offline = await startOffline({
    port,
    env: {
      ...(generatedAdminKey ? { ADMIN_API_KEY: generatedAdminKey } : {}),
      DYNAMODB_ENDPOINT: database.endpoint,
      DYNAMODB_TABLE_NAME: database.tableName,
      SERVE_PUBLIC_BASE_URL: process.env.SERVE_PUBLIC_BASE_URL || `http://127.0.0.1:${port}`,
    },
    stdio: 'inherit',
  });
  console.log(`
Kratos-compatible identity API on ${offline.baseUrl}

Try:   curl -s ${offline.baseUrl}/self-service/registration/api
Admin: curl -s ${offline.baseUrl}/admin/identities -H "Authorization: Bearer ${generatedAdminKey ?? '$ADMIN_API_KEY'}"${generatedAdminKey ? '\n       (admin key generated for this run; set ADMIN_API_KEY to choose one)' : ''}
Stop:  Ctrl-C
`);
  offline.process.once('exit', (code) => {
    if (!stopping) {
      console.error(`serverless-offline exited (code ${code}); stopping DynamoDB Local.`);
      void shutdown(code ?? 1);
    }
  });
}

main().catch(async (error) => {
  console.error(error instanceof JavaMissingError ? error.message : `Could not start: ${error instanceof Error ? error.message : error}`);
  await shutdown(1);
});
