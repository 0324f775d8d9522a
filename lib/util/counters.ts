/**
 * What every counter in the throttle table is keyed with: a digest that gives nothing away, and fixed windows.
 * (Here, not in the flows, so that what counts without a server secret, the admin API's guard, bundles no flow.)
 */
import { createHash, createHmac } from 'node:crypto';

/**
 * An HMAC of `value` keyed with a secret when there is one, so neither the table nor a log line gives it away, not
 * even to a dictionary; a plain SHA-256 without one.
 */
export const throttleDigest = (value: string, secret: string | undefined) => (secret ? createHmac('sha256', secret) : createHash('sha256')).update(value).digest('hex');

/** A fixed window: its number (part of a counter's key) and when it ends. */
export function fixedWindow(windowMs: number, now: Date): { id: number; endsAt: Date } {
  const id = Math.floor(now.getTime() / windowMs);
  return { id, endsAt: new Date((id + 1) * windowMs) };
}
