/**
 * lib/jsonnet: a typical OIDC claims mapper (15 lines, in the style of Kratos's documented mappers) evaluated warm,
 * each time with other claims (a new login: the claims are parsed every time, the mapper comes from the cache of
 * compiled programs), and the size the evaluator adds to a function's bundle (minified, as `npm run package`
 * bundles). Part of `npm run bench`; alone: `npm run build && node dist/bench/jsonnet.js`.
 */
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { evaluate } from '../lib/jsonnet/index.js';
import { median, quantile } from './lib/stats.js';
import { ROOT } from './lib/env.js';

export const CLAIMS_MAPPER = `local claims = std.extVar('claims');
local verified = 'email' in claims && std.get(claims, 'email_verified', false);
{
  identity: {
    traits: {
      [if verified then 'email' else null]: claims.email,
      name: {
        first: std.get(claims, 'given_name', ''),
        last: std.get(claims, 'family_name', ''),
      },
      [if 'locale' in claims then 'locale' else null]: std.asciiLower(claims.locale),
    },
    metadata_public: { provider: 'google', picture: std.get(claims, 'picture') },
    verified_addresses: std.prune([if verified then { via: 'email', value: claims.email }]),
  },
}`;

function claims(i: number): string {
  return JSON.stringify({
    iss: 'https://accounts.google.com',
    sub: `10923456789${i}`,
    email: `user${i}@example.com`,
    email_verified: i % 10 !== 0,
    given_name: 'Ada',
    family_name: 'Lovelace',
    locale: 'en-GB',
    picture: `https://lh3.googleusercontent.com/a/${i}`,
    raw_claims: { hd: 'example.com', at_hash: 'HK6E_P6Dh8Y93mRNtsDB1Q' },
  });
}

export interface JsonnetBench {
  warmMedianUs: number;
  warmP99Us: number;
  bundleKiB: number;
}

export async function runJsonnet(evaluations: number, warmup: number): Promise<JsonnetBench> {
  const samples: number[] = [];
  for (let i = 0; i < warmup + evaluations; i++) {
    const input = claims(i);
    const started = performance.now();
    evaluate(CLAIMS_MAPPER, { extCode: { claims: input } });
    if (i >= warmup) samples.push((performance.now() - started) * 1000);
  }
  const bundle = await build({
    entryPoints: [path.join(ROOT, 'lib', 'jsonnet', 'index.ts')],
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    write: false,
    logLevel: 'silent',
  });
  return { warmMedianUs: median(samples), warmP99Us: quantile(samples, 0.99), bundleKiB: bundle.outputFiles[0].contents.length / 1024 };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await runJsonnet(20_000, 5_000);
  console.log(`Jsonnet claims mapper, warm evaluation: median ${result.warmMedianUs.toFixed(1)} us, p99 ${result.warmP99Us.toFixed(1)} us (target: well under 1000 us)`);
  console.log(`lib/jsonnet bundle, minified: ${result.bundleKiB.toFixed(1)} KiB (target: <= 120 KiB)`);
}
