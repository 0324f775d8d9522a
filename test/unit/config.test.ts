import { loadAdminConfig } from '../../lib/config/admin.js';
import { ConfigError, loadConfig, parseDuration } from '../../lib/config/index.js';

describe('configuration from Kratos-named environment variables', () => {
  it('has Kratos defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      publicBaseUrl: 'http://127.0.0.1:4433',
      bcryptCost: 12,
      sessionLifespanMs: 24 * 3600_000,
      loginFlowLifespanMs: 3600_000,
      registrationFlowLifespanMs: 3600_000,
      minPasswordLength: 8,
      identifierSimilarityCheck: true,
      dynamodb: { endpoint: undefined, tableName: 'kratos', region: 'us-east-1' },
    });
  });

  it('reads every variable', () => {
    const config = loadConfig({
      SERVE_PUBLIC_BASE_URL: 'https://id.example.com/',
      HASHERS_BCRYPT_COST: '4',
      SESSION_LIFESPAN: '1h30m',
      SELFSERVICE_FLOWS_LOGIN_LIFESPAN: '10m',
      SELFSERVICE_FLOWS_REGISTRATION_LIFESPAN: '90s',
      SELFSERVICE_FLOWS_SETTINGS_LIFESPAN: '2h',
      SELFSERVICE_FLOWS_SETTINGS_PRIVILEGED_SESSION_MAX_AGE: '15m',
      SELFSERVICE_METHODS_PASSWORD_CONFIG_MIN_PASSWORD_LENGTH: '10',
      LOG_LEVEL: 'WARN',
      SELFSERVICE_METHODS_PASSWORD_CONFIG_IDENTIFIER_SIMILARITY_CHECK_ENABLED: 'false',
      DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000',
      DYNAMODB_TABLE_NAME: 'identities',
      AWS_REGION: 'eu-west-1',
      IDENTITY_SCHEMAS: '[{"id":"person","url":"file://schemas/person.json"},{"id":"org","url":"base64://e30=","selfservice_selectable":true}]',
      IDENTITY_DEFAULT_SCHEMA_ID: 'org',
      SESSION_WHOAMI_REQUIRED_AAL: 'aal1',
    });
    expect(config).toEqual({
      publicBaseUrl: 'https://id.example.com',
      // The TOTP issuer defaults to the public URL's host; settings keeps Kratos's default.
      aal: { whoamiRequiredAal: 'aal1', settingsRequiredAal: 'highest_available', totpIssuer: 'id.example.com' },
      bcryptCost: 4,
      sessionLifespanMs: 5400_000,
      loginFlowLifespanMs: 600_000,
      registrationFlowLifespanMs: 90_000,
      settingsFlowLifespanMs: 7200_000,
      privilegedSessionMaxAgeMs: 900_000,
      minPasswordLength: 10,
      identifierSimilarityCheck: false,
      // No provider configured: none, and providers send users back to the public base URL.
      oidc: { baseRedirectUri: 'https://id.example.com', providers: [], clientSecrets: {} },
      cipherSecrets: [],
      // Neither passkeys nor security keys on: no relying party.
      webauthn: { webauthnPasswordless: false },
      tokenizer: { templates: {} },
      logLevel: 'warn',
      tracing: expect.objectContaining({ provider: undefined, serviceName: 'kratos' }),
      browser: expect.objectContaining({ defaultReturnUrl: 'https://id.example.com/ui/welcome', sessionCookieName: 'ory_kratos_session', secureCookies: true }),
      dynamodb: { endpoint: 'http://127.0.0.1:8000', tableName: 'identities', region: 'eu-west-1' },
      courier: expect.objectContaining({ deliveryStrategy: 'smtp', ses: { region: 'eu-west-1' } }), // test/unit/courier-config.test.ts
      recovery: expect.objectContaining({ recoveryEnabled: false, verificationEnabled: false }),
      loginThrottle: { maxAttempts: 10, identifierMaxAttempts: 100, windowMs: 900_000, lockoutMs: 900_000, perIpMaxAttempts: 100, deviceCookieLifespanMs: 2160 * 3_600_000 },
      trustedProxies: [],
      breachCheck: expect.objectContaining({ enabled: true }), // test/unit/breached-passwords.test.ts
      selfservice: expect.objectContaining({ enabledMethods: ['password', 'profile', 'code'] }), // test/unit/selfservice-config.test.ts
      identity: {
        defaultSchemaId: 'org',
        schemas: [
          { id: 'person', url: 'file://schemas/person.json', selfserviceSelectable: false },
          { id: 'org', url: 'base64://e30=', selfserviceSelectable: true },
        ],
      },
    });
  });

  it.each([
    ['HASHERS_BCRYPT_COST', '3'],
    ['HASHERS_BCRYPT_COST', '12abc'],
    ['SESSION_LIFESPAN', '24 hours'],
    ['SESSION_LIFESPAN', '0s'],
    ['SERVE_PUBLIC_BASE_URL', 'not a url'],
    ['SERVE_PUBLIC_BASE_URL', 'ftp://example.com'],
    ['SELFSERVICE_METHODS_PASSWORD_CONFIG_IDENTIFIER_SIMILARITY_CHECK_ENABLED', 'maybe'],
    ['DYNAMODB_TABLE_NAME', 'a b'],
    ['DYNAMODB_ENDPOINT', 'localhost:8000'],
    ['SELFSERVICE_FLOWS_SETTINGS_PRIVILEGED_SESSION_MAX_AGE', '-1h'],
    ['LOG_LEVEL', 'loud'],
    ['SESSION_WHOAMI_REQUIRED_AAL', 'aal3'],
    ['SELFSERVICE_FLOWS_SETTINGS_REQUIRED_AAL', 'highest'],
    ['TRACING_PROVIDER', 'bogus'],
    ['TRACING_PROVIDERS_OTLP_SERVER_URL', 'not a host'],
    ['IDENTITY_SCHEMAS', 'file://schema.json'],
    ['IDENTITY_SCHEMAS', '[{"id":"a","url":"ftp://example.com/a.json"}]'],
    ['IDENTITY_SCHEMAS', '[{"id":"a","url":"file://a.json"},{"id":"a","url":"file://b.json"}]'],
    ['IDENTITY_DEFAULT_SCHEMA_ID', 'customer'],
    ['SELFSERVICE_METHODS_TOTP_ENABLED', 'maybe'],
    ['SERVE_PUBLIC_TRUSTED_PROXIES', '10.0.0.0/33'],
    ['SERVE_PUBLIC_TRUSTED_PROXIES', 'proxy.example.com'],
    ['SELFSERVICE_FLOWS_REGISTRATION_AFTER_HOOKS', 'session'],
    ['SELFSERVICE_FLOWS_LOGIN_AFTER_HOOKS', '[{"hook":"session"}]'],
    ['SELFSERVICE_FLOWS_SETTINGS_AFTER_PASSWORD_HOOKS', '[{"config":{}}]'],
  ])('stops the cold start on a bad %s naming the variable', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });

  it('leaves the admin key to the admin functions: a bad one does not stop the public configuration', () => {
    expect(() => loadConfig({ ADMIN_API_KEY: 'short', ADMIN_API_KEY_SSM_PARAMETER: 'not a name' })).not.toThrow();
    expect(() => loadAdminConfig({ ADMIN_API_KEY: 'short' })).toThrow('ADMIN_API_KEY must be at least 32 characters without spaces');
    expect(() => loadAdminConfig({ ADMIN_API_KEY: 'thirty-two characters, with spaces' })).toThrow(ConfigError);
    expect(() => loadAdminConfig({ ADMIN_API_KEY_SSM_PARAMETER: 'not a name' })).toThrow('ADMIN_API_KEY_SSM_PARAMETER');
    expect(loadAdminConfig({ ADMIN_API_KEY: 'an-admin-key-long-enough-for-the-rule-32', AWS_REGION: 'eu-west-1' })).toEqual({
      apiKey: 'an-admin-key-long-enough-for-the-rule-32',
      apiKeySsmParameter: undefined,
      region: 'eu-west-1',
      authFailuresPerMinute: 20,
    });
  });

  it('parses Go durations as Kratos writes them', () => {
    expect(parseDuration('24h')).toBe(86_400_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('h')).toBeUndefined();
    expect(parseDuration('10')).toBeUndefined();
  });
});
