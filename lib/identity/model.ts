export type IdentityState = 'active' | 'inactive';

export interface PasswordCredential {
  identifiers: string[];
  /** bcrypt hash. Only loaded through the privileged credential read. */
  hashedPassword?: string;
  createdAt: Date;
  updatedAt: Date;
}

/** One provider account linked to an identity (Kratos's `oidc` credential, one entry per provider). */
export interface OidcLink {
  /** The configured provider's id (`selfservice.methods.oidc.config.providers[].id`). */
  provider: string;
  /** The provider's subject (`sub`) for this account. */
  subject: string;
  /**
   * The first tokens the provider gave, encrypted with SECRETS_CIPHER (lib/identity/cipher.ts); none are kept without
   * one. Only privileged reads load them.
   */
  tokens?: { idToken?: string; accessToken?: string; refreshToken?: string };
}

/** Kratos's `oidc` credential: its identifiers are `<provider>:<subject>`, each claimed uniquely in storage. */
export interface OidcCredential {
  providers: OidcLink[];
  createdAt: Date;
  updatedAt: Date;
}

/** An `oidc` credential identifier, as Kratos writes it. */
export const oidcIdentifier = (provider: string, subject: string) => `${provider}:${subject}`;

/** The `oidc` identifiers an identity holds (each claimed in storage). */
export const oidcIdentifiersOf = (identity: Pick<Identity, 'oidc'>): string[] => (identity.oidc?.providers ?? []).map((link) => oidcIdentifier(link.provider, link.subject));

/** The identity with one more provider account linked (its `oidc` credential made when it is the first). */
export function withProviderLink(identity: Identity, link: OidcLink, now: Date): Identity {
  return { ...identity, oidc: { providers: [...(identity.oidc?.providers ?? []), link], createdAt: identity.oidc?.createdAt ?? now, updatedAt: now } };
}

/** The identity without the provider accounts `dropped` names; without any left, without an `oidc` credential. */
export function withoutProviderLinks(identity: Identity, dropped: (link: OidcLink) => boolean, now: Date): Identity {
  const { oidc, ...rest } = identity;
  const kept = (oidc?.providers ?? []).filter((link) => !dropped(link));
  return kept.length && oidc ? { ...rest, oidc: { ...oidc, providers: kept, updatedAt: now } } : rest;
}

/**
 * How many ways to sign in an identity has (a password, each linked provider, each passkey, each passwordless WebAuthn
 * key): the last one is never removed.
 */
export const firstFactorsOf = (identity: Pick<Identity, 'password' | 'oidc' | 'factors'>): number =>
  (identity.password ? 1 : 0) +
  (identity.oidc?.providers.length ?? 0) +
  ((identity.factors?.passkey?.config.credentials as unknown[] | undefined)?.length ?? 0) +
  ((identity.factors?.webauthn?.config.credentials as { is_passwordless?: boolean }[] | undefined)?.filter((key) => key.is_passwordless === true).length ?? 0);

/**
 * The credential types Kratos keeps as `{identifiers, config}` that this build stores as they are: each strategy folder
 * (lib/strategies/<type>) reads and writes its own `config`, in Kratos's shape. `code` is derived from the traits
 * (lib/identity/addresses.ts `withCodeCredential`), never set by a user.
 */
export type FactorType = 'totp' | 'lookup_secret' | 'webauthn' | 'passkey' | 'code';
export const FACTOR_TYPES: readonly FactorType[] = ['totp', 'lookup_secret', 'webauthn', 'passkey'];
/**
 * The types whose identifiers are claimed uniquely (a login finds the identity by one: a passkey's user handle, a code
 * address).
 */
export const CLAIMED_FACTORS: readonly FactorType[] = ['webauthn', 'passkey', 'code'];

export interface FactorCredential {
  identifiers: string[];
  /** Kratos's `config` of the type (a TOTP URL, lookup codes, WebAuthn keys): only privileged reads load it. */
  config: Record<string, unknown>;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export type Factors = Partial<Record<FactorType, FactorCredential>>;

/**
 * Kratos's available AAL from the credentials (identity.go's `SetAvailableAAL`): aal2 with a TOTP, lookup codes (even
 * all used), or a WebAuthn key that is not passwordless. (Code as a second factor counts too while it is enabled: the
 * session service adds that, as it depends on configuration.)
 */
export function availableAalOf(factors: Factors | undefined): 'aal1' | 'aal2' {
  if (!factors) return 'aal1';
  if (factors.totp?.config.totp_url || factors.lookup_secret) return 'aal2';
  const keys = (factors.webauthn?.config.credentials ?? []) as { is_passwordless?: boolean }[];
  return keys.some((key) => key.is_passwordless === false) ? 'aal2' : 'aal1';
}

/**
 * Whether an identity has code addresses (Kratos's `code` credential): a second factor while codes are one
 * (`mfa_enabled`, configuration the identity does not know: the session service asks). From its factors when the read
 * has them, else as stored.
 */
export const hasCodeAddresses = (identity: Pick<Identity, 'factors' | 'codeAddresses'>): boolean =>
  identity.factors ? (identity.factors.code?.identifiers.length ?? 0) > 0 : identity.codeAddresses === true;

/** What an identity's credentials reach: from its factors when the read has them, else as stored. */
export const reachableAalOf = (identity: Pick<Identity, 'factors' | 'availableAal'>): 'aal1' | 'aal2' =>
  identity.factors ? availableAalOf(identity.factors) : (identity.availableAal ?? 'aal1');

/**
 * What a credential claim names: a linked provider account, a claimed factor's identifier, the identity's external id,
 * the user handle of its security keys (what a passkey login finds a key made by the webauthn method by, as Kratos's
 * FindIdentityByWebauthnUserHandle does: Kratos's `config.user_handle`, standard base64).
 */
export type ClaimType = 'oidc' | FactorType | 'external_id' | 'webauthn_user_handle';

/** The user handle (standard base64) of an identity's security keys, when it has any. */
const webauthnUserHandleOf = (identity: Pick<Identity, 'factors'>): string | undefined => {
  const handle = (identity.factors?.webauthn?.config as { user_handle?: unknown } | undefined)?.user_handle;
  return typeof handle === 'string' && handle !== '' ? handle : undefined;
};

/**
 * Every claim an identity holds besides its password identifiers and addresses, as `[type, identifier]`: its provider
 * accounts, its passkeys' user handles and code addresses, its `external_id`, its security keys' user handle (each
 * unique across identities).
 */
export const credentialClaimsOf = (identity: Pick<Identity, 'oidc' | 'factors' | 'externalId'>): [ClaimType, string][] => [
  ...oidcIdentifiersOf(identity).map((id): [ClaimType, string] => ['oidc', id]),
  ...claimedFactorsOf(identity),
  ...(identity.externalId ? [['external_id', identity.externalId] as [ClaimType, string]] : []),
  ...(webauthnUserHandleOf(identity) ? [['webauthn_user_handle', webauthnUserHandleOf(identity)!] as [ClaimType, string]] : []),
];

/** The claimed factor identifiers of an identity, as `[type, identifier]`. */
export const claimedFactorsOf = (identity: Pick<Identity, 'factors'>): [FactorType, string][] =>
  CLAIMED_FACTORS.flatMap((type) => (identity.factors?.[type]?.identifiers ?? []).map((identifier): [FactorType, string] => [type, identifier]));

/** The identity with `type`'s credential set to `credential` (undefined: removed). */
export function withFactor(identity: Identity, type: FactorType, credential: FactorCredential | undefined): Identity {
  const factors: Factors = { ...identity.factors };
  if (credential) factors[type] = credential;
  else delete factors[type];
  return { ...identity, factors, availableAal: availableAalOf(factors) };
}

/** Kratos's verifiable address: one per trait marked `verification.via: email`. */
export interface VerifiableAddress {
  id: string;
  value: string;
  via: 'email';
  verified: boolean;
  /** Kratos's statuses: `pending` (nothing sent yet), `sent` (a code went out), `completed` (verified). */
  status: 'pending' | 'sent' | 'completed';
  verifiedAt?: Date;
  createdAt: Date;
  updatedAt: Date;
}

/** Kratos's recovery address: one per trait marked `recovery.via: email`. */
export interface RecoveryAddress {
  id: string;
  value: string;
  via: 'email';
  createdAt: Date;
  updatedAt: Date;
}

export interface Identity {
  id: string;
  /** Kratos's `external_id`: another system's id for this identity, unique (claimed like an identifier). */
  externalId?: string;
  schemaId: string;
  state: IdentityState;
  traits: Record<string, unknown>;
  metadataPublic: unknown;
  metadataAdmin: unknown;
  createdAt: Date;
  updatedAt: Date;
  stateChangedAt?: Date;
  /** Normalised password identifiers from the traits; each is claimed uniquely in storage. */
  identifiers?: string[];
  /**
   * Present on every identity with a password; `hashedPassword` only on privileged reads. An identity imported with
   * Kratos's `use_password_migration_hook` and no hash holds PASSWORD_MIGRATION_MARKER there until its first login.
   */
  password?: PasswordCredential;
  /** The provider accounts linked to it (social sign-in); their tokens only on privileged reads. */
  oidc?: OidcCredential;
  /** Second factors and passkeys (TOTP, lookup codes, WebAuthn keys, passkeys): only on privileged reads. */
  factors?: Factors;
  /**
   * What its credentials can reach (`availableAalOf(factors)`), kept on every read and on its sessions' copy, so that
   * whoami decides `highest_available` from the session alone. Unset: aal1.
   */
  availableAal?: 'aal1' | 'aal2';
  /** It has code addresses (`hasCodeAddresses`), kept on every read and on its sessions' copy as `availableAal` is. */
  codeAddresses?: boolean;
  verifiableAddresses?: VerifiableAddress[];
  recoveryAddresses?: RecoveryAddress[];
  /** Storage revision, bumped on every change; guards against lost updates. */
  revision?: number;
}

/**
 * The identity to store in place of `previous`: its identifiers without repeats, the next revision. A change with a
 * password must carry the hash it keeps (a privileged read's), or the stored hash would be lost.
 */
export function revised(next: Identity, previous: Pick<Identity, 'revision'>): Identity {
  if (next.password && !next.password.hashedPassword) throw new Error('an identity change must carry the password hash it keeps (read it with getWithCredentials)');
  if (next.availableAal === 'aal2' && !next.factors) throw new Error('an identity change must carry the factors it keeps (read it with getWithCredentials)');
  return { ...next, identifiers: [...new Set(identifiersOf(next))], revision: (previous.revision ?? 1) + 1 };
}

/** Its normalised password identifiers (the claims it holds). */
export const identifiersOf = (identity: Pick<Identity, 'identifiers' | 'password'>): string[] => identity.identifiers ?? identity.password?.identifiers ?? [];

/**
 * The copy of an identity that its sessions and its identifier claims carry (whoami and a password login answer from
 * it): never its password, nor its admin metadata; optional fields settled as a stored copy reads back.
 */
export function sessionCopyOf(identity: Identity): Identity {
  return {
    id: identity.id,
    ...(identity.externalId ? { externalId: identity.externalId } : {}),
    schemaId: identity.schemaId,
    state: identity.state,
    traits: identity.traits,
    metadataPublic: identity.metadataPublic ?? null,
    metadataAdmin: null,
    createdAt: identity.createdAt,
    updatedAt: identity.updatedAt,
    stateChangedAt: identity.stateChangedAt ?? identity.createdAt,
    identifiers: identifiersOf(identity),
    ...(reachableAalOf(identity) === 'aal2' ? { availableAal: 'aal2' as const } : {}),
    ...(hasCodeAddresses(identity) ? { codeAddresses: true } : {}),
    ...(identity.verifiableAddresses || identity.recoveryAddresses
      ? { verifiableAddresses: identity.verifiableAddresses ?? [], recoveryAddresses: identity.recoveryAddresses ?? [] }
      : {}),
  };
}

/** The identity as the public API shows it (no credentials, no admin metadata). */
export function publicIdentity(identity: Identity, publicBaseUrl: string): Record<string, unknown> {
  return {
    id: identity.id,
    ...(identity.externalId ? { external_id: identity.externalId } : {}),
    schema_id: identity.schemaId,
    schema_url: `${publicBaseUrl}/schemas/${Buffer.from(identity.schemaId).toString('base64url')}`,
    state: identity.state,
    state_changed_at: (identity.stateChangedAt ?? identity.createdAt).toISOString(),
    traits: identity.traits,
    ...(identity.verifiableAddresses ? { verifiable_addresses: identity.verifiableAddresses.map(verifiableAddressView) } : {}),
    ...(identity.recoveryAddresses ? { recovery_addresses: identity.recoveryAddresses.map(recoveryAddressView) } : {}),
    metadata_public: identity.metadataPublic ?? null,
    created_at: identity.createdAt.toISOString(),
    updated_at: identity.updatedAt.toISOString(),
    organization_id: null,
  };
}

/**
 * The admin form: adds `metadata_admin` and the password credential (its hash only when asked for with
 * `include_credential=password`).
 */
export function adminIdentity(
  identity: Identity,
  publicBaseUrl: string,
  includePasswordHash = false,
  includeOidc = false,
  /** Opens the provider tokens kept encrypted (SECRETS_CIPHER); without it none are shown. */
  decrypt?: (sealed: string) => string | undefined,
  /** The factor types whose `config` to show (`include_credential=totp,lookup_secret,webauthn,passkey`). */
  includeFactors: readonly string[] = [],
): Record<string, unknown> {
  const view = publicIdentity(identity, publicBaseUrl);
  const out: Record<string, unknown> = { ...view, metadata_admin: identity.metadataAdmin ?? null };
  if (identity.password) {
    const credential: Record<string, unknown> = {
      type: 'password',
      identifiers: identity.password.identifiers,
      version: 0,
      created_at: identity.password.createdAt.toISOString(),
      updated_at: identity.password.updatedAt.toISOString(),
    };
    if (identity.password.hashedPassword === PASSWORD_MIGRATION_MARKER) {
      credential.config = { use_password_migration_hook: true };
    } else if (includePasswordHash && identity.password.hashedPassword) {
      credential.config = { hashed_password: identity.password.hashedPassword };
    }
    out.credentials = { password: credential };
  }
  // Kratos's oidc credential: its identifiers always, its providers (`config`) with `include_credential=oidc`, with the
  // tokens kept for them (encrypted with SECRETS_CIPHER; none are kept without it) opened.
  if (identity.oidc?.providers.length) {
    const credential: Record<string, unknown> = {
      type: 'oidc',
      identifiers: oidcIdentifiersOf(identity),
      version: 0,
      created_at: identity.oidc.createdAt.toISOString(),
      updated_at: identity.oidc.updatedAt.toISOString(),
    };
    if (includeOidc) {
      const opened = (sealed: string | undefined) => (sealed && decrypt ? (decrypt(sealed) ?? '') : '');
      credential.config = {
        providers: identity.oidc.providers.map((link) => ({
          provider: link.provider,
          subject: link.subject,
          ...(link.tokens
            ? { initial_id_token: opened(link.tokens.idToken), initial_access_token: opened(link.tokens.accessToken), initial_refresh_token: opened(link.tokens.refreshToken) }
            : {}),
        })),
      };
    }
    out.credentials = { ...(out.credentials as Record<string, unknown> | undefined), oidc: credential };
  }
  // Second factors, passkeys and the code addresses (a privileged read's): type, identifiers and dates; their `config`
  // when asked for by name (`include_credential=totp`: the TOTP URL with its secret).
  for (const type of [...FACTOR_TYPES, 'code' as const]) {
    const factor = identity.factors?.[type];
    if (!factor) continue;
    const credential: Record<string, unknown> = {
      type,
      identifiers: factor.identifiers,
      version: factor.version,
      created_at: factor.createdAt.toISOString(),
      updated_at: factor.updatedAt.toISOString(),
      ...(includeFactors.includes(type) ? { config: factor.config } : {}),
    };
    out.credentials = { ...(out.credentials as Record<string, unknown> | undefined), [type]: credential };
  }
  return out;
}

export function verifiableAddressView(address: VerifiableAddress): Record<string, unknown> {
  return {
    id: address.id,
    value: address.value,
    verified: address.verified,
    via: address.via,
    status: address.status,
    ...(address.verifiedAt ? { verified_at: address.verifiedAt.toISOString() } : {}),
    created_at: address.createdAt.toISOString(),
    updated_at: address.updatedAt.toISOString(),
  };
}

export function recoveryAddressView(address: RecoveryAddress): Record<string, unknown> {
  return { id: address.id, value: address.value, via: address.via, created_at: address.createdAt.toISOString(), updated_at: address.updatedAt.toISOString() };
}

/** Addresses as stored (JSON): dates as ISO strings. */
export function addressesFromJson(raw: unknown): { verifiable?: VerifiableAddress[]; recovery?: RecoveryAddress[] } {
  const value = (raw ?? {}) as { verifiable?: Record<string, unknown>[]; recovery?: Record<string, unknown>[] };
  const dates = (a: Record<string, unknown>) => ({ createdAt: new Date(a.createdAt as string), updatedAt: new Date(a.updatedAt as string) });
  return {
    verifiable: value.verifiable?.map((a) => ({ ...(a as unknown as VerifiableAddress), ...dates(a), ...(a.verifiedAt ? { verifiedAt: new Date(a.verifiedAt as string) } : {}) })),
    recovery: value.recovery?.map((a) => ({ ...(a as unknown as RecoveryAddress), ...dates(a) })),
  };
}

/**
 * Stands in for the hash of a password imported with Kratos's `use_password_migration_hook` (the legacy system knows
 * the password; the migration hook asks it at the first login, then the password's bcrypt hash replaces this). No
 * password ever matches it, and an import of it as a hash is refused (it is no hash format).
 */
export const PASSWORD_MIGRATION_MARKER = '$use_password_migration_hook$';
