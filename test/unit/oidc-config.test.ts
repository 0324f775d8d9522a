/** Social sign-in's configuration: Kratos's provider keys, each mistake named by provider and key. */
import { ConfigError } from '../../lib/config/env.js';
import { loadCipherSecrets } from '../../lib/config/cipher.js';
import { callbackUrlOf, loadOidcConfig } from '../../lib/config/oidc.js';
import { createTokenCipher } from '../../lib/identity/cipher.js';
import { createMapper } from '../../lib/strategies/oidc/mapper.js';
import { readLaunchSettings } from '../../scripts/launch-settings.js';

const BASE = 'https://id.example.com';
const MAPPER = 'base64://bG9jYWwgYyA9IDE7IHt9';
const load = (providers: unknown, extra: Record<string, string> = {}) =>
  loadOidcConfig({ SELFSERVICE_METHODS_OIDC_CONFIG_PROVIDERS: JSON.stringify(providers), ...extra }, BASE);
const refusal = (providers: unknown, extra: Record<string, string> = {}) => {
  try {
    load(providers, extra);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('SELFSERVICE_METHODS_OIDC_CONFIG_PROVIDERS', () => {
  it("reads Kratos's keys, with Kratos's defaults, and the callback URL to register", () => {
    const config = load([{ id: 'google', provider: 'google', client_id: 'abc', mapper_url: MAPPER, scope: ['email'], requested_claims: '{"id_token":{"email":null}}' }]);
    expect(config.providers).toEqual([
      expect.objectContaining({ id: 'google', provider: 'google', clientId: 'abc', mapperUrl: MAPPER, scope: ['email'], claimsSource: 'id_token', pkce: 'auto', additionalIdTokenAudiences: [], requestedClaims: { id_token: { email: null } } }),
    ]);
    expect(callbackUrlOf(config, 'google')).toBe(`${BASE}/self-service/methods/oidc/callback/google`);
    const based = loadOidcConfig({ SELFSERVICE_METHODS_OIDC_CONFIG_BASE_REDIRECT_URI: 'https://auth.example.com/', SELFSERVICE_METHODS_OIDC_CONFIG_PROVIDERS: '[]' }, BASE);
    expect(callbackUrlOf(based, 'x')).toBe('https://auth.example.com/self-service/methods/oidc/callback/x');
    expect(loadOidcConfig({}, BASE)).toEqual({ baseRedirectUri: BASE, providers: [], clientSecrets: {} });
  });

  it.each([
    [[{ provider: 'google', client_id: 'a', mapper_url: MAPPER }], 'provider #0: id '],
    [[{ id: 'g', provider: 'google', mapper_url: MAPPER }], 'provider "g": client_id is required'],
    [[{ id: 'g', provider: 'google', client_id: 'a' }], 'provider "g": mapper_url is required'],
    [[{ id: 'g', provider: 'google', client_id: 'a', mapper_url: 'local claims = 1; {}' }], 'provider "g": mapper_url must be a file://, base64:// or http(s):// URL'],
    [[{ id: 'g', provider: 'gitlab', client_id: 'a', mapper_url: MAPPER }], 'provider "g": provider "gitlab" is a Kratos provider not built here'],
    [[{ id: 'g', provider: 'myspace', client_id: 'a', mapper_url: MAPPER }], 'provider "g": provider must be one of generic, google, apple, microsoft, github'],
    [[{ id: 'g', provider: 'generic', client_id: 'a', mapper_url: MAPPER }], 'provider "g": issuer_url is required for a generic provider'],
    [[{ id: 'm', provider: 'microsoft', client_id: 'a', mapper_url: MAPPER }], 'provider "m": microsoft_tenant is required'],
    [[{ id: 'g', provider: 'google', client_id: 'a', mapper_url: MAPPER, pkce: 'sometimes' }], 'provider "g": pkce must be one of auto, never, force'],
    [[{ id: 'g', provider: 'google', client_id: 'a', mapper_url: MAPPER, scopes: ['email'] }], 'provider "g": scopes is not a provider key Kratos knows'],
    [[{ id: 'g', provider: 'google', client_id: 'a', mapper_url: MAPPER }, { id: 'g', provider: 'google', client_id: 'b', mapper_url: MAPPER }], 'provider "g" is listed twice'],
  ])('refuses %j naming the provider and the key', (providers, message) => {
    expect(refusal(providers)).toContain(message);
  });

  it('refuses what is not a JSON list', () => {
    expect(() => loadOidcConfig({ SELFSERVICE_METHODS_OIDC_CONFIG_PROVIDERS: '{"id":"g"}' }, BASE)).toThrow(/must be a JSON list of providers/);
  });

  it('takes client secrets by provider id from SELFSERVICE_METHODS_OIDC_CONFIG_CLIENT_SECRETS (an Apple .p8 key as its key)', () => {
    const providers = [
      { id: 'g', provider: 'google', client_id: 'a', mapper_url: MAPPER },
      { id: 'apple', provider: 'apple', client_id: 'com.example', mapper_url: MAPPER, apple_team_id: 'TEAM', apple_private_key_id: 'KEY' },
    ];
    const pem = '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----';
    const config = load(providers, { SELFSERVICE_METHODS_OIDC_CONFIG_CLIENT_SECRETS: JSON.stringify({ g: 'secret', apple: pem }) });
    expect(config.clientSecrets).toEqual({ g: 'secret' });
    expect(config.providers[1].applePrivateKey).toBe(pem);
    expect(refusal(providers, { SELFSERVICE_METHODS_OIDC_CONFIG_CLIENT_SECRETS: '{"nope":"x"}' })).toContain('"nope" is not a configured provider');
    expect(refusal(providers, { SELFSERVICE_METHODS_OIDC_CONFIG_CLIENT_SECRETS: '["x"]' })).toContain('must be a JSON object');
    expect(refusal([{ id: 'apple', provider: 'apple', client_id: 'c', mapper_url: MAPPER, apple_team_id: 'TEAM' }])).toContain('apple_team_id and apple_private_key_id go together');
  });
});

describe('npm start with social sign-in', () => {
  it('names a provider whose file:// mapper is missing, and takes one that is there', () => {
    const env = (mapper: string) => ({
      SELFSERVICE_METHODS_OIDC_ENABLED: 'true',
      SELFSERVICE_METHODS_OIDC_CONFIG_PROVIDERS: JSON.stringify([{ id: 'g', provider: 'google', client_id: 'a', mapper_url: mapper }]),
    });
    expect(() => readLaunchSettings(env('file://nowhere/mapper.jsonnet'))).toThrow('provider "g": mapper_url file://nowhere/mapper.jsonnet names no file');
    expect(readLaunchSettings(env('file://package.json')).functionEnv).toBeDefined();
  });
});

describe('the example mapper (kratos/oidc.mapper.jsonnet)', () => {
  it('maps the e-mail and name, and verifies the e-mail only when the provider vouches for it', async () => {
    const map = createMapper('example', 'file://kratos/oidc.mapper.jsonnet');
    await expect(map({ iss: 'x', sub: '1', email: 'Ada@Example.com', email_verified: true, given_name: 'Ada', family_name: 'Lovelace' })).resolves.toEqual({
      traits: { email: 'Ada@Example.com', name: { first: 'Ada', last: 'Lovelace' } },
      verifiedAddresses: [{ via: 'email', value: 'ada@example.com' }],
    });
    await expect(map({ iss: 'x', sub: '2', email: 'b@example.com' })).resolves.toEqual({ traits: { email: 'b@example.com' }, verifiedAddresses: [] });
    await expect(map({ iss: 'x', sub: '3' })).resolves.toEqual({ traits: {}, verifiedAddresses: [] });
  });
});

describe('SECRETS_CIPHER', () => {
  it('takes secrets of exactly 32 bytes, encrypts with the first and decrypts with any (rotation)', () => {
    expect(loadCipherSecrets({})).toEqual([]);
    expect(() => loadCipherSecrets({ SECRETS_CIPHER: 'too-short' })).toThrow('SECRETS_CIPHER must be secrets of exactly 32 characters');
    const [older, newer] = ['an-older-32-byte-key-0123456789!', 'a-newer-32-byte-key-0123456789!!'];
    expect(loadCipherSecrets({ SECRETS_CIPHER: `${newer},${older}` })).toEqual([newer, older]);
    const sealed = createTokenCipher([older])!.encrypt('an id token');
    expect(sealed).not.toContain('an id token');
    expect(createTokenCipher([newer, older])!.decrypt(sealed)).toBe('an id token');
    expect(createTokenCipher([newer])!.decrypt(sealed)).toBeUndefined();
    expect(createTokenCipher([])).toBeUndefined();
  });
});
