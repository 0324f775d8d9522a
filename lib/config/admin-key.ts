/**
 * The admin API key in use: ADMIN_API_KEY, or the SSM Parameter Store parameter named by
 * ADMIN_API_KEY_SSM_PARAMETER (a SecureString is decrypted), fetched once per cold start by the admin functions.
 * Whichever it is, the log redacts it from then on.
 */
import { redactFromLogs } from '../log/index.js';
import { getAdminConfig, isAcceptableAdminKey, type AdminConfig } from './admin.js';
import { ssmParameterReader, type ParameterReader } from './secrets.js';

export async function resolveAdminKey(config: Pick<AdminConfig, 'apiKey' | 'apiKeySsmParameter' | 'region'>, reader?: ParameterReader): Promise<string | undefined> {
  let key = config.apiKey;
  if (!key && config.apiKeySsmParameter) {
    key = (await (reader ?? (await ssmParameterReader(config.region))).read(config.apiKeySsmParameter))?.trim();
    // A stored value that is no acceptable key counts as none: the admin API stays closed.
    if (key !== undefined && !isAcceptableAdminKey(key)) key = undefined;
  }
  if (key) redactFromLogs(key);
  return key;
}

let cached: Promise<string | undefined> | undefined;

/** This cold start's admin key; a failed SSM read is retried by the next request instead of being cached. */
export function adminKey(): Promise<string | undefined> {
  cached ??= resolveAdminKey(getAdminConfig()).catch((error: unknown) => {
    cached = undefined;
    throw error;
  });
  return cached;
}
