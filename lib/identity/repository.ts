import type { Session } from '../session/model.js';
import type { Identity } from './model.js';

export interface Page<T> {
  items: T[];
  /** Keyset token of the next page; undefined on the last page. */
  next?: string;
}

export interface PageRequest {
  pageSize: number;
  /** The token of a previous page's `next`. */
  after?: string;
}

export interface IdentityRepository {
  /** The identity without its password hash, or undefined. */
  get(id: string): Promise<Identity | undefined>;
  /** Privileged read: the identity with its password hash. Only credential checks and admin exports use it. */
  getWithCredentials(id: string): Promise<Identity | undefined>;
  /** The id of the identity claiming a normalised identifier. */
  findIdByIdentifier(identifier: string): Promise<string | undefined>;
  /** Identities in id order (keyset pagination). */
  list(page: PageRequest, withCredentials: boolean): Promise<Page<Identity>>;
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
  /** Writes a new identity and its identifier claims (DuplicateIdentifierError). */
  create(identity: Identity): Promise<void>;
  /**
   * Replaces `previous` with `next` if nobody changed it meanwhile (ConcurrentUpdateError otherwise), moving
   * identifier claims atomically (DuplicateIdentifierError). Returns the stored identity.
   */
  update(next: Identity, previous: Identity): Promise<Identity>;
  /** Deletes the identity and its identifier claims; false when there was none. */
  delete(id: string): Promise<boolean>;
}
