/**
 * Failed-login throttling (the limiter Kratos OSS lacks), shared by every function instance through storage: each
 * password attempt for an identifier is reserved atomically before bcrypt runs, so however many guesses arrive at
 * once, at most `maxAttempts` compares happen per window; past it the identifier is locked out (429) for the lockout
 * duration, the right password included. Known and unknown identifiers are counted alike.
 */
import { createHash } from 'node:crypto';

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

/** The stored key of an identifier's counter: a hash, so no identifier is stored in clear. */
export const identifierThrottleKey = (normalizedIdentifier: string) => `login#${createHash('sha256').update(normalizedIdentifier).digest('hex')}`;

/** The stored key of a client address's counter. */
export const addressThrottleKey = (ip: string) => `ip#${createHash('sha256').update(ip).digest('hex')}`;
