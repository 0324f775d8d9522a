import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { loadAdminConfig } from '../../lib/config/admin.js';
import { checkConfig, ConfigError, configReady, getConfig, loadConfig, secretsToRead } from '../../lib/config/index.js';
import { readSecretParameters, SECRETS, SecretReadError, secretParameters, ssmParameterReader } from '../../lib/config/secrets.js';
import { redact } from '../../lib/log/index.js';
import { PROJECT_ROOT } from '../../scripts/local-stack.js';
import { readLaunchSettings } from '../../scripts/launch-settings.js';
import { startSsmServer, type SsmServer } from '../support/ssm.js';

const PUBLIC = SECRETS.filter((secret) => secret.readBy === 'config').map((secret) => secret.name);
const loadFor = (name: string) => (env: Record<string, string>) => (name === 'ADMIN_API_KEY' ? loadAdminConfig(env) : checkConfig(env));

describe('the secrets', () => {
  it('are variables the configuration reads, each in the README with its _SSM_PARAMETER', () => {
    const config = readdirSync(path.join(PROJECT_ROOT, 'lib', 'config'))
      .filter((file) => file.endsWith('.ts'))
      .map((file) => readFileSync(path.join(PROJECT_ROOT, 'lib', 'config', file), 'utf8'))
      .join('\n');
    const readme = readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
    for (const { name } of SECRETS) {
      expect([name, config.includes(`(env, '${name}')`)]).toEqual([name, true]);
      expect([name, readme.includes(`\`${name}_SSM_PARAMETER\``)]).toEqual([name, true]);
    }
  });

  it.each(SECRETS.map((secret) => secret.name))('%s: given both ways is refused, naming both; a bad parameter name names its variable', (name) => {
    const load = loadFor(name);
    const both = { [name]: 'a-value-of-sixteen-chars-or-more', [`${name}_SSM_PARAMETER`]: '/kratos/x' };
    expect(() => load(both)).toThrow(ConfigError);
    expect(() => load(both)).toThrow(`${name} and ${name}_SSM_PARAMETER are both set`);
    expect(() => load({ [`${name}_SSM_PARAMETER`]: 'not a name' })).toThrow(`${name}_SSM_PARAMETER must be a Parameter Store name`);
    expect(secretParameters({ [`${name}_SSM_PARAMETER`]: '/kratos/x' })).toEqual(new Map([[name, '/kratos/x']]));
  });

  it('leave the admin key to the admin functions: a bad admin parameter does not stop the public configuration', () => {
    expect(() => checkConfig({ ADMIN_API_KEY: 'a-long-enough-admin-key', ADMIN_API_KEY_SSM_PARAMETER: 'not a name' })).not.toThrow();
    expect(secretParameters({ ADMIN_API_KEY_SSM_PARAMETER: '/k', SECRETS_COOKIE_SSM_PARAMETER: '/c' }, 'config')).toEqual(new Map([['SECRETS_COOKIE', '/c']]));
  });

  it('held in Parameter Store stand in for the cold start’s checks, which check everything else; never loaded as values', () => {
    // Recovery needs a code secret: one in Parameter Store counts.
    const env = { SELFSERVICE_FLOWS_RECOVERY_ENABLED: 'true', SECRETS_DEFAULT_SSM_PARAMETER: '/kratos/secrets-default', COURIER_SMTP_CONNECTION_URI_SSM_PARAMETER: '/kratos/smtp' };
    expect(() => checkConfig(env)).not.toThrow();
    expect(() => checkConfig({ SELFSERVICE_FLOWS_RECOVERY_ENABLED: 'true' })).toThrow('SECRETS_DEFAULT');
    expect(() => checkConfig({ ...env, HASHERS_BCRYPT_COST: 'twelve' })).toThrow('HASHERS_BCRYPT_COST');
    // The configuration itself is never built with a stand-in: loading it before the parameters are read is a bug.
    expect(() => loadConfig(env)).toThrow('SECRETS_DEFAULT, COURIER_SMTP_CONNECTION_URI: read from Parameter Store before the configuration is loaded');
    expect(() => loadConfig(env)).not.toThrow(ConfigError);
  });

  it('npm start refuses a secret given both ways, or a bad parameter name, and makes up no cookie secret when one is in Parameter Store', () => {
    expect(() => readLaunchSettings({ SECRETS_COOKIE: 'x'.repeat(32), SECRETS_COOKIE_SSM_PARAMETER: '/kratos/cookie' })).toThrow('SECRETS_COOKIE and SECRETS_COOKIE_SSM_PARAMETER are both set');
    expect(() => readLaunchSettings({ COURIER_SMTP_CONNECTION_URI_SSM_PARAMETER: 'smtp://x' })).toThrow('COURIER_SMTP_CONNECTION_URI_SSM_PARAMETER must be a Parameter Store name');
    expect(() => readLaunchSettings({ ADMIN_API_KEY: 'a-long-enough-admin-key', ADMIN_API_KEY_SSM_PARAMETER: '/kratos/admin' })).toThrow('ADMIN_API_KEY and ADMIN_API_KEY_SSM_PARAMETER are both set');
    const settings = readLaunchSettings({ SECRETS_COOKIE_SSM_PARAMETER: '/kratos/cookie' });
    expect(settings.generatedCookieSecret).toBe(false);
    expect(settings.functionEnv.SECRETS_COOKIE).toBeUndefined();
  });
});

describe('reading them from Parameter Store (a local server speaking its protocol)', () => {
  let ssm: SsmServer;
  const saved = { ...process.env };
  beforeAll(async () => {
    ssm = await startSsmServer({ '/kratos/cookie': 'cookie-secret-held-in-parameter-store', '/kratos/smtp': 'smtps://mailer:p%40ss-in-ssm@mail.example.com/' });
    Object.assign(process.env, ssm.sdkEnv());
  });
  afterAll(async () => {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
    await ssm.close();
  });

  it('with the AWS SDK: SecureStrings decrypted; a missing one, or a store that fails, is an error naming the variable, never a value', async () => {
    const reader = await ssmParameterReader('us-east-1');
    await expect(reader.read('/kratos/cookie')).resolves.toBe('cookie-secret-held-in-parameter-store');
    expect(ssm.requests.at(-1)).toEqual({ name: '/kratos/cookie', withDecryption: true });
    const parameters = new Map([['SECRETS_COOKIE', '/kratos/cookie'], ['COURIER_SMTP_CONNECTION_URI', '/kratos/nope']]);
    await expect(readSecretParameters(parameters, reader)).rejects.toThrow(SecretReadError);
    await expect(readSecretParameters(parameters, reader)).rejects.toThrow('COURIER_SMTP_CONNECTION_URI_SSM_PARAMETER: the parameter "/kratos/nope" could not be read (ParameterNotFound)');
    ssm.failNext(3);
    const failed = readSecretParameters(new Map([['SECRETS_COOKIE', '/kratos/cookie']]), reader);
    await expect(failed).rejects.toThrow('SECRETS_COOKIE_SSM_PARAMETER: the parameter "/kratos/cookie" could not be read');
    await expect(failed).rejects.not.toThrow('cookie-secret-held-in-parameter-store');
  });

  it('once per cold start, before the configuration is used: a failed read is tried again by the next invocation', async () => {
    delete process.env.SECRETS_COOKIE;
    delete process.env.SECRETS_DEFAULT;
    process.env.SECRETS_COOKIE_SSM_PARAMETER = '/kratos/cookie';
    process.env.COURIER_SMTP_CONNECTION_URI_SSM_PARAMETER = '/kratos/smtp';
    expect(secretsToRead()).toBe(true);
    expect(() => getConfig()).toThrow('read from Parameter Store before the configuration is loaded');

    // Two parameters read at once, each tried three times by the SDK: six failures fail the read.
    ssm.failNext(6);
    await expect(configReady()).rejects.toThrow(SecretReadError);
    expect(secretsToRead()).toBe(true);
    const before = ssm.requests.length;
    const config = await configReady();
    expect(config.browser.cookieSecrets).toEqual(['cookie-secret-held-in-parameter-store']);
    expect(config.recovery.codeSecrets).toEqual(['cookie-secret-held-in-parameter-store']);
    expect(config.courier.smtp).toMatchObject({ host: 'mail.example.com', implicitTls: true, username: 'mailer', password: 'p@ss-in-ssm' });
    expect(getConfig()).toBe(config);
    await configReady();
    // The retry read each parameter once, and nothing reads them again.
    expect(ssm.requests.length - before).toBe(2);
    expect(secretsToRead()).toBe(false);
    expect(redact('a line with cookie-secret-held-in-parameter-store in it')).toBe('a line with [REDACTED] in it');
  });
});
