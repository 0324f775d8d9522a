/**
 * The admin API's guard and helpers. Kratos serves its admin API unauthenticated on a private port; here it
 * shares the public API, so every admin route needs `Authorization: Bearer <ADMIN_API_KEY>`, compared in
 * constant time, and refuses everything when no key is configured (fails closed). A client address that failed
 * too often is refused (429) for a while, whatever key it sends next, so that failing costs guesses.
 */
import type middy from '@middy/core';
import { createHash, timingSafeEqual } from 'node:crypto';
import { getAdminConfig } from '../config/admin.js';
import { adminKey } from '../config/admin-key.js';
import { getConfig } from '../config/index.js';
import { AdminAuthError, AdminAuthThrottledError, BadRequestError, ServiceUnavailableError } from '../errors/index.js';
import type { ThrottleRepository } from '../flows/throttle.js';
import { log } from '../log/index.js';
import { fixedWindow, throttleDigest } from '../util/counters.js';
import { clientAddress } from './client-address.js';
import { trustedProxiesOf } from './browser.js';
import type { HttpRequest } from './request.js';
import { httpFunction, type HttpHandler } from './stack.js';

/** Failed admin authentications per client address, counted where every instance sees them. */
export interface AdminAttempts {
  /**
   * Seconds before `ip` may try again; undefined when it may now. `secret` keys the address's digest (the admin key
   * in use: what the admin functions hold; they need no other secret).
   */
  refusedFor(ip: string | undefined, now: Date, secret: string): Promise<number | undefined>;
  failed(ip: string | undefined, now: Date, secret: string): Promise<void>;
}

/**
 * Counted in fixed one-minute windows of the throttle table. A storage failure lets the request through to the key
 * check (logged): the key is the lock; the count only slows guessing.
 */
export function createAdminAttempts(
  counters: Pick<ThrottleRepository, 'count' | 'increment'>,
  /** Failures per client address per minute (ADMIN_API_AUTH_FAILURES_PER_MINUTE); 0 = no limit, nothing counted. */
  perMinute: number,
): AdminAttempts {
  const keyOf = (ip: string, now: Date, secret: string) => {
    const window = fixedWindow(60_000, now);
    return { key: `admin#ip#${throttleDigest(ip, secret)}#${window.id}`, endsAt: window.endsAt };
  };
  return {
    async refusedFor(ip, now, secret) {
      if (!ip || perMinute === 0) return undefined;
      const { key, endsAt } = keyOf(ip, now, secret);
      try {
        return (await counters.count(key)) >= perMinute ? Math.max(1, Math.ceil((endsAt.getTime() - now.getTime()) / 1000)) : undefined;
      } catch (error) {
        log('warn', 'admin API: the failed-authentication count could not be read', { error: error instanceof Error ? error.name : 'Error' });
        return undefined;
      }
    },
    async failed(ip, now, secret) {
      if (!ip || perMinute === 0) return;
      const { key, endsAt } = keyOf(ip, now, secret);
      await counters.increment(key, new Date(endsAt.getTime() + 60_000)).catch(() => undefined);
    },
  };
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Constant-time check of the presented bearer key against the configured one. */
export function adminKeyMatches(authorization: string | undefined, configured: string): boolean {
  const match = /^bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  // Comparing digests keeps the comparison constant-time whatever the lengths; it runs on every path.
  const equal = timingSafeEqual(digest(match ? match[1] : ''), digest(configured));
  return match !== null && equal;
}

export function requireAdminKey(attempts?: () => AdminAttempts): middy.MiddlewareObj {
  return {
    before: async function requireAdminKeyBefore(request: middy.Request) {
      const http = request.event as HttpRequest;
      const now = new Date();
      const ip = clientAddress(http.sourceIp, http.headers['x-forwarded-for'], trustedProxiesOf(getConfig()));
      let configured: string | undefined;
      try {
        configured = await adminKey();
      } catch {
        throw new ServiceUnavailableError('The admin API key could not be read from SSM Parameter Store.');
      }
      if (!configured) {
        throw new AdminAuthError(403, 'The admin API is disabled because no ADMIN_API_KEY is configured for this deployment.');
      }
      // Refused before the key is compared: a client past its failures learns nothing from its next guess.
      const wait = await attempts?.().refusedFor(ip, now, configured);
      if (wait !== undefined) throw new AdminAuthThrottledError(wait);
      if (!adminKeyMatches(http.headers.authorization, configured)) {
        await attempts?.().failed(ip, now, configured);
        throw new AdminAuthError(401, 'The admin API requires the header "Authorization: Bearer <admin API key>" with the configured key.');
      }
    },
  };
}

/**
 * An admin route: the one stack, plus the admin configuration read at cold start and the key checked first, with
 * failed authentications counted by `attempts` (the composition root's).
 */
export function adminFunction(options: { route: string; attempts?: () => AdminAttempts; maxBodyBytes?: number }, handler: HttpHandler) {
  return httpFunction(
    { route: options.route, middlewares: [requireAdminKey(options.attempts)], coldStart: () => void getAdminConfig(), maxBodyBytes: options.maxBodyBytes },
    handler,
  );
}

export const DEFAULT_PAGE_SIZE = 250;
export const MAX_PAGE_SIZE = 500;

export interface Paging {
  pageSize: number;
  pageToken?: string;
}

export function pagingOf(request: HttpRequest): Paging {
  const raw = request.query.page_size;
  let pageSize = DEFAULT_PAGE_SIZE;
  if (raw !== undefined && raw !== '') {
    if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_PAGE_SIZE) {
      throw new BadRequestError(`page_size must be a whole number from 1 to ${MAX_PAGE_SIZE}`);
    }
    pageSize = Number(raw);
  }
  const pageToken = request.query.page_token || undefined;
  if (pageToken !== undefined && !/^[A-Za-z0-9_-]{1,512}$/.test(pageToken)) throw new BadRequestError('page_token is malformed');
  return { pageSize, pageToken };
}

/**
 * Paging as Kratos's keyset paginator reads it (the courier's list): `page_size` below 1 is the default, above the
 * maximum is the maximum; anything but a whole number is 400.
 */
export function keysetPagingOf(request: HttpRequest, defaultSize: number, maxSize = MAX_PAGE_SIZE): Paging {
  const raw = request.query.page_size;
  let pageSize = defaultSize;
  if (raw !== undefined && raw !== '') {
    if (!/^-?\d{1,9}$/.test(raw)) throw new BadRequestError('page_size must be a whole number');
    pageSize = Number(raw) < 1 ? defaultSize : Math.min(Number(raw), maxSize);
  }
  const pageToken = request.query.page_token || undefined;
  if (pageToken !== undefined && !/^[A-Za-z0-9_-]{1,512}$/.test(pageToken)) throw new BadRequestError('page_token is malformed');
  return { pageSize, pageToken };
}

export function booleanQuery(request: HttpRequest, name: string): boolean | undefined {
  const raw = request.query[name];
  if (raw === undefined || raw === '') return undefined;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new BadRequestError(`${name} must be true or false`);
}

/**
 * Kratos's keyset pagination `Link` header: `rel="first"` always, `rel="next"` only when there is more.
 * Other query parameters (filters) are carried over.
 */
export function linkHeader(baseUrl: string, request: HttpRequest, pageSize: number, next: string | undefined): string {
  const link = (token?: string) => {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(request.query)) {
      if (name !== 'page_token' && name !== 'page_size' && name !== 'page' && name !== 'per_page') query.set(name, value);
    }
    query.set('page_size', String(pageSize));
    if (token) query.set('page_token', token);
    return `<${baseUrl}${request.path}?${query.toString()}>`;
  };
  const links = [`${link()}; rel="first"`];
  if (next) links.push(`${link(next)}; rel="next"`);
  return links.join(',');
}
