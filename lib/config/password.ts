/**
 * The password method's policy under Kratos's keys (`selfservice.methods.password.config.*`), breach lookups included:
 * Kratos checks every new password against Have I Been Pwned's range API by default, and so does this.
 */
import { ConfigError, readBoolean, readInteger, readOptionalString, readString, type Env } from './env.js';
import { parseWebHookConfig, type WebHookConfig } from './web-hook.js';

export interface BreachCheckConfig {
  enabled: boolean;
  /** Where the range API is: `https://<host>/range/<prefix>`; a value with a scheme (`http://127.0.0.1:8080`) is the base itself. */
  baseUrl: string;
  /** How often a password may appear in breaches before it is refused (Kratos: 0 to 100). */
  maxBreaches: number;
  /** Accept the password when the lookup fails (network, status), as Kratos does by default. */
  ignoreNetworkErrors: boolean;
}

const HOST = /^[a-zA-Z0-9.-]+(:\d{1,5})?$/;

function readRangeBase(env: Env): string {
  const name = 'SELFSERVICE_METHODS_PASSWORD_CONFIG_HAVEIBEENPWNED_HOST';
  const raw = readString(env, name, 'api.pwnedpasswords.com');
  if (HOST.test(raw)) return `https://${raw}`;
  // Beyond Kratos (which always prefixes https://): a full base URL, so a self-hosted mirror or a test server can speak http.
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || !['http:', 'https:'].includes(url.protocol) || url.search || url.hash || url.username || url.password) {
    throw new ConfigError(`${name} must be a host name such as api.pwnedpasswords.com (or an http(s) base URL), got "${raw}"`);
  }
  return url.href.replace(/\/+$/, '');
}

export function loadBreachCheckConfig(env: Env): BreachCheckConfig {
  return {
    enabled: readBoolean(env, 'SELFSERVICE_METHODS_PASSWORD_CONFIG_HAVEIBEENPWNED_ENABLED', true),
    baseUrl: readRangeBase(env),
    maxBreaches: readInteger(env, 'SELFSERVICE_METHODS_PASSWORD_CONFIG_MAX_BREACHES', 0, 0, 100),
    ignoreNetworkErrors: readBoolean(env, 'SELFSERVICE_METHODS_PASSWORD_CONFIG_IGNORE_NETWORK_ERRORS', true),
  };
}

/**
 * SELFSERVICE_METHODS_PASSWORD_CONFIG_MIGRATE_HOOK (Kratos's `selfservice.methods.password.config.migrate_hook`): a
 * JSON object `{"enabled": true, "config": {url, method, headers?, body?, auth?, id?}}`, a web hook asked whether the
 * password of an imported identity without a hash is right. Undefined when unset or not enabled.
 */
export function loadPasswordMigrationHook(env: Env): WebHookConfig | undefined {
  const name = 'SELFSERVICE_METHODS_PASSWORD_CONFIG_MIGRATE_HOOK';
  const raw = readOptionalString(env, name);
  if (raw === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError(`${name} must be a JSON object such as {"enabled": true, "config": {"url": "https://legacy.example/check", "method": "POST"}}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ConfigError(`${name} must be a JSON object with "enabled" and "config"`);
  const { enabled, config } = parsed as { enabled?: unknown; config?: unknown };
  if (enabled !== true) return undefined;
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw new ConfigError(`${name}: "config" must be an object with at least "url" and "method"`);
  return parseWebHookConfig(config as Record<string, unknown>, name);
}
