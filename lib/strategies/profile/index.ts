/**
 * The profile method (Kratos's `selfservice/strategy/profile`): settings only, the traits, validated against the
 * identity's schema. A change of an identifier, or of a recovery or verifiable address, is as sensitive as a new
 * password (whoever holds it can sign in or recover the account): it needs a privileged session, and the claims move
 * with the change in its transaction.
 */
import { SessionRefreshRequiredError } from '../../errors/index.js';
import { addressesFor } from '../../identity/addresses.js';
import { anyViolation, traitLimitViolations } from '../../identity/limits.js';
import { traitMessages } from '../../flows/common.js';
import type { Strategy } from '../../flows/strategy.js';
import { submitNode, traitNodes } from '../../flows/ui.js';
import { messages } from '../../text/messages.js';

const GROUP = 'profile';

const sameValues = (a: { value: string }[] | undefined, b: { value: string }[]) =>
  (a ?? []).length === b.length && b.every((x) => (a ?? []).some((y) => y.value === x.value));

export function profileStrategy(): Strategy {
  return {
    id: 'profile',
    group: GROUP,
    settings: {
      nodes: ({ schema, traits }) => [...traitNodes(schema, traits, GROUP), submitNode(GROUP, 'profile', messages.labelSave())],

      async update({ body, now, fail, identity, schema, privileged }) {
        const traits = body.traits === undefined || body.traits === null ? {} : body.traits;
        const values = { traits };
        const bounds = traitLimitViolations(schema, traits);
        const { flowMessages, nodeMessages } = anyViolation(bounds) ? bounds : traitMessages(schema, traits);
        if (flowMessages.length > 0 || Object.keys(nodeMessages).length > 0) throw fail(flowMessages, nodeMessages, values);
        const validTraits = traits as Record<string, unknown>;
        const identifiers = schema.passwordIdentifiers(validTraits);
        const before = identity.identifiers ?? [];
        const identifiersChanged = identifiers.length !== before.length || identifiers.some((id) => !before.includes(id));
        const addresses = addressesFor(schema, validTraits, now, identity);
        // Kratos (identity manager's requiresPrivilegedAccess): a changed recovery or verifiable address counts as a
        // changed credential.
        const addressesChanged = !sameValues(identity.recoveryAddresses, addresses.recoveryAddresses) || !sameValues(identity.verifiableAddresses, addresses.verifiableAddresses);
        if ((identifiersChanged || addressesChanged) && !privileged) throw new SessionRefreshRequiredError();
        return {
          identity: { ...identity, traits: validTraits, identifiers, ...addresses, password: identity.password ? { ...identity.password, identifiers } : undefined },
          values,
        };
      },
    },
  };
}
