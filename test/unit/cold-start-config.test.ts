import { ConfigError } from '../../lib/config/index.js';

describe('configuration at cold start', () => {
  it('fails loading the function, naming the variable, when a value is bad', async () => {
    process.env.HASHERS_BCRYPT_COST = 'twelve';
    await expect(import('../../functions/whoami.js')).rejects.toThrow(ConfigError);
    await expect(import('../../functions/login-submit.js')).rejects.toThrow('HASHERS_BCRYPT_COST');
  });
});
