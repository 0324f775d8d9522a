/**
 * The admin API for identities, in Kratos's dialect: create (clear-text password or bcrypt import), list with
 * keyset pagination, get, replace (PUT), JSON Patch, delete. Identity changes are copied into the identity's
 * sessions, so whoami (which answers from the session alone) reflects them once the admin call answered.
 */
import { randomUUID } from 'node:crypto';
import { BadRequestError, DuplicateIdentifierError, IdentityConflictError, NotFoundError } from '../errors/index.js';
import { BCRYPT_MAX_PASSWORD_BYTES, bcryptCostOf, type PasswordHasher } from '../hashing/bcrypt.js';
import { addressesFor } from './addresses.js';
import { applyPatch, JsonPatchError, parsePointer } from './json-patch.js';
import type { Identity, IdentityState } from './model.js';
import type { Page } from '../store/page.js';
import { events } from '../tracing/events.js';
import { canonicalUuid } from '../util/ids.js';
import type { IdentityRepository, IdentitySessionCopies } from './repository.js';
import { normalizeIdentifier, type IdentitySchema, type SchemaRegistry } from './schema.js';

export const MAX_IMPORT_BCRYPT_COST = 15;

const CREATE_KEYS = new Set(['schema_id', 'traits', 'state', 'metadata_public', 'metadata_admin', 'credentials', 'verifiable_addresses', 'recovery_addresses']);
/** Fields of the admin form a JSON Patch may change; `/id` and `/credentials` are refused as by Kratos. */
const PATCHABLE = new Set(['schema_id', 'traits', 'state', 'metadata_public', 'metadata_admin']);
const DENIED_PATCH_ROOTS = new Set(['id', 'credentials', 'state_changed_at']);

export interface IdentityAdminDeps {
  identities: IdentityRepository;
  sessions: IdentitySessionCopies;
  schemas: SchemaRegistry;
  hasher: PasswordHasher;
}

interface ParsedBody {
  schema: IdentitySchema;
  traits: Record<string, unknown>;
  state: IdentityState;
  metadataPublic: unknown;
  metadataAdmin: unknown;
  /** A new password credential: a bcrypt hash ready to store. */
  passwordHash?: string;
  /** Addresses imported as verified (Kratos: only those the schema's traits also hold count). */
  verifiedAddresses: string[];
}

/**
 * Kratos's `verifiable_addresses` on create/update: a way to import verified addresses. The addresses themselves
 * always follow the traits; an entry marked `verified: true` marks the matching one verified.
 */
function verifiedAddressesOf(raw: unknown): string[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new BadRequestError('verifiable_addresses must be an array');
  return raw.map((entry) => {
    if (!isPlainObject(entry) || typeof entry.value !== 'string') throw new BadRequestError('every verifiable address needs a "value"');
    if (entry.via !== undefined && entry.via !== 'email') throw new BadRequestError('verifiable addresses are "via": "email" here');
    return entry.verified === true ? normalizeIdentifier(entry.value) : '';
  }).filter(Boolean);
}

/** An identity id from a path: anything but a UUID names no identity (404, as Kratos). */
function parseIdentityId(raw: string | undefined): string {
  const id = canonicalUuid(raw);
  if (!id) throw new NotFoundError();
  return id;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function createIdentityAdmin(deps: IdentityAdminDeps) {
  const { schemas, hasher } = deps;

  async function passwordHashFrom(credentials: unknown): Promise<string | undefined> {
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
      return hasher.hash(clear);
    }
    const cost = typeof hashed === 'string' ? bcryptCostOf(hashed) : undefined;
    if (cost === undefined || cost < 4 || cost > MAX_IMPORT_BCRYPT_COST) {
      throw new BadRequestError(
        `The hashed password is not a supported bcrypt hash: only $2a$, $2b$ and $2y$ hashes with a cost from 4 to ${MAX_IMPORT_BCRYPT_COST} can be imported.`,
      );
    }
    return hashed as string;
  }

  async function parseBody(body: unknown, mode: 'create' | 'replace'): Promise<ParsedBody> {
    if (!isPlainObject(body)) throw new BadRequestError('The request body must be a JSON object.');
    for (const key of Object.keys(body)) {
      if (!CREATE_KEYS.has(key)) throw new BadRequestError(`json: unknown field "${key}"`);
    }
    if (typeof body.schema_id !== 'string' || body.schema_id === '') throw new BadRequestError('schema_id is required');
    const schema = schemas.get(body.schema_id);
    if (!schema) throw new BadRequestError(`The identity schema "${body.schema_id}" does not exist.`);
    if (!isPlainObject(body.traits)) throw new BadRequestError('traits must be an object');
    const violations = schema.validate(body.traits);
    if (violations.length > 0) {
      throw new BadRequestError(
        `The traits are invalid: ${violations.map((v) => `${v.node ?? 'traits'}: ${v.message.text}`).join('; ')}`,
      );
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
      passwordHash: await passwordHashFrom(body.credentials),
      verifiedAddresses: verifiedAddressesOf(body.verifiable_addresses),
    };
  }

  function build(parsed: ParsedBody, now: Date, previous?: Identity): Identity {
    const identifiers = parsed.schema.passwordIdentifiers(parsed.traits);
    const password = parsed.passwordHash
      ? { identifiers, hashedPassword: parsed.passwordHash, createdAt: previous?.password?.createdAt ?? now, updatedAt: now }
      : previous?.password
        ? { ...previous.password, identifiers }
        : undefined;
    return {
      id: previous?.id ?? randomUUID(),
      schemaId: parsed.schema.id,
      state: parsed.state,
      traits: parsed.traits,
      metadataPublic: parsed.metadataPublic,
      metadataAdmin: parsed.metadataAdmin,
      createdAt: previous?.createdAt ?? now,
      updatedAt: now,
      stateChangedAt: previous && previous.state === parsed.state ? (previous.stateChangedAt ?? previous.createdAt) : now,
      identifiers,
      ...importVerified(addressesFor(parsed.schema, parsed.traits, now, previous), parsed.verifiedAddresses, now),
      password,
      revision: previous?.revision ?? 1,
    };
  }

  async function save(next: Identity, previous: Identity): Promise<Identity> {
    let stored: Identity;
    try {
      stored = await deps.identities.update(next, previous);
    } catch (error) {
      if (error instanceof DuplicateIdentifierError) throw new IdentityConflictError();
      throw error;
    }
    await deps.sessions.refreshIdentity(stored);
    events.identityUpdated(stored.id);
    return stored;
  }

  async function existing(id: string): Promise<Identity> {
    const identity = await deps.identities.getWithCredentials(parseIdentityId(id));
    if (!identity) throw new NotFoundError();
    return identity;
  }

  return {
    async list(options: { pageSize: number; pageToken?: string; credentialsIdentifier?: string; withCredentials: boolean }): Promise<Page<Identity>> {
      if (options.credentialsIdentifier !== undefined) {
        const id = await deps.identities.findIdByIdentifier(normalizeIdentifier(options.credentialsIdentifier));
        const identity = id ? await (options.withCredentials ? deps.identities.getWithCredentials(id) : deps.identities.get(id)) : undefined;
        return { items: identity ? [identity] : [] };
      }
      return deps.identities.list({ pageSize: options.pageSize, after: options.pageToken }, options.withCredentials);
    },

    async get(id: string, withCredentials: boolean): Promise<Identity> {
      const identity = await (withCredentials ? deps.identities.getWithCredentials(parseIdentityId(id)) : deps.identities.get(parseIdentityId(id)));
      if (!identity) throw new NotFoundError();
      return identity;
    },

    async create(body: unknown, now: Date): Promise<Identity> {
      const identity = build(await parseBody(body, 'create'), now);
      try {
        await deps.identities.create(identity);
      } catch (error) {
        if (error instanceof DuplicateIdentifierError) throw new IdentityConflictError();
        throw error;
      }
      events.identityCreated(identity.id);
      return identity;
    },

    async replace(id: string, body: unknown, now: Date): Promise<Identity> {
      const previous = await existing(id);
      return save(build(await parseBody(body, 'replace'), now, previous), previous);
    },

    async patch(id: string, operations: unknown, now: Date): Promise<Identity> {
      const previous = await existing(id);
      if (!Array.isArray(operations)) throw new BadRequestError('The request body must be a JSON Patch array.');
      for (const operation of operations) {
        for (const pointer of [operation?.path, operation?.from]) {
          if (typeof pointer !== 'string') continue;
          let root: string | undefined;
          try {
            root = parsePointer(pointer)[0];
          } catch (error) {
            throw new BadRequestError((error as Error).message);
          }
          if (root === undefined || DENIED_PATCH_ROOTS.has(root)) throw new BadRequestError(`patch includes denied path: ${pointer}`);
          if (!PATCHABLE.has(root)) throw new BadRequestError(`patch path ${pointer} cannot be changed`);
        }
      }
      const document = {
        schema_id: previous.schemaId,
        traits: previous.traits,
        state: previous.state,
        metadata_public: previous.metadataPublic ?? null,
        metadata_admin: previous.metadataAdmin ?? null,
      };
      let patched: unknown;
      try {
        patched = applyPatch(document, operations);
      } catch (error) {
        if (error instanceof JsonPatchError) throw new BadRequestError(`The JSON Patch could not be applied: ${error.message}`);
        throw error;
      }
      const parsed = await parseBody(patched, 'replace');
      return save(build(parsed, now, previous), previous);
    },

    async delete(id: string): Promise<void> {
      const identityId = parseIdentityId(id);
      const deleted = await deps.identities.delete(identityId);
      // Sessions go after the identity, and also when it was gone already: a retry cleans what a failed delete left.
      await deps.sessions.deleteAllOfIdentity(identityId);
      if (!deleted) throw new NotFoundError();
      events.identityDeleted(identityId);
    },
  };
}
export type IdentityAdmin = ReturnType<typeof createIdentityAdmin>;

function importVerified<T extends { verifiableAddresses: Identity['verifiableAddresses'] }>(addresses: T, verified: string[], now: Date): T {
  if (verified.length === 0) return addresses;
  return {
    ...addresses,
    verifiableAddresses: addresses.verifiableAddresses?.map((a) =>
      verified.includes(a.value) && !a.verified ? { ...a, verified: true, status: 'completed' as const, verifiedAt: now, updatedAt: now } : a,
    ),
  };
}
