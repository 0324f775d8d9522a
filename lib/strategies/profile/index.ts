/**
 * The profile method (Kratos's `selfservice/strategy/profile`): the traits, validated against the identity's schema.
 *
 * - Settings: a change of an identifier, or of a recovery or verifiable address, is as sensitive as a new password
 *   (whoever holds it can sign in or recover the account): it needs a privileged session, and the claims move with
 *   the change in its transaction.
 * - Registration in two screens (`selfservice.flows.registration.style: profile_first`): the first screen is this
 *   method's, the traits (`method=profile`, "Sign up"); once they are valid, the credentials screen carries them as
 *   hidden fields beside what each credential method offers, and a "Back" button (`screen=previous`) returns to them.
 *   It registers no one itself: a credential method's submit does.
 */
import { SessionRefreshRequiredError } from '../../errors/index.js';
import { withTraits } from '../../identity/addresses.js';
import { anyViolation, traitLimitViolations } from '../../identity/limits.js';
import { traitMessages } from '../../flows/common.js';
import type { Strategy } from '../../flows/strategy.js';
import { input, submitNode, traitNodes } from '../../flows/ui.js';
import type { RegistrationStyle } from '../../config/selfservice.js';
import type { RegistrationStrategy } from '../../flows/strategy.js';
import { messages } from '../../text/messages.js';

const GROUP = 'profile';

const sameValues = (a: { value: string }[] | undefined, b: { value: string }[]) =>
  (a ?? []).length === b.length && b.every((x) => (a ?? []).some((y) => y.value === x.value));
const sameList = (a: string[] | undefined, b: string[] | undefined) => (a ?? []).length === (b ?? []).length && (a ?? []).every((x) => (b ?? []).includes(x));

/** The traits screen and the way back to it (Kratos's profile strategy, registration.go). */
function profileFirstRegistration(): RegistrationStrategy {
  return {
    nodes({ flow, schema, values }) {
      if (flow.screen === 'profile') return [...traitNodes(schema, values.traits, 'default'), submitNode(GROUP, 'profile', messages.labelSignUp())];
      if (flow.screen !== 'credentials') return [];
      const traits = values.traits ?? flow.firstScreen?.traits;
      // Kratos turns the trait fields hidden and keeps the rest of each node (its label included).
      const hidden = traitNodes(schema, traits, 'default').map((node) => ({ ...node, attributes: { ...node.attributes, type: 'hidden' } }));
      return [...hidden, input(GROUP, { name: 'screen', type: 'submit', value: 'previous' }, messages.labelBack())];
    },

    // Ory Elements' back button posts `screen=previous` alone; Kratos's older form posted `method=profile:back`.
    claims: (body) => body.method === 'profile:back' || (body.method === undefined && typeof body.screen === 'string'),

    async register({ body, fail, schema }) {
      const traits = body.traits === undefined || body.traits === null ? {} : body.traits;
      if (body.screen === 'previous' || body.method === 'profile:back') return { next: { screen: 'profile', values: { traits } } };
      // `screen=credential-selection`, or none (Kratos takes a plain `method=profile` for it too).
      const bounds = traitLimitViolations(schema, traits);
      const { flowMessages, nodeMessages } = anyViolation(bounds) ? bounds : await traitMessages(schema, traits);
      if (flowMessages.length > 0 || Object.keys(nodeMessages).length > 0) throw fail(flowMessages, nodeMessages);
      return { next: { screen: 'credentials', firstScreen: { traits: traits as Record<string, unknown> }, messages: [messages.chooseCredentials()] } };
    },
  };
}

export function profileStrategy(options: { registrationStyle: RegistrationStyle }): Strategy {
  return {
    id: 'profile',
    group: GROUP,
    ...(options.registrationStyle === 'profile_first' ? { registration: profileFirstRegistration() } : {}),
    settings: {
      nodes: ({ schema, traits }) => [...traitNodes(schema, traits, GROUP), submitNode(GROUP, 'profile', messages.labelSave())],

      async update({ body, now, fail, identity, schema, privileged }) {
        const traits = body.traits === undefined || body.traits === null ? {} : body.traits;
        const values = { traits };
        const bounds = traitLimitViolations(schema, traits);
        const { flowMessages, nodeMessages } = anyViolation(bounds) ? bounds : await traitMessages(schema, traits);
        if (flowMessages.length > 0 || Object.keys(nodeMessages).length > 0) throw fail(flowMessages, nodeMessages, values);
        const next = withTraits(identity, schema, traits as Record<string, unknown>, now);
        const [before, identifiers] = [identity.identifiers ?? [], next.identifiers ?? []];
        const identifiersChanged = identifiers.length !== before.length || identifiers.some((id) => !before.includes(id));
        // Kratos (identity manager's requiresPrivilegedAccess): a changed recovery or verifiable address counts as a
        // changed credential.
        const addressesChanged = !sameValues(identity.recoveryAddresses, next.recoveryAddresses ?? []) || !sameValues(identity.verifiableAddresses, next.verifiableAddresses ?? []);
        // And a credential's identifiers (Kratos's CredentialsEqual): a security key's, a code address.
        const credentialsChanged = (['webauthn', 'code'] as const).some((type) => !sameList(identity.factors?.[type]?.identifiers, next.factors?.[type]?.identifiers));
        if ((identifiersChanged || addressesChanged || credentialsChanged) && !privileged) throw new SessionRefreshRequiredError();
        return { identity: next, values };
      },
    },
  };
}
