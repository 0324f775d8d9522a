/**
 * The oidc method (Kratos's `selfservice/strategy/oidc`): sign in and sign up with a provider. A browser's submit
 * (`provider=<id>`) keeps a `state`, a nonce and a PKCE verifier on its flow and is sent to the provider (303, or 422
 * `browser_location_change_required` for JSON); the provider sends it back to the callback (./callback.ts), which
 * finishes the flow. A native app's submit carries the provider's ID token (`id_token`, `id_token_nonce`: Google and
 * Apple, as Kratos), verified here, and signs in or registers at once. A registration whose mapper left required
 * traits out continues with a form for them (the flow's `active: oidc`), submitted back through the provider.
 */
import { randomBytes } from 'node:crypto';
import * as oauth from 'oauth4webapi';
import type { OidcConfig } from '../../config/oidc.js';
import { callbackUrlOf } from '../../config/oidc.js';
import { BrowserLocationChangeRequiredError, KratosError, SessionRefreshRequiredError } from '../../errors/index.js';
import { firstFactorsOf, withoutProviderLinks, withProviderLink } from '../../identity/model.js';
import { stringField } from '../../flows/common.js';
import type { OidcFlowState } from '../../flows/model.js';
import type { FlowRepository } from '../../flows/repository.js';
import type { LoginProof, Strategy, SubmitContext } from '../../flows/strategy.js';
import { input, traitNodes } from '../../flows/ui.js';
import type { IdentitySchema } from '../../identity/schema.js';
import { messages, type UiText } from '../../text/messages.js';
import { accountFor, type AccountDeps } from './accounts.js';
import type { Mapper } from './mapper.js';
import { ProviderError, UPSTREAM_PARAMETERS, type ProviderClient } from './provider.js';
import { isPlainObject as isObject } from '../../util/objects.js';

export const GROUP = 'oidc';

export interface OidcStrategyDeps extends AccountDeps {
  config: OidcConfig;
  providers: ReadonlyMap<string, ProviderClient>;
  mappers: ReadonlyMap<string, Mapper>;
  flows: Pick<FlowRepository, 'setOidcState'>;
}

const providerNode = (value: string, label: UiText) => input(GROUP, { name: 'provider', type: 'submit', value }, label);

/** `state` as sent: the flow's id and the random part kept on the flow, so the callback finds the flow from it alone. */
export const stateParameter = (flowId: string, random: string) => `${flowId}.${random}`;

export function oidcStrategy(deps: OidcStrategyDeps): Strategy {
  const providerOf = (ctx: SubmitContext): ProviderClient => {
    const id = stringField(ctx.body, 'provider');
    const provider = id ? deps.providers.get(id) : undefined;
    if (!provider) throw ctx.fail([messages.generic(id ? `Unable to find OpenID Connect provider "${id}".` : 'Property provider is missing.')]);
    return provider;
  };

  /** Sends the browser to the provider: what the callback checks is kept on the flow first. */
  async function startAt(provider: ProviderClient, ctx: SubmitContext, traits?: Record<string, unknown>): Promise<never> {
    const { flow } = ctx;
    // A native app goes to the provider through a browser only with a flow made for the code exchange.
    if (flow.mode !== 'browser' && !flow.exchangeCodeHash) {
      throw ctx.fail([messages.generic('A native app signs in with a provider by sending its id_token (and id_token_nonce), or through a browser with a flow made with return_session_token_exchange_code=true.')]);
    }
    const pkce = await provider.usesPkce();
    const codeVerifier = pkce ? oauth.generateRandomCodeVerifier() : undefined;
    const state: OidcFlowState = {
      provider: provider.config.id,
      state: randomBytes(24).toString('base64url'),
      nonce: randomBytes(24).toString('base64url'),
      ...(codeVerifier ? { codeVerifier } : {}),
      ...(traits ? { traits } : {}),
      // A login that is to link an account keeps that, whichever provider the user confirms with.
      ...(flow.oidc?.link ? { link: flow.oidc.link } : {}),
      startedAt: ctx.now.toISOString(),
    };
    const upstream: Record<string, string> = {};
    const sent = ctx.body.upstream_parameters;
    if (isObject(sent)) for (const name of UPSTREAM_PARAMETERS) if (typeof sent[name] === 'string') upstream[name] = sent[name] as string;
    const url = await provider.authorizationUrl({
      state: stateParameter(flow.id, state.state),
      nonce: state.nonce,
      redirectUri: callbackUrlOf(deps.config, provider.config.id),
      ...(codeVerifier ? { codeChallenge: await oauth.calculatePKCECodeChallenge(codeVerifier) } : {}),
      upstream,
    });
    await deps.flows.setOidcState(flow.id, state);
    throw new BrowserLocationChangeRequiredError(url);
  }

  /** A native app's ID token: the account it proves, or the flow failed with why. */
  async function nativeAccount(provider: ProviderClient, ctx: SubmitContext, schema: IdentitySchema, traits: Record<string, unknown> | undefined) {
    const idToken = stringField(ctx.body, 'id_token')!;
    const nonce = stringField(ctx.body, 'id_token_nonce');
    let claims;
    try {
      claims = await provider.verifyIdToken(idToken, nonce || undefined);
    } catch (error) {
      if (error instanceof ProviderError) throw new KratosError(403, { reason: `The id_token could not be verified: ${error.message}` });
      throw error;
    }
    const mapper = deps.mappers.get(provider.config.id)!;
    const account = await accountFor(deps, provider.config.id, claims, mapper, schema, traits, ctx.now);
    if ('missing' in account) throw ctx.fail(account.missing.flowMessages, account.missing.nodeMessages, { traits: account.missing.traits });
    return account;
  }

  const submittedTraits = (body: Record<string, unknown>) => (isObject(body.traits) ? body.traits : undefined);

  return {
    id: 'oidc',
    group: GROUP,
    // Kratos's 1010016 login: signed in to the account holding the provider account's identifier, the provider account is
    // linked to it in the login's own transaction; signed in to another account, the login is refused (4010009).
    async onLogin({ flow, identityId, now, fail }) {
      const link = flow.type === 'login' ? flow.oidc?.link : undefined;
      if (!link || !flow.oidc) return undefined;
      const stored = await deps.identities.getWithCredentials(identityId);
      if (!stored || !(stored.identifiers ?? []).includes(link.identifier)) throw fail([messages.linkedCredentialsMismatch()]);
      if (stored.oidc?.providers.some((l) => l.provider === flow.oidc!.provider)) return undefined;
      return { stored, next: withProviderLink(stored, { provider: flow.oidc.provider, subject: link.subject }, now) };
    },

    // The provider buttons (login, registration) and link/unlink (settings) send no method, as Kratos's forms.
    takesUnnamedSubmit: (body) => ['provider', 'link', 'unlink'].some((name) => typeof body[name] === 'string' && body[name] !== ''),

    login: {
      aal: 'aal1',
      nodes: () => [...deps.providers.values()].map((p) => providerNode(p.config.id, messages.labelSignInWith(p.label, p.config.id))),

      async authenticate(ctx): Promise<LoginProof> {
        const provider = providerOf(ctx);
        if (stringField(ctx.body, 'id_token')) {
          const account = await nativeAccount(provider, ctx, ctx.schema, undefined);
          if ('known' in account) return { identity: account.known, provider: provider.config.id };
          return { identity: account.created, provider: provider.config.id, register: true };
        }
        return startAt(provider, ctx);
      },
    },

    settings: {
      readsCredentials: true,

      // Kratos's settings nodes: `link` for each provider not linked; `unlink` for each linked one, unless it is the
      // identity's only way to sign in.
      nodes({ account }) {
        const linked = new Set((account?.oidc?.providers ?? []).map((link) => link.provider));
        const canUnlink = account ? firstFactorsOf(account) > 1 : false;
        return [...deps.providers.values()].flatMap((p) => {
          if (!linked.has(p.config.id)) return [input(GROUP, { name: 'link', type: 'submit', value: p.config.id }, messages.labelLink(p.label))];
          return canUnlink ? [input(GROUP, { name: 'unlink', type: 'submit', value: p.config.id }, messages.labelUnlink(p.label))] : [];
        });
      },

      async update(ctx) {
        const { body, identity, privileged } = ctx;
        // Linking and unlinking change how the account signs in: a recent sign-in first, as for a password.
        if (!privileged) throw new SessionRefreshRequiredError();
        const unlink = stringField(body, 'unlink');
        if (unlink) {
          const links = identity.oidc?.providers ?? [];
          if (!links.some((link) => link.provider === unlink)) throw ctx.fail([messages.generic(`The provider "${unlink}" is not linked to this account.`)]);
          if (firstFactorsOf(identity) <= 1) throw ctx.fail([messages.generic('The last way to sign in can not be unlinked: add a password or link another provider first.')]);
          return { identity: withoutProviderLinks(identity, (link) => link.provider === unlink, ctx.now) };
        }
        const link = stringField(body, 'link');
        const provider = link ? deps.providers.get(link) : undefined;
        if (!provider) throw ctx.fail([messages.generic(link ? `Unable to find OpenID Connect provider "${link}".` : 'Property link or unlink is missing.')]);
        if (identity.oidc?.providers.some((l) => l.provider === provider.config.id)) throw ctx.fail([messages.generic(`The provider "${link}" is linked already.`)]);
        return startAt(provider, ctx);
      },
    },

    registration: {
      nodes({ flow, schema, values }) {
        if (flow.active === GROUP && flow.oidc) {
          // The provider left required traits out: a form for them, pre-filled, continued with the same provider.
          const traits = values.traits ?? flow.oidc.traits;
          return [...traitNodes(schema, traits, 'default'), providerNode(flow.oidc.provider, messages.labelRegistrationContinue())];
        }
        return [...deps.providers.values()].map((p) => providerNode(p.config.id, messages.labelSignUpWith(p.label, p.config.id)));
      },

      async register(ctx) {
        const provider = providerOf(ctx);
        const traits = submittedTraits(ctx.body);
        if (stringField(ctx.body, 'id_token')) {
          const account = await nativeAccount(provider, ctx, ctx.schema, traits);
          if ('known' in account) return { identity: account.known, provider: provider.config.id, login: true };
          return { identity: account.created, provider: provider.config.id };
        }
        return startAt(provider, ctx, traits);
      },
    },
  };
}

