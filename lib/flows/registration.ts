/**
 * The registration flow, for native apps and browsers, in one screen or two (`profile_first`: the traits, then the
 * credential). It names no method: the form shows every enabled registration strategy's nodes for the screen the
 * flow is on, a submit goes to the one its `method` names (or that claims it), which either moves the flow to its
 * other screen or makes an identity; the identity is stored
 * with whatever the after hooks add (Kratos's `session` hook: its first session; the verifier: a verification flow
 * and its code) and the flow's single use, in one transaction: concurrent registrations of one identifier yield one
 * identity.
 */
import { BadRequestError, BrowserLocationChangeRequiredError, DuplicateIdentifierError, FlowAlreadyUsedError, KratosError, SessionAlreadyAvailableError } from '../errors/index.js';
import { publicIdentity, type Identity } from '../identity/model.js';
import type { IdentityRepository } from '../identity/repository.js';
import { sessionView } from '../session/model.js';
import type { SessionService } from '../session/service.js';
import { messages, type UiText } from '../text/messages.js';
import { events } from '../tracing/events.js';
import type { Committer, Writes } from '../util/writes.js';
import { jsonAnswer, redirectAnswer, type FlowAnswer } from './answer.js';
import { afterSuccessUrl, browserFailure, flowUiUrl, forwardToErrorUi } from './browser.js';
import {
  checkSubmittable,
  createFlow,
  csrfFor,
  exchangeStart,
  failedWith,
  failureReason,
  getFlowView,
  hasActiveSession,
  invalid,
  parseFlowId,
  render,
  schemaOf,
  withCsrfCookie,
  type FlowDeps,
  type FlowRequest,
} from './common.js';
import { newCsrfToken } from './csrf.js';
import { prepareHooks, type AfterContext, type HookRunner } from './hooks.js';
import type { FlowRecord, FlowView } from './model.js';
import { checkReturnTo } from './return-to.js';
import { showScreen, showStep, startingScreen } from './screens.js';
import { strategiesFor, strategyNamed } from './strategy.js';

export interface RegistrationDeps extends FlowDeps {
  sessionService: SessionService;
  identities: Pick<IdentityRepository, 'create'>;
  commit: Committer['commit'];
  hooks: HookRunner;
  lifespanMs: number;
  /** `selfservice.flows.registration.style: profile_first`: the traits on a screen of their own, then the credential. */
  profileFirst: boolean;
  /** An existing identity a method proved, signed in on the registration's own flow (the login flow's completeWith). */
  loginInstead?: (flow: FlowRecord, identity: Identity, used: { method: string; provider?: string }, request: FlowRequest, now: Date) => Promise<FlowAnswer>;
}

interface Attempt {
  flow?: FlowRecord;
  method?: string;
}

export function createRegistrationFlows(deps: RegistrationDeps) {
  return {
    /** `GET /self-service/registration/api[?identity_schema=]`. */
    async init(request: FlowRequest, now: Date, identitySchema?: string, options: { returnSessionTokenExchangeCode?: boolean; returnTo?: string } = {}): Promise<FlowView> {
      const schemaId = selectableSchema(identitySchema);
      if (await hasActiveSession(deps.sessionService, request, now)) throw new SessionAlreadyAvailableError('registration');
      const exchange = options.returnSessionTokenExchangeCode ? exchangeStart(deps, options.returnTo) : undefined;
      const flow = await createFlow(deps, 'registration', 'api', deps.lifespanMs, request, now, { ...(schemaId ? { schemaId } : {}), ...startingScreen('registration', deps.profileFirst), ...exchange?.extra });
      await deps.hooks.before({ flowType: 'registration', flow, request, now });
      events.registrationInitiated(flow.id, 'api');
      return { ...render(deps, flow), ...(exchange ? { session_token_exchange_code: exchange.code } : {}) };
    },

    /** `GET /self-service/registration/browser`: 303 to the registration UI with the flow, or the flow for a JSON request. */
    async initBrowser(request: FlowRequest, rawReturnTo: string | undefined, now: Date, identitySchema?: string): Promise<FlowAnswer> {
      try {
        const schemaId = selectableSchema(identitySchema);
        const returnTo = checkReturnTo(rawReturnTo, deps.browser.allowedReturnUrls, deps.browser.defaultReturnUrl);
        if (await hasActiveSession(deps.sessionService, request, now)) {
          if (request.browser.json) throw new SessionAlreadyAvailableError('registration');
          return redirectAnswer(returnTo ?? deps.browser.defaultReturnUrl);
        }
        const csrf = csrfFor(request);
        const flow = await createFlow(deps, 'registration', 'browser', deps.lifespanMs, request, now, {
          returnTo,
          csrf: csrf.token,
          ...(schemaId ? { schemaId } : {}),
          ...startingScreen('registration', deps.profileFirst),
        });
        await deps.hooks.before({ flowType: 'registration', flow, request, now });
        events.registrationInitiated(flow.id, 'browser');
        const setCookie = csrf.isNew ? { csrfToken: csrf.token } : {};
        return request.browser.json
          ? jsonAnswer(render(deps, flow, csrf.token), 200, setCookie)
          : redirectAnswer(flowUiUrl(deps, 'registration', flow.id), setCookie);
      } catch (error) {
        if (error instanceof KratosError && !request.browser.json) return forwardToErrorUi(deps, error, now);
        throw error;
      }
    },

    get: (id: string | undefined, request: FlowRequest, now: Date) => getFlowView(deps, 'registration', id, request, now),

    /**
     * Registers `identity` on `flow` for a method that made it outside a submit (a social sign-in's callback):
     * everything a submit's success does; a duplicate identifier is DuplicateIdentifierError for the method to answer.
     */
    async completeWith(
      flow: FlowRecord,
      identity: Identity,
      used: { method: string; provider?: string },
      request: FlowRequest,
      now: Date,
      /** What a taken identifier throws (by default: the flow fails with Kratos's message for a social profile). */
      onDuplicate?: () => Error,
    ): Promise<FlowAnswer> {
      const fail = (flowMessages: UiText[] = []) => invalid(deps, flow, request, failedWith({}, flowMessages));
      try {
        return await finish(flow, identity, used, request, now, fail, onDuplicate ?? (() => fail([messages.duplicateCredentialsOnOidcLink()])));
      } catch (error) {
        if (error instanceof DuplicateIdentifierError) throw error;
        events.registrationFailed(flow.id, flow.mode, used.method, failureReason(error));
        const answer = await browserFailure(deps, flow.type, flow, error, request, now);
        if (answer) return answer;
        throw error;
      }
    },

    /** `POST /self-service/registration?flow=`. */
    async submit(rawFlowId: string | undefined, body: Record<string, unknown>, request: FlowRequest, now: Date): Promise<FlowAnswer> {
      const attempt: Attempt = {};
      try {
        return await submit(rawFlowId, body, request, now, attempt);
      } catch (error) {
        // A flow gone on to a provider did not fail.
        if (!(error instanceof BrowserLocationChangeRequiredError)) events.registrationFailed(attempt.flow?.id, attempt.flow?.mode ?? '', attempt.method ?? '', failureReason(error));
        const answer = await browserFailure(deps, 'registration', attempt.flow, error, request, now);
        if (answer) return answer;
        throw error;
      }
    },
  };

  /** `?identity_schema=`: the default, or a schema marked `selfservice_selectable` (Kratos's rule); 400 otherwise. */
  function selectableSchema(requested: string | undefined): string | undefined {
    if (!requested || requested === deps.schemas.defaultId) return undefined;
    const schema = deps.schemas.get(requested);
    if (!schema) throw new BadRequestError(`Requested identity schema ${JSON.stringify(requested)} does not exist.`);
    if (!schema.selectable) throw new BadRequestError(`Requested identity schema ${JSON.stringify(requested)} is not enabled for self-service flows.`);
    return schema.id;
  }

  async function submit(rawFlowId: string | undefined, body: Record<string, unknown>, request: FlowRequest, now: Date, attempt: Attempt): Promise<FlowAnswer> {
    const flowId = parseFlowId(rawFlowId);
    const strategy =
      strategyNamed(deps.strategies, 'registration', body) ?? strategiesFor(deps.strategies, 'registration').find((s) => s.registration.claims?.(body));
    attempt.method = strategy?.id;
    const loaded = await deps.flows.get(flowId);
    if (loaded?.type === 'registration') attempt.flow = loaded;
    // Every method's form shares the traits: they are what a failed submit echoes (on the credentials screen of a
    // two-screen form, those the first screen took when the submit sent none).
    const sent = body.traits === undefined || body.traits === null ? undefined : body.traits;
    const values = { traits: sent ?? loaded?.firstScreen?.traits ?? {} };
    const flow = await checkSubmittable(deps, loaded, 'registration', deps.lifespanMs, request, now, values, body);
    const fail = (flowMessages: UiText[] = [], nodeMessages?: Record<string, UiText[]>, echoed: Record<string, unknown> = values) =>
      invalid(deps, flow, request, failedWith(echoed, flowMessages, nodeMessages));

    if (await hasActiveSession(deps.sessionService, request, now)) {
      if (flow.mode === 'browser' && !request.browser.json) return redirectAnswer(afterSuccessUrl(deps, flow, 'registration'));
      throw new SessionAlreadyAvailableError('registration');
    }
    if (!strategy) throw fail([messages.noRegistrationStrategy()]);

    const result = await strategy.registration.register({ flow, body, request, now, fail, schema: schemaOf(deps, flow) });
    // Profile first: the traits taken (or gone back to), the flow shows its other screen.
    if ('next' in result) return showScreen(deps, flow, result.next, request);
    // A code sent: the flow awaits it.
    if ('step' in result) return showStep(deps, result.step, request);
    const used = { method: strategy.id, ...(result.provider ? { provider: result.provider } : {}) };
    if (result.login) {
      if (!deps.loginInstead) throw fail([messages.duplicateCredentials()]);
      return deps.loginInstead(flow, result.identity, used, request, now);
    }
    return finish(flow, result.identity, used, request, now, fail, undefined, result.completes);
  }

  /**
   * What every registration's success shares, whichever method made the identity: the hooks prepare, the identity is
   * stored with what they write and the flow's single use in one transaction, then the answer fits the flow.
   */
  async function finish(
    flow: FlowRecord,
    identity: Identity,
    used: { method: string; provider?: string },
    request: FlowRequest,
    now: Date,
    fail: (flowMessages?: UiText[], nodeMessages?: Record<string, UiText[]>) => Error,
    onDuplicate: () => Error = () => fail([messages.duplicateCredentials()]),
    /** The method's own write completing the flow (a code spent), in place of the flow's. */
    completes?: Writes,
  ): Promise<FlowAnswer> {
    // The hooks (Kratos's quickstart: the verifier, `session`, `show_verification_ui`) may change the identity before
    // it is stored (an address marked `sent`), and add what they write to this transaction.
    // A browser signing up gets a new anti-CSRF token with its session (as Kratos), and what the hooks make for it (a
    // verification flow) is bound to the new one.
    const csrf = flow.mode === 'browser' ? newCsrfToken() : undefined;
    const onward = csrf ? withCsrfCookie(request, csrf) : request;
    const hooked: AfterContext = { flowType: 'registration', method: used.method, ...(used.provider ? { provider: used.provider } : {}), flow, request: onward, now, identity, writes: [], continueWith: [] };
    await prepareHooks(deps.hooks, hooked, (flowMessages, nodeMessages) => fail(flowMessages, nodeMessages));
    try {
      await deps.commit(completes ?? deps.flows.complete(flow.id, now), deps.identities.create(hooked.identity), ...hooked.writes);
    } catch (error) {
      if (error instanceof DuplicateIdentifierError) throw onDuplicate();
      if (error instanceof FlowAlreadyUsedError) throw fail([messages.flowAlreadyCompleted('registration')]);
      throw error;
    }
    // What Kratos's persister and hooks emit, in their order: the identity, the registration, then what the hooks
    // did (the session issued, and the login it stands for).
    events.identityCreated(identity.id);
    events.registrationSucceeded(flow.id, flow.mode, identity.id, used.method, used.provider);
    await deps.hooks.committed(hooked);

    const issued = hooked.session;
    const session = issued ? sessionView(issued.session, now, deps.publicBaseUrl) : undefined;
    const publicView = publicIdentity(hooked.identity, deps.publicBaseUrl);
    if (flow.mode === 'api') {
      return jsonAnswer({
        ...(issued ? { session_token: issued.token, session } : {}),
        identity: publicView,
        continue_with: [...(issued ? [{ action: 'set_ory_session_token', ory_session_token: issued.token }] : []), ...hooked.continueWith],
      });
    }
    const cookies = { ...(issued ? { session: { token: issued.token, expiresAt: issued.session.expiresAt } } : {}), ...(csrf ? { csrfToken: csrf } : {}) };
    const next = afterSuccessUrl(deps, flow, 'registration');
    return request.browser.json
      ? jsonAnswer({ ...(session ? { session } : {}), identity: publicView, continue_with: [...hooked.continueWith, { action: 'redirect_browser_to', redirect_browser_to: next }] }, 200, cookies)
      : redirectAnswer(hooked.browserRedirect ?? next, cookies);
  }
}
export type RegistrationFlows = ReturnType<typeof createRegistrationFlows>;
