export type IdentityState = 'active' | 'inactive';

export interface PasswordCredential {
  identifiers: string[];
  /** bcrypt hash. Only loaded through the privileged credential read. */
  hashedPassword?: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface Identity {
  id: string;
  schemaId: string;
  state: IdentityState;
  traits: Record<string, unknown>;
  metadataPublic: unknown;
  metadataAdmin: unknown;
  createdAt: Date;
  updatedAt: Date;
  /** Present on every identity with a password; `hashedPassword` only on privileged reads. */
  password?: PasswordCredential;
}

/** The identity as the public API shows it (no credentials, no admin metadata). */
export function publicIdentity(identity: Identity, publicBaseUrl: string): Record<string, unknown> {
  return {
    id: identity.id,
    schema_id: identity.schemaId,
    schema_url: `${publicBaseUrl}/schemas/${Buffer.from(identity.schemaId).toString('base64url')}`,
    state: identity.state,
    state_changed_at: identity.createdAt.toISOString(),
    traits: identity.traits,
    metadata_public: identity.metadataPublic ?? null,
    created_at: identity.createdAt.toISOString(),
    updated_at: identity.updatedAt.toISOString(),
    organization_id: null,
  };
}
