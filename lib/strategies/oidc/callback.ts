/**
 * `GET|POST /self-service/methods/oidc/callback/{provider}`: where a provider sends the browser back. The `state` names
 * the flow; the flow must hold that state for that provider, be open, and belong to this browser (its anti-CSRF cookie
 * is the one the flow was made with: what Kratos's continuity cookie proves). Then the code is exchanged and the ID
 * token verified (./provider.ts), and the flow finishes: a known provider account signs in; a new one registers (a
 * login flow switching to registration, as Kratos); required traits the mapper left out continue on a registration
 * form; an identifier another account holds is never linked by itself: the browser is sent to sign in to that account.
 */
import { callbackUrlOf, type OidcConfig } from '../../config/oidc.js';
import { BadRequestError, DuplicateIdentifierError, KratosError, NotFoundError } from '../../errors/index.js';
import { redirectAnswer, withQuery, type FlowAnswer } from '../../flows/answer.js';
import { flowUiUrl, forwardToErrorUi } from '../../flows/browser.js';
import { createFlow, schemaOf, type FlowDeps, type FlowRequest } from '../../flows/common.js';
import { verifyCsrfToken } from '../../flows/csrf.js';
import type { LoginFlows } from '../../flows/login.js';
import { isExpired, type FlowRecord } from '../../flows/model.js';
import type { RegistrationFlows } from '../../flows/registration.js';
import type { SettingsFlows } from '../../flows/settings.js';
import type { TokenCipher } from '../../identity/cipher.js';
import { oidcIdentifier, withProviderLink, type Identity, type OidcLink } from '../../identity/model.js';
import { exchangeCodeHash, newReturnToCode, sealSessionToken } from '../../session/token-exchange.js';
import { messages, type UiText } from '../../text/messages.js';
import { events } from '../../tracing/events.js';
import { recordFailure } from '../../tracing/span.js';
import { sameString } from '../../util/constant-time.js';
import { canonicalUuid } from '../../util/ids.js';
import { accountFor, type AccountDeps } from './accounts.js';
import { GROUP } from './index.js';
import type { Mapper } from './mapper.js';
import { ProviderError, type Claims, type ProviderClient, type ProviderTokens } from './provider.js';

export interface OidcCallbackDeps extends AccountDeps {
  flowDeps: FlowDeps;
  config: OidcConfig;
  providers: ReadonlyMap<string, ProviderClient>;
  mappers: ReadonlyMap<string, Mapper>;
  login: Pick<LoginFlows, 'completeWith'>;
  registration: Pick<RegistrationFlows, 'completeWith'>;
  settings: Pick<SettingsFlows, 'completeWith'>;
  loginLifespanMs: number;
  registrationLifespanMs: number;
  /** SECRETS_CIPHER's cipher: the provider's tokens are kept encrypted with it; none are kept without one. */
  tokenCipher?: TokenCipher;
  /** The server secrets a native app's session token is sealed with until it exchanges its codes. */
  exchangeSecrets: readonly string[];
}

/** Kratos's words for a provider's own refusal (`oidc/strategy.go`). */
const providerRefused = (error: string, description: string | null) =>
  `Unable to complete OpenID Connect flow because the OpenID Provider returned error "${error}": ${description ?? ''}`.trim();

export function createOidcCallback(deps: OidcCallbackDeps) {
  const { flowDeps } = deps;

  /** The flow a callback names, checked: held state, provider, openness, and this browser. */
  async function checkedFlow(providerId: string, state: string | null, request: FlowRequest, now: Date): Promise<FlowRecord> {
    const [rawId, random] = (state ?? '').split('.', 2);
    const flowId = canonicalUuid(rawId);
    if (!flowId || !random) throw new BadRequestError('The OpenID Connect callback carried no valid state.');
    const flow = await flowDeps.flows.get(flowId);
    if (!flow || (flow.type !== 'login' && flow.type !== 'registration' && flow.type !== 'settings') || !flow.oidc?.state) {
      throw new BadRequestError('The OpenID Connect callback carried no valid state.');
    }
    if (!sameString(flow.oidc.state, random)) throw new BadRequestError('The OpenID Connect callback carried no valid state.');
    if (flow.oidc.provider !== providerId) throw new BadRequestError(`The OpenID Connect callback came from provider "${providerId}", but the flow was started with "${flow.oidc.provider}".`);
    // A browser flow is this browser's; an API flow's browser is the native app's, bound by the state alone (as Kratos).
    if (flow.mode === 'browser' && !verifyCsrfToken(request.browser.csrfCookie, flow.csrfToken)) {
      throw new BadRequestError('The OpenID Connect flow was started in another browser (or its cookies were lost). Please start again.');
    }
    // Login and registration are single use; a settings flow takes one change after another (its state is spent below).
    if (flow.type !== 'settings' && flow.state !== 'choose_method') throw new BadRequestError('The flow was completed already. Please start again.');
    if (isExpired(flow, now)) throw new BadRequestError(`The ${flow.type} flow expired. Please start again.`);
    return flow;
  }

  /** The flow failed with a message its UI shows (a browser's), or as JSON. */
  async function failFlow(flow: FlowRecord, message: UiText, reason: string): Promise<FlowAnswer> {
    recordFailure('OpenIDConnectError', reason);
    if (flow.type === 'login') events.loginFailed({ flowId: flow.id, flowType: flow.mode, method: GROUP, refresh: flow.refresh ?? false, reason });
    else if (flow.type === 'settings') events.settingsFailed({ flowId: flow.id, flowType: flow.mode, method: GROUP, reason, identityId: flow.identityId });
    else events.registrationFailed(flow.id, flow.mode, GROUP, reason);
    await flowDeps.flows.saveUi(flow.id, { values: {}, messages: [message], nodeMessages: {} });
    // This state answered once: another answer carrying it (a second code) is not taken; the user starts again.
    if (flow.oidc?.state) await flowDeps.flows.setOidcState(flow.id, { ...flow.oidc, state: '' });
    return redirectAnswer(flowUiUrl(flowDeps, flow.type, flow.id));
  }

  /** A new browser flow of `type` following `flow`: the same browser (its anti-CSRF token) and the same return_to. */
  const followUp = (type: 'login' | 'registration', flow: FlowRecord, now: Date) =>
    createFlow(flowDeps, type, 'browser', type === 'login' ? deps.loginLifespanMs : deps.registrationLifespanMs, { requestUrl: flow.requestUrl }, now, {
      ...(flow.returnTo ? { returnTo: flow.returnTo } : {}),
      ...(flow.csrfToken ? { csrfToken: flow.csrfToken } : {}),
    });

  /**
   * The e-mail (or another identifier) is another account's: a new login flow says so (Kratos's 1010016), for the
   * user to sign in to that account with what it has.
   */
  async function offerLink(flow: FlowRecord, identity: Identity, provider: ProviderClient, subject: string, now: Date): Promise<FlowAnswer> {
    const duplicate = identity.identifiers?.[0] ?? '';
    const login = await followUp('login', flow, now);
    const url = flowUiUrl(flowDeps, 'login', login.id);
    // Signing in here to the account that holds the identifier links the provider account to it (./index.ts, onLogin).
    await flowDeps.flows.setOidcState(login.id, { provider: provider.config.id, state: '', nonce: '', link: { subject, identifier: duplicate }, startedAt: now.toISOString() });
    await flowDeps.flows.saveUi(login.id, {
      values: { identifier: duplicate },
      messages: [messages.loginToLink(duplicate, provider.label, url, [], [])],
      nodeMessages: {},
    });
    events.registrationFailed(flow.id, flow.mode, GROUP, 'An account with the same identifier exists already.');
    return redirectAnswer(url);
  }

  /** Settings: the provider account linked to the signed-in identity, unless another identity holds it. */
  async function linkTo(flow: FlowRecord, providerId: string, subject: string, tokens: OidcLink['tokens'] | undefined, request: FlowRequest, now: Date): Promise<FlowAnswer> {
    const holder = await deps.identities.findIdByCredential('oidc', oidcIdentifier(providerId, subject));
    return deps.settings.completeWith(
      flow,
      GROUP,
      (identity, fail) => {
        if (holder && holder !== identity.id) throw fail([messages.generic('This account at the provider is linked to another identity already.')]);
        if (identity.oidc?.providers.some((link) => link.provider === providerId)) throw fail([messages.generic(`The provider "${providerId}" is linked already.`)]);
        return withProviderLink(identity, { provider: providerId, subject, ...(tokens ? { tokens } : {}) }, now);
      },
      request,
      now,
    );
  }

  return {
    /**
     * The callback's GET (a POST, Apple's form_post, is first turned into this GET by its handler: a cross-site POST
     * carries no SameSite=Lax cookie, the GET that follows does).
     */
    async handle(providerId: string, params: URLSearchParams, request: FlowRequest, now: Date): Promise<FlowAnswer> {
      const provider = deps.providers.get(providerId);
      if (!provider) throw new NotFoundError();
      let flow: FlowRecord;
      try {
        flow = await checkedFlow(providerId, params.get('state'), request, now);
      } catch (error) {
        if (error instanceof KratosError) {
          recordFailure('OpenIDConnectError', error.reason ?? error.message);
          return forwardToErrorUi(flowDeps, error, now);
        }
        throw error;
      }
      const oidc = flow.oidc!;
      // A settings flow outlives this callback: its state is spent now, so the same answer cannot link twice.
      if (flow.type === 'settings') {
        flow = { ...flow, oidc: { ...oidc, state: '' } };
        await flowDeps.flows.setOidcState(flow.id, flow.oidc!);
      }
      const providerError = params.get('error');
      if (providerError) {
        const reason = providerRefused(providerError, params.get('error_description'));
        return failFlow(flow, messages.generic(reason), reason);
      }
      if (!params.get('code')) return failFlow(flow, messages.generic('The OpenID Connect callback carried no code.'), 'no code');

      let exchanged;
      try {
        exchanged = await provider.exchange(params, {
          state: params.get('state')!,
          redirectUri: callbackUrlOf(deps.config, providerId),
          nonce: oidc.nonce,
          ...(oidc.codeVerifier ? { codeVerifier: oidc.codeVerifier } : {}),
          ...(deps.config.clientSecrets[providerId] ? { clientSecret: deps.config.clientSecrets[providerId] } : {}),
        });
      } catch (error) {
        if (!(error instanceof ProviderError)) throw error;
        if (error.status === 400) return failFlow(flow, messages.generic(error.message), error.message);
        recordFailure('OpenIDConnectError', error.message);
        return forwardToErrorUi(flowDeps, new KratosError(502, { reason: error.message }), now);
      }

      const { claims } = exchanged;
      const tokens = sealedTokens(exchanged.tokens);
      if (flow.type === 'settings') return linkTo(flow, providerId, claims.sub, tokens, request, now);
      if (flow.mode === 'api') {
        try {
          return await forTheApp(flow, await finish(flow, provider, claims, tokens, request, now), now);
        } catch (error) {
          if (error instanceof KratosError) return forwardToErrorUi(flowDeps, error, now);
          throw error;
        }
      }
      return finish(flow, provider, claims, tokens, request, now);
    },
  };

  /** The provider's tokens, encrypted with SECRETS_CIPHER to be kept on the link; none kept without it. */
  function sealedTokens(tokens: ProviderTokens): OidcLink['tokens'] | undefined {
    const cipher = deps.tokenCipher;
    if (!cipher) return undefined;
    const sealed: NonNullable<OidcLink['tokens']> = {};
    if (tokens.idToken) sealed.idToken = cipher.encrypt(tokens.idToken);
    if (tokens.accessToken) sealed.accessToken = cipher.encrypt(tokens.accessToken);
    if (tokens.refreshToken) sealed.refreshToken = cipher.encrypt(tokens.refreshToken);
    return sealed;
  }

  /** Login or registration finished with the provider's verified claims. */
  async function finish(flow: FlowRecord, provider: ProviderClient, claims: Claims, tokens: OidcLink['tokens'] | undefined, request: FlowRequest, now: Date): Promise<FlowAnswer> {
    const providerId = provider.config.id;
    const oidc = flow.oidc!;
    const schema = schemaOf(flowDeps, flow);
    const account = await accountFor(deps, providerId, claims, deps.mappers.get(providerId)!, schema, oidc.traits, now, tokens);
    const used = { method: GROUP, provider: providerId };
    if ('known' in account) return deps.login.completeWith(flow, { identity: account.known, provider: providerId }, { ...used, aal: 'aal1' }, request, now);
    if ('missing' in account) {
      // A native app's flow has no form to show: it is told what is missing.
      if (flow.mode === 'api') {
        const missing = Object.keys(account.missing.nodeMessages).join(', ') || account.missing.flowMessages.map((m) => m.text).join(' ');
        throw new BadRequestError(`The provider did not give what registration needs: ${missing}.`);
      }
      // The form for what is missing, pre-filled; its submit goes through the provider again.
      // A login that found no account continues on a registration flow; a registration on itself.
      const registration = flow.type === 'registration' ? flow : await followUp('registration', flow, now);
      await flowDeps.flows.setOidcState(registration.id, { provider: providerId, state: '', nonce: '', traits: account.missing.traits, startedAt: now.toISOString() }, GROUP);
      await flowDeps.flows.saveUi(registration.id, { values: { traits: account.missing.traits }, messages: account.missing.flowMessages, nodeMessages: account.missing.nodeMessages });
      return redirectAnswer(flowUiUrl(flowDeps, 'registration', registration.id));
    }
    const taken = () => new DuplicateIdentifierError();
    try {
      return await deps.registration.completeWith(flow, account.created, used, request, now, taken);
    } catch (error) {
      if (!(error instanceof DuplicateIdentifierError)) throw error;
      // A native app's flow has no login page to offer: it is told, as Kratos's API flows are (4000027).
      if (flow.mode === 'api') throw new BadRequestError(messages.duplicateCredentialsOnOidcLink().text);
      return offerLink(flow, account.created, provider, claims.sub, now);
    }
  }

  /**
   * An API flow's sign-in done in the native app's browser: its session token waits on the flow, sealed, and the
   * browser goes to the app's `return_to` with the code that, with the flow's init code, exchanges it.
   */
  async function forTheApp(flow: FlowRecord, answer: FlowAnswer, now: Date): Promise<FlowAnswer> {
    const token = (answer.body as { session_token?: unknown } | undefined)?.session_token;
    if (answer.status !== 200 || typeof token !== 'string') {
      throw new KratosError(400, { reason: 'The sign-in made no session to exchange (a registration needs the session hook among its after hooks for oidc).' });
    }
    const code = newReturnToCode();
    await flowDeps.flows.setOidcState(flow.id, { ...flow.oidc!, state: '', exchange: { returnToCodeHash: exchangeCodeHash(code), sealedToken: sealSessionToken(deps.exchangeSecrets, token) } });
    return redirectAnswer(withQuery(flow.returnTo ?? flowDeps.browser.defaultReturnUrl, { code }));
  }
}
export type OidcCallback = ReturnType<typeof createOidcCallback>;
