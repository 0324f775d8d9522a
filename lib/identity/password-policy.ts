/**
 * Kratos's password policy for the password method: length in bytes (bcrypt works on bytes), similarity to
 * the identifier, then any further checks (the breached-password lookup, `breached-passwords.ts`).
 */
import { messages, type UiText } from '../text/messages.js';
import { BCRYPT_MAX_PASSWORD_BYTES } from '../hashing/bcrypt.js';

export type PasswordCheck = (password: string, identifiers: string[]) => Promise<UiText | undefined>;

export interface PasswordPolicyOptions {
  minLength: number;
  identifierSimilarityCheck: boolean;
  extraChecks?: PasswordCheck[];
}

export function levenshtein(a: string, b: string): number {
  const s = [...a];
  const t = [...b];
  let previous = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const current = [i];
    for (let j = 1; j <= t.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (s[i - 1] === t[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[t.length];
}

export function longestCommonSubstring(a: string, b: string): number {
  const s = [...a];
  const t = [...b];
  let best = 0;
  let previous = new Array<number>(t.length + 1).fill(0);
  for (let i = 1; i <= s.length; i++) {
    const current = new Array<number>(t.length + 1).fill(0);
    for (let j = 1; j <= t.length; j++) {
      if (s[i - 1] === t[j - 1]) {
        current[j] = previous[j - 1] + 1;
        if (current[j] > best) best = current[j];
      }
    }
    previous = current;
  }
  return best;
}

/** As Kratos: too similar when the edit distance is under 5 or a common run covers over half the password. */
export function isTooSimilar(identifier: string, password: string): boolean {
  const id = identifier.toLowerCase();
  const pw = password.toLowerCase();
  if (levenshtein(id, pw) < 5) return true;
  return longestCommonSubstring(id, pw) / [...pw].length > 0.5;
}

export function createPasswordPolicy(options: PasswordPolicyOptions) {
  return async function checkPassword(password: string, identifiers: string[]): Promise<UiText | undefined> {
    const bytes = Buffer.byteLength(password, 'utf8');
    if (bytes < options.minLength) return messages.passwordTooShort(options.minLength, bytes);
    if (bytes > BCRYPT_MAX_PASSWORD_BYTES) return messages.passwordTooLong(BCRYPT_MAX_PASSWORD_BYTES, bytes);
    if (options.identifierSimilarityCheck && identifiers.some((identifier) => isTooSimilar(identifier, password))) {
      return messages.passwordTooSimilar();
    }
    for (const check of options.extraChecks ?? []) {
      const violation = await check(password, identifiers);
      if (violation) return violation;
    }
    return undefined;
  };
}
export type PasswordPolicy = ReturnType<typeof createPasswordPolicy>;
