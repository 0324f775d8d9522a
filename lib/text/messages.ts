/** Kratos's UI messages (ids and texts as in Kratos's `text` package), built by the flows that show them. */
export interface UiText {
  id: number;
  text: string;
  type: 'info' | 'error' | 'success';
  context?: Record<string, unknown>;
}

const error = (id: number, text: string, context?: Record<string, unknown>): UiText =>
  context ? { id, text, type: 'error', context } : { id, text, type: 'error' };
const info = (id: number, text: string, context?: Record<string, unknown>): UiText =>
  context ? { id, text, type: 'info', context } : { id, text, type: 'info' };

/** Kratos's "%.2f minutes ago" for an expired flow. */
export function minutesAgo(expiredAt: Date, now: Date): string {
  return ((now.getTime() - expiredAt.getTime()) / 60_000).toFixed(2);
}

export const messages = {
  generic: (reason: string) => error(4000001, reason, { reason }),
  required: (property: string) => error(4000002, `Property ${property} is missing.`, { property }),
  minLength: (min: number, actual: number) =>
    error(4000003, `length must be >= ${min}, but got ${actual}`, { min_length: min, actual_length: actual }),
  maxLength: (max: number, actual: number) =>
    error(4000017, `length must be <= ${max}, but got ${actual}`, { max_length: max, actual_length: actual }),
  wrongType: (allowed: string[], actual: string) =>
    error(4000026, `expected ${allowed.join(' or ')}, but got ${actual}`, { allowed_types: allowed, actual_type: actual }),
  invalidFormat: (pattern: string) => error(4000004, `does not match pattern ${JSON.stringify(pattern)}`, { pattern }),
  minimum: (minimum: number, actual: number) => error(4000018, `must be >= ${minimum} but found ${actual}`, { minimum, actual }),
  exclusiveMinimum: (minimum: number, actual: number) => error(4000019, `must be > ${minimum} but found ${actual}`, { minimum, actual }),
  maximum: (maximum: number, actual: number) => error(4000020, `must be <= ${maximum} but found ${actual}`, { maximum, actual }),
  exclusiveMaximum: (maximum: number, actual: number) => error(4000021, `must be < ${maximum} but found ${actual}`, { maximum, actual }),
  multipleOf: (base: number, actual: number) => error(4000022, `${actual} not multipleOf ${base}`, { base, actual }),
  maxItems: (max: number, actual: number) => error(4000023, `maximum ${max} items allowed, but found ${actual} items`, { max_items: max, actual_items: actual }),
  minItems: (min: number, actual: number) => error(4000024, `minimum ${min} items allowed, but found ${actual} items`, { min_items: min, actual_items: actual }),
  uniqueItems: (a: number, b: number) => error(4000025, `items at index ${a} and ${b} are equal`, { index_a: a, index_b: b }),
  constant: (expected: unknown) => error(4000029, `must be equal to constant ${typeof expected === 'string' ? expected : JSON.stringify(expected)}`, { expected }),
  invalidEmail: (value: string) => error(4000040, 'Enter a valid email address', { value }),
  invalidPhone: (value: string) => error(4000041, 'Enter a valid phone number', { value }),
  invalidCredentials: () =>
    error(
      4000006,
      'The provided credentials are invalid, check for spelling mistakes in your password or username, email address, or phone number.',
    ),
  duplicateCredentials: () =>
    error(4000007, 'An account with the same identifier (email, phone, username, ...) exists already.'),
  duplicateCredentialsOnOidcLink: () =>
    error(4000027, 'An account with the same identifier (email, phone, username, ...) exists already. Please sign in to your existing account to link your social profile.'),
  passwordTooSimilar: () => error(4000031, 'The password can not be used because it is too similar to the identifier.'),
  passwordTooShort: (min: number, actual: number) =>
    error(4000032, `The password must be at least ${min} characters long, but got ${actual}.`, {
      min_length: min,
      actual_length: actual,
    }),
  passwordTooLong: (max: number, actual: number) =>
    error(4000033, `The password must be at most ${max} characters long, but got ${actual}.`, {
      max_length: max,
      actual_length: actual,
    }),
  passwordPolicyViolation: (reason: string) => error(4000005, `The password can not be used because ${reason}.`, { reason }),
  passwordBreached: (breaches: number) =>
    error(4000034, 'The password has been found in data breaches and must no longer be used.', { breaches }),
  passwordSameAsOld: () => error(4000039, 'The new password must be different from the old password.'),
  flowAlreadyCompleted: (type: 'login' | 'registration' | 'settings' | 'recovery' | 'verification') =>
    error({ login: 4010007, registration: 4040002, settings: 4040002, recovery: 4060001, verification: 4070002 }[type], 'The request was already completed successfully and can not be retried.'),
  flowExpired: (type: 'login' | 'registration' | 'settings' | 'recovery' | 'verification', expiredAt: Date, now: Date) => {
    const ago = minutesAgo(expiredAt, now);
    const id = { login: 4010001, registration: 4040001, settings: 4050001, recovery: 4060005, verification: 4070005 }[type];
    return error(id, `The ${type} flow expired ${ago} minutes ago, please try again.`, {
      expired_at: expiredAt.toISOString(),
      expired_at_unix: Math.floor(expiredAt.getTime() / 1000),
    });
  },
  settingsSaved: (): UiText => ({ id: 1050001, text: 'Your changes have been saved!', type: 'success' }),
  labelPassword: () => info(1070001, 'Password'),
  labelId: () => info(1070004, 'ID'),
  labelFromSchema: (title: string, name: string) => info(1070002, title, { title, name }),
  labelSignInWithPassword: () => info(1010022, 'Sign in with password'),
  labelSignUp: () => info(1040001, 'Sign up'),
  labelBack: () => info(1040008, 'Back'),
  chooseCredentials: () => info(1040009, 'Please choose a credential to authenticate yourself with.'),
  labelSignInWith: (provider: string, providerId: string) => info(1010002, `Sign in with ${provider}`, { provider, provider_id: providerId }),
  labelSignUpWith: (provider: string, providerId: string) => info(1040002, `Sign up with ${provider}`, { provider, provider_id: providerId }),
  labelRegistrationContinue: () => info(1040003, 'Continue'),
  /** A provider account whose e-mail an existing account holds: sign in to that account to link it (1010016). */
  loginToLink: (duplicateIdentifier: string, provider: string, newLoginUrl: string, availableCredentialTypes: string[], availableProviders: string[]): UiText =>
    info(
      1010016,
      `You tried to sign in with ${JSON.stringify(duplicateIdentifier)}, but that email is already used by another account. Sign in to your account with one of the options below to add your account ${JSON.stringify(duplicateIdentifier)} at ${JSON.stringify(provider)} as another way to sign in.`,
      {
        duplicateIdentifier,
        provider,
        newLoginUrl,
        duplicate_identifier: duplicateIdentifier,
        new_login_url: newLoginUrl,
        available_credential_types: availableCredentialTypes,
        available_providers: availableProviders,
      },
    ),
  labelSignInAndLink: () => info(1010017, 'Sign in and link'),
  labelLink: (provider: string) => info(1050002, `Link ${provider}`, { provider }),
  labelUnlink: (provider: string) => info(1050003, `Unlink ${provider}`, { provider }),
  linkedCredentialsMismatch: () => error(4010009, 'Linked credentials do not match.'),
  labelSave: () => info(1070003, 'Save'),
  labelEmail: () => info(1070007, 'Email'),
  labelResendCode: () => info(1070008, 'Resend code'),
  labelContinue: () => info(1070009, 'Continue'),
  labelRecoveryCode: () => info(1070010, 'Recovery code'),
  labelVerificationCode: () => info(1070011, 'Verification code'),
  recoveryCodeSent: (): UiText =>
    info(1060003, 'An email containing a recovery code has been sent to the email address you provided. If you have not received an email, check the spelling of the address and make sure to use the address you registered with.'),
  recoverySucceeded: (privilegedMinutesLeft: number, privilegedSessionExpiresAt: Date): UiText => ({
    id: 1060001,
    text: `You successfully recovered your account. Please change your password or set up an alternative login method (e.g. social sign in) within the next ${privilegedMinutesLeft.toFixed(2)} minutes.`,
    type: 'success',
    // Kratos's keys (text/message_recovery.go); Ory's UI formats the minutes from the Unix one.
    context: {
      privilegedSessionExpiresAt: privilegedSessionExpiresAt.toISOString(),
      privileged_session_expires_at: privilegedSessionExpiresAt.toISOString(),
      privileged_session_expires_at_unix: Math.floor(privilegedSessionExpiresAt.getTime() / 1000),
    },
  }),
  recoveryCodeInvalid: () => error(4060006, 'The recovery code is invalid or has already been used. Please try again.'),
  verificationCodeSent: (): UiText =>
    info(1080003, 'An email containing a verification code has been sent to the email address you provided. If you have not received an email, check the spelling of the address and make sure to use the address you registered with.'),
  verificationSucceeded: (): UiText => ({ id: 1080002, text: 'You successfully verified your email address.', type: 'success' }),
  verificationCodeInvalid: () => error(4070006, 'The verification code is invalid or has already been used. Please try again.'),
  tooManyCodesSent: () => error(4000001, 'This flow sent as many codes as it may. Please start again.', { reason: 'This flow sent as many codes as it may. Please start again.' }),
  tooManySubmissions: () => error(4000001, 'The request was submitted too often. Please request another code.', { reason: 'The request was submitted too often. Please request another code.' }),
  // The code method's login and registration (Kratos's text/message_login.go, message_registration.go).
  labelSendSignInCode: () => info(1010015, 'Send sign in code'),
  loginCodeSent: () =>
    info(1010014, "A code was sent to the address you provided. If you didn't receive it, please check the spelling of the address and try again."),
  loginCodeSentForAuthenticatedUser: () => info(1010025, "A code was sent to your address. If you didn't receive it, please try again."),
  labelSendCodeTo: (channel: string, address: string) => info(1010023, `Send code to ${address}`, { address, channel }),
  labelLoginCode: () => info(1070013, 'Login code'),
  labelRegistrationCode: () => info(1070012, 'Registration code'),
  labelSendSignUpCode: () => info(1040006, 'Send sign up code'),
  registrationCodeSent: () =>
    info(1040005, 'A code has been sent to the address(es) you provided. If you have not received a message, check the spelling of the address and retry the registration.'),
  noCodeUser: () => error(4000035, 'This account does not exist or has not setup sign in with code.'),
  traitsMismatch: () => error(4000036, 'The provided traits do not match the traits previously associated with this flow.'),
  identifierMissing: () => error(4000009, 'Could not find any login identifiers. Did you forget to set them? This could also be caused by a server misconfiguration.'),
  addressUnknown: () => error(4010010, 'The address you entered does not match any known addresses in the current account.'),
  loginCodeInvalid: () => error(4010008, 'The login code is invalid or has already been used. Please try again.'),
  registrationCodeInvalid: () => error(4040003, 'The registration code is invalid or has already been used. Please try again.'),
  noLoginStrategy: () => error(4010002, 'Could not find a strategy to log you in with. Did you fill out the form correctly?'),
  noRegistrationStrategy: () => error(4010003, 'Could not find a strategy to sign you up with. Did you fill out the form correctly?'),
  noSettingsStrategy: () => error(4010004, 'Could not find a strategy to update your settings. Did you fill out the form correctly?'),
  // Passkeys and WebAuthn keys (Kratos's text ids).
  labelSignInWithPasskey: () => info(1010021, 'Sign in with passkey'),
  labelSignInWithSecurityKey: () => info(1010008, 'Sign in with a hardware key'),
  webauthnPasswordlessPrompt: () => info(1010012, 'Prepare your WebAuthn device (e.g. security key, biometrics scanner, ...) and press continue.'),
  labelLoginContinue: () => info(1010013, 'Continue'),
  labelSignUpWithSecurityKey: () => info(1040004, 'Sign up with security key'),
  labelSignUpWithPasskey: () => info(1040007, 'Sign up with passkey'),
  labelAddSecurityKey: () => info(1050012, 'Add security key'),
  labelSecurityKeyName: () => info(1050013, 'Name of the security key'),
  labelRemoveSecurityKey: (name: string, addedAt: Date) =>
    info(1050018, `Remove security key "${name}"`, { display_name: name, added_at: addedAt.toISOString(), added_at_unix: Math.floor(addedAt.getTime() / 1000) }),
  labelAddPasskey: () => info(1050019, 'Add passkey'),
  labelRemovePasskey: (name: string, addedAt: Date) =>
    info(1050020, `Remove passkey "${name}"`, { display_name: name, added_at: addedAt.toISOString(), added_at_unix: Math.floor(addedAt.getTime() / 1000) }),
  noWebAuthnDevice: () => error(4000013, 'You have no WebAuthn device set up.'),
  noWebAuthnUser: () => error(4000015, 'This account does not exist or has no security key set up.'),
  webauthnVerifierWrong: () => error(4000043, 'The provided web authn login is invalid, please try again.'),
  noAddressStrategy: (type: 'recovery' | 'verification') =>
    type === 'recovery'
      ? error(4010005, 'Could not find a strategy to recover your account with. Did you fill out the form correctly?')
      : error(4010006, 'Could not find a strategy to verify your account with. Did you fill out the form correctly?'),
  // Assurance levels, second factors (Kratos's text/message_login.go, message_settings.go, message_validation.go).
  loginReAuth: () => info(1010003, 'Please confirm this action by verifying that it is you.'),
  loginMfa: () => info(1010004, 'Please complete the second authentication challenge.'),
  labelAuthenticationCode: () => info(1010006, 'Authentication code'),
  labelBackupCode: () => info(1010007, 'Backup recovery code'),
  labelUseAuthenticator: () => info(1010009, 'Use Authenticator'),
  labelUseBackupCode: () => info(1010010, 'Use backup recovery code'),
  labelVerifyCode: () => info(1070006, 'Verify code'),
  totpUnlink: () => info(1050004, 'Unlink TOTP Authenticator App'),
  totpQrCode: () => info(1050005, 'Authenticator app QR code'),
  totpSecret: (secret: string) => info(1050006, secret, { secret }),
  totpSecretLabel: () => info(1050017, 'This is your authenticator app secret. Use it if you can not scan the QR code.'),
  lookupReveal: () => info(1050007, 'Reveal backup recovery codes'),
  lookupRegenerate: () => info(1050008, 'Generate new backup recovery codes'),
  lookupSecret: (secret: string) => info(1050009, secret, { secret }),
  lookupSecretsLabel: () => info(1050010, 'These are your back up recovery codes. Please keep them in a safe place!'),
  lookupConfirm: () => info(1050011, 'Confirm backup recovery codes'),
  lookupSecretUsed: (usedAt: Date) => info(1050014, `Secret was used at ${goTime(usedAt)}`, { used_at: usedAt.toISOString(), used_at_unix: Math.floor(usedAt.getTime() / 1000) }),
  lookupSecretList: (texts: string[], secrets: UiText[]) => info(1050015, texts.join(', '), { secrets }),
  lookupDisable: () => info(1050016, 'Disable this method'),
  totpWrong: () => error(4000008, 'The provided authentication code is invalid, please try again.'),
  noTotpDevice: () => error(4000011, 'You have no TOTP device set up.'),
  lookupUsed: () => error(4000012, 'This backup recovery code has already been used.'),
  noLookup: () => error(4000014, 'You have no backup recovery codes set up.'),
  lookupInvalid: () => error(4000016, 'The backup recovery code is not valid.'),
};

/** A time as Go's `time.Time.String()` prints it in UTC (Kratos's 1050014 text). */
function goTime(at: Date): string {
  const iso = at.toISOString();
  const fraction = iso.slice(20, 23).replace(/0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction ? `.${fraction}` : ''} +0000 UTC`;
}
