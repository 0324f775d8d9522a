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
import { BrowserLocationChangeRequiredError, KratosError } from '../../errors/index.js';
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

export const GROUP = 'oidc';

export interface OidcStrategyDeps extends AccountDeps {
  config: OidcConfig;
  providers: ReadonlyMap<string, ProviderClient>;
  mappers: ReadonlyMap<string, Mapper>;
  flows: Pick<FlowRepository, 'setOidcState'>;
}

const providerNode = (value: string, label: UiText) => input(GROUP, { name: 'provider', type: 'submit', value }, label);

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

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
    if (flow.mode !== 'browser') {
      throw ctx.fail([messages.generic('A native app signs in with a provider by sending its id_token (and id_token_nonce); the provider\'s redirect serves browser flows.')]);
    }
    const pkce = await provider.usesPkce();
    const codeVerifier = pkce ? oauth.generateRandomCodeVerifier() : undefined;
    const state: OidcFlowState = {
      provider: provider.config.id,
      state: randomBytes(24).toString('base64url'),
      nonce: randomBytes(24).toString('base64url'),
      ...(codeVerifier ? { codeVerifier } : {}),
      ...(traits ? { traits } : {}),
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

  const labelOf = (provider: ProviderClient) => provider.label;
  const submittedTraits = (body: Record<string, unknown>) => (isObject(body.traits) ? body.traits : undefined);

  return {
    id: 'oidc',
    group: GROUP,
    takesUnnamedSubmit: (body) => typeof body.provider === 'string' && body.provider !== '',

    login: {
      aal: 'aal1',
      nodes: () => [...deps.providers.values()].map((p) => providerNode(p.config.id, messages.labelSignInWith(labelOf(p), p.config.id))),

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

    registration: {
      nodes({ flow, schema, values }) {
        if (flow.active === GROUP && flow.oidc) {
          // The provider left required traits out: a form for them, pre-filled, continued with the same provider.
          const traits = values.traits ?? flow.oidc.traits;
          return [...traitNodes(schema, traits, 'default'), providerNode(flow.oidc.provider, messages.labelRegistrationContinue())];
        }
        return [...deps.providers.values()].map((p) => providerNode(p.config.id, messages.labelSignUpWith(labelOf(p), p.config.id)));
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

