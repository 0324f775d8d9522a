/**
 * The passkey method (Kratos's `selfservice/strategy/passkey`): sign in with a discoverable credential (aal1), sign up
 * with one, add and remove passkeys in settings. Each flow is made with a challenge (and, for registration and
 * settings, a new user handle of 64 letters and digits, as Kratos makes it) kept on the flow (`methodState.passkey`);
 * a ceremony verifies only against its own flow's. A login finds the identity by the user handle the authenticator
 * returns (the credential's claimed identifier; else, as Kratos, the identity whose security keys have that user handle,
 * signing in with one of its passwordless keys), and keeps the key's signature counter in the login's transaction.
 *
 * Submits are routed as Kratos routes them: on a non-empty `passkey_login`, `passkey_register` (not "true", which
 * Ory's React SDK sends for an empty field), `passkey_settings_register` or `passkey_remove`, with or without
 * `method=passkey` (webauthn.js submits the form natively, without the button).
 */
import { randomInt } from 'node:crypto';
import type { RelyingParty } from '../../config/webauthn.js';
import { SessionRefreshRequiredError } from '../../errors/index.js';
import { stringField, traitMessages } from '../../flows/common.js';
import type { FlowRecord, UiNode } from '../../flows/model.js';
import type { NodeContext, Strategy, SubmitContext } from '../../flows/strategy.js';
import { input, scriptNode } from '../../flows/ui.js';
import { firstFactorsOf, withFactor, type Identity } from '../../identity/model.js';
import { anyViolation, traitLimitViolations } from '../../identity/limits.js';
import { newIdentity } from '../../identity/new-identity.js';
import type { IdentityRepository } from '../../identity/repository.js';
import { messages } from '../../text/messages.js';
import { CeremonyError, loginOptions, newChallenge, parseResponse, PASSKEY_POLICY, registrationOptions, verifyAssertion, verifyRegistration } from '../../webauthn/ceremony.js';
import { afterAssertion, hexIdOf, keyIdOf, keyNamed, keysOf, storedKey, verifiableKey, withKeys } from '../../webauthn/credentials.js';
import { webauthnScriptIntegrity, WEBAUTHN_SCRIPT_PATH } from '../../webauthn/script.js';

const GROUP = 'passkey';

export interface PasskeyStrategyDeps {
  rp: RelyingParty;
  publicBaseUrl: string;
  identities: Pick<IdentityRepository, 'findIdByCredential' | 'getWithCredentials'>;
}

interface PasskeyState {
  challenge: string;
  /** Registration and settings: the user handle a new passkey is made with. */
  userHandle?: string;
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Kratos's user handle: 64 random letters and digits (randx.AlphaNum), its bytes the WebAuthn user id. */
const newUserHandle = () => Array.from({ length: 64 }, () => ALPHANUMERIC[randomInt(ALPHANUMERIC.length)]).join('');

const stateOf = (flow: FlowRecord): PasskeyState | undefined => flow.internal?.[GROUP] as PasskeyState | undefined;

/** A value Kratos routes on: non-empty (and for `passkey_register`, not the "true" React's SDK sends). */
const routed = (body: Record<string, unknown>, name: string) => {
  const value = stringField(body, name);
  return value !== undefined && value !== '' && !(name === 'passkey_register' && value === 'true');
};

export function passkeyStrategy(deps: PasskeyStrategyDeps): Strategy {
  const { rp } = deps;
  const scriptSrc = `${deps.publicBaseUrl}${WEBAUTHN_SCRIPT_PATH}`;
  /** The script node: browser flows only (API flows carry no script, as Kratos). */
  const script = (flow: FlowRecord): UiNode[] => (flow.mode === 'browser' ? [scriptNode('webauthn', 'webauthn_script', scriptSrc, webauthnScriptIntegrity())] : []);
  /** A button calling webauthn.js's `trigger`; `onclick` only for browser flows. */
  const trigger = (flow: FlowRecord, name: string, fn: string, label: ReturnType<typeof messages.labelAddPasskey>, value?: string) =>
    input(GROUP, { name, type: 'button', ...(value !== undefined ? { value } : {}), onclickTrigger: fn, ...(flow.mode === 'browser' ? { onclick: `window.${fn}()` } : {}) }, label);
  const hidden = (name: string, value?: string, extra: { onloadTrigger?: string; onload?: string } = {}) => input(GROUP, { name, type: 'hidden', ...(value !== undefined ? { value } : {}), ...extra });

  /** The login form's passkey part (Kratos's populateLoginMethodForPasskeys). */
  function loginNodes({ flow, schema, values }: NodeContext): UiNode[] {
    const state = stateOf(flow);
    if (!state) return [];
    const options = JSON.stringify(loginOptions({ rp, policy: PASSKEY_POLICY, challenge: state.challenge }));
    const identifier =
      flow.screen === 'credentials'
        ? []
        : flow.refreshIdentifier
          ? [input('default', { name: 'identifier', type: 'hidden', value: flow.refreshIdentifier })]
          : [input('default', { name: 'identifier', type: 'text', value: typeof values.identifier === 'string' ? values.identifier : '', required: true, autocomplete: 'username webauthn' }, schema.identifierLabel())];
    const autocomplete = { onloadTrigger: 'oryPasskeyLoginAutocompleteInit', ...(flow.mode === 'browser' ? { onload: 'window.oryPasskeyLoginAutocompleteInit()' } : {}) };
    const button = flow.screen === 'identify' ? [] : [trigger(flow, 'passkey_login_trigger', 'oryPasskeyLogin', messages.labelSignInWithPasskey(), '')];
    return [...identifier, hidden('passkey_challenge', options), ...script(flow), hidden('passkey_login', undefined, autocomplete), ...button];
  }

  /** The verified key of a registration submit (the flow's challenge), or the flow failed. */
  async function registered(ctx: SubmitContext, field: string, state: PasskeyState | undefined) {
    const response = parseResponse(stringField(ctx.body, field) ?? '', 'registration');
    if (!state?.userHandle || !response) throw ctx.fail([messages.generic('Unable to parse WebAuthn response.')]);
    try {
      return await verifyRegistration({ response, challenge: state.challenge, rp, policy: PASSKEY_POLICY });
    } catch (error) {
      if (error instanceof CeremonyError) throw ctx.fail([messages.generic(`Unable to create WebAuthn credential: ${error.message}.`)]);
      throw error;
    }
  }

  return {
    id: GROUP,
    group: GROUP,

    flowState: (flow) =>
      flow.type === 'login' && !flow.requestedAal ? { challenge: newChallenge() } : flow.type === 'registration' ? { challenge: newChallenge(), userHandle: newUserHandle() } : undefined,

    takesUnnamedSubmit: (body) => ['passkey_login', 'passkey_register', 'passkey_settings_register', 'passkey_remove'].some((name) => routed(body, name)),

    login: {
      aal: 'aal1',
      nodes: loginNodes,

      async authenticate(ctx) {
        const { flow, body, fail } = ctx;
        const raw = stringField(body, 'passkey_login');
        // `method=passkey` alone: the form again, for the passkey (Kratos re-renders it).
        if (!raw) throw fail();
        const state = stateOf(flow);
        const response = parseResponse(raw, 'assertion');
        if (!state || !response) throw fail([messages.webauthnVerifierWrong()]);
        const handleBytes = Buffer.from(response.response.userHandle ?? '', 'base64url');
        const handle = handleBytes.toString('utf8');
        // Kratos's migration path: a handle no passkey holds may be a passwordless security key's (made by the
        // webauthn method); that key signs in here, its counter kept on the webauthn credential.
        let type: 'passkey' | 'webauthn' = 'passkey';
        let identityId = handle ? await deps.identities.findIdByCredential('passkey', handle) : undefined;
        if (!identityId && handleBytes.length > 0) {
          identityId = await deps.identities.findIdByCredential('webauthn_user_handle', handleBytes.toString('base64'));
          type = 'webauthn';
        }
        const stored = identityId ? await deps.identities.getWithCredentials(identityId) : undefined;
        const credential = stored?.factors?.[type];
        if (!stored || !credential) throw fail([messages.noWebAuthnUser()]);
        const keys = keysOf(credential).credentials;
        const key = keyNamed(keys.filter((k) => k.is_passwordless), response.rawId);
        if (!key) throw fail([messages.webauthnVerifierWrong()]);
        let result;
        try {
          result = await verifyAssertion({ response, challenge: state.challenge, rp, policy: PASSKEY_POLICY, key: verifiableKey(key) });
        } catch (error) {
          if (error instanceof CeremonyError) throw fail([messages.webauthnVerifierWrong()]);
          throw error;
        }
        // The signature counter (and clone warning) kept, in the login's own transaction.
        const updated = keys.map((k) => (k === key ? afterAssertion(k, result) : k));
        return { identity: stored, update: withFactor(stored, type, withKeys(credential, updated, credential.identifiers, ctx.now)) };
      },
    },

    registration: {
      nodes({ flow, schema }) {
        const state = stateOf(flow);
        const fields = schema.passkeyDisplayNameFields();
        // Kratos drops the method when the schema names no trait to call a passkey by.
        if (flow.screen === 'profile' || !state?.userHandle || fields.length === 0) return [];
        const createData = {
          credentialOptions: registrationOptions({ rp, policy: PASSKEY_POLICY, challenge: state.challenge, userId: Buffer.from(state.userHandle), userName: '', userDisplayName: '' }),
          displayNameFieldName: fields[0],
          displayNameFieldNames: fields,
        };
        return [
          hidden('passkey_create_data', JSON.stringify(createData)),
          trigger(flow, 'passkey_register_trigger', 'oryPasskeyRegistration', messages.labelSignUpWithPasskey()),
          ...script(flow),
          hidden('passkey_register'),
        ];
      },

      async register(ctx) {
        const { flow, body, fail, schema, now } = ctx;
        if (!routed(body, 'passkey_register')) throw fail([], { passkey_register: [messages.required('passkey_register')] });
        const sent = body.traits === undefined || body.traits === null ? undefined : body.traits;
        const traits = sent ?? flow.firstScreen?.traits ?? {};
        const bounds = traitLimitViolations(schema, traits);
        const { flowMessages, nodeMessages } = anyViolation(bounds) ? bounds : await traitMessages(schema, traits);
        if (flowMessages.length > 0 || Object.keys(nodeMessages).length > 0) throw fail(flowMessages, nodeMessages);
        const state = stateOf(flow);
        const key = await registered(ctx, 'passkey_register', state);
        const identity = newIdentity(schema, traits as Record<string, unknown>, now);
        const handle = state!.userHandle!;
        return { identity: withFactor(identity, 'passkey', withKeys(undefined, [storedKey(key, '', true, now)], [handle], now, Buffer.from(handle))) };
      },
    },

    settings: {
      readsCredentials: true,

      // A new challenge and user handle for each settings form (Kratos makes them when it renders one).
      prepare: async () => ({ challenge: newChallenge(), userHandle: newUserHandle() }),

      nodes({ flow, schema, account }) {
        const credential = account?.factors?.passkey;
        const keys = keysOf(credential).credentials;
        const canRemove = account ? firstFactorsOf(account) >= 2 : false;
        const removes = keys.map((key) =>
          input(GROUP, { name: 'passkey_remove', type: 'submit', value: hexIdOf(key), disabled: !canRemove }, messages.labelRemovePasskey(key.display_name || 'unnamed', new Date(key.added_at))),
        );
        const state = stateOf(flow);
        const userName = account ? schema.passkeyDisplayName(account.traits) : undefined;
        // No trait to name a passkey by: nothing to add with (Kratos says 4000009 on the flow).
        if (!state?.userHandle || !userName) return removes;
        const options = registrationOptions({
          rp,
          policy: PASSKEY_POLICY,
          challenge: state.challenge,
          userId: Buffer.from(state.userHandle),
          userName,
          userDisplayName: userName,
          exclude: keys.map((key) => ({ id: keyIdOf(key) })),
        });
        return [
          ...removes,
          ...script(flow),
          trigger(flow, 'passkey_register_trigger', 'oryPasskeySettingsRegistration', messages.labelAddPasskey()),
          hidden('passkey_settings_register'),
          hidden('passkey_create_data', JSON.stringify(options)),
        ];
      },

      async update(ctx) {
        const { body, identity, privileged, fail, now, schema } = ctx;
        if (!routed(body, 'passkey_remove') && !routed(body, 'passkey_settings_register')) throw fail([messages.noSettingsStrategy()]);
        if (!privileged) throw new SessionRefreshRequiredError();
        const credential = identity.factors?.passkey;
        const keys = keysOf(credential).credentials;
        const remove = stringField(body, 'passkey_remove');
        if (remove) {
          const kept = keys.filter((key) => hexIdOf(key) !== remove.toLowerCase());
          if (kept.length === keys.length) throw fail([messages.generic('You tried to remove a passkey which does not exist.')]);
          if (firstFactorsOf(identity) < 2) throw fail([messages.generic('unable to remove this security key because it would lock you out of your account')]);
          const next: Identity = withFactor(identity, 'passkey', kept.length ? withKeys(credential, kept, credential!.identifiers, now) : undefined);
          return { identity: next };
        }
        if (!schema.passkeyDisplayName(identity.traits)) throw fail([messages.identifierMissing()]);
        const state = stateOf(ctx.flow);
        const key = await registered(ctx, 'passkey_settings_register', state);
        if (keys.some((k) => keyIdOf(k).equals(key.id))) throw fail([messages.generic('this security key or passkey is already registered with your account')]);
        const handle = state!.userHandle!;
        const identifiers = [...new Set([...(credential?.identifiers ?? []), handle])];
        return {
          identity: withFactor(identity, 'passkey', withKeys(credential, [...keys, storedKey(key, '', true, now)], identifiers, now, Buffer.from(handle))),
          // Kratos adds the method to the session: the key was just used.
          factor: { method: GROUP, aal: 'aal1' },
        };
      },
    },
  };
}
