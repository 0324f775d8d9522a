/**
 * The admin API's identity bodies (create, replace, and a patched document), decoded and checked as Kratos's
 * `identity/handler.go` does: unknown keys refused, the schema named, traits valid against it, a password given in
 * clear or as an importable bcrypt hash, verified addresses to import. Nothing here stores or hashes anything.
 */
import { isReadableLegacyHash, legacyHashKind } from '../hashing/legacy.js';
import { BadRequestError } from '../errors/index.js';
import { BCRYPT_MAX_PASSWORD_BYTES, bcryptCostOf } from '../hashing/bcrypt.js';
import { normalizeIdentifier } from './identifier.js';
import { anyViolation, traitLimitViolations } from './limits.js';
import { PASSWORD_MIGRATION_MARKER, type IdentityState } from './model.js';
import type { IdentitySchema, SchemaRegistry } from './schema.js';
import { isPlainObject } from '../util/objects.js';

export const MAX_IMPORT_BCRYPT_COST = 15;

const BODY_KEYS = new Set(['schema_id', 'traits', 'state', 'metadata_public', 'metadata_admin', 'credentials', 'verifiable_addresses', 'recovery_addresses', 'external_id']);
/** An `external_id` is a key of its own in storage: bounded as an identifier is. */
const MAX_EXTERNAL_ID = 256;

/** A new password for the identity: in clear (to hash at the configured cost) or an imported bcrypt hash. */
export type PasswordInput = { clear: string } | { hash: string };

export interface IdentityBody {
  schema: IdentitySchema;
  traits: Record<string, unknown>;
  state: IdentityState;
  metadataPublic: unknown;
  metadataAdmin: unknown;
  password?: PasswordInput;
  /** Addresses imported as verified (Kratos: only those the schema's traits also hold count). */
  verifiedAddresses: string[];
  /** Kratos's `external_id` (unset: none). */
  externalId?: string;
}


/**
 * `credentials` of a body: only `password`, with exactly one of `password` and `hashed_password`, or neither with
 * `use_password_migration_hook: true`.
 */
function passwordOf(credentials: unknown): PasswordInput | undefined {
  if (credentials === undefined || credentials === null) return undefined;
  if (!isPlainObject(credentials)) throw new BadRequestError('credentials must be an object');
  for (const type of Object.keys(credentials)) {
    if (type !== 'password') throw new BadRequestError(`Importing "${type}" credentials is not supported; only "password" is.`);
  }
  const password = credentials.password;
  if (password === undefined || password === null) return undefined;
  const config = isPlainObject(password) ? password.config : undefined;
  if (!isPlainObject(config)) throw new BadRequestError('credentials.password.config must be an object');
  const clear = config.password;
  const hashed = config.hashed_password;
  // Kratos's `use_password_migration_hook`: no hash here; the migration hook asks the legacy system at the first login.
  if (config.use_password_migration_hook === true && clear === undefined && hashed === undefined) return { hash: PASSWORD_MIGRATION_MARKER };
  if ((clear === undefined) === (hashed === undefined)) {
    throw new BadRequestError('credentials.password.config needs exactly one of "password" and "hashed_password"');
  }
  if (clear !== undefined) {
    if (typeof clear !== 'string' || clear === '') throw new BadRequestError('credentials.password.config.password must be a non-empty string');
    const bytes = Buffer.byteLength(clear, 'utf8');
    // bcrypt reads 72 bytes; a longer password would be silently truncated, so it is refused instead.
    if (bytes > BCRYPT_MAX_PASSWORD_BYTES) {
      throw new BadRequestError(`The password must be at most ${BCRYPT_MAX_PASSWORD_BYTES} characters long, but got ${bytes}.`);
    }
    return { clear };
  }
  // Kratos's other formats (argon2, PBKDF2, scrypt, Firebase scrypt, salted SHA, MD5, HMAC, crypt(3)): checked at the first login,
  // then rehashed with bcrypt at the configured cost.
  if (typeof hashed === 'string' && legacyHashKind(hashed)) {
    if (!isReadableLegacyHash(hashed)) throw new BadRequestError(`The hashed password is malformed, or its parameters exceed the allowed bounds (${legacyHashKind(hashed)}).`);
    return { hash: hashed };
  }
  const cost = typeof hashed === 'string' ? bcryptCostOf(hashed) : undefined;
  if (cost === undefined || cost < 4 || cost > MAX_IMPORT_BCRYPT_COST) {
    throw new BadRequestError(
      `The hashed password is not a supported hash: bcrypt ($2a$, $2b$, $2y$, cost 4 to ${MAX_IMPORT_BCRYPT_COST}), $argon2id$, $argon2i$, $pbkdf2-sha*$, $scrypt$, $firescrypt$, {SSHA}, {SSHA256}, {SSHA512}, $sha1$, $sha256$, $sha512$, $md5$, $hmac-*$, $md5-crypt$, $sha256-crypt$ or $sha512-crypt$.`,
    );
  }
  return { hash: hashed as string };
}

/**
 * Kratos's `verifiable_addresses` on create/update: a way to import verified addresses. The addresses themselves
 * always follow the traits; an entry marked `verified: true` marks the matching one verified.
 */
function verifiedAddressesOf(raw: unknown): string[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new BadRequestError('verifiable_addresses must be an array');
  return raw
    .map((entry) => {
      if (!isPlainObject(entry) || typeof entry.value !== 'string') throw new BadRequestError('every verifiable address needs a "value"');
      if (entry.via !== undefined && entry.via !== 'email') throw new BadRequestError('verifiable addresses are "via": "email" here');
      return entry.verified === true ? normalizeIdentifier(entry.value) : '';
    })
    .filter(Boolean);
}

/** Decodes a create (`create`) or replace (`replace`: `state` required) body; 400 for anything a client got wrong. */
export async function decodeIdentityBody(body: unknown, schemas: SchemaRegistry, mode: 'create' | 'replace'): Promise<IdentityBody> {
  if (!isPlainObject(body)) throw new BadRequestError('The request body must be a JSON object.');
  for (const key of Object.keys(body)) {
    if (!BODY_KEYS.has(key)) throw new BadRequestError(`json: unknown field "${key}"`);
  }
  if (typeof body.schema_id !== 'string' || body.schema_id === '') throw new BadRequestError('schema_id is required');
  const schema = schemas.get(body.schema_id);
  if (!schema) throw new BadRequestError(`The identity schema "${body.schema_id}" does not exist.`);
  if (!isPlainObject(body.traits)) throw new BadRequestError('traits must be an object');
  const bounds = traitLimitViolations(schema, body.traits);
  if (anyViolation(bounds)) {
    const texts = [...bounds.flowMessages.map((m) => m.text), ...Object.entries(bounds.nodeMessages).map(([node, m]) => `${node}: ${m[0].text}`)];
    throw new BadRequestError(`The traits are invalid: ${texts.join('; ')}`);
  }
  const violations = await schema.validate(body.traits);
  if (violations.length > 0) {
    throw new BadRequestError(`The traits are invalid: ${violations.map((v) => `${v.node ?? 'traits'}: ${v.message.text}`).join('; ')}`);
  }
  if (mode === 'replace' && body.state === undefined) throw new BadRequestError('state is required');
  const state = body.state ?? 'active';
  if (state !== 'active' && state !== 'inactive') throw new BadRequestError('state must be "active" or "inactive"');
  return {
    schema,
    traits: body.traits,
    state,
    metadataPublic: body.metadata_public ?? null,
    metadataAdmin: body.metadata_admin ?? null,
    password: passwordOf(body.credentials),
    verifiedAddresses: verifiedAddressesOf(body.verifiable_addresses),
    ...externalIdOf(body.external_id),
  };
}

function externalIdOf(raw: unknown): { externalId?: string } {
  if (raw === undefined || raw === null || raw === '') return {};
  if (typeof raw !== 'string' || raw.length > MAX_EXTERNAL_ID || /[\u0000-\u001f]/.test(raw)) {
    throw new BadRequestError(`external_id must be a string of at most ${MAX_EXTERNAL_ID} characters without control characters`);
  }
  return { externalId: raw };
}
