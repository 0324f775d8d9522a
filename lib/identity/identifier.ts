/**
 * Identifiers and addresses as they are claimed and looked up: trimmed and lower-cased, so that `A@B.c` and `a@b.c`
 * are one account (Kratos lower-cases e-mail identifiers the same way).
 */
export function normalizeIdentifier(identifier: string): string {
  return identifier.trim().toLowerCase();
}
