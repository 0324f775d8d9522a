/**
 * `npm run package`: one minified esbuild bundle per function (CommonJS, Node 24, the Lambda runtime of
 * serverless.yml) at dist/functions/<name>.cjs, and beside them the OpenTelemetry SDK side of the tracing in a file
 * of its own, dist/functions/tracing-sdk.cjs, which a function requires only when tracing is on (so with tracing off
 * it is never parsed), and the WebAuthn verification (@simplewebauthn/server and its certificate parsers) in
 * dist/functions/webauthn-verify.cjs, which a function requires only when a passkey or security key ceremony is
 * checked, and the session tokenizer's signing and claims mapping (jose, the Jsonnet evaluator) in
 * dist/functions/session-tokenizer.cjs, which whoami requires only for `tokenize_as`. Then `serverless package` zips each function with its bundle and those files. Lambda resolves
 * the handler `dist/functions/<name>.handler` to the .cjs in the zip; locally, the .js that tsc emits is used. No AWS
 * credentials are needed.
 */
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { loadIdentityConfig } from '../lib/config/identity.js';
import { loadOidcConfig } from '../lib/config/oidc.js';
import { PACKAGED_SCHEMAS_FILE, readSchemaDocument, schemaFilePath, schemaOf } from '../lib/identity/schemas.js';
import { PACKAGED_MAPPERS_FILE } from '../lib/strategies/oidc/mapper.js';
import { configuredWebHooks, loadSelfServiceConfig } from '../lib/config/selfservice.js';
import { OTEL_API_GLOBAL_KEY } from '../lib/tracing/shared-api.js';
import { PROJECT_ROOT } from './local-stack.js';

export const BUNDLE_DIR = path.join(PROJECT_ROOT, 'dist', 'functions');

/** How a function becomes a Lambda bundle (also used by the cold-start benchmark for its peers). */
export const LAMBDA_BUNDLE_OPTIONS = {
  bundle: true,
  minify: true,
  platform: 'node',
  target: 'node24',
  format: 'cjs',
  legalComments: 'none',
  logLevel: 'error',
  // Prefer ES module builds: they tree-shake better than the CommonJS ones.
  mainFields: ['module', 'main'],
  // Loaded only when a secret is held in SSM Parameter Store (lib/config/secrets.ts); Lambda's Node.js runtime ships the AWS SDK v3.
  external: ['@aws-sdk/client-ssm'],
  // import() becomes a promise around require(): a dynamic import of a builtin (the AWS SDK's of node:http) would
  // otherwise go through Node's ESM loader, whose facade of node:http touches every export and so loads undici
  // (fetch) for nothing, some 15 ms of every cold start.
  supported: { 'dynamic-import': false },
} satisfies BuildOptions;

/** The tracing SDK's file, beside every function bundle. */
export const SDK_BUNDLE_FILE = 'tracing-sdk.cjs';

/**
 * In a function bundle, `importer`'s on-demand import of `specifier` becomes a require of `file`, a file of its own
 * shipped beside every bundle: a function parses it only when it first needs it.
 */
const fileApart = (name: string, importer: string[], specifier: string, file: string): Plugin => ({
  name,
  setup(builder) {
    const pattern = new RegExp(`^${specifier.replace(/[.]/g, '\\.')}$`);
    builder.onResolve({ filter: pattern }, (args) => (args.importer.endsWith(path.join(...importer)) ? { path: `./${file}`, external: true } : undefined));
  },
});

/** lib/tracing/provider.ts's import of ./sdk.js: the tracing SDK's file. */
const tracingSdkApart = fileApart('tracing-sdk-apart', ['lib', 'tracing', 'provider.ts'], './sdk.js', SDK_BUNDLE_FILE);

/** The WebAuthn verification's file, beside every function bundle. */
export const WEBAUTHN_BUNDLE_FILE = 'webauthn-verify.cjs';

/** lib/webauthn/ceremony.ts's import of ./verify.js: the WebAuthn verification's file. */
const webauthnVerifyApart = fileApart('webauthn-verify-apart', ['lib', 'webauthn', 'ceremony.ts'], './verify.js', WEBAUTHN_BUNDLE_FILE);

/** The session tokenizer's signing (jose) and claims mapping (Jsonnet), beside every function bundle. */
export const TOKENIZER_BUNDLE_FILE = 'session-tokenizer.cjs';

/** lib/session/tokenizer.ts's import of ./jwt-sign.js: the session tokenizer's file. */
const tokenizerApart = fileApart('session-tokenizer-apart', ['lib', 'session', 'tokenizer.ts'], './jwt-sign.js', TOKENIZER_BUNDLE_FILE);

/** Jaeger's remote sampler, beside every function bundle: required by the tracing SDK's file only when configured. */
export const SAMPLER_BUNDLE_FILE = 'tracing-sampler.cjs';

/** lib/tracing/sdk.ts's import of ./remote-sampler.js: the remote sampler's file. */
const remoteSamplerApart = fileApart('tracing-sampler-apart', ['lib', 'tracing', 'sdk.ts'], './remote-sampler.js', SAMPLER_BUNDLE_FILE);

/** The exporters other than Jaeger's (OTLP/HTTP, Zipkin, console), beside every function bundle: required by the SDK's file when configured. */
export const EXPORTERS_BUNDLE_FILE = 'tracing-exporters.cjs';

/** lib/tracing/sdk.ts's import of ./exporters.js: the other exporters' file. */
const exportersApart = fileApart('tracing-exporters-apart', ['lib', 'tracing', 'sdk.ts'], './exporters.js', EXPORTERS_BUNDLE_FILE);

/** The Jsonnet evaluator, beside every function bundle: required where a claims mapper or a web hook body is evaluated. */
export const JSONNET_BUNDLE_FILE = 'jsonnet.cjs';

/** Social sign-in's claims mapper and the web hooks' bodies import lib/jsonnet on demand: the evaluator's file. */
const jsonnetApart = [
  fileApart('jsonnet-apart-oidc', ['lib', 'strategies', 'oidc', 'mapper.ts'], '../../jsonnet/index.js', JSONNET_BUNDLE_FILE),
  fileApart('jsonnet-apart-web-hooks', ['lib', 'webhooks', 'index.ts'], '../jsonnet/index.js', JSONNET_BUNDLE_FILE),
];

/** ajv with its formats, beside every function bundle: required when an identity schema is first compiled. */
export const VALIDATOR_BUNDLE_FILE = 'identity-validator.cjs';

/** lib/identity/schema.ts's import of ./validator.js: the schema validator's file. */
const identityValidatorApart = fileApart('identity-validator-apart', ['lib', 'identity', 'schema.ts'], './validator.js', VALIDATOR_BUNDLE_FILE);

/** The TOTP key's QR code drawing (qrcode, pngjs), beside every function bundle: required when a key is offered. */
export const TOTP_QR_BUNDLE_FILE = 'totp-qr.cjs';

/** lib/strategies/totp/index.ts's import of ./qr.js: the QR code's file. */
const totpQrApart = fileApart('totp-qr-apart', ['lib', 'strategies', 'totp', 'index.ts'], './qr.js', TOTP_QR_BUNDLE_FILE);

/** In the tracing SDK's file, `@opentelemetry/api` is the copy the function hands over (lib/tracing/shared-api.ts). */
const functionsOtelApi: Plugin = {
  name: 'functions-opentelemetry-api',
  setup(builder) {
    builder.onResolve({ filter: /^@opentelemetry\/api$/ }, () => ({ path: 'opentelemetry-api', namespace: 'function-bundle' }));
    // An ES module naming each of the API's exports: as CommonJS (`module.exports = api`), every module of the SDK that
    // imports the API would copy all its exports into a namespace object of its own at load (esbuild's __toESM), some
    // 2 ms of every traced cold start.
    const names = Object.keys(createRequire(import.meta.url)('@opentelemetry/api') as object).filter((name) => /^[A-Za-z_$][\w$]*$/.test(name) && name !== 'default');
    builder.onLoad({ filter: /.*/, namespace: 'function-bundle' }, () => ({
      contents: `const api = globalThis[Symbol.for(${JSON.stringify(OTEL_API_GLOBAL_KEY)})];
if (!api) throw new Error('${SDK_BUNDLE_FILE} is loaded by a function bundle, which hands it the OpenTelemetry API');
export const { ${names.join(', ')} } = api;
export default api;`,
      loader: 'js',
    }));
  },
};

/**
 * Packages that do nothing when imported, marked so for esbuild: they are CommonJS without a `sideEffects` field,
 * so a bundle would keep them wherever a module merely imports them (whoami's reaches the identity schemas and the
 * TOTP method's QR codes through lib/app.ts, never validating or drawing anything) and ajv alone is 100 KiB.
 */
const PURE_PACKAGES = /^(ajv|ajv-formats|fast-json-patch|qrcode)$/;
const purePackages: Plugin = {
  name: 'pure-packages',
  setup(builder) {
    builder.onResolve({ filter: PURE_PACKAGES }, async (args) => {
      if (args.pluginData === 'pure-packages') return undefined;
      const resolved = await builder.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: 'pure-packages' });
      return resolved.errors.length > 0 ? undefined : { path: resolved.path, sideEffects: false };
    });
  },
};

/** How a function of this project becomes a Lambda bundle. */
export const FUNCTION_BUNDLE_OPTIONS = { ...LAMBDA_BUNDLE_OPTIONS, plugins: [tracingSdkApart, webauthnVerifyApart, tokenizerApart, ...jsonnetApart, totpQrApart, identityValidatorApart, purePackages] } satisfies BuildOptions;

export interface BundleInfo {
  name: string;
  file: string;
  bytes: number;
}

export function functionNames(): string[] {
  return readdirSync(path.join(PROJECT_ROOT, 'functions'))
    .filter((file) => file.endsWith('.ts'))
    .map((file) => file.slice(0, -3))
    .sort();
}

/**
 * In the tracing SDK's file, lib/tracing/sdk.ts's import of `@opentelemetry/sdk-trace` (the two samplers) goes to the
 * samplers' own modules: the package's index is also required by the remote sampler's CommonJS build, so esbuild
 * bundles it to be evaluated whole, and importing it would evaluate every class of the SDK at each traced cold start
 * (about 1.5 ms). Node itself cannot load those modules on their own (their imports have no extensions), hence here.
 */
const sdkTraceSamplers: Plugin = {
  name: 'sdk-trace-samplers',
  setup(builder) {
    const sdk = path.join(PROJECT_ROOT, 'lib', 'tracing', 'sdk.ts');
    builder.onResolve({ filter: /^@opentelemetry\/sdk-trace$/ }, (args) => (args.importer === sdk ? { path: 'samplers', namespace: 'sdk-trace-samplers' } : undefined));
    builder.onLoad({ filter: /.*/, namespace: 'sdk-trace-samplers' }, () => ({
      contents: `export { ParentBasedSampler } from '@opentelemetry/sdk-trace/build/esm/sampler/ParentBasedSampler.js';
export { TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace/build/esm/sampler/TraceIdRatioBasedSampler.js';`,
      resolveDir: PROJECT_ROOT,
      loader: 'js',
    }));
  },
};

/** The files apart, shipped beside every bundle: each built from its module with what its build needs. */
const FILES_APART: { module: string[]; file: string; plugins?: Plugin[] }[] = [
  { module: ['lib', 'tracing', 'sdk.ts'], file: SDK_BUNDLE_FILE, plugins: [functionsOtelApi, sdkTraceSamplers, remoteSamplerApart, exportersApart] },
  // The OpenTelemetry API the function's, as in the SDK's file.
  { module: ['lib', 'tracing', 'remote-sampler.ts'], file: SAMPLER_BUNDLE_FILE, plugins: [functionsOtelApi] },
  { module: ['lib', 'tracing', 'exporters.ts'], file: EXPORTERS_BUNDLE_FILE, plugins: [functionsOtelApi] },
  { module: ['lib', 'webauthn', 'verify.ts'], file: WEBAUTHN_BUNDLE_FILE },
  { module: ['lib', 'session', 'jwt-sign.ts'], file: TOKENIZER_BUNDLE_FILE },
  { module: ['lib', 'jsonnet', 'index.ts'], file: JSONNET_BUNDLE_FILE },
  { module: ['lib', 'strategies', 'totp', 'qr.ts'], file: TOTP_QR_BUNDLE_FILE },
  { module: ['lib', 'identity', 'validator.ts'], file: VALIDATOR_BUNDLE_FILE },
];

/** The names of the files apart, each shipped beside every function bundle. */
export const FILES_APART_NAMES: readonly string[] = FILES_APART.map(({ file }) => file);

/** Builds one file apart (its name, e.g. SDK_BUNDLE_FILE); its size. */
export async function buildFileApart(name: string, outdir = BUNDLE_DIR): Promise<BundleInfo> {
  const apart = FILES_APART.find((f) => f.file === name);
  if (!apart) throw new Error(`no file apart named ${name}`);
  const file = path.join(outdir, apart.file);
  await build({ ...LAMBDA_BUNDLE_OPTIONS, plugins: apart.plugins ?? [], entryPoints: [path.join(PROJECT_ROOT, ...apart.module)], outfile: file });
  return { name: apart.file.replace(/\.cjs$/, ''), file, bytes: statSync(file).size };
}

/**
 * The `file://` identity schemas of IDENTITY_SCHEMAS (as set when packaging, as at deploy), by URL, written beside the
 * bundles: a Lambda zip has no project files, so a deployed function reads its schemas from there. Each `file://` and
 * `base64://` schema is compiled here too: a deployed function compiles a schema only at its first validation, so
 * one that does not compile is refused now, not by a registration (a ConfigError naming it).
 */
export async function packageIdentitySchemas(env = process.env, outdir = BUNDLE_DIR): Promise<BundleInfo> {
  const shipped: Record<string, unknown> = {};
  for (const source of loadIdentityConfig(env).schemas) {
    const { url } = source;
    if (!url.startsWith('file://') && !url.startsWith('base64://')) continue; // https://: fetched by the functions (and by npm start, which compiles it)
    const document = await readSchemaDocument(source, env.INIT_CWD || process.cwd());
    if (url.startsWith('file://')) shipped[url] = document;
    await schemaOf(source, document, true);
  }
  const file = path.join(outdir, PACKAGED_SCHEMAS_FILE);
  writeFileSync(file, `${JSON.stringify(shipped)}\n`);
  return { name: PACKAGED_SCHEMAS_FILE.replace(/\.json$/, ''), file, bytes: statSync(file).size };
}

/**
 * The claims mappers of SESSION_WHOAMI_TOKENIZER_TEMPLATES as set when packaging (none when it is held in Parameter
 * Store: give those mappers as base64:// or https://). The templates themselves are checked by the cold start.
 */
function tokenizerMapperUrls(env: NodeJS.ProcessEnv): string[] {
  try {
    const templates = JSON.parse(env.SESSION_WHOAMI_TOKENIZER_TEMPLATES ?? '{}') as Record<string, { claims_mapper_url?: unknown }>;
    return Object.values(templates).flatMap((t) => (typeof t?.claims_mapper_url === 'string' ? [t.claims_mapper_url] : []));
  } catch {
    return [];
  }
}

/** The body programs of the web hooks configured when packaging. */
function webHookBodyUrls(env: NodeJS.ProcessEnv): string[] {
  return configuredWebHooks(loadSelfServiceConfig(env)).flatMap((hook) => (hook.bodyUrl ? [hook.bodyUrl] : []));
}

/**
 * Writes the `file://` claims mappers of SELFSERVICE_METHODS_OIDC_CONFIG_PROVIDERS and of the session tokenizer's
 * templates, and the web hooks' `file://` bodies, beside the bundles (by URL), as the schemas are: a deployed function
 * reads its program from there. (Key
 * sets are never shipped this way: deployed, give them as base64://, best from Parameter Store.)
 */
export function packageOidcMappers(env: NodeJS.ProcessEnv = process.env, outdir = BUNDLE_DIR): BundleInfo {
  const shipped: Record<string, string> = {};
  const urls = [...loadOidcConfig(env, 'http://localhost').providers.map((p) => p.mapperUrl), ...tokenizerMapperUrls(env), ...webHookBodyUrls(env)];
  for (const mapperUrl of urls) {
    if (mapperUrl.startsWith('file://')) shipped[mapperUrl] = readFileSync(schemaFilePath(mapperUrl, env.INIT_CWD || process.cwd()), 'utf8');
  }
  const file = path.join(outdir, PACKAGED_MAPPERS_FILE);
  writeFileSync(file, `${JSON.stringify(shipped)}\n`);
  return { name: PACKAGED_MAPPERS_FILE.replace(/\.json$/, ''), file, bytes: statSync(file).size };
}

/** Builds the functions' bundles, and beside them the files apart they require on demand (FILES_APART). */
export async function buildBundles(names: string[] = functionNames()): Promise<BundleInfo[]> {
  const infos: BundleInfo[] = [];
  await Promise.all([
    // One build of every entry point: each bundle is whole on its own (no shared chunks), but the modules they share
    // are read and parsed once, not once per function.
    build({
      ...FUNCTION_BUNDLE_OPTIONS,
      entryPoints: names.map((name) => ({ in: path.join(PROJECT_ROOT, 'functions', `${name}.ts`), out: name })),
      outdir: BUNDLE_DIR,
      outExtension: { '.js': '.cjs' },
    }).then(() => {
      for (const name of names) {
        const file = path.join(BUNDLE_DIR, `${name}.cjs`);
        infos.push({ name, file, bytes: statSync(file).size });
      }
    }),
    ...FILES_APART.map(({ file }) => buildFileApart(file).then((info) => void infos.push(info))),
  ]);
  return infos.sort((a, b) => a.name.localeCompare(b.name));
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(0).padStart(5)} KiB`;

async function main(): Promise<void> {
  const bundles = await buildBundles();
  bundles.push(await packageIdentitySchemas(), packageOidcMappers());
  console.log(`Bundles in ${path.relative(PROJECT_ROOT, BUNDLE_DIR)} (target node24, minified; ${SDK_BUNDLE_FILE}, ${SAMPLER_BUNDLE_FILE}, ${EXPORTERS_BUNDLE_FILE}, ${WEBAUTHN_BUNDLE_FILE}, ${TOKENIZER_BUNDLE_FILE}, ${JSONNET_BUNDLE_FILE}, ${TOTP_QR_BUNDLE_FILE}, ${VALIDATOR_BUNDLE_FILE} and ${PACKAGED_SCHEMAS_FILE} ship beside each):`);
  for (const bundle of bundles) console.log(`  ${bundle.name.padEnd(32)} ${kb(bundle.bytes)}`);
  if (process.argv.includes('--no-zip')) return;
  console.log('\nserverless package (one zip per function, no AWS credentials needed):');
  const serverless = path.join(path.dirname(createRequire(import.meta.url).resolve('serverless/package.json')), 'bin', 'serverless.js');
  const result = spawnSync(process.execPath, [serverless, 'package'], {
    cwd: PROJECT_ROOT,
    stdio: 'inherit',
    env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
  });
  if (result.status !== 0) process.exit(result.status ?? 1);
  const zips = readdirSync(path.join(PROJECT_ROOT, '.serverless')).filter((f) => f.endsWith('.zip'));
  for (const zip of zips.sort()) console.log(`  ${zip.padEnd(40)} ${kb(statSync(path.join(PROJECT_ROOT, '.serverless', zip)).size)}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(PROJECT_ROOT, 'dist', 'scripts', 'package.js')) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
