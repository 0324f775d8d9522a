import { ConfigError, loadConfig } from '../../lib/config/index.js';
import { codeHmac, matchingHmac, newCode } from '../../lib/strategies/code/code.js';

const SECRET = 'a-code-secret-of-32-characters!!';
const OLD = 'the-previous-secret-0123456789ab';

describe('recovery and verification codes', () => {
  it('are six random digits', () => {
    const codes = Array.from({ length: 200 }, newCode);
    for (const code of codes) expect(code).toMatch(/^[0-9]{6}$/);
    expect(new Set(codes).size).toBeGreaterThan(190);
  });

  it('match only their own flow, with the first secret or an older one (rotation); never a malformed code', () => {
    const flow = '6b0c6a52-9d1c-4c3b-9c55-1f1f0a5b7d11';
    const stored = codeHmac(OLD, flow, '012345');
    expect(stored).not.toContain('012345');
    expect(matchingHmac([SECRET, OLD], flow, '012345', stored)).toBe(stored);
    expect(matchingHmac([SECRET], flow, '012345', stored)).toBeUndefined();
    expect(matchingHmac([SECRET, OLD], '00000000-0000-4000-8000-000000000000', '012345', stored)).toBeUndefined();
    expect(matchingHmac([SECRET, OLD], flow, '012346', stored)).toBeUndefined();
    for (const bad of ['12345', '0123456', ' 012345', '01234a', '']) expect(matchingHmac([SECRET, OLD], flow, bad, stored)).toBeUndefined();
  });
});

describe('recovery configuration', () => {
  it('is off by default, and reads Kratos-named variables', () => {
    expect(loadConfig({}).recovery).toMatchObject({ recoveryEnabled: false, verificationEnabled: false, codeLifespanMs: 3600_000, maxSubmissions: 5 });
    const on = loadConfig({
      SELFSERVICE_FLOWS_RECOVERY_ENABLED: 'true',
      SELFSERVICE_FLOWS_RECOVERY_NOTIFY_UNKNOWN_RECIPIENTS: 'true',
      SELFSERVICE_METHODS_CODE_CONFIG_LIFESPAN: '15m',
      SELFSERVICE_METHODS_CODE_CONFIG_MAX_SUBMISSIONS: '3',
      SECRETS_DEFAULT: `${SECRET},${OLD}`,
    }).recovery;
    expect(on).toMatchObject({ recoveryEnabled: true, recoveryNotifyUnknownRecipients: true, codeLifespanMs: 900_000, maxSubmissions: 3, codeSecrets: [SECRET, OLD] });
  });

  it.each([
    [{ SELFSERVICE_FLOWS_RECOVERY_ENABLED: 'true' }, 'SECRETS_DEFAULT'],
    [{ SELFSERVICE_FLOWS_VERIFICATION_ENABLED: 'true', SECRETS_DEFAULT: 'short' }, 'SECRETS_DEFAULT'],
    [{ SELFSERVICE_FLOWS_RECOVERY_ENABLED: 'true', SECRETS_DEFAULT: SECRET, SELFSERVICE_METHODS_CODE_ENABLED: 'false' }, 'SELFSERVICE_METHODS_CODE_ENABLED'],
    [{ SELFSERVICE_FLOWS_RECOVERY_USE: 'link' }, 'SELFSERVICE_FLOWS_RECOVERY_USE'],
    [{ SELFSERVICE_METHODS_CODE_CONFIG_MAX_SUBMISSIONS: '0' }, 'SELFSERVICE_METHODS_CODE_CONFIG_MAX_SUBMISSIONS'],
    [{ SELFSERVICE_FLOWS_VERIFICATION_ENABLED: 'maybe' }, 'SELFSERVICE_FLOWS_VERIFICATION_ENABLED'],
  ])('refuses %j naming %s', (env, name) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(name);
  });
});
