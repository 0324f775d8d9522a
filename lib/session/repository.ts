import type { IdentitySessionCopies } from '../identity/repository.js';
import type { Page, PageRequest } from '../util/page.js';
import type { Writes } from '../util/writes.js';
import type { Session } from './model.js';

export interface SessionListRequest extends PageRequest {
  /** Only sessions whose Kratos `active` is this. */
  active?: boolean;
  now: Date;
}

export interface SessionRepository extends IdentitySessionCopies {
  /** A new session, stored under the hash of its token (the token itself is never stored). */
  add(session: Session, tokenHash: string): Writes;
  /** Sessions are addressed by a hash of their token; the token itself is never stored. */
  getByTokenHash(tokenHash: string): Promise<Session | undefined>;
  getById(id: string): Promise<Session | undefined>;
  /** Marks the session inactive and says whose it was; undefined when no session has this token hash. */
  revokeByTokenHash(tokenHash: string): Promise<{ sessionId: string; identityId: string } | undefined>;
  list(request: SessionListRequest): Promise<Page<Session>>;
  listByIdentity(identityId: string, request: SessionListRequest): Promise<Page<Session>>;
  /** Revokes every session of the identity (but `except`, a session id); returns how many were active. */
  revokeAllOfIdentity(identityId: string, except?: string): Promise<number>;
  /**
   * A factor proven on an active session (a second factor, a settings change that adds one): its AMR, when it was last
   * authenticated and its identity copy replaced, the session id and token kept (Kratos's step-up). Fails with
   * NoActiveSessionError when the session was revoked meanwhile.
   */
  stepUp(tokenHash: string, change: Pick<Session, 'amr' | 'authenticatedAt' | 'identity'>): Writes;
  /** Sets a new expiry; false when the session is gone. */
  extend(tokenHash: string, expiresAt: Date): Promise<boolean>;
}
