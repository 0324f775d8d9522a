/**
 * Recovery, verification and the `code` method that both use, Kratos-named: `selfservice.flows.recovery.*`,
 * `selfservice.flows.verification.*`, `selfservice.methods.code.*`. Codes are kept only as an HMAC keyed with
 * `secrets.default` (SECRETS_DEFAULT, else the cookie secret), so turning either flow on needs one.
 */
import { ConfigError, readBoolean, readChoice, readDuration, readInteger, readList, readOptionalString, type Env } from './env.js';

export interface RecoveryConfig {
  recoveryEnabled: boolean;
  /** `selfservice.flows.recovery.use`: the method a new recovery flow has `active` (only `code` is built). */
  recoveryUse: 'code';
  recoveryLifespanMs: number;
  /** Mail Kratos's "invalid" template to an address that has no account (else stay silent). */
  recoveryNotifyUnknownRecipients: boolean;
  verificationEnabled: boolean;
  /** `selfservice.flows.verification.use`. */
  verificationUse: 'code';
  verificationLifespanMs: number;
  verificationNotifyUnknownRecipients: boolean;
  codeEnabled: boolean;
  /** `selfservice.methods.code.passwordless_enabled`: login and registration by an e-mailed code (aal1). */
  passwordlessEnabled: boolean;
  /** `selfservice.methods.code.mfa_enabled`: a code to a code address as a second factor (aal2). */
  mfaEnabled: boolean;
  /**
   * `selfservice.methods.code.config.missing_credential_fallback_enabled`: an identity without the `code` credential
   * (saved before its schema marked code addresses) still gets codes, as Kratos's migration path: passwordless, at the
   * identifier its password is claimed by; as a second factor, at its verifiable addresses.
   */
  missingCredentialFallbackEnabled: boolean;
  codeLifespanMs: number;
  maxSubmissions: number;
  /** Codes one flow may send (a resend included); then the flow says so. Ours: Kratos has no bound. */
  maxSendsPerFlow: number;
  /** Code mails one address may be sent per window (an HMAC of it is counted, known or not). */
  maxSendsPerAddress: number;
  /** Code requests one client address may make per window. */
  maxRequestsPerIp: number;
  sendLimitWindowMs: number;
  /** The HMAC keys of codes: the first signs, all verify (rotation). Empty when neither flow is on. */
  codeSecrets: string[];
}

export function loadRecoveryConfig(env: Env): RecoveryConfig {
  const recoveryEnabled = readBoolean(env, 'SELFSERVICE_FLOWS_RECOVERY_ENABLED', false);
  const verificationEnabled = readBoolean(env, 'SELFSERVICE_FLOWS_VERIFICATION_ENABLED', false);
  // Kratos's other strategy (`link`) is not built: `use` accepts only `code`, and says so.
  const recoveryUse = readChoice(env, 'SELFSERVICE_FLOWS_RECOVERY_USE', ['code'] as const, 'code');
  const verificationUse = readChoice(env, 'SELFSERVICE_FLOWS_VERIFICATION_USE', ['code'] as const, 'code');
  const passwordlessEnabled = readBoolean(env, 'SELFSERVICE_METHODS_CODE_PASSWORDLESS_ENABLED', false);
  const mfaEnabled = readBoolean(env, 'SELFSERVICE_METHODS_CODE_MFA_ENABLED', false);
  // Kratos's configuration schema allows one or the other: a code is either the first factor or the second.
  if (passwordlessEnabled && mfaEnabled) {
    throw new ConfigError('SELFSERVICE_METHODS_CODE_PASSWORDLESS_ENABLED and SELFSERVICE_METHODS_CODE_MFA_ENABLED cannot both be true: a code is either the first factor or the second');
  }
  // Kratos: passwordless forces the method on (config.go's SelfServiceCodeStrategy).
  const codeEnabled = readBoolean(env, 'SELFSERVICE_METHODS_CODE_ENABLED', true) || passwordlessEnabled;
  for (const [on, name] of [
    [recoveryEnabled, 'SELFSERVICE_FLOWS_RECOVERY_ENABLED'],
    [verificationEnabled, 'SELFSERVICE_FLOWS_VERIFICATION_ENABLED'],
  ] as const) {
    if (on && !codeEnabled) throw new ConfigError(`${name}=true uses the code method, but SELFSERVICE_METHODS_CODE_ENABLED is false`);
  }
  const secretsName = readOptionalString(env, 'SECRETS_DEFAULT') ? 'SECRETS_DEFAULT' : 'SECRETS_COOKIE';
  const codeSecrets = readList(env, secretsName);
  const codesUsed = recoveryEnabled || verificationEnabled || (codeEnabled && (passwordlessEnabled || mfaEnabled));
  if (codesUsed && (codeSecrets.length === 0 || codeSecrets.some((secret) => secret.length < 16))) {
    throw new ConfigError(
      `recovery, verification and code login keep codes as an HMAC keyed with SECRETS_DEFAULT (else SECRETS_COOKIE): set one, secrets of at least 16 characters separated by commas`,
    );
  }
  return {
    recoveryEnabled,
    recoveryUse,
    recoveryLifespanMs: readDuration(env, 'SELFSERVICE_FLOWS_RECOVERY_LIFESPAN', '1h'),
    recoveryNotifyUnknownRecipients: readBoolean(env, 'SELFSERVICE_FLOWS_RECOVERY_NOTIFY_UNKNOWN_RECIPIENTS', false),
    verificationEnabled,
    verificationUse,
    verificationLifespanMs: readDuration(env, 'SELFSERVICE_FLOWS_VERIFICATION_LIFESPAN', '1h'),
    verificationNotifyUnknownRecipients: readBoolean(env, 'SELFSERVICE_FLOWS_VERIFICATION_NOTIFY_UNKNOWN_RECIPIENTS', false),
    codeEnabled,
    passwordlessEnabled,
    mfaEnabled: codeEnabled && mfaEnabled,
    missingCredentialFallbackEnabled: readBoolean(env, 'SELFSERVICE_METHODS_CODE_CONFIG_MISSING_CREDENTIAL_FALLBACK_ENABLED', false),
    codeLifespanMs: readDuration(env, 'SELFSERVICE_METHODS_CODE_CONFIG_LIFESPAN', '1h'),
    maxSubmissions: readInteger(env, 'SELFSERVICE_METHODS_CODE_CONFIG_MAX_SUBMISSIONS', 5, 1, 100),
    maxSendsPerFlow: readInteger(env, 'SELFSERVICE_METHODS_CODE_CONFIG_MAX_SENDS_PER_FLOW', 3, 1, 100),
    maxSendsPerAddress: readInteger(env, 'SELFSERVICE_METHODS_CODE_CONFIG_MAX_SENDS_PER_ADDRESS', 5, 1, 1_000_000),
    maxRequestsPerIp: readInteger(env, 'SELFSERVICE_METHODS_CODE_CONFIG_MAX_REQUESTS_PER_IP', 20, 1, 1_000_000),
    sendLimitWindowMs: readDuration(env, 'SELFSERVICE_METHODS_CODE_CONFIG_SEND_LIMIT_WINDOW', '1h'),
    codeSecrets,
  };
}
