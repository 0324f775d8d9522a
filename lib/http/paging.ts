/**
 * Kratos's paging of `GET /sessions`: `page_size` and `page_token` (here the token is the page's number), or the older
 * `page` (1-based, below 1 the first, as Kratos's pop reads it) and `per_page`; 250 a page by default.
 */
import { BadRequestError } from '../errors/index.js';
import type { HttpRequest } from './request.js';

export interface OffsetPaging {
  /** 0-based page index. */
  page: number;
  perPage: number;
}

function wholeNumber(request: HttpRequest, name: string, min: number, max: number): number | undefined {
  const raw = request.query[name];
  if (raw === undefined || raw === '') return undefined;
  if (!/^-?\d{1,9}$/.test(raw) || Number(raw) > max || Number(raw) < min) throw new BadRequestError(`${name} must be a whole number from ${min} to ${max}`);
  return Number(raw);
}

export function ownSessionsPaging(request: HttpRequest): OffsetPaging {
  const perPage = wholeNumber(request, 'page_size', 1, 500) ?? wholeNumber(request, 'per_page', 1, 1000) ?? 250;
  const token = request.query.page_token;
  if (token !== undefined && token !== '') {
    if (!/^\d{1,9}$/.test(token)) throw new BadRequestError('page_token is malformed');
    return { page: Number(token), perPage };
  }
  const page = wholeNumber(request, 'page', -1_000_000_000, 1_000_000_000) ?? 1;
  return { page: Math.max(page, 1) - 1, perPage };
}

/** `Link` with the first page and, when there is one, the next (by `page_token`). */
export function ownSessionsLinks(baseUrl: string, request: HttpRequest, paging: OffsetPaging, total: number): string {
  const link = (page: number) => {
    const query = new URLSearchParams({ page_size: String(paging.perPage) });
    if (page > 0) query.set('page_token', String(page));
    return `<${baseUrl}${request.path}?${query.toString()}>`;
  };
  const links = [`${link(0)}; rel="first"`];
  if ((paging.page + 1) * paging.perPage < total) links.push(`${link(paging.page + 1)}; rel="next"`);
  return links.join(',');
}
