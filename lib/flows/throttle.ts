/**
 * Failed-login throttling (the limiter Kratos OSS lacks), shared by every function instance through storage: each
 * password attempt for an identifier is reserved atomically before bcrypt runs, so however many guesses arrive at
 * once, at most `maxAttempts` compares happen per window; past it the identifier is locked out (429) for the lockout
 * duration, the right password included. Known and unknown identifiers are counted alike.
 */
import { createHash, createHmac } from 'node:crypto';

export interface ThrottleLimit {
  max: number;
  windowMs: number;
  lockoutMs: number;
}

export type Reservation = { allowed: true } | { allowed: false; retryAfterMs: number; lockedNow: boolean };

export interface ThrottleRepository {
  /** Reserves one attempt under `key` within `limit`, or says how long the key stays locked. */
  reserve(key: string, limit: ThrottleLimit, now: Date): Promise<Reservation>;
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
