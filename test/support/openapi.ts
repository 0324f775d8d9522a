/**
 * Validates response bodies against the schemas in Kratos's OpenAPI spec (kratos/api.json, OpenAPI 3.0).
 * Two mechanical translations make the 3.0 dialect readable by a JSON Schema validator: `nullable: true`
 * becomes a `null` type, and `discriminator` (a hint over `oneOf`) is dropped, leaving the `oneOf` itself.
 */
import AjvModule, { type Options, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FormatsPluginOptions } from 'ajv-formats';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../scripts/local-stack.js';

type Json = Record<string, unknown>;

function translate(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(translate);
  if (node === null || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node as Json)) {
    if (key === 'discriminator' || key === 'example' || key.startsWith('x-')) continue;
    out[key] = translate(value);
  }
  if (out.nullable === true) {
    delete out.nullable;
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    else if (out.$ref || out.oneOf || out.allOf) return { anyOf: [{ ...out }, { type: 'null' }] };
  }
  return out;
}

const spec = translate(JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'kratos', 'api.json'), 'utf8'))) as Json;
const schemas = (spec.components as Json).schemas as Record<string, Json>;
// Kratos sends `details` on errors (`details.api` on an expired flow), but the generated spec closes the
// object with `additionalProperties: false` and no properties. Re-open only that one object.
delete (((schemas.genericError.properties as Json).details as Json).additionalProperties);

// ajv and ajv-formats are CommonJS with `exports.default`; from ESM the class sits on `.default`.
type AjvInstance = InstanceType<typeof AjvModule.default>;
const Ajv = (AjvModule as unknown as { default: new (options: Options) => AjvInstance }).default;
const addFormats = (addFormatsModule as unknown as { default: (ajv: AjvInstance, options?: FormatsPluginOptions) => void }).default;
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
// OpenAPI's own formats: int64 is a plain integer in JSON; uuid4 is a version-4 UUID.
ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
ajv.addFormat('uuid4', /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i);
ajv.addSchema({ $id: 'kratos', components: spec.components }, 'kratos');

const cache = new Map<string, ValidateFunction>();

/** Throws with every violation when `body` does not match `components.schemas.<name>`. */
export function expectMatchesSchema(name: string, body: unknown): void {
  let validate = cache.get(name);
  if (!validate) {
    if (!schemas[name]) throw new Error(`api.json has no schema ${name}`);
    validate = ajv.getSchema(`kratos#/components/schemas/${name}`) as ValidateFunction;
    cache.set(name, validate);
  }
  if (!validate(body)) {
    throw new Error(
      `response does not match api.json schema ${name}:\n${ajv.errorsText(validate.errors, { separator: '\n' })}\n${JSON.stringify(body).slice(0, 2000)}`,
    );
  }
}

/** The schema api.json gives for an operation's response, by path, method and status. */
export function responseSchemaName(apiPath: string, method: string, status: number): string | undefined {
  const operation = ((spec.paths as Json)[apiPath] as Json | undefined)?.[method.toLowerCase()] as Json | undefined;
  const responses = operation?.responses as Json | undefined;
  const response = (responses?.[String(status)] ?? responses?.default) as Json | undefined;
  const ref = (((response?.content as Json | undefined)?.['application/json'] as Json | undefined)?.schema as Json | undefined)?.$ref;
  return typeof ref === 'string' ? ref.split('/').pop() : undefined;
}
