/**
 * The ceremonies' verification over @simplewebauthn/server (see ./ceremony.ts for Kratos's tolerances), given the
 * client's origin once ./ceremony.ts checked it against the relying party's. Imported on demand only: a Lambda bundle
 * requires it from a file of its own (webauthn-verify.cjs, scripts/package.ts).
 */
import { verifyAuthenticationResponse, verifyRegistrationResponse } from '@simplewebauthn/server';
import { ALGORITHMS, CeremonyError, type AssertionInput, type AssertionResult, type NewKey, type RegistrationInput } from './model.js';

const b64url = (bytes: Uint8Array | Buffer) => Buffer.from(bytes).toString('base64url');

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

/** Verifies a registration (attestation) made at `origin` against the flow's challenge; the new key, or CeremonyError. */
export async function verifyRegistrationAt(input: RegistrationInput, origin: string): Promise<NewKey> {
  const { response, rp } = input;
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

/** Verifies an assertion made at `origin` with `key` against the flow's challenge; what it proved, or CeremonyError. */
export async function verifyAssertionAt(input: AssertionInput, origin: string): Promise<AssertionResult> {
  const { response, rp, key } = input;
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
