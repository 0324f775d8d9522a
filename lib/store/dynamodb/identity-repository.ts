/** Identities and their identifier and address claims in DynamoDB. */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ConcurrentUpdateError, DuplicateIdentifierError } from '../../errors/index.js';
import { credentialClaimsOf, identifiersOf, type ClaimType, type Identity } from '../../identity/model.js';
import type { IdentityRepository } from '../../identity/repository.js';
import {
  addressClaimItem,
  type AddressKind,
  credentialClaimItem,
  IDENTITIES_COLLECTION,
  identifierClaimItem,
  identityToItem,
  itemToIdentity,
  itemToIdentityAddresses,
  keys,
  PUBLIC_IDENTITY_ATTRIBUTES,
} from './items.js';
import type { TableReads } from './toolkit.js';
import { conditions, transact, transactionItems, type Guarded, type TransactionItems } from './transaction.js';

const identityCollision = () => new Error('identity id collision');

/**
 * The writes that store an identity and keep its claims in step: a new identifier is claimed only if nobody
 * holds it (any letter case: identifiers are normalised), a kept one is rewritten with the identity's new login
 * copy, a dropped one is released. Every identity write goes through here, so no claim carries a stale copy.
 */
function identityWrites(
  tx: TransactionItems,
  identity: Identity,
  change: { previous?: Identity } = {},
): Guarded[] {
  const before = new Set(change.previous ? identifiersOf(change.previous) : []);
  const after = new Set(identifiersOf(identity));
  const writes: Guarded[] = [
    change.previous
      ? tx.put(identityToItem(identity), conditions.revision(change.previous.revision), () => new ConcurrentUpdateError())
      : tx.put(identityToItem(identity), conditions.absent, identityCollision),
  ];
  for (const identifier of after) {
    writes.push(
      before.has(identifier)
        ? tx.put(identifierClaimItem(identifier, identity), conditions.claimedBy(identity.id), () => new ConcurrentUpdateError())
        : tx.put(identifierClaimItem(identifier, identity), conditions.absent, () => new DuplicateIdentifierError()),
    );
  }
  for (const identifier of before) {
    if (!after.has(identifier)) writes.push(tx.delete(keys.identifier(identifier), conditions.releasable(identity.id), () => new ConcurrentUpdateError()));
  }
  // Linked provider accounts, passkeys' user handles, WebAuthn identifiers: each claimed by one identity (an account
  // linked elsewhere is a duplicate).
  const claimsBefore = new Map(change.previous ? keyedClaimsOf(change.previous) : []);
  const claimsAfter = new Map(keyedClaimsOf(identity));
  for (const [key, [type, identifier]] of claimsAfter) {
    if (!claimsBefore.has(key)) writes.push(tx.put(credentialClaimItem(type, identifier, identity.id), conditions.absent, () => new DuplicateIdentifierError()));
  }
  for (const [key, [type, identifier]] of claimsBefore) {
    if (!claimsAfter.has(key)) writes.push(tx.delete(keys.credential(type, identifier), conditions.releasable(identity.id), () => new ConcurrentUpdateError()));
  }
  for (const kind of ADDRESS_KINDS) {
    const had = new Set(change.previous ? addressesOf(change.previous, kind) : []);
    const has = new Set(addressesOf(identity, kind));
    for (const value of has) {
      if (!had.has(value)) writes.push(tx.put(addressClaimItem(kind, value, identity.id), conditions.absent, () => new DuplicateIdentifierError()));
    }
    for (const value of had) {
      if (!has.has(value)) writes.push(tx.delete(keys.address(kind, value), conditions.releasable(identity.id), () => new ConcurrentUpdateError()));
    }
  }
  return writes;
}

const ADDRESS_KINDS: AddressKind[] = ['recovery', 'verification'];

/** The credential claims an identity holds, keyed `<type>#<identifier>`. */
const keyedClaimsOf = (identity: Identity): [string, [ClaimType, string]][] => credentialClaimsOf(identity).map((claim) => [`${claim[0]}#${claim[1]}`, claim]);

export const addressesOf = (identity: Pick<Identity, 'verifiableAddresses' | 'recoveryAddresses'>, kind: AddressKind): string[] =>
  ((kind === 'recovery' ? identity.recoveryAddresses : identity.verifiableAddresses) ?? []).map((a) => a.value);

export function createIdentityRepository(client: DynamoDBClient, table: string, reads: TableReads): IdentityRepository {
  const tx = transactionItems(table);
  return {
    get: async (id) => {
      const item = await reads.getItem(keys.identity(id), PUBLIC_IDENTITY_ATTRIBUTES);
      return item ? itemToIdentity(item) : undefined;
    },

    getWithCredentials: async (id) => {
      const item = await reads.getItem(keys.identity(id));
      return item ? itemToIdentity(item) : undefined;
    },

    findIdByIdentifier: async (identifier) => (await reads.getItem(keys.identifier(identifier), ['identity_id']))?.identity_id?.S,

    findIdByAddress: async (kind, value) => (await reads.getItem(keys.address(kind, value), ['identity_id']))?.identity_id?.S,

    findIdByCredential: async (type, identifier) => (await reads.getItem(keys.credential(type, identifier), ['identity_id']))?.identity_id?.S,

    list: async (page, withCredentials) => {
      const result = await reads.queryPage(
        'gsi1',
        IDENTITIES_COLLECTION,
        page.pageSize,
        page.after,
        withCredentials ? undefined : [...PUBLIC_IDENTITY_ATTRIBUTES, 'gsi1sk'],
      );
      return { items: result.items.map(itemToIdentity), next: result.next };
    },

    create: (identity) => tx.batch(...identityWrites(tx, { ...identity, revision: 1 })),

    update: (next, previous) => {
      if (next.revision !== (previous.revision ?? 1) + 1) throw new Error('an identity update stores revised(next, previous)');
      return tx.batch(...identityWrites(tx, next, { previous }));
    },

    unchanged: (identityId, revision) => tx.batch(tx.check(keys.identity(identityId), conditions.revision(revision), () => new ConcurrentUpdateError())),

    delete: async (id) => {
      const current = await reads.getItem(keys.identity(id), ['pk', 'identifiers', 'addresses', 'oidc', 'factors', 'external_id', 'revision']);
      if (!current) return false;
      const identifiers = JSON.parse(current.identifiers?.S ?? '[]') as string[];
      const stored = itemToIdentityAddresses(current);
      const claimed = itemToIdentity({ ...current, id: { S: id }, schema_id: { S: '' }, state: { S: 'active' }, created_at: { S: new Date(0).toISOString() }, updated_at: { S: new Date(0).toISOString() } });
      await transact(client, [
        tx.delete(keys.identity(id), conditions.revision(Number(current.revision?.N ?? 1)), () => new ConcurrentUpdateError()),
        ...identifiers.map((identifier) => tx.delete(keys.identifier(identifier), conditions.releasable(id), () => new ConcurrentUpdateError())),
        ...ADDRESS_KINDS.flatMap((kind) => addressesOf(stored, kind).map((value) => tx.delete(keys.address(kind, value), conditions.releasable(id), () => new ConcurrentUpdateError()))),
        ...credentialClaimsOf(claimed).map(([type, identifier]) => tx.delete(keys.credential(type, identifier), conditions.releasable(id), () => new ConcurrentUpdateError())),
      ]);
      return true;
    },
  };
}
