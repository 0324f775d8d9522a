/**
 * The login flow, for native apps (`api`: a session token) and browsers (`browser`: a session cookie, CSRF,
 * redirects). It names no method: the form shows every enabled login strategy's nodes, a submit goes to the one its
 * `method` names, and whatever it proves, the flow checks the identity is active, issues the session and completes
 * itself in one transaction (the session, the flow's single use, the identity still at the revision read, and what
 * the method writes with it), then runs the after hooks and answers.
 */
import {
  BadRequestError,
  BrowserLocationChangeRequiredError,
  DuplicateIdentifierError,
  FlowAlreadyUsedError,
  IdentityDisabledError,
  KratosError,
  NoActiveSessionError,
  SessionAlreadyAvailableError,
  SessionRequiredForHigherAalError,
} from '../errors/index.js';
import { revised, sessionCopyOf, type Identity } from '../identity/model.js';
import type { IdentityRepository } from '../identity/repository.js';
import type { RequiredAal } from '../config/aal.js';
import { assuranceLevelOf, sessionView, type AuthenticationMethod, type Session } from '../session/model.js';
import type { SessionRepository } from '../session/repository.js';
import { canReachAal2, hashSessionToken, secondFactorLoginUrl, type IssuedSession, type SessionService } from '../session/service.js';
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
  savedUiOf,
  schemaOf,
  stringField,
  withCsrfCookie,
  type FlowDeps,
  type FlowRequest,
} from './common.js';
import { newCsrfToken } from './csrf.js';
import { prepareHooks, type AfterContext, type HookRunner } from './hooks.js';
import type { FlowRecord, FlowView } from './model.js';
import { checkReturnTo } from './return-to.js';
import { showScreen, showStep, startingScreen } from './screens.js';
import { strategyNamed, type LoginProof } from './strategy.js';

export interface LoginDeps extends FlowDeps {
  sessionService: SessionService;
  sessions: Pick<SessionRepository, 'add' | 'stepUp'>;
  identities: Pick<IdentityRepository, 'unchanged' | 'update' | 'getWithCredentials'>;
  /** `session.whoami.required_aal`: under `highest_available`, a first factor of an identity with a second asks for it next. */
  whoamiRequiredAal: RequiredAal;
  /** Codes are a second factor (`selfservice.methods.code.mfa_enabled`): an identity's code addresses reach aal2. */
  codeMfa?: boolean;
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
  /** `aal` as the caller sent it: `aal2` asks a signed-in session for its second factor. */
  aal?: string;
  /** `via`: with `aal=aal2`, the trait whose address a second-factor code goes to. */
  via?: string;
}

/** Kratos's `aal` query: empty or `aal1` (the first factor), `aal2` (the second); anything else is a 400. */
export function requestedAalOf(raw: string | undefined): 'aal1' | 'aal2' {
  if (raw === undefined || raw === '' || raw === 'aal1') return 'aal1';
  if (raw === 'aal2') return 'aal2';
  throw new BadRequestError(`Unable to parse AuthenticationMethod Assurance Level (AAL): expected one of [aal1, aal2] but got ${JSON.stringify(raw.slice(0, 16))}`);
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
      const aal = requestedAalOf(init.aal);
      const session = await deps.sessionService.findActive(request.sessionToken, now);
      if (alreadySignedIn(init, aal, session)) throw new SessionAlreadyAvailableError('login');
      const exchange = init.returnSessionTokenExchangeCode ? exchangeStart(deps, init.returnTo) : undefined;
      const flow = await createFlow(deps, 'login', 'api', deps.lifespanMs, request, now, {
        refresh: init.refresh,
        ...refreshing(init, session),
        ...screens(init, session, aal),
        ...(await assurance(init, aal, session, now)),
        ...exchange?.extra,
      });
      await deps.hooks.before({ flowType: 'login', flow, request, now });
      events.loginInitiated(flow.id, 'api', init.refresh, aal);
      const started = await beginSecondFactor(flow, request, now);
      return { ...render(deps, started, undefined, savedUiOf(started)), ...(exchange ? { session_token_exchange_code: exchange.code } : {}) };
    },

    /** `GET /self-service/login/browser`: 303 to the login UI with the flow, or the flow itself for a JSON request. */
    async initBrowser(request: FlowRequest, init: LoginInit, now: Date): Promise<FlowAnswer> {
      try {
        const aal = requestedAalOf(init.aal);
        const returnTo = checkedReturnTo(init.returnTo);
        const session = await deps.sessionService.findActive(request.sessionToken, now);
        if (alreadySignedIn(init, aal, session)) {
          if (request.browser.json) throw new SessionAlreadyAvailableError('login');
          return redirectAnswer(returnTo ?? deps.browser.defaultReturnUrl);
        }
        const csrf = csrfFor(request);
        const flow = await createFlow(deps, 'login', 'browser', deps.lifespanMs, request, now, {
          refresh: init.refresh,
          returnTo,
          csrf: csrf.token,
          ...refreshing(init, session),
          ...screens(init, session, aal),
          ...(await assurance(init, aal, session, now)),
        });
        await deps.hooks.before({ flowType: 'login', flow, request, now });
        events.loginInitiated(flow.id, 'browser', init.refresh, aal);
        const started = await beginSecondFactor(flow, request, now);
        const setCookie = csrf.isNew ? { csrfToken: csrf.token } : {};
        return request.browser.json ? jsonAnswer(render(deps, started, csrf.token, savedUiOf(started)), 200, setCookie) : redirectAnswer(flowUiUrl(deps, 'login', flow.id), setCookie);
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
        events.loginFailed({ flowId: flow.id, flowType: flow.mode, method: used.method, refresh: flow.refresh ?? false, reason: failureReason(error), identityId: proof.identity.id, requestedAal: flow.requestedAal });
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
          requestedAal: attempt.flow?.requestedAal,
          reason: failureReason(error),
          identityId: attempt.identityId,
        });
        const answer = await browserFailure(deps, 'login', attempt.flow, error, request, now);
        if (answer) return answer;
        throw error;
      }
    },
  };

  /**
   * Kratos's rules for a login beside a session (login/handler.go NewLoginFlow): without a session, no second factor can
   * be asked for (401 session_aal1_required); with one, a login is refused unless it refreshes it or asks for a level the
   * session does not have yet.
   */
  function alreadySignedIn(init: LoginInit, aal: 'aal1' | 'aal2', session: Session | undefined): boolean {
    if (!session) {
      if (aal === 'aal2') throw new SessionRequiredForHigherAalError();
      return false;
    }
    if (init.refresh) return false;
    return aal === 'aal1' || assuranceLevelOf(session.amr) === 'aal2';
  }

  /**
   * What a login asking for the second factor keeps: whose it is, what each second factor of that identity needs for its
   * form (`internal`), and the messages Kratos starts it with (1010003 on a refresh, 1010004 for the second factor).
   */
  async function assurance(init: LoginInit, aal: 'aal1' | 'aal2', session: Session | undefined, now: Date): Promise<Partial<FlowRecord>> {
    const starting: UiText[] = init.refresh && session ? [messages.loginReAuth()] : [];
    if (aal === 'aal1' || !session) return starting.length ? { messages: starting } : {};
    if (assuranceLevelOf(session.amr) !== 'aal2') starting.push(messages.loginMfa());
    const identity = await deps.identities.getWithCredentials(session.identityId);
    if (!identity) throw new NoActiveSessionError();
    const internal: Record<string, unknown> = {};
    for (const strategy of deps.strategies) {
      const kept = strategy.login?.aal === 'aal2' ? strategy.login.secondFactor?.(identity, now, { via: init.via }) : undefined;
      if (kept !== undefined) internal[strategy.id] = kept;
    }
    return { requestedAal: 'aal2', identityId: session.identityId, internal, ...(starting.length ? { messages: starting } : {}) };
  }

  /**
   * A login for the second factor whose identity has only one, of a method that starts by itself (a code to its one
   * address): started now, the flow answered as it then stands.
   */
  async function beginSecondFactor(flow: FlowRecord, request: FlowRequest, now: Date): Promise<FlowRecord> {
    const offered = Object.keys(flow.internal ?? {});
    const strategy = flow.requestedAal && offered.length === 1 ? deps.strategies.find((s) => s.id === offered[0]) : undefined;
    if (!strategy?.login?.beginSecondFactor) return flow;
    const account = await deps.identities.getWithCredentials(flow.identityId!);
    if (!account) throw new NoActiveSessionError();
    return (await strategy.login.beginSecondFactor({ flow, account, request, now })) ?? flow;
  }

  /** A refresh beside a session asks only for the secret: the identifier is the session's (Kratos's refresh form). */
  function refreshing(init: LoginInit, session: Session | undefined): Partial<FlowRecord> {
    const identifier = session?.identity.identifiers?.[0];
    return init.refresh && identifier ? { refreshIdentifier: identifier } : {};
  }

  /** Identifier first, unless the flow refreshes a session (that form knows the identifier; Kratos's precedence). */
  function screens(init: LoginInit, session: Session | undefined, aal: 'aal1' | 'aal2'): Partial<FlowRecord> {
    return startingScreen('login', deps.identifierFirst && aal === 'aal1' && !refreshing(init, session).refreshIdentifier);
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
    // A second factor is proven for the session that asked for it, by the identity it belongs to.
    if (flow.requestedAal && previous?.identityId !== flow.identityId) throw new NoActiveSessionError();
    if (!flow.refresh && previous && !flow.requestedAal) {
      // A browser that is signed in already goes where it was going; anyone else is told.
      if (flow.mode === 'browser' && !request.browser.json) return redirectAnswer(afterSuccessUrl(deps, flow, 'login'));
      throw fail([messages.generic(new SessionAlreadyAvailableError('login').reason!)]);
    }
    // A method of the other level than the flow asks for is not one of its methods.
    if (!strategy || strategy.login.aal !== (flow.requestedAal ?? 'aal1')) throw fail([messages.noLoginStrategy()]);

    const account = flow.requestedAal ? await deps.identities.getWithCredentials(flow.identityId!) : undefined;
    if (flow.requestedAal && !account) throw new NoActiveSessionError();
    const proof = await strategy.login.authenticate({ flow, body, request, now, read: found.read, fail, schema: schemaOf(deps, flow), ...(account ? { account } : {}) });
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
    fail: (flowMessages?: UiText[], nodeMessages?: Record<string, UiText[]>) => Error,
  ): Promise<FlowAnswer> {
    if (proof.identity.state !== 'active') throw new IdentityDisabledError();

    const factor: AuthenticationMethod = { method: used.method, aal: used.aal, completedAt: now, ...(used.provider ? { provider: used.provider } : {}) };
    // A second factor, or a refresh by the same identity, adds to the session that asked for it, in place (Kratos keeps
    // its id, and so its second factor); any other login gets a new session.
    const stepping = (flow.requestedAal || flow.refresh) && previous?.identityId === proof.identity.id && request.sessionToken ? previous : undefined;
    const issued: IssuedSession = stepping
      ? {
          session: { ...stepping, amr: [...stepping.amr, factor], authenticatedAt: now, identity: sessionCopyOf(proof.update ?? proof.identity) },
          token: request.sessionToken!,
          tokenHash: stepping.tokenHash ?? hashSessionToken(request.sessionToken!),
        }
      : deps.sessionService.issue(proof.update ?? proof.identity, request, now, [factor]);
    // A browser given a session gets a new anti-CSRF token (Kratos regenerates it with the session), unless it only
    // refreshed the session it had.
    const csrf = flow.mode === 'browser' && previous?.identityId !== proof.identity.id ? newCsrfToken() : undefined;
    const onward = csrf ? withCsrfCookie(request, csrf) : request;
    const hooked: AfterContext = { flowType: 'login', method: used.method, ...(used.provider ? { provider: used.provider } : {}), flow, request: onward, now, identity: proof.identity, session: issued, writes: [], continueWith: [] };
    // A method that marked this flow may change the identity with the login (a provider account linked).
    let change: { next: Identity; stored: Identity } | undefined;
    for (const strategy of deps.strategies) change = (await strategy.onLogin?.({ flow, identityId: proof.identity.id, now, fail })) ?? change;
    await prepareHooks(deps.hooks, hooked, (flowMessages, nodeMessages) => fail(flowMessages, nodeMessages));
    try {
      await deps.commit(
        proof.completes ?? deps.flows.complete(flow.id, now),
        stepping
          ? deps.sessions.stepUp(issued.tokenHash, { amr: issued.session.amr, authenticatedAt: now, identity: issued.session.identity })
          : deps.sessions.add(issued.session, issued.tokenHash),
        // The identity the method read (its claim's copy) is still the identity's current revision; or, changed by a
        // method, stored at the revision after the one read.
        change
          ? deps.identities.update(revised({ ...change.next, updatedAt: now }, change.stored), change.stored)
          : proof.update
            ? deps.identities.update(revised(proof.update, proof.identity), proof.identity)
            : deps.identities.unchanged(proof.identity.id, proof.identity.revision),
        ...(proof.writes ?? []),
        ...hooked.writes,
      );
    } catch (error) {
      if (error instanceof FlowAlreadyUsedError) throw fail([messages.flowAlreadyCompleted('login')]);
      if (error instanceof DuplicateIdentifierError) throw fail([messages.duplicateCredentials()]);
      throw error;
    }
    (stepping ? events.sessionChanged : events.sessionIssued)(issued.session.identityId, issued.session.id, assuranceLevelOf(issued.session.amr));
    events.loginSucceeded({
      flowId: flow.id,
      flowType: flow.mode,
      identityId: issued.session.identityId,
      sessionId: issued.session.id,
      method: used.method,
      provider: used.provider,
      refresh: flow.refresh ?? false,
      requestedAal: flow.requestedAal ?? 'aal1',
    });
    await deps.hooks.committed(hooked);
    const session = sessionView(issued.session, now, deps.publicBaseUrl);
    // A first factor of an identity that has a second, where whoami requires the highest level available: the session
    // is set, and the client is told to go on to the second factor (Kratos's login/hook.go).
    const secondFactorNext =
      deps.whoamiRequiredAal === 'highest_available' && assuranceLevelOf(issued.session.amr) !== 'aal2' && canReachAal2(issued.session, deps.codeMfa)
        ? secondFactorLoginUrl(deps.publicBaseUrl, flow.returnTo)
        : undefined;
    if (flow.mode === 'api') {
      // Kratos answers without the identity: the session cannot be used for it yet.
      if (secondFactorNext) delete (session as { identity?: unknown }).identity;
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
    if (secondFactorNext) {
      return request.browser.json
        ? jsonAnswer(new BrowserLocationChangeRequiredError(secondFactorNext).body(), 422, cookies)
        : redirectAnswer(secondFactorNext, cookies);
    }
    const next = afterSuccessUrl(deps, flow, 'login');
    return request.browser.json
      ? jsonAnswer({ session, continue_with: [...hooked.continueWith, { action: 'redirect_browser_to', redirect_browser_to: next }] }, 200, cookies)
      : redirectAnswer(hooked.browserRedirect ?? next, cookies);
  }
}
export type LoginFlows = ReturnType<typeof createLoginFlows>;
