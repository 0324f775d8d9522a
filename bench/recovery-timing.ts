/**
 * Recovery's e-mail submit, known address against unknown (Kratos's promise: the same answer, and nothing in the
 * timing either): both do the same calls (one address lookup, one conditional flow write; the known address's
 * message rides in that same transaction), so their medians should match within the machine's noise.
 */
import path from 'node:path';
import { lambdaRuntimeEnv } from './lib/lambda.js';
import { median } from './lib/stats.js';
import { Worker } from './lib/workers.js';
import { DIST, PASSWORD, WORKER, functionEnv } from './lib/env.js';

export interface RecoveryTiming {
  knownMs: number;
  unknownMs: number;
}

export async function runRecoveryTiming(dynamoEndpoint: string, n: number): Promise<RecoveryTiming> {
  const worker = new Worker({
    name: 'recovery-timing',
    script: WORKER,
    env: {
      ...functionEnv(dynamoEndpoint),
      ...lambdaRuntimeEnv(path.join(DIST, 'functions'), 'recovery-submit'),
      SELFSERVICE_FLOWS_RECOVERY_ENABLED: 'true',
      SECRETS_DEFAULT: 'bench-code-secret-0123456789abcdef',
    },
  });
  try {
    const email = `bench-recovery-${Date.now()}@example.com`;
    await worker.call('register', { email, password: PASSWORD });
    const WARMUP = 5;
    const samples = await worker.call<{ known: number[]; unknown: number[] }>('recovery-timing', { n: n + WARMUP, email });
    return { knownMs: median(samples.known.slice(WARMUP)), unknownMs: median(samples.unknown.slice(WARMUP)) };
  } finally {
    await worker.stop();
  }
}
