/**
 * Kratos's anti-CSRF tokens (ory/nosurf): the cookie holds 32 random bytes (standard base64); a form carries the same
 * token masked with a fresh one-time pad on every render (base64 of pad ‖ token⊕pad, 88 characters), so the value in
 * a page never repeats; a submit is genuine when its token, unmasked, equals the cookie's.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

const TOKEN_BYTES = 32;

export function newCsrfToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64');
}

function decode(token: string | undefined): Buffer | undefined {
  if (!token || !/^[A-Za-z0-9+/]+={0,2}$/.test(token)) return undefined;
  const bytes = Buffer.from(token, 'base64');
  return bytes.length === TOKEN_BYTES || bytes.length === 2 * TOKEN_BYTES ? bytes : undefined;
}

/** The cookie's token as a form carries it: masked afresh. */
export function maskCsrfToken(token: string): string {
  const real = decode(token);
  if (!real || real.length !== TOKEN_BYTES) throw new Error('not a CSRF token');
  const pad = randomBytes(TOKEN_BYTES);
  const masked = Buffer.alloc(TOKEN_BYTES);
  for (let i = 0; i < TOKEN_BYTES; i++) masked[i] = real[i] ^ pad[i];
  return Buffer.concat([pad, masked]).toString('base64');
}

function unmask(bytes: Buffer): Buffer {
  if (bytes.length === TOKEN_BYTES) return bytes;
  const out = Buffer.alloc(TOKEN_BYTES);
  for (let i = 0; i < TOKEN_BYTES; i++) out[i] = bytes[TOKEN_BYTES + i] ^ bytes[i];
  return out;
}

/** Whether `sent` (masked or not) is the cookie's token `real` (nosurf's VerifyToken), in constant time. */
export function verifyCsrfToken(real: string | undefined, sent: string | undefined): boolean {
  const a = decode(real);
  const b = decode(sent);
  if (!a || a.length !== TOKEN_BYTES || !b) return false;
  return timingSafeEqual(a, unmask(b));
}

/** Whether a cookie value is a well-formed token (anything else is treated as no cookie). */
export function isCsrfToken(value: string | undefined): value is string {
  const bytes = decode(value);
  return bytes !== undefined && bytes.length === TOKEN_BYTES;
}
