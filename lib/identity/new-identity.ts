/** A new identity of a schema, as a registration (any method) makes it before its credentials are added. */
import { randomUUID } from 'node:crypto';
import { addressesFor, withTraitCredentials } from './addresses.js';
import type { Identity } from './model.js';
import type { IdentitySchema } from './schema.js';

/** Active, with the schema's identifiers, addresses (pending) and code credential derived from valid `traits`. */
export function newIdentity(schema: IdentitySchema, traits: Record<string, unknown>, now: Date): Identity {
  const identity: Identity = {
    id: randomUUID(),
    schemaId: schema.id,
    state: 'active',
    traits,
    metadataPublic: null,
    metadataAdmin: null,
    createdAt: now,
    updatedAt: now,
    identifiers: schema.passwordIdentifiers(traits),
    ...addressesFor(schema, traits, now),
    revision: 1,
  };
  return withTraitCredentials(identity, schema, now);
}
