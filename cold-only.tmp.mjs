import path from 'node:path';
const { startDatabase } = await import('./dist/scripts/local-stack.js');
const { runColdStart } = await import('./dist/bench/cold/cold-start.js');
const { lambdaRuntimeEnv } = await import('./dist/bench/lib/lambda.js');
const { Worker } = await import('./dist/bench/lib/workers.js');
const { DIST, PASSWORD, TABLE, WORKER, functionEnv } = await import('./dist/bench/lib/env.js');
const runs = Number(process.argv[2] ?? 10);
const db = await startDatabase({ DYNAMODB_TABLE_NAME: TABLE });
try {
  const worker = new Worker({ name: 'register', script: WORKER, env: { ...functionEnv(db.endpoint), ...lambdaRuntimeEnv(path.join(DIST, 'functions'), 'whoami') } });
  const token = (await worker.call('register', { email: `bench-cold-${Date.now()}@example.com`, password: PASSWORD })).token;
  await worker.stop();
  const cold = await runColdStart({ dynamoEndpoint: db.endpoint, token, runs, log: (l) => console.log(l) });
  console.log(JSON.stringify(cold.medianMs), 'whoami KiB', (cold.bundleBytes.whoami / 1024).toFixed(0));
  console.log('ours/bare', (cold.medianMs.ours / cold.medianMs.bare).toFixed(3), 'off/bare', (cold.medianMs['ours-off'] / cold.medianMs.bare).toFixed(3));
} finally {
  await db.stop();
}
