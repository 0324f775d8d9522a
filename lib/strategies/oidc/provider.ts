/**
 * One configured provider, as the oidc strategy talks to it: where to send the browser, how to turn the callback's
 * code into verified claims, and how to verify a native app's ID token. Built on oauth4webapi (discovery, the
 * authorization code grant with PKCE, the token response's checks: issuer, audience, nonce, expiry) and jose (the ID
 * token's signature against the provider's JWKS, which oauth4webapi leaves out for the code flow); every HTTP call goes
 * through the traced fetch (a client span each, no secret in any attribute).
 *
 * Per type, as Kratos configures them (`selfservice/strategy/oidc/provider_*.go`): `generic` discovers from its
 * `issuer_url`; `google`, `apple` and `microsoft` have their issuers (an `issuer_url` overrides, e.g. a test provider);
 * `github` is OAuth2 with its REST API for the profile and the verified e-mail.
 */
import * as oauth from 'oauth4webapi';
import { createRemoteJWKSet, customFetch, decodeJwt, importPKCS8, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import type { OidcProviderConfig } from '../../config/oidc.js';
import type { FetchLike } from '../../tracing/http-client.js';

/** What a provider says about its user, as Kratos hands it to the mapper (`std.extVar('claims')`). */
export type Claims = Record<string, unknown> & { iss: string; sub: string };

/** What the token endpoint gave (Kratos keeps them, encrypted, as the link's initial tokens). */
export interface ProviderTokens {
  idToken?: string;
  accessToken?: string;
  refreshToken?: string;
}

/** A provider refusing, or answering what cannot be used: the callback fails the flow with this reason. */
export class ProviderError extends Error {
  override name = 'ProviderError';
  constructor(
    message: string,
    /** 400: the request (the user's, the callback's) was refused; 502: the provider answered something unusable. */
    readonly status: 400 | 502 = 502,
  ) {
    super(message);
  }
}

export interface AuthorizationRequest {
  state: string;
  nonce: string;
  redirectUri: string;
  /** S256 challenge, when the provider uses PKCE. */
  codeChallenge?: string;
  /** What the submit forwarded (Kratos forwards only hd, prompt, auth_type, acr_values). */
  upstream?: Record<string, string>;
}

export interface ProviderClient {
  readonly config: OidcProviderConfig;
  /** The label on its button: `label`, else its id (as Kratos). */
  readonly label: string;
  /** Whether this provider gets PKCE: `force`, or `auto` when its metadata lists S256. */
  usesPkce(): Promise<boolean>;
  authorizationUrl(request: AuthorizationRequest): Promise<string>;
  /** The callback's code, exchanged and its ID token (or profile) verified: the user's claims. */
  exchange(callback: URLSearchParams, request: { state: string; redirectUri: string; nonce: string; codeVerifier?: string; clientSecret?: string }): Promise<{ claims: Claims; tokens: ProviderTokens }>;
  /** A native app's ID token (Google, Apple): signature, issuer, audience, expiry and nonce checked. */
  verifyIdToken(idToken: string, nonce: string | undefined): Promise<Claims>;
}

const GOOGLE_ISSUER = 'https://accounts.google.com';
const APPLE_ISSUER = 'https://appleid.apple.com';
const GITHUB = { authorization_endpoint: 'https://github.com/login/oauth/authorize', token_endpoint: 'https://github.com/login/oauth/access_token', api: 'https://api.github.com' };
const MULTI_TENANT = new Set(['common', 'organizations', 'consumers']);
/** Kratos forwards these of a submit's `upstream_parameters`, and no others (`oidc/provider.go`). */
export const UPSTREAM_PARAMETERS = ['hd', 'prompt', 'auth_type', 'acr_values'] as const;
/** The claims Kratos passes to the mapper, in its order (`oidc/provider.go`'s Claims); `raw_claims` holds them all. */
const MAPPED_CLAIMS = [
  'iss', 'sub', 'oid', 'name', 'given_name', 'family_name', 'last_name', 'middle_name', 'nickname', 'preferred_username', 'profile', 'picture',
  'website', 'email', 'email_verified', 'gender', 'birthdate', 'zoneinfo', 'locale', 'phone_number', 'phone_number_verified', 'updated_at', 'hd', 'team',
  'nonce', 'nonce_supported', 'acr', 'amr',
];

/** Plain http is for a provider on this machine (a test's, a local one); anywhere else it is refused. */
const isLoopback = (url: string) => {
  const { protocol, hostname } = new URL(url);
  return protocol === 'http:' && (hostname === 'localhost' || hostname === '127.0.0.1' || hostname === '[::1]');
};

/** The claims as Kratos maps them: its fields (false and empty ones left out), and everything the provider said as raw_claims. */
export function mapperClaims(raw: Record<string, unknown>): Claims {
  const claims: Record<string, unknown> = {};
  for (const name of MAPPED_CLAIMS) {
    const value = raw[name];
    if (value === undefined || value === null || value === false || value === '') continue;
    claims[name] = value;
  }
  claims.raw_claims = raw;
  return claims as Claims;
}

/** Apple's client secret: an ES256 JWT signed with the team's key, valid for a day here (Apple allows six months). */
export async function appleClientSecret(config: OidcProviderConfig, privateKey: string): Promise<string> {
  const key = await importPKCS8(privateKey, 'ES256');
  return new SignJWT({})
    .setProtectedHeader({ alg: 'ES256', kid: config.applePrivateKeyId })
    .setIssuer(config.appleTeamId!)
    .setSubject(config.clientId)
    .setAudience(APPLE_ISSUER)
    .setIssuedAt()
    .setExpirationTime('1d')
    .sign(key);
}

export function createProviderClient(config: OidcProviderConfig, fetcher: FetchLike): ProviderClient {
  const label = config.label ?? config.id;
  const http = { [oauth.customFetch]: fetcher as typeof fetch };
  const client: oauth.Client = { client_id: config.clientId };
  const audiences = [config.clientId, ...config.additionalIdTokenAudiences];

  const issuer = (): string | undefined => {
    switch (config.provider) {
      case 'generic':
        return config.issuerUrl!;
      case 'google':
        return config.issuerUrl ?? GOOGLE_ISSUER;
      case 'apple':
        return config.issuerUrl ?? APPLE_ISSUER;
      case 'microsoft':
        return config.issuerUrl ?? `https://login.microsoftonline.com/${config.microsoftTenant}/v2.0`;
      case 'github':
        return undefined;
    }
  };

  // The provider's metadata, read once per cold start (a failed read is retried by the next request).
  let metadata: Promise<oauth.AuthorizationServer> | undefined;
  const server = (): Promise<oauth.AuthorizationServer> => {
    metadata ??= discover().catch((error: unknown) => {
      metadata = undefined;
      throw error;
    });
    return metadata;
  };
  async function discover(): Promise<oauth.AuthorizationServer> {
    const url = issuer();
    if (!url) {
      const github = { issuer: 'https://github.com', ...GITHUB };
      return { ...github, authorization_endpoint: config.authUrl ?? github.authorization_endpoint, token_endpoint: config.tokenUrl ?? github.token_endpoint };
    }
    const issuerUrl = new URL(url);
    let found: oauth.AuthorizationServer;
    try {
      const response = await oauth.discoveryRequest(issuerUrl, { ...http, [oauth.allowInsecureRequests]: isLoopback(url) });
      // Microsoft's multi-tenant documents name the issuer with a `{tenantid}` placeholder: taken as it is, checked per token.
      found = config.provider === 'microsoft' && MULTI_TENANT.has(config.microsoftTenant ?? '')
        ? ((await response.json()) as oauth.AuthorizationServer)
        : await oauth.processDiscoveryResponse(issuerUrl, response);
    } catch (error) {
      throw new ProviderError(`The discovery document of provider "${config.id}" could not be read: ${reasonOf(error)}`);
    }
    return { ...found, ...(config.authUrl ? { authorization_endpoint: config.authUrl } : {}), ...(config.tokenUrl ? { token_endpoint: config.tokenUrl } : {}) };
  }

  let keys: ReturnType<typeof createRemoteJWKSet> | undefined;
  const jwks = async () => {
    if (keys) return keys;
    const as = await server();
    if (!as.jwks_uri) throw new ProviderError(`Provider "${config.id}" publishes no jwks_uri`);
    keys = createRemoteJWKSet(new URL(as.jwks_uri), { [customFetch]: fetcher as typeof fetch });
    return keys;
  };

  /** The issuer a token of this provider must carry (Microsoft's multi-tenant: the token's own tenant's). */
  const expectedIssuer = (as: oauth.AuthorizationServer, token: JWTPayload): string => {
    if (config.provider === 'microsoft' && MULTI_TENANT.has(config.microsoftTenant ?? '')) {
      const tid = typeof token.tid === 'string' && /^[0-9a-f-]{36}$/i.test(token.tid) ? token.tid : undefined;
      if (!tid) throw new ProviderError('The ID token names no tenant (tid)', 400);
      return as.issuer.replace('{tenantid}', tid);
    }
    return as.issuer;
  };

  /** Signature (JWKS), issuer, audience and expiry; the nonce when one is expected. */
  async function verify(idToken: string, nonce: string | undefined, requireNonce: boolean): Promise<Claims> {
    const as = await server();
    let unverified: JWTPayload;
    try {
      unverified = decodeJwt(idToken);
    } catch {
      throw new ProviderError('The ID token is not a JWT', 400);
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(idToken, await jwks(), { issuer: expectedIssuer(as, unverified), audience: audiences, clockTolerance: 30 }));
    } catch (error) {
      if (error instanceof ProviderError) throw error;
      throw new ProviderError(`The ID token could not be verified: ${reasonOf(error)}`, 400);
    }
    if (typeof payload.sub !== 'string' || !payload.sub) throw new ProviderError('The ID token names no subject (sub)');
    // A nonce the flow sent must come back; one the token carries binds it to the app's request: the app must send the
    // same (Kratos: byte for byte).
    if ((requireNonce || payload.nonce !== undefined) && (typeof payload.nonce !== 'string' || payload.nonce !== nonce)) {
      throw new ProviderError('The ID token\'s nonce does not match', 400);
    }
    return payload as Claims;
  }

  async function githubClaims(accessToken: string): Promise<Claims> {
    const api = (config.apiUrl ?? GITHUB.api).replace(/\/+$/, '');
    const get = async (path: string) => {
      const response = await fetcher(`${api}${path}`, { headers: { authorization: `Bearer ${accessToken}`, accept: 'application/vnd.github+json', 'user-agent': 'kratos-lambda' } });
      if (!response.ok) throw new ProviderError(`GitHub's ${path} answered HTTP ${response.status}`);
      return response.json() as Promise<unknown>;
    };
    const user = (await get('/user')) as Record<string, unknown>;
    if (typeof user.id !== 'number' && typeof user.id !== 'string') throw new ProviderError('GitHub\'s /user named no id');
    // Kratos takes the primary verified address (and with the user:email scope, reads the list for it).
    let email: string | undefined;
    let verified = false;
    if (config.scope.includes('user:email')) {
      const emails = (await get('/user/emails')) as { email?: string; primary?: boolean; verified?: boolean }[];
      const primary = Array.isArray(emails) ? emails.find((e) => e.primary && e.verified) : undefined;
      if (primary?.email) {
        email = primary.email;
        verified = true;
      }
    }
    return mapperClaims({
      iss: `${api}/user`,
      sub: String(user.id),
      name: user.name,
      nickname: user.login,
      preferred_username: user.login,
      picture: user.avatar_url,
      profile: user.html_url,
      website: user.blog,
      email,
      email_verified: verified,
    });
  }

  return {
    config,
    label,

    async usesPkce() {
      if (config.pkce === 'force') return true;
      if (config.pkce === 'never' || config.provider === 'github') return false;
      const as = await server();
      return as.code_challenge_methods_supported?.includes('S256') ?? false;
    },

    async authorizationUrl(request) {
      const as = await server();
      if (!as.authorization_endpoint) throw new ProviderError(`Provider "${config.id}" publishes no authorization_endpoint`);
      const url = new URL(as.authorization_endpoint);
      const scope = config.provider === 'github' ? config.scope : [...new Set(['openid', ...config.scope])];
      url.searchParams.set('client_id', config.clientId);
      url.searchParams.set('response_type', 'code');
      url.searchParams.set('redirect_uri', request.redirectUri);
      url.searchParams.set('scope', scope.join(' '));
      url.searchParams.set('state', request.state);
      if (config.provider !== 'github') url.searchParams.set('nonce', request.nonce);
      if (request.codeChallenge) {
        url.searchParams.set('code_challenge', request.codeChallenge);
        url.searchParams.set('code_challenge_method', 'S256');
      }
      if (config.requestedClaims) url.searchParams.set('claims', JSON.stringify(config.requestedClaims));
      // Apple sends the name and e-mail scopes' answers only as a form post.
      if (config.provider === 'apple' && scope.some((s) => s === 'name' || s === 'email')) url.searchParams.set('response_mode', 'form_post');
      for (const [name, value] of Object.entries(request.upstream ?? {})) url.searchParams.set(name, value);
      return url.toString();
    },

    async exchange(callback, request) {
      const as = await server();
      let secret = request.clientSecret ?? config.clientSecret;
      if (config.provider === 'apple' && !secret) {
        if (!config.applePrivateKey) throw new ProviderError(`Provider "${config.id}" has neither a client_secret nor an apple_private_key`);
        secret = await appleClientSecret(config, config.applePrivateKey);
      }
      if (!secret) throw new ProviderError(`Provider "${config.id}" has no client_secret (in its configuration or in SELFSERVICE_METHODS_OIDC_CONFIG_CLIENT_SECRETS)`);
      const auth = config.provider === 'github' || config.provider === 'apple' ? oauth.ClientSecretPost(secret) : oauth.ClientSecretBasic(secret);
      const options = { ...http, [oauth.allowInsecureRequests]: as.token_endpoint ? isLoopback(as.token_endpoint) : false };
      let tokens: oauth.TokenEndpointResponse;
      try {
        // The state (checked by the callback already) and, where the provider sends it, `iss` (RFC 9207: the answer
        // comes from this provider, not another one the browser was sent to).
        const validated = oauth.validateAuthResponse(as, client, callback, request.state);
        const response = await oauth.authorizationCodeGrantRequest(as, client, auth, validated, request.redirectUri, request.codeVerifier ?? oauth.nopkce, options);
        if (config.provider === 'github') {
          tokens = await oauth.processAuthorizationCodeResponse(as, client, response, { requireIdToken: false });
        } else {
          // Microsoft's multi-tenant tokens carry their tenant's issuer: the token's `tid` names which (checked again
          // with the signature below).
          let tokenIssuer = as;
          if (config.provider === 'microsoft' && MULTI_TENANT.has(config.microsoftTenant ?? '')) {
            const body = (await response.clone().json().catch(() => ({}))) as { id_token?: unknown };
            if (typeof body.id_token === 'string') tokenIssuer = { ...as, issuer: expectedIssuer(as, decodeJwt(body.id_token)) };
          }
          tokens = await oauth.processAuthorizationCodeResponse(tokenIssuer, client, response, { expectedNonce: request.nonce, requireIdToken: true });
        }
      } catch (error) {
        if (error instanceof ProviderError) throw error;
        if (error instanceof oauth.AuthorizationResponseError) throw new ProviderError(`The provider refused: ${error.error}`, 400);
        if (error instanceof oauth.OperationProcessingError && error.code === oauth.JWT_CLAIM_COMPARISON) throw new ProviderError(`The ID token does not match this sign-in: ${error.message}`, 400);
        if (error instanceof oauth.ResponseBodyError) throw new ProviderError(`The provider refused the code: ${error.error}${error.error_description ? ` (${error.error_description})` : ''}`, 400);
        throw new ProviderError(`The provider's token endpoint answered something unusable: ${reasonOf(error)}`);
      }
      const kept: ProviderTokens = {
        ...(typeof tokens.id_token === 'string' ? { idToken: tokens.id_token } : {}),
        accessToken: tokens.access_token,
        ...(typeof tokens.refresh_token === 'string' ? { refreshToken: tokens.refresh_token } : {}),
      };
      if (config.provider === 'github') return { claims: await githubClaims(tokens.access_token), tokens: kept };
      if (typeof tokens.id_token !== 'string') throw new ProviderError('The provider answered without an ID token');
      const claims = await verify(tokens.id_token, request.nonce, true);
      if (config.claimsSource === 'userinfo') {
        try {
          const response = await oauth.userInfoRequest(as, client, tokens.access_token, options);
          const info = await oauth.processUserInfoResponse(as, client, claims.sub, response);
          return { claims: mapperClaims({ ...info, iss: claims.iss, sub: claims.sub }), tokens: kept };
        } catch (error) {
          throw new ProviderError(`The provider's userinfo endpoint answered something unusable: ${reasonOf(error)}`);
        }
      }
      return { claims: mapperClaims(claims), tokens: kept };
    },

    async verifyIdToken(idToken, nonce) {
      if (config.provider !== 'google' && config.provider !== 'apple') {
        throw new ProviderError(`The provider "${config.id}" does not support id_token verification`, 400);
      }
      return mapperClaims(await verify(idToken, nonce, false));
    },
  };
}

function reasonOf(error: unknown): string {
  const { message, cause } = (error ?? {}) as { message?: string; cause?: { message?: string; code?: string } };
  return cause?.message ? `${message}: ${cause.code ?? ''} ${cause.message}`.trim() : (message ?? String(error));
}
