/** RFC 6902 JSON Patch (add, remove, replace, move, copy, test) over plain JSON, with RFC 6901 pointers. */
export class JsonPatchError extends Error {
  override name = 'JsonPatchError';
}

export interface PatchOperation {
  op: string;
  path: string;
  from?: string;
  value?: unknown;
}

type Container = Record<string, unknown> | unknown[];

export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new JsonPatchError(`"${pointer}" is not a JSON pointer`);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function parentOf(document: unknown, tokens: string[], pointer: string): { parent: Container; key: string } {
  let node: unknown = document;
  for (const token of tokens.slice(0, -1)) {
    node = childOf(node, token, pointer);
  }
  if (node === null || typeof node !== 'object') throw new JsonPatchError(`path "${pointer}" does not exist`);
  const key = tokens[tokens.length - 1];
  if (FORBIDDEN_KEYS.has(key)) throw new JsonPatchError(`path "${pointer}" is not allowed`);
  return { parent: node as Container, key };
}

function childOf(node: unknown, token: string, pointer: string): unknown {
  if (Array.isArray(node)) {
    const index = arrayIndex(token, node.length - 1, pointer);
    return node[index];
  }
  if (node !== null && typeof node === 'object' && Object.hasOwn(node, token)) return (node as Record<string, unknown>)[token];
  throw new JsonPatchError(`path "${pointer}" does not exist`);
}

function arrayIndex(token: string, max: number, pointer: string): number {
  if (!/^(0|[1-9]\d*)$/.test(token) || Number(token) > max) throw new JsonPatchError(`path "${pointer}" is out of bounds`);
  return Number(token);
}

function get(document: unknown, pointer: string): unknown {
  let node = document;
  for (const token of parsePointer(pointer)) node = childOf(node, token, pointer);
  return node;
}

function add(document: unknown, pointer: string, value: unknown): unknown {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return value;
  const { parent, key } = parentOf(document, tokens, pointer);
  if (Array.isArray(parent)) {
    const index = key === '-' ? parent.length : arrayIndex(key, parent.length, pointer);
    parent.splice(index, 0, value);
  } else {
    parent[key] = value;
  }
  return document;
}

function remove(document: unknown, pointer: string): unknown {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) throw new JsonPatchError('the whole document cannot be removed');
  const { parent, key } = parentOf(document, tokens, pointer);
  if (Array.isArray(parent)) parent.splice(arrayIndex(key, parent.length - 1, pointer), 1);
  else if (Object.hasOwn(parent, key)) delete parent[key];
  else throw new JsonPatchError(`path "${pointer}" does not exist`);
  return document;
}

function equal(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
  }
  return value;
}

const clone = <T>(value: T): T => (value === undefined ? value : JSON.parse(JSON.stringify(value)));

/** Applies the operations to a copy of `document`; throws JsonPatchError on any invalid operation. */
export function applyPatch(document: unknown, operations: unknown): unknown {
  if (!Array.isArray(operations)) throw new JsonPatchError('the body must be a JSON Patch array');
  let result = clone(document);
  for (const raw of operations) {
    if (!raw || typeof raw !== 'object') throw new JsonPatchError('every patch operation must be an object');
    const op = raw as PatchOperation;
    if (typeof op.path !== 'string') throw new JsonPatchError('every patch operation needs a "path"');
    switch (op.op) {
      case 'add':
        if (!('value' in op)) throw new JsonPatchError(`"add" at "${op.path}" needs a value`);
        result = add(result, op.path, clone(op.value));
        break;
      case 'remove':
        result = remove(result, op.path);
        break;
      case 'replace':
        if (!('value' in op)) throw new JsonPatchError(`"replace" at "${op.path}" needs a value`);
        get(result, op.path);
        result = add(remove(result, op.path), op.path, clone(op.value));
        break;
      case 'move': {
        if (typeof op.from !== 'string') throw new JsonPatchError('"move" needs a "from"');
        if (op.path.startsWith(`${op.from}/`)) throw new JsonPatchError('a value cannot be moved into itself');
        const value = get(result, op.from);
        result = add(remove(result, op.from), op.path, value);
        break;
      }
      case 'copy':
        if (typeof op.from !== 'string') throw new JsonPatchError('"copy" needs a "from"');
        result = add(result, op.path, clone(get(result, op.from)));
        break;
      case 'test':
        if (!equal(get(result, op.path), op.value)) throw new JsonPatchError(`test at "${op.path}" failed`);
        break;
      default:
        throw new JsonPatchError(`unsupported patch operation "${String(op.op)}"`);
    }
  }
  return result;
}
