/** Cookie headers: reading a request's, writing Set-Cookie (RFC 6265), with the attributes the configuration sets. */
import { createHash } from 'node:crypto';
import type { BrowserConfig } from '../config/browser.js';

/**
 * The device cookie: the identities a browser signed in to, sealed; it lets that browser past the login throttle's
 * per-identifier ceiling (our own: Kratos has no throttle).
 */
export const DEVICE_COOKIE = 'kratos_device';

/** The request's cookies by name; the first of a repeated name wins (Go's Request.Cookie). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (name && !cookies.has(name)) cookies.set(name, value);
  }
  return cookies;
}

export interface CookieAttributes {
  /** Seconds; 0 expires the cookie; undefined = a browser-session cookie. */
  maxAge?: number;
  expires?: Date;
}

/** A Set-Cookie value with the configured Path, Domain, SameSite and Secure, always HttpOnly. */
export function setCookie(config: BrowserConfig, name: string, value: string, attributes: CookieAttributes = {}): string {
  const parts = [`${name}=${value}`, `Path=${config.cookiePath}`];
  if (config.cookieDomain) parts.push(`Domain=${config.cookieDomain}`);
  if (attributes.maxAge !== undefined) parts.push(`Max-Age=${Math.max(0, Math.floor(attributes.maxAge))}`);
  if (attributes.expires) parts.push(`Expires=${attributes.expires.toUTCString()}`);
  parts.push('HttpOnly');
  if (config.secureCookies) parts.push('Secure');
  parts.push(`SameSite=${config.cookieSameSite}`);
  return parts.join('; ');
}

/** Kratos's anti-CSRF cookie name: `csrf_token_` + hex SHA-256 of the public base URL (as Kratos writes it, with `/`). */
export function csrfCookieName(publicBaseUrl: string): string {
  return `csrf_token_${createHash('sha256').update(`${publicBaseUrl}/`).digest('hex')}`;
}

/** nosurf's cookie lifetime: a year. */
export const CSRF_COOKIE_MAX_AGE = 31_536_000;
