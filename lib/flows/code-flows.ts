/**
 * Recovery and verification by code (Kratos's `code` strategy, v1 states `choose_method` -> `sent_email` ->
 * `passed_challenge`), for native apps (`api`) and browsers. Submitting an e-mail sends a code, whether or not the
 * address belongs to anyone (same answer, same work: a code is made and its HMAC stored either way; only a known
 * address, or an unknown one with `notify_unknown_recipients`, gets a message, queued in the same transaction).
 * Submitting the code: wrong -> 4060006 / 4070006 on the flow; too many submissions -> a new flow; right -> recovery
 * signs the identity in (AMR `code_recovery`) and opens a settings flow; verification marks the address verified.
 */
import { randomUUID } from 'node:crypto';
import { parseDuration } from '../config/env.js';
import type { RecoveryConfig } from '../config/recovery.js';
import { queuedMessage, type CourierMessage, type TemplateType } from '../courier/model.js';
import { BadRequestError, FlowAlreadyUsedError, FlowGoneError, FlowReplacedError, KratosError, NotFoundError, SessionAlreadyAvailableError } from '../errors/index.js';
import { withAddressVerified } from '../identity/addresses.js';
import type { Identity } from '../identity/model.js';
import type { IdentityRepository } from '../identity/repository.js';
import { normalizeIdentifier } from '../identity/identifier.js';
import type { SessionRepository } from '../session/repository.js';
import type { SessionService } from '../session/service.js';
import { messages, type UiText } from '../text/messages.js';
import { currentTraceparent } from '../tracing/span.js';
import { events } from '../tracing/events.js';
import { canonicalUuid } from '../util/ids.js';
import { jsonAnswer, redirectAnswer, withQuery, type FlowAnswer } from './answer.js';
import { browserFailure, flowUiUrl, forwardToErrorUi } from './browser.js';
import { codeHmac, matchingHmac, newCode } from './code.js';
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
import { isExpired, type FlowMode, type FlowRecord, type FlowView, type SavedUi } from './model.js';
import { checkReturnTo } from './return-to.js';

export type CodeFlowType = 'recovery' | 'verification';

/** The longest an admin's recovery code may live: a year. */
const MAX_ADMIN_CODE_LIFESPAN_MS = 8760 * 3_600_000;

export interface CodeFlowDeps extends FlowDeps {
  identities: IdentityRepository;
  sessions: SessionRepository;
  sessionService: SessionService;
  recovery: RecoveryConfig;
  settingsLifespanMs: number;
  privilegedMaxAgeMs: number;
}

/**
 * An e-mail address as far as sending a code needs: at most 320 characters (RFC 5321's limit), one `@`, no space,
 * a dot inside the domain. Checked without a backtracking pattern: the input is the caller's, of any length.
 */
function looksLikeEmail(value: string): boolean {
  if (value.length > 320 || /\s/.test(value)) return false;
  const at = value.indexOf('@');
  if (at <= 0 || at !== value.lastIndexOf('@')) return false;
  const domain = value.slice(at + 1);
  const dot = domain.lastIndexOf('.');
  return dot > 0 && dot < domain.length - 1;
}

export function createCodeFlows(deps: CodeFlowDeps, type: CodeFlowType) {
  const cfg = deps.recovery;
  const enabled = type === 'recovery' ? cfg.recoveryEnabled : cfg.verificationEnabled;
  const lifespanMs = type === 'recovery' ? cfg.recoveryLifespanMs : cfg.verificationLifespanMs;
  const notifyUnknown = type === 'recovery' ? cfg.recoveryNotifyUnknownRecipients : cfg.verificationNotifyUnknownRecipients;
  const addressKind = type;
  const sentMessage = type === 'recovery' ? messages.recoveryCodeSent : messages.verificationCodeSent;
  const invalidCode = type === 'recovery' ? messages.recoveryCodeInvalid : messages.verificationCodeInvalid;
  const capitalised = type === 'recovery' ? 'Recovery' : 'Verification';

  const requireEnabled = () => {
    if (!enabled) throw new BadRequestError(`${capitalised} is not allowed because it was disabled.`);
  };

  /** Where verification's "Continue" leads once done. */
  const continueUrl = (flow: FlowRecord) => flow.returnTo ?? deps.browser.afterReturnUrls.verification ?? deps.browser.defaultReturnUrl;

  const view = (flow: FlowRecord, csrf: string | undefined, saved: Partial<SavedUi> = {}): FlowView => {
    const done = flow.state === 'passed_challenge' && type === 'verification';
    return render(deps, flow, csrf, {
      values: saved.values,
      nodeMessages: saved.nodeMessages,
      messages: done ? [messages.verificationSucceeded()] : saved.messages,
      continueUrl: continueUrl(flow),
    });
  };

  /** A code for `address`, and the message that carries it (none for an unknown address unless notifying). */
  function codeFor(flowId: string, address: string, identityId: string | undefined, now: Date, requestUrl: string) {
    const code = newCode();
    const hmac = codeHmac(cfg.codeSecrets[0], flowId, code);
    const expiresAt = new Date(now.getTime() + cfg.codeLifespanMs);
    let message: CourierMessage | undefined;
    const minutes = Math.round(cfg.codeLifespanMs / 60_000);
    if (identityId) {
      const template: TemplateType = type === 'recovery' ? 'recovery_code_valid' : 'verification_code_valid';
      const data =
        type === 'recovery'
          ? { to: address, recovery_code: code, expires_in_minutes: minutes, identity_id: identityId, request_url: requestUrl }
          : {
              to: address,
              verification_code: code,
              verification_url: withQuery(`${deps.publicBaseUrl}/self-service/verification`, { code, flow: flowId }),
              expires_in_minutes: minutes,
              identity_id: identityId,
              request_url: requestUrl,
            };
      message = queuedMessage(randomUUID(), template, data, now, currentTraceparent());
    } else if (notifyUnknown) {
      message = queuedMessage(randomUUID(), type === 'recovery' ? 'recovery_code_invalid' : 'verification_code_invalid', { to: address, request_url: requestUrl }, now, currentTraceparent());
    }
    return { code, sent: { hmac, expiresAt, address, ...(identityId ? { identityId } : {}) }, message };
  }

  async function init(mode: FlowMode, request: FlowRequest, rawReturnTo: string | undefined, now: Date): Promise<FlowAnswer> {
    try {
      requireEnabled();
      const returnTo = mode === 'browser' ? checkReturnTo(rawReturnTo, deps.browser.allowedReturnUrls, deps.browser.defaultReturnUrl) : undefined;
      if (type === 'recovery' && (await deps.sessionService.findActive(request.sessionToken, now))) {
        if (mode === 'browser' && !request.browser.json) return redirectAnswer(returnTo ?? deps.browser.defaultReturnUrl);
        throw new SessionAlreadyAvailableError('recovery');
      }
      const csrf = mode === 'browser' ? csrfFor(request) : undefined;
      const flow = await createFlow(deps, type, mode, lifespanMs, request, now, { ...(returnTo ? { returnTo } : {}), ...(csrf ? { csrf: csrf.token } : {}) });
      const setCookie = csrf?.isNew ? { csrfToken: csrf.token } : {};
      if (mode === 'browser' && !request.browser.json) return redirectAnswer(flowUiUrl(deps, type, flow.id), setCookie);
      return jsonAnswer(view(flow, csrf?.token), 200, setCookie);
    } catch (error) {
      if (mode === 'browser' && error instanceof KratosError && !request.browser.json) return forwardToErrorUi(deps, error, now);
      throw error;
    }
  }

  async function get(rawId: string | undefined, request: FlowRequest, now: Date): Promise<FlowView> {
    requireEnabled();
    const flow = await deps.flows.get(readFlowId(rawId));
    if (!flow || flow.type !== type) throw new NotFoundError();
    if (isExpired(flow, now)) throw new FlowGoneError(type, initUrl(deps, type, flow.mode));
    checkBrowserFlowCookie(flow, request);
    return view(flow, request.browser.csrfCookie, savedUiOf(flow));
  }

  /**
   * `GET /self-service/<type>?flow=[&code=]`: a link into a flow (an e-mailed verification link, or the recovery
   * link the admin API made). A browser flow gets the anti-CSRF cookie it lacks; the code, if any, is filled in; then
   * 303 to the flow's UI.
   */
  async function link(rawId: string | undefined, rawCode: string | undefined, request: FlowRequest, now: Date): Promise<FlowAnswer> {
    try {
      requireEnabled();
      const id = canonicalUuid(rawId);
      const flow = id ? await deps.flows.get(id) : undefined;
      if (!flow || flow.type !== type) {
        // No usable flow: start a new one, as Kratos does for a link without one.
        return redirectAnswer(initUrl(deps, type, 'browser'));
      }
      const extra: Partial<FlowAnswer> = {};
      if (flow.mode === 'browser' && !verifyCsrfToken(request.browser.csrfCookie, flow.csrfToken)) {
        const csrf = csrfFor(request);
        await deps.flows.setCsrfToken(flow.id, maskCsrfToken(csrf.token));
        if (csrf.isNew) extra.csrfToken = csrf.token;
      }
      const code = typeof rawCode === 'string' && /^[0-9]{1,6}$/.test(rawCode) ? rawCode : undefined;
      if (code && flow.state === 'sent_email') await deps.flows.saveUi(flow.id, { values: { code }, messages: flow.ui?.messages ?? [], nodeMessages: {} });
      return redirectAnswer(flowUiUrl(deps, type, flow.id), extra);
    } catch (error) {
      if (error instanceof KratosError) return forwardToErrorUi(deps, error, now);
      throw error;
    }
  }

  async function submit(rawId: string | undefined, body: Record<string, unknown>, request: FlowRequest, now: Date): Promise<FlowAnswer> {
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
  }

  /** The answer of a flow that changed: the UI again for a browser form, else the flow as JSON. */
  function flowAnswer(flow: FlowRecord, request: FlowRequest, saved: Partial<SavedUi>, status = 200, extra: Partial<FlowAnswer> = {}): FlowAnswer {
    if (flow.mode === 'browser' && !request.browser.json) return redirectAnswer(flowUiUrl(deps, type, flow.id), extra);
    return jsonAnswer(view(flow, request.browser.csrfCookie, saved), status, extra);
  }

  async function submitChecked(rawId: string | undefined, body: Record<string, unknown>, request: FlowRequest, now: Date, attempt: { flow?: FlowRecord }): Promise<FlowAnswer> {
    const flowId = parseFlowId(rawId);
    const loaded = await deps.flows.get(flowId);
    if (loaded?.type === type) attempt.flow = loaded;
    const email = stringField(body, 'email');
    const code = stringField(body, 'code');
    const values = email !== undefined ? { email } : {};
    const flow = await checkSubmittable(deps, loaded, type, lifespanMs, request, now, values, body);
    if (body.method !== undefined && body.method !== 'code') throw invalid(deps, flow, request, failedWith(values, [messages.noCodeStrategy(type)]));
    if (flow.state === 'passed_challenge') return alreadyDone(flow, email, request, now);
    // Kratos: recovery takes an e-mail as a resend first; verification checks a code first.
    const hasCode = code !== undefined && code.trim() !== '';
    if (flow.state === 'sent_email' && type === 'verification' && hasCode) return checkCode(flow, code, request, now);
    if (email !== undefined || flow.state === 'choose_method') return sendCode(flow, email ?? '', request, now);
    return checkCode(flow, code ?? '', request, now);
  }

  /** A new flow in place of one that cannot go on (same mode and return_to), saying why. */
  const replace = (flow: FlowRecord, message: UiText, request: FlowRequest, now: Date) =>
    createFlow(deps, type, flow.mode, lifespanMs, { requestUrl: flow.requestUrl }, now, {
      messages: [message],
      ...(flow.returnTo ? { returnTo: flow.returnTo } : {}),
      ...(flow.mode === 'browser' && request.browser.csrfCookie ? { csrf: request.browser.csrfCookie } : {}),
    });

  /**
   * A submit to a flow that passed its challenge, as Kratos answers it: recovery takes it as a code that no longer
   * works (4060006); verification replaces the flow with a new one saying it was done (4070002): a browser is sent
   * to the new flow, JSON gets 410 `self_service_flow_replaced` naming it.
   */
  async function alreadyDone(flow: FlowRecord, email: string | undefined, request: FlowRequest, now: Date): Promise<FlowAnswer> {
    if (type === 'recovery') {
      if (email !== undefined) throw invalid(deps, flow, request, failedWith({ email }, [messages.flowAlreadyCompleted(type)]));
      const saved = failedWith({}, [invalidCode()]);
      if (flow.mode === 'browser') await deps.flows.saveUi(flow.id, saved);
      return flowAnswer(flow, request, saved);
    }
    const message = messages.flowAlreadyCompleted(type);
    const replacement = await replace(flow, message, request, now);
    if (flow.mode === 'browser' && !request.browser.json) return redirectAnswer(flowUiUrl(deps, type, replacement.id));
    throw new FlowReplacedError(message.text, replacement.id);
  }

  async function sendCode(flow: FlowRecord, rawEmail: string, request: FlowRequest, now: Date): Promise<FlowAnswer> {
    const values = { email: rawEmail };
    if (!rawEmail.trim()) throw invalid(deps, flow, request, failedWith(values, [], { email: [messages.required('email')] }));
    if (!looksLikeEmail(rawEmail.trim())) throw invalid(deps, flow, request, failedWith(values, [], { email: [messages.invalidEmail(rawEmail)] }));
    const address = normalizeIdentifier(rawEmail);
    const identityId = await deps.identities.findIdByAddress(addressKind, address);
    const { sent, message } = codeFor(flow.id, address, identityId, now, flow.requestUrl);
    const saved = failedWith({}, [sentMessage()]);
    try {
      await deps.flows.sendCode(flow.id, sent, message, saved, now);
    } catch (error) {
      if (error instanceof FlowAlreadyUsedError) throw invalid(deps, flow, request, failedWith(values, [messages.flowAlreadyCompleted(type)]));
      throw error;
    }
    return flowAnswer({ ...flow, state: 'sent_email', active: 'code', code: sent, submissions: flow.submissions ?? 0 }, request, saved);
  }

  async function checkCode(flow: FlowRecord, code: string, request: FlowRequest, now: Date): Promise<FlowAnswer> {
    const wrong = async (): Promise<FlowAnswer> => {
      const saved = failedWith({}, [invalidCode()]);
      if (flow.mode === 'browser') await deps.flows.saveUi(flow.id, saved);
      events.codeFlowFailed(type, { flowId: flow.id, flowType: flow.mode, reason: `${saved.messages[0].id}: ${saved.messages[0].text}` });
      return flowAnswer(flow, request, saved);
    };
    // Kratos: verification without a code nor an address asks for the address; recovery takes an empty code as a
    // wrong one (it counts as a submission).
    if (!code.trim() && type === 'verification') throw invalid(deps, flow, request, failedWith({}, [], { email: [messages.required('email')] }));
    if (!(await deps.flows.countSubmission(flow.id, cfg.maxSubmissions))) {
      // Kratos replaces a flow submitted too often: the new one says why and takes a new address.
      const replacement = await replace(flow, messages.tooManySubmissions(), request, now);
      if (flow.mode === 'browser' && !request.browser.json) return redirectAnswer(flowUiUrl(deps, type, replacement.id));
      // Kratos: 400 with the reason, and where to go on (`show_<type>_ui` with the new flow) in the error's details.
      throw new BadRequestError(messages.tooManySubmissions().text, {
        details: { continue_with: [{ action: `show_${type}_ui`, flow: { id: replacement.id, url: flowUiUrl(deps, type, replacement.id) } }] },
      });
    }
    const sent = flow.code;
    const hmac = sent && sent.expiresAt.getTime() > now.getTime() ? matchingHmac(cfg.codeSecrets, flow.id, code.trim(), sent.hmac) : undefined;
    if (!sent?.identityId || !hmac) return wrong();
    const identity = await deps.identities.getWithCredentials(sent.identityId);
    if (!identity || identity.state !== 'active') return wrong();
    // The code went to an address; once the identity no longer has it, the code is worth nothing (Kratos deletes a
    // code with its address). The admin's codes name the identity only.
    const held = (type === 'recovery' ? identity.recoveryAddresses : identity.verifiableAddresses) ?? [];
    if (sent.address && !held.some((a) => a.value === sent.address)) return wrong();
    try {
      return type === 'recovery' ? await recovered(flow, hmac, identity, sent.address, request, now) : await verified(flow, hmac, identity, sent.address, request, now);
    } catch (error) {
      // The code was spent by a submission that won the race, or the flow expired meanwhile.
      if (error instanceof FlowAlreadyUsedError) return wrong();
      throw error;
    }
  }

  async function recovered(flow: FlowRecord, hmac: string, identity: Identity, address: string, request: FlowRequest, now: Date): Promise<FlowAnswer> {
    // Kratos (markRecoveryAddressVerified): a code that reached an address proves it, so a verifiable one is verified.
    const verifies = identity.verifiableAddresses?.some((a) => a.value === address && !a.verified) ?? false;
    const next = verifies ? { ...withAddressVerified(identity, address, now), revision: (identity.revision ?? 1) + 1 } : identity;
    const issued = deps.sessionService.issue(next, request, now, 'code_recovery');
    const privilegedUntil = new Date(now.getTime() + deps.privilegedMaxAgeMs);
    const csrf = flow.mode === 'browser' ? csrfFor(request) : undefined;
    const settings: FlowRecord = {
      id: randomUUID(),
      type: 'settings',
      mode: flow.mode,
      state: 'show_form',
      requestUrl: flow.requestUrl,
      issuedAt: now,
      expiresAt: new Date(now.getTime() + deps.settingsLifespanMs),
      identityId: identity.id,
      schemaId: identity.schemaId,
      messages: [messages.recoverySucceeded(deps.privilegedMaxAgeMs / 60_000, privilegedUntil)],
      ...(flow.returnTo ? { returnTo: flow.returnTo } : {}),
      ...(csrf ? { csrfToken: maskCsrfToken(csrf.token) } : {}),
    };
    await deps.flows.completeRecovery(flow.id, hmac, issued, settings, now, verifies ? { next, previous: identity } : undefined);
    if (verifies) await deps.sessions.refreshIdentity(next);
    events.sessionIssued(identity.id, issued.session.id);
    events.codeFlowSucceeded('recovery', flow.id, flow.mode, identity.id);
    const settingsUrl = flowUiUrl(deps, 'settings', settings.id);
    const continueWith: Record<string, unknown>[] =
      flow.mode === 'api'
        ? [
            { action: 'set_ory_session_token', ory_session_token: issued.token },
            { action: 'show_settings_ui', flow: { id: settings.id } },
          ]
        : [{ action: 'show_settings_ui', flow: { id: settings.id, url: settingsUrl } }];
    const done: FlowRecord = { ...flow, state: 'passed_challenge', continueWith, ui: undefined };
    if (flow.mode === 'api') return jsonAnswer(view(done, undefined));
    const cookies: Partial<FlowAnswer> = { session: { token: issued.token, expiresAt: issued.session.expiresAt }, ...(csrf?.isNew ? { csrfToken: csrf.token } : {}) };
    return request.browser.json ? jsonAnswer(view(done, csrf?.token), 200, cookies) : redirectAnswer(settingsUrl, cookies);
  }

  async function verified(flow: FlowRecord, hmac: string, identity: Identity, address: string, request: FlowRequest, now: Date): Promise<FlowAnswer> {
    const next = { ...withAddressVerified(identity, address, now), revision: (identity.revision ?? 1) + 1 };
    await deps.flows.completeVerification(flow.id, hmac, next, identity, now);
    await deps.sessions.refreshIdentity(next);
    events.identityUpdated(identity.id);
    events.codeFlowSucceeded('verification', flow.id, flow.mode, identity.id);
    return flowAnswer({ ...flow, state: 'passed_challenge', ui: undefined }, request, {});
  }

  return {
    init,
    get,
    link,
    submit,

    /**
     * Verification on, an identity with a new verifiable `address` (registration: its first; settings: one the
     * profile change added): the verification flow, its code already sent (state `sent_email`), the message, and the
     * identity with that address marked `sent`; the caller stores all of them in its own transaction (Kratos's
     * verification hook after registration and settings).
     */
    forAddress(identity: Identity, address: string | undefined, mode: FlowMode, request: FlowRequest, returnTo: string | undefined, now: Date) {
      if (!enabled || !address) return undefined;
      const id = randomUUID();
      const { sent, message } = codeFor(id, address, identity.id, now, request.requestUrl);
      const flow: FlowRecord = {
        id,
        type: 'verification',
        mode,
        state: 'sent_email',
        requestUrl: request.requestUrl,
        issuedAt: now,
        expiresAt: new Date(now.getTime() + lifespanMs),
        active: 'code',
        code: sent,
        submissions: 0,
        ui: failedWith({}, [sentMessage()]),
        ...(returnTo ? { returnTo } : {}),
        ...(mode === 'browser' && request.browser.csrfCookie ? { csrfToken: maskCsrfToken(request.browser.csrfCookie) } : {}),
      };
      const continueWith = {
        action: 'show_verification_ui',
        flow: { id, verifiable_address: address, ...(mode === 'browser' ? { url: flowUiUrl(deps, 'verification', id) } : {}) },
      };
      const marked: Identity = {
        ...identity,
        verifiableAddresses: identity.verifiableAddresses?.map((a) => (a.value === address && a.status === 'pending' ? { ...a, status: 'sent' as const, updatedAt: now } : a)),
      };
      return { flow, message: message!, continueWith, identity: marked };
    },

    /** `POST /admin/recovery/code`: a recovery flow whose code the admin hands over (nothing is mailed). */
    async adminCode(body: Record<string, unknown>, now: Date) {
      requireEnabled();
      const identityId = canonicalUuid(typeof body.identity_id === 'string' ? body.identity_id : undefined);
      if (!identityId) throw new BadRequestError('identity_id must be the UUID of an identity');
      const flowType = body.flow_type === undefined ? 'browser' : body.flow_type;
      if (flowType !== 'browser' && flowType !== 'api') throw new BadRequestError('flow_type must be "api" or "browser"');
      let expiresInMs = cfg.codeLifespanMs;
      if (body.expires_in !== undefined) {
        const parsed = typeof body.expires_in === 'string' ? parseDuration(body.expires_in) : undefined;
        if (!parsed || parsed <= 0 || parsed > MAX_ADMIN_CODE_LIFESPAN_MS) throw new BadRequestError('expires_in must be a duration such as "1h" or "15m", at most "8760h"');
        expiresInMs = parsed;
      }
      const identity = await deps.identities.get(identityId);
      if (!identity) throw new NotFoundError('The requested identity could not be found.');
      const id = randomUUID();
      const code = newCode();
      const expiresAt = new Date(now.getTime() + expiresInMs);
      const flow: FlowRecord = {
        id,
        type: 'recovery',
        mode: flowType,
        state: 'sent_email',
        requestUrl: `${deps.publicBaseUrl}/admin/recovery/code`,
        issuedAt: now,
        expiresAt,
        active: 'code',
        code: { hmac: codeHmac(cfg.codeSecrets[0], id, code), expiresAt, address: identity.recoveryAddresses?.[0]?.value ?? '', identityId },
        submissions: 0,
      };
      await deps.flows.create(flow);
      events.recoveryInitiatedByAdmin(id, flowType, identityId);
      return { recovery_link: withQuery(`${deps.publicBaseUrl}/self-service/recovery`, { flow: id }), recovery_code: code, expires_at: expiresAt.toISOString() };
    },
  };
}

export type CodeFlows = ReturnType<typeof createCodeFlows>;
