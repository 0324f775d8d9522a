/** Which methods are on and which hooks run where, read from Kratos's variables (lib/config/selfservice.ts, lib/hooks). */
import { ConfigError } from '../../lib/config/env.js';
import { loadSelfServiceConfig } from '../../lib/config/selfservice.js';
import { checkHooks } from '../../lib/hooks/index.js';
import { checkMethods } from '../../lib/strategies/index.js';

describe('self-service configuration', () => {
  it("defaults to Kratos's methods and the quickstart's hooks", () => {
    const config = loadSelfServiceConfig({});
    expect(config.enabledMethods).toEqual(['password', 'profile', 'code']);
    expect(config.hooks.registration).toEqual({ before: [], after: [{ hook: 'session' }, { hook: 'show_verification_ui' }], afterByMethod: {} });
    expect(config.hooks.login).toEqual({ before: [], after: [], afterByMethod: {} });
    // Ours, where Kratos has none: a new password or a recovery ends every other session.
    expect(config.hooks.settings).toEqual({ before: [], after: [], afterByMethod: { password: [{ hook: 'revoke_active_sessions' }] } });
    expect(config.hooks.recovery.after).toEqual([{ hook: 'revoke_active_sessions' }]);
    // Configuring a flow's after hooks (at all) leaves its methods' defaults out.
    expect(loadSelfServiceConfig({ SELFSERVICE_FLOWS_SETTINGS_AFTER_HOOKS: '[]' }).hooks.settings.afterByMethod).toEqual({});
    expect(loadSelfServiceConfig({ SELFSERVICE_FLOWS_SETTINGS_AFTER_PROFILE_HOOKS: '[]' }).hooks.settings.afterByMethod).toEqual({ profile: [] });
  });

  it("reads the login and registration styles with Kratos's defaults and its deprecated one-step switch", () => {
    expect(loadSelfServiceConfig({})).toMatchObject({ loginStyle: 'unified', registrationStyle: 'profile_first' });
    expect(loadSelfServiceConfig({ SELFSERVICE_FLOWS_LOGIN_STYLE: 'identifier_first', SELFSERVICE_FLOWS_REGISTRATION_STYLE: 'unified' })).toMatchObject({
      loginStyle: 'identifier_first',
      registrationStyle: 'unified',
    });
    // `enable_legacy_one_step: true` wins over the style, as in Kratos.
    expect(loadSelfServiceConfig({ SELFSERVICE_FLOWS_REGISTRATION_ENABLE_LEGACY_ONE_STEP: 'true', SELFSERVICE_FLOWS_REGISTRATION_STYLE: 'profile_first' }).registrationStyle).toBe('unified');
    expect(() => loadSelfServiceConfig({ SELFSERVICE_FLOWS_LOGIN_STYLE: 'two_step' })).toThrow(/SELFSERVICE_FLOWS_LOGIN_STYLE must be one of unified, identifier_first/);
    // The traits screen is the profile method's: asked for without it, refused; by default, one screen then (so a
    // function deployed without the style variable accepts the profile method off).
    expect(() => loadSelfServiceConfig({ SELFSERVICE_METHODS_PROFILE_ENABLED: 'false', SELFSERVICE_FLOWS_REGISTRATION_STYLE: 'profile_first' })).toThrow(
      /SELFSERVICE_METHODS_PROFILE_ENABLED is false: switch it on, or set SELFSERVICE_FLOWS_REGISTRATION_STYLE=unified/,
    );
    expect(loadSelfServiceConfig({ SELFSERVICE_METHODS_PROFILE_ENABLED: 'false' }).registrationStyle).toBe('unified');
    expect(loadSelfServiceConfig({ SELFSERVICE_METHODS_PROFILE_ENABLED: 'false', SELFSERVICE_FLOWS_REGISTRATION_ENABLE_LEGACY_ONE_STEP: 'true' }).registrationStyle).toBe('unified');
  });

  it('switches methods on and off', () => {
    expect(
      loadSelfServiceConfig({ SELFSERVICE_METHODS_PROFILE_ENABLED: 'false', SELFSERVICE_METHODS_TOTP_ENABLED: 'true', SELFSERVICE_FLOWS_REGISTRATION_STYLE: 'unified' }).enabledMethods,
    ).toEqual(['password', 'code', 'totp']);
  });

  it('reads hook lists as JSON, per flow and per method', () => {
    const config = loadSelfServiceConfig({
      SELFSERVICE_FLOWS_REGISTRATION_AFTER_HOOKS: '[{"hook":"session"}]',
      SELFSERVICE_FLOWS_REGISTRATION_AFTER_PASSWORD_HOOKS: '[]',
      SELFSERVICE_FLOWS_SETTINGS_AFTER_LOOKUP_SECRET_HOOKS: '[{"hook":"revoke_active_sessions"}]',
    });
    expect(config.hooks.registration).toEqual({ before: [], after: [{ hook: 'session' }], afterByMethod: { password: [] } });
    expect(config.hooks.settings.afterByMethod).toEqual({ lookup_secret: [{ hook: 'revoke_active_sessions' }] });
  });

  it("reads Kratos's indexed form, in index order, config keys nested", () => {
    const config = loadSelfServiceConfig({
      SELFSERVICE_FLOWS_LOGIN_AFTER_PASSWORD_HOOKS_1_HOOK: 'web_hook',
      SELFSERVICE_FLOWS_LOGIN_AFTER_PASSWORD_HOOKS_1_CONFIG_URL: 'https://hooks.example/login',
      SELFSERVICE_FLOWS_LOGIN_AFTER_PASSWORD_HOOKS_1_CONFIG_METHOD: 'POST',
      SELFSERVICE_FLOWS_LOGIN_AFTER_PASSWORD_HOOKS_1_CONFIG_AUTH_TYPE: 'api_key',
      SELFSERVICE_FLOWS_LOGIN_AFTER_PASSWORD_HOOKS_1_CONFIG_AUTH_CONFIG_NAME: 'X-Key',
      SELFSERVICE_FLOWS_LOGIN_AFTER_PASSWORD_HOOKS_1_CONFIG_AUTH_CONFIG_VALUE: 'k1',
      SELFSERVICE_FLOWS_LOGIN_AFTER_PASSWORD_HOOKS_1_CONFIG_RESPONSE_IGNORE: 'true',
      SELFSERVICE_FLOWS_LOGIN_AFTER_PASSWORD_HOOKS_0_HOOK: 'revoke_active_sessions',
    });
    expect(config.hooks.login.afterByMethod.password).toMatchObject([
      { hook: 'revoke_active_sessions' },
      {
        hook: 'web_hook',
        config: { url: 'https://hooks.example/login', method: 'POST', auth: { type: 'api_key', config: { name: 'X-Key', value: 'k1' } } },
        webHook: { url: 'https://hooks.example/login', method: 'POST', auth: { type: 'api_key', name: 'X-Key', value: 'k1', in: 'header' }, ignore: true },
      },
    ]);
  });

  it.each([
    ['SELFSERVICE_FLOWS_REGISTRATION_AFTER_HOOKS', 'session'],
    ['SELFSERVICE_FLOWS_REGISTRATION_AFTER_HOOKS', '{"hook":"session"}'],
    ['SELFSERVICE_FLOWS_LOGIN_AFTER_HOOKS', '[{"hook":"session"}]'],
    ['SELFSERVICE_FLOWS_VERIFICATION_BEFORE_HOOKS', '[{"hook":"show_verification_ui"}]'],
    ['SELFSERVICE_FLOWS_SETTINGS_AFTER_PASSWORD_HOOKS', '[{"hook":""}]'],
    ['SELFSERVICE_FLOWS_RECOVERY_AFTER_HOOKS', '[{"hook":"revoke_active_sessions","config":"x"}]'],
  ])('refuses %s=%s, naming the variable', (name, value) => {
    expect(() => loadSelfServiceConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadSelfServiceConfig({ [name]: value })).toThrow(name);
  });

  it('refuses, naming them, a method or a hook Kratos has and this build does not yet', () => {
    expect(() => checkMethods(loadSelfServiceConfig({ SELFSERVICE_METHODS_LINK_ENABLED: 'true' }).enabledMethods)).toThrow('SELFSERVICE_METHODS_LINK_ENABLED');
    expect(() => checkHooks(loadSelfServiceConfig({ SELFSERVICE_FLOWS_LOGIN_AFTER_PASSWORD_HOOKS: '[{"hook":"web_hook"}]' }))).toThrow('SELFSERVICE_FLOWS_LOGIN_AFTER_PASSWORD_HOOKS');
    expect(() => checkHooks(loadSelfServiceConfig({}))).not.toThrow();
    expect(() => checkMethods(loadSelfServiceConfig({}).enabledMethods)).not.toThrow();
  });
});
