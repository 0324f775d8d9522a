/**
 * Readers of environment variables: each names the variable and what is allowed when a value is bad, so a
 * misconfigured deployment stops with one clear line instead of failing obscurely later.
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export type Env = Record<string, string | undefined>;

// serverless.yml leaves a variable that is not set out of a function's environment (`${env:NAME, null}`): deployed it is
// not passed at all, but serverless-offline hands it over as the string "null". Locally, read both alike.
if (process.env.IS_OFFLINE) {
  for (const [name, value] of Object.entries(process.env)) if (value === 'null') delete process.env[name];
}

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

export function readOptionalString(env: Env, name: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
}

export function readString(env: Env, name: string, fallback: string): string {
  return readOptionalString(env, name) ?? fallback;
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

export function readChoice<T extends string>(env: Env, name: string, choices: readonly T[], fallback: T): T;
export function readChoice<T extends string>(env: Env, name: string, choices: readonly T[]): T | undefined;
export function readChoice<T extends string>(env: Env, name: string, choices: readonly T[], fallback?: T): T | undefined {
  const raw = readOptionalString(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (!(choices as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name} must be one of ${choices.join(', ')}${fallback === undefined ? ' (or unset)' : ''}, got "${raw}"`);
  }
  return raw as T;
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

export function readHostPort(env: Env, name: string, fallback: string): { host: string; port: number } {
  const raw = readString(env, name, fallback);
  const match = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(raw);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port < 1 || port > 65535) throw new ConfigError(`${name} must be host:port, got "${raw}"`);
  return { host: match[1].replace(/^\[|\]$/g, ''), port };
}

/** A comma-separated list (empty when unset). */
export function readList(env: Env, name: string): string[] {
  return (readOptionalString(env, name) ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}
