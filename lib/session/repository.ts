import type { Identity } from '../identity/model.js';
import type { Page, PageRequest } from '../identity/repository.js';
import type { Session } from './model.js';

export interface SessionListRequest extends PageRequest {
  /** Only sessions whose Kratos `active` is this. */
  active?: boolean;
  now: Date;
}

export interface SessionRepository {
  /** Sessions are addressed by a hash of their token; the token itself is never stored. */
  getByTokenHash(tokenHash: string): Promise<Session | undefined>;
  getById(id: string): Promise<Session | undefined>;
  /** Marks the session inactive; false when no session has this token hash. */
  revokeByTokenHash(tokenHash: string): Promise<boolean>;
  /**
   * Writes a login session and marks the login flow used, all or nothing (FlowAlreadyUsedError); refused
   * (ConcurrentUpdateError) if the identity changed since it was read, so no session carries a stale identity.
   */
  createForFlow(session: Session, tokenHash: string, flow: { id: string; now: Date }): Promise<void>;
  list(request: SessionListRequest): Promise<Page<Session>>;
  listByIdentity(identityId: string, request: SessionListRequest): Promise<Page<Session>>;
  /** Revokes every session of the identity; returns how many were active. */
  revokeAllOfIdentity(identityId: string): Promise<number>;
  deleteAllOfIdentity(identityId: string): Promise<void>;
  /** Sets a new expiry; false when the session is gone. */
  extend(tokenHash: string, expiresAt: Date): Promise<boolean>;
  /** Copies the identity into every one of its sessions (whoami answers from that copy). */
  refreshIdentity(identity: Identity): Promise<void>;
}
