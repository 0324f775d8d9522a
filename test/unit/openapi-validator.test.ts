import { expectMatchesSchema } from '../support/openapi.js';

// The validator the end-to-end tests rely on must actually refuse bodies that break Kratos's spec.
describe('api.json validator', () => {
  it('refuses a session without its required fields and a flow with a malformed ui node', () => {
    expect(() => expectMatchesSchema('session', { active: 'yes' })).toThrow(/must have required property 'id'/);
    expect(() =>
      expectMatchesSchema('errorGeneric', { error: { code: '400', message: 'x' } }),
    ).toThrow(/code must be integer/);
    expect(() =>
      expectMatchesSchema('uiText', { id: 4000006, type: 'error' }),
    ).toThrow(/must have required property 'text'/);
  });

  it('accepts Kratos-shaped bodies, including nulls the spec marks nullable', () => {
    expect(() =>
      expectMatchesSchema('errorGeneric', { error: { code: 410, status: 'Gone', details: { api: 'http://x/self-service/login/api' }, message: 'gone' } }),
    ).not.toThrow();
  });
});
