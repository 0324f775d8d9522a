/**
 * What `whoami?tokenize_as=<template>` adds to a warm whoami: the same session read from DynamoDB Local, then a JWT
 * signed with each kind of key (ES256, RS256 at 2048 bits, EdDSA) and once with a Jsonnet claims mapper. One worker
 * (tracing off), the configurations taking turns round by round; medians per configuration, and each one's added
 * time over plain whoami. Part of `npm run bench`; alone: `npm run build && node dist/bench/tokenize.js` (needs
 * DynamoDB Local: BENCH_DYNAMODB_ENDPOINT).
 */
import { generateKeyPairSync } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { functionEnv, PASSWORD, WORKER } from './lib/env.js';
import { median, quantile, rotate } from './lib/stats.js';
import { Worker } from './lib/workers.js';

const jwks = (key: object) => `base64://${Buffer.from(JSON.stringify({ keys: [key] })).toString('base64')}`;
const MAPPER = `base64://${Buffer.from("local s = std.extVar('session'); { claims: { aud: 'kratos-session', email: s.identity.traits.email, aal: s.authenticator_assurance_level } }").toString('base64')}`;

export const TOKENIZE_CONFIGS = ['whoami', 'whoami:es256', 'whoami:rs256', 'whoami:eddsa', 'whoami:es256-mapper'] as const;
type Config = (typeof TOKENIZE_CONFIGS)[number];

function templates(): string {
  const es = { ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }), alg: 'ES256', kid: 'es' };
  const rs = { ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }), alg: 'RS256', kid: 'rs' };
  const ed = { ...generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }), alg: 'EdDSA', kid: 'ed' };
  return JSON.stringify({
    es256: { ttl: '10m', jwks_url: jwks(es) },
    rs256: { ttl: '10m', jwks_url: jwks(rs) },
    eddsa: { ttl: '10m', jwks_url: jwks(ed) },
    'es256-mapper': { ttl: '10m', jwks_url: jwks(es), claims_mapper_url: MAPPER },
  });
}

export interface TokenizeBench {
  /** Median latency of each configuration, ms. */
  medianMs: Record<Config, number>;
  p99Ms: Record<Config, number>;
  /** Median of a configuration minus plain whoami's, ms. */
  addedMs: Record<Exclude<Config, 'whoami'>, number>;
}

export async function runTokenize(dynamoEndpoint: string, options: { rounds: number; batch: number; warmup: number }): Promise<TokenizeBench> {
  const worker = new Worker({ name: 'tokenize', script: WORKER, env: { ...functionEnv(dynamoEndpoint), SESSION_WHOAMI_TOKENIZER_TEMPLATES: templates() } });
  try {
    const { token } = await worker.call<{ token: string }>('register', { email: `bench-tokenize-${Date.now()}@example.com`, password: PASSWORD });
    for (const handler of TOKENIZE_CONFIGS) await worker.call('bench', { handler, n: options.warmup, token });
    const samples = Object.fromEntries(TOKENIZE_CONFIGS.map((c) => [c, [] as number[]])) as Record<Config, number[]>;
    for (let round = 0; round < options.rounds; round++) {
      for (const handler of rotate(TOKENIZE_CONFIGS, round)) samples[handler].push(...(await worker.call<number[]>('bench', { handler, n: options.batch, token })));
    }
    const medianMs = Object.fromEntries(TOKENIZE_CONFIGS.map((c) => [c, median(samples[c])])) as Record<Config, number>;
    const p99Ms = Object.fromEntries(TOKENIZE_CONFIGS.map((c) => [c, quantile(samples[c], 0.99)])) as Record<Config, number>;
    const addedMs = Object.fromEntries(TOKENIZE_CONFIGS.filter((c) => c !== 'whoami').map((c) => [c, medianMs[c] - medianMs.whoami])) as TokenizeBench['addedMs'];
    return { medianMs, p99Ms, addedMs };
  } finally {
    await worker.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const endpoint = process.env.BENCH_DYNAMODB_ENDPOINT;
  if (!endpoint) throw new Error('BENCH_DYNAMODB_ENDPOINT: a DynamoDB Local with the table (npm run bench starts one)');
  const result = await runTokenize(endpoint, { rounds: 8, batch: 100, warmup: 300 });
  for (const config of TOKENIZE_CONFIGS) {
    const added = config === 'whoami' ? '' : `, added ${result.addedMs[config].toFixed(3)} ms`;
    console.log(`${config.replace(':', '?tokenize_as=').padEnd(34)} median ${result.medianMs[config].toFixed(3)} ms, p99 ${result.p99Ms[config].toFixed(3)} ms${added}`);
  }
}
