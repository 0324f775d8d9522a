/**
 * A real OpenID provider for the tests: `oidc-provider` (the certified Node implementation) on a free port, with one
 * confidential client (ours) and one public client (a native app), and interactions answered by the test instead of
 * login pages: whoever the test names with `signInAs` is signed in and consents. A small cookie-keeping user agent
 * walks its redirects the way a browser does, up to the URL where the provider sends the browser back to us.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import * as oauth from 'oauth4webapi';
import Provider from 'oidc-provider';

export interface TestAccount {
  sub: string;
  email?: string;
  email_verified?: boolean;
  name?: string;
  given_name?: string;
}

/**
 * The tests' claims mapper, as a `mapper_url`: the e-mail as the trait, verified when the provider says so, the name as
 * public metadata.
 */
export const TEST_MAPPER_URL = `base64://${Buffer.from(`
local claims = std.extVar('claims');
{
  identity: {
    traits: { [if 'email' in claims then 'email' else null]: claims.email },
    verified_addresses: std.prune([
      if 'email' in claims && std.objectHas(claims, 'email_verified') && claims.email_verified then { via: 'email', value: claims.email },
    ]),
    metadata_public: { [if 'name' in claims then 'name' else null]: claims.name },
  },
}`).toString('base64')}`;

export const CLIENT_ID = 'kratos-lambda';
export const CLIENT_SECRET = 'a-client-secret-for-tests-only-0123456789';
export const NATIVE_CLIENT_ID = 'native-app';
const NATIVE_REDIRECT = 'http://127.0.0.1/native-callback';

export interface TestProvider {
  issuer: string;
  /** Who the next sign-in at the provider is (until changed). */
  signInAs(account: TestAccount): void;
  /** What the provider does at the next sign-in: sign in (default), or refuse it as a user cancelling would. */
  nextInteraction(outcome: 'sign-in' | 'access_denied'): void;
  /**
   * Follows the provider's redirects from `url` (the authorization request we made) the way a browser does, and
   * returns the URL it is finally sent to (our callback's, with code and state).
   */
  authorize(url: string): Promise<URL>;
  /** Where `authorize` last ended (the callback URL with its code). */
  lastCallback(): string | undefined;
  /** An ID token the provider issues to the native app for `account`, with `nonce` (a real code flow, PKCE). */
  nativeIdToken(account: TestAccount, nonce?: string): Promise<string>;
  close(): Promise<void>;
}

export async function startTestProvider(redirectUris: string[]): Promise<TestProvider> {
  let current: TestAccount = { sub: 'nobody' };
  let outcome: 'sign-in' | 'access_denied' = 'sign-in';
  let last: string | undefined;
  const accounts = new Map<string, TestAccount>();
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };

  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // Its one warning (the in-memory store, which is what a test wants) would only be noise in the test output.
  const warn = console.warn;
  console.warn = () => {};
  const provider = new Provider(issuer, {
    clients: [
      { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: redirectUris, grant_types: ['authorization_code'], response_types: ['code'] },
      { client_id: NATIVE_CLIENT_ID, token_endpoint_auth_method: 'none', redirect_uris: [NATIVE_REDIRECT], grant_types: ['authorization_code'], response_types: ['code'] },
    ],
    jwks: { keys: [jwk] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'given_name'] },
    // Kratos reads the claims from the ID token by default: the provider puts them there.
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    findAccount: (_ctx: unknown, id: string) => {
      const account = accounts.get(id) ?? { sub: id };
      return { accountId: id, claims: () => ({ ...account, sub: id }) };
    },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    cookies: { keys: ['test-cookie-key-0123456789'] },
    ttl: { AccessToken: 600, AuthorizationCode: 60, Grant: 3600, IdToken: 600, Interaction: 600, Session: 3600 },
  });
  console.warn = warn;
  provider.proxy = false;
  const callback = provider.callback();

  server.on('request', (req, res) => {
    if (!req.url?.startsWith('/interaction/')) return void callback(req, res);
    void (async () => {
      try {
        const details = await provider.interactionDetails(req, res);
        if (outcome === 'access_denied') {
          outcome = 'sign-in';
          await provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'The user cancelled' }, { mergeWithLastSubmission: false });
          return;
        }
        accounts.set(current.sub, current);
        const { prompt, params } = details;
        if (prompt.name === 'login') {
          await provider.interactionFinished(req, res, { login: { accountId: current.sub } }, { mergeWithLastSubmission: false });
          return;
        }
        const grant = new provider.Grant({ accountId: current.sub, clientId: String(params.client_id) });
        grant.addOIDCScope(String(params.scope));
        const grantId = await grant.save();
        await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
      } catch (error) {
        res.statusCode = 500;
        res.end(String(error));
      }
    })();
  });

  /** A browser's cookies for the provider (one host), and its redirects followed until they leave the provider. */
  async function authorize(url: string): Promise<URL> {
    const jar = new Map<string, string>();
    let next = new URL(url);
    for (let hop = 0; hop < 20; hop++) {
      if (next.origin !== issuer) {
        last = next.toString();
        return next;
      }
      const response = await fetch(next, { redirect: 'manual', headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } });
      for (const line of response.headers.getSetCookie()) {
        const [pair] = line.split(';');
        const eq = pair.indexOf('=');
        jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
      }
      const location = response.headers.get('location');
      if (!location) throw new Error(`the provider stopped at ${next.pathname} with HTTP ${response.status}: ${(await response.text()).slice(0, 300)}`);
      next = new URL(location, next);
    }
    throw new Error('too many redirects at the provider');
  }

  return {
    issuer,
    signInAs: (account) => void (current = account),
    nextInteraction: (what) => void (outcome = what),
    authorize,
    lastCallback: () => last,

    async nativeIdToken(account, nonce) {
      current = account;
      const as = await oauth.processDiscoveryResponse(new URL(issuer), await oauth.discoveryRequest(new URL(issuer), { [oauth.allowInsecureRequests]: true }));
      const client = { client_id: NATIVE_CLIENT_ID };
      const verifier = oauth.generateRandomCodeVerifier();
      const auth = new URL(as.authorization_endpoint!);
      auth.search = new URLSearchParams({
        client_id: NATIVE_CLIENT_ID,
        redirect_uri: NATIVE_REDIRECT,
        response_type: 'code',
        scope: 'openid email profile',
        code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        ...(nonce ? { nonce } : {}),
      }).toString();
      const back = await authorize(auth.toString());
      const params = oauth.validateAuthResponse(as, client, back, oauth.expectNoState);
      const response = await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, NATIVE_REDIRECT, verifier, { [oauth.allowInsecureRequests]: true });
      const tokens = await oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: nonce ?? oauth.expectNoNonce, requireIdToken: true });
      return tokens.id_token!;
    },

    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
