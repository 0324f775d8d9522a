/**
 * Typed domain errors. Services throw these; `lib/http/response.ts` is the one place that turns them into HTTP
 * answers. Each error knows the status and the body a Kratos client expects; nothing here knows about headers,
 * cookies or redirects.
 */
import { minutesAgo, type UiText } from '../text/messages.js';

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  410: 'Gone',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** Kratos's (herodot's) default messages, shown when an error has no message of its own. */
const DEFAULT_MESSAGE: Record<number, string> = {
  400: 'The request was malformed or contained invalid parameters',
  401: 'The request could not be authorized',
  403: 'The requested action was forbidden',
  404: 'The requested resource could not be found',
  409: 'The resource could not be created due to a conflict',
  410: 'The requested resource is no longer available because it has expired or is otherwise invalid.',
  413: 'The request body is too large',
  429: 'Too many requests, please try again later',
  500: 'An internal server error occurred, please contact the system administrator',
  503: 'The service is temporarily unavailable, please try again later',
};

export interface ErrorEnvelopeInput {
  status: number;
  id?: string;
  reason?: string;
  details?: Record<string, unknown>;
  message?: string;
  requestId?: string;
}

/** Kratos's error envelope: `{"error":{"id?","code","status","request?","reason?","details?","message"}}`. */
export function errorEnvelope(input: ErrorEnvelopeInput): { error: Record<string, unknown> } {
  const error: Record<string, unknown> = {};
  if (input.id) error.id = input.id;
  error.code = input.status;
  error.status = STATUS_TEXT[input.status] ?? 'Error';
  if (input.requestId) error.request = input.requestId;
  if (input.reason) error.reason = input.reason;
  if (input.details) error.details = input.details;
  error.message = input.message ?? DEFAULT_MESSAGE[input.status] ?? STATUS_TEXT[input.status] ?? 'Error';
  return { error };
}

export interface KratosErrorOptions {
  /** Kratos's error id (`session_inactive`), also sent as the `Ory-Error-Id` header. */
  id?: string;
  /** The human-readable reason. */
  reason?: string;
  details?: Record<string, unknown>;
  /** The envelope's `message`; the status's default message when unset. */
  message?: string;
}

/** An error whose answer is Kratos's generic error envelope (or, for subclasses, a body of their own). */
export class KratosError extends Error {
  readonly id?: string;
  readonly reason?: string;
  readonly details?: Record<string, unknown>;
  /** The envelope's message, when not the status's default. */
  readonly publicMessage?: string;

  constructor(
    readonly status: number,
    options: KratosErrorOptions = {},
  ) {
    super(options.message ?? options.reason ?? `HTTP ${status}`);
    this.id = options.id;
    this.reason = options.reason;
    this.details = options.details;
    this.publicMessage = options.message;
  }

  /** Headers the answer carries besides the body (none by default). */
  get headers(): Record<string, string> {
    return {};
  }

  /** The answer's body. */
  body(requestId?: string): unknown {
    return errorEnvelope({ status: this.status, id: this.id, reason: this.reason, details: this.details, message: this.publicMessage, requestId });
  }
}

/** Too many failed logins for an identifier (or a client address): 429 with `Retry-After`, until the lockout ends. */
export class LoginThrottledError extends KratosError {
  override name = 'LoginThrottledError';
  constructor(readonly retryAfterSeconds: number) {
    super(429, {
      reason: `Too many failed login attempts. Try again in ${retryAfterSeconds} seconds.`,
      details: { retry_after_seconds: retryAfterSeconds },
    });
  }

  override get headers(): Record<string, string> {
    return { 'Retry-After': String(this.retryAfterSeconds) };
  }
}

/** Too many codes asked for (to one address, or from one client): 429 with `Retry-After`, until the window ends. */
export class CodeRequestsThrottledError extends KratosError {
  override name = 'CodeRequestsThrottledError';
  constructor(readonly retryAfterSeconds: number) {
    super(429, {
      reason: `Too many codes were requested. Try again in ${retryAfterSeconds} seconds.`,
      details: { retry_after_seconds: retryAfterSeconds },
    });
  }

  override get headers(): Record<string, string> {
    return { 'Retry-After': String(this.retryAfterSeconds) };
  }
}

/**
 * A flow that goes on elsewhere (a social sign-in at its provider): a form post is answered 303 there; a JSON client is
 * told 422 `browser_location_change_required` with `redirect_browser_to` (Kratos's ErrBrowserLocationChangeRequired).
 */
export class BrowserLocationChangeRequiredError extends KratosError {
  override name = 'BrowserLocationChangeRequiredError';
  constructor(readonly redirectBrowserTo: string) {
    super(422, {
      id: 'browser_location_change_required',
      reason: `In order to complete this flow please redirect the browser to: ${redirectBrowserTo}`,
      message: 'browser location change required',
    });
  }

  override body(requestId?: string): unknown {
    return { ...(super.body(requestId) as object), redirect_browser_to: this.redirectBrowserTo };
  }
}

/** A flow that has sent as many codes as one flow may (its storage's verdict; the flow says so). */
export class CodesPerFlowExhaustedError extends Error {
  override name = 'CodesPerFlowExhaustedError';
}

export class BadRequestError extends KratosError {
  override name = 'BadRequestError';
  constructor(reason: string, options: Omit<KratosErrorOptions, 'reason'> = {}) {
    super(400, { ...options, reason });
  }
}

export class PayloadTooLargeError extends KratosError {
  override name = 'PayloadTooLargeError';
  constructor(limitBytes: number) {
    super(413, { reason: `The request body is larger than the allowed ${limitBytes} bytes.` });
  }
}

/** 404 with Kratos's usual reason. */
export class NotFoundError extends KratosError {
  override name = 'NotFoundError';
  constructor(reason = 'Unable to locate the resource') {
    super(404, { reason });
  }
}

/** `GET .../flows?id=` of an expired flow: 410 pointing at the init endpoint. */
export class FlowGoneError extends KratosError {
  override name = 'FlowGoneError';
  constructor(flow: string, initUrl: string) {
    super(410, {
      id: 'self_service_flow_expired',
      reason: `The ${flow} flow has expired. Call the ${flow} flow init API endpoint to initialize a new ${flow} flow.`,
      details: { api: initUrl },
      message: 'The requested resource is no longer available because it has expired or is otherwise invalid.',
    });
  }
}

export class NoActiveSessionError extends KratosError {
  override name = 'NoActiveSessionError';
  constructor() {
    super(401, { reason: 'No valid session credentials found in the request.' });
  }
}

export class SessionAlreadyAvailableError extends KratosError {
  override name = 'SessionAlreadyAvailableError';
  constructor(flow: 'login' | 'registration' | 'recovery') {
    super(400, {
      id: 'session_already_available',
      reason:
        flow === 'login'
          ? 'A valid session was detected and thus login is not possible. Did you forget to set `?refresh=true`?'
          : `A valid session was detected and thus ${flow} is not possible.`,
      message: 'you are already logged in',
    });
  }
}

export class SessionTokenNotFoundError extends KratosError {
  override name = 'SessionTokenNotFoundError';
  constructor() {
    super(403, { reason: 'The provided Ory Session Token could not be found, is invalid, or otherwise malformed.' });
  }
}

export class ServiceUnavailableError extends KratosError {
  override name = 'ServiceUnavailableError';
  constructor(reason = 'A backing service is unavailable, please try again later.') {
    super(503, { reason });
  }
}

/** A submit that failed validation: Kratos answers 400 with the flow, its ui nodes carrying the messages. */
export class FlowValidationError extends KratosError {
  override name = 'FlowValidationError';
  /** `saved`: what a browser flow keeps of the failure for its UI to show (values and messages). */
  constructor(
    readonly flow: object,
    readonly saved?: unknown,
  ) {
    super(400, { reason: 'The flow failed validation' });
  }

  override body(): unknown {
    return this.flow;
  }
}

/** A flow submitted after its expiry: Kratos answers 410 pointing at a new flow that explains why. */
export class FlowExpiredError extends KratosError {
  override name = 'FlowExpiredError';
  constructor(
    readonly expiredAt: Date,
    readonly now: Date,
    readonly useFlowId: string,
  ) {
    super(410, {
      id: 'self_service_flow_expired',
      reason: `The self-service flow expired ${minutesAgo(expiredAt, now)} minutes ago, initialize a new one.`,
      message: 'self-service flow expired',
    });
  }

  override body(requestId?: string): unknown {
    return {
      ...(super.body(requestId) as object),
      expired_at: this.expiredAt.toISOString(),
      // Go's time.Duration: nanoseconds.
      since: (this.now.getTime() - this.expiredAt.getTime()) * 1_000_000,
      use_flow_id: this.useFlowId,
    };
  }
}

/** A flow that cannot go on was replaced by a new one carrying the message (Kratos's flow.ReplacedError): 410. */
export class FlowReplacedError extends KratosError {
  override name = 'FlowReplacedError';
  constructor(
    reason: string,
    readonly useFlowId: string,
  ) {
    super(410, { id: 'self_service_flow_replaced', reason, message: 'self-service flow replaced' });
  }

  override body(requestId?: string): unknown {
    return { ...(super.body(requestId) as object), use_flow_id: this.useFlowId };
  }
}

/** An identity changed between a read and the write that depended on it. */
export class ConcurrentUpdateError extends KratosError {
  override name = 'ConcurrentUpdateError';
  constructor() {
    super(409, { reason: 'The identity was changed by another request at the same time. Please retry.' });
  }
}

/** Admin create or update of an identity whose identifier another identity holds. */
export class IdentityConflictError extends KratosError {
  override name = 'IdentityConflictError';
  constructor() {
    super(409, { reason: 'This identity conflicts with another identity that already exists.' });
  }
}

/** A correct password for an identity an operator deactivated. */
export class IdentityDisabledError extends KratosError {
  override name = 'IdentityDisabledError';
  constructor() {
    super(401, { id: 'session_identity_disabled', reason: 'This account was disabled.', message: 'identity is disabled' });
  }
}

/** Settings and other session-bound endpoints called without an active session. */
export class SessionInactiveError extends KratosError {
  override name = 'SessionInactiveError';
  constructor() {
    super(401, {
      id: 'session_inactive',
      reason: 'No active session was found in this request.',
      message: 'request does not have a valid authentication session',
    });
  }
}

/** A privileged change (password) with a session authenticated too long ago. */
export class SessionRefreshRequiredError extends KratosError {
  override name = 'SessionRefreshRequiredError';
  /** `redirectBrowserTo`: for a browser flow, the login that refreshes the session and comes back. */
  constructor(readonly redirectBrowserTo?: string) {
    super(403, {
      id: 'session_refresh_required',
      reason: 'The login session is too old and thus not allowed to update these fields. Please re-authenticate.',
    });
  }

  override body(requestId?: string): unknown {
    const body = super.body(requestId) as object;
    return this.redirectBrowserTo ? { ...body, redirect_browser_to: this.redirectBrowserTo } : body;
  }
}

/** A settings flow used with the session of another identity. */
export class IdentityMismatchError extends KratosError {
  override name = 'IdentityMismatchError';
  constructor() {
    super(403, { id: 'security_identity_mismatch', reason: 'The flow belongs to another identity than the session.' });
  }
}

/** A `return_to` outside `selfservice.allowed_return_urls`. */
export class ReturnToForbiddenError extends KratosError {
  override name = 'ReturnToForbiddenError';
  constructor(returnTo: string) {
    super(400, { id: 'self_service_flow_return_to_forbidden', reason: `Requested return_to URL ${JSON.stringify(returnTo.slice(0, 500))} is not allowed.` });
  }
}

/** What was wrong with a browser submit's anti-CSRF token (nosurfx's reject reasons). */
export type CsrfFailure = 'no-cookies' | 'cookie-missing' | 'token-not-sent' | 'token-mismatch';

const CSRF_REJECT_REASON: Record<CsrfFailure, string> = {
  'no-cookies': 'The HTTP Cookie Header is empty or not set.',
  'cookie-missing': 'The HTTP Cookie Header was set but did not include the anti-CSRF cookie.',
  'token-not-sent': 'The anti-CSRF cookie was found but the CSRF token was not included in the HTTP request body (csrf_token) nor in the HTTP Header (X-CSRF-Token).',
  'token-mismatch': 'The HTTP Cookie Header was set and a CSRF token was sent but they do not match. We recommend deleting all cookies for this domain and retrying the flow.',
};

/** A browser flow used without its anti-CSRF cookie and token: 403 `security_csrf_violation`, as Kratos words it. */
export class CsrfViolationError extends KratosError {
  override name = 'CsrfViolationError';
  constructor(failure: CsrfFailure, ajax: boolean) {
    const details: Record<string, unknown> = { docs: 'https://www.ory.com/docs/troubleshooting/csrf' };
    if (failure === 'token-not-sent') details.hint = CSRF_REJECT_REASON[failure];
    else {
      details.hint = ajax
        ? 'We detected an AJAX call, please ensure that CORS is enabled and configured correctly, and that your AJAX code sends cookies and has credentials enabled. For further debugging, check your Browser\'s Network Tab to see what cookies are included or excluded.'
        : 'We detected a regular browser or server-side call. To debug browser calls check your Browser\'s Network Tab to see what cookies are included or excluded. If you are calling from a server ensure that the appropriate cookies are being forwarded and that the SDK method is called correctly.';
      details.reject_reason = CSRF_REJECT_REASON[failure];
    }
    super(403, {
      id: 'security_csrf_violation',
      message: 'the request was rejected to protect you from Cross-Site-Request-Forgery',
      reason:
        'Please retry the flow and optionally clear your cookies. The request was rejected to protect you from Cross-Site-Request-Forgery (CSRF) which could cause account takeover, leaking personal information, and other serious security issues.',
      details,
    });
  }
}

/** The admin API without the right key (401), or with none configured (403). */
export class AdminAuthError extends KratosError {
  override name = 'AdminAuthError';
  constructor(status: 401 | 403, reason: string) {
    super(status, { reason });
  }
}

/** Too many failed admin authentications from one client address: 429 with `Retry-After`, whatever the key. */
export class AdminAuthThrottledError extends KratosError {
  override name = 'AdminAuthThrottledError';
  constructor(readonly retryAfterSeconds: number) {
    super(429, { reason: `Too many failed authentications to the admin API. Try again in ${retryAfterSeconds} seconds.`, details: { retry_after_seconds: retryAfterSeconds } });
  }

  override get headers(): Record<string, string> {
    return { 'Retry-After': String(this.retryAfterSeconds) };
  }
}

/** Registration or identity import of an identifier another identity holds already (any letter case). */
export class DuplicateIdentifierError extends Error {
  override name = 'DuplicateIdentifierError';
  constructor() {
    super('An identity with this identifier exists already');
  }
}

/** A flow submitted again after a submit of it succeeded (or while one is succeeding). */
export class FlowAlreadyUsedError extends Error {
  override name = 'FlowAlreadyUsedError';
  constructor() {
    super('The flow was completed already');
  }
}

/**
 * Kratos's ErrAALNotSatisfied: a session whose identity can reach aal2 (it has a second factor) but which was proven
 * with one factor, where `highest_available` is required (whoami, settings). Where to get the second factor is said twice,
 * as Kratos does: in the details and at the top level.
 */
export class Aal2RequiredError extends KratosError {
  override name = 'Aal2RequiredError';
  constructor(readonly redirectBrowserTo: string) {
    super(403, {
      id: 'session_aal2_required',
      reason:
        'An active session was found but it does not fulfill the requested Authenticator Assurance Level. Please verify yourself with a second factor to resolve this issue.',
      message: 'Session does not fulfill the requested Authenticator Assurance Level',
      details: { redirect_browser_to: redirectBrowserTo },
    });
  }

  override body(requestId?: string): unknown {
    return { ...(super.body(requestId) as object), redirect_browser_to: this.redirectBrowserTo };
  }
}

/** `?aal=aal2` without a session: a second factor comes after the first (Kratos's ErrSessionRequiredForHigherAAL). */
export class SessionRequiredForHigherAalError extends KratosError {
  override name = 'SessionRequiredForHigherAalError';
  constructor() {
    super(401, {
      id: 'session_aal1_required',
      reason: 'You can not requested a higher AAL (AAL2/AAL3) without an active session.',
      message: 'aal2 and aal3 can only be requested if a session exists already',
    });
  }
}

/**
 * A web hook that failed the flow (Kratos's `web_hook.go`): 504 when it could not be reached in time, 502 when it
 * answered an error it was not allowed to explain, 500 when it kept failing or answered what cannot be read.
 */
export class WebHookFailedError extends KratosError {
  override name = 'WebHookFailedError';
  /** `detail`: what went wrong, for the log line (never in the answer). */
  constructor(
    status: 500 | 502 | 504,
    readonly detail: string,
  ) {
    super(status, {
      reason:
        status === 504
          ? 'A third-party upstream service could not be reached. Please try again later.'
          : status === 502
            ? 'A third-party upstream service responded improperly. Please try again later.'
            : 'A third-party upstream service failed. Please try again later.',
    });
  }
}

/**
 * A web hook allowed to interrupt (`can_interrupt`, `response.parse`) answered 4xx with Kratos's messages: the flow
 * stops and shows them, each on the node its `instance_ptr` names (`#/traits/email` -> `traits.email`; `#/`: the flow).
 */
export class WebHookMessagesError extends KratosError {
  override name = 'WebHookMessagesError';
  /** Where no flow is there to show them on (a `before` hook), a 400 whose reason is their texts. */
  constructor(readonly messages: { node?: string; messages: UiText[] }[]) {
    super(400, { reason: messages.flatMap((m) => m.messages.map((t) => t.text)).join(' ').slice(0, 500) || 'a web hook target returned an error' });
  }
}

/**
 * Kratos's `require_verified_address` (login): the identity has no verified address. A verification code was sent
 * (its flow in `details.continue_with`); JSON answers 403 `session_verified_address_required`, a browser's form post
 * goes to the verification flow's UI (`redirectBrowserTo`).
 */
export class AddressNotVerifiedError extends KratosError {
  override name = 'AddressNotVerifiedError';
  constructor(
    continueWith?: Record<string, unknown>,
    readonly redirectBrowserTo?: string,
  ) {
    super(continueWith ? 403 : 400, {
      id: 'session_verified_address_required',
      reason: "Your account's email or phone address are not verified yet. Please check your email or phone inbox or re-request verification.",
      message: 'your email or phone address is not yet verified',
      ...(continueWith ? { details: { continue_with: [continueWith] } } : {}),
    });
  }
}
