import type { Page, PageRequest } from '../util/page.js';
import type { Writes } from '../util/writes.js';
import type { ClaimType, Identity } from './model.js';

/**
 * Identities and their claims: one per normalised identifier (which carries what a password login reads) and one
 * per recovery or verifiable address, each unique across identities and rewritten by every write of the identity.
 * Writes are prepared here and committed by whoever composes the change (lib/util/writes.ts).
 */
export interface IdentityRepository {
  /** The identity without its password hash (nor a linked account's tokens), or undefined. */
  get(id: string): Promise<Identity | undefined>;
  /** Privileged read: the identity with its password hash. Only credential checks and admin exports use it. */
  getWithCredentials(id: string): Promise<Identity | undefined>;
  /** The id of the identity claiming a normalised identifier. */
  findIdByIdentifier(identifier: string): Promise<string | undefined>;
  /** The id of the identity holding a credential identifier of another type (`oidc`: `<provider>:<subject>`). */
  findIdByCredential(type: ClaimType, identifier: string): Promise<string | undefined>;
  /** The id of the identity holding a (lower-cased) recovery or verifiable e-mail address. */
  findIdByAddress(kind: 'recovery' | 'verification', value: string): Promise<string | undefined>;
  /** Identities in id order (keyset pagination). */
  list(page: PageRequest, withCredentials: boolean): Promise<Page<Identity>>;
  /** A new identity and its claims; on commit DuplicateIdentifierError when an identifier or address is taken. */
  create(identity: Identity): Writes;
  /**
   * `next` (made with `revised(next, previous)`) in place of `previous` if nobody changed it meanwhile (on commit
   * ConcurrentUpdateError otherwise), claims moved with it (DuplicateIdentifierError). `next` carries the password
   * hash it keeps: read `previous` with getWithCredentials.
   */
  update(next: Identity, previous: Identity): Writes;
  /** Nothing but a check: the identity is still at `revision` (on commit ConcurrentUpdateError otherwise). */
  unchanged(identityId: string, revision: number | undefined): Writes;
  /** Deletes the identity and its claims; false when there was none. */
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
