/**
 * What the WebAuthn ceremonies share (./ceremony.ts makes the options and checks the origin; ./verify.ts, loaded on
 * demand, verifies): Kratos's algorithms, the methods' policies, the results, the error.
 */
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
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

/** A new key, as Kratos stores it (before its display name and passwordless flag are set). */
export interface NewKey {
  id: Buffer;
  publicKey: Buffer;
  attestationType: string;
  aaguid: Buffer;
  signCount: number;
  flags: { userPresent: boolean; userVerified: boolean; backupEligible: boolean; backupState: boolean };
}

/** What an assertion proved of a stored key: its new counter, go-webauthn's clone warning, the flags it carried. */
export interface AssertionResult {
  signCount: number;
  cloneWarning: boolean;
  flags: { userPresent: boolean; userVerified: boolean; backupEligible: boolean; backupState: boolean };
}

export interface RegistrationInput {
  response: RegistrationResponseJSON;
  challenge: string;
  rp: RelyingParty;
  policy: CeremonyPolicy;
}

export interface AssertionInput {
  response: AuthenticationResponseJSON;
  challenge: string;
  rp: RelyingParty;
  policy: CeremonyPolicy;
  key: { id: Buffer; publicKey: Buffer; signCount: number; backupEligible?: boolean };
}
