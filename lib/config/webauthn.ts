/**
 * The relying party of the `passkey` and `webauthn` methods, under Kratos's keys:
 * `selfservice.methods.<method>.config.rp.{id, display_name, origins}` (SELFSERVICE_METHODS_PASSKEY_CONFIG_RP_ID, ...)
 * and `selfservice.methods.webauthn.config.passwordless`. Read whatever the switches say, so that a bad value is named
 * before the method is switched on; required (the id and the display name) only when it is on, as Kratos's schema
 * requires them. Origins default to `<scheme of the public base URL>://<rp id>`, as Kratos's (its deprecated single
 * `rp.origin` of the webauthn method is not read: use `rp.origins`).
 */
import { ConfigError, readBoolean, readList, readOptionalString, type Env } from './env.js';

export interface RelyingParty {
  /** The RP id: a registrable domain (no scheme, no port), e.g. `example.com` or `localhost`. */
  id: string;
  displayName: string;
  /** Where a ceremony may take place: `scheme://host[:port]`, compared case-insensitively. */
  origins: string[];
}

export interface WebAuthnMethodsConfig {
  /** `selfservice.methods.passkey.config.rp`: set when the method is on. */
  passkey?: RelyingParty;
  /** `selfservice.methods.webauthn.config.rp`: set when the method is on. */
  webauthn?: RelyingParty;
  /** `selfservice.methods.webauthn.config.passwordless`: keys sign in alone (aal1) instead of as a second factor. */
  webauthnPasswordless: boolean;
}

/** A list as Kratos's environment loader takes it: comma-separated, or a JSON array of strings. */
function readOrigins(env: Env, name: string): string[] {
  const raw = readOptionalString(env, name);
  if (raw === undefined || !raw.trim().startsWith('[')) return readList(env, name);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || !parsed.every((o) => typeof o === 'string')) throw new ConfigError(`${name} must be origins separated by commas, or a JSON list of them, got "${raw.slice(0, 100)}"`);
  return parsed.map((o: string) => o.trim()).filter(Boolean);
}

function readRelyingParty(method: 'PASSKEY' | 'WEBAUTHN', env: Env, publicBaseUrl: string): RelyingParty | undefined {
  const prefix = `SELFSERVICE_METHODS_${method}_CONFIG_RP_`;
  const id = readOptionalString(env, `${prefix}ID`);
  const displayName = readOptionalString(env, `${prefix}DISPLAY_NAME`);
  const origins = readOrigins(env, `${prefix}ORIGINS`);
  if (id !== undefined && !/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i.test(id)) {
    throw new ConfigError(`${prefix}ID must be a domain such as example.com or localhost (no scheme, port or path), got "${id}"`);
  }
  for (const origin of origins) {
    const name = `${prefix}ORIGINS`;
    let url: URL | undefined;
    try {
      url = new URL(origin);
    } catch {
      url = undefined;
    }
    if (!url || !['http:', 'https:'].includes(url.protocol) || url.origin.toLowerCase() !== origin.toLowerCase().replace(/\/$/, '')) {
      throw new ConfigError(`${name} must list origins such as https://example.com or http://localhost:4455 (scheme, host and port only), got "${origin}"`);
    }
  }
  const enabled = readBoolean(env, `SELFSERVICE_METHODS_${method}_ENABLED`, false);
  if (!enabled) return undefined;
  if (!id) throw new ConfigError(`${prefix}ID is required when SELFSERVICE_METHODS_${method}_ENABLED=true (the relying party's domain, e.g. example.com)`);
  if (!displayName) throw new ConfigError(`${prefix}DISPLAY_NAME is required when SELFSERVICE_METHODS_${method}_ENABLED=true (the name authenticators show)`);
  const scheme = new URL(publicBaseUrl).protocol.replace(/:$/, '');
  const chosen = origins.length ? origins : [`${scheme}://${id}`];
  return { id, displayName, origins: chosen.map((o) => o.replace(/\/$/, '')) };
}

export function loadWebAuthnConfig(env: Env, publicBaseUrl: string): WebAuthnMethodsConfig {
  return {
    passkey: readRelyingParty('PASSKEY', env, publicBaseUrl),
    webauthn: readRelyingParty('WEBAUTHN', env, publicBaseUrl),
    webauthnPasswordless: readBoolean(env, 'SELFSERVICE_METHODS_WEBAUTHN_CONFIG_PASSWORDLESS', false),
  };
}
