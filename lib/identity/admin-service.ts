/**
 * The admin API for identities, in Kratos's dialect: create (clear-text password or bcrypt import), list with
 * keyset pagination, get, replace (PUT), JSON Patch, delete. Identity changes are copied into the identity's
 * sessions, so whoami (which answers from the session alone) reflects them once the admin call answered.
 */
import { randomUUID } from 'node:crypto';
import { BadRequestError, DuplicateIdentifierError, errorEnvelope, IdentityConflictError, KratosError, NotFoundError } from '../errors/index.js';
import type { PasswordHasher } from '../hashing/bcrypt.js';
import { addressesFor, withTraitCredentials } from './addresses.js';
import { decodeIdentityBody, type IdentityBody } from './admin-body.js';
import { decodeBatchBody } from './batch-body.js';
import { normalizeIdentifier } from './identifier.js';
import { identifierTooLong } from './limits.js';
import { applyPatch, JsonPatchError, parsePointer } from './json-patch.js';
import { FACTOR_TYPES, firstFactorsOf, oidcIdentifier, revised, withFactor, withoutProviderLinks, type Identity, type OidcLink } from './model.js';
import type { Page } from '../util/page.js';
import type { Committer } from '../util/writes.js';
import { events } from '../tracing/events.js';
import { canonicalUuid } from '../util/ids.js';
import { forEachConcurrently } from '../util/pool.js';
import type { IdentityRepository, IdentitySessionCopies } from './repository.js';
import type { SchemaRegistry } from './schema.js';

/** Fields of the admin form a JSON Patch may change; `/id` and `/credentials` are refused as by Kratos. */
const PATCHABLE = new Set(['schema_id', 'traits', 'state', 'metadata_public', 'metadata_admin']);
const DENIED_PATCH_ROOTS = new Set(['id', 'credentials', 'state_changed_at']);

export interface IdentityAdminDeps {
  identities: IdentityRepository;
  commit: Committer['commit'];
  /** A batch import's identities, each whole or not at all, several to a transaction. */
  commitEach: Committer['commitEach'];
  sessions: IdentitySessionCopies;
  schemas: SchemaRegistry;
  hasher: PasswordHasher;
}

/** Bodies of one batch decoded at once (a clear-text password is hashed then). */
const BATCH_HASHING_CONCURRENCY = 8;

/** Kratos's per-identity result of `PATCH /admin/identities` (identityPatchResponse). */
export interface BatchPatchResult {
  action: 'create' | 'error';
  /** The new identity's id (action `create`). */
  identity?: string;
  patch_id?: string;
  /** Why this identity was not created (herodot's DefaultError, as Kratos). */
  error?: Record<string, unknown>;
}

/** Kratos's error for an identity whose identifier, address or external id another identity holds (sqlcon's). */
const UNIQUE_VIOLATION = { code: 409, status: 'Conflict', message: 'Unable to insert or update resource because a resource with that value exists already' };

/** An identity id from a path: anything but a UUID names no identity (404, as Kratos). */
function parseIdentityId(raw: string | undefined): string {
  const id = canonicalUuid(raw);
  if (!id) throw new NotFoundError();
  return id;
}

/** A decoded body with its password ready to store. */
type ParsedBody = Omit<IdentityBody, 'password'> & { passwordHash?: string };

export function createIdentityAdmin(deps: IdentityAdminDeps) {
  const { schemas, hasher } = deps;

  /** The body decoded (lib/identity/admin-body.ts), its clear-text password hashed at the configured cost (no policy, as Kratos). */
  async function parseBody(body: unknown, mode: 'create' | 'replace'): Promise<ParsedBody> {
    const { password, ...decoded } = await decodeIdentityBody(body, schemas, mode);
    return { ...decoded, passwordHash: password && ('hash' in password ? password.hash : await hasher.hash(password.clear)) };
  }

  function build(parsed: ParsedBody, now: Date, previous?: Identity): Identity {
    const identifiers = parsed.schema.passwordIdentifiers(parsed.traits);
    const password = parsed.passwordHash
      ? { identifiers, hashedPassword: parsed.passwordHash, createdAt: previous?.password?.createdAt ?? now, updatedAt: now }
      : previous?.password
        ? { ...previous.password, identifiers }
        : undefined;
    const identity: Identity = {
      id: previous?.id ?? randomUUID(),
      ...(parsed.externalId ? { externalId: parsed.externalId } : {}),
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
      // Linked provider accounts stay linked (the body carries no oidc credential; DELETE .../credentials/oidc unlinks).
      ...(previous?.oidc ? { oidc: previous.oidc } : {}),
      // So do second factors and passkeys (DELETE .../credentials/<type> removes them); the code credential follows the traits.
      ...(previous?.factors ? { factors: previous.factors, availableAal: previous.availableAal } : {}),
      revision: previous?.revision ?? 1,
    };
    return withTraitCredentials(identity, parsed.schema, now);
  }

  async function save(next: Identity, previous: Identity): Promise<Identity> {
    let stored: Identity;
    try {
      stored = revised(next, previous);
      await deps.commit(deps.identities.update(stored, previous));
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
        // Longer than any identifier can be: nobody's (and not a key to look up).
        if (identifierTooLong(options.credentialsIdentifier)) return { items: [] };
        const id = await deps.identities.findIdByIdentifier(normalizeIdentifier(options.credentialsIdentifier));
        const identity = id ? await (options.withCredentials ? deps.identities.getWithCredentials(id) : deps.identities.get(id)) : undefined;
        return { items: identity ? [identity] : [] };
      }
      return deps.identities.list({ pageSize: options.pageSize, after: options.pageToken }, options.withCredentials);
    },

    /** `GET /admin/identities/by/external/{externalID}`: the identity another system knows by that id (credentials read). */
    async getByExternalId(externalId: string | undefined): Promise<Identity> {
      const id = externalId ? await deps.identities.findIdByCredential('external_id', externalId) : undefined;
      const identity = id ? await deps.identities.getWithCredentials(id) : undefined;
      if (!identity) throw new NotFoundError();
      return identity;
    },

    async get(id: string, withCredentials: boolean): Promise<Identity> {
      const identity = await (withCredentials ? deps.identities.getWithCredentials(parseIdentityId(id)) : deps.identities.get(parseIdentityId(id)));
      if (!identity) throw new NotFoundError();
      return identity;
    },

    async create(body: unknown, now: Date): Promise<Identity> {
      const identity = build(await parseBody(body, 'create'), now);
      try {
        await deps.commit(deps.identities.create(identity));
      } catch (error) {
        if (error instanceof DuplicateIdentifierError) throw new IdentityConflictError();
        throw error;
      }
      events.identityCreated(identity.id);
      return identity;
    },

    /**
     * `PATCH /admin/identities` (Kratos's batchPatchIdentities): up to 1,000 creates, each identity with its claims
     * written whole or not at all (`commitEach`: several identities to a transaction, a clash taking out only its
     * own); a result per patch, in order. An identity the body gets wrong (400) or that clashes with one stored or
     * another of the batch (409) is that patch's error; a storage failure fails the call (what was written stays
     * written: each identity whole, and a retry of the batch finds those as 409).
     */
    async batchCreate(body: unknown, now: Date): Promise<BatchPatchResult[]> {
      const patches = decodeBatchBody(body);
      const results: BatchPatchResult[] = patches.map((patch) => ({ action: 'create', ...(patch.patchId ? { patch_id: patch.patchId } : {}) }));
      let unexpected: unknown;
      /** A patch's own error (400 for its body, 409 for a clash), or, for anything else, the call's. */
      const failed = (index: number, error: unknown) => {
        let shown: Record<string, unknown>;
        if (error instanceof DuplicateIdentifierError) shown = UNIQUE_VIOLATION;
        else if (error instanceof KratosError && error.status < 500) shown = errorEnvelope({ status: error.status, id: error.id, reason: error.reason, message: error.publicMessage }).error;
        else return void (unexpected ??= error);
        results[index] = { ...results[index], action: 'error', error: shown };
      };
      const identities: (Identity | undefined)[] = patches.map(() => undefined);
      // Clear-text passwords are hashed here: bounded by the envelope (200), a few at a time.
      await forEachConcurrently(patches, BATCH_HASHING_CONCURRENCY, async (patch, index) => {
        try {
          if (patch.create === undefined) throw new BadRequestError('The patch has nothing to apply: "create" is the only action there is.');
          identities[index] = build(await parseBody(patch.create, 'create'), now);
        } catch (error) {
          failed(index, error);
        }
      });
      if (unexpected !== undefined) throw unexpected;
      const made = identities.flatMap((identity, index) => (identity ? [{ identity, index }] : []));
      const outcomes = await deps.commitEach(made.map(({ identity }) => [deps.identities.create(identity)]));
      outcomes.forEach((error, k) => {
        const { identity, index } = made[k];
        if (error) return failed(index, error);
        results[index].identity = identity.id;
        events.identityCreated(identity.id);
      });
      if (unexpected !== undefined) throw unexpected;
      return results;
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

    /**
     * `DELETE /admin/identities/{id}/credentials/{type}[?identifier=]`, as Kratos: `password`, or one `oidc` provider
     * account by its `<provider>:<subject>`; never the identity's last way to sign in.
     */
    async deleteCredential(id: string, type: string, identifier: string | undefined, now: Date): Promise<void> {
      const previous = await existing(id);
      const factor = FACTOR_TYPES.find((t) => t === type);
      const has = type === 'password' ? previous.password !== undefined : type === 'oidc' ? (previous.oidc?.providers.length ?? 0) > 0 : factor ? previous.factors?.[factor] !== undefined : false;
      if (!has) throw new NotFoundError(`You tried to remove a ${type} but this user have no ${type} set up.`);
      // Second factors go whole (WebAuthn: its security keys, its passwordless keys kept, as Kratos); first factors
      // only while another is left.
      if (factor === 'totp' || factor === 'lookup_secret') return void (await save({ ...withFactor(previous, factor, undefined), updatedAt: now }, previous));
      if (factor === 'webauthn') {
        const credential = previous.factors!.webauthn!;
        const kept = ((credential.config.credentials ?? []) as { is_passwordless?: boolean }[]).filter((key) => key.is_passwordless === true);
        return void (await save({ ...withFactor(previous, 'webauthn', kept.length ? { ...credential, config: { ...credential.config, credentials: kept }, updatedAt: now } : undefined), updatedAt: now }, previous));
      }
      const remaining = firstFactorsOf(previous) - (factor === 'passkey' ? ((previous.factors!.passkey!.config.credentials as unknown[] | undefined)?.length ?? 0) : 1);
      if (firstFactorsOf(previous) < 2 || remaining < 1) throw new BadRequestError('You cannot remove the last first factor credential.');
      if (factor === 'passkey') return void (await save({ ...withFactor(previous, 'passkey', undefined), updatedAt: now }, previous));
      if (type === 'password') {
        const { password: _removed, ...rest } = previous;
        await save({ ...rest, updatedAt: now }, previous);
        return;
      }
      if (!identifier) throw new BadRequestError('You must provide an identifier to delete this credential.');
      const links = previous.oidc!.providers;
      const named = (link: OidcLink) => oidcIdentifier(link.provider, link.subject) === identifier;
      if (!links.some(named)) throw new NotFoundError(`The identifier \`${identifier}\` was not found among OIDC credentials.`);
      await save({ ...withoutProviderLinks(previous, named, now), updatedAt: now }, previous);
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
