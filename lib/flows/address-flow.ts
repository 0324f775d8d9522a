/**
 * What recovery and verification have in common (Kratos's `selfservice/flow/recovery` and `verification` handlers):
 * both prove an address through a method (`code`), for native apps (`api`) and browsers, with the same init, read,
 * link and submit scaffolding; they differ in what a passed challenge leads to (recovery.ts, verification.ts).
 */
import { BadRequestError, FlowGoneError, KratosError, NotFoundError, SessionAlreadyAvailableError } from '../errors/index.js';
import type { SessionService } from '../session/service.js';
import { messages, type UiText } from '../text/messages.js';
import { events } from '../tracing/events.js';
import { canonicalUuid } from '../util/ids.js';
import type { Committer } from '../util/writes.js';
import { jsonAnswer, redirectAnswer, withQuery, type FlowAnswer } from './answer.js';
import { browserFailure, flowUiUrl, forwardToErrorUi } from './browser.js';
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
  stringField,
  type FlowDeps,
  type FlowRequest,
} from './common.js';
import { maskCsrfToken, verifyCsrfToken } from './csrf.js';
import type { HookRunner } from './hooks.js';
import { isExpired, type FlowMode, type FlowRecord, type FlowView, type SavedUi } from './model.js';
import { checkReturnTo } from './return-to.js';
import type { AddressContext, AddressProof, AddressStrategy, Strategy } from './strategy.js';

export type AddressFlowType = 'recovery' | 'verification';

export interface AddressFlowDeps extends FlowDeps {
  sessionService: SessionService;
  commit: Committer['commit'];
  hooks: HookRunner;
}

/** What one of the two flows is, and how it goes on where they differ. */
export interface AddressFlowKind {
  type: AddressFlowType;
  enabled: boolean;
  /**
   * The method a new flow is for (`selfservice.flows.<type>.use`): its `active` from the start, as Kratos sets it
   * (Ory Elements tells the form's state from it).
   */
  use: string;
  lifespanMs: number;
  /** Whether a signed-in caller may start one (recovery: no, Kratos answers session_already_available). */
  forSignedIn: boolean;
  /**
   * Whether a link opens a flow for a browser that did not make it, filling in its code: verification's mailed links
   * do (Kratos: its code is proof enough, and they are opened on another device); a recovery flow only when the admin
   * made it, else a link would sign the browser that opens it into the account of whoever sent it.
   */
  linkTakesOver: (flow: FlowRecord) => boolean;
  /** Messages a flow that passed its challenge shows (verification: "You successfully verified ..."). */
  doneMessages?: UiText[];
  /**
   * A submit to a flow that passed its challenge, when the flow itself answers it (verification replaces the flow);
   * undefined: the method answers it.
   */
  afterDone?: (flow: FlowRecord, ctx: AddressContext) => Promise<FlowAnswer>;
  /** The challenge passed: what follows (a session, an address verified), answered. */
  passed: (flow: FlowRecord, proof: AddressProof, method: string, request: FlowRequest, now: Date) => Promise<FlowAnswer>;
}

export function createAddressFlow(deps: AddressFlowDeps, kind: AddressFlowKind) {
  const { type } = kind;
  const capitalised = type === 'recovery' ? 'Recovery' : 'Verification';
  const requireEnabled = () => {
    if (!kind.enabled) throw new BadRequestError(`${capitalised} is not allowed because it was disabled.`);
  };

  /** Where verification's "Continue" leads once done. */
  const continueUrl = (flow: FlowRecord) => flow.returnTo ?? deps.browser.afterReturnUrls.verification ?? deps.browser.defaultReturnUrl;

  const view = (flow: FlowRecord, csrf: string | undefined, saved: Partial<SavedUi> = {}): FlowView =>
    render(deps, flow, csrf, {
      values: saved.values,
      nodeMessages: saved.nodeMessages,
      messages: flow.state === 'passed_challenge' && kind.doneMessages ? kind.doneMessages : saved.messages,
      continueUrl: continueUrl(flow),
    });

  /** The answer of a flow that changed: the UI again for a browser form, else the flow as JSON. */
  function show(flow: FlowRecord, request: FlowRequest, saved: Partial<SavedUi>, status = 200, extra: Partial<FlowAnswer> = {}): FlowAnswer {
    if (flow.mode === 'browser' && !request.browser.json) return redirectAnswer(flowUiUrl(deps, type, flow.id), extra);
    return jsonAnswer(view(flow, request.browser.csrfCookie, saved), status, extra);
  }

  /** A new flow in place of one that cannot go on (same mode and return_to), saying why. */
  const replace = (flow: FlowRecord, message: UiText, request: FlowRequest, now: Date) =>
    createFlow(deps, type, flow.mode, kind.lifespanMs, { requestUrl: flow.requestUrl }, now, {
      active: kind.use,
      messages: [message],
      ...(flow.returnTo ? { returnTo: flow.returnTo } : {}),
      ...(flow.mode === 'browser' && request.browser.csrfCookie ? { csrf: request.browser.csrfCookie } : {}),
    });

  /** The method a submit is for: the one it names, else the one in use on the flow, else the only one there is. */
  function methodOf(body: Record<string, unknown>, flow: FlowRecord): Strategy | undefined {
    const serving = deps.strategies.filter((s) => s[type] !== undefined);
    const named = body.method ?? flow.active ?? (serving.length === 1 ? serving[0].id : undefined);
    return serving.find((s) => s.id === named);
  }

  async function submitChecked(rawId: string | undefined, body: Record<string, unknown>, request: FlowRequest, now: Date, attempt: { flow?: FlowRecord }): Promise<FlowAnswer> {
    const flowId = parseFlowId(rawId);
    const loaded = await deps.flows.get(flowId);
    if (loaded?.type === type) attempt.flow = loaded;
    const email = stringField(body, 'email');
    const values = email !== undefined ? { email } : {};
    const flow = await checkSubmittable(deps, loaded, type, kind.lifespanMs, request, now, values, body);
    const strategy = methodOf(body, flow);
    const fail = (flowMessages: UiText[] = [], nodeMessages?: Record<string, UiText[]>, echoed: Record<string, unknown> = values) =>
      invalid(deps, flow, request, failedWith(echoed, flowMessages, nodeMessages));
    const method: AddressStrategy | undefined = strategy?.[type];
    if (!strategy || !method) throw fail([messages.noAddressStrategy(type)]);
    const ctx: AddressContext = {
      flow,
      body,
      request,
      now,
      fail,
      show: (shown, saved, status) => show(shown, request, saved, status),
      saveUi: (saved) => deps.flows.saveUi(flow.id, saved),
      uiUrlOf: (id) => flowUiUrl(deps, type, id),
      replace: (message) => replace(flow, message, request, now),
    };
    if (flow.state === 'passed_challenge' && kind.afterDone) return kind.afterDone(flow, ctx);
    const step = await method.submit(ctx);
    return 'answer' in step ? step.answer : kind.passed(flow, step.passed, strategy.id, request, now);
  }

  return {
    /** `GET /self-service/<type>/{api,browser}`. */
    async init(mode: FlowMode, request: FlowRequest, rawReturnTo: string | undefined, now: Date): Promise<FlowAnswer> {
      try {
        requireEnabled();
        const returnTo = mode === 'browser' ? checkReturnTo(rawReturnTo, deps.browser.allowedReturnUrls, deps.browser.defaultReturnUrl) : undefined;
        if (!kind.forSignedIn && (await deps.sessionService.findActive(request.sessionToken, now))) {
          if (mode === 'browser' && !request.browser.json) return redirectAnswer(returnTo ?? deps.browser.defaultReturnUrl);
          throw new SessionAlreadyAvailableError('recovery');
        }
        const csrf = mode === 'browser' ? csrfFor(request) : undefined;
        const flow = await createFlow(deps, type, mode, kind.lifespanMs, request, now, {
          active: kind.use,
          ...(returnTo ? { returnTo } : {}),
          ...(csrf ? { csrf: csrf.token } : {}),
        });
        await deps.hooks.before({ flowType: type, flow, request, now });
        const setCookie = csrf?.isNew ? { csrfToken: csrf.token } : {};
        if (mode === 'browser' && !request.browser.json) return redirectAnswer(flowUiUrl(deps, type, flow.id), setCookie);
        return jsonAnswer(view(flow, csrf?.token), 200, setCookie);
      } catch (error) {
        if (mode === 'browser' && error instanceof KratosError && !request.browser.json) return forwardToErrorUi(deps, error, now);
        throw error;
      }
    },

    /** `GET /self-service/<type>/flows?id=`. */
    async get(rawId: string | undefined, request: FlowRequest, now: Date): Promise<FlowView> {
      requireEnabled();
      const flow = await deps.flows.get(readFlowId(rawId));
      if (!flow || flow.type !== type) throw new NotFoundError();
      if (isExpired(flow, now)) throw new FlowGoneError(type, initUrl(deps, type, flow.mode));
      checkBrowserFlowCookie(flow, request);
      return view(flow, request.browser.csrfCookie, savedUiOf(flow));
    },

    /**
     * `GET /self-service/<type>?flow=[&code=]`: a link into a flow (an e-mailed verification link, or the recovery
     * link the admin API made), then 303 to the flow's UI. A flow a link may hand over (linkTakesOver) gets the
     * anti-CSRF cookie of the browser opening it, and the code, if any, filled in; any other flow opened by a browser
     * that did not make it starts a new flow instead (Kratos retries the flow on a CSRF mismatch).
     */
    async link(rawId: string | undefined, rawCode: string | undefined, request: FlowRequest, now: Date): Promise<FlowAnswer> {
      try {
        requireEnabled();
        const id = canonicalUuid(rawId);
        const flow = id ? await deps.flows.get(id) : undefined;
        // No usable flow: start a new one, as Kratos does for a link without one.
        if (!flow || flow.type !== type) return redirectAnswer(initUrl(deps, type, 'browser'));
        const extra: Partial<FlowAnswer> = {};
        const takesOver = kind.linkTakesOver(flow);
        if (flow.mode === 'browser' && !verifyCsrfToken(request.browser.csrfCookie, flow.csrfToken)) {
          if (!takesOver) return redirectAnswer(withQuery(initUrl(deps, type, 'browser'), { return_to: flow.returnTo }));
          const csrf = csrfFor(request);
          await deps.flows.setCsrfToken(flow.id, maskCsrfToken(csrf.token));
          if (csrf.isNew) extra.csrfToken = csrf.token;
        }
        const code = typeof rawCode === 'string' && /^[0-9]{1,6}$/.test(rawCode) ? rawCode : undefined;
        if (code && takesOver && flow.state === 'sent_email') await deps.flows.saveUi(flow.id, { values: { code }, messages: flow.ui?.messages ?? [], nodeMessages: {} });
        return redirectAnswer(flowUiUrl(deps, type, flow.id), extra);
      } catch (error) {
        if (error instanceof KratosError) return forwardToErrorUi(deps, error, now);
        throw error;
      }
    },

    /** `POST /self-service/<type>?flow=`. */
    async submit(rawId: string | undefined, body: Record<string, unknown>, request: FlowRequest, now: Date): Promise<FlowAnswer> {
      const attempt: { flow?: FlowRecord } = {};
      try {
        requireEnabled();
        return await submitChecked(rawId, body, request, now, attempt);
      } catch (error) {
        events.codeFlowFailed(type, { flowId: attempt.flow?.id, flowType: attempt.flow?.mode ?? '', reason: failureReason(error) });
        const answer = await browserFailure(deps, type, attempt.flow, error, request, now);
        if (answer) return answer;
        if (!attempt.flow && error instanceof KratosError && !request.browser.json && request.hasCookie) return forwardToErrorUi(deps, error, now);
        throw error;
      }
    },

    /** The flow as JSON, or its UI for a browser form post (what a passed challenge answers, as any other step). */
    show,
    view,
  };
}
export type AddressFlow = ReturnType<typeof createAddressFlow>;
