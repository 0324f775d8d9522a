/**
 * What the flows share: ids, creation, lookup, expiry, the CSRF guards of both kinds of flow (native flows refuse
 * cookies and Origin; browser flows need the anti-CSRF cookie and its token), validation errors, the signed-in check.
 */
import { randomUUID } from 'node:crypto';
import type { BrowserConfig } from '../config/browser.js';
import {
  BadRequestError,
  CsrfViolationError,
  FlowExpiredError,
  FlowGoneError,
  FlowValidationError,
  KratosError,
  NotFoundError,
  type CsrfFailure,
} from '../errors/index.js';
import type { IdentitySchema, SchemaRegistry } from '../identity/schema.js';
import type { SessionService } from '../session/service.js';
import { exchangeCodeHash, newInitCode } from '../session/token-exchange.js';
import { canonicalUuid } from '../util/ids.js';
import { messages, type UiText } from '../text/messages.js';
import { maskCsrfToken, newCsrfToken, verifyCsrfToken } from './csrf.js';
import type { SelfServiceErrorRepository } from './errors.js';
import { firstScreenOf, isExpired, type FlowMode, type FlowRecord, type FlowType, type FlowView, type SavedUi } from './model.js';
import type { FlowRepository } from './repository.js';
import type { FlowRequest } from './request.js';
import { strategiesFor, type Strategies } from './strategy.js';
import { checkReturnTo } from './return-to.js';
import { renderFlow, type RenderOptions } from './ui.js';

export type { BrowserRequest, FlowRequest } from './request.js';

export interface FlowDeps {
  flows: FlowRepository;
  schemas: SchemaRegistry;
  publicBaseUrl: string;
  browser: BrowserConfig;
  errors: SelfServiceErrorRepository;
  /** The enabled sign-in methods, in the order their nodes appear. */
  strategies: Strategies;
}

/**
 * An API login or registration flow asked for `return_session_token_exchange_code=true` (a native app signing in
 * through a browser): the new flow's id, its init code (answered once, as `session_token_exchange_code`) and what the
 * flow keeps of it; `return_to` (where the browser ends, with the second code) checked against the allow list.
 */
export function exchangeStart(deps: Pick<FlowDeps, 'browser'>, rawReturnTo: string | undefined) {
  const id = randomUUID();
  const code = newInitCode(id);
  const returnTo = checkReturnTo(rawReturnTo, deps.browser.allowedReturnUrls, deps.browser.defaultReturnUrl);
  return { code, extra: { id, exchangeCodeHash: exchangeCodeHash(code), ...(returnTo ? { returnTo } : {}) } };
}

/** A submit's `?flow=`: 400 when missing or malformed (Kratos's flow.GetFlowID). */
export function parseFlowId(raw: string | undefined): string {
  const id = canonicalUuid(raw);
  if (!id) throw new BadRequestError('The flow query parameter is missing or malformed.');
  return id;
}

/** A flow read's `?id=`: a malformed one is a flow that does not exist, 404, as Kratos answers (and Ory's UI expects). */
export function readFlowId(raw: string | undefined): string {
  const id = canonicalUuid(raw);
  if (!id) throw new NotFoundError();
  return id;
}

/** Whether the caller already has an active session (Kratos refuses login and registration then, unless refreshing). */
export async function hasActiveSession(sessionService: SessionService, request: FlowRequest, now: Date): Promise<boolean> {
  return (await sessionService.findActive(request.sessionToken, now)) !== undefined;
}

/**
 * The request as it goes on once the answer rotates the anti-CSRF cookie to `token`: what is made from here on (a
 * verification flow a hook starts) is bound to the new cookie, not the old one.
 */
export const withCsrfCookie = (request: FlowRequest, token: string): FlowRequest => ({ ...request, browser: { ...request.browser, csrfCookie: token } });

/** A new browser flow's anti-CSRF token: the cookie's when there is one, else a new one the answer must set. */
export function csrfFor(request: FlowRequest): { token: string; isNew: boolean } {
  return request.browser.csrfCookie ? { token: request.browser.csrfCookie, isNew: false } : { token: newCsrfToken(), isNew: true };
}

/** A new flow with what the methods serving its type keep on it from the start (a challenge), to be written with it. */
function withFlowState(strategies: Strategies, flow: FlowRecord): FlowRecord {
  const internal: Record<string, unknown> = {};
  for (const strategy of strategiesFor(strategies, flow.type)) {
    const state = strategy.flowState?.(flow);
    if (state !== undefined) internal[strategy.id] = state;
  }
  return Object.keys(internal).length > 0 ? Object.assign(flow, { internal: { ...internal, ...flow.internal } }) : flow;
}

export async function createFlow(
  deps: FlowDeps,
  type: FlowType,
  mode: FlowMode,
  lifespanMs: number,
  request: Pick<FlowRequest, 'requestUrl'>,
  now: Date,
  extra: Partial<FlowRecord> & { csrf?: string } = {},
): Promise<FlowRecord> {
  const { csrf, ...rest } = extra;
  const flow: FlowRecord = {
    id: randomUUID(),
    type,
    mode,
    state: 'choose_method',
    requestUrl: request.requestUrl,
    issuedAt: now,
    expiresAt: new Date(now.getTime() + lifespanMs),
    ...(mode === 'browser' && csrf ? { csrfToken: maskCsrfToken(csrf) } : {}),
    ...rest,
  };
  await deps.flows.create(withFlowState(deps.strategies, flow));
  return flow;
}

/**
 * The flow as Kratos serialises it, with the nodes of every enabled method serving its type; a browser flow's
 * `csrf_token` node carries the cookie's token `csrf` masked afresh.
 */
export function render(deps: FlowDeps, flow: FlowRecord, csrf?: string, options: RenderOptions = {}): FlowView {
  // A flow given over to one method (`active`) shows that method's form alone; a login shows the factors of the level it
  // asks for (a second factor's only where the identity has it: the method left its state on the flow when it was made).
  const sources = strategiesFor(deps.strategies, flow.type)
    .filter((strategy) => !flow.active || strategy.id === flow.active)
    .filter((strategy) => !strategy.login || flow.type !== 'login' || strategy.login.aal === (flow.requestedAal ?? 'aal1'))
    .filter((strategy) => !flow.requestedAal || flow.internal?.[strategy.id] !== undefined)
    .map((strategy) => strategy[flow.type]);
  return renderFlow(flow, schemaOf(deps, flow), deps.publicBaseUrl, sources, { ...options, csrfToken: flow.mode === 'browser' && csrf ? maskCsrfToken(csrf) : '' });
}

/** The identity schema a flow renders and validates with: its own (registration's `identity_schema`, settings' identity's), else the default. */
export function schemaOf(deps: Pick<FlowDeps, 'schemas'>, flow: Pick<FlowRecord, 'schemaId'>): IdentitySchema {
  return deps.schemas.get(flow.schemaId) ?? deps.schemas.default;
}

/** What a browser flow's last failed submit left on it (values, messages), to render when the UI reads it back. */
export const savedUiOf = (flow: FlowRecord): RenderOptions => (flow.ui ? { values: flow.ui.values, messages: flow.ui.messages, nodeMessages: flow.ui.nodeMessages } : {});

/** Why a browser request fails the CSRF check, in Kratos's words (nosurfx.CSRFErrorReason). */
export function csrfViolation(request: FlowRequest, sent: string | undefined): CsrfViolationError {
  const { browser } = request;
  const failure: CsrfFailure = !browser.anyCookie ? 'no-cookies' : !browser.csrfCookie ? 'cookie-missing' : !sent ? 'token-not-sent' : 'token-mismatch';
  return new CsrfViolationError(failure, browser.ajax);
}

/** The init endpoint a flow of `type` and `mode` is started at. */
export const initUrl = (deps: FlowDeps, type: FlowType, mode: FlowMode) => `${deps.publicBaseUrl}/self-service/${type}/${mode}`;

/**
 * `GET /self-service/<type>/flows?id=`: the flow, 404 if unknown (or of another type), 410 once expired; a browser flow
 * only with the anti-CSRF cookie it was made with (403 otherwise, as Kratos).
 */
export async function getFlowView(deps: FlowDeps, type: FlowType, rawId: string | undefined, request: FlowRequest, now: Date): Promise<FlowView> {
  const flow = await deps.flows.get(readFlowId(rawId));
  if (!flow || flow.type !== type) throw new NotFoundError();
  if (isExpired(flow, now)) throw new FlowGoneError(type, initUrl(deps, type, flow.mode));
  checkBrowserFlowCookie(flow, request);
  return render(deps, flow, request.browser.csrfCookie, savedUiOf(flow));
}

/** A browser flow is read only with the anti-CSRF cookie whose token it was made with. */
export function checkBrowserFlowCookie(flow: FlowRecord, request: FlowRequest): void {
  if (flow.mode === 'browser' && !verifyCsrfToken(request.browser.csrfCookie, flow.csrfToken)) throw csrfViolation(request, flow.csrfToken);
}

/**
 * Checks a flow loaded for a submit: unknown -> 404; expired -> a replacement flow that says why and a 410 pointing at
 * it; an API flow with an Origin header or a cookie -> 400 (native flows are CSRF-protected by refusing them); a
 * browser flow without the anti-CSRF cookie and its token (`csrf_token` in the body, or `X-CSRF-Token`) -> 403.
 */
export async function checkSubmittable(
  deps: FlowDeps,
  flow: FlowRecord | undefined,
  type: FlowType,
  lifespanMs: number,
  request: FlowRequest,
  now: Date,
  values: Record<string, unknown>,
  body: Record<string, unknown>,
): Promise<FlowRecord> {
  if (!flow || flow.type !== type) throw new NotFoundError();
  if (isExpired(flow, now)) {
    const replacement = await createFlow(deps, type, flow.mode, lifespanMs, { requestUrl: flow.requestUrl }, now, {
      messages: [messages.flowExpired(type, flow.expiresAt, now)],
      csrf: request.browser.csrfCookie ?? newCsrfToken(),
      ...(flow.returnTo ? { returnTo: flow.returnTo } : {}),
      ...(flow.refresh !== undefined ? { refresh: flow.refresh } : {}),
      // Recovery and verification: the replacement is for the same method (Kratos's FromOldFlow sets it anew). Not a
      // registration given over to a social sign-in (`oidc`): its provider state stays with the expired flow.
      ...(flow.active && (type === 'recovery' || type === 'verification') ? { active: flow.active } : {}),
      // A two-screen form starts again on its first screen.
      ...(flow.screen ? { screen: firstScreenOf(flow.type) } : {}),
      ...(flow.identityId ? { identityId: flow.identityId, state: flow.state === 'success' ? 'show_form' : flow.state } : {}),
    });
    throw new FlowExpiredError(flow.expiresAt, now, replacement.id);
  }
  if (flow.mode === 'browser') {
    const sent = typeof body.csrf_token === 'string' && body.csrf_token ? body.csrf_token : request.browser.csrfHeader;
    if (!verifyCsrfToken(request.browser.csrfCookie, sent)) throw csrfViolation(request, sent);
  } else {
    const csrfReason = request.origin
      ? 'The HTTP Request Header included the "Origin" key, indicating that this request was made as part of an AJAX request in a Browser. The flow however was initiated as an API request. To prevent potential misuse and mitigate several attack vectors including CSRF, the request has been blocked. Please consult the documentation.'
      : request.hasCookie
        ? 'The HTTP Request Header included the "Cookie" key, indicating that this request was made by a Browser. The flow however was initiated as an API request. To prevent potential misuse and mitigate several attack vectors including CSRF, the request has been blocked. Please consult the documentation.'
        : undefined;
    if (csrfReason) throw invalid(deps, flow, request, { values, messages: [messages.generic(csrfReason)], nodeMessages: {} });
  }
  // Login and registration flows are single use (a code sent leaves them open for it); a settings flow may be submitted
  // again after a success.
  if ((type === 'login' || type === 'registration') && flow.state !== 'choose_method' && flow.state !== 'sent_email') {
    throw invalid(deps, flow, request, { values, messages: [messages.flowAlreadyCompleted(type)], nodeMessages: {} });
  }
  // Kratos's `transient_payload`: passed on to web hooks (`ctx.flow.transient_payload`), never stored.
  const transient = body.transient_payload;
  return typeof transient === 'object' && transient !== null && !Array.isArray(transient) ? { ...flow, transientPayload: transient as Record<string, unknown> } : flow;
}

/** A submit that failed validation: the flow with the messages (and, for a browser flow, what to save on it). */
export function invalid(deps: FlowDeps, flow: FlowRecord, request: FlowRequest, saved: SavedUi, extra?: Pick<RenderOptions, 'identity'>): FlowValidationError {
  return new FlowValidationError(render(deps, flow, request.browser.csrfCookie, { ...saved, ...extra }), saved);
}

/** Shorthand for a validation error's saved state. */
export const failedWith = (values: Record<string, unknown>, flowMessages: UiText[] = [], nodeMessages: Record<string, UiText[]> = {}): SavedUi => ({
  values,
  messages: flowMessages,
  nodeMessages,
});

/** A schema's verdict on traits as a flow shows it: each message on its trait's node, the rest on the flow. */
export async function traitMessages(schema: IdentitySchema, traits: unknown): Promise<{ flowMessages: UiText[]; nodeMessages: Record<string, UiText[]> }> {
  const nodeMessages: Record<string, UiText[]> = {};
  const flowMessages: UiText[] = [];
  for (const violation of await schema.validate(traits)) {
    if (violation.node) (nodeMessages[violation.node] ??= []).push(violation.message);
    else flowMessages.push(violation.message);
  }
  return { flowMessages, nodeMessages };
}

export function stringField(body: Record<string, unknown>, name: string): string | undefined {
  const value = body[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * What a failed submit's span event says went wrong: a validation error's messages (flow-level, then per node), a
 * typed error's reason, and for anything else no internals.
 */
export function failureReason(error: unknown): string {
  if (error instanceof FlowValidationError) {
    const ui = (error.flow as FlowView).ui;
    const texts = [...(ui.messages ?? []), ...ui.nodes.flatMap((node) => node.messages)].map((m) => `${m.id}: ${m.text}`);
    return texts.join('; ') || 'the flow failed validation';
  }
  if (error instanceof KratosError) return error.reason ?? error.message;
  return 'An internal server error occurred';
}
