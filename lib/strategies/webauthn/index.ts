/**
 * The webauthn method (Kratos's `selfservice/strategy/webauthn`): security keys, added with a name and removed in
 * settings; with `passwordless: true` they also sign up and sign in alone (aal1: the identifier, then the key);
 * otherwise they are a second factor (aal2: a login asking for it offers the signed-in identity's keys). Each flow has a
 * challenge kept on it (`flow.internal.webauthn`: made with a login or registration flow, for a second-factor login
 * with the keys it allows, prepared for a settings flow and renewed after each change); a ceremony verifies only
 * against its own flow's. Keys are stored in Kratos's `webauthn` credential, its identifier
 * the identity's `webauthn.identifier` trait (claimed once), its user handle the identity id's bytes (settings) or a
 * random UUID's (registration), as Kratos makes them. Options as Kratos's: user verification discouraged, 120 s.
 *
 * Submits are routed on a non-empty `webauthn_login`, `webauthn_register` or `webauthn_remove`, with or without
 * `method=webauthn` (webauthn.js submits the form natively, without the button).
 */
import { randomUUID } from 'node:crypto';
import type { RelyingParty } from '../../config/webauthn.js';
import { SessionRefreshRequiredError } from '../../errors/index.js';
import { stringField, traitMessages } from '../../flows/common.js';
import type { FlowRecord, UiNode } from '../../flows/model.js';
import type { NodeContext, Strategy, SubmitContext } from '../../flows/strategy.js';
import { input, scriptNode, submitNode } from '../../flows/ui.js';
import { firstFactorsOf, withFactor, type FactorCredential, type Identity } from '../../identity/model.js';
import { anyViolation, traitLimitViolations } from '../../identity/limits.js';
import { newIdentity } from '../../identity/new-identity.js';
import type { IdentityRepository } from '../../identity/repository.js';
import { messages } from '../../text/messages.js';
import { CeremonyError, loginOptions, newChallenge, parseResponse, registrationOptions, verifyAssertion, verifyRegistration, WEBAUTHN_POLICY } from '../../webauthn/ceremony.js';
import { afterAssertion, hexIdOf, keyIdOf, keyNamed, keysOf, storedKey, verifiableKey, withKeys, type StoredKey } from '../../webauthn/credentials.js';
import { webauthnScriptIntegrity, WEBAUTHN_SCRIPT_PATH } from '../../webauthn/script.js';

const GROUP = 'webauthn';

export interface WebAuthnStrategyDeps {
  rp: RelyingParty;
  /** `selfservice.methods.webauthn.config.passwordless`. */
  passwordless: boolean;
  publicBaseUrl: string;
  identities: Pick<IdentityRepository, 'findIdByCredential' | 'getWithCredentials'>;
}

interface WebAuthnState {
  challenge: string;
  /** A second-factor login: the signed-in identity's keys (ids, base64url) and its webauthn identifier. */
  allow?: string[];
  identifier?: string;
  /** Registration: the user handle a new key is made with (a random UUID's bytes, base64url). */
  userHandle?: string;
}

const stateOf = (flow: FlowRecord): WebAuthnState | undefined => flow.internal?.[GROUP] as WebAuthnState | undefined;
const uuidBytes = (uuid: string) => Buffer.from(uuid.replace(/-/g, ''), 'hex');
const routed = (body: Record<string, unknown>, name: string) => {
  const value = stringField(body, name);
  return value !== undefined && value !== '';
};

export function webauthnStrategy(deps: WebAuthnStrategyDeps): Strategy {
  const { rp, passwordless } = deps;
  const scriptSrc = `${deps.publicBaseUrl}${WEBAUTHN_SCRIPT_PATH}`;
  const script = (flow: FlowRecord): UiNode[] => (flow.mode === 'browser' ? [scriptNode(GROUP, 'webauthn_script', scriptSrc, webauthnScriptIntegrity())] : []);
  /** Kratos's webauthn trigger: its value is the options JSON, its `onclick` passes them (browser flows only). */
  const trigger = (flow: FlowRecord, name: string, fn: string, options: string, label: ReturnType<typeof messages.labelAddSecurityKey>) =>
    input(GROUP, { name, type: 'button', value: options, onclickTrigger: fn, ...(flow.mode === 'browser' ? { onclick: `window.${fn}(${options})` } : {}) }, label);
  const hidden = (name: string, value?: string) => input(GROUP, { name, type: 'hidden', ...(value !== undefined ? { value } : {}) });
  /** Kratos names the WebAuthn user after the relying party (both names). */
  const creation = (challenge: string, userId: Buffer, exclude: StoredKey[]) =>
    JSON.stringify(registrationOptions({ rp, policy: WEBAUTHN_POLICY, challenge, userId, userName: rp.displayName, userDisplayName: rp.displayName, exclude: exclude.map((k) => ({ id: keyIdOf(k) })) }));

  async function registered(ctx: SubmitContext, state: WebAuthnState | undefined) {
    const response = parseResponse(stringField(ctx.body, 'webauthn_register') ?? '', 'registration');
    if (!state || !response) throw ctx.fail([messages.generic('Unable to parse WebAuthn response.')]);
    try {
      return await verifyRegistration({ response, challenge: state.challenge, rp, policy: WEBAUTHN_POLICY });
    } catch (error) {
      if (error instanceof CeremonyError) throw ctx.fail([messages.generic(`Unable to create WebAuthn credential: ${error.message}.`)]);
      throw error;
    }
  }

  /** The identity a passwordless identifier names, with its passwordless keys; none: undefined. */
  async function passwordlessKeysOf(identifier: string) {
    const id = identifier ? await deps.identities.findIdByCredential('webauthn', identifier.trim().toLowerCase()) : undefined;
    const stored = id ? await deps.identities.getWithCredentials(id) : undefined;
    const credential = stored?.factors?.webauthn;
    const keys = keysOf(credential).credentials.filter((k) => k.is_passwordless);
    return stored && credential && keys.length ? { stored, credential, keys } : undefined;
  }

  /** Passwordless sign-in (Kratos's two steps): the identifier, then the key. */
  function loginNodes({ flow, schema, values }: NodeContext): UiNode[] {
    const state = stateOf(flow);
    if (!state || flow.screen === 'identify') return [];
    const identifier = typeof values.identifier === 'string' ? values.identifier : '';
    const options = typeof values.webauthn_options === 'string' ? values.webauthn_options : undefined;
    if (!options) {
      return [
        input('default', { name: 'identifier', type: 'text', value: identifier, required: true, autocomplete: 'username webauthn' }, schema.identifierLabel()),
        submitNode(GROUP, 'webauthn', messages.labelSignInWithSecurityKey()),
      ];
    }
    return [
      input('default', { name: 'identifier', type: 'hidden', value: identifier }),
      trigger(flow, 'webauthn_login_trigger', 'oryWebAuthnLogin', options, messages.labelLoginContinue()),
      hidden('webauthn_login'),
      ...script(flow),
    ];
  }

  const registration: Strategy['registration'] = passwordless
    ? {
        nodes({ flow }) {
          const state = stateOf(flow);
          if (flow.screen === 'profile' || !state?.userHandle) return [];
          const options = creation(state.challenge, Buffer.from(state.userHandle, 'base64url'), []);
          return [trigger(flow, 'webauthn_register_trigger', 'oryWebAuthnRegistration', options, messages.labelSignUpWithSecurityKey()), hidden('webauthn_register'), ...script(flow)];
        },

        async register(ctx) {
          const { flow, body, fail, schema, now } = ctx;
          if (!routed(body, 'webauthn_register')) throw fail([], { webauthn_register: [messages.required('webauthn_register')] });
          const sent = body.traits === undefined || body.traits === null ? undefined : body.traits;
          const traits = (sent ?? flow.firstScreen?.traits ?? {}) as Record<string, unknown>;
          const bounds = traitLimitViolations(schema, traits);
          const { flowMessages, nodeMessages } = anyViolation(bounds) ? bounds : await traitMessages(schema, traits);
          if (flowMessages.length > 0 || Object.keys(nodeMessages).length > 0) throw fail(flowMessages, nodeMessages);
          const identifier = schema.webauthnIdentifier(traits);
          if (!identifier) throw fail([messages.identifierMissing()]);
          const state = stateOf(flow);
          const key = await registered(ctx, state);
          const handle = Buffer.from(state!.userHandle!, 'base64url');
          return { identity: withFactor(newIdentity(schema, traits, now), 'webauthn', withKeys(undefined, [storedKey(key, '', true, now)], [identifier], now, handle)) };
        },
      }
    : undefined;

  const login: NonNullable<Strategy['login']> = passwordless
    ? {
        aal: 'aal1',
        nodes: loginNodes,

        async authenticate(ctx) {
          const { flow, body, fail, now } = ctx;
          const identifier = stringField(body, 'identifier') ?? '';
          const raw = stringField(body, 'webauthn_login');
          const found = await passwordlessKeysOf(identifier);
          if (!raw) {
            // Step one: the identifier taken, the form asks for the key (Kratos's 1010012), with that account's keys allowed.
            if (!identifier) throw fail([], { identifier: [messages.required('identifier')] });
            if (!found) throw fail([messages.noWebAuthnUser()]);
            const state = stateOf(flow);
            if (!state) throw fail([messages.webauthnVerifierWrong()]);
            const options = JSON.stringify(loginOptions({ rp, policy: WEBAUTHN_POLICY, challenge: state.challenge, allow: found.keys.map((k) => ({ id: keyIdOf(k) })) }));
            throw fail([messages.webauthnPasswordlessPrompt()], {}, { identifier, webauthn_options: options });
          }
          if (!found) throw fail([messages.noWebAuthnUser()]);
          const response = parseResponse(raw, 'assertion');
          const state = stateOf(flow);
          const key = response ? keyNamed(found.keys, response.rawId) : undefined;
          if (!state || !response || !key) throw fail([messages.webauthnVerifierWrong()], {}, { identifier });
          let result;
          try {
            result = await verifyAssertion({ response, challenge: state.challenge, rp, policy: WEBAUTHN_POLICY, key: verifiableKey(key) });
          } catch (error) {
            if (error instanceof CeremonyError) throw fail([messages.webauthnVerifierWrong()], {}, { identifier });
            throw error;
          }
          const all = keysOf(found.credential).credentials.map((k) => (keyIdOf(k).equals(keyIdOf(key)) ? afterAssertion(k, result) : k));
          return { identity: found.stored, update: withFactor(found.stored, 'webauthn', withKeys(found.credential, all, found.credential.identifiers, now)) };
        },
      }
    : {
        // A second factor: the signed-in identity's keys that are not passwordless (Kratos's ToWebAuthnFiltered(aal2)).
        aal: 'aal2',

        secondFactor(identity) {
          const keys = keysOf(identity.factors?.webauthn).credentials.filter((k) => !k.is_passwordless);
          if (keys.length === 0) return undefined;
          return { challenge: newChallenge(), allow: keys.map((k) => keyIdOf(k).toString('base64url')), identifier: identity.factors?.webauthn?.identifiers[0] ?? '' };
        },

        nodes({ flow }) {
          const state = stateOf(flow);
          if (!state?.allow) return [];
          const options = JSON.stringify(loginOptions({ rp, policy: WEBAUTHN_POLICY, challenge: state.challenge, allow: state.allow.map((id) => ({ id: Buffer.from(id, 'base64url') })) }));
          return [
            input('default', { name: 'identifier', type: 'hidden', value: state.identifier ?? '' }),
            trigger(flow, 'webauthn_login_trigger', 'oryWebAuthnLogin', options, messages.labelSignInWithSecurityKey()),
            hidden('webauthn_login'),
            ...script(flow),
          ];
        },

        async authenticate({ flow, body, fail, now, account }) {
          const state = stateOf(flow);
          const credential = account?.factors?.webauthn;
          const keys = keysOf(credential).credentials.filter((k) => !k.is_passwordless);
          if (!account || !credential || keys.length === 0) throw fail([messages.noWebAuthnDevice()]);
          const response = parseResponse(stringField(body, 'webauthn_login') ?? '', 'assertion');
          const key = response ? keyNamed(keys, response.rawId) : undefined;
          if (!state || !response || !key) throw fail([messages.webauthnVerifierWrong()]);
          let result;
          try {
            result = await verifyAssertion({ response, challenge: state.challenge, rp, policy: WEBAUTHN_POLICY, key: verifiableKey(key) });
          } catch (error) {
            if (error instanceof CeremonyError) throw fail([messages.webauthnVerifierWrong()]);
            throw error;
          }
          const all = keysOf(credential).credentials.map((k) => (keyIdOf(k).equals(keyIdOf(key)) ? afterAssertion(k, result) : k));
          return { identity: account, update: withFactor(account, 'webauthn', withKeys(credential, all, credential.identifiers, now)) };
        },
      };

  return {
    id: GROUP,
    group: GROUP,

    flowState: (flow) =>
      flow.type === 'registration'
        ? { challenge: newChallenge(), userHandle: uuidBytes(randomUUID()).toString('base64url') }
        : flow.type === 'login' && passwordless && !flow.requestedAal
          ? { challenge: newChallenge() }
          : undefined,

    takesUnnamedSubmit: (body) => ['webauthn_login', 'webauthn_register', 'webauthn_remove'].some((name) => routed(body, name)),

    login,
    ...(registration ? { registration } : {}),

    settings: {
      readsCredentials: true,

      // A new challenge for each settings form (Kratos makes one when it renders it).
      prepare: async () => ({ challenge: newChallenge() }),

      nodes({ flow, account }) {
        const keys = keysOf(account?.factors?.webauthn).credentials;
        const firstFactors = account ? firstFactorsOf(account) : 0;
        const removes = keys.map((key) =>
          input(
            GROUP,
            // A passwordless key that is the last way to sign in stays (Kratos disables its button).
            { name: 'webauthn_remove', type: 'submit', value: hexIdOf(key), disabled: key.is_passwordless && firstFactors < 2 },
            messages.labelRemoveSecurityKey(key.display_name || 'unnamed', new Date(key.added_at)),
          ),
        );
        const state = stateOf(flow);
        if (!state || !flow.identityId) return removes;
        const options = creation(state.challenge, uuidBytes(flow.identityId), keys);
        return [
          ...removes,
          input(GROUP, { name: 'webauthn_register_displayname', type: 'text', value: '' }, messages.labelSecurityKeyName()),
          trigger(flow, 'webauthn_register_trigger', 'oryWebAuthnRegistration', options, messages.labelAddSecurityKey()),
          hidden('webauthn_register'),
          ...script(flow),
        ];
      },

      async update(ctx) {
        const { body, identity, privileged, fail, now, schema } = ctx;
        if (!routed(body, 'webauthn_remove') && !routed(body, 'webauthn_register')) throw fail([messages.noSettingsStrategy()]);
        if (!privileged) throw new SessionRefreshRequiredError();
        const credential = identity.factors?.webauthn;
        const keys = keysOf(credential).credentials;
        const remove = stringField(body, 'webauthn_remove');
        if (remove) {
          const key = keys.find((k) => hexIdOf(k) === remove.toLowerCase());
          if (!key) throw fail([messages.generic('You tried to remove a WebAuthn credential which does not exist.')]);
          if (key.is_passwordless && firstFactorsOf(identity) < 2) throw fail([messages.generic('unable to remove this security key because it would lock you out of your account')]);
          const kept = keys.filter((k) => k !== key);
          return { identity: withFactor(identity, 'webauthn', kept.length ? withKeys(credential, kept, credential!.identifiers, now) : undefined) };
        }
        const displayName = (stringField(body, 'webauthn_register_displayname') ?? '').trim();
        const values = { webauthn_register_displayname: displayName };
        if (!displayName) throw fail([], { webauthn_register_displayname: [messages.required('webauthn_register_displayname')] }, values);
        const identifier = schema.webauthnIdentifier(identity.traits);
        if (!identifier) throw fail([messages.identifierMissing()], {}, values);
        const key = await registered(ctx, stateOf(ctx.flow));
        if (keys.some((k) => keyIdOf(k).equals(key.id))) throw fail([messages.generic('this security key or passkey is already registered with your account')], {}, values);
        const next: FactorCredential = withKeys(credential, [...keys, storedKey(key, displayName, passwordless, now)], [identifier], now, uuidBytes(identity.id));
        const changed: Identity = withFactor(identity, 'webauthn', next);
        // Kratos adds the method to the session (aal2 for a second factor: the session steps up).
        return { identity: changed, factor: { method: GROUP, aal: passwordless ? 'aal1' : 'aal2' } };
      },
    },
  };
}
