/**
 * ajv, as identity schemas use it: draft-07 with ajv-formats and `tel`, not strict (Kratos's own keywords,
 * `ory.sh/kratos` and `disableFormField`, are not JSON Schema; ajv would refuse to register a keyword with a dot or a
 * slash in its name; they are ignored by the validator and read by schema.ts). Imported by schema.ts on demand, when a
 * schema is first compiled; in a Lambda bundle a file apart (identity-validator.cjs, scripts/package.ts): ajv, its
 * formats and fast-uri, about 130 KiB, parsed only by an invocation that validates traits.
 */
import AjvModule, { type Options, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FormatsPluginOptions } from 'ajv-formats';

// ajv and ajv-formats are CommonJS with `exports.default`; from ESM the class sits on `.default`.
type AjvInstance = InstanceType<typeof AjvModule.default>;
const ajvClass = () => ((AjvModule as unknown as { default?: unknown }).default ?? AjvModule) as new (options: Options) => AjvInstance;
const addFormats = (ajv: AjvInstance) =>
  (((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: AjvInstance, options?: FormatsPluginOptions) => void)(ajv);

/** E.164-like: an optional +, then digits with the separators people type. */
const TEL = /^\+?[0-9][0-9 ().-]{3,30}$/;

/**
 * A schema's validator, with an ajv of its own: two schemas may well carry the same `$id` (one copied from the other).
 * Throws what ajv throws for a schema it cannot compile.
 */
export function compileSchema(document: object): ValidateFunction {
  const Ajv = ajvClass();
  const ajv = new Ajv({ allErrors: true, strict: false, strictSchema: false });
  addFormats(ajv);
  ajv.addFormat('tel', TEL);
  return ajv.compile(document);
}
