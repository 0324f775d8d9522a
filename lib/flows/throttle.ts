/**
 * Failed-login throttling (the limiter Kratos OSS lacks), shared by every function instance through storage: each
 * password attempt for an identifier is reserved atomically before bcrypt runs, so however many guesses arrive at
 * once, at most `maxAttempts` compares happen per window; past it the identifier is locked out (429) for the lockout
 * duration, the right password included. Known and unknown identifiers are counted alike.
 */
import { createHash, createHmac } from 'node:crypto';
import type { ThrottleConfig } from '../config/throttle.js';
import { LoginThrottledError } from '../errors/index.js';
import { log } from '../log/index.js';
import type { Writes } from '../util/writes.js';

export interface ThrottleLimit {
  max: number;
  windowMs: number;
  lockoutMs: number;
}

export type Reservation = { allowed: true } | { allowed: false; retryAfterMs: number; lockedNow: boolean };

export interface ThrottleRepository {
  /** Reserves one attempt under `key` within `limit`, or says how long the key stays locked. */
  reserve(key: string, limit: ThrottleLimit, now: Date): Promise<Reservation>;
  /** Forgets the key's attempts (a successful login, written with its session). */
  clear(key: string): Writes;
}

/**
 * A counter's stored key: an HMAC of the identifier (or address) keyed with a server secret when one is configured,
 * so neither the table nor a log line gives it away, not even to a dictionary; a plain SHA-256 without one.
 */
const digest = (value: string, secret: string | undefined) =>
  (secret ? createHmac('sha256', secret) : createHash('sha256')).update(value).digest('hex');

/** The stored key of an identifier's counter. */
export const identifierThrottleKey = (normalizedIdentifier: string, secret?: string) => `login#${digest(normalizedIdentifier, secret)}`;

/** The stored key of a client address's counter. */
export const addressThrottleKey = (ip: string, secret?: string) => `ip#${digest(ip, secret)}`;

/** A guard against guessing, for the login methods that check a secret (the password; later TOTP, lookup and login codes). */
export interface LoginThrottle {
  /**
   * Reserves one attempt for the identifier (and, when configured, the client address), before the secret is checked;
   * a locked one is refused with LoginThrottledError (429). Returns the identifier's counter key, which a successful
   * login clears (`clear`), or undefined with throttling off.
   */
  reserve(identifier: string, client: { ipAddress?: string }, now: Date): Promise<string | undefined>;
  /** Forgets an identifier's failed attempts, in the successful login's own transaction. */
  clear(key: string): Writes;
}

export function createLoginThrottle(repository: ThrottleRepository, config: ThrottleConfig, keySecret: string | undefined): LoginThrottle {
  return {
    async reserve(identifier, client, now) {
      const limits: { key: string; max: number; what: string }[] = [];
      if (config.maxAttempts > 0) limits.push({ key: identifierThrottleKey(identifier, keySecret), max: config.maxAttempts, what: 'identifier' });
      if (config.perIpMaxAttempts > 0 && client.ipAddress) {
        limits.push({ key: addressThrottleKey(client.ipAddress, keySecret), max: config.perIpMaxAttempts, what: 'client address' });
      }
      const results = await Promise.all(limits.map((l) => repository.reserve(l.key, { max: l.max, windowMs: config.windowMs, lockoutMs: config.lockoutMs }, now)));
      let retryAfterMs = 0;
      results.forEach((result, i) => {
        if (result.allowed) return;
        retryAfterMs = Math.max(retryAfterMs, result.retryAfterMs);
        if (result.lockedNow) {
          // The key is a hash: the identifier (or address) itself never reaches the log.
          log('warn', 'login throttled: too many failed attempts, locked out', { throttled: limits[i].what, key: limits[i].key.slice(0, 24), locked_for_s: Math.ceil(result.retryAfterMs / 1000) });
        }
      });
      if (retryAfterMs > 0) throw new LoginThrottledError(Math.ceil(retryAfterMs / 1000));
      return config.maxAttempts > 0 ? limits[0].key : undefined;
    },
    clear: (key) => repository.clear(key),
  };
}
