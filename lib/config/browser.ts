/**
 * What browser flows need, from Kratos's configuration keys as environment variables: where the UIs are and where a
 * browser goes afterwards (`selfservice.*`), the cookies (`secrets.cookie`, `session.cookie.name`, `cookies.*`), and
 * CORS for the public API (`serve.public.cors.*`). Part of the one configuration read at cold start.
 */
import { ConfigError, readBoolean, readChoice, readInteger, readList, readOptionalString, readString, readUrl, type Env } from './env.js';

export type UiFlowName = 'login' | 'registration' | 'settings' | 'recovery' | 'verification' | 'error';
export const UI_FLOW_NAMES: readonly UiFlowName[] = ['login', 'registration', 'settings', 'recovery', 'verification', 'error'];

/** One entry of `selfservice.allowed_return_urls`: scheme, host (exact or `*.` suffix) and path prefix. */
export interface AllowedReturnUrl {
  protocol: string;
  /** Lower-cased host with port, or `*.example.com`. */
  host: string;
  pathPrefix: string;
}

export interface CorsConfig {
  enabled: boolean;
  /** `*`, exact origins, or origins with one `*` wildcard (`https://*.example.com`). */
  allowedOrigins: string[];
  allowedMethods: string[];
  allowedHeaders: string[];
  exposedHeaders: string[];
  allowCredentials: boolean;
  /** Seconds; 0 = not sent. */
  maxAgeSeconds: number;
}

export interface BrowserConfig {
  /** `selfservice.default_browser_return_url`. */
  defaultReturnUrl: string;
  /** `selfservice.allowed_return_urls`, plus the public base URL's `/self-service` and every UI URL, as Kratos. */
  allowedReturnUrls: AllowedReturnUrl[];
  /** `selfservice.flows.<name>.ui_url`: our own pages under `<public base URL>/ui/` unless set. */
  uiUrls: Record<UiFlowName, string>;
  /** `selfservice.flows.<name>.after.default_browser_return_url`. */
  afterReturnUrls: Partial<Record<'login' | 'registration' | 'settings' | 'logout' | 'verification', string>>;
  /**
   * `secrets.cookie` (falling back to `secrets.default`), comma-separated: the first seals session cookies, every one
   * opens them (rotation). Empty: no browser sessions (a cookie is neither issued nor read).
   */
  cookieSecrets: string[];
  /** `session.cookie.name`. */
  sessionCookieName: string;
  /** `cookies.domain`; host-only when unset. */
  cookieDomain?: string;
  /** `cookies.path`. */
  cookiePath: string;
  /** `cookies.same_site`; Lax whenever cookies are not Secure (a browser refuses SameSite=None without Secure). */
  cookieSameSite: 'Lax' | 'Strict' | 'None';
  /** Cookies are Secure when the public base URL is https. */
  secureCookies: boolean;
  /** How long a self-service error shown to a browser can be read back (`GET /self-service/errors?id=`). */
  errorLifespanMs: number;
  cors: CorsConfig;
}

/** Kratos rejects secrets shorter than this (`secrets.cookie` items: minLength 16). */
export const MIN_SECRET_LENGTH = 16;

function parseAllowedReturnUrl(name: string, raw: string): AllowedReturnUrl {
  const wildcard = /^(https?:\/\/)\*\./i.exec(raw);
  let url: URL;
  try {
    url = new URL(wildcard ? raw.replace('*.', 'wildcard.') : raw);
  } catch {
    throw new ConfigError(`${name} must list absolute URLs separated by commas, got "${raw}"`);
  }
  const host = url.host.toLowerCase();
  return { protocol: url.protocol, host: wildcard ? host.replace(/^wildcard\./, '*.') : host, pathPrefix: url.pathname };
}

function readOrigins(env: Env, name: string): string[] {
  const origins = readList(env, name);
  for (const origin of origins) {
    if (origin === '*') continue;
    if ((origin.match(/\*/g) ?? []).length > 1 || !/^https?:\/\/[^/]+$/i.test(origin)) {
      throw new ConfigError(`${name} must list origins (scheme://host[:port], one "*" at most, or "*"), got "${origin}"`);
    }
  }
  return origins;
}

export function loadBrowserConfig(env: Env, publicBaseUrl: string): BrowserConfig {
  const base = new URL(publicBaseUrl);
  const secureCookies = base.protocol === 'https:';
  const uiUrls = Object.fromEntries(
    UI_FLOW_NAMES.map((name) => [name, readUrl(env, `SELFSERVICE_FLOWS_${name.toUpperCase()}_UI_URL`, `${publicBaseUrl}/ui/${name}`)!]),
  ) as Record<UiFlowName, string>;
  const defaultReturnUrl = readUrl(env, 'SELFSERVICE_DEFAULT_BROWSER_RETURN_URL', `${publicBaseUrl}/ui/welcome`)!;
  const afterReturnUrls: BrowserConfig['afterReturnUrls'] = {};
  for (const name of ['login', 'registration', 'settings', 'logout', 'verification'] as const) {
    const value = readUrl(env, `SELFSERVICE_FLOWS_${name.toUpperCase()}_AFTER_DEFAULT_BROWSER_RETURN_URL`);
    if (value) afterReturnUrls[name] = value;
  }
  const configured = readList(env, 'SELFSERVICE_ALLOWED_RETURN_URLS').map((raw) => parseAllowedReturnUrl('SELFSERVICE_ALLOWED_RETURN_URLS', raw));

  const secretsName = readOptionalString(env, 'SECRETS_COOKIE') ? 'SECRETS_COOKIE' : 'SECRETS_DEFAULT';
  const cookieSecrets = readList(env, secretsName);
  for (const secret of cookieSecrets) {
    if (secret.length < MIN_SECRET_LENGTH) throw new ConfigError(`${secretsName} must list secrets of at least ${MIN_SECRET_LENGTH} characters each, separated by commas`);
  }

  const sessionCookieName = readString(env, 'SESSION_COOKIE_NAME', 'ory_kratos_session');
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(sessionCookieName)) {
    throw new ConfigError(`SESSION_COOKIE_NAME must be a cookie name (letters, digits and !#$%&'*+-.^_\`|~), got "${sessionCookieName}"`);
  }
  const cookieDomain = readOptionalString(env, 'COOKIES_DOMAIN');
  if (cookieDomain !== undefined && !/^\.?[a-z0-9-]+(\.[a-z0-9-]+)*$/i.test(cookieDomain)) {
    throw new ConfigError(`COOKIES_DOMAIN must be a domain name, got "${cookieDomain}"`);
  }
  const cookiePath = readString(env, 'COOKIES_PATH', '/');
  if (!cookiePath.startsWith('/') || /[;\s]/.test(cookiePath)) throw new ConfigError(`COOKIES_PATH must be a path starting with "/", got "${cookiePath}"`);
  const sameSite = readChoice(env, 'COOKIES_SAME_SITE', ['lax', 'strict', 'none'] as const, 'lax');

  const corsEnabled = readBoolean(env, 'SERVE_PUBLIC_CORS_ENABLED', false);
  const cors: CorsConfig = {
    enabled: corsEnabled,
    allowedOrigins: readOrigins(env, 'SERVE_PUBLIC_CORS_ALLOWED_ORIGINS'),
    allowedMethods: readList(env, 'SERVE_PUBLIC_CORS_ALLOWED_METHODS').map((m) => m.toUpperCase()),
    allowedHeaders: readList(env, 'SERVE_PUBLIC_CORS_ALLOWED_HEADERS'),
    exposedHeaders: readList(env, 'SERVE_PUBLIC_CORS_EXPOSED_HEADERS'),
    allowCredentials: readBoolean(env, 'SERVE_PUBLIC_CORS_ALLOW_CREDENTIALS', true),
    maxAgeSeconds: readInteger(env, 'SERVE_PUBLIC_CORS_MAX_AGE', 0, 0, 86_400),
  };
  // Kratos's code defaults (driver/config/config.go).
  if (cors.allowedMethods.length === 0) cors.allowedMethods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
  if (cors.allowedHeaders.length === 0) cors.allowedHeaders = ['Authorization', 'Content-Type', 'Cookie'];
  if (cors.exposedHeaders.length === 0) cors.exposedHeaders = ['Content-Type', 'Set-Cookie'];
  if (corsEnabled && cors.allowedOrigins.length === 0) {
    throw new ConfigError('SERVE_PUBLIC_CORS_ALLOWED_ORIGINS must list the origins allowed when SERVE_PUBLIC_CORS_ENABLED is true');
  }

  return {
    defaultReturnUrl,
    // Kratos allows its own self-service URLs; our UI pages are on the list too, since flows return to them.
    allowedReturnUrls: [
      ...configured,
      parseAllowedReturnUrl('SERVE_PUBLIC_BASE_URL', `${publicBaseUrl}/self-service`),
      ...[defaultReturnUrl, ...Object.values(uiUrls), ...Object.values(afterReturnUrls)].map((url) => parseAllowedReturnUrl('SELFSERVICE_*_URL', url)),
    ],
    uiUrls,
    afterReturnUrls,
    cookieSecrets,
    sessionCookieName,
    cookieDomain,
    cookiePath,
    cookieSameSite: !secureCookies ? 'Lax' : sameSite === 'strict' ? 'Strict' : sameSite === 'none' ? 'None' : 'Lax',
    secureCookies,
    errorLifespanMs: 24 * 3_600_000,
    cors,
  };
}
