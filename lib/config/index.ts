/**
 * Configuration, read once per cold start from environment variables named after Kratos's configuration keys
 * (`hashers.bcrypt.cost` -> `HASHERS_BCRYPT_COST`). A bad value throws a ConfigError naming the variable, so the
 * cold start fails with a clear message instead of the first request failing obscurely.
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

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
  /** Bearer key of the admin API; undefined (and no SSM parameter) = admin API refuses every request. */
  adminApiKey?: string;
  /** SSM Parameter Store name holding the admin key (read by the admin functions at cold start). */
  adminApiKeySsmParameter?: string;
  dynamodb: { endpoint?: string; tableName: string; region: string };
}

type Env = Record<string, string | undefined>;

const DURATION_UNITS_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Parses a Go-style duration as Kratos accepts it ("1h", "24h", "90m", "1h30m", "500ms"). */
export function parseDuration(value: string): number | undefined {
  const text = value.trim();
  if (!/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) {
    total += Number(amount) * DURATION_UNITS_MS[unit];
  }
  return total;
}

export function readString(env: Env, name: string, fallback: string): string {
  const raw = env[name];
  return raw === undefined || raw.trim() === '' ? fallback : raw.trim();
}

export function readOptionalString(env: Env, name: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
}

export function readInteger(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = readOptionalString(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return Number(raw);
}

export function readNumber(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = readOptionalString(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

export function readBoolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = readOptionalString(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (['true', '1', 'yes', 'on'].includes(raw)) return true;
  if (['false', '0', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

export function readDuration(env: Env, name: string, fallback: string): number {
  const raw = readString(env, name, fallback);
  const ms = parseDuration(raw);
  if (ms === undefined || ms <= 0) {
    throw new ConfigError(`${name} must be a positive duration such as "1h", "30m" or "90s", got "${raw}"`);
  }
  return ms;
}

export function readUrl(env: Env, name: string, fallback?: string): string | undefined {
  const raw = readOptionalString(env, name) ?? fallback;
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be an absolute http(s) URL, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`${name} must be an absolute http(s) URL, got "${raw}"`);
  }
  return raw;
}

function readAdminKey(env: Env): string | undefined {
  const key = readOptionalString(env, 'ADMIN_API_KEY');
  if (key !== undefined && (key.length < 16 || /\s/.test(key))) {
    throw new ConfigError('ADMIN_API_KEY must be at least 16 characters without spaces (npm start generates one when unset)');
  }
  return key;
}

function readSsmParameterName(env: Env): string | undefined {
  const name = readOptionalString(env, 'ADMIN_API_KEY_SSM_PARAMETER');
  if (name !== undefined && !/^(\/[A-Za-z0-9_.-]+)+$|^[A-Za-z0-9_.-]+$/.test(name)) {
    throw new ConfigError(`ADMIN_API_KEY_SSM_PARAMETER must be a Parameter Store name such as /kratos/admin-api-key, got "${name}"`);
  }
  return name;
}

export function loadConfig(env: Env = process.env): Config {
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
    identifierSimilarityCheck: readBoolean(
      env,
      'SELFSERVICE_METHODS_PASSWORD_CONFIG_IDENTIFIER_SIMILARITY_CHECK_ENABLED',
      true,
    ),
    adminApiKey: readAdminKey(env),
    adminApiKeySsmParameter: readSsmParameterName(env),
    dynamodb: {
      endpoint: readUrl(env, 'DYNAMODB_ENDPOINT'),
      tableName,
      region: readString(env, 'AWS_REGION', 'us-east-1'),
    },
  };
}

let cached: Config | undefined;

/** The configuration of this cold start. */
export function getConfig(): Config {
  cached ??= loadConfig();
  return cached;
}
