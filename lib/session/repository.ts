import type { Session } from './model.js';

export interface SessionRepository {
  /** Sessions are addressed by a hash of their token; the token itself is never stored. */
  getByTokenHash(tokenHash: string): Promise<Session | undefined>;
  /** Marks the session inactive; false when no session has this token hash. */
  revokeByTokenHash(tokenHash: string): Promise<boolean>;
  /** Writes a login session and marks the login flow used, all or nothing (FlowAlreadyUsedError). */
  createForFlow(session: Session, tokenHash: string, flow: { id: string; now: Date }): Promise<void>;
}
