import type { Session } from '../session/model.js';
import type { Identity } from './model.js';

export interface IdentityRepository {
  /** The identity without its password hash, or undefined. */
  get(id: string): Promise<Identity | undefined>;
  /** Privileged read: the identity with its password hash. Only credential checks use it. */
  getWithCredentials(id: string): Promise<Identity | undefined>;
  /**
   * Writes the identity, a uniqueness claim per password identifier, its first session, and marks the
   * registration flow used, all or nothing. Throws DuplicateIdentifierError when an identifier is taken and
   * FlowAlreadyUsedError when the flow was used or expired meanwhile.
   */
  createWithSession(
    identity: Identity,
    session: { session: Session; tokenHash: string },
    flow: { id: string; now: Date },
  ): Promise<void>;
}
