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
  /** How it was authenticated (Kratos's AMR method): a password login, or a recovery code. */
  method?: 'password' | 'code_recovery';
  /** Storage key (hash of the token), set on sessions read from storage. */
  tokenHash?: string;
}

/** Kratos's `active`: stored flag, not expired, and the identity itself active. */
export function isSessionActive(session: Session, now: Date): boolean {
  return session.active && session.expiresAt.getTime() > now.getTime() && session.identity.state === 'active';
}

export function sessionView(session: Session, now: Date, publicBaseUrl: string): Record<string, unknown> {
  return {
    id: session.id,
    active: isSessionActive(session, now),
    expires_at: session.expiresAt.toISOString(),
    authenticated_at: session.authenticatedAt.toISOString(),
    authenticator_assurance_level: 'aal1',
    authentication_methods: [
      { method: session.method ?? 'password', aal: 'aal1', completed_at: session.authenticatedAt.toISOString() },
    ],
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
