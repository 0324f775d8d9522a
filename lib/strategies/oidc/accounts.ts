/**
 * From a provider's verified claims to an account: the identity already holding `<provider>:<subject>`, or a new one
 * made from the mapper's traits (validated by the flow's identity schema, the addresses the provider vouches for
 * verified), or the traits that are missing for one. Never an existing account found by its e-mail: that one is
 * offered to be linked by signing in to it (the callback's part), not taken.
 */
import { traitMessages } from '../../flows/common.js';
import { withAddressVerified } from '../../identity/addresses.js';
import { anyViolation, traitLimitViolations } from '../../identity/limits.js';
import { oidcIdentifier, withProviderLink, type Identity, type OidcLink } from '../../identity/model.js';
import { newIdentity } from '../../identity/new-identity.js';
import type { IdentityRepository } from '../../identity/repository.js';
import type { IdentitySchema } from '../../identity/schema.js';
import type { UiText } from '../../text/messages.js';
import type { Mapper } from './mapper.js';
import type { Claims } from './provider.js';
import { isPlainObject as isObject } from '../../util/objects.js';

export type Account =
  | { known: Identity }
  | { created: Identity }
  | { missing: { traits: Record<string, unknown>; flowMessages: UiText[]; nodeMessages: Record<string, UiText[]> } };

export interface AccountDeps {
  identities: Pick<IdentityRepository, 'findIdByCredential' | 'getWithCredentials'>;
}

/** Deep merge, `over` winning (a form's traits over the mapper's, as Kratos's `oidc/form.go`). */
function merged(base: Record<string, unknown>, over: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!over) return base;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined || value === '') continue;
    out[key] = isObject(value) && isObject(base[key]) ? merged(base[key] as Record<string, unknown>, value) : value;
  }
  return out;
}

export async function accountFor(
  deps: AccountDeps,
  provider: string,
  claims: Claims,
  mapper: Mapper,
  schema: IdentitySchema,
  submittedTraits: Record<string, unknown> | undefined,
  now: Date,
  /** The provider's tokens, already encrypted, for a new identity's link. */
  tokens?: OidcLink['tokens'],
): Promise<Account> {
  const knownId = await deps.identities.findIdByCredential('oidc', oidcIdentifier(provider, claims.sub));
  const known = knownId ? await deps.identities.getWithCredentials(knownId) : undefined;
  if (known) return { known };

  const mapped = await mapper(claims);
  const traits = merged(mapped.traits, submittedTraits);
  const bounds = traitLimitViolations(schema, traits);
  const { flowMessages, nodeMessages } = anyViolation(bounds) ? bounds : await traitMessages(schema, traits);
  if (flowMessages.length > 0 || Object.keys(nodeMessages).length > 0) return { missing: { traits, flowMessages, nodeMessages } };

  let identity: Identity = {
    ...newIdentity(schema, traits, now),
    ...(mapped.metadataPublic !== undefined ? { metadataPublic: mapped.metadataPublic } : {}),
    ...(mapped.metadataAdmin !== undefined ? { metadataAdmin: mapped.metadataAdmin } : {}),
  };
  identity = withProviderLink(identity, { provider, subject: claims.sub, ...(tokens ? { tokens } : {}) }, now);
  for (const address of mapped.verifiedAddresses) {
    if (identity.verifiableAddresses?.some((a) => a.via === address.via && a.value === address.value)) identity = withAddressVerified(identity, address.value, now);
  }
  return { created: identity };
}
