/**
 * The login flow for the password method, for native apps (`api`: a session token) and browsers (`browser`: a
 * session cookie, CSRF, redirects). Storage round trips on submit, whatever the identifier: one batched read (the
 * flow, and the identifier's claim with its login copy and password hash), one bcrypt compare (against a dummy hash
 * for an unknown identifier), and on success one transaction (session + flow completion).
 */
import type { ThrottleConfig } from '../config/throttle.js';
import { FlowAlreadyUsedError, IdentityDisabledError, KratosError, LoginThrottledError, SessionAlreadyAvailableError } from '../errors/index.js';
import { log } from '../log/index.js';
import type { PasswordHasher } from '../hashing/bcrypt.js';
import { normalizeIdentifier } from '../identity/identifier.js';
import { sessionView, type Session } from '../session/model.js';
import type { SessionService } from '../session/service.js';
import { messages, type UiText } from '../text/messages.js';
import { events } from '../tracing/events.js';
import { jsonAnswer, redirectAnswer, type FlowAnswer } from './answer.js';
import { afterSuccessUrl, browserFailure, flowUiUrl, forwardToErrorUi } from './browser.js';
import {
  checkSubmittable,
  createFlow,
  csrfFor,
  failedWith,
  failureReason,
  getFlowView,
  invalid,
  parseFlowId,
  render,
  stringField,
  type FlowDeps,
  type FlowRequest,
} from './common.js';
import { newCsrfToken } from './csrf.js';
import type { FlowRecord, FlowView } from './model.js';
import { checkReturnTo } from './return-to.js';
import { addressThrottleKey, identifierThrottleKey, type ThrottleRepository } from './throttle.js';

export interface LoginDeps extends FlowDeps {
  sessionService: SessionService;
  hasher: PasswordHasher;
  lifespanMs: number;
  /** Failed-login throttling (off when its limits are 0). */
  throttle?: { repository: ThrottleRepository; config: ThrottleConfig; keySecret?: string };
}

export interface LoginInit {
  /** `refresh=true`: log in again beside an active session. */
  refresh: boolean;
  /** `return_to` as the caller sent it (browser flows). */
  returnTo?: string;
}

export function createLoginFlows(deps: LoginDeps) {
  const checkedReturnTo = (raw: string | undefined) => checkReturnTo(raw, deps.browser.allowedReturnUrls, deps.browser.defaultReturnUrl);

  return {
    /** `GET /self-service/login/api`. */
    async init(request: FlowRequest, init: LoginInit, now: Date): Promise<FlowView> {
      const session = await deps.sessionService.findActive(request.sessionToken, now);
      if (!init.refresh && session) throw new SessionAlreadyAvailableError('login');
      const flow = await createFlow(deps, 'login', 'api', deps.lifespanMs, request, now, { refresh: init.refresh, ...refreshing(init, session) });
      events.loginInitiated(flow.id, 'api', init.refresh);
      return render(deps, flow);
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
        });
        events.loginInitiated(flow.id, 'browser', init.refresh);
        const setCookie = csrf.isNew ? { csrfToken: csrf.token } : {};
        return request.browser.json ? jsonAnswer(render(deps, flow, csrf.token), 200, setCookie) : redirectAnswer(flowUiUrl(deps, 'login', flow.id), setCookie);
      } catch (error) {
        if (error instanceof KratosError && !request.browser.json) return forwardToErrorUi(deps, error, now);
        throw error;
      }
    },

    get: (id: string | undefined, request: FlowRequest, now: Date) => getFlowView(deps, 'login', id, request, now),

    /** `POST /self-service/login?flow=`. */
    async submit(rawFlowId: string | undefined, body: Record<string, unknown>, request: FlowRequest, now: Date): Promise<FlowAnswer> {
      const attempt: { flow?: FlowRecord; identityId?: string } = {};
      try {
        return await submit(rawFlowId, body, request, now, attempt);
      } catch (error) {
        events.loginFailed({
          flowId: attempt.flow?.id,
          flowType: attempt.flow?.mode ?? '',
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

  /** A refresh beside a session asks only for the password: the identifier is the session's (Kratos's refresh form). */
  function refreshing(init: LoginInit, session: Session | undefined): Partial<FlowRecord> {
    const identifier = session?.identity.identifiers?.[0];
    return init.refresh && identifier ? { refreshIdentifier: identifier } : {};
  }

  /**
   * Reserves this attempt for the identifier (and, when configured, the client address); a locked one is refused
   * with 429. Returns the identifier's counter key, which a successful login clears.
   */
  async function reserveAttempt(identifier: string, request: FlowRequest, now: Date): Promise<string | undefined> {
    const throttle = deps.throttle;
    if (!throttle) return undefined;
    const { config, repository } = throttle;
    const limits: { key: string; max: number; what: string }[] = [];
    if (config.maxAttempts > 0) limits.push({ key: identifierThrottleKey(identifier, throttle.keySecret), max: config.maxAttempts, what: 'identifier' });
    if (config.perIpMaxAttempts > 0 && request.ipAddress) {
      limits.push({ key: addressThrottleKey(request.ipAddress, throttle.keySecret), max: config.perIpMaxAttempts, what: 'client address' });
    }
    const results = await Promise.all(limits.map((l) => repository.reserve(l.key, { max: l.max, windowMs: config.windowMs, lockoutMs: config.lockoutMs }, now)));
    let retryAfterMs = 0;
    results.forEach((result, i) => {
      if (result.allowed) return;
      retryAfterMs = Math.max(retryAfterMs, result.retryAfterMs);
      if (result.lockedNow) {
        // The key is a hash: the identifier (or address) itself never reaches the log.
        log('warn', 'login throttled: too many failed attempts, locked out', { throttled: limits[i].what, key: limits[i].key.slice(0, 24), locked_for_s: Math.ceil(result.retryAfterMs / 1000) });
      }
    });
    if (retryAfterMs > 0) throw new LoginThrottledError(Math.ceil(retryAfterMs / 1000));
    return config.maxAttempts > 0 ? limits[0].key : undefined;
  }

  async function submit(
    rawFlowId: string | undefined,
    body: Record<string, unknown>,
    request: FlowRequest,
    now: Date,
    attempt: { flow?: FlowRecord; identityId?: string },
  ): Promise<FlowAnswer> {
    const flowId = parseFlowId(rawFlowId);
    const identifier = stringField(body, 'identifier');
    const password = stringField(body, 'password');
    const values = { identifier: identifier ?? '' };
    const normalized = identifier ? normalizeIdentifier(identifier) : '';

    const found = normalized
      ? await deps.flows.getForPasswordLogin(flowId, normalized)
      : { flow: await deps.flows.get(flowId), credential: undefined };
    // Known before it is checked, so that a failed check is answered as its kind of flow (a browser's: redirects).
    if (found.flow?.type === 'login') attempt.flow = found.flow;
    const flow = await checkSubmittable(deps, found.flow, 'login', deps.lifespanMs, request, now, values, body);
    const fail = (flowMessage?: UiText, nodeMessages?: Record<string, UiText[]>) =>
      invalid(deps, flow, request, failedWith(values, flowMessage ? [flowMessage] : [], nodeMessages));

    const previous = await deps.sessionService.findActive(request.sessionToken, now);
    if (!flow.refresh && previous) {
      // A browser that is signed in already goes where it was going; anyone else is told.
      if (flow.mode === 'browser' && !request.browser.json) return redirectAnswer(afterSuccessUrl(deps, flow, 'login'));
      throw fail(messages.generic(new SessionAlreadyAvailableError('login').reason!));
    }
    if (body.method !== 'password') {
      throw fail({ id: 4010002, text: 'Could not find a strategy to log you in with. Did you fill out the form correctly?', type: 'error' });
    }
    const missing: Record<string, UiText[]> = {};
    if (!normalized) missing.identifier = [messages.required('identifier')];
    if (!password) missing.password = [messages.required('password')];
    if (Object.keys(missing).length > 0) throw fail(undefined, missing);

    // Each attempt is reserved before bcrypt runs, for known and unknown identifiers alike.
    const throttleKey = await reserveAttempt(normalized, request, now);

    // Unknown identifiers cost one compare at the configured cost and answer exactly like a wrong password.
    const credential = found.credential;
    const hash = credential?.hashedPassword;
    const matches = hash ? await deps.hasher.compare(password!, hash) : await deps.hasher.compareWithDummy(password!);
    if (!credential || !matches) throw fail(messages.invalidCredentials());
    attempt.identityId = credential.identity.id;
    if (credential.identity.state !== 'active') throw new IdentityDisabledError();

    const issued = deps.sessionService.issue(credential.identity, request, now);
    try {
      await deps.flows.completeLogin(issued, { flowId: flow.id, now }, throttleKey);
    } catch (error) {
      if (error instanceof FlowAlreadyUsedError) throw fail(messages.flowAlreadyCompleted('login'));
      throw error;
    }
    events.sessionIssued(issued.session.identityId, issued.session.id);
    events.loginSucceeded({
      flowId: flow.id,
      flowType: flow.mode,
      identityId: issued.session.identityId,
      sessionId: issued.session.id,
      refresh: flow.refresh ?? false,
      requestedAal: 'aal1',
    });
    const session = sessionView(issued.session, now, deps.publicBaseUrl);
    if (flow.mode === 'api') {
      return jsonAnswer({ session_token: issued.token, session, continue_with: [{ action: 'set_ory_session_token', ory_session_token: issued.token }] });
    }
    // A browser gets the session as a cookie, never its token; signing in as someone else rotates the CSRF token.
    const cookies = {
      session: { token: issued.token, expiresAt: issued.session.expiresAt },
      ...(previous && previous.identityId !== issued.session.identityId ? { csrfToken: newCsrfToken() } : {}),
    };
    const next = afterSuccessUrl(deps, flow, 'login');
    return request.browser.json
      ? jsonAnswer({ session, continue_with: [{ action: 'redirect_browser_to', redirect_browser_to: next }] }, 200, cookies)
      : redirectAnswer(next, cookies);
  }
}
export type LoginFlows = ReturnType<typeof createLoginFlows>;
