/**
 * Social sign-in under Kratos's keys: `selfservice.methods.oidc.config.{base_redirect_uri, providers}`
 * (SELFSERVICE_METHODS_OIDC_CONFIG_BASE_REDIRECT_URI, SELFSERVICE_METHODS_OIDC_CONFIG_PROVIDERS: a JSON list of
 * providers as Kratos reads them). Each provider is checked here, field by field: a bad one stops the cold start (and
 * `npm start`) with a line naming the provider and the field.
 *
 * Beyond Kratos: the credentials (`client_secret`, Apple's `apple_private_key`) may stay out of the list, in
 * SELFSERVICE_METHODS_OIDC_CONFIG_CLIENT_SECRETS (a JSON object by provider id, which Parameter Store can hold and only
 * the callback function is given; lib/strategies/oidc/client-secrets.ts reads it).
 */
import { ConfigError, readOptionalString, type Env } from './env.js';

export const OIDC_PROVIDER_TYPES = ['generic', 'google', 'apple', 'microsoft', 'github'] as const;
export type OidcProviderType = (typeof OIDC_PROVIDER_TYPES)[number];

/** Kratos's other provider types: recognised, so that the error says they are not built here rather than unknown. */
const KRATOS_ONLY_TYPES = ['github-app', 'gitlab', 'facebook', 'auth0', 'discord', 'slack', 'spotify', 'vk', 'yandex', 'dingtalk', 'linkedin', 'linkedin_v2', 'lark', 'patreon', 'x', 'fedcm-test', 'netid', 'uaepass', 'line', 'salesforce', 'jackson', 'amazon'];

export interface OidcProviderConfig {
  id: string;
  provider: OidcProviderType;
  label?: string;
  clientId: string;
  /** From the list, when given there (Kratos's way); else from CLIENT_SECRETS at the callback. */
  clientSecret?: string;
  /** generic: required (discovery); google, apple, microsoft: an override of their issuer (a proxy, a test provider). */
  issuerUrl?: string;
  /** github: GitHub Enterprise Server's endpoints; generic: overrides of what discovery says. */
  authUrl?: string;
  tokenUrl?: string;
  /** github: the REST API's base (GitHub Enterprise Server: https://<host>/api/v3). Beyond Kratos. */
  apiUrl?: string;
  mapperUrl: string;
  scope: string[];
  /** Sent as the `claims` parameter (OpenID Connect's claims request). */
  requestedClaims?: Record<string, unknown>;
  claimsSource: 'id_token' | 'userinfo';
  pkce: 'auto' | 'never' | 'force';
  additionalIdTokenAudiences: string[];
  microsoftTenant?: string;
  subjectSource?: 'me' | 'userinfo' | 'oid';
  appleTeamId?: string;
  applePrivateKeyId?: string;
  applePrivateKey?: string;
}

export interface OidcConfig {
  /** Where providers send users back: `<base>/self-service/methods/oidc/callback/<id>` (default: the public base URL). */
  baseRedirectUri: string;
  providers: OidcProviderConfig[];
  /**
   * SELFSERVICE_METHODS_OIDC_CONFIG_CLIENT_SECRETS: client secrets (Apple: the .p8 key) by provider id, kept out of the
   * provider list so that only the callback function is given them (and Parameter Store can hold them).
   */
  clientSecrets: Record<string, string>;
}

/** Kratos's provider keys, and what each must be. */
const KEYS = new Set([
  'id',
  'provider',
  'label',
  'client_id',
  'client_secret',
  'issuer_url',
  'auth_url',
  'token_url',
  'api_url',
  'mapper_url',
  'scope',
  'requested_claims',
  'claims_source',
  'pkce',
  'additional_id_token_audiences',
  'microsoft_tenant',
  'subject_source',
  'apple_team_id',
  'apple_private_key_id',
  'apple_private_key',
  'organization_id',
]);

const VARIABLE = 'SELFSERVICE_METHODS_OIDC_CONFIG_PROVIDERS';

function fail(index: number, id: unknown, field: string, why: string): never {
  const who = typeof id === 'string' && id ? `provider "${id}"` : `provider #${index}`;
  throw new ConfigError(`${VARIABLE}: ${who}: ${field} ${why}`);
}

function isHttpUrl(value: string, allowPlainHttp = true): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || (allowPlainHttp && url.protocol === 'http:');
  } catch {
    return false;
  }
}

function optionalString(raw: Record<string, unknown>, key: string, index: number): string | undefined {
  const value = raw[key];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') fail(index, raw.id, key, 'must be a string');
  return value;
}

function stringList(raw: Record<string, unknown>, key: string, index: number): string[] {
  const value = raw[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) fail(index, raw.id, key, 'must be a list of strings');
  return value as string[];
}

function choice<T extends string>(raw: Record<string, unknown>, key: string, index: number, choices: readonly T[], fallback: T): T {
  const value = optionalString(raw, key, index) ?? fallback;
  if (!choices.includes(value as T)) fail(index, raw.id, key, `must be one of ${choices.join(', ')}, got "${value}"`);
  return value as T;
}

function checkMapperUrl(url: string, index: number, id: string): void {
  if (url.startsWith('base64://') || url.startsWith('file://')) return;
  if (isHttpUrl(url)) return;
  // As Kratos: a mapper is fetched from a URL, never given inline.
  fail(index, id, 'mapper_url', `must be a file://, base64:// or http(s):// URL (inline Jsonnet is not accepted), got "${url.slice(0, 60)}"`);
}

function readProvider(raw: unknown, index: number): OidcProviderConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(index, undefined, 'the entry', 'must be an object');
  const entry = raw as Record<string, unknown>;
  const id = entry.id;
  for (const key of Object.keys(entry)) if (!KEYS.has(key)) fail(index, id, key, 'is not a provider key Kratos knows');
  if (typeof id !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(id)) fail(index, id, 'id', 'must be 1-64 letters, digits, "_" or "-"');
  const type = entry.provider;
  if (typeof type !== 'string' || !type) fail(index, id, 'provider', 'is required');
  if (!(OIDC_PROVIDER_TYPES as readonly string[]).includes(type)) {
    fail(index, id, 'provider', KRATOS_ONLY_TYPES.includes(type) ? `"${type}" is a Kratos provider not built here (built: ${OIDC_PROVIDER_TYPES.join(', ')}; "generic" serves any OpenID provider)` : `must be one of ${OIDC_PROVIDER_TYPES.join(', ')}, got "${type}"`);
  }
  const provider = type as OidcProviderType;
  const clientId = optionalString(entry, 'client_id', index);
  if (!clientId) fail(index, id, 'client_id', 'is required');
  const mapperUrl = optionalString(entry, 'mapper_url', index);
  if (!mapperUrl) fail(index, id, 'mapper_url', 'is required (a Jsonnet mapper from claims to traits)');
  checkMapperUrl(mapperUrl, index, id);
  if (entry.organization_id) fail(index, id, 'organization_id', 'is not supported (organizations are not built)');
  const config: OidcProviderConfig = {
    id,
    provider,
    label: optionalString(entry, 'label', index),
    clientId,
    clientSecret: optionalString(entry, 'client_secret', index),
    issuerUrl: optionalString(entry, 'issuer_url', index),
    authUrl: optionalString(entry, 'auth_url', index),
    tokenUrl: optionalString(entry, 'token_url', index),
    apiUrl: optionalString(entry, 'api_url', index),
    mapperUrl,
    scope: stringList(entry, 'scope', index),
    claimsSource: choice(entry, 'claims_source', index, ['id_token', 'userinfo'] as const, 'id_token'),
    pkce: choice(entry, 'pkce', index, ['auto', 'never', 'force'] as const, 'auto'),
    additionalIdTokenAudiences: stringList(entry, 'additional_id_token_audiences', index),
    microsoftTenant: optionalString(entry, 'microsoft_tenant', index),
    appleTeamId: optionalString(entry, 'apple_team_id', index),
    applePrivateKeyId: optionalString(entry, 'apple_private_key_id', index),
    applePrivateKey: optionalString(entry, 'apple_private_key', index),
  };
  const subjectSource = optionalString(entry, 'subject_source', index);
  if (subjectSource !== undefined) {
    if (!['me', 'userinfo', 'oid'].includes(subjectSource)) fail(index, id, 'subject_source', `must be me, userinfo or oid, got "${subjectSource}"`);
    config.subjectSource = subjectSource as OidcProviderConfig['subjectSource'];
  }
  const claims = entry.requested_claims;
  if (claims !== undefined && claims !== null) {
    const parsed = typeof claims === 'string' ? safeJson(claims) : claims;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) fail(index, id, 'requested_claims', 'must be a JSON object (OpenID Connect claims request)');
    config.requestedClaims = parsed as Record<string, unknown>;
  }
  for (const key of ['issuer_url', 'auth_url', 'token_url', 'api_url'] as const) {
    const value = entry[key];
    if (typeof value === 'string' && value && !isHttpUrl(value)) fail(index, id, key, `must be an http(s) URL, got "${value.slice(0, 60)}"`);
  }
  if (provider === 'generic' && !config.issuerUrl) fail(index, id, 'issuer_url', 'is required for a generic provider (its discovery document is read from there)');
  if (provider === 'microsoft' && !config.microsoftTenant) fail(index, id, 'microsoft_tenant', 'is required for microsoft (common, organizations, consumers or a tenant id)');
  if (provider === 'apple') {
    const keyed = [config.appleTeamId, config.applePrivateKeyId].filter(Boolean).length;
    // The key itself (or a client secret made from it) may come from CLIENT_SECRETS, checked when it is read.
    if (keyed === 1) fail(index, id, 'apple_team_id', 'and apple_private_key_id go together (with apple_private_key, here or in CLIENT_SECRETS)');
    if (config.applePrivateKey && !config.applePrivateKey.includes('PRIVATE KEY')) fail(index, id, 'apple_private_key', 'must be a PEM private key (the .p8 file Apple gives)');
  }
  return config;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const clientSecretsVariable = 'SELFSERVICE_METHODS_OIDC_CONFIG_CLIENT_SECRETS';

/** `{"<provider id>": "<secret>"}`; Apple's entry may be its PEM key (then the client secret is made from it). */
function readClientSecrets(env: Env, providers: OidcProviderConfig[]): Record<string, string> {
  const raw = readOptionalString(env, 'SELFSERVICE_METHODS_OIDC_CONFIG_CLIENT_SECRETS');
  if (raw === undefined) return {};
  const parsed = safeJson(raw);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ConfigError(`${clientSecretsVariable} must be a JSON object of client secrets by provider id`);
  const secrets: Record<string, string> = {};
  for (const [id, value] of Object.entries(parsed)) {
    const provider = providers.find((p) => p.id === id);
    if (!provider) throw new ConfigError(`${clientSecretsVariable}: "${id}" is not a configured provider (${VARIABLE})`);
    if (typeof value !== 'string' || !value) throw new ConfigError(`${clientSecretsVariable}: "${id}" must be a non-empty string`);
    if (provider.provider === 'apple' && value.includes('PRIVATE KEY')) provider.applePrivateKey = value;
    else secrets[id] = value;
  }
  return secrets;
}

export function loadOidcConfig(env: Env, publicBaseUrl: string): OidcConfig {
  const raw = readOptionalString(env, VARIABLE);
  let list: unknown = [];
  if (raw !== undefined) {
    list = safeJson(raw);
    if (!Array.isArray(list)) throw new ConfigError(`${VARIABLE} must be a JSON list of providers (Kratos's selfservice.methods.oidc.config.providers)`);
  }
  const providers = (list as unknown[]).map(readProvider);
  const seen = new Set<string>();
  for (const provider of providers) {
    if (seen.has(provider.id)) throw new ConfigError(`${VARIABLE}: provider "${provider.id}" is listed twice`);
    seen.add(provider.id);
  }
  const base = readOptionalString(env, 'SELFSERVICE_METHODS_OIDC_CONFIG_BASE_REDIRECT_URI');
  if (base !== undefined && !isHttpUrl(base)) throw new ConfigError(`SELFSERVICE_METHODS_OIDC_CONFIG_BASE_REDIRECT_URI must be an http(s) URL, got "${base}"`);
  const clientSecrets = readClientSecrets(env, providers);
  return { baseRedirectUri: (base ?? publicBaseUrl).replace(/\/+$/, ''), providers, clientSecrets };
}

/** Where provider `id` sends its users back (the redirect URI to register with the provider). */
export const callbackUrlOf = (config: OidcConfig, id: string) => `${config.baseRedirectUri}/self-service/methods/oidc/callback/${id}`;
