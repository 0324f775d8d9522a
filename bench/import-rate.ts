/**
 * The import rate: identities per second through `npm run import`'s own code (scripts/import.ts) and
 * `PATCH /admin/identities`, served as `npm start` serves it (serverless-offline behind the local gateway) on DynamoDB
 * Local. A JSONL file of identities with imported bcrypt hashes (cost 12, as a legacy system's would be; importing
 * never computes one), 1,000 a batch. Part of `npm run bench`; alone: `npm run build && node dist/bench/import-rate.js
 * [identities]` (needs DynamoDB Local with the table: BENCH_DYNAMODB_ENDPOINT).
 */
import bcrypt from 'bcryptjs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../scripts/dynamodb-local.js';
import { importIdentities } from '../scripts/import.js';
import { startOffline } from '../scripts/local-stack.js';
import { functionEnv, TABLE } from './lib/env.js';

export interface ImportRate {
  identities: number;
  created: number;
  seconds: number;
  perSecond: number;
}

export async function runImportRate(dynamoEndpoint: string, identities: number): Promise<ImportRate> {
  const port = await freePort();
  const env: Record<string, string> = { ...functionEnv(dynamoEndpoint), DYNAMODB_TABLE_NAME: TABLE, SERVE_PUBLIC_BASE_URL: `http://127.0.0.1:${port}`, LOG_LEVEL: 'error' };
  const dir = mkdtempSync(path.join(tmpdir(), 'kratos-bench-import-'));
  const file = path.join(dir, 'identities.jsonl');
  const hash = bcrypt.hashSync('a password of the old system', 12);
  const run = Date.now().toString(36);
  const lines = Array.from({ length: identities }, (_, i) =>
    JSON.stringify({
      schema_id: 'default',
      traits: { email: `bench-import-${run}-${i}@example.com` },
      credentials: { password: { config: { hashed_password: hash } } },
      metadata_public: { imported_from: 'bench' },
    }),
  );
  writeFileSync(file, `${lines.join('\n')}\n`);
  const offline = await startOffline({ port, env });
  try {
    // The function's first (cold) invocation is not what an import of many batches is made of: one small batch first.
    const warmFile = path.join(dir, 'warm.jsonl');
    writeFileSync(warmFile, `${JSON.stringify({ schema_id: 'default', traits: { email: `bench-import-${run}-warm@example.com` } })}\n`);
    await importIdentities({ file: warmFile, baseUrl: offline.baseUrl, adminKey: env.ADMIN_API_KEY, progress: () => {} });
    const report = await importIdentities({ file, baseUrl: offline.baseUrl, adminKey: env.ADMIN_API_KEY, progress: () => {} });
    return { identities, created: report.created, seconds: report.seconds, perSecond: report.created / report.seconds };
  } finally {
    await offline.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const endpoint = process.env.BENCH_DYNAMODB_ENDPOINT;
  if (!endpoint) throw new Error('BENCH_DYNAMODB_ENDPOINT: a DynamoDB Local with the table (npm run bench starts one)');
  const result = await runImportRate(endpoint, Number(process.argv[2] ?? 5000));
  console.log(`imported ${result.created} of ${result.identities} identities in ${result.seconds.toFixed(1)} s: ${result.perSecond.toFixed(0)} identities/s`);
}
