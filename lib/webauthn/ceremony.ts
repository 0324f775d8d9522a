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
 */
import { randomBytes } from 'node:crypto';
import { verifyAuthenticationResponse, verifyRegistrationResponse, type AuthenticationResponseJSON, type RegistrationResponseJSON } from '@simplewebauthn/server';
import type { RelyingParty } from '../config/webauthn.js';

/** Kratos's (go-webauthn's default) algorithms, in its order: ES256, ES384, ES512, RS256, RS384, RS512, PS256, PS384, PS512, EdDSA. */
export const ALGORITHMS = [-7, -35, -36, -257, -258, -259, -37, -38, -39, -8] as const;

export type UserVerification = 'required' | 'preferred' | 'discouraged';

/** What a method asks of the authenticator, and how long the browser waits (go-webauthn: 120 s with UV discouraged, else 300 s). */
export interface CeremonyPolicy {
  userVerification: UserVerification;
  timeoutMs: number;
  /** Passkeys: a discoverable credential (`residentKey: required`) and `attestation: none`. */
  discoverable: boolean;
}

export const WEBAUTHN_POLICY: CeremonyPolicy = { userVerification: 'discouraged', timeoutMs: 120_000, discoverable: false };
export const PASSKEY_POLICY: CeremonyPolicy = { userVerification: 'preferred', timeoutMs: 300_000, discoverable: true };

export class CeremonyError extends Error {
  override name = 'CeremonyError';
}

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
function checkedOrigin(clientDataJSON: string, rp: RelyingParty): string {
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

/** A library failure, named without what it quotes (the challenge, the origin, ids). */
async function guarded<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof CeremonyError) throw error;
    const message = error instanceof Error ? error.message : '';
    const what = /challenge/i.test(message)
      ? 'the challenge is not this flow’s'
      : /rp ?id/i.test(message)
        ? 'the relying party id does not match'
        : /verif/i.test(message)
          ? 'user verification was required'
          : /signature/i.test(message)
            ? 'the signature does not verify'
            : 'the response is malformed or does not verify';
    throw new CeremonyError(what);
  }
}

/** A new key, as Kratos stores it (before its display name and passwordless flag are set). */
export interface NewKey {
  id: Buffer;
  publicKey: Buffer;
  attestationType: string;
  aaguid: Buffer;
  signCount: number;
  flags: { userPresent: boolean; userVerified: boolean; backupEligible: boolean; backupState: boolean };
}

const AUTHENTICATOR_DATA_FLAGS = { up: 0x01, uv: 0x04, be: 0x08, bs: 0x10 };

function flagsOf(authenticatorData: Uint8Array) {
  const flags = authenticatorData[32] ?? 0;
  return {
    userPresent: (flags & AUTHENTICATOR_DATA_FLAGS.up) !== 0,
    userVerified: (flags & AUTHENTICATOR_DATA_FLAGS.uv) !== 0,
    backupEligible: (flags & AUTHENTICATOR_DATA_FLAGS.be) !== 0,
    backupState: (flags & AUTHENTICATOR_DATA_FLAGS.bs) !== 0,
  };
}

/** Verifies a registration (attestation) against the flow's challenge; the new key, or CeremonyError. */
export async function verifyRegistration(input: { response: RegistrationResponseJSON; challenge: string; rp: RelyingParty; policy: CeremonyPolicy }): Promise<NewKey> {
  const { response, rp } = input;
  const origin = checkedOrigin(response.response.clientDataJSON, rp);
  const verified = await guarded(() =>
    verifyRegistrationResponse({
      response,
      expectedChallenge: input.challenge,
      expectedOrigin: origin,
      expectedRPID: rp.id,
      requireUserPresence: true,
      requireUserVerification: input.policy.userVerification === 'required',
      supportedAlgorithmIDs: [...ALGORITHMS],
    }),
  );
  if (!verified.verified) throw new CeremonyError('the attestation does not verify');
  const info = verified.registrationInfo;
  // The flags as the authenticator data has them (the library reports UV and BE/BS; UP is required above).
  return {
    id: Buffer.from(info.credential.id, 'base64url'),
    publicKey: Buffer.from(info.credential.publicKey),
    attestationType: info.fmt,
    aaguid: Buffer.from(info.aaguid.replace(/-/g, ''), 'hex'),
    signCount: info.credential.counter,
    flags: { userPresent: true, userVerified: info.userVerified, backupEligible: info.credentialDeviceType === 'multiDevice', backupState: info.credentialBackedUp },
  };
}

/** What an assertion proved of a stored key: its new counter, and go-webauthn's clone warning. */
export interface AssertionResult {
  signCount: number;
  cloneWarning: boolean;
  flags: ReturnType<typeof flagsOf>;
}

/** Verifies an assertion with `key` against the flow's challenge; what it proved, or CeremonyError. */
export async function verifyAssertion(input: {
  response: AuthenticationResponseJSON;
  challenge: string;
  rp: RelyingParty;
  policy: CeremonyPolicy;
  key: { id: Buffer; publicKey: Buffer; signCount: number; backupEligible?: boolean };
}): Promise<AssertionResult> {
  const { response, rp, key } = input;
  const origin = checkedOrigin(response.response.clientDataJSON, rp);
  const verified = await guarded(() =>
    verifyAuthenticationResponse({
      response,
      expectedChallenge: input.challenge,
      expectedOrigin: origin,
      expectedRPID: rp.id,
      // Counter 0 turns the library's "must increase" check off; the clone warning is decided below, as go-webauthn's.
      credential: { id: b64url(key.id), publicKey: new Uint8Array(key.publicKey), counter: 0 },
      requireUserVerification: input.policy.userVerification === 'required',
    }),
  );
  if (!verified.verified) throw new CeremonyError('the signature does not verify');
  const flags = flagsOf(Buffer.from(response.response.authenticatorData, 'base64url'));
  // go-webauthn refuses a key whose backup eligibility changed since it was registered.
  if (key.backupEligible !== undefined && key.backupEligible !== flags.backupEligible) throw new CeremonyError('the backup eligibility of the key changed');
  const counter = verified.authenticationInfo.newCounter;
  const cloneWarning = (counter > 0 || key.signCount > 0) && counter <= key.signCount;
  return { signCount: Math.max(counter, key.signCount), cloneWarning, flags };
}
