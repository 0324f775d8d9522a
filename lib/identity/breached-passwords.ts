/**
 * Kratos's breached-password check: a new password is looked up in Have I Been Pwned's range API with k-anonymity
 * (only the first 5 hex digits of its SHA-1 leave the function; the answer lists every suffix under that prefix with
 * its count) and refused when it appears more than `maxBreaches` times.
 *
 * As Kratos: a network failure or an unexpected status lets the password through when `ignoreNetworkErrors` is on
 * (the default), else refuses it; counts are cached for an hour. Beyond Kratos: the failure is logged once per cold
 * start, never per request, and after one the lookups pause for `pauseAfterFailureMs`, so a function without a route
 * to the internet (`npm start` offline) does not pay a timeout on every registration; responses are asked to be
 * padded (`Add-Padding`), so their size does not hint at the prefix either.
 */
import { createHash } from 'node:crypto';
import { log } from '../log/index.js';
import { SpanKind, withSpan } from '../tracing/span.js';
import { messages } from '../text/messages.js';
import type { PasswordCheck } from './password-policy.js';

export interface BreachCheckOptions {
  /** `https://api.pwnedpasswords.com` or another base; requests go to `<base>/range/<prefix>`. */
  baseUrl: string;
  maxBreaches: number;
  ignoreNetworkErrors: boolean;
  /** A whole lookup's budget (Kratos: a 1 s connection timeout with retries). */
  timeoutMs?: number;
  /** How long lookups pause after a failed one when failures are ignored. */
  pauseAfterFailureMs?: number;
  now?: () => number;
}

const CACHE_TTL_MS = 3_600_000;
const CACHE_MAX_ENTRIES = 10_000;

class LookupFailed extends Error {
  override name = 'LookupFailed';
}

/** The counts in a range answer: `SUFFIX:COUNT` lines (a line without a count counts once, as Kratos reads it). */
export function parseRange(body: string): Map<string, number> | undefined {
  const counts = new Map<string, number>();
  for (const raw of body.split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const [suffix, count, extra] = line.split(':');
    if (extra !== undefined || !/^[0-9A-Fa-f]{35}$/.test(suffix)) return undefined;
    if (count === undefined) {
      counts.set(suffix.toUpperCase(), 1);
      continue;
    }
    const digits = count.replaceAll(',', '');
    if (!/^\d+$/.test(digits)) return undefined;
    counts.set(suffix.toUpperCase(), Number(digits));
  }
  return counts;
}

/** What failed, for the log: fetch's own error says only "fetch failed"; its cause names the network error. */
function reasonOf(error: unknown): string {
  // Duck-typed: fetch's errors come from Node's own realm.
  const { name, message, cause } = (error ?? {}) as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (cause?.message) return `${message}: ${cause.code ? `${cause.code} ` : ''}${cause.message}`;
  return message ? `${name ?? 'Error'}: ${message}` : String(error);
}

export function createBreachCheck(options: BreachCheckOptions): PasswordCheck {
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? 2000;
  const pauseMs = options.pauseAfterFailureMs ?? 60_000;
  const cache = new Map<string, { count: number; expires: number }>();
  let pausedUntil = 0;
  let failureLogged = false;

  const remember = (hash: string, count: number) => {
    if (cache.size >= CACHE_MAX_ENTRIES) cache.delete(cache.keys().next().value!);
    cache.set(hash, { count, expires: now() + CACHE_TTL_MS });
  };

  const lookUp = (prefix: string): Promise<Map<string, number>> =>
    withSpan(
      'GET /range/{prefix}',
      { 'http.request.method': 'GET', 'server.address': new URL(options.baseUrl).hostname, 'url.template': '/range/{prefix}' },
      async (span) => {
        let response: Response;
        let body: string;
        try {
          response = await fetch(`${options.baseUrl}/range/${prefix}`, {
            headers: { 'add-padding': 'true', 'user-agent': 'kratos-lambda' },
            signal: AbortSignal.timeout(timeoutMs),
          });
          span.setAttributes({ 'http.response.status_code': response.status });
          body = await response.text();
        } catch (error) {
          throw new LookupFailed(reasonOf(error));
        }
        if (response.status !== 200) throw new LookupFailed(`the range API answered HTTP ${response.status}`);
        const counts = parseRange(body);
        if (!counts) throw new LookupFailed('the range API answered something other than SUFFIX:COUNT lines');
        return counts;
      },
      SpanKind.CLIENT,
    );

  return async function breachCheck(password) {
    const hash = createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase();
    const cached = cache.get(hash);
    let count = cached && cached.expires > now() ? cached.count : undefined;
    if (count === undefined) {
      if (options.ignoreNetworkErrors && now() < pausedUntil) return undefined;
      try {
        count = (await lookUp(hash.slice(0, 5))).get(hash.slice(5)) ?? 0;
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        if (!options.ignoreNetworkErrors) {
          log('warn', 'The breached-password lookup failed; the password is refused', { reason });
          return messages.passwordPolicyViolation('the breached password check could not be completed');
        }
        pausedUntil = now() + pauseMs;
        if (!failureLogged) {
          failureLogged = true;
          log('warn', 'The breached-password lookup failed; passwords are accepted unchecked while it does (logged once per cold start)', {
            reason,
            range_api: options.baseUrl,
          });
        }
        return undefined;
      }
      remember(hash, count);
    }
    return count > options.maxBreaches ? messages.passwordBreached(count) : undefined;
  };
}
