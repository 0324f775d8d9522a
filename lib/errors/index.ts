/**
 * Typed domain errors. Services throw these; `lib/http/error-response.ts` is the one place that turns them
 * into Kratos's HTTP answers. Nothing here knows about HTTP beyond the status a Kratos client expects.
 */
import type { FlowView } from './flows/model.js';

/** An error whose answer is Kratos's generic error envelope. */
export class KratosError extends Error {
  constructor(
    readonly status: number,
    readonly reason?: string,
    readonly id?: string,
    readonly details?: Record<string, unknown>,
    message?: string,
  ) {
    super(message ?? reason ?? `HTTP ${status}`);
  }
}

export class BadRequestError extends KratosError {
  override name = 'BadRequestError';
  constructor(reason: string, id?: string, details?: Record<string, unknown>) {
    super(400, reason, id, details);
  }
}

export class PayloadTooLargeError extends KratosError {
  override name = 'PayloadTooLargeError';
  constructor(limitBytes: number) {
    super(413, `The request body is larger than the allowed ${limitBytes} bytes.`);
  }
}

export class NotFoundError extends KratosError {
  override name = 'NotFoundError';
  constructor(reason = 'The requested resource could not be found') {
    super(404, reason);
  }
}

export class FlowNotFoundError extends NotFoundError {
  override name = 'FlowNotFoundError';
  constructor() {
    super('Unable to locate the resource');
  }
}

/** `GET .../flows?id=` of an expired flow: 410 pointing at the init endpoint. */
export class FlowGoneError extends KratosError {
  override name = 'FlowGoneError';
  constructor(flow: string, initUrl: string) {
    super(
      410,
      `The ${flow} flow has expired. Call the ${flow} flow init API endpoint to initialize a new ${flow} flow.`,
      'self_service_flow_expired',
      { api: initUrl },
      'The requested resource is no longer available because it has expired or is otherwise invalid.',
    );
  }
}

export class NoActiveSessionError extends KratosError {
  override name = 'NoActiveSessionError';
  constructor(reason = 'No valid session credentials found in the request.', id?: string) {
    super(401, reason, id);
  }
}

export class SessionAlreadyAvailableError extends KratosError {
  override name = 'SessionAlreadyAvailableError';
  constructor(flow: 'login' | 'registration') {
    super(
      400,
      flow === 'login'
        ? 'A valid session was detected and thus login is not possible. Did you forget to set `?refresh=true`?'
        : 'A valid session was detected and thus registration is not possible.',
      'session_already_available',
      undefined,
      'you are already logged in',
    );
  }
}

export class SessionTokenNotFoundError extends KratosError {
  override name = 'SessionTokenNotFoundError';
  constructor() {
    super(403, 'The provided Ory Session Token could not be found, is invalid, or otherwise malformed.');
  }
}

export class ServiceUnavailableError extends KratosError {
  override name = 'ServiceUnavailableError';
  constructor(reason = 'A backing service is unavailable, please try again later.') {
    super(503, reason);
  }
}

/** A submit that failed validation: Kratos answers 400 with the flow, its ui nodes carrying the messages. */
export class FlowValidationError extends Error {
  override name = 'FlowValidationError';
  constructor(readonly flow: FlowView) {
    super('The flow failed validation');
  }
}

/** A flow submitted after its expiry: Kratos answers 410 pointing at a new flow that explains why. */
export class FlowExpiredError extends Error {
  override name = 'FlowExpiredError';
  constructor(
    readonly expiredAt: Date,
    readonly now: Date,
    readonly useFlowId: string,
  ) {
    super('self-service flow expired');
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

/** An identity changed between a read and the write that depended on it. */
export class ConcurrentUpdateError extends KratosError {
  override name = 'ConcurrentUpdateError';
  constructor() {
    super(409, 'The identity was changed by another request at the same time. Please retry.');
  }
}

/** A correct password for an identity an operator deactivated. */
export class IdentityDisabledError extends KratosError {
  override name = 'IdentityDisabledError';
  constructor() {
    super(401, 'This account was disabled.', 'session_identity_disabled', undefined, 'identity is disabled');
  }
}

/** Settings and other session-bound endpoints called without an active session. */
export class SessionInactiveError extends KratosError {
  override name = 'SessionInactiveError';
  constructor() {
    super(401, 'No active session was found in this request.', 'session_inactive', undefined, 'request does not have a valid authentication session');
  }
}

/** A privileged change (password) with a session authenticated too long ago. */
export class SessionRefreshRequiredError extends KratosError {
  override name = 'SessionRefreshRequiredError';
  constructor() {
    super(
      403,
      'The login session is too old and thus not allowed to update these fields. Please re-authenticate.',
      'session_refresh_required',
    );
  }
}

/** A settings flow used with the session of another identity. */
export class IdentityMismatchError extends KratosError {
  override name = 'IdentityMismatchError';
  constructor() {
    super(403, 'The flow belongs to another identity than the session.', 'security_identity_mismatch');
  }
}
