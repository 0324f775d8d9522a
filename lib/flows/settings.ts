/**
 * The settings flow: a signed-in user changes their identity, from a native app (`api`) or a browser (`browser`:
 * cookies, CSRF, redirects). It names no method: the form shows every enabled settings strategy's nodes, a submit goes
 * to the one its `method` names, which says how the identity changes (and whether the session is recent enough for
 * it); the flow stores the change with what the after hooks add, copies it into the identity's sessions, and answers.
 */
import {
  BrowserLocationChangeRequiredError,
  ConcurrentUpdateError,
  DuplicateIdentifierError,
  FlowGoneError,
  IdentityMismatchError,
  KratosError,
  NotFoundError,
  SessionInactiveError,
  SessionRefreshRequiredError,
} from '../errors/index.js';
import { publicIdentity, revised, type Identity } from '../identity/model.js';
import type { IdentityRepository } from '../identity/repository.js';
import type { RequiredAal } from '../config/aal.js';
import { Aal2RequiredError } from '../errors/index.js';
import type { Session } from '../session/model.js';
import type { SessionRepository } from '../session/repository.js';
import { checkAal, type SessionService } from '../session/service.js';
import { jsonAnswer, redirectAnswer, withQuery, type FlowAnswer } from './answer.js';
import { afterSuccessUrl, browserFailure, flowUiUrl, forwardToErrorUi } from './browser.js';
import {
  checkBrowserFlowCookie,
  checkSubmittable,
  createFlow,
  csrfFor,
  failedWith,
  failureReason,
  initUrl,
  invalid,
  parseFlowId,
  readFlowId,
  render,
  savedUiOf,
  schemaOf,
  type FlowDeps,
  type FlowRequest,
} from './common.js';
import { messages, type UiText } from '../text/messages.js';
import { events } from '../tracing/events.js';
import type { Committer } from '../util/writes.js';
import { prepareHooks, type AfterContext, type HookRunner } from './hooks.js';
import { isExpired, type FlowRecord, type FlowView } from './model.js';
import { checkReturnTo } from './return-to.js';
import { strategiesFor, strategyNamed, type SettingsChange } from './strategy.js';

export interface SettingsDeps extends FlowDeps {
  identities: Pick<IdentityRepository, 'getWithCredentials' | 'update'>;
  sessions: Pick<SessionRepository, 'refreshIdentity' | 'stepUp'>;
  /** `selfservice.flows.settings.required_aal`: under `highest_available`, a session must have the second factor its identity has. */
  requiredAal: RequiredAal;
  /** Codes are a second factor (`selfservice.methods.code.mfa_enabled`): an identity's code addresses reach aal2. */
  codeMfa?: boolean;
  sessionService: SessionService;
  commit: Committer['commit'];
  hooks: HookRunner;
  lifespanMs: number;
  privilegedMaxAgeMs: number;
}

interface Attempt {
  flow?: FlowRecord;
  method?: string;
  identityId?: string;
}

export function createSettingsFlows(deps: SettingsDeps) {
  /** The caller's active session, at the assurance level settings requires. */
  async function sessionOf(request: FlowRequest, now: Date): Promise<Session> {
    const session = await deps.sessionService.findActive(request.sessionToken, now);
    if (!session) throw new SessionInactiveError();
    checkAal(session, deps.requiredAal, deps.publicBaseUrl, undefined, deps.codeMfa);
    return session;
  }

  const preparing = strategiesFor(deps.strategies, 'settings').filter((s) => s.settings.prepare);
  /**
   * What the methods keep on a settings flow for its form (a TOTP secret offered), made where missing (`renew`: all of
   * it again, after a change), kept on the flow and returned with it.
   */
  async function prepared(flow: FlowRecord, identity: Identity | undefined, now: Date, renew = false): Promise<FlowRecord> {
    if (!identity || preparing.length === 0) return flow;
    const internal = { ...flow.internal };
    for (const strategy of preparing) {
      if (!renew && internal[strategy.id] !== undefined) continue;
      const kept = await strategy.settings.prepare!(identity, schemaOf(deps, flow), now);
      if (kept === undefined && internal[strategy.id] === undefined) continue;
      internal[strategy.id] = kept;
      await deps.flows.setInternal(flow.id, strategy.id, kept);
    }
    return { ...flow, internal };
  }

  const identityView = (identity: Identity) => ({ identity: publicIdentity(identity, deps.publicBaseUrl) });
  /** The identity with its credentials, for the methods that prepare a flow (read once: the one the render reads if any). */
  const accountOf = async (identity: Identity, read: Identity | undefined) =>
    preparing.length === 0 ? undefined : (read ?? (await deps.identities.getWithCredentials(identity.id)));
  /** Whether a method's nodes need the identity's credentials (a read more per render, only then). */
  const readsCredentials = strategiesFor(deps.strategies, 'settings').some((s) => s.settings.readsCredentials);
  /** What a settings form is rendered with: the identity as shown, and with its credentials when a method needs them. */
  async function shown(identity: Identity, withCredentials?: Identity) {
    const account = readsCredentials ? (withCredentials ?? (await deps.identities.getWithCredentials(identity.id))) : undefined;
    return { ...identityView(identity), ...(account ? { account } : {}) };
  }

  async function ownFlow(id: string, session: Session) {
    const flow = await deps.flows.get(id);
    if (!flow || flow.type !== 'settings') throw new NotFoundError();
    if (flow.identityId !== session.identityId) throw new IdentityMismatchError();
    return flow;
  }

  /**
   * How a settings change fails: the flow again with its messages, shown with the identity as the session has it and,
   * for the methods whose nodes depend on them, its credentials (as read for the change).
   */
  const failing =
    (flow: FlowRecord, request: FlowRequest, session: Session, identity: Identity) =>
    (flowMessages: UiText[] = [], nodeMessages?: Record<string, UiText[]>, values: Record<string, unknown> = {}) =>
      invalid(deps, flow, request, failedWith(values, flowMessages, nodeMessages), { ...identityView(session.identity), ...(readsCredentials ? { account: identity } : {}) });

  /** The login that refreshes a too old session and comes back to this flow's UI. */
  const refreshLogin = (flow: FlowRecord) =>
    withQuery(initUrl(deps, 'login', 'browser'), { refresh: 'true', return_to: flowUiUrl(deps, 'settings', flow.id) });

  return {
    /** `GET /self-service/settings/api`. */
    async init(request: FlowRequest, now: Date): Promise<FlowView> {
      const session = await sessionOf(request, now);
      const flow = await createFlow(deps, 'settings', 'api', deps.lifespanMs, request, now, {
        identityId: session.identityId,
        schemaId: session.identity.schemaId,
        state: 'show_form',
      });
      await deps.hooks.before({ flowType: 'settings', flow, request, now, session });
      const view = await shown(session.identity);
      return render(deps, await prepared(flow, await accountOf(session.identity, view.account), now), undefined, view);
    },

    /**
     * `GET /self-service/settings/browser`: 303 to the settings UI with a flow. Without a session, as Kratos: a 303 to
     * the login flow handing on this request's `return_to` (checked there), so that the browser comes back after
     * signing in; JSON: 401.
     */
    async initBrowser(request: FlowRequest, rawReturnTo: string | undefined, now: Date): Promise<FlowAnswer> {
      try {
        const session = await deps.sessionService.findActive(request.sessionToken, now);
        if (!session) {
          if (request.browser.json) throw new SessionInactiveError();
          return redirectAnswer(withQuery(initUrl(deps, 'login', 'browser'), { return_to: rawReturnTo || undefined }));
        }
        checkAal(session, deps.requiredAal, deps.publicBaseUrl, undefined, deps.codeMfa);
        const returnTo = checkReturnTo(rawReturnTo, deps.browser.allowedReturnUrls, deps.browser.defaultReturnUrl);
        const csrf = csrfFor(request);
        const flow = await createFlow(deps, 'settings', 'browser', deps.lifespanMs, request, now, {
          identityId: session.identityId,
          schemaId: session.identity.schemaId,
          state: 'show_form',
          returnTo,
          csrf: csrf.token,
        });
        await deps.hooks.before({ flowType: 'settings', flow, request, now, session });
        const setCookie = csrf.isNew ? { csrfToken: csrf.token } : {};
        if (!request.browser.json) return redirectAnswer(flowUiUrl(deps, 'settings', flow.id), setCookie);
        const view = await shown(session.identity);
        return jsonAnswer(render(deps, await prepared(flow, await accountOf(session.identity, view.account), now), csrf.token, view), 200, setCookie);
      } catch (error) {
        // A browser whose session lacks the second factor its identity has goes to get it (Kratos: a 303 there).
        if (error instanceof Aal2RequiredError && !request.browser.json) return redirectAnswer(error.redirectBrowserTo);
        if (error instanceof KratosError && !request.browser.json) return forwardToErrorUi(deps, error, now);
        throw error;
      }
    },

    /** `GET /self-service/settings/flows?id=`: the session's own flow (a browser flow with its CSRF cookie). */
    async get(rawId: string | undefined, request: FlowRequest, now: Date): Promise<FlowView> {
      const session = await sessionOf(request, now);
      const flow = await ownFlow(readFlowId(rawId), session);
      if (isExpired(flow, now)) throw new FlowGoneError('settings', initUrl(deps, 'settings', flow.mode));
      checkBrowserFlowCookie(flow, request);
      const view = await shown(session.identity);
      return render(deps, await prepared(flow, await accountOf(session.identity, view.account), now), request.browser.csrfCookie, { ...savedUiOf(flow), ...view });
    },

    /**
     * Finishes `flow` with a change a method made outside a submit (a provider linked at its callback): the flow must be
     * this browser's session's, open and unexpired, the session recent enough; `change` makes the new identity from the
     * stored one (credentials included) or throws the flow's failure.
     */
    async completeWith(
      flow: FlowRecord,
      method: string,
      change: (identity: Identity, fail: (flowMessages?: UiText[]) => Error) => Identity,
      request: FlowRequest,
      now: Date,
    ): Promise<FlowAnswer> {
      const attempt: Attempt = { flow, method };
      try {
        const session = await sessionOf(request, now);
        attempt.identityId = session.identityId;
        if (flow.identityId !== session.identityId) throw new IdentityMismatchError();
        if (isExpired(flow, now)) throw new FlowGoneError('settings', initUrl(deps, 'settings', flow.mode));
        if (now.getTime() - session.authenticatedAt.getTime() > deps.privilegedMaxAgeMs) throw new SessionRefreshRequiredError();
        const identity = await deps.identities.getWithCredentials(session.identityId);
        if (!identity) throw new SessionInactiveError();
        const fail = failing(flow, request, session, identity);
        return await finish(flow, session, identity, { identity: change(identity, fail) }, method, request, now, fail);
      } catch (error) {
        events.settingsFailed({ flowId: flow.id, flowType: flow.mode, method, reason: failureReason(error), identityId: attempt.identityId });
        if (error instanceof SessionRefreshRequiredError && flow.mode === 'browser') return redirectAnswer(refreshLogin(flow));
        const answer = await browserFailure(deps, 'settings', flow, error, request, now);
        if (answer) return answer;
        throw error;
      }
    },

    /** `POST /self-service/settings?flow=`. */
    async submit(rawId: string | undefined, body: Record<string, unknown>, request: FlowRequest, now: Date): Promise<FlowAnswer> {
      const attempt: Attempt = {};
      try {
        return await submit(rawId, body, request, now, attempt);
      } catch (error) {
        // Only a method this deployment has is named; anything else a client sent stays off the span.
        // A flow gone on to a provider did not fail.
        if (!(error instanceof BrowserLocationChangeRequiredError)) events.settingsFailed({ flowId: attempt.flow?.id, flowType: attempt.flow?.mode ?? '', method: attempt.method ?? '', reason: failureReason(error), identityId: attempt.identityId });
        const apiFlow = attempt.flow?.mode === 'api';
        // Kratos sends a browser without a session to log in, one with too old a session to log in again, and one
        // without the second factor its identity has to get it.
        if (error instanceof SessionInactiveError && !request.browser.json && !apiFlow) return redirectAnswer(initUrl(deps, 'login', 'browser'));
        if (error instanceof Aal2RequiredError && !request.browser.json && !apiFlow) return redirectAnswer(error.redirectBrowserTo);
        if (error instanceof SessionRefreshRequiredError && attempt.flow?.mode === 'browser') {
          const to = refreshLogin(attempt.flow);
          if (request.browser.json) throw new SessionRefreshRequiredError(to);
          return redirectAnswer(to);
        }
        const answer = await browserFailure(deps, 'settings', attempt.flow, error, request, now);
        if (answer) return answer;
        throw error;
      }
    },
  };

  async function submit(rawId: string | undefined, body: Record<string, unknown>, request: FlowRequest, now: Date, attempt: Attempt): Promise<FlowAnswer> {
    const flowId = parseFlowId(rawId);
    const strategy = strategyNamed(deps.strategies, 'settings', body);
    attempt.method = strategy?.id;
    const session = await sessionOf(request, now);
    attempt.identityId = session.identityId;
    const own = await ownFlow(flowId, session);
    attempt.flow = own;
    const flow = await checkSubmittable(deps, own, 'settings', deps.lifespanMs, request, now, {}, body);
    const identity = await deps.identities.getWithCredentials(session.identityId);
    if (!identity) throw new SessionInactiveError();
    const fail = failing(flow, request, session, identity);
    if (!strategy) throw fail([messages.noSettingsStrategy()]);
    const privileged = now.getTime() - session.authenticatedAt.getTime() <= deps.privilegedMaxAgeMs;
    const change = await strategy.settings.update({ flow, body, request, now, fail, session, identity, schema: schemaOf(deps, flow), privileged });
    if ('show' in change) {
      // A step that changes nothing yet: the method keeps what it needs on the flow, and the flow is shown again.
      await deps.flows.setInternal(flow.id, strategy.id, change.show.internal);
      const again = { ...flow, internal: { ...flow.internal, [strategy.id]: change.show.internal } };
      if (flow.mode === 'browser' && !request.browser.json) return redirectAnswer(flowUiUrl(deps, 'settings', flow.id));
      return jsonAnswer(render(deps, again, request.browser.csrfCookie, { ...identityView(session.identity), ...(readsCredentials ? { account: identity } : {}) }));
    }
    return finish(flow, session, identity, change, strategy.id, request, now, fail);
  }

  /** What every settings change shares, whichever method made it: stored with what the hooks add, copied into sessions. */
  async function finish(
    flow: FlowRecord,
    session: Session,
    identity: Identity,
    change: SettingsChange,
    method: string,
    request: FlowRequest,
    now: Date,
    fail: (flowMessages?: UiText[], nodeMessages?: Record<string, UiText[]>, values?: Record<string, unknown>) => Error,
  ): Promise<FlowAnswer> {
    const stored = revised({ ...change.identity, updatedAt: now }, identity);
    // The hooks (the verifier, for a profile change that adds an address) may add to the change's transaction.
    const hooked: AfterContext = {
      flowType: 'settings',
      method,
      flow,
      request,
      now,
      identity: stored,
      previous: identity,
      actingSessionId: session.id,
      actingSession: session,
      writes: [],
      continueWith: [],
    };
    await prepareHooks(deps.hooks, hooked, (flowMessages, nodeMessages) => fail(flowMessages, nodeMessages));
    try {
      await deps.commit(
        deps.identities.update(hooked.identity, identity),
        ...hooked.writes,
        // A factor the change proved is added to this session, authenticated anew.
        ...(change.factor && session.tokenHash
          ? [deps.sessions.stepUp(session.tokenHash, { amr: [...session.amr, { ...change.factor, completedAt: now }], authenticatedAt: now, identity: hooked.identity })]
          : []),
      );
    } catch (error) {
      if (error instanceof DuplicateIdentifierError) throw fail([messages.duplicateCredentials()], {}, change.values);
      if (error instanceof ConcurrentUpdateError) throw fail([messages.generic(error.reason!)], {}, change.values);
      throw error;
    }
    await deps.sessions.refreshIdentity(hooked.identity);
    const saved = failedWith({}, [messages.settingsSaved()]);
    await deps.flows.markSucceeded(flow.id, saved);
    // What the method kept between its steps is spent with the change (lookup codes shown until confirmed: they must
    // not stay on the flow, nor be confirmed again), as Kratos resets it; a method that prepares its form renews it below.
    let rest = flow;
    if (flow.internal?.[method] !== undefined && !preparing.some((s) => s.id === method)) {
      await deps.flows.setInternal(flow.id, method, undefined);
      const { [method]: _spent, ...kept } = flow.internal;
      rest = { ...flow, internal: kept };
    }
    events.identityUpdated(stored.id);
    events.settingsSucceeded(flow.id, flow.mode, stored.id, method);
    await deps.hooks.committed(hooked);
    const succeeded = await prepared({ ...rest, state: 'success' as const, messages: [], ui: undefined }, hooked.identity, now, true);
    const view = render(deps, succeeded, request.browser.csrfCookie, { ...saved, ...(await shown(hooked.identity, hooked.identity)) });
    if (flow.mode === 'browser' && !request.browser.json) return redirectAnswer(hooked.browserRedirect ?? afterSuccessUrl(deps, flow, 'settings', flowUiUrl(deps, 'settings', flow.id)));
    return jsonAnswer(view);
  }
}
export type SettingsFlows = ReturnType<typeof createSettingsFlows>;
