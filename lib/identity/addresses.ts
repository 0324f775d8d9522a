/**
 * An identity's verifiable and recovery addresses, derived from its traits and its schema's `ory.sh/kratos`
 * extensions (`verification.via: email`, `recovery.via: email`), as Kratos's schema extension does: an address the
 * identity already had keeps its record (and its verified status); a new one starts `pending`, unverified.
 */
import { randomUUID } from 'node:crypto';
import { withFactor, type Identity, type RecoveryAddress, type VerifiableAddress } from './model.js';
import type { IdentitySchema } from './schema.js';

export function addressesFor(
  schema: IdentitySchema,
  traits: Record<string, unknown>,
  now: Date,
  previous?: Pick<Identity, 'verifiableAddresses' | 'recoveryAddresses'>,
): { verifiableAddresses: VerifiableAddress[]; recoveryAddresses: RecoveryAddress[] } {
  const verifiableAddresses = schema.verifiableAddresses(traits).map(
    (value): VerifiableAddress =>
      previous?.verifiableAddresses?.find((a) => a.value === value) ?? {
        id: randomUUID(),
        value,
        via: 'email',
        verified: false,
        status: 'pending',
        createdAt: now,
        updatedAt: now,
      },
  );
  const recoveryAddresses = schema.recoveryAddresses(traits).map(
    (value): RecoveryAddress =>
      previous?.recoveryAddresses?.find((a) => a.value === value) ?? { id: randomUUID(), value, via: 'email', createdAt: now, updatedAt: now },
  );
  return { verifiableAddresses, recoveryAddresses };
}

/** The identity with `address` marked verified (Kratos: `verified: true`, status `completed`, `verified_at`). */
export function withAddressVerified(identity: Identity, address: string, now: Date): Identity {
  return {
    ...identity,
    updatedAt: now,
    verifiableAddresses: identity.verifiableAddresses?.map((a) =>
      a.value === address ? { ...a, verified: true, status: 'completed', verifiedAt: now, updatedAt: now } : a,
    ),
  };
}

/**
 * Kratos's `code` credential, derived from the traits as its schema extension derives it: the addresses marked
 * `credentials.code.identifier` with `via: email` are its identifiers (each claimed by one identity) and its config
 * (`{"addresses": [{"channel": "email", "address": ...}]}`, version 1). No such address: no credential. `identity`
 * carries its factors (a privileged read's), which are kept.
 */
export function withCodeCredential(identity: Identity, schema: IdentitySchema, now: Date): Identity {
  const addresses = schema.codeAddresses(identity.traits);
  const previous = identity.factors?.code;
  if (addresses.length === 0) return previous ? withFactor(identity, 'code', undefined) : identity;
  if (previous && previous.identifiers.length === addresses.length && previous.identifiers.every((a, i) => a === addresses[i])) return identity;
  return withFactor(identity, 'code', {
    identifiers: addresses,
    config: { addresses: addresses.map((address) => ({ channel: 'email', address })) },
    version: 1,
    createdAt: previous?.createdAt ?? now,
    updatedAt: now,
  });
}

/**
 * The `webauthn` credential's identifier follows the traits, as Kratos's schema extension sets it whenever traits are
 * validated: a changed `webauthn.identifier` trait moves the claim a passwordless key signs in with (the old value
 * released, the new one claimed once). An identity without security keys is left as it is.
 */
export function withWebauthnIdentifier(identity: Identity, schema: IdentitySchema, now: Date): Identity {
  const credential = identity.factors?.webauthn;
  if (!credential) return identity;
  const identifier = schema.webauthnIdentifier(identity.traits);
  const identifiers = identifier ? [identifier] : [];
  if (credential.identifiers.length === identifiers.length && credential.identifiers.every((id, i) => id === identifiers[i])) return identity;
  return withFactor(identity, 'webauthn', { ...credential, identifiers, updatedAt: now });
}

/** The credentials the traits decide (code addresses, the security keys' identifier), derived from them. */
export const withTraitCredentials = (identity: Identity, schema: IdentitySchema, now: Date): Identity =>
  withWebauthnIdentifier(withCodeCredential(identity, schema, now), schema, now);

/**
 * The identity with new (valid) traits and everything derived from them, as a profile change makes it: the password's
 * identifiers, the addresses (an unchanged one keeps its record and status), the code credential and the security
 * keys' identifier.
 */
export function withTraits(identity: Identity, schema: IdentitySchema, traits: Record<string, unknown>, now: Date): Identity {
  const identifiers = schema.passwordIdentifiers(traits);
  const password = identity.password ? { ...identity.password, identifiers } : undefined;
  return withTraitCredentials({ ...identity, traits, identifiers, ...addressesFor(schema, traits, now, identity), password }, schema, now);
}
