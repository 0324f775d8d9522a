/**
 * Storage as the services see it: one repository per use, and the commit that writes what several of them prepared
 * all or nothing (lib/util/writes.ts). Two implementations are held to one contract suite (test/contract/): DynamoDB
 * (`dynamodb/`, what the functions run on) and memory (`memory/`, for fast flow tests).
 */
import type { CourierRepository } from '../courier/repository.js';
import type { SelfServiceErrorRepository } from '../flows/errors.js';
import type { FlowRepository } from '../flows/repository.js';
import type { ThrottleRepository } from '../flows/throttle.js';
import type { IdentityRepository } from '../identity/repository.js';
import type { SessionRepository } from '../session/repository.js';
import type { CodeRepository } from '../strategies/code/repository.js';
import type { PasswordCredentials } from '../strategies/password/repository.js';
import type { Committer } from '../util/writes.js';

export interface Store extends Committer {
  flows: FlowRepository;
  identities: IdentityRepository;
  sessions: SessionRepository;
  errors: SelfServiceErrorRepository;
  /** The courier's message queue. */
  courier: CourierRepository;
  /** Failed-login counters. */
  throttle: ThrottleRepository;
  /** The code strategy's state on recovery and verification flows. */
  codes: CodeRepository;
  /** The password strategy's login read. */
  passwords: PasswordCredentials;
  /** Cheap reachability check for /health/ready. */
  ping(): Promise<void>;
}
