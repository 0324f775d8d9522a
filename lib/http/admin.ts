/**
 * The admin API's guard and helpers. Kratos serves its admin API unauthenticated on a private port; here it
 * shares the public API, so every admin route needs `Authorization: Bearer <ADMIN_API_KEY>`, compared in
 * constant time, and refuses everything when no key is configured (fails closed).
 */
import type middy from '@middy/core';
import { createHash, timingSafeEqual } from 'node:crypto';
import { getAdminConfig } from '../config/admin.js';
import { adminKey } from '../config/admin-key.js';
import { AdminAuthError, BadRequestError, ServiceUnavailableError } from '../errors/index.js';
import type { HttpRequest } from './request.js';
import { httpFunction, type HttpHandler } from './stack.js';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Constant-time check of the presented bearer key against the configured one. */
export function adminKeyMatches(authorization: string | undefined, configured: string): boolean {
  const match = /^bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  // Comparing digests keeps the comparison constant-time whatever the lengths; it runs on every path.
  const equal = timingSafeEqual(digest(match ? match[1] : ''), digest(configured));
  return match !== null && equal;
}

export function requireAdminKey(): middy.MiddlewareObj {
  return {
    before: async function requireAdminKeyBefore(request: middy.Request) {
      let configured: string | undefined;
      try {
        configured = await adminKey();
      } catch {
        throw new ServiceUnavailableError('The admin API key could not be read from SSM Parameter Store.');
      }
      if (!configured) {
        throw new AdminAuthError(403, 'The admin API is disabled because no ADMIN_API_KEY is configured for this deployment.');
      }
      const http = request.event as HttpRequest;
      if (!adminKeyMatches(http.headers.authorization, configured)) {
        throw new AdminAuthError(401, 'The admin API requires the header "Authorization: Bearer <admin API key>" with the configured key.');
      }
    },
  };
}

/** An admin route: the one stack, plus the admin configuration read at cold start and the key checked first. */
export function adminFunction(route: string, handler: HttpHandler) {
  return httpFunction({ route, middlewares: [requireAdminKey()], coldStart: () => void getAdminConfig() }, handler);
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
