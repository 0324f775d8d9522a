/**
 * Login throttling, under the keys ory/kratos#4539 proposes (`selfservice.flows.login.throttle.*`): failed
 * password logins per identifier within a window, then a lockout; optionally per client address too. Kratos OSS has
 * no such limiter; this one is shared by every function instance through DynamoDB.
 */
import { readDuration, readInteger, type Env } from './env.js';

export interface ThrottleConfig {
  /** Failed logins allowed per identifier per window; 0 = throttling off. */
  maxAttempts: number;
  windowMs: number;
  lockoutMs: number;
  /** Failed logins allowed per client address per window, across identifiers; 0 = off (the default). */
  perIpMaxAttempts: number;
}

export function loadThrottleConfig(env: Env): ThrottleConfig {
  return {
    maxAttempts: readInteger(env, 'SELFSERVICE_FLOWS_LOGIN_THROTTLE_MAX_ATTEMPTS', 10, 0, 1_000_000),
    windowMs: readDuration(env, 'SELFSERVICE_FLOWS_LOGIN_THROTTLE_WINDOW', '15m'),
    lockoutMs: readDuration(env, 'SELFSERVICE_FLOWS_LOGIN_THROTTLE_LOCKOUT_DURATION', '15m'),
    perIpMaxAttempts: readInteger(env, 'SELFSERVICE_FLOWS_LOGIN_THROTTLE_PER_IP_MAX_ATTEMPTS', 0, 0, 1_000_000),
  };
}
