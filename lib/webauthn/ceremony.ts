/**
 * The WebAuthn ceremonies of the `passkey` and `webauthn` methods over @simplewebauthn/server, with Kratos's
 * (go-webauthn's) tolerances, and the options as Kratos shapes them: `{"publicKey": {...}}`, bytes as unpadded
 * base64url, Kratos's algorithm list and timeouts.
 *
 * Where Kratos differs from the library's defaults:
 * - user verification is required only when the method asks for it (`required`); `preferred` and `discouraged` accept
 *   an assertion without the UV flag, as go-webauthn does;
 * - a signature counter that did not increase never refuses an assertion (go-webauthn sets the credential's clone
 *   warning and Kratos keeps it): the library is given a stored counter of 0, which turns its check off, and
 *   `verifyAssertion` answers the clone warning itself from the stored counter;
 * - origins are compared case-insensitively (go-webauthn's `strings.EqualFold`): the client's origin is checked here
 *   against the configured ones, and then handed to the library as the one expected.
 *
 * A failed ceremony is a CeremonyError whose message names the check that failed and never carries the challenge or
 * any part of the credential: the strategies show Kratos's message, not this one.
 *
 * The verification itself (./verify.ts, the library with its attestation formats and certificate parsers, some
 * 250 KiB) is loaded on demand: in a Lambda bundle it is a file of its own, webauthn-verify.cjs (scripts/package.ts),
 * parsed only by a submit that runs a ceremony.
 */
import { randomBytes } from 'node:crypto';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import type { RelyingParty } from '../config/webauthn.js';
import { withSpan, type SpanHandle } from '../tracing/span.js';
import { ALGORITHMS, CeremonyError, type AssertionInput, type AssertionResult, type CeremonyPolicy, type NewKey, type RegistrationInput } from './model.js';

export { ALGORITHMS, CeremonyError, PASSKEY_POLICY, WEBAUTHN_POLICY, type AssertionResult, type CeremonyPolicy, type NewKey, type UserVerification } from './model.js';

const b64url = (bytes: Uint8Array | Buffer) => Buffer.from(bytes).toString('base64url');

/** A fresh challenge: 32 random bytes, unpadded base64url (as the options carry it and the client data echoes it). */
export const newChallenge = (): string => b64url(randomBytes(32));

/** A key the options exclude (registration) or allow (login): its raw id. */
export interface KeyDescriptor {
  id: Buffer;
}

const descriptors = (keys: readonly KeyDescriptor[]) => keys.map((key) => ({ type: 'public-key', id: b64url(key.id) }));

/** `navigator.credentials.create()`'s options, as Kratos's `{"publicKey": ...}`. */
export function registrationOptions(input: {
  rp: RelyingParty;
  policy: CeremonyPolicy;
  challenge: string;
  userId: Buffer;
  userName: string;
  userDisplayName: string;
  exclude?: readonly KeyDescriptor[];
}): { publicKey: Record<string, unknown> } {
  const { rp, policy } = input;
  const exclude = input.exclude ?? [];
  return {
    publicKey: {
      rp: { name: rp.displayName, id: rp.id },
      user: { name: input.userName, displayName: input.userDisplayName, id: b64url(input.userId) },
      challenge: input.challenge,
      pubKeyCredParams: ALGORITHMS.map((alg) => ({ type: 'public-key', alg })),
      timeout: policy.timeoutMs,
      ...(exclude.length ? { excludeCredentials: descriptors(exclude) } : {}),
      authenticatorSelection: policy.discoverable
        ? { requireResidentKey: true, residentKey: 'required', userVerification: policy.userVerification }
        : { userVerification: policy.userVerification },
      ...(policy.discoverable ? { attestation: 'none' } : {}),
    },
  };
}

/** `navigator.credentials.get()`'s options, as Kratos's `{"publicKey": ...}` (no `allowCredentials`: discoverable). */
export function loginOptions(input: { rp: RelyingParty; policy: CeremonyPolicy; challenge: string; allow?: readonly KeyDescriptor[] }): { publicKey: Record<string, unknown> } {
  const allow = input.allow;
  return {
    publicKey: {
      challenge: input.challenge,
      timeout: input.policy.timeoutMs,
      rpId: input.rp.id,
      ...(allow ? { allowCredentials: descriptors(allow) } : {}),
      userVerification: input.policy.userVerification,
    },
  };
}

/** The JSON webauthn.js posts (`webauthn_register`, `passkey_login`...), parsed; undefined when it is not that shape. */
export function parseResponse(raw: string, kind: 'registration'): RegistrationResponseJSON | undefined;
export function parseResponse(raw: string, kind: 'assertion'): AuthenticationResponseJSON | undefined;
export function parseResponse(raw: string, kind: 'registration' | 'assertion'): RegistrationResponseJSON | AuthenticationResponseJSON | undefined {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return undefined;
  }
  const isString = (v: unknown) => typeof v === 'string';
  if (typeof value !== 'object' || value === null) return undefined;
  const r = value as Record<string, unknown>;
  const response = r.response as Record<string, unknown> | undefined;
  if (!isString(r.id) || !isString(r.rawId) || r.type !== 'public-key' || typeof response !== 'object' || response === null || !isString(response.clientDataJSON)) return undefined;
  const needed = kind === 'registration' ? ['attestationObject'] : ['authenticatorData', 'signature'];
  if (!needed.every((name) => isString(response[name]))) return undefined;
  // webauthn.js sends no `clientExtensionResults`; the library reads it.
  return { ...r, clientExtensionResults: (r.clientExtensionResults as object | undefined) ?? {} } as unknown as RegistrationResponseJSON;
}

/** The origin the client data names, if it is one of the relying party's (compared case-insensitively). */
export function checkedOrigin(clientDataJSON: string, rp: RelyingParty): string {
  let origin: unknown;
  try {
    origin = (JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8')) as { origin?: unknown }).origin;
  } catch {
    throw new CeremonyError('the client data is not JSON');
  }
  if (typeof origin !== 'string' || !rp.origins.some((allowed) => allowed.toLowerCase() === origin.toLowerCase())) {
    throw new CeremonyError('the ceremony took place at an origin the relying party does not allow');
  }
  return origin;
}


/** Verifies a registration (attestation) against the flow's challenge; the new key, or CeremonyError. */
export function verifyRegistration(input: RegistrationInput): Promise<NewKey> {
  return traced('webauthn.verify_registration', input.policy, async () => {
    const origin = checkedOrigin(input.response.response.clientDataJSON, input.rp);
    return (await import('./verify.js')).verifyRegistrationAt(input, origin);
  });
}

/** Verifies an assertion with `key` against the flow's challenge; what it proved, or CeremonyError. */
export function verifyAssertion(input: AssertionInput): Promise<AssertionResult> {
  return traced('webauthn.verify_assertion', input.policy, async (span) => {
    const origin = checkedOrigin(input.response.response.clientDataJSON, input.rp);
    const result = await (await import('./verify.js')).verifyAssertionAt(input, origin);
    span.setAttributes({ 'webauthn.clone_warning': result.cloneWarning });
    return result;
  });
}

/**
 * A ceremony's check in a span of its own: which kind of key, whether it verified and, if not, which check failed
 * (CeremonyError's words); never the challenge, the origin or any part of the credential.
 */
function traced<T>(name: string, policy: CeremonyPolicy, work: (span: SpanHandle) => Promise<T>): Promise<T> {
  return withSpan(name, { 'webauthn.kind': policy.discoverable ? 'passkey' : 'security_key' }, async (span) => {
    try {
      const result = await work(span);
      span.setAttributes({ 'webauthn.valid': true });
      return result;
    } catch (error) {
      if (!(error instanceof CeremonyError)) throw error;
      span.setAttributes({ 'webauthn.valid': false, 'webauthn.failure': error.message });
      throw error;
    }
  });
}
