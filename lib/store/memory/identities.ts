/** Identities and their claims in memory, with the DynamoDB store's conditions (lib/store/dynamodb/identity-repository.ts). */
import { ConcurrentUpdateError, DuplicateIdentifierError } from '../../errors/index.js';
import { credentialClaimsOf, hasCodeAddresses, reachableAalOf, identifiersOf, sessionCopyOf, type Identity } from '../../identity/model.js';
import type { IdentityRepository } from '../../identity/repository.js';
import { copy, page, type memoryTransactions, type Op } from './core.js';
import type { MemoryTables } from './tables.js';

type AddressKind = 'recovery' | 'verification';
const ADDRESS_KINDS: AddressKind[] = ['recovery', 'verification'];
const addressesOf = (identity: Identity, kind: AddressKind) => ((kind === 'recovery' ? identity.recoveryAddresses : identity.verifiableAddresses) ?? []).map((a) => a.value);

/** The credential claims an identity holds (provider accounts, passkeys' user handles), keyed `<type>#<identifier>`. */
const keyedClaimsOf = (identity: Identity): string[] => credentialClaimsOf(identity).map(([type, id]) => `${type}#${id}`);

/** An identity as storing and reading it back gives it: optional fields settled, as a DynamoDB item reads back. */
export function asStored(identity: Identity): Identity {
  const identifiers = identifiersOf(identity);
  const stored: Identity = {
    id: identity.id,
    ...(identity.externalId ? { externalId: identity.externalId } : {}),
    schemaId: identity.schemaId,
    state: identity.state,
    traits: identity.traits ?? {},
    metadataPublic: identity.metadataPublic ?? null,
    metadataAdmin: identity.metadataAdmin ?? null,
    createdAt: identity.createdAt,
    updatedAt: identity.updatedAt,
    stateChangedAt: identity.stateChangedAt ?? identity.createdAt,
    identifiers,
    revision: identity.revision ?? 1,
  };
  if (identity.verifiableAddresses || identity.recoveryAddresses) {
    stored.verifiableAddresses = identity.verifiableAddresses ?? [];
    stored.recoveryAddresses = identity.recoveryAddresses ?? [];
  }
  if (identity.password) {
    stored.password = { identifiers, createdAt: identity.password.createdAt, updatedAt: identity.password.updatedAt };
    if (identity.password.hashedPassword) stored.password.hashedPassword = identity.password.hashedPassword;
  }
  if (identity.oidc) {
    stored.oidc = {
      providers: identity.oidc.providers.map(({ provider, subject, tokens }) => (tokens ? { provider, subject, tokens } : { provider, subject })),
      createdAt: identity.oidc.createdAt,
      updatedAt: identity.oidc.updatedAt,
    };
  }
  if (identity.factors && Object.keys(identity.factors).length > 0) stored.factors = identity.factors;
  if (reachableAalOf(identity) === 'aal2') stored.availableAal = 'aal2';
  if (hasCodeAddresses(identity)) stored.codeAddresses = true;
  return copy(stored);
}

/** An ordinary read: no password hash, no provider tokens. */
function withoutHash(identity: Identity): Identity {
  const out = copy(identity);
  if (out.password) delete out.password.hashedPassword;
  for (const link of out.oidc?.providers ?? []) delete link.tokens;
  delete out.factors;
  return out;
}

export function memoryIdentities(t: MemoryTables, tx: ReturnType<typeof memoryTransactions>): IdentityRepository {
  const claimOp = (identifier: string, identity: Identity, kept: boolean): Op => ({
    key: `identifier#${identifier}`,
    check: () => {
      const claim = t.identifiers.get(identifier);
      if (kept) return claim?.identityId === identity.id ? undefined : new ConcurrentUpdateError();
      return claim ? new DuplicateIdentifierError() : undefined;
    },
    apply: () =>
      t.identifiers.set(identifier, { identityId: identity.id, revision: identity.revision ?? 1, copy: copy(sessionCopyOf(asStored(identity))), hashedPassword: identity.password?.hashedPassword }),
  });
  const releaseOp = (key: string, map: Map<string, unknown>, holderOf: (value: unknown) => string | undefined, identityId: string): Op => ({
    key,
    // Its own, or not there at all (nothing to release: see the DynamoDB store's `releasable`); another's never.
    check: () => {
      const stored = map.get(key.slice(key.indexOf('#') + 1));
      return stored === undefined || holderOf(stored) === identityId ? undefined : new ConcurrentUpdateError();
    },
    apply: () => map.delete(key.slice(key.indexOf('#') + 1)),
  });

  /** Every op storing `identity` (in place of `previous`), its claims kept in step (identity-repository.ts's identityWrites). */
  function writes(identity: Identity, previous?: Identity): Op[] {
    const ops: Op[] = [
      {
        key: `identity#${identity.id}`,
        check: () => {
          const current = t.identities.get(identity.id);
          if (!previous) return current ? new Error('identity id collision') : undefined;
          return current && (current.revision ?? 1) === (previous.revision ?? 1) ? undefined : new ConcurrentUpdateError();
        },
        apply: () => t.identities.set(identity.id, asStored(identity)),
      },
    ];
    const before = new Set(previous ? identifiersOf(previous) : []);
    const after = new Set(identifiersOf(identity));
    for (const identifier of after) ops.push(claimOp(identifier, identity, before.has(identifier)));
    for (const identifier of before) {
      if (!after.has(identifier)) ops.push(releaseOp(`identifier#${identifier}`, t.identifiers, (c) => (c as { identityId?: string } | undefined)?.identityId, identity.id));
    }
    const linkedBefore = new Set(previous ? keyedClaimsOf(previous) : []);
    const linkedAfter = new Set(keyedClaimsOf(identity));
    for (const key of linkedAfter) {
      if (linkedBefore.has(key)) continue;
      ops.push({ key: `credential#${key}`, check: () => (t.credentials.has(key) ? new DuplicateIdentifierError() : undefined), apply: () => t.credentials.set(key, identity.id) });
    }
    for (const key of linkedBefore) {
      if (!linkedAfter.has(key)) ops.push(releaseOp(`credential#${key}`, t.credentials, (holder) => holder as string | undefined, identity.id));
    }
    for (const kind of ADDRESS_KINDS) {
      const had = new Set(previous ? addressesOf(previous, kind) : []);
      const has = new Set(addressesOf(identity, kind));
      for (const value of has) {
        if (had.has(value)) continue;
        const key = `${kind}#${value}`;
        ops.push({ key: `address#${key}`, check: () => (t.addresses.has(key) ? new DuplicateIdentifierError() : undefined), apply: () => t.addresses.set(key, identity.id) });
      }
      for (const value of had) {
        if (!has.has(value)) ops.push(releaseOp(`address#${kind}#${value}`, t.addresses, (holder) => holder as string | undefined, identity.id));
      }
    }
    return ops;
  }

  return {
    get: async (id) => {
      const found = t.identities.get(id);
      return found ? withoutHash(found) : undefined;
    },
    getWithCredentials: async (id) => {
      const found = t.identities.get(id);
      return found ? copy(found) : undefined;
    },
    findIdByIdentifier: async (identifier) => t.identifiers.get(identifier)?.identityId,
    findIdByAddress: async (kind, value) => t.addresses.get(`${kind}#${value}`),
    findIdByCredential: async (type, identifier) => t.credentials.get(`${type}#${identifier}`),
    list: async (request, withCredentials) => {
      const result = page([...t.identities.values()], (identity) => identity.id, request.pageSize, request.after);
      return { items: result.items.map((identity) => (withCredentials ? copy(identity) : withoutHash(identity))), next: result.next };
    },
    create: (identity) => tx.batch(...writes({ ...identity, revision: 1 })),
    update: (next, previous) => {
      if (next.revision !== (previous.revision ?? 1) + 1) throw new Error('an identity update stores revised(next, previous)');
      return tx.batch(...writes(next, previous));
    },
    unchanged: (identityId, revision) =>
      tx.batch({
        key: `identity#${identityId}`,
        check: () => ((t.identities.get(identityId)?.revision ?? NaN) === (revision ?? 1) ? undefined : new ConcurrentUpdateError()),
        apply: () => {},
      }),
    delete: async (id) => {
      const current = t.identities.get(id);
      if (!current) return false;
      const ops: Op[] = [
        { key: `identity#${id}`, check: () => ((t.identities.get(id)?.revision ?? NaN) === (current.revision ?? 1) ? undefined : new ConcurrentUpdateError()), apply: () => t.identities.delete(id) },
        ...identifiersOf(current).map((identifier) => releaseOp(`identifier#${identifier}`, t.identifiers, (c) => (c as { identityId?: string } | undefined)?.identityId, id)),
        ...ADDRESS_KINDS.flatMap((kind) => addressesOf(current, kind).map((value) => releaseOp(`address#${kind}#${value}`, t.addresses, (holder) => holder as string | undefined, id))),
        ...keyedClaimsOf(current).map((key) => releaseOp(`credential#${key}`, t.credentials, (holder) => holder as string | undefined, id)),
      ];
      await tx.committer.commit(tx.batch(...ops));
      return true;
    },
  };
}
