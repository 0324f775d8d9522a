/** A JSON object: not null, not an array (what `typeof x === 'object'` alone lets through). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
