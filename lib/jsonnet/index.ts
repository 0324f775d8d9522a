/**
 * Jsonnet for the operator's configuration Kratos evaluates: claim mappers (`std.extVar('claims')`), web hook bodies
 * (`function(ctx) ...`, called with `ctx` as a top-level argument) and session token claims. A standalone,
 * sandboxed evaluator written for this project (lib/jsonnet/README.md says why and what it supports): nothing here
 * imports the rest of lib/.
 *
 *   evaluate(source, { extCode: { claims: JSON.stringify(claims) } })   // the program's value, as plain JSON data
 *
 * Every failure is a JsonnetError: syntax and static errors, runtime errors (`error "cancel"` gives the reason
 * `cancel`), `import` (refused: nothing is read from disk or the network), an unknown ext var, and the budgets: time
 * (timeoutMs, default 1000 ms as Kratos's), stack depth (maxStack, default 500 as Jsonnet's) and allocation.
 */
import type { Node } from './ast.js';
import { JsonnetError } from './errors.js';
import { Evaluator } from './evaluator.js';
import { toJavaScript } from './manifest.js';
import { parse } from './parser.js';
import { resolve } from './scope.js';
import { STD } from './stdlib.js';
import { Env, JFunction, Thunk, type Lazy } from './values.js';

export { JsonnetError, type JsonnetErrorKind } from './errors.js';
export { formatJson } from './manifest.js';

export interface EvaluateOptions {
  /** std.extVar(name) as a string. */
  extVars?: Record<string, string>;
  /** std.extVar(name) as the value of a Jsonnet (or JSON) snippet: how Kratos passes `claims` and `session`. */
  extCode?: Record<string, string>;
  /** Arguments of a program that is a function, as strings. */
  tlaVars?: Record<string, string>;
  /** Arguments of a program that is a function, as Jsonnet snippets: how Kratos passes a web hook's `ctx`. */
  tlaCode?: Record<string, string>;
  /** Deepest nesting of calls and lazy evaluations (default 500). */
  maxStack?: number;
  /** Wall-clock budget of one evaluation in milliseconds (default 1000). */
  timeoutMs?: number;
}

export const DEFAULT_MAX_STACK = 500;
export const DEFAULT_TIMEOUT_MS = 1000;

/** Evaluate a Jsonnet program to plain JSON data (objects, arrays, strings, numbers, booleans, null). */
export function evaluate(source: string, options: EvaluateOptions = {}): unknown {
  const maxStack = positive(options.maxStack, DEFAULT_MAX_STACK, 'maxStack');
  const timeoutMs = positive(options.timeoutMs, DEFAULT_TIMEOUT_MS, 'timeoutMs');
  const globals = new Env(null, [STD], null);
  const extVars = new Map<string, Lazy>();
  const ev = new Evaluator({ maxStack, timeoutMs, extVars });
  // Ext and top-level code is mostly data that changes with every call (claims, a hook's ctx): not cached.
  const snippet = (code: string) => new Thunk(null, null, () => ev.evaluate(compile(code, false), globals));
  for (const [name, text] of Object.entries(options.extVars ?? {})) extVars.set(name, text);
  for (const [name, code] of Object.entries(options.extCode ?? {})) extVars.set(name, snippet(code));
  try {
    let result = ev.evaluate(compile(source), globals);
    if (result instanceof JFunction) {
      const named = [
        ...Object.entries(options.tlaVars ?? {}).map(([name, text]) => ({ name, value: text as Lazy })),
        ...Object.entries(options.tlaCode ?? {}).map(([name, code]) => ({ name, value: snippet(code) as Lazy })),
      ];
      result = ev.call(result, [], named.length > 0 ? named : null);
    }
    return toJavaScript(ev, result);
  } catch (error) {
    throw asJsonnetError(error);
  }
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!(Number.isFinite(value) && value > 0)) throw new TypeError(`${name} must be a positive number, got ${value}`);
  return value;
}

/**
 * Parsed and resolved programs by source: a warm function evaluates the same mapper again and again. The tree is
 * never changed by evaluation, so it is safely shared. Bounded, the least recently used out first.
 */
const compiled = new Map<string, Node>();
const COMPILED_KEPT = 64;

function compile(source: string, cache = true): Node {
  const cached = compiled.get(source);
  if (cached) {
    compiled.delete(source);
    compiled.set(source, cached);
    return cached;
  }
  const program = resolve(parse(source));
  if (cache) {
    if (compiled.size >= COMPILED_KEPT) compiled.delete(compiled.keys().next().value!);
    compiled.set(source, program);
  }
  return program;
}

/** Whatever escaped evaluation, as a JsonnetError: JavaScript's own stack overflow included. */
function asJsonnetError(error: unknown): JsonnetError {
  if (error instanceof JsonnetError) return error;
  if (error instanceof RangeError && /call stack/i.test(error.message)) {
    return new JsonnetError('runtime', 'max stack frames exceeded (the program nests deeper than the evaluator can follow).');
  }
  return new JsonnetError('runtime', `internal error: ${error instanceof Error ? error.message : String(error)}`);
}
