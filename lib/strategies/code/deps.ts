/** What the code method needs, for every flow it serves (recovery, verification, login, registration). */
import type { RecoveryConfig } from '../../config/recovery.js';
import type { CourierRepository } from '../../courier/repository.js';
import type { LoginThrottle, ThrottleRepository } from '../../flows/throttle.js';
import type { IdentityRepository } from '../../identity/repository.js';
import type { Committer } from '../../util/writes.js';
import type { CodeRepository } from './repository.js';

export interface CodeStrategyDeps {
  config: RecoveryConfig;
  publicBaseUrl: string;
  codes: CodeRepository;
  /** Counts code mails per address and requests per client, in the send's own transaction. */
  throttle: Pick<ThrottleRepository, 'countWithin'>;
  /** Login codes are guesses as passwords are: counted against the same limits. None = throttling off. */
  loginThrottle?: LoginThrottle;
  courier: Pick<CourierRepository, 'queue' | 'placeholder'>;
  identities: Pick<IdentityRepository, 'findIdByAddress' | 'findIdByCredential' | 'findIdByIdentifier' | 'getWithCredentials'>;
  commit: Committer['commit'];
}
