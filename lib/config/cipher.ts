/**
 * `secrets.cipher` (SECRETS_CIPHER): the keys social sign-in's provider tokens are encrypted with before they are
 * stored, as Kratos keeps them (`initial_id_token`, `initial_access_token`, `initial_refresh_token`). A comma-separated
 * list of secrets of exactly 32 characters (Kratos's rule): the first encrypts, every one decrypts (rotation). Unset:
 * no token is kept at all (Kratos's default `noop` cipher would keep them in clear; this build does not).
 */
import { ConfigError, readList, type Env } from './env.js';

export function loadCipherSecrets(env: Env): string[] {
  const secrets = readList(env, 'SECRETS_CIPHER');
  for (const secret of secrets) {
    if (Buffer.byteLength(secret, 'utf8') !== 32) throw new ConfigError('SECRETS_CIPHER must be secrets of exactly 32 characters (bytes) each, separated by commas');
  }
  return secrets;
}
