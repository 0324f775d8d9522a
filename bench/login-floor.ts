/**
 * How close login gets to its floor: a login submit at bcrypt cost 12 (the default) against DynamoDB Local,
 * next to one bcrypt compare at cost 12 on the same machine; and bcryptjs next to the native `bcrypt` package.
 */
import path from 'node:path';
import { lambdaRuntimeEnv } from './lib/lambda.js';
import { median } from './lib/stats.js';
import { Worker } from './lib/workers.js';
import { DIST, PASSWORD, WORKER, functionEnv } from './lib/env.js';

export interface LoginFloor {
  loginMs: number;
  bcryptjsMs: number;
  /** undefined when the native package could not be loaded. */
  nativeMs?: number;
  nativeError?: string;
}

export async function runLoginFloor(dynamoEndpoint: string, n: number): Promise<LoginFloor> {
  const worker = new Worker({
    name: 'login-floor',
    script: WORKER,
    env: { ...functionEnv(dynamoEndpoint), ...lambdaRuntimeEnv(path.join(DIST, 'functions'), 'login-submit'), HASHERS_BCRYPT_COST: '12' },
  });
  try {
    const email = `bench-floor-${Date.now()}@example.com`;
    await worker.call('register', { email, password: PASSWORD });
    const WARMUP = 2;
    const samples = await worker.call<{ login: number[]; bcryptjs: number[]; native: number[]; nativeError?: string }>('login-floor', {
      n: n + WARMUP,
      email,
      password: PASSWORD,
    });
    return {
      loginMs: median(samples.login.slice(WARMUP)),
      bcryptjsMs: median(samples.bcryptjs.slice(WARMUP)),
      nativeMs: samples.native.length ? median(samples.native.slice(WARMUP)) : undefined,
      nativeError: samples.nativeError,
    };
  } finally {
    await worker.stop();
  }
}
