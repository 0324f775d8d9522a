/**
 * Identity schemas as Kratos configures them: `identity.default_schema_id` and `identity.schemas` (from the
 * environment, a JSON array of `{id, url}`), each `url` a `file://` path (relative ones from the working
 * directory), a `base64://` document, or an `https://` URL fetched once per cold start. Unset: Kratos's quickstart
 * e-mail schema, built in. Only the shape is checked here; lib/identity/schemas.ts loads and compiles them.
 */
import { ConfigError, readOptionalString, type Env } from './env.js';

export interface IdentitySchemaSource {
  id: string;
  url: string;
  /** `selfservice_selectable`: registration may ask for it with `?identity_schema=` (the default always may). */
  selfserviceSelectable: boolean;
}

export interface IdentityConfig {
  defaultSchemaId: string;
  /** Empty: the built-in schema, as `default`. */
  schemas: IdentitySchemaSource[];
}

export const BUILTIN_SCHEMA_ID = 'default';

export function loadIdentityConfig(env: Env): IdentityConfig {
  const raw = readOptionalString(env, 'IDENTITY_SCHEMAS');
  const schemas: IdentitySchemaSource[] = [];
  if (raw !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new ConfigError('IDENTITY_SCHEMAS must be a JSON array of {"id": "...", "url": "file://…|base64://…|https://…"}, got text that is not JSON');
    }
    if (!Array.isArray(parsed) || parsed.length === 0) throw new ConfigError('IDENTITY_SCHEMAS must be a non-empty JSON array of {"id", "url"}');
    for (const entry of parsed) {
      const { id, url, selfservice_selectable: selectable } = (entry ?? {}) as Record<string, unknown>;
      if (typeof id !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(id)) {
        throw new ConfigError(`IDENTITY_SCHEMAS: every schema needs an "id" of 1-64 letters, digits, "_", "-" or ".", got ${JSON.stringify(id)}`);
      }
      if (typeof url !== 'string' || !/^(file|base64|https?):\/\//.test(url)) {
        throw new ConfigError(`IDENTITY_SCHEMAS: schema "${id}" needs a "url" starting file://, base64:// or https://, got ${JSON.stringify(url)}`);
      }
      if (schemas.some((s) => s.id === id)) throw new ConfigError(`IDENTITY_SCHEMAS: schema id "${id}" is listed twice`);
      if (selectable !== undefined && typeof selectable !== 'boolean') throw new ConfigError(`IDENTITY_SCHEMAS: schema "${id}" has a "selfservice_selectable" that is not true or false`);
      schemas.push({ id, url, selfserviceSelectable: selectable === true });
    }
  }
  const defaultSchemaId = readOptionalString(env, 'IDENTITY_DEFAULT_SCHEMA_ID') ?? (schemas[0]?.id ?? BUILTIN_SCHEMA_ID);
  const known = schemas.length ? schemas.map((s) => s.id) : [BUILTIN_SCHEMA_ID];
  if (!known.includes(defaultSchemaId)) {
    throw new ConfigError(`IDENTITY_DEFAULT_SCHEMA_ID "${defaultSchemaId}" is not among the schemas of IDENTITY_SCHEMAS (${known.join(', ')})`);
  }
  return { defaultSchemaId, schemas };
}
