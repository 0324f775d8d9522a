/**
 * The login flow, for native apps (`api`: a session token) and browsers (`browser`: a session cookie, CSRF,
 * redirects). It names no method: the form shows every enabled login strategy's nodes, a submit goes to the one its
 * `method` names, and whatever it proves, the flow checks the identity is active, issues the session and completes
 * itself in one transaction (the session, the flow's single use, the identity still at the revision read, and what
 * the method writes with it), then runs the after hooks and answers.
 */
import { BrowserLocationChangeRequiredError, DuplicateIdentifierError, FlowAlreadyUsedError, IdentityDisabledError, KratosError, SessionAlreadyAvailableError } from '../errors/index.js';
import { revised, type Identity } from '../identity/model.js';
import type { IdentityRepository } from '../identity/repository.js';
import { assuranceLevelOf, sessionView, type Session } from '../session/model.js';
import type { SessionRepository } from '../session/repository.js';
import type { SessionService } from '../session/service.js';
import { messages, type UiText } from '../text/messages.js';
import { events } from '../tracing/events.js';
import type { Committer } from '../util/writes.js';
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
  invalid,
  parseFlowId,
  render,
  schemaOf,
  stringField,
  withCsrfCookie,
  type FlowDeps,
  type FlowRequest,
} from './common.js';
import { newCsrfToken } from './csrf.js';
import type { AfterContext, HookRunner } from './hooks.js';
import type { FlowRecord, FlowView } from './model.js';
import { checkReturnTo } from './return-to.js';
import { showScreen, showStep, startingScreen } from './screens.js';
import { strategyNamed, type LoginProof } from './strategy.js';

export interface LoginDeps extends FlowDeps {
  sessionService: SessionService;
  sessions: Pick<SessionRepository, 'add'>;
  identities: Pick<IdentityRepository, 'unchanged' | 'update'>;
  commit: Committer['commit'];
  hooks: HookRunner;
  lifespanMs: number;
  /** `selfservice.flows.login.style: identifier_first`: the identifier on a screen of its own, then the methods. */
  identifierFirst: boolean;
  /** A method's new identity registered on the login's own flow (the registration flow's completeWith). */
  registerInstead?: (flow: FlowRecord, identity: Identity, used: { method: string; provider?: string }, request: FlowRequest, now: Date) => Promise<FlowAnswer>;
}

export interface LoginInit {
  /** `refresh=true`: log in again beside an active session. */
  refresh: boolean;
  /** `return_to` as the caller sent it (browser flows; API flows with an exchange code). */
  returnTo?: string;
  /** API flows: `return_session_token_exchange_code=true` (a native app that signs in through a browser). */
  returnSessionTokenExchangeCode?: boolean;
}

/** What a failed submit got to know, for its event. */
interface Attempt {
  flow?: FlowRecord;
  method?: string;
  identityId?: string;
}

export function createLoginFlows(deps: LoginDeps) {
  const checkedReturnTo = (raw: string | undefined) => checkReturnTo(raw, deps.browser.allowedReturnUrls, deps.browser.defaultReturnUrl);

  return {
    /** `GET /self-service/login/api`. */
    async init(request: FlowRequest, init: LoginInit, now: Date): Promise<FlowView> {
      const session = await deps.sessionService.findActive(request.sessionToken, now);
      if (!init.refresh && session) throw new SessionAlreadyAvailableError('login');
      const exchange = init.returnSessionTokenExchangeCode ? exchangeStart(deps, init.returnTo) : undefined;
      const flow = await createFlow(deps, 'login', 'api', deps.lifespanMs, request, now, { refresh: init.refresh, ...refreshing(init, session), ...screens(init, session), ...exchange?.extra });
      await deps.hooks.before({ flowType: 'login', flow, request, now });
      events.loginInitiated(flow.id, 'api', init.refresh);
      return { ...render(deps, flow), ...(exchange ? { session_token_exchange_code: exchange.code } : {}) };
    },

    /** `GET /self-service/login/browser`: 303 to the login UI with the flow, or the flow itself for a JSON request. */
    async initBrowser(request: FlowRequest, init: LoginInit, now: Date): Promise<FlowAnswer> {
      try {
        const returnTo = checkedReturnTo(init.returnTo);
        const session = await deps.sessionService.findActive(request.sessionToken, now);
        if (!init.refresh && session) {
          if (request.browser.json) throw new SessionAlreadyAvailableError('login');
          return redirectAnswer(returnTo ?? deps.browser.defaultReturnUrl);
        }
        const csrf = csrfFor(request);
        const flow = await createFlow(deps, 'login', 'browser', deps.lifespanMs, request, now, {
          refresh: init.refresh,
          returnTo,
          csrf: csrf.token,
          ...refreshing(init, session),
          ...screens(init, session),
        });
        await deps.hooks.before({ flowType: 'login', flow, request, now });
        events.loginInitiated(flow.id, 'browser', init.refresh);
        const setCookie = csrf.isNew ? { csrfToken: csrf.token } : {};
        return request.browser.json ? jsonAnswer(render(deps, flow, csrf.token), 200, setCookie) : redirectAnswer(flowUiUrl(deps, 'login', flow.id), setCookie);
      } catch (error) {
        if (error instanceof KratosError && !request.browser.json) return forwardToErrorUi(deps, error, now);
        throw error;
      }
    },

    get: (id: string | undefined, request: FlowRequest, now: Date) => getFlowView(deps, 'login', id, request, now),

    /**
     * Signs `identity` in on `flow` for a method that proved it outside a submit (a social sign-in's callback):
     * everything a submit's success does, the flow's own failures answered as a submit's are.
     */
    async completeWith(flow: FlowRecord, proof: LoginProof, used: { method: string; aal: 'aal1' | 'aal2'; provider?: string }, request: FlowRequest, now: Date): Promise<FlowAnswer> {
      const fail = (flowMessages: UiText[] = []) => invalid(deps, flow, request, failedWith({}, flowMessages));
      try {
        const previous = await deps.sessionService.findActive(request.sessionToken, now);
        return await finish(flow, proof, used, request, now, previous, fail);
      } catch (error) {
        events.loginFailed({ flowId: flow.id, flowType: flow.mode, method: used.method, refresh: flow.refresh ?? false, reason: failureReason(error), identityId: proof.identity.id });
        const answer = await browserFailure(deps, flow.type, flow, error, request, now);
        if (answer) return answer;
        throw error;
      }
    },

    /** `POST /self-service/login?flow=`. */
    async submit(rawFlowId: string | undefined, body: Record<string, unknown>, request: FlowRequest, now: Date): Promise<FlowAnswer> {
      const attempt: Attempt = {};
      try {
        return await submit(rawFlowId, body, request, now, attempt);
      } catch (error) {
        // A flow gone on to a provider did not fail.
        if (!(error instanceof BrowserLocationChangeRequiredError)) events.loginFailed({
          flowId: attempt.flow?.id,
          flowType: attempt.flow?.mode ?? '',
          method: attempt.method ?? '',
          refresh: attempt.flow?.refresh ?? false,
          reason: failureReason(error),
          identityId: attempt.identityId,
        });
        const answer = await browserFailure(deps, 'login', attempt.flow, error, request, now);
        if (answer) return answer;
        throw error;
      }
    },
  };

  /** A refresh beside a session asks only for the secret: the identifier is the session's (Kratos's refresh form). */
  function refreshing(init: LoginInit, session: Session | undefined): Partial<FlowRecord> {
    const identifier = session?.identity.identifiers?.[0];
    return init.refresh && identifier ? { refreshIdentifier: identifier } : {};
  }

  /** Identifier first, unless the flow refreshes a session (that form knows the identifier; Kratos's precedence). */
  function screens(init: LoginInit, session: Session | undefined): Partial<FlowRecord> {
    return startingScreen('login', deps.identifierFirst && !refreshing(init, session).refreshIdentifier);
  }

  async function submit(rawFlowId: string | undefined, body: Record<string, unknown>, request: FlowRequest, now: Date, attempt: Attempt): Promise<FlowAnswer> {
    const flowId = parseFlowId(rawFlowId);
    const strategy = strategyNamed(deps.strategies, 'login', body);
    attempt.method = strategy?.id;
    // Every method's form shares the identifier: it is what a failed submit echoes, whichever method failed.
    const values = { identifier: stringField(body, 'identifier') ?? '' };
    const found = strategy?.login.readFlow ? await strategy.login.readFlow(flowId, body, request) : { flow: await deps.flows.get(flowId) };
    // Known before it is checked, so that a failed check is answered as its kind of flow (a browser's: redirects).
    if (found.flow?.type === 'login') attempt.flow = found.flow;
    const flow = await checkSubmittable(deps, found.flow, 'login', deps.lifespanMs, request, now, values, body);
    const fail = (flowMessages: UiText[] = [], nodeMessages?: Record<string, UiText[]>, echoed: Record<string, unknown> = values) =>
      invalid(deps, flow, request, failedWith(echoed, flowMessages, nodeMessages));

    const previous = await deps.sessionService.findActive(request.sessionToken, now);
    if (!flow.refresh && previous) {
      // A browser that is signed in already goes where it was going; anyone else is told.
      if (flow.mode === 'browser' && !request.browser.json) return redirectAnswer(afterSuccessUrl(deps, flow, 'login'));
      throw fail([messages.generic(new SessionAlreadyAvailableError('login').reason!)]);
    }
    if (!strategy) throw fail([messages.noLoginStrategy()]);

    const proof = await strategy.login.authenticate({ flow, body, request, now, read: found.read, fail, schema: schemaOf(deps, flow) });
    // Identifier first: the identifier taken, the flow shows the methods for it. A code sent: the flow awaits it.
    if ('next' in proof) return showScreen(deps, flow, proof.next, request);
    if ('step' in proof) return showStep(deps, proof.step, request);
    attempt.identityId = proof.identity.id;
    const used = { method: strategy.id, aal: strategy.login.aal, ...(proof.provider ? { provider: proof.provider } : {}) };
    if (proof.register) {
      if (!deps.registerInstead) throw fail([messages.generic('Registration is not allowed because it was disabled.')]);
      return deps.registerInstead(flow, proof.identity, used, request, now);
    }
    return finish(flow, proof, used, request, now, previous, fail);
  }

  /**
   * What every login's success shares, whichever method proved it: the identity is active, the session is issued and
   * the flow completed in one transaction, the hooks run, and the answer fits the flow.
   */
  async function finish(
    flow: FlowRecord,
    proof: LoginProof,
    used: { method: string; aal: 'aal1' | 'aal2'; provider?: string },
    request: FlowRequest,
    now: Date,
    previous: Session | undefined,
    fail: (flowMessages?: UiText[]) => Error,
  ): Promise<FlowAnswer> {
    if (proof.identity.state !== 'active') throw new IdentityDisabledError();

    const issued = deps.sessionService.issue(proof.identity, request, now, [{ method: used.method, aal: used.aal, completedAt: now, ...(used.provider ? { provider: used.provider } : {}) }]);
    // A browser given a session gets a new anti-CSRF token (Kratos regenerates it with the session), unless it only
    // refreshed the session it had.
    const csrf = flow.mode === 'browser' && previous?.identityId !== proof.identity.id ? newCsrfToken() : undefined;
    const onward = csrf ? withCsrfCookie(request, csrf) : request;
    const hooked: AfterContext = { flowType: 'login', method: used.method, ...(used.provider ? { provider: used.provider } : {}), flow, request: onward, now, identity: proof.identity, session: issued, writes: [], continueWith: [] };
    // A method that marked this flow may change the identity with the login (a provider account linked).
    let change: { next: Identity; stored: Identity } | undefined = proof.change;
    for (const strategy of deps.strategies) change = (await strategy.onLogin?.({ flow, identityId: proof.identity.id, now, fail })) ?? change;
    await deps.hooks.prepare(hooked);
    try {
      await deps.commit(
        proof.completes ?? deps.flows.complete(flow.id, now),
        deps.sessions.add(issued.session, issued.tokenHash),
        // The identity the method read (its claim's copy) is still the identity's current revision; or, changed by a
        // method, stored at the revision after the one read.
        change ? deps.identities.update(revised({ ...change.next, updatedAt: now }, change.stored), change.stored) : deps.identities.unchanged(proof.identity.id, proof.identity.revision),
        ...(proof.writes ?? []),
        ...hooked.writes,
      );
    } catch (error) {
      if (error instanceof FlowAlreadyUsedError) throw fail([messages.flowAlreadyCompleted('login')]);
      if (error instanceof DuplicateIdentifierError) throw fail([messages.duplicateCredentials()]);
      throw error;
    }
    events.sessionIssued(issued.session.identityId, issued.session.id, assuranceLevelOf(issued.session.amr));
    events.loginSucceeded({
      flowId: flow.id,
      flowType: flow.mode,
      identityId: issued.session.identityId,
      sessionId: issued.session.id,
      method: used.method,
      provider: used.provider,
      refresh: flow.refresh ?? false,
      requestedAal: 'aal1',
    });
    await deps.hooks.committed(hooked);
    const session = sessionView(issued.session, now, deps.publicBaseUrl);
    if (flow.mode === 'api') {
      return jsonAnswer({
        session_token: issued.token,
        session,
        continue_with: [{ action: 'set_ory_session_token', ory_session_token: issued.token }, ...hooked.continueWith],
      });
    }
    // A browser gets the session as a cookie, never its token, and a device cookie that vouches for it at the login
    // throttle's ceiling for this identity from now on.
    const known = [proof.identity.id, ...(request.browser.knownIdentities ?? []).filter((id) => id !== proof.identity.id)];
    const cookies = { session: { token: issued.token, expiresAt: issued.session.expiresAt }, device: known, ...(csrf ? { csrfToken: csrf } : {}) };
    const next = afterSuccessUrl(deps, flow, 'login');
    return request.browser.json
      ? jsonAnswer({ session, continue_with: [...hooked.continueWith, { action: 'redirect_browser_to', redirect_browser_to: next }] }, 200, cookies)
      : redirectAnswer(hooked.browserRedirect ?? next, cookies);
  }
}
export type LoginFlows = ReturnType<typeof createLoginFlows>;
