/**
 * The one configuration object, read once per cold start from environment variables named after Kratos's
 * configuration keys (`hashers.bcrypt.cost` -> `HASHERS_BCRYPT_COST`), tracing and log level included. A bad
 * value throws a ConfigError naming the variable and what is allowed. What only the admin functions read (the
 * admin key) is read by them alone (`admin.ts`), so a bad admin setting cannot stop the public API.
 *
 * Secrets may be held in SSM Parameter Store instead (`<NAME>_SSM_PARAMETER`, secrets.ts). A cold start then checks
 * everything else at once, with stand-ins for them (`coldStartConfig`), and the first invocation reads them before
 * anything uses the configuration (`configReady`); from then on `getConfig()` is the configuration with their values.
 */
import { loadAalConfig, type AalConfig } from './aal.js';
import { isIP } from 'node:net';
import { loadBrowserConfig, type BrowserConfig } from './browser.js';
import { loadCourierConfig, type CourierConfig } from './courier.js';
import { loadCipherSecrets } from './cipher.js';
import { loadOidcConfig, type OidcConfig } from './oidc.js';
import { loadBreachCheckConfig, loadPasswordMigrationHook, type BreachCheckConfig } from './password.js';
import type { WebHookConfig } from './web-hook.js';
import { loadRecoveryConfig, type RecoveryConfig } from './recovery.js';
import { loadSelfServiceConfig, type SelfServiceConfig } from './selfservice.js';
import { loadThrottleConfig, type ThrottleConfig } from './throttle.js';
import { loadIdentityConfig, type IdentityConfig } from './identity.js';
import { loadTokenizerConfig, type TokenizerConfig } from './tokenizer.js';
import { loadTracingConfig, type TracingConfig } from './tracing.js';
import { loadWebAuthnConfig, type WebAuthnMethodsConfig } from './webauthn.js';
import { redactFromLogs } from '../log/index.js';
import { readSecretParameters, SECRETS, secretParameters, ssmParameterReader, withSecretValues, withStandIns, type ParameterReader } from './secrets.js';
import {
  ConfigError,
  readBoolean,
  readChoice,
  readDuration,
  readInteger,
  readList,
  readString,
  readUrl,
  type Env,
} from './env.js';

export { ConfigError, parseDuration, type Env } from './env.js';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevelSetting = (typeof LOG_LEVELS)[number];

export interface Config {
  publicBaseUrl: string;
  bcryptCost: number;
  sessionLifespanMs: number;
  loginFlowLifespanMs: number;
  registrationFlowLifespanMs: number;
  settingsFlowLifespanMs: number;
  privilegedSessionMaxAgeMs: number;
  minPasswordLength: number;
  identifierSimilarityCheck: boolean;
  /** New passwords looked up in Have I Been Pwned's range API (k-anonymity: 5 hex digits of the SHA-1 leave). */
  breachCheck: BreachCheckConfig;
  /** The password migration hook (SELFSERVICE_METHODS_PASSWORD_CONFIG_MIGRATE_HOOK), when enabled. */
  passwordMigrationHook?: WebHookConfig;
  logLevel: LogLevelSetting;
  tracing: TracingConfig;
  browser: BrowserConfig;
  identity: IdentityConfig;
  /** Recovery, verification and the `code` method. */
  recovery: RecoveryConfig;
  /** Failed-login throttling per identifier (and optionally per client address). */
  loginThrottle: ThrottleConfig;
  /** The sign-in methods switched on, and the hooks of each flow. */
  selfservice: SelfServiceConfig;
  /** The assurance levels whoami and settings require; the TOTP issuer. */
  aal: AalConfig;
  /** Social sign-in: the providers (read whether or not the method is on, so a bad list is found before it is). */
  oidc: OidcConfig;
  /** SECRETS_CIPHER: the keys social sign-in's provider tokens are encrypted with (none: no token is kept). */
  cipherSecrets: string[];
  /** Passkeys and WebAuthn keys: their relying parties (set for the methods switched on). */
  webauthn: WebAuthnMethodsConfig;
  /** Session tokenization (`whoami?tokenize_as=`): the templates, their keys imported. */
  tokenizer: TokenizerConfig;
  courier: CourierConfig;
  /** SERVE_PUBLIC_TRUSTED_PROXIES: the proxies whose `X-Forwarded-For` names the client (addresses or subnets). */
  trustedProxies: string[];
  dynamodb: { endpoint?: string; tableName: string; region: string };
}

/** Addresses (`10.0.0.1`, `::1`) or subnets (`10.0.0.0/8`, `2001:db8::/32`). */
function readTrustedProxies(env: Env): string[] {
  const entries = readList(env, 'SERVE_PUBLIC_TRUSTED_PROXIES');
  for (const entry of entries) {
    const [address, prefix, extra] = entry.split('/');
    const kind = isIP(address);
    const bits = kind === 6 ? 128 : 32;
    if (kind === 0 || extra !== undefined || (prefix !== undefined && (!/^\d+$/.test(prefix) || Number(prefix) > bits))) {
      throw new ConfigError(`SERVE_PUBLIC_TRUSTED_PROXIES must list IP addresses or subnets such as 10.0.0.0/8, got "${entry}"`);
    }
  }
  return entries;
}

export function loadConfig(env: Env = process.env): Config {
  const pending = secretParameters(env, 'config');
  if (pending.size > 0) {
    // Not a configuration mistake: the caller forgot to read them (configReady) or to stand them in (checkConfig).
    throw new Error(`${[...pending.keys()].join(', ')}: read from Parameter Store before the configuration is loaded`);
  }
  const publicBaseUrl = readUrl(env, 'SERVE_PUBLIC_BASE_URL', 'http://127.0.0.1:4433/')!.replace(/\/+$/, '');
  const tableName = readString(env, 'DYNAMODB_TABLE_NAME', 'kratos');
  if (!/^[a-zA-Z0-9_.-]{3,255}$/.test(tableName)) {
    throw new ConfigError(`DYNAMODB_TABLE_NAME must be 3-255 characters of a-z, A-Z, 0-9, "_", "-", ".", got "${tableName}"`);
  }
  return {
    publicBaseUrl,
    // Kratos refuses costs below 12 outside dev mode; 4 is bcrypt's floor and what the tests use.
    bcryptCost: readInteger(env, 'HASHERS_BCRYPT_COST', 12, 4, 31),
    sessionLifespanMs: readDuration(env, 'SESSION_LIFESPAN', '24h'),
    loginFlowLifespanMs: readDuration(env, 'SELFSERVICE_FLOWS_LOGIN_LIFESPAN', '1h'),
    registrationFlowLifespanMs: readDuration(env, 'SELFSERVICE_FLOWS_REGISTRATION_LIFESPAN', '1h'),
    settingsFlowLifespanMs: readDuration(env, 'SELFSERVICE_FLOWS_SETTINGS_LIFESPAN', '1h'),
    privilegedSessionMaxAgeMs: readDuration(env, 'SELFSERVICE_FLOWS_SETTINGS_PRIVILEGED_SESSION_MAX_AGE', '1h'),
    minPasswordLength: readInteger(env, 'SELFSERVICE_METHODS_PASSWORD_CONFIG_MIN_PASSWORD_LENGTH', 8, 6, 72),
    identifierSimilarityCheck: readBoolean(env, 'SELFSERVICE_METHODS_PASSWORD_CONFIG_IDENTIFIER_SIMILARITY_CHECK_ENABLED', true),
    breachCheck: loadBreachCheckConfig(env),
    passwordMigrationHook: loadPasswordMigrationHook(env),
    logLevel: readChoice(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    tracing: loadTracingConfig(env),
    browser: loadBrowserConfig(env, publicBaseUrl),
    identity: loadIdentityConfig(env),
    recovery: loadRecoveryConfig(env),
    loginThrottle: loadThrottleConfig(env),
    selfservice: loadSelfServiceConfig(env),
    aal: loadAalConfig(env, publicBaseUrl),
    oidc: loadOidcConfig(env, publicBaseUrl),
    cipherSecrets: loadCipherSecrets(env),
    webauthn: loadWebAuthnConfig(env, publicBaseUrl),
    tokenizer: loadTokenizerConfig(env),
    courier: loadCourierConfig(env),
    trustedProxies: readTrustedProxies(env),
    dynamodb: {
      endpoint: readUrl(env, 'DYNAMODB_ENDPOINT'),
      tableName,
      region: readString(env, 'AWS_REGION', 'us-east-1'),
    },
  };
}

/**
 * Checks `env` as a cold start does: every value, with stand-ins for the secrets it takes from Parameter Store (a bad
 * parameter name, or a secret given both ways, is a ConfigError naming the variables). What `npm start` runs too.
 */
export function checkConfig(env: Env): Config {
  return loadConfig(withStandIns(env, secretParameters(env, 'config')));
}

let cached: Config | undefined;
/** The values read from Parameter Store this cold start, by secret; undefined until read. */
let parameterValues: Map<string, string | undefined> | undefined;

/** The environment the configuration is read from: process.env, with the secrets read from Parameter Store. */
function configEnv(): Env {
  const values = parameterValues;
  return values ? withSecretValues(process.env, secretParameters(process.env, 'config'), (name) => values.get(name)) : process.env;
}

/** The configuration of this cold start; with secrets in Parameter Store, only once `configReady()` has read them. */
export function getConfig(): Config {
  cached ??= loadConfig(configEnv());
  return cached;
}

/** Whether this cold start's configuration still waits for secrets held in Parameter Store (read by `configReady`). */
export function secretsToRead(): boolean {
  return parameterValues === undefined && secretParameters(process.env, 'config').size > 0;
}

/**
 * What a cold start checks and uses before the first invocation (the log level): the configuration, or, while secrets
 * wait in Parameter Store, the configuration with stand-ins for them. A bad value throws, naming the variable.
 */
export function coldStartConfig(): Config {
  return secretsToRead() ? checkConfig(process.env) : getConfig();
}

let ready: Promise<Config> | undefined;

/**
 * This cold start's configuration, once the secrets it takes from Parameter Store are read (in parallel, once per cold
 * start): what the HTTP stack and the courier await before anything else. A read that fails (a SecretReadError naming
 * the variable), or a value read that the checks refuse (a ConfigError), is tried again by the next call. Every secret
 * in use, wherever it came from, is redacted from the log from then on.
 */
export function configReady(reader?: ParameterReader): Promise<Config> {
  ready ??= (async () => {
    const parameters = secretParameters(process.env, 'config');
    if (parameters.size > 0 && !parameterValues) {
      const region = readString(process.env, 'AWS_REGION', 'us-east-1');
      parameterValues = await readSecretParameters(parameters, reader ?? (await ssmParameterReader(region)));
    }
    const config = getConfig();
    const env = configEnv();
    for (const { name } of SECRETS) for (const item of (env[name] ?? '').split(',')) redactFromLogs(item.trim());
    return config;
  })().catch((error: unknown) => {
    ready = undefined;
    parameterValues = undefined;
    cached = undefined;
    throw error;
  });
  return ready;
}
