/**
 * Kratos's span events (`x/events/events.go`), with Kratos's exact names and attribute keys, attached to the span
 * active where they happen (in practice the request's root span). Never an e-mail, trait, password, hash or token:
 * only ids, flow facts and reasons, with any quoted value in a reason masked (Kratos quotes user input in its
 * messages, e.g. `"x" is not valid "email"`). With tracing off, or an unsampled and unrecorded request, each call
 * costs a context lookup.
 */
import { context, trace, type Attributes } from '@opentelemetry/api';

export type SelfServiceFlowType = 'api' | 'browser';

/** Kratos's FlowID when a failure has no flow (unknown or malformed flow id). */
export const NIL_UUID = '00000000-0000-0000-0000-000000000000';

function emit(name: string, attributes: Attributes): void {
  const span = trace.getSpan(context.active());
  if (!span || !span.isRecording()) return;
  try {
    span.addEvent(name, attributes);
  } catch {
    // A tracing failure never fails a request.
  }
}

/** A reason fit for a span: quoted values (user input, in Kratos's messages) masked, length bounded. */
export function safeReason(reason: string): string {
  return reason.replace(/"[^"]*"/g, '"…"').slice(0, 1000);
}

/** Go's time.Time.String(): `2006-01-02 15:04:05.999999999 +0000 UTC` (trailing zeros of the fraction dropped). */
export function goTimeString(date: Date): string {
  const iso = date.toISOString(); // 2026-12-01T10:00:00.123Z
  const fraction = iso.slice(20, 23).replace(/0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction ? `.${fraction}` : ''} +0000 UTC`;
}

/** Go's time.Duration.String(): `1m0s`, `1h30m0s`, `1.5s`, `500ms`, `0s`. */
export function goDurationString(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = String(Number(((ms % 60_000) / 1000).toFixed(3)));
  return `${hours ? `${hours}h` : ''}${hours || minutes ? `${minutes}m` : ''}${seconds}s`;
}

const failure = (reason: string) => {
  const safe = safeReason(reason);
  // `Reason` is Kratos's deprecated duplicate of `ErrorReason`, still sent.
  return { Reason: safe, ErrorReason: safe };
};

export const events = {
  registrationInitiated: (flowId: string, flowType: SelfServiceFlowType) =>
    emit('RegistrationInitiated', { FlowID: flowId, SelfServiceFlowType: flowType }),

  /** `provider`: the social sign-in provider's id (Kratos's SelfServiceSSOProviderUsed). */
  registrationSucceeded: (flowId: string, flowType: SelfServiceFlowType, identityId: string, method: string, provider = '') =>
    emit('RegistrationSucceeded', {
      SelfServiceFlowType: flowType,
      IdentityID: identityId,
      SelfServiceMethodUsed: method,
      SelfServiceSSOProviderUsed: provider,
      FlowID: flowId,
    }),

  /** `method`: the method the submit named, when it is one this deployment has (else empty). */
  registrationFailed: (flowId: string | undefined, flowType: SelfServiceFlowType | '', method: string, reason: string) =>
    emit('RegistrationFailed', { SelfServiceFlowType: flowType, SelfServiceMethodUsed: method, ...failure(reason), FlowID: flowId ?? NIL_UUID }),

  loginInitiated: (flowId: string, flowType: SelfServiceFlowType, refresh: boolean, requestedAal: 'aal1' | 'aal2' = 'aal1') =>
    emit('LoginInitiated', { FlowID: flowId, SelfServiceFlowType: flowType, FlowRefresh: refresh, FlowRequestedAAL: requestedAal }),

  /** `requestedAal` and `refresh` are empty/false for the login a registration's session implies, as in Kratos. */
  loginSucceeded: (login: { flowId: string; flowType: SelfServiceFlowType; identityId: string; sessionId: string; method: string; provider?: string; refresh: boolean; requestedAal: 'aal1' | 'aal2' | '' }) =>
    emit('LoginSucceeded', {
      IdentityID: login.identityId,
      SessionID: login.sessionId,
      SelfServiceFlowType: login.flowType,
      LoginRequestedAAL: login.requestedAal,
      LoginRequestedPrivilegedSession: login.refresh,
      SelfServiceMethodUsed: login.method,
      SelfServiceSSOProviderUsed: login.provider ?? '',
      FlowID: login.flowId,
    }),

  /** `method`: the method the submit named, when it is one this deployment has (else empty). */
  loginFailed: (login: { flowId?: string; flowType: SelfServiceFlowType | ''; method: string; refresh: boolean; reason: string; identityId?: string; requestedAal?: 'aal1' | 'aal2' }) =>
    emit('LoginFailed', {
      SelfServiceFlowType: login.flowType,
      LoginRequestedAAL: login.flowId ? (login.requestedAal ?? 'aal1') : '',
      LoginRequestedPrivilegedSession: login.refresh,
      SelfServiceMethodUsed: login.flowId ? login.method : '',
      ...failure(login.reason),
      FlowID: login.flowId ?? NIL_UUID,
      ...(login.identityId ? { IdentityID: login.identityId } : {}),
    }),

  settingsSucceeded: (flowId: string, flowType: SelfServiceFlowType, identityId: string, method: string) =>
    emit('SettingsSucceeded', { SelfServiceFlowType: flowType, IdentityID: identityId, SelfServiceMethodUsed: method, FlowID: flowId }),

  settingsFailed: (settings: { flowId?: string; flowType: SelfServiceFlowType | ''; method: string; reason: string; identityId?: string }) =>
    emit('SettingsFailed', {
      SelfServiceFlowType: settings.flowType,
      SelfServiceMethodUsed: settings.method,
      ...failure(settings.reason),
      FlowID: settings.flowId ?? NIL_UUID,
      ...(settings.identityId ? { IdentityID: settings.identityId } : {}),
    }),

  /** RecoverySucceeded / VerificationSucceeded (`recovery/hook.go`, `verification/hook.go`). */
  codeFlowSucceeded: (flow: 'recovery' | 'verification', flowId: string, flowType: SelfServiceFlowType, identityId: string) =>
    emit(flow === 'recovery' ? 'RecoverySucceeded' : 'VerificationSucceeded', { SelfServiceFlowType: flowType, IdentityID: identityId, SelfServiceMethodUsed: 'code', FlowID: flowId }),

  /** RecoveryFailed / VerificationFailed (`recovery/error.go`, `verification/error.go`). */
  codeFlowFailed: (flow: 'recovery' | 'verification', failed: { flowId?: string; flowType: SelfServiceFlowType | ''; reason: string }) =>
    emit(flow === 'recovery' ? 'RecoveryFailed' : 'VerificationFailed', {
      SelfServiceFlowType: failed.flowType,
      SelfServiceMethodUsed: 'code',
      ...failure(failed.reason),
      FlowID: failed.flowId ?? NIL_UUID,
    }),

  recoveryInitiatedByAdmin: (flowId: string, flowType: SelfServiceFlowType, identityId: string) =>
    emit('RecoveryInitiatedByAdmin', { SelfServiceFlowType: flowType, IdentityID: identityId, SelfServiceMethodUsed: 'code', FlowID: flowId }),

  sessionIssued: (identityId: string, sessionId: string, aal: string) => emit('SessionIssued', { IdentityID: identityId, SessionID: sessionId, SessionAAL: aal }),
  /** A session changed in place (a second factor added to it). */
  sessionChanged: (identityId: string, sessionId: string, aal: string) => emit('SessionChanged', { IdentityID: identityId, SessionID: sessionId, SessionAAL: aal }),

  /** Every session looked up from a request (whoami among them), before its activity is checked, as in Kratos. */
  sessionChecked: (identityId: string, sessionId: string) => emit('SessionChecked', { IdentityID: identityId, SessionID: sessionId }),

  sessionRevoked: (identityId: string, sessionId: string) => emit('SessionRevoked', { IdentityID: identityId, SessionID: sessionId }),

  /** A session's JWT issued by whoami's `tokenize_as` (never the token). */
  sessionTokenizedAsJwt: (identityId: string, sessionId: string, ttlMs: number) =>
    emit('SessionTokenizedAsJWT', { IdentityID: identityId, SessionID: sessionId, TokenizedSessionTTL: goDurationString(ttlMs) }),

  sessionLifespanExtended: (identityId: string, sessionId: string, expiresAt: Date) =>
    emit('SessionLifespanExtended', { IdentityID: identityId, SessionID: sessionId, SessionExpiresAt: goTimeString(expiresAt) }),

  identityCreated: (identityId: string) => emit('IdentityCreated', { IdentityID: identityId }),
  identityUpdated: (identityId: string) => emit('IdentityUpdated', { IdentityID: identityId }),
  identityDeleted: (identityId: string) => emit('IdentityDeleted', { IdentityID: identityId }),

  /** A message handed to the mail server (`courier/courier_dispatcher.go`); never its recipient or content. */
  courierMessageDispatched: (messageId: string, channel: string, templateType: string) =>
    emit('CourierMessageDispatched', { CourierMessageID: messageId, CourierMessageChannel: channel, CourierMessageTemplateType: templateType }),

  /** A message given up on after its last attempt failed. */
  courierMessageAbandoned: (messageId: string, channel: string, templateType: string) =>
    emit('CourierMessageAbandoned', { CourierMessageID: messageId, CourierMessageChannel: channel, CourierMessageTemplateType: templateType }),

  /**
   * A web hook's answer arrived (any status), per attempt. Bodies are `<redacted>` as Kratos sends them; the URL without
   * its user info or query (Kratos drops only the password).
   */
  webhookDelivered: (d: { url: string; status: number; attempt: number; requestId: string; webhookId: string; triggerId: string }) =>
    emit('WebhookDelivered', {
      WebhookRequestBody: '<redacted>',
      WebhookResponseBody: '<redacted>',
      WebhookResponseStatusCode: d.status,
      WebhookURL: d.url,
      WebhookAttemptNumber: d.attempt,
      WebhookRequestID: d.requestId,
      WebhookID: d.webhookId,
      WebhookTriggerID: d.triggerId,
    }),

  webhookSucceeded: (webhookId: string, triggerId: string) => emit('WebhookSucceeded', { WebhookID: webhookId, WebhookTriggerID: triggerId }),

  webhookFailed: (webhookId: string, triggerId: string, reason: string) =>
    emit('WebhookFailed', { WebhookID: webhookId, WebhookTriggerID: triggerId, Error: safeReason(reason), ErrorReason: safeReason(reason) }),
};
