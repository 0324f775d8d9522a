/**
 * RFC 6902 JSON Patch, applied by fast-json-patch (a maintained implementation) to a copy of the document, its
 * operations validated and prototype keys banned; every failure is a JsonPatchError with the library's reason.
 */
// Default import: under Node's ESM a CommonJS namespace import lacks the functions; the default (module.exports,
// or its `default` object in a bundle) has applyPatch either way.
import jsonPatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';

export class JsonPatchError extends Error {
  override name = 'JsonPatchError';
}

/** RFC 6901: a pointer's reference tokens, unescaped. */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new JsonPatchError(`"${pointer}" is not a JSON pointer`);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Applies `operations` to a copy of `document` (the input is left untouched). */
export function applyPatch(document: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) throw new JsonPatchError('the body must be a JSON Patch array');
  try {
    return jsonPatch.applyPatch(document, operations as Operation[], true, false, true).newDocument;
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new JsonPatchError(message);
  }
}
