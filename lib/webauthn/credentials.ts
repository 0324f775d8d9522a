/**
 * The `webauthn` and `passkey` credentials' `config` in Kratos's shape (identity/credentials_webauthn.go), bytes as
 * standard base64 (Go's []byte in JSON):
 * `{credentials: [{id, public_key, attestation_type, authenticator: {aaguid, sign_count, clone_warning}, display_name,
 * added_at, is_passwordless, flags: {user_present, user_verified, backup_eligible, backup_state}}], user_handle}`.
 * Kept as stored, so that an identity imported from Kratos (or exported to it) carries its keys unchanged.
 */
import type { FactorCredential } from '../identity/model.js';
import type { AssertionResult, NewKey } from './ceremony.js';

export interface StoredKey {
  id: string;
  public_key: string;
  attestation_type: string;
  authenticator?: { aaguid: string; sign_count: number; clone_warning: boolean };
  display_name: string;
  added_at: string;
  is_passwordless: boolean;
  flags?: { user_present: boolean; user_verified: boolean; backup_eligible: boolean; backup_state: boolean };
  transport?: string[];
}

export interface KeysConfig {
  credentials: StoredKey[];
  /** The user handle the keys were made with (standard base64 of its bytes); null when none. */
  user_handle: string | null;
}

const b64 = (bytes: Buffer) => bytes.toString('base64');

/** The keys a credential's config holds (none for an absent or malformed one). */
export function keysOf(credential: FactorCredential | undefined): KeysConfig {
  const config = (credential?.config ?? {}) as Partial<KeysConfig>;
  return { credentials: Array.isArray(config.credentials) ? config.credentials : [], user_handle: typeof config.user_handle === 'string' ? config.user_handle : null };
}

/** A key as Kratos stores it; added_at rounded to the second, as Kratos. */
export function storedKey(key: NewKey, displayName: string, isPasswordless: boolean, now: Date): StoredKey {
  return {
    id: b64(key.id),
    public_key: b64(key.publicKey),
    attestation_type: key.attestationType,
    authenticator: { aaguid: b64(key.aaguid), sign_count: key.signCount, clone_warning: false },
    display_name: displayName,
    added_at: new Date(Math.round(now.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
    is_passwordless: isPasswordless,
    flags: { user_present: key.flags.userPresent, user_verified: key.flags.userVerified, backup_eligible: key.flags.backupEligible, backup_state: key.flags.backupState },
  };
}

/** Raw bytes of a stored key's id. */
export const keyIdOf = (key: StoredKey): Buffer => Buffer.from(key.id, 'base64');

/** Kratos's remove value: the key id in lower-case hex. */
export const hexIdOf = (key: StoredKey): string => keyIdOf(key).toString('hex');

/** The stored key an assertion names by its raw id (base64url), if any. */
export function keyNamed(keys: readonly StoredKey[], rawIdBase64url: string): StoredKey | undefined {
  const wanted = Buffer.from(rawIdBase64url, 'base64url');
  return keys.find((key) => keyIdOf(key).equals(wanted));
}

/** The key as an assertion leaves it: the counter kept if it rose, go-webauthn's clone warning, the backup state. */
export function afterAssertion(key: StoredKey, result: AssertionResult): StoredKey {
  return {
    ...key,
    authenticator: { aaguid: key.authenticator?.aaguid ?? '', sign_count: result.signCount, clone_warning: result.cloneWarning },
    ...(key.flags ? { flags: { ...key.flags, backup_state: result.flags.backupState } } : {}),
  };
}

/** The credential with `keys` (and `userHandle`, when given), its identifiers as given. */
export function withKeys(previous: FactorCredential | undefined, keys: StoredKey[], identifiers: string[], now: Date, userHandle?: Buffer): FactorCredential {
  const config: KeysConfig = { credentials: keys, user_handle: userHandle ? b64(userHandle) : keysOf(previous).user_handle };
  return { identifiers, config: config as unknown as Record<string, unknown>, version: 1, createdAt: previous?.createdAt ?? now, updatedAt: now };
}

/** What verifying an assertion needs of a stored key. */
export const verifiableKey = (key: StoredKey) => ({
  id: keyIdOf(key),
  publicKey: Buffer.from(key.public_key, 'base64'),
  signCount: key.authenticator?.sign_count ?? 0,
  ...(key.flags ? { backupEligible: key.flags.backup_eligible } : {}),
});
