import { createPasswordPolicy, isTooSimilar, levenshtein, longestCommonSubstring } from '../../lib/identity/password-policy.js';

const policy = createPasswordPolicy({ minLength: 8, identifierSimilarityCheck: true });

describe('password policy', () => {
  it('measures length in bytes, as bcrypt does', async () => {
    expect((await policy('1234567', ['a@b.co']))?.id).toBe(4000032);
    expect((await policy('ééé', ['a@b.co']))?.context).toEqual({ min_length: 8, actual_length: 6 });
    expect(await policy('ééééé-ok', ['a@b.co'])).toBeUndefined();
  });

  it('refuses more than 72 bytes instead of letting bcrypt truncate', async () => {
    expect(await policy('x'.repeat(72), ['a@b.co'])).toBeUndefined();
    const tooLong = await policy('x'.repeat(71) + 'é', ['a@b.co']);
    expect(tooLong).toMatchObject({ id: 4000033, context: { max_length: 72, actual_length: 73 } });
  });

  it('refuses passwords close to the identifier, ignoring case', async () => {
    expect((await policy('ALICE@EXAMPLE.COM', ['alice@example.com']))?.id).toBe(4000031);
    expect((await policy('alice@example.co1', ['alice@example.com']))?.id).toBe(4000031);
    // A long common run makes it similar even when the edit distance is large.
    expect(isTooSimilar('bob@example.com', 'bob@example.com-and-more')).toBe(true);
    expect(isTooSimilar('bob@example.com', 'correct horse battery staple')).toBe(false);
  });

  it('can switch the similarity check off', async () => {
    const lenient = createPasswordPolicy({ minLength: 8, identifierSimilarityCheck: false });
    expect(await lenient('alice@example.com', ['alice@example.com'])).toBeUndefined();
  });

  it('runs extra checks last (the seam for a breach lookup)', async () => {
    const withExtra = createPasswordPolicy({
      minLength: 8,
      identifierSimilarityCheck: true,
      extraChecks: [async (pw) => (pw === 'password123' ? { id: 4000034, text: 'breached', type: 'error' } : undefined)],
    });
    expect((await withExtra('password123', ['x@y.z']))?.id).toBe(4000034);
  });

  it('computes edit distance and longest common substring over characters', () => {
    expect(levenshtein('kitten', 'sitting')).toBe(3);
    expect(levenshtein('', 'abc')).toBe(3);
    expect(longestCommonSubstring('abcdef', 'zcdez')).toBe(3);
  });
});
