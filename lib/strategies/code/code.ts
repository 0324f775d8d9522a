/**
 * The one-time codes of recovery and verification (Kratos's code strategy): six random digits, kept only as an HMAC
 * keyed with the code secrets (the first signs, any verifies: rotation), bound to their flow, compared in constant time.
 */
import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';

export const CODE_LENGTH = 6;

export function newCode(): string {
  return String(randomInt(0, 10 ** CODE_LENGTH)).padStart(CODE_LENGTH, '0');
}

export function codeHmac(secret: string, flowId: string, code: string): string {
  return createHmac('sha256', secret).update(`${flowId}\n${code}`).digest('base64url');
}

/** The HMAC a submitted code matches among the secrets, or undefined. Malformed codes never match. */
export function matchingHmac(secrets: string[], flowId: string, code: string, stored: string): string | undefined {
  if (!/^[0-9]{6}$/.test(code)) return undefined;
  const expected = Buffer.from(stored);
  let found: string | undefined;
  for (const secret of secrets) {
    const candidate = codeHmac(secret, flowId, code);
    const given = Buffer.from(candidate);
    // Every secret is tried (no early exit), so the time taken does not say which one matched.
    if (given.length === expected.length && timingSafeEqual(given, expected)) found = candidate;
  }
  return found;
}
