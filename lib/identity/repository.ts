import type { Page, PageRequest } from '../util/page.js';
import type { Identity } from './model.js';

export interface IdentityRepository {
  /** The identity without its password hash, or undefined. */
  get(id: string): Promise<Identity | undefined>;
  /** Privileged read: the identity with its password hash. Only credential checks and admin exports use it. */
  getWithCredentials(id: string): Promise<Identity | undefined>;
  /** The id of the identity claiming a normalised identifier. */
  findIdByIdentifier(identifier: string): Promise<string | undefined>;
  /** The id of the identity holding a (lower-cased) recovery or verifiable e-mail address. */
  findIdByAddress(kind: 'recovery' | 'verification', value: string): Promise<string | undefined>;
  /** Identities in id order (keyset pagination). */
  list(page: PageRequest, withCredentials: boolean): Promise<Page<Identity>>;
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

/**
 * What identity changes keep in step with them: the copies of the identity its sessions carry (whoami answers
 * from the session alone). The session repository provides it; identity code depends only on this.
 */
export interface IdentitySessionCopies {
  /** Copies the identity into every one of its sessions. */
  refreshIdentity(identity: Identity): Promise<void>;
  deleteAllOfIdentity(identityId: string): Promise<void>;
}
