/**
 * Kratos's session token exchange, for native apps that sign in through a browser (social sign-in): an API flow made
 * with `return_session_token_exchange_code=true` answers an init code; once the browser is done, it is sent to the
 * app's `return_to` with a second code; `GET /sessions/token-exchange` with both answers the session token.
 *
 * Codes are kept as hashes only. The init code names its flow (its id, then a random part), so the exchange reads one
 * item. Between the browser's sign-in and the exchange, the session token waits on the flow sealed (AES-256-GCM with a
 * key derived from the server secret), since sessions themselves keep only their token's hash.
 */
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

/** What the flow keeps of a finished sign-in until the app exchanges its codes. */
export interface PendingExchange {
  returnToCodeHash: string;
  sealedToken: string;
}

export const exchangeCodeHash = (code: string): string => createHash('sha256').update(code, 'utf8').digest('base64url');

/** The init code of a new flow `flowId`: its id (hex) and 32 random bytes. */
export const newInitCode = (flowId: string): string => `${flowId.replace(/-/g, '')}${randomBytes(32).toString('base64url')}`;

/** The flow an init code names; undefined for one that is not an init code. */
export function flowIdOfInitCode(code: string): string | undefined {
  const hex = /^([0-9a-f]{32})[\w-]{43}$/.exec(code)?.[1];
  return hex ? `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}` : undefined;
}

export const newReturnToCode = (): string => randomBytes(32).toString('base64url');

const keyOf = (secret: string) => Buffer.from(hkdfSync('sha256', secret, 'kratos-lambda', 'session-token-exchange', 32));

/** The session token sealed with the first server secret. */
export function sealSessionToken(secrets: readonly string[], token: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyOf(secrets[0]), iv);
  const body = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

/** The sealed token, opened with any of the secrets (rotation); undefined when none opens it. */
export function openSessionToken(secrets: readonly string[], sealed: string): string | undefined {
  const raw = Buffer.from(sealed, 'base64url');
  if (raw.length < 29) return undefined;
  for (const secret of secrets) {
    try {
      const decipher = createDecipheriv('aes-256-gcm', keyOf(secret), raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    } catch {
      // another secret, or not ours
    }
  }
  return undefined;
}
