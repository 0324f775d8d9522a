/**
 * The courier's configuration, Kratos-named (`courier.*` as COURIER_*): how e-mail leaves (SMTP or SES), from
 * whom, and how often a failed delivery is tried again.
 */
import { ConfigError, readChoice, readDuration, readInteger, readOptionalString, readString, readUrl, type Env } from './env.js';

export type DeliveryStrategy = 'smtp' | 'ses';

/** courier.smtp.connection_uri, taken apart. */
export interface SmtpConnection {
  host: string;
  port: number;
  /** `smtps://`: TLS from the first byte. */
  implicitTls: boolean;
  /** `smtp://` requires StartTLS unless `disable_starttls=true` (then clear text). */
  startTls: 'required' | 'disabled';
  /** `skip_ssl_verify=true`: accept any server certificate. */
  skipSslVerify: boolean;
  /** `server_name`: the name the certificate is checked against (the host by default). */
  serverName: string;
  username?: string;
  password?: string;
}

export interface CourierConfig {
  deliveryStrategy: DeliveryStrategy;
  /** Undefined when COURIER_SMTP_CONNECTION_URI is unset (a courier with the smtp strategy then fails every attempt). */
  smtp?: SmtpConnection;
  fromAddress: string;
  fromName?: string;
  /** courier.smtp.headers: added to every message. */
  headers: Record<string, string>;
  /** courier.smtp.local_name: the name the courier greets the server with (EHLO). */
  localName: string;
  /** courier.message_retries: attempts after the first before a message is abandoned. */
  messageRetries: number;
  /** The first retry's delay; it doubles with each retry, up to MAX_RETRY_DELAY_MS. */
  retryDelayMs: number;
  /** SES's region (AWS_REGION) and, for LocalStack, its endpoint. */
  ses: { region: string; endpoint?: string };
}

export const MAX_RETRY_DELAY_MS = 3_600_000;

const TRUE = /^(true|1|yes|on)$/i;

function queryFlag(url: URL, name: string, variable: string): boolean {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return false;
  if (TRUE.test(raw)) return true;
  if (/^(false|0|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${variable}: ${name} must be true or false, got "${raw}"`);
}

/** Kratos's connection URI forms: `smtps://user:pass@host:465/` and `smtp://host:587/?disable_starttls=true&server_name=…`. */
export function parseSmtpConnectionUri(raw: string, variable = 'COURIER_SMTP_CONNECTION_URI'): SmtpConnection {
  // Never echo the URI: it may hold the SMTP password.
  const shape = `${variable} must be smtp://[user:password@]host[:port][/?options] or smtps://…`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${shape}, got a value that is not a URL`);
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') throw new ConfigError(`${shape}, got scheme "${url.protocol.replace(/:$/, '')}"`);
  if (!url.hostname) throw new ConfigError(`${shape}, got no host`);
  const implicitTls = url.protocol === 'smtps:';
  const port = url.port ? Number(url.port) : implicitTls ? 465 : 587;
  const disableStartTls = queryFlag(url, 'disable_starttls', variable);
  const known = new Set(['skip_ssl_verify', 'disable_starttls', 'server_name']);
  for (const name of url.searchParams.keys()) {
    if (!known.has(name)) throw new ConfigError(`${variable}: unknown option "${name}" (known: ${[...known].join(', ')})`);
  }
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  return {
    host: hostname,
    port,
    implicitTls,
    startTls: disableStartTls ? 'disabled' : 'required',
    skipSslVerify: queryFlag(url, 'skip_ssl_verify', variable),
    serverName: url.searchParams.get('server_name') || hostname,
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
  };
}

function readHeaders(env: Env, name: string): Record<string, string> {
  const raw = readOptionalString(env, name);
  if (raw === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError(`${name} must be a JSON object of header names to strings, got text that is not JSON`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(`${name} must be a JSON object of header names to strings`);
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value !== 'string') throw new ConfigError(`${name}: header "${key}" must be a string`);
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(key) || /[\r\n]/.test(value)) throw new ConfigError(`${name}: header "${key}" is not a valid header`);
    headers[key] = value;
  }
  return headers;
}

function readAddress(env: Env, name: string, fallback: string): string {
  const value = readString(env, name, fallback);
  if (!/^[^\s@<>,"]+@[^\s@<>,"]+$/.test(value)) throw new ConfigError(`${name} must be an e-mail address, got "${value}"`);
  return value;
}

export function loadCourierConfig(env: Env): CourierConfig {
  const uri = readOptionalString(env, 'COURIER_SMTP_CONNECTION_URI');
  const fromName = readOptionalString(env, 'COURIER_SMTP_FROM_NAME');
  if (fromName !== undefined && /[\r\n]/.test(fromName)) throw new ConfigError('COURIER_SMTP_FROM_NAME must be one line');
  const sesEndpoint = readUrl(env, 'AWS_ENDPOINT_URL_SESV2');
  return {
    deliveryStrategy: readChoice(env, 'COURIER_DELIVERY_STRATEGY', ['smtp', 'ses'] as const, 'smtp'),
    ...(uri === undefined ? {} : { smtp: parseSmtpConnectionUri(uri) }),
    fromAddress: readAddress(env, 'COURIER_SMTP_FROM_ADDRESS', 'no-reply@ory.kratos.sh'),
    ...(fromName === undefined ? {} : { fromName }),
    headers: readHeaders(env, 'COURIER_SMTP_HEADERS'),
    localName: readString(env, 'COURIER_SMTP_LOCAL_NAME', 'localhost'),
    messageRetries: readInteger(env, 'COURIER_MESSAGE_RETRIES', 5, 0, 100),
    // Not a Kratos key: Kratos retries on its next queue pull (every second); a Lambda courier spaces its retries out
    // by this delay, doubled each time (30s, 1m, 2m, ... at most 1h).
    retryDelayMs: Math.min(readDuration(env, 'COURIER_MESSAGE_RETRY_DELAY', '30s'), MAX_RETRY_DELAY_MS),
    ses: { region: readString(env, 'AWS_REGION', 'us-east-1'), ...(sesEndpoint ? { endpoint: sesEndpoint } : {}) },
  };
}
