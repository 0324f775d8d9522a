/**
 * What only the admin functions read: the admin API key, given directly (ADMIN_API_KEY) or as the name of an SSM
 * Parameter Store parameter holding it. Read at the admin functions' cold start, never by the public ones.
 */
import { ConfigError, readInteger, readOptionalString, readString, type Env } from './env.js';
import { secretParameters } from './secrets.js';

export interface AdminConfig {
  /** Bearer key of the admin API; undefined (and no SSM parameter) = the admin API refuses every request. */
  apiKey?: string;
  /** SSM Parameter Store name holding the admin key. */
  apiKeySsmParameter?: string;
  region: string;
  /** Failed authentications one client address may make per minute before it is refused (429); 0 = no limit. */
  authFailuresPerMinute: number;
}

/** What makes an admin key acceptable; npm start generates one that is. */
export const ADMIN_KEY_RULE = 'at least 32 characters without spaces';

export function isAcceptableAdminKey(key: string): boolean {
  return key.length >= 32 && !/\s/.test(key);
}

export function loadAdminConfig(env: Env = process.env): AdminConfig {
  // The parameter's name checked, and the key refused when given both ways (lib/config/secrets.ts).
  const apiKeySsmParameter = secretParameters(env, 'admin').get('ADMIN_API_KEY');
  const apiKey = readOptionalString(env, 'ADMIN_API_KEY');
  if (apiKey !== undefined && !isAcceptableAdminKey(apiKey)) {
    throw new ConfigError(`ADMIN_API_KEY must be ${ADMIN_KEY_RULE} (npm start generates one when unset)`);
  }
  return {
    apiKey,
    apiKeySsmParameter,
    region: readString(env, 'AWS_REGION', 'us-east-1'),
    authFailuresPerMinute: readInteger(env, 'ADMIN_API_AUTH_FAILURES_PER_MINUTE', 20, 0, 1_000_000),
  };
}

let cached: AdminConfig | undefined;

/** The admin configuration of this cold start. */
export function getAdminConfig(): AdminConfig {
  cached ??= loadAdminConfig();
  return cached;
}
