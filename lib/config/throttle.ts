/**
 * Login throttling, under the keys ory/kratos#4539 proposes (`selfservice.flows.login.throttle.*`), grown into three
 * limits so that no one can lock a user out by failing on purpose:
 * - per identifier and client address (`max_attempts`): a client failing too often is refused for that identifier,
 *   and another client with the right password still signs in;
 * - per client address across identifiers (`per_ip_max_attempts`, on by default): password spraying;
 * - per identifier across clients (`identifier_max_attempts`), a ceiling for guessing spread over many addresses,
 *   which a browser that signed in to that identity before (its device cookie) passes with the right password.
 * Kratos OSS has no such limiter; this one is shared by every function instance through DynamoDB.
 */
import { readDuration, readInteger, type Env } from './env.js';

export interface ThrottleConfig {
  /** Failed logins allowed per identifier and client address per window; 0 = throttling off. */
  maxAttempts: number;
  /** Logins allowed per identifier per window across clients, but for trusted devices; 0 = no ceiling. */
  identifierMaxAttempts: number;
  windowMs: number;
  lockoutMs: number;
  /** Failed logins allowed per client address per window, across identifiers; 0 = off. */
  perIpMaxAttempts: number;
  /** How long a browser's device cookie (issued when it signs in) vouches for it. */
  deviceCookieLifespanMs: number;
}

export function loadThrottleConfig(env: Env): ThrottleConfig {
  return {
    maxAttempts: readInteger(env, 'SELFSERVICE_FLOWS_LOGIN_THROTTLE_MAX_ATTEMPTS', 10, 0, 1_000_000),
    identifierMaxAttempts: readInteger(env, 'SELFSERVICE_FLOWS_LOGIN_THROTTLE_IDENTIFIER_MAX_ATTEMPTS', 100, 0, 1_000_000),
    windowMs: readDuration(env, 'SELFSERVICE_FLOWS_LOGIN_THROTTLE_WINDOW', '15m'),
    lockoutMs: readDuration(env, 'SELFSERVICE_FLOWS_LOGIN_THROTTLE_LOCKOUT_DURATION', '15m'),
    perIpMaxAttempts: readInteger(env, 'SELFSERVICE_FLOWS_LOGIN_THROTTLE_PER_IP_MAX_ATTEMPTS', 100, 0, 1_000_000),
    deviceCookieLifespanMs: readDuration(env, 'SELFSERVICE_FLOWS_LOGIN_THROTTLE_DEVICE_COOKIE_LIFESPAN', '2160h'),
  };
}
