/**
 * Jsonnet's values at run time. Primitives are JavaScript's own (null, boolean, number, string); an array is a
 * JavaScript array whose elements are values or not-yet-evaluated thunks (Jsonnet is lazy: `[error "x", 1][1]` is 1);
 * an object is a stack of layers (one per object literal that `+` combined), so `self` and `super` are resolved late,
 * as the language requires; a function is a closure over its environment or a built-in of the standard library.
 */
import type { AssertNode, Binding, Node, Position, Visibility } from './ast.js';

export type Value = null | boolean | number | string | Lazy[] | JObject | JFunction;

/**
 * What the standard library, manifesting and formatting ask of an evaluation (evaluator.ts's Evaluator): declared
 * here, beside the values they work on, so that none of them imports the evaluator that imports them.
 */
export interface Evaluation {
  readonly extVars: Map<string, Lazy>;
  trace: (line: string) => void;
  tick(): void;
  allocate(units: number): void;
  allocateCharacters(count: number): void;
  checkStringLength(length: number): void;
  allocateString(length: number): void;
  force(lazy: Lazy): Value;
  call(fn: JFunction, args: Lazy[], named?: { name: string; value: Lazy }[] | null, at?: Position): Value;
  checkAsserts(obj: JObject): void;
  field(obj: JObject, name: string, at?: Position): Value;
  slice(target: Value, begin: Value, end: Value, step: Value, at: Position): Value;
  concat(left: string, right: string): string;
  equals(a: Value, b: Value): boolean;
  compare(a: Value, b: Value, at?: Position): number;
  toStringValue(value: Value): string;
}

/** An array element, function argument or variable: a value, or a thunk computing it on first use. */
export type Lazy = Value | Thunk;

export class Thunk {
  value: Value | undefined = undefined;
  constructor(
    public node: Node | null,
    public env: Env | null,
    public compute: (() => Value) | null = null,
  ) {}
}

/** What `self`, `super` and `$` mean inside an object's field, local or assert. */
export interface ObjectContext {
  self: JObject;
  /** The layer of `self` whose code is running: `super` is the layers below it. */
  layer: number;
  dollar: JObject;
}

/**
 * One frame of variables. The scope analysis numbered every variable by (frames up, slot), so the frames built here
 * must match it exactly: one per `local`, per function call, per comprehension `for`, per object body (its locals).
 */
export class Env {
  constructor(
    readonly parent: Env | null,
    readonly slots: Lazy[],
    readonly context: ObjectContext | null,
  ) {}
}

export interface LayerField {
  visibility: Visibility;
  plus: boolean;
  /** The field's code, or null when the layer was built from values (the standard library, parsed JSON). */
  body: Node | null;
  value?: Lazy;
  /** An object comprehension's field carries its own environment (its loop variables). */
  env?: Env | null;
}

/** One object literal (or comprehension, or built object) as `+` stacks them. */
export interface Layer {
  fields: Map<string, LayerField>;
  locals: Binding[];
  asserts: AssertNode[];
  /** The environment the literal was evaluated in. */
  env: Env | null;
}

export class JObject {
  /** Field values already computed, by name, for lookups from outside (the common case); made on first use. */
  cache: Map<string, Value> | undefined;
  /** Values of fields reached through `super`, by layer and name. */
  superCache: Map<string, Value> | undefined;
  /** The frame of object locals per layer, bound to this object (built once, not per field evaluation). */
  localFrames: (Env | undefined)[] | undefined;
  /** 0 not checked, 1 checking or passed (an assert may read the object it guards), or the assert's error. */
  assertState: 0 | 1 | Error = 0;
  private visibility: Map<string, boolean> | undefined;
  private sortedVisible: string[] | undefined;
  private sortedAll: string[] | undefined;

  constructor(readonly layers: Layer[]) {}

  get hasAsserts(): boolean {
    return this.layers.some((layer) => layer.asserts.length > 0);
  }

  /** Field name -> visible; `:::` overrides a hidden field below, `:` keeps what the field below had. */
  fieldVisibility(): Map<string, boolean> {
    if (this.visibility) return this.visibility;
    const visible = new Map<string, boolean>();
    for (const layer of this.layers) {
      for (const [name, field] of layer.fields) {
        if (field.visibility === 'hidden') visible.set(name, false);
        else if (field.visibility === 'visible') visible.set(name, true);
        else if (!visible.has(name)) visible.set(name, true);
      }
    }
    this.visibility = visible;
    return visible;
  }

  /** Field names in Jsonnet's order (by code point), with or without the hidden ones. */
  fieldNames(includeHidden: boolean): string[] {
    if (includeHidden) return (this.sortedAll ??= sortStrings([...this.fieldVisibility().keys()]));
    return (this.sortedVisible ??= sortStrings([...this.fieldVisibility()].filter(([, visible]) => visible).map(([name]) => name)));
  }

  /** The top-most layer at or below `below - 1` defining `name`, or -1. */
  findLayer(name: string, below = this.layers.length): number {
    for (let i = below - 1; i >= 0; i--) if (this.layers[i].fields.has(name)) return i;
    return -1;
  }
}

export abstract class JFunction {
  abstract readonly paramNames: readonly string[];
  /** How many parameters have no default (what std.length of a function counts). */
  abstract readonly requiredCount: number;
}

export class Closure extends JFunction {
  readonly paramNames: readonly string[];
  readonly requiredCount: number;
  constructor(
    readonly params: readonly { name: string; default?: Node }[],
    readonly body: Node,
    readonly env: Env,
  ) {
    super();
    this.paramNames = params.map((p) => p.name);
    this.requiredCount = params.filter((p) => p.default === undefined).length;
  }
}

/**
 * A standard library function. Arguments arrive lazy, in parameter order (a missing optional one is undefined), with
 * the evaluation running it (built-ins are shared by every evaluation; their state is the evaluator's).
 */
export class Builtin extends JFunction {
  readonly requiredCount: number;
  constructor(
    readonly name: string,
    readonly paramNames: readonly string[],
    readonly optionalFrom: number,
    readonly run: (ev: Evaluation, args: (Lazy | undefined)[]) => Value,
  ) {
    super();
    this.requiredCount = optionalFrom;
  }
}

export type TypeName = 'null' | 'boolean' | 'number' | 'string' | 'array' | 'object' | 'function';

export function typeOf(value: Value): TypeName {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return 'boolean';
    case 'number':
      return 'number';
    case 'string':
      return 'string';
  }
  if (Array.isArray(value)) return 'array';
  return value instanceof JObject ? 'object' : 'function';
}

// Strings are sequences of code points in Jsonnet; JavaScript's are UTF-16. They agree unless a string holds a
// character outside the Basic Multilingual Plane (a surrogate pair), which is rare enough to check for first.
const SURROGATE = /[\uD800-\uDFFF]/;

export const hasAstral = (s: string): boolean => SURROGATE.test(s);

export function codePointLength(s: string): number {
  if (!hasAstral(s)) return s.length;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

export function codePoints(s: string): string[] {
  return hasAstral(s) ? Array.from(s) : s.split('');
}

/** Strings in code point order; JavaScript's own order is the same when no string has a surrogate pair. */
export function sortStrings(strings: string[]): string[] {
  return strings.some(hasAstral) ? strings.sort(compareStrings) : strings.sort();
}

/** Jsonnet's (and Go's) string order: by code point, where JavaScript's `<` orders by UTF-16 unit. */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      // A surrogate (part of a code point above U+FFFF) sorts after every BMP character from U+E000 up.
      const xs = x >= 0xd800 && x <= 0xdfff;
      const ys = y >= 0xd800 && y <= 0xdfff;
      if (xs !== ys && (xs ? y : x) >= 0xe000) return xs ? 1 : -1;
      return x < y ? -1 : 1;
    }
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}
