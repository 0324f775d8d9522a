import type { Identity } from '../identity/model.js';
import type { Session } from '../session/model.js';
import type { CourierMessage } from '../courier/model.js';
import type { FlowRecord, SavedUi, SentCode } from './model.js';

/** A session about to be stored under the hash of its token. */
export interface StoredSession {
  session: Session;
  tokenHash: string;
}

/** What a password login reads for an identifier: the identity as its session will carry it, and its hash. */
export interface LoginCredential {
  /** With the revision the session write checks. */
  identity: Identity;
  /** Absent for an identity without a password. */
  hashedPassword?: string;
}

/** A flow completion: only an open, unexpired flow can be completed, and only once. */
export interface Completion {
  flowId: string;
  now: Date;
}

export interface FlowRepository {
  create(flow: FlowRecord): Promise<void>;
  get(id: string): Promise<FlowRecord | undefined>;
  /** Records a settings flow's success, and what its UI is to show of it (the success message). */
  markSucceeded(id: string, ui: SavedUi): Promise<void>;
  /** Keeps what a failed browser submit is to show (values, messages) on the flow, for its UI to read back. */
  saveUi(id: string, ui: SavedUi): Promise<void>;
  /**
   * Login's one read: the flow, and the identity claiming `identifier` (normalised) as login needs it: its
   * password hash, state and revision, and the copy of it a new session carries. Known and unknown
   * identifiers cost the same round trip.
   */
  getForPasswordLogin(id: string, identifier: string): Promise<{ flow?: FlowRecord; credential?: LoginCredential }>;
  /**
   * Registration's one write: the identity, a uniqueness claim per password identifier, its first session, and
   * the flow's completion, all or nothing. DuplicateIdentifierError when an identifier is taken,
   * FlowAlreadyUsedError when the flow was used or expired meanwhile.
   */
  completeRegistration(identity: Identity, session: StoredSession, completion: Completion, after?: { flows?: FlowRecord[]; messages?: CourierMessage[] }): Promise<void>;
  /**
   * Login's one write: the session and the flow's completion, all or nothing (FlowAlreadyUsedError); refused
   * (ConcurrentUpdateError) if the identity changed since login read it, so no session carries a stale copy.
   */
  completeLogin(session: StoredSession, completion: Completion, clearThrottleKey?: string): Promise<void>;

  /**
   * Recovery and verification: records the code sent (state `sent_email`, submissions reset) and queues its message,
   * all or nothing: the mail exists exactly when the flow says it was sent. FlowAlreadyUsedError when the flow was
   * completed or expired meanwhile.
   */
  sendCode(flowId: string, code: SentCode, message: CourierMessage | undefined, ui: SavedUi, now: Date): Promise<void>;
  /** A browser flow made without a browser (the admin's recovery link) takes the anti-CSRF token of the one that opens it. */
  setCsrfToken(flowId: string, maskedToken: string): Promise<void>;
  /** Counts one code submission; false once `max` were made (the flow takes no more codes, the right one included). */
  countSubmission(flowId: string, max: number): Promise<boolean>;
  /**
   * Recovery's success: the flow passes its challenge only if the code is still the one outstanding (single use:
   * of two submissions of one code, one wins), with the new session and the settings flow it leads to.
   * FlowAlreadyUsedError otherwise.
   */
  completeRecovery(flowId: string, codeHmac: string, session: StoredSession, settings: FlowRecord, now: Date, identityChange?: { next: Identity; previous: Identity }): Promise<void>;
  /**
   * An identity change with what it sets off, all or nothing: a settings change that adds a verifiable address, and
   * the verification flow and message for it. As IdentityRepository.update (ConcurrentUpdateError,
   * DuplicateIdentifierError); returns the stored identity.
   */
  updateIdentityWith(next: Identity, previous: Identity, after: { flows?: FlowRecord[]; messages?: CourierMessage[] }): Promise<Identity>;
  /** Verification's success: the flow passes its challenge (same single-use rule) and the identity's address is verified. */
  completeVerification(flowId: string, codeHmac: string, identity: Identity, previous: Identity, now: Date): Promise<void>;
}
