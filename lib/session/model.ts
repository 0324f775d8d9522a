import type { Identity } from '../identity/model.js';
import { publicIdentity } from '../identity/model.js';

/** What a session records of the client that asked for it. */
export interface ClientInfo {
  userAgent?: string;
  ipAddress?: string;
}

export interface SessionDevice {
  id: string;
  ipAddress?: string;
  userAgent?: string;
}

/** Kratos's authenticator assurance levels: aal1 one factor, aal2 a second one too (aal0: none recorded). */
export type AssuranceLevel = 'aal0' | 'aal1' | 'aal2';

/** One entry of a session's AMR (Kratos's `authentication_methods`): how, at what level, and when it was proven. */
export interface AuthenticationMethod {
  /** Kratos's method name: `password`, `code_recovery`, and (with their strategies) `totp`, `webauthn`, ... */
  method: string;
  aal: 'aal1' | 'aal2';
  completedAt: Date;
  /** Social sign-in: the provider's id (Kratos shows it on the session). */
  provider?: string;
}

export interface Session {
  id: string;
  /** Stored `active` flag: false once revoked (logout or admin). */
  active: boolean;
  identityId: string;
  authenticatedAt: Date;
  issuedAt: Date;
  expiresAt: Date;
  devices: SessionDevice[];
  /** The identity as it was when the session was written or last refreshed; whoami answers from it. */
  identity: Identity;
  /** How it was authenticated, factor by factor (Kratos's AMR); its assurance level follows from it. */
  amr: AuthenticationMethod[];
  /** Storage key (hash of the token), set on sessions read from storage. */
  tokenHash?: string;
}

/** Kratos's `active`: stored flag, not expired, and the identity itself active. */
export function isSessionActive(session: Session, now: Date): boolean {
  return session.active && session.expiresAt.getTime() > now.getTime() && session.identity.state === 'active';
}

/** Kratos's rule (session.SetAuthenticatorAssuranceLevel): aal2 once the AMR holds an aal1 and an aal2 factor. */
export function assuranceLevelOf(amr: AuthenticationMethod[]): AssuranceLevel {
  if (amr.length === 0) return 'aal0';
  return amr.some((m) => m.aal === 'aal1') && amr.some((m) => m.aal === 'aal2') ? 'aal2' : 'aal1';
}

export function sessionView(session: Session, now: Date, publicBaseUrl: string): Record<string, unknown> {
  return {
    id: session.id,
    active: isSessionActive(session, now),
    expires_at: session.expiresAt.toISOString(),
    authenticated_at: session.authenticatedAt.toISOString(),
    authenticator_assurance_level: assuranceLevelOf(session.amr),
    authentication_methods: session.amr.map((m) => ({ method: m.method, aal: m.aal, completed_at: m.completedAt.toISOString(), ...(m.provider ? { provider: m.provider } : {}) })),
    issued_at: session.issuedAt.toISOString(),
    identity: publicIdentity(session.identity, publicBaseUrl),
    devices: session.devices.map((d) => ({
      id: d.id,
      ...(d.ipAddress ? { ip_address: d.ipAddress } : {}),
      ...(d.userAgent ? { user_agent: d.userAgent } : {}),
      location: '',
    })),
  };
}
