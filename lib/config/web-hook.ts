/**
 * Kratos's `web_hook` configuration (`request/config.go`), checked at the cold start so a bad hook stops it naming the
 * variable: `{url, method, headers?, body?, auth?, response: {ignore, parse}, can_interrupt, emit_analytics_event, id?}`.
 * `body` is the Jsonnet program's URL (`file://`, `base64://`, `http(s)://`; a bare path is a file, as Kratos's fetcher
 * reads it). `auth` is `{type: "api_key", config: {name, value, in: header|cookie}}` or `{type: "basic_auth", config:
 * {user, password}}`; a secret left out of it (the api key's `value`, the password) is taken from
 * SELFSERVICE_WEB_HOOK_SECRETS by the hook's `id`, so it can be held in Parameter Store.
 */
import { createHash } from 'node:crypto';
import { ConfigError } from './env.js';
import { isPlainObject as isObject } from '../util/objects.js';

/**
 * The secret (`value`, `password`) is undefined when it is to come from SELFSERVICE_WEB_HOOK_SECRETS by the hook's id
 * (read at the first invocation when Parameter Store holds it; `webHookSecret` finds it then).
 */
export type WebHookAuth =
  | { type: 'api_key'; name: string; value?: string; in: 'header' | 'cookie' }
  | { type: 'basic_auth'; user: string; password?: string };

export interface WebHookConfig {
  /** Kratos's `id` (its events' WebhookID); also the key of the hook's secret in SELFSERVICE_WEB_HOOK_SECRETS. */
  id?: string;
  url: string;
  method: string;
  headers: Record<string, string>;
  /** The body's Jsonnet program, by URL; none: the request has no body. */
  bodyUrl?: string;
  auth?: WebHookAuth;
  /** `response.ignore`: delivered after the answer, by the courier, never holding the flow up. */
  ignore: boolean;
  /** `response.parse`: a 200 answer's `identity` changes the identity before it is stored. */
  parse: boolean;
  /** `can_interrupt`: a 4xx answer's messages stop the flow. */
  canInterrupt: boolean;
  /** `emit_analytics_event` (default true): the Webhook* span events and the Ory-Webhook-* headers. */
  emitEvents: boolean;
  /**
   * What names this hook to the courier, which delivers queued ones later: a hash of its configuration without its
   * secrets. A queued delivery whose hook is no longer configured (by this fingerprint) is not sent.
   */
  fingerprint: string;
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'TRACE'];

function optionalBoolean(value: unknown, name: string, where: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value === 'boolean') return value;
  // The indexed environment form gives strings.
  if (value === 'true' || value === 'false') return value === 'true';
  throw new ConfigError(`${where}: the web hook's "${name}" must be true or false`);
}

function requiredString(value: unknown, name: string, where: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw new ConfigError(`${where}: the web hook needs a "${name}"`);
  return value.trim();
}

/** A body URL as Kratos's fetcher reads it: a bare path is a file. */
function bodyUrlOf(raw: unknown, where: string): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string') throw new ConfigError(`${where}: the web hook's "body" must be the URL of a Jsonnet program (file://, base64://, https://)`);
  if (/^(file|base64|https?):\/\//.test(raw)) return raw;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) throw new ConfigError(`${where}: the web hook's "body" must be a file://, base64:// or http(s):// URL, got "${raw.slice(0, 60)}"`);
  return `file://${raw}`;
}

function authOf(raw: unknown, id: string | undefined, where: string): WebHookAuth | undefined {
  if (raw === undefined) return undefined;
  if (!isObject(raw) || typeof raw.type !== 'string') throw new ConfigError(`${where}: the web hook's "auth" must be {"type": "api_key" | "basic_auth", "config": {...}}`);
  const config = isObject(raw.config) ? raw.config : {};
  const secret = (field: string, value: unknown): string | undefined => {
    if (typeof value === 'string' && value !== '') return value;
    if (id !== undefined) return undefined;
    throw new ConfigError(`${where}: the web hook's auth needs its "${field}" (or an "id" and its entry in SELFSERVICE_WEB_HOOK_SECRETS)`);
  };
  if (raw.type === 'api_key') {
    const place = config.in ?? 'header';
    if (place !== 'header' && place !== 'cookie') throw new ConfigError(`${where}: the web hook's api_key "in" must be header or cookie`);
    const value = secret('value', config.value);
    return { type: 'api_key', name: requiredString(config.name, 'auth.config.name', where), ...(value ? { value } : {}), in: place };
  }
  if (raw.type === 'basic_auth') {
    const password = secret('password', config.password);
    return { type: 'basic_auth', user: requiredString(config.user, 'auth.config.user', where), ...(password ? { password } : {}) };
  }
  throw new ConfigError(`${where}: unsupported web hook auth type "${raw.type.slice(0, 40)}" (api_key or basic_auth)`);
}

/** SELFSERVICE_WEB_HOOK_SECRETS: a JSON object, hook id -> its secret. */
export function parseWebHookSecrets(raw: string | undefined): Record<string, string> {
  if (raw === undefined || raw.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError('SELFSERVICE_WEB_HOOK_SECRETS must be a JSON object of hook id -> secret, such as {"crm": "s3cr3t"}');
  }
  if (!isObject(parsed) || Object.values(parsed).some((v) => typeof v !== 'string')) {
    throw new ConfigError('SELFSERVICE_WEB_HOOK_SECRETS must be a JSON object of hook id -> secret (strings), such as {"crm": "s3cr3t"}');
  }
  return parsed as Record<string, string>;
}

/** One `web_hook`'s config, checked; `where` names the variable for the error. */
export function parseWebHookConfig(raw: Record<string, unknown> | undefined, where: string): WebHookConfig {
  if (!raw) throw new ConfigError(`${where}: a web_hook needs its "config" with at least "url" and "method"`);
  const url = requiredString(raw.url, 'url', where);
  let parsedUrl: URL;
  try {
    parsedUrl = new URL(url);
  } catch {
    throw new ConfigError(`${where}: the web hook's "url" is not a URL: "${url.slice(0, 100)}"`);
  }
  if (parsedUrl.protocol !== 'https:' && parsedUrl.protocol !== 'http:') throw new ConfigError(`${where}: the web hook's "url" must be http(s)`);
  const method = requiredString(raw.method, 'method', where).toUpperCase();
  if (!METHODS.includes(method)) throw new ConfigError(`${where}: the web hook's "method" must be one of ${METHODS.join(', ')}`);
  const headers: Record<string, string> = {};
  if (raw.headers !== undefined) {
    if (!isObject(raw.headers) || Object.values(raw.headers).some((v) => typeof v !== 'string')) {
      throw new ConfigError(`${where}: the web hook's "headers" must be an object of header name -> string`);
    }
    Object.assign(headers, raw.headers);
  }
  const id = raw.id === undefined ? undefined : requiredString(raw.id, 'id', where);
  const response = isObject(raw.response) ? raw.response : {};
  const ignore = optionalBoolean(response.ignore, 'response.ignore', where, false);
  const parse = optionalBoolean(response.parse, 'response.parse', where, false);
  const canInterrupt = optionalBoolean(raw.can_interrupt, 'can_interrupt', where, false);
  if (ignore && (parse || canInterrupt)) {
    // Kratos's misconfiguration: an answer that is not waited for cannot be read.
    throw new ConfigError(`${where}: a web hook cannot both ignore its response and parse it or be able to interrupt (response.ignore with response.parse or can_interrupt)`);
  }
  const bodyUrl = bodyUrlOf(raw.body, where);
  const contentType = Object.entries(headers).find(([name]) => name.toLowerCase() === 'content-type')?.[1];
  if (contentType !== undefined && bodyUrl && !['application/json', 'application/x-www-form-urlencoded'].includes(contentType.split(';')[0].trim().toLowerCase())) {
    throw new ConfigError(`${where}: a web hook with a body sends application/json or application/x-www-form-urlencoded, not "${contentType.slice(0, 60)}"`);
  }
  const auth = authOf(raw.auth, id, where);
  const emitEvents = optionalBoolean(raw.emit_analytics_event, 'emit_analytics_event', where, true);
  const named = { id, url, method, headers, bodyUrl, ignore, parse, canInterrupt, auth: auth && { type: auth.type, ...('name' in auth ? { name: auth.name, in: auth.in } : { user: auth.user }) } };
  const fingerprint = createHash('sha256').update(JSON.stringify(named)).digest('base64url').slice(0, 22);
  return { ...(id ? { id } : {}), url, method, headers, ...(bodyUrl ? { bodyUrl } : {}), ...(auth ? { auth } : {}), ignore, parse, canInterrupt, emitEvents, fingerprint };
}

/** The hook's secret: its own, else its id's entry in SELFSERVICE_WEB_HOOK_SECRETS (undefined: none there). */
export function webHookSecret(hook: WebHookConfig, secrets: Record<string, string>): string | undefined {
  const own = hook.auth?.type === 'api_key' ? hook.auth.value : hook.auth?.password;
  return own ?? (hook.id !== undefined ? secrets[hook.id] : undefined);
}
