/**
 * Guessing limits (the limiter Kratos OSS lacks), shared by every function instance through storage, designed so that
 * no one can lock a user out by failing on purpose:
 * - per identifier and client: each attempt is reserved atomically before the secret is checked, so however many
 *   guesses arrive at once, a client gets at most `maxAttempts` checks per window; past it that client is refused
 *   (429) for that identifier for the lockout, the right password included, while other clients are not;
 * - per identifier across clients: a ceiling for guessing spread over many addresses (identifier-wide lockout), which a
 *   browser that signed in to that identity before passes (its device cookie);
 * - per client across identifiers: failures from one address (password spraying), read with the login's flow.
 * Known and unknown identifiers are counted, refused and stored alike. Counter keys are HMACs with a server secret:
 * neither the table nor a log line gives an identifier or an address away.
 * Also: fixed-window counters for other things a client may do only so often (code mails, admin authentications).
 */
import type { ThrottleConfig } from '../config/throttle.js';
import { LoginThrottledError } from '../errors/index.js';
import { log } from '../log/index.js';
import { throttleDigest } from '../util/counters.js';
import type { Writes } from '../util/writes.js';

export interface AttemptLimits {
  /** Attempts per client per window; a client past it is locked out of the identifier for `lockoutMs`. */
  perClient: number;
  /** Attempts per identifier per window across clients; undefined = not checked (a trusted device, or off). */
  perIdentifier?: number;
  windowMs: number;
  lockoutMs: number;
}

export type Reservation = { allowed: true } | { allowed: false; retryAfterMs: number; lockedNow: boolean; by: 'client' | 'identifier' };

/** A client's failures across identifiers in the current window. */
export interface ClientFailures {
  count: number;
  windowEndsAt: Date;
}

export interface ThrottleRepository {
  /** Reserves one attempt on an identifier's counter `key` for `client` within `limits`, or says how long it is refused. */
  reserve(key: string, client: string, limits: AttemptLimits, now: Date): Promise<Reservation>;
  /** A successful attempt: the client's attempts forgotten and this one given back to the identifier (the login's own write). */
  succeeded(key: string, client: string, ttlMs: number, now: Date): Writes;
  /** Forgets an identifier's counter altogether (an account recovered). */
  clear(key: string): Writes;
  /** The failures counted under `key` (a client across identifiers); undefined when none in an open window. */
  failures(key: string, now: Date): Promise<ClientFailures | undefined>;
  /** Counts one failure under `key` in a window of `windowMs`. */
  recordFailure(key: string, windowMs: number, now: Date): Promise<void>;
  /** One more under a fixed-window counter `key` (its window is in the key), below `max`, as part of a change; on commit `onFull()` otherwise. */
  countWithin(key: string, max: number, expiresAt: Date, onFull: () => Error): Writes;
  /** A fixed-window counter's value (0 when none). */
  count(key: string): Promise<number>;
  /** One more under a fixed-window counter, on its own. */
  increment(key: string, expiresAt: Date): Promise<void>;
}


/** The stored key of an identifier's counter. */
export const identifierThrottleKey = (normalizedIdentifier: string, secret?: string) => `login#${throttleDigest(normalizedIdentifier, secret)}`;

/** The stored key of a client address's failures across identifiers. */
export const addressThrottleKey = (ip: string, secret?: string) => `ip#${throttleDigest(ip, secret)}`;

/** A client's name inside an identifier's counter (an attribute name: short, never the address). */
export const clientThrottleName = (ip: string | undefined, secret?: string) => throttleDigest(`client\u0000${ip ?? 'unknown'}`, secret).slice(0, 32);


/** A guard against guessing, for the login methods that check a secret (the password, login codes; later TOTP and lookup). */
export interface LoginThrottle {
  /** The key of the client's failures across identifiers, for the login to read with its flow; none with that limit off. */
  clientKey(client: { ipAddress?: string }): string | undefined;
  /** Refuses (429) a client past its failures across identifiers, from what was read. */
  checkClient(failures: ClientFailures | undefined, now: Date): void;
  /** The same, reading the failures (for a method that did not read them with its flow: a login code). */
  checkClientNow(client: { ipAddress?: string }, now: Date): Promise<void>;
  /**
   * Reserves one attempt for the identifier and client before the secret is checked; refused (LoginThrottledError, 429)
   * past a limit. `trusted`: the browser signed in to this identity before, and passes the identifier's ceiling.
   * Undefined with throttling off; else what `succeeded` gives back.
   */
  reserve(identifier: string, client: { ipAddress?: string }, trusted: boolean, now: Date): Promise<ReservedAttempt | undefined>;
  /** A wrong secret: one more failure of the client across identifiers. */
  failed(client: { ipAddress?: string }, now: Date): Promise<void>;
  /** A success, written with the login: the client's attempts at the identifier forgotten. */
  succeeded(reserved: ReservedAttempt, now: Date): Writes;
  /** An account recovered: every counter of its identifiers forgotten. */
  clear(identifiers: readonly string[]): Writes[];
}

export interface ReservedAttempt {
  key: string;
  client: string;
}

export function createLoginThrottle(repository: ThrottleRepository, config: ThrottleConfig, keySecret: string | undefined): LoginThrottle {
  const ttlMs = config.windowMs + config.lockoutMs;
  const clientKey = (client: { ipAddress?: string }) => (config.perIpMaxAttempts > 0 && client.ipAddress ? addressThrottleKey(client.ipAddress, keySecret) : undefined);
  return {
    clientKey,

    checkClient(failures, now) {
      if (!failures || config.perIpMaxAttempts <= 0 || failures.windowEndsAt.getTime() <= now.getTime()) return;
      if (failures.count >= config.perIpMaxAttempts) throw new LoginThrottledError(Math.ceil((failures.windowEndsAt.getTime() - now.getTime()) / 1000));
    },

    async checkClientNow(client, now) {
      const key = clientKey(client);
      if (key) this.checkClient(await repository.failures(key, now), now);
    },

    async reserve(identifier, client, trusted, now) {
      if (config.maxAttempts <= 0) return undefined;
      const key = identifierThrottleKey(identifier, keySecret);
      const name = clientThrottleName(client.ipAddress, keySecret);
      const perIdentifier = !trusted && config.identifierMaxAttempts > 0 ? config.identifierMaxAttempts : undefined;
      const result = await repository.reserve(key, name, { perClient: config.maxAttempts, perIdentifier, windowMs: config.windowMs, lockoutMs: config.lockoutMs }, now);
      if (result.allowed) return { key, client: name };
      if (result.lockedNow) {
        // The key is a hash: the identifier itself never reaches the log.
        log('warn', 'login throttled: too many failed attempts, locked out', { throttled: result.by, key: key.slice(0, 24), locked_for_s: Math.ceil(result.retryAfterMs / 1000) });
      }
      throw new LoginThrottledError(Math.ceil(result.retryAfterMs / 1000));
    },

    async failed(client, now) {
      const key = clientKey(client);
      if (key) await repository.recordFailure(key, config.windowMs, now);
    },

    succeeded: (reserved, now) => repository.succeeded(reserved.key, reserved.client, ttlMs, now),

    clear: (identifiers) => (config.maxAttempts > 0 ? identifiers.map((identifier) => repository.clear(identifierThrottleKey(identifier, keySecret))) : []),
  };
}
