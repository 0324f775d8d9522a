/**
 * Provider tokens encrypted at rest with SECRETS_CIPHER (lib/config/cipher.ts): AES-256-GCM, stored as hex of nonce,
 * ciphertext and tag (the layout of Go's `gcm.Seal(nonce, nonce, ...)`, Kratos's `aes` cipher); the first secret
 * encrypts, any decrypts.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export interface TokenCipher {
  encrypt(plain: string): string;
  /** Undefined when no secret opens it (a rotated-out key, or not ours). */
  decrypt(sealed: string): string | undefined;
}

/** Undefined without secrets: then no token is kept. */
export function createTokenCipher(secrets: readonly string[]): TokenCipher | undefined {
  if (secrets.length === 0) return undefined;
  const keys = secrets.map((secret) => Buffer.from(secret, 'utf8'));
  return {
    encrypt(plain) {
      const nonce = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', keys[0], nonce);
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('hex');
    },
    decrypt(sealed) {
      const raw = Buffer.from(sealed, 'hex');
      if (raw.length < 28) return undefined;
      for (const key of keys) {
        try {
          const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
          decipher.setAuthTag(raw.subarray(raw.length - 16));
          return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString('utf8');
        } catch {
          // another key
        }
      }
      return undefined;
    },
  };
}
