/**
 * The session cookie's value: the session token sealed with `secrets.cookie` (AES-256-GCM under a key derived from
 * the secret with HKDF), so the cookie is opaque to a UI and cannot be forged or altered. Kratos seals with gorilla
 * securecookie; what matters to a client is the same: an opaque value only this service can open. The first secret
 * seals; every secret opens, so secrets rotate without logging anyone out. Node's crypto does the work: AES-GCM and
 * HKDF need no library, only the framing below.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

const keys = new Map<string, Buffer>();
function keyOf(secret: string, purpose: string): Buffer {
  const id = `${purpose}\u0000${secret}`;
  let key = keys.get(id);
  if (!key) {
    key = Buffer.from(hkdfSync('sha256', secret, 'kratos-lambda', purpose, 32));
    keys.set(id, key);
  }
  return key;
}

/** Seals `payload` for `purpose` (bound into the ciphertext, so a value sealed for one use never opens as another). */
export function seal(payload: object, secret: string, purpose: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', keyOf(secret, purpose), iv);
  cipher.setAAD(Buffer.from(purpose));
  const body = Buffer.concat([cipher.update(JSON.stringify(payload), 'utf8'), cipher.final()]);
  return `${VERSION}.${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')}`;
}

/** The payload, when one of `secrets` sealed `value` for `purpose`; undefined for anything else. */
export function open(value: string | undefined, secrets: readonly string[], purpose: string): unknown {
  if (!value || !value.startsWith(`${VERSION}.`) || value.length > 4096) return undefined;
  const raw = Buffer.from(value.slice(VERSION.length + 1), 'base64url');
  if (raw.length < IV_BYTES + TAG_BYTES + 2) return undefined;
  const iv = raw.subarray(0, IV_BYTES);
  const tag = raw.subarray(raw.length - TAG_BYTES);
  const body = raw.subarray(IV_BYTES, raw.length - TAG_BYTES);
  for (const secret of secrets) {
    try {
      const decipher = createDecipheriv('aes-256-gcm', keyOf(secret, purpose), iv);
      decipher.setAAD(Buffer.from(purpose));
      decipher.setAuthTag(tag);
      return JSON.parse(Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8'));
    } catch {
      // not this secret
    }
  }
  return undefined;
}

const SEAL_PURPOSE_SESSION = 'session-cookie';

/** The cookie value for a session token that expires at `expiresAt`. */
export function sealSessionCookie(token: string, expiresAt: Date, secret: string): string {
  return seal({ t: token, e: Math.floor(expiresAt.getTime() / 1000) }, secret, SEAL_PURPOSE_SESSION);
}

/** The session token a cookie value holds, when it opens with one of `secrets` and has not expired. */
export function openSessionCookie(value: string | undefined, secrets: readonly string[], now: Date): string | undefined {
  const payload = open(value, secrets, SEAL_PURPOSE_SESSION) as { t?: unknown; e?: unknown } | undefined;
  if (!payload || typeof payload.t !== 'string' || typeof payload.e !== 'number') return undefined;
  return payload.e * 1000 > now.getTime() ? payload.t : undefined;
}

const SEAL_PURPOSE_DEVICE = 'device-cookie';
/** A device cookie remembers at most this many identities (the most recent first). */
export const MAX_DEVICE_IDENTITIES = 10;

/**
 * The device cookie's value: the identities that signed in on this browser, sealed (only this service can write or
 * read it), until `expiresAt`. It vouches for the browser at the login throttle's per-identifier ceiling.
 */
export function sealDeviceCookie(identityIds: readonly string[], expiresAt: Date, secret: string): string {
  return seal({ i: identityIds.slice(0, MAX_DEVICE_IDENTITIES), e: Math.floor(expiresAt.getTime() / 1000) }, secret, SEAL_PURPOSE_DEVICE);
}

/** The identities a device cookie vouches for (none when it does not open, or expired). */
export function openDeviceCookie(value: string | undefined, secrets: readonly string[], now: Date): string[] {
  const payload = open(value, secrets, SEAL_PURPOSE_DEVICE) as { i?: unknown; e?: unknown } | undefined;
  if (!payload || !Array.isArray(payload.i) || typeof payload.e !== 'number' || payload.e * 1000 <= now.getTime()) return [];
  return payload.i.filter((id): id is string => typeof id === 'string').slice(0, MAX_DEVICE_IDENTITIES);
}
