/**
 * The password method (Kratos's `selfservice/strategy/password`): log in with an identifier and a password,
 * register with traits and a password, change the password in settings. On a two-screen form it offers the password
 * on the second screen; a one-step submit (identifier or traits with the password) is taken on any screen, as Kratos
 * takes it, so clients written for the one-screen forms keep working. bcrypt, Kratos's policy,
 * and for login: one read of the flow with the identifier's credential, an attempt reserved against guessing before
 * bcrypt runs, one compare whether or not the identifier exists (against a dummy hash if it does not), and the same
 * answer for a wrong password and an unknown identifier.
 */
import { KratosError, SessionRefreshRequiredError } from '../../errors/index.js';
import type { PasswordHasher } from '../../hashing/bcrypt.js';
import { compareLegacyHash, legacyHashKind } from '../../hashing/legacy.js';
import { PASSWORD_MIGRATION_MARKER, type Identity } from '../../identity/model.js';
import type { IdentityRepository } from '../../identity/repository.js';
import { withSpan } from '../../tracing/span.js';
import { normalizeIdentifier } from '../../identity/identifier.js';
import { anyViolation, identifierTooLong, traitLimitViolations } from '../../identity/limits.js';
import { newIdentity } from '../../identity/new-identity.js';
import type { PasswordPolicy } from '../../identity/password-policy.js';
import type { FlowRecord } from '../../flows/model.js';
import type { FlowRepository } from '../../flows/repository.js';
import type { FlowRequest } from '../../flows/request.js';
import { stringField, traitMessages } from '../../flows/common.js';
import type { Strategy } from '../../flows/strategy.js';
import type { ClientFailures, LoginThrottle } from '../../flows/throttle.js';
import { input, submitNode, traitNodes } from '../../flows/ui.js';
import { messages, type UiText } from '../../text/messages.js';
import type { LoginCredential, PasswordCredentials } from './repository.js';

export interface PasswordStrategyDeps {
  hasher: PasswordHasher;
  /** The privileged read an imported hash's rehash starts from. */
  identities: Pick<IdentityRepository, 'getWithCredentials'>;
  policy: PasswordPolicy;
  flows: Pick<FlowRepository, 'get'>;
  credentials: PasswordCredentials;
  /** Failed-login throttling; none = off. */
  throttle?: LoginThrottle;
  /**
   * Kratos's password migration hook, when enabled: asks the legacy system whether the password of an identity
   * imported without a hash (PASSWORD_MIGRATION_MARKER) is right.
   */
  migration?: (check: { identifier: string; password: string; identity: Identity; flow: FlowRecord; request: FlowRequest }) => Promise<boolean>;
}

const GROUP = 'password';

const passwordNode = (autocomplete: 'current-password' | 'new-password') =>
  input(GROUP, { name: 'password', type: 'password', required: true, autocomplete }, messages.labelPassword());

export function passwordStrategy(deps: PasswordStrategyDeps): Strategy {
  const { hasher, policy } = deps;
  return {
    id: 'password',
    group: GROUP,

    login: {
      aal: 'aal1',

      nodes({ flow, schema, values }) {
        // Identifier first: nothing while the identifier is asked for; then the password for it (for any identifier).
        if (flow.screen === 'identify') return [];
        if (flow.screen === 'credentials') return [passwordNode('current-password'), submitNode(GROUP, 'password', messages.labelSignInWithPassword())];
        return [
          flow.refreshIdentifier
            ? input('default', { name: 'identifier', type: 'hidden', value: flow.refreshIdentifier, required: true })
            : input('default', { name: 'identifier', type: 'text', value: typeof values.identifier === 'string' ? values.identifier : '', required: true }, schema.identifierLabel()),
          passwordNode('current-password'),
          submitNode(GROUP, 'password', messages.labelSignInWithPassword()),
        ];
      },

      async readFlow(flowId, body, request) {
        const identifier = stringField(body, 'identifier');
        const normalized = identifier ? normalizeIdentifier(identifier) : '';
        // No identifier, or one too long to be anyone's (and to be a key): the flow alone.
        if (!normalized || identifierTooLong(normalized)) return { flow: await deps.flows.get(flowId) };
        const { flow, ...read } = await deps.credentials.flowWithCredential(flowId, normalized, deps.throttle?.clientKey(request));
        return { flow, read };
      },

      async authenticate({ flow, body, request, now, read, fail }) {
        const identifier = stringField(body, 'identifier');
        const password = stringField(body, 'password');
        const normalized = identifier ? normalizeIdentifier(identifier) : '';
        const missing: Record<string, UiText[]> = {};
        const tooLong = identifier !== undefined ? identifierTooLong(identifier) : undefined;
        if (tooLong) missing.identifier = [tooLong];
        else if (!normalized) missing.identifier = [messages.required('identifier')];
        if (!password) missing.password = [messages.required('password')];
        if (Object.keys(missing).length > 0) throw fail([], missing);

        const { credential, failures } = (read ?? {}) as { credential?: LoginCredential; failures?: ClientFailures };
        // A client failing across identifiers is refused first; then each attempt is reserved before bcrypt runs, for
        // known and unknown identifiers alike. A browser that signed in to this identity before passes its ceiling.
        deps.throttle?.checkClient(failures, now);
        const trusted = credential !== undefined && (request.browser.knownIdentities ?? []).includes(credential.identity.id);
        const reserved = await deps.throttle?.reserve(normalized, request, trusted, now);

        // Unknown identifiers cost one compare at the configured cost and answer exactly like a wrong password.
        const hash = credential?.hashedPassword;
        const migrating = hash === PASSWORD_MIGRATION_MARKER;
        if (migrating && !deps.migration) throw new KratosError(500, { reason: 'This identity uses the password migration hook, which is not enabled (SELFSERVICE_METHODS_PASSWORD_CONFIG_MIGRATE_HOOK).' });
        const imported = hash && !migrating ? legacyHashKind(hash) : undefined;
        const matches = !hash
          ? await hasher.compareWithDummy(password!)
          : migrating
            ? await deps.migration!({ identifier: identifier!, password: password!, identity: credential!.identity, flow, request })
            : imported
              ? await withSpan('hash.compare', { 'hash.type': imported }, () => compareLegacyHash(password!, hash))
              : await hasher.compare(password!, hash);
        if (!credential || !matches) {
          await deps.throttle?.failed(request, now);
          throw fail([messages.invalidCredentials()]);
        }
        const writes = reserved ? [deps.throttle!.succeeded(reserved, now)] : [];
        if (!imported && !migrating) return { identity: credential.identity, writes };
        // An imported hash of another kind, or a password the migration hook vouched for, is replaced with bcrypt at the
        // configured cost, in the login's own transaction (as Kratos rehashes on the first successful login).
        const stored = await deps.identities.getWithCredentials(credential.identity.id);
        if (!stored?.password) throw fail([messages.invalidCredentials()]);
        const rehashed = { ...stored, password: { ...stored.password, hashedPassword: await hasher.hash(password!), updatedAt: now } };
        return { identity: stored, update: rehashed, writes };
      },
    },

    registration: {
      nodes({ flow, schema, values }) {
        // Profile first: nothing while the traits are asked for (the profile method's screen); then the password.
        if (flow.screen === 'profile') return [];
        if (flow.screen === 'credentials') return [passwordNode('new-password'), submitNode(GROUP, 'password', messages.labelSignUp())];
        const traits = traitNodes(schema, values.traits, GROUP);
        // Kratos puts the password right after the identifier trait(s), then the remaining traits in schema order.
        const identifierNames = new Set(schema.fields.filter((f) => f.passwordIdentifier).map((f) => f.name));
        return [
          ...traits.filter((n) => identifierNames.has(n.attributes.name)),
          passwordNode('new-password'),
          ...traits.filter((n) => !identifierNames.has(n.attributes.name)),
          submitNode(GROUP, 'password', messages.labelSignUp()),
        ];
      },

      async register({ body, now, fail, schema }) {
        const traits = body.traits === undefined || body.traits === null ? {} : body.traits;
        const password = stringField(body, 'password');
        // The bounds first: a trait too long is refused before the schema's validation looks at it.
        const bounds = traitLimitViolations(schema, traits);
        const { flowMessages, nodeMessages } = anyViolation(bounds) ? bounds : await traitMessages(schema, traits);
        if (!password) nodeMessages.password = [messages.required('password')];
        if (flowMessages.length > 0 || Object.keys(nodeMessages).length > 0) throw fail(flowMessages, nodeMessages);

        const validTraits = traits as Record<string, unknown>;
        const identifiers = schema.passwordIdentifiers(validTraits);
        const violation = await policy(password!, identifiers);
        if (violation) throw fail([], { password: [violation] });
        const identity = newIdentity(schema, validTraits, now);
        return { identity: { ...identity, password: { identifiers, hashedPassword: await hasher.hash(password!), createdAt: now, updatedAt: now } } };
      },
    },

    settings: {
      nodes: () => [passwordNode('new-password'), submitNode(GROUP, 'password', messages.labelSave())],

      async update({ body, now, fail, identity, privileged }) {
        if (!privileged) throw new SessionRefreshRequiredError();
        const password = stringField(body, 'password');
        if (!password) throw fail([], { password: [messages.required('password')] });
        const identifiers = identity.identifiers ?? [];
        const violation = await policy(password, identifiers);
        if (violation) throw fail([], { password: [violation] });
        const current = identity.password?.hashedPassword;
        const same = current && (legacyHashKind(current) ? await compareLegacyHash(password, current) : await hasher.compare(password, current));
        if (same) throw fail([], { password: [messages.passwordSameAsOld()] });
        const hashedPassword = await hasher.hash(password);
        return { identity: { ...identity, password: { identifiers, hashedPassword, createdAt: identity.password?.createdAt ?? now, updatedAt: now } } };
      },
    },
  };
}
