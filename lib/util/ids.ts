/** Ids in this API are UUIDs (Kratos's are v4); every id from a path or a query is checked with this. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The id in canonical (lower-case) form, or undefined when it is not a UUID. */
export function canonicalUuid(raw: string | undefined): string | undefined {
  return raw !== undefined && UUID.test(raw) ? raw.toLowerCase() : undefined;
}
