import { findSecrets } from '../support/global-teardown.js';
import { TEST_ENV } from '../support/env.js';

// The global teardown fails the run on what this finds; it must find each kind of secret.
describe('the secret scan of spans and logs', () => {
  it('finds tokens, bcrypt hashes, the admin key and known passwords', () => {
    const text = [
      'ory_st_AbCdEfGhIjKlMnOpQrStUvWxYz012345',
      '$2b$04$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234',
      `Bearer ${TEST_ENV.ADMIN_API_KEY}`,
      'password=hunter2hunter2',
    ].join(' ');
    expect(findSecrets(text, ['hunter2hunter2'])).toEqual([
      expect.stringContaining('session token'),
      expect.stringContaining('bcrypt hash'),
      'the admin key',
      expect.stringContaining('password'),
    ]);
    expect(findSecrets('{"name":"bcrypt.compare","bcrypt.workfactor":4,"identity.id":"x"}', ['hunter2hunter2'])).toEqual([]);
  });
});
