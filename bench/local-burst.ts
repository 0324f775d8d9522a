/**
 * `npm start` locally: how long a function's first request takes on a fresh stack (serverless-offline loading the
 * function into a new worker), and a cold burst, 30 concurrent registrations of one address as the first requests to
 * the submit function, through the local gateway (scripts/local-gateway.ts) at npm start's bcrypt cost (12).
 */
import { freePort } from '../scripts/dynamodb-local.js';
import { startOffline } from '../scripts/local-stack.js';
import { PASSWORD, TABLE, functionEnv } from './lib/env.js';
import { max, median } from './lib/stats.js';

export interface LocalBurst {
  /** First request to each of several functions, each a new worker: median and slowest. */
  coldFirstRequestMs: { median: number; max: number };
  /** A warm worker's answer to the same requests: median. */
  warmRequestMs: number;
  burst: { slowestMs: number; wallMs: number; statuses: Record<number, number> };
}

async function timed(url: string, init?: RequestInit): Promise<{ ms: number; status: number; json: any }> {
  const started = performance.now();
  const res = await fetch(url, init);
  const text = await res.text();
  return { ms: performance.now() - started, status: res.status, json: text ? JSON.parse(text) : undefined };
}

export async function runLocalBurst(dynamoEndpoint: string): Promise<LocalBurst> {
  const port = await freePort();
  const env = { ...functionEnv(dynamoEndpoint), DYNAMODB_TABLE_NAME: TABLE, SERVE_PUBLIC_BASE_URL: `http://127.0.0.1:${port}`, HASHERS_BCRYPT_COST: '12', LOG_LEVEL: 'error' };
  const offline = await startOffline({ port, env });
  const base = offline.baseUrl;
  try {
    // Each a function of its own, none asked before (the readiness check asked /health/alive only).
    const firsts = ['/self-service/registration/api', '/self-service/login/api', '/self-service/recovery/api', '/self-service/verification/api', '/health/ready', '/schemas'];
    const cold: number[] = [];
    for (const path of firsts) cold.push((await timed(`${base}${path}`)).ms);
    const warm: number[] = [];
    for (let i = 0; i < 3; i += 1) for (const path of firsts) warm.push((await timed(`${base}${path}`)).ms);

    const email = `bench-burst-${Date.now()}@example.com`;
    const flows: string[] = [];
    for (let i = 0; i < 30; i += 1) flows.push((await timed(`${base}/self-service/registration/api`)).json.id);
    const started = performance.now();
    const answers = await Promise.all(
      flows.map((flow) =>
        timed(`${base}/self-service/registration?flow=${flow}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ method: 'password', password: PASSWORD, traits: { email } }),
        }),
      ),
    );
    const statuses: Record<number, number> = {};
    for (const answer of answers) statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
    return {
      coldFirstRequestMs: { median: median(cold), max: max(cold) },
      warmRequestMs: median(warm),
      burst: { slowestMs: max(answers.map((a) => a.ms)), wallMs: performance.now() - started, statuses },
    };
  } finally {
    await offline.stop();
  }
}
