/**
 * Loads the configured identity schemas (lib/config/identity.ts) once per cold start: `file://` from the working
 * directory (or, in a deployed bundle, from the `identity-schemas.json` that `npm run package` ships beside it),
 * `base64://` inline, `https://` fetched. A schema that cannot be read or parsed, or that marks no password
 * identifier, is a ConfigError naming it; one that does not compile, when it is compiled (`compile`, or its first
 * validation).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config/env.js';
import type { IdentityConfig, IdentitySchemaSource } from '../config/identity.js';
import { builtinSchema, IdentitySchema, SchemaError, SchemaRegistry, type JsonSchema } from './schema.js';

/** What `npm run package` writes beside the bundles: every `file://` schema of IDENTITY_SCHEMAS, by its URL. */
export const PACKAGED_SCHEMAS_FILE = 'identity-schemas.json';

const FETCH_TIMEOUT_MS = 5000;

/** The file a `file://` URL names: `file:///abs/path`, or a path relative to the working directory. */
export function schemaFilePath(url: string, cwd = process.cwd()): string {
  return path.resolve(cwd, decodeURIComponent(url.slice('file://'.length)));
}

function packaged(): Record<string, unknown> | undefined {
  // In a bundle (CommonJS) __dirname is the function's folder; under tsc's ES modules there is none.
  const dir = typeof __dirname === 'string' ? __dirname : undefined;
  const file = dir ? path.join(dir, PACKAGED_SCHEMAS_FILE) : undefined;
  return file && existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : undefined;
}

async function readSource(source: IdentitySchemaSource, cwd: string): Promise<unknown> {
  const { url } = source;
  if (url.startsWith('base64://')) return JSON.parse(Buffer.from(url.slice('base64://'.length), 'base64').toString('utf8'));
  if (url.startsWith('file://')) {
    const shipped = packaged()?.[url];
    if (shipped !== undefined) return shipped;
    return JSON.parse(readFileSync(schemaFilePath(url, cwd), 'utf8'));
  }
  const response = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return JSON.parse(await response.text());
}

/** One configured schema's document (a `file://` path relative to `cwd`); a ConfigError naming it when it cannot be read. */
export async function readSchemaDocument(source: IdentitySchemaSource, cwd = process.cwd()): Promise<unknown> {
  try {
    return await readSource(source, cwd);
  } catch (error) {
    throw new ConfigError(`IDENTITY_SCHEMAS: schema "${source.id}" could not be read from ${source.url.slice(0, 120)}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * One configured schema read from its document, its validator compiled now when `compile` (IdentitySchema.compile);
 * a ConfigError naming it when it cannot be used.
 */
export async function schemaOf(source: IdentitySchemaSource, document: unknown, compile: boolean): Promise<IdentitySchema> {
  try {
    // Each its own validator: two schemas may well carry the same $id (one copied from the other).
    const schema = new IdentitySchema(source.id, document as JsonSchema, source.selfserviceSelectable);
    if (compile) await schema.compile();
    return schema;
  } catch (error) {
    throw new ConfigError(`IDENTITY_SCHEMAS: ${error instanceof SchemaError ? error.message : String(error)}`);
  }
}

/**
 * `compile`: each schema's validator compiled now (IdentitySchema.compile), as `npm start` and `npm run package` ask;
 * a cold start leaves that to the first validation.
 */
export async function loadSchemaRegistry(config: IdentityConfig, options: { compile?: boolean } = {}): Promise<SchemaRegistry> {
  if (config.schemas.length === 0) return new SchemaRegistry([builtinSchema()], config.defaultSchemaId);
  const schemas: IdentitySchema[] = [];
  for (const source of config.schemas) schemas.push(await schemaOf(source, await readSchemaDocument(source), options.compile ?? false));
  return new SchemaRegistry(schemas, config.defaultSchemaId);
}
