import type { FlowRecord } from '../../flows/model.js';
import type { ClientFailures } from '../../flows/throttle.js';
import type { Identity } from '../../identity/model.js';

/** What a password login reads for an identifier: the identity as its session will carry it, and its hash. */
export interface LoginCredential {
  /** The identity claim's copy, with the revision the session's write checks. */
  identity: Identity;
  /** Absent for an identity without a password. */
  hashedPassword?: string;
}

/** The password strategy's one read. */
export interface PasswordCredentials {
  /**
   * The flow, the identity claiming `identifier` (normalised) as a login needs it, and (with `failuresKey`) the
   * client's failures across identifiers, in one round trip: known and unknown identifiers cost the same.
   */
  flowWithCredential(flowId: string, identifier: string, failuresKey?: string): Promise<{ flow?: FlowRecord; credential?: LoginCredential; failures?: ClientFailures }>;
}
