/**
 * Identifier-first login (Kratos's `selfservice/strategy/idfirst`, on with `selfservice.flows.login.style:
 * identifier_first`): the first screen asks for the identifier alone (`method=identifier_first`, "Continue"); the
 * submit proves nothing and looks nothing up, it moves the flow to the screen where every login method offers itself
 * for that identifier, which the form then carries as a hidden field. Known and unknown identifiers are offered the
 * same methods with the same answer, as Kratos offers them with `security.account_enumeration.mitigate`: whether an
 * account exists is not told here, and a wrong password or an unknown identifier fail alike on the next screen.
 */
import { stringField } from '../../flows/common.js';
import type { Strategy } from '../../flows/strategy.js';
import { input, submitNode } from '../../flows/ui.js';
import { identifierTooLong } from '../../identity/limits.js';
import { messages } from '../../text/messages.js';

const GROUP = 'identifier_first';

/** Password managers and passkeys read this on the identifier field (Kratos's `username webauthn`). */
const AUTOCOMPLETE = 'username webauthn';

export function identifierFirstStrategy(): Strategy {
  return {
    id: 'identifier_first',
    group: GROUP,
    login: {
      // Never used: its submit finishes nothing.
      aal: 'aal1',

      nodes({ flow, schema, values }) {
        if (flow.screen === 'identify') {
          const typed = typeof values.identifier === 'string' ? values.identifier : '';
          return [
            input(GROUP, { name: 'identifier', type: 'text', value: typed, required: true, autocomplete: AUTOCOMPLETE }, schema.identifierLabel()),
            submitNode(GROUP, 'identifier_first', messages.labelContinue()),
          ];
        }
        if (flow.screen === 'credentials') {
          // Ory Elements tells this screen by a hidden identifier in this group, and shows it with a way back.
          return [input(GROUP, { name: 'identifier', type: 'hidden', value: flow.firstScreen?.identifier ?? '', required: true, autocomplete: AUTOCOMPLETE })];
        }
        return [];
      },

      async authenticate({ body, fail }) {
        const identifier = stringField(body, 'identifier');
        const tooLong = identifier !== undefined ? identifierTooLong(identifier) : undefined;
        if (tooLong) throw fail([], { identifier: [tooLong] });
        if (!identifier?.trim()) throw fail([], { identifier: [messages.required('identifier')] });
        return { next: { screen: 'credentials', firstScreen: { identifier } } };
      },
    },
  };
}
