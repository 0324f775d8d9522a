/**
 * The standard library, `std`: every pure function of go-jsonnet v0.21's std, written natively. Where go-jsonnet
 * implements a function in Go its behaviour is followed (std.base64 of a string encodes its UTF-8 bytes, std.trim
 * trims Unicode spaces, std.round rounds halves away from zero); where it uses the Jsonnet-written std.jsonnet
 * (shared with the C++ interpreter) that definition is followed, laziness included: std.map's elements are
 * computed when read, std.get's default only when the field is missing.
 *
 * Refused with a clear error: std.native (no native functions here) and std.extVar of a name not given.
 */
import { createHash } from 'node:crypto';
import { runtimeError } from './errors.js';
import { checkNumber, typeError } from './evaluator.js';
import { codePointToString, formatString } from './format.js';
import {
  formatNumber,
  manifestJsonEx,
  manifestPython,
  manifestTomlEx,
  manifestYamlDoc,
  quoteString,
} from './manifest.js';
import { codePointLength, codePoints, Builtin, compareStrings, JFunction, JObject, Thunk, typeOf, type Layer, type LayerField, type Lazy, type Value, type Evaluation as Evaluator } from './values.js';
import { parseYaml } from './yaml.js';

type Args = (Lazy | undefined)[];

const functions = new Map<string, Builtin>();

/** Register std.name; parameters ending in `=` are optional (the function supplies their default). */
function define(name: string, params: string, run: (ev: Evaluator, args: Args) => Value): void {
  const names = params ? params.split(',').map((p) => p.trim()) : [];
  const optionalFrom = names.findIndex((p) => p.endsWith('='));
  functions.set(name, new Builtin(name, names.map((p) => p.replace(/=$/, '')), optionalFrom < 0 ? names.length : optionalFrom, run));
}

// ---- argument checks ----

const value = (ev: Evaluator, arg: Lazy | undefined): Value => ev.force(arg!);

function str(ev: Evaluator, arg: Lazy | undefined): string {
  const v = ev.force(arg!);
  if (typeof v !== 'string') throw typeError(v, 'string');
  return v;
}

function num(ev: Evaluator, arg: Lazy | undefined): number {
  const v = ev.force(arg!);
  if (typeof v !== 'number') throw typeError(v, 'number');
  return v;
}

/** go-jsonnet's getInt: a whole number that fits 32 bits. */
function int(ev: Evaluator, arg: Lazy | undefined): number {
  const v = num(ev, arg);
  if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) throw runtimeError(`Expected an integer, but got ${formatNumber(v)}`);
  return v;
}

function bool(ev: Evaluator, arg: Lazy | undefined): boolean {
  const v = ev.force(arg!);
  if (typeof v !== 'boolean') throw typeError(v, 'boolean');
  return v;
}

function arr(ev: Evaluator, arg: Lazy | undefined): Lazy[] {
  const v = ev.force(arg!);
  if (!Array.isArray(v)) throw typeError(v, 'array');
  return v;
}

function obj(ev: Evaluator, arg: Lazy | undefined): JObject {
  const v = ev.force(arg!);
  if (!(v instanceof JObject)) throw typeError(v, 'object');
  return v;
}

function func(ev: Evaluator, arg: Lazy | undefined): JFunction {
  const v = ev.force(arg!);
  if (!(v instanceof JFunction)) throw typeError(v, 'function');
  return v;
}

/** An optional function argument (keyF), the identity when absent. */
function keyFunction(ev: Evaluator, arg: Lazy | undefined): (x: Lazy) => Value {
  if (arg === undefined) return (x) => ev.force(x);
  const f = func(ev, arg);
  return (x) => ev.call(f, [x]);
}

/** An array built by a function: counted against the allocation budget. */
function array(ev: Evaluator, elements: Lazy[]): Lazy[] {
  ev.allocate(elements.length);
  return elements;
}

function built(ev: Evaluator, s: string): string {
  ev.allocateString(s.length);
  return s;
}

const later = (compute: () => Value) => new Thunk(null, null, compute);

/** An object of already-known (or lazily computed) fields, all visible: what std functions return. */
export function makeObject(entries: Iterable<[string, Lazy]>, visibility: LayerField['visibility'] = 'inherit'): JObject {
  const fields = new Map<string, LayerField>();
  for (const [name, v] of entries) fields.set(name, { visibility, plus: false, body: null, value: v });
  const layer: Layer = { fields, locals: [], asserts: [], env: null };
  return new JObject([layer]);
}

/** Array or string, element by element (strings by character), as several std functions accept either. */
function items(ev: Evaluator, arg: Lazy | undefined, what: string): Lazy[] {
  const v = ev.force(arg!);
  if (Array.isArray(v)) return v;
  if (typeof v === 'string') return codePoints(v);
  throw runtimeError(`${what} must be array / string, got ${typeOf(v)}`);
}

// ---- external variables and refused features ----

define('extVar', 'x', (ev, [x]) => {
  const name = str(ev, x);
  const found = ev.extVars.get(name);
  if (found === undefined) throw runtimeError(`Undefined external variable: ${name}`);
  return ev.force(found);
});

define('native', 'x', (ev, [x]) => {
  throw runtimeError(`std.native is not available: no native function "${str(ev, x)}" is provided by this evaluator`);
});

define('trace', 'str, rest', (ev, [message, rest]) => {
  ev.trace(`TRACE: ${str(ev, message)}`);
  return value(ev, rest);
});

// ---- types ----

define('type', 'x', (ev, [x]) => typeOf(value(ev, x)));
for (const type of ['String', 'Number', 'Boolean', 'Object', 'Array', 'Function'] as const) {
  define(`is${type}`, 'v', (ev, [v]) => typeOf(value(ev, v)) === type.toLowerCase());
}

define('length', 'x', (ev, [x]) => {
  const v = value(ev, x);
  if (typeof v === 'string') return codePointLength(v);
  if (Array.isArray(v)) return v.length;
  if (v instanceof JObject) return v.fieldNames(false).length;
  if (v instanceof JFunction) return v.requiredCount;
  throw runtimeError(`length operates on strings, objects, and arrays, got ${typeOf(v)}`);
});

define('toString', 'a', (ev, [a]) => ev.toStringValue(value(ev, a)));
define('primitiveEquals', 'x, y', (ev, [x, y]) => {
  const a = value(ev, x);
  const b = value(ev, y);
  if (typeOf(a) !== typeOf(b)) return false;
  if (a instanceof JFunction) throw runtimeError('Cannot test equality of functions');
  if (a !== null && typeof a === 'object') throw runtimeError(`primitiveEquals operates on primitive types, got ${typeOf(a)}`);
  return a === b;
});
define('equals', 'x, y', (ev, [x, y]) => ev.equals(value(ev, x), value(ev, y)));

// ---- numbers ----

const unary = (name: string, f: (x: number) => number) => define(name, 'x', (ev, [x]) => checkNumber(f(num(ev, x))));
// std.jsonnet's `if n > 0 then n else -n`: the absolute value of 0 is -0, visible in output and strings.
unary('abs', (x) => (x > 0 ? x : -x));
unary('sqrt', Math.sqrt);
unary('ceil', Math.ceil);
unary('floor', Math.floor);
unary('sin', Math.sin);
unary('cos', Math.cos);
unary('tan', Math.tan);
unary('asin', Math.asin);
unary('acos', Math.acos);
unary('atan', Math.atan);
unary('log', Math.log);
unary('exp', Math.exp);
unary('log2', (x) => Math.log(x) / Math.log(2));
unary('log10', (x) => Math.log(x) / Math.log(10));
unary('deg2rad', (x) => (x * Math.PI) / 180);
unary('rad2deg', (x) => (x * 180) / Math.PI);
unary('sign', (x) => (x > 0 ? 1 : x < 0 ? -1 : 0));
// Go's math.Round: halves away from zero (JavaScript's Math.round goes up).
unary('round', (x) => {
  const whole = Math.trunc(x);
  return Math.abs(x - whole) >= 0.5 ? whole + Math.sign(x) : whole;
});
unary('mantissa', (x) => frexp(x)[0]);
unary('exponent', (x) => frexp(x)[1]);
define('pow', 'x, n', (ev, [x, n]) => checkNumber(Math.pow(num(ev, x), num(ev, n))));
define('hypot', 'x, y', (ev, [x, y]) => checkNumber(Math.hypot(num(ev, x), num(ev, y))));
define('atan2', 'y, x', (ev, [y, x]) => checkNumber(Math.atan2(num(ev, y), num(ev, x))));
define('modulo', 'x, y', (ev, [x, y]) => {
  const a = num(ev, x);
  const b = num(ev, y);
  if (b === 0) throw runtimeError('Division by zero.');
  return checkNumber(a % b);
});
define('mod', 'a, b', (ev, [a, b]) => {
  const x = value(ev, a);
  const y = value(ev, b);
  if (typeof x === 'number' && typeof y === 'number') {
    if (y === 0) throw runtimeError('Division by zero.');
    return checkNumber(x % y);
  }
  if (typeof x === 'string') return formatString(ev, x, y);
  throw runtimeError(`Operator % cannot be used on types ${typeOf(x)} and ${typeOf(y)}.`);
});
define('max', 'a, b', (ev, [a, b]) => {
  const x = num(ev, a);
  const y = num(ev, b);
  return x > y ? x : y;
});
define('min', 'a, b', (ev, [a, b]) => {
  const x = num(ev, a);
  const y = num(ev, b);
  return x < y ? x : y;
});
define('clamp', 'x, minVal, maxVal', (ev, [x, lo, hi]) => {
  const v = value(ev, x);
  if (ev.compare(v, value(ev, lo)) < 0) return value(ev, lo);
  if (ev.compare(v, value(ev, hi)) > 0) return value(ev, hi);
  return v;
});
define('isEven', 'x', (ev, [x]) => Math.trunc(num(ev, x)) % 2 === 0);
define('isOdd', 'x', (ev, [x]) => Math.trunc(num(ev, x)) % 2 !== 0);
define('isInteger', 'x', (ev, [x]) => Number.isInteger(num(ev, x)));
define('isDecimal', 'x', (ev, [x]) => !Number.isInteger(num(ev, x)));
define('xor', 'x, y', (ev, [x, y]) => bool(ev, x) !== bool(ev, y));
define('xnor', 'x, y', (ev, [x, y]) => bool(ev, x) === bool(ev, y));

/** Go's math.Frexp: x = mantissa * 2^exponent with 0.5 <= |mantissa| < 1. */
function frexp(x: number): [number, number] {
  if (x === 0 || !Number.isFinite(x)) return [x, 0];
  let exponent = Math.max(-1023, Math.floor(Math.log2(Math.abs(x))) + 1);
  let mantissa = x * Math.pow(2, -exponent);
  while (Math.abs(mantissa) < 0.5) {
    mantissa *= 2;
    exponent--;
  }
  while (Math.abs(mantissa) >= 1) {
    mantissa /= 2;
    exponent++;
  }
  return [mantissa, exponent];
}

// ---- strings ----

define('codepoint', 'str', (ev, [s]) => {
  const chars = codePoints(str(ev, s));
  if (chars.length !== 1) throw runtimeError(`codepoint takes a string of length 1, got length ${chars.length}`);
  return chars[0].codePointAt(0)!;
});
define('char', 'n', (ev, [n]) => codePointToString(num(ev, n)));
define('substr', 'str, from, len', (ev, [s, f, l]) => {
  const text = value(ev, s);
  if (typeof text !== 'string') throw runtimeError(`substr first parameter should be a string, got ${typeOf(text)}`);
  const from = value(ev, f);
  if (typeof from !== 'number') throw runtimeError(`substr second parameter should be a number, got ${typeOf(from)}`);
  if (!Number.isInteger(from)) throw runtimeError(`substr second parameter should be an integer, got ${from}`);
  if (from < 0) throw runtimeError(`substr second parameter should be greater than zero, got ${from}`);
  const length = value(ev, l);
  if (typeof length !== 'number') throw runtimeError(`substr third parameter should be a number, got ${typeOf(length)}`);
  if (!Number.isInteger(length)) throw runtimeError(`substr third parameter should be an integer, got ${length}`);
  if (length < 0) throw runtimeError(`substr third parameter should be greater than zero, got ${length}`);
  return codePoints(text).slice(from, from + length).join('');
});
define('startsWith', 'a, b', (ev, [a, b]) => str(ev, a).startsWith(str(ev, b)));
define('endsWith', 'a, b', (ev, [a, b]) => str(ev, a).endsWith(str(ev, b)));
define('stringChars', 'str', (ev, [s]) => array(ev, codePoints(str(ev, s))));
define('asciiUpper', 'str', (ev, [s]) => str(ev, s).replace(/[a-z]+/g, (m) => m.toUpperCase()));
define('asciiLower', 'str', (ev, [s]) => str(ev, s).replace(/[A-Z]+/g, (m) => m.toLowerCase()));
define('isEmpty', 'str', (ev, [s]) => str(ev, s).length === 0);
define('equalsIgnoreCase', 'str1, str2', (ev, [a, b]) => equalFold(str(ev, a), str(ev, b)));
// Go's strings.TrimSpace: Unicode white space (U+0085 and U+00A0 included, U+FEFF not).
define('trim', 'str', (ev, [s]) => str(ev, s).replace(/^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g, ''));

/** Go's strings.EqualFold: equal under simple (one character to one character) case folding. */
function equalFold(a: string, b: string): boolean {
  if (a === b) return true;
  const x = codePoints(a);
  const y = codePoints(b);
  if (x.length !== y.length) return false;
  return x.every((c, i) => {
    const d = y[i];
    if (c === d) return true;
    const fold = (s: string) => {
      const lower = s.toLowerCase();
      return codePoints(lower).length === 1 ? lower : s;
    };
    return fold(c) === fold(d) || (c.toUpperCase() === d.toUpperCase() && codePoints(c.toUpperCase()).length === 1);
  });
}

/** lstripChars and friends: `chars` is a string (its characters) or an array (of values compared with ==). */
function strip(ev: Evaluator, s: Lazy | undefined, chars: Lazy | undefined, left: boolean, right: boolean): string {
  const text = value(ev, s);
  if (typeof text !== 'string') throw runtimeError(`Unexpected type ${typeOf(text)}, expected string`);
  const set = value(ev, chars);
  const member = (c: string): boolean => {
    if (typeof set === 'string') return set.includes(c);
    if (Array.isArray(set)) return set.some((e) => ev.equals(ev.force(e), c));
    throw runtimeError('std.member first argument must be an array or a string');
  };
  const cps = codePoints(text);
  let from = 0;
  let to = cps.length;
  if (left) while (from < to && member(cps[from])) from++;
  if (right) while (to > from && member(cps[to - 1])) to--;
  return cps.slice(from, to).join('');
}
define('lstripChars', 'str, chars', (ev, [s, c]) => strip(ev, s, c, true, false));
define('rstripChars', 'str, chars', (ev, [s, c]) => strip(ev, s, c, false, true));
define('stripChars', 'str, chars', (ev, [s, c]) => strip(ev, s, c, true, true));

function splitLimit(ev: Evaluator, text: string, separator: string, maxSplits: number, fromRight: boolean, name: string): Lazy[] {
  if (maxSplits < -1) throw runtimeError(`std.${name} third parameter should be -1 or non-negative, got ${maxSplits}`);
  if (separator === '') throw runtimeError(`std.${name} second parameter should have length 1 or greater, got 0`);
  const parts = text.split(separator);
  if (maxSplits === -1 || parts.length - 1 <= maxSplits) return array(ev, parts);
  if (fromRight) return array(ev, [parts.slice(0, parts.length - maxSplits).join(separator), ...parts.slice(parts.length - maxSplits)]);
  return array(ev, [...parts.slice(0, maxSplits), parts.slice(maxSplits).join(separator)]);
}
define('split', 'str, c', (ev, [s, c]) => {
  const text = value(ev, s);
  if (typeof text !== 'string') throw runtimeError(`std.split first parameter must be a String, got ${typeOf(text)}`);
  const separator = value(ev, c);
  if (typeof separator !== 'string') throw runtimeError(`std.split second parameter must be a String, got ${typeOf(separator)}`);
  if (separator === '') throw runtimeError('std.split second parameter must have length 1 or greater, got 0');
  return splitLimit(ev, text, separator, -1, false, 'split');
});
define('splitLimit', 'str, c, maxsplits', (ev, [s, c, m]) => splitLimit(ev, str(ev, s), str(ev, c), int(ev, m), false, 'splitLimit'));
define('splitLimitR', 'str, c, maxsplits', (ev, [s, c, m]) => splitLimit(ev, str(ev, s), str(ev, c), int(ev, m), true, 'splitLimitR'));
define('strReplace', 'str, from, to', (ev, [s, f, t]) => {
  const text = str(ev, s);
  const from = str(ev, f);
  const to = str(ev, t);
  if (from === '') throw runtimeError("'from' string must not be zero length.");
  const parts = text.split(from);
  ev.allocateString(text.length + (parts.length - 1) * Math.max(0, to.length - from.length));
  return parts.join(to);
});
define('findSubstr', 'pat, str', (ev, [p, s]) => {
  const pattern = value(ev, p);
  if (typeof pattern !== 'string') throw runtimeError(`findSubstr first parameter should be a string, got ${typeOf(pattern)}`);
  const text = value(ev, s);
  if (typeof text !== 'string') throw runtimeError(`findSubstr second parameter should be a string, got ${typeOf(text)}`);
  const needle = codePoints(pattern);
  const hay = codePoints(text);
  const found: number[] = [];
  if (needle.length === 0) return found;
  for (let i = 0; i + needle.length <= hay.length; i++) {
    ev.tick();
    if (needle.every((c, j) => hay[i + j] === c)) found.push(i);
  }
  return array(ev, found);
});
define('format', 'str, vals', (ev, [s, v]) => formatString(ev, str(ev, s), value(ev, v)));
define('escapeStringJson', 'str_', (ev, [s]) => built(ev, quoteString(ev.toStringValue(value(ev, s)))));
define('escapeStringPython', 'str', (ev, [s]) => built(ev, quoteString(ev.toStringValue(value(ev, s)))));
define('escapeStringBash', 'str_', (ev, [s]) => built(ev, `'${ev.toStringValue(value(ev, s)).split("'").join(`'"'"'`)}'`));
define('escapeStringDollars', 'str_', (ev, [s]) => built(ev, ev.toStringValue(value(ev, s)).split('$').join('$$')));
const XML_ESCAPES: Record<string, string> = { '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' };
define('escapeStringXML', 'str_', (ev, [s]) => built(ev, ev.toStringValue(value(ev, s)).replace(/[<>&"']/g, (c) => XML_ESCAPES[c])));

define('parseInt', 'str', (ev, [s]) => {
  const text = str(ev, s);
  if (!/^[+-]?[0-9]+$/.test(text) || BigInt(text) >= 2n ** 63n || BigInt(text) < -(2n ** 63n)) throw runtimeError(`${text} is not a base 10 integer`);
  return Number(BigInt(text));
});
function parseNatural(text: string, base: number): number {
  let total = 0;
  for (const c of text) {
    const code = c.codePointAt(0)!;
    const digit = code >= 97 ? code - 97 + 10 : code >= 65 ? code - 65 + 10 : code - 48;
    if (!(digit >= 0 && digit < base)) throw runtimeError(`${text} is not a base ${base} integer`);
    total = base * total + digit;
  }
  return total;
}
define('parseOctal', 'str', (ev, [s]) => {
  const text = str(ev, s);
  if (text === '') throw runtimeError('Not an octal number: ""');
  return parseNatural(text, 8);
});
define('parseHex', 'str', (ev, [s]) => {
  const text = str(ev, s);
  if (text === '') throw runtimeError('Not hexadecimal: ""');
  return parseNatural(text, 16);
});

// ---- arrays ----

define('makeArray', 'sz, func', (ev, [sz, f]) => {
  const size = int(ev, sz);
  const fn = func(ev, f);
  ev.allocate(Math.max(0, size));
  const out: Lazy[] = new Array(Math.max(0, size));
  for (let i = 0; i < size; i++) out[i] = later(() => ev.call(fn, [i]));
  return out;
});
define('range', 'from, to', (ev, [f, t]) => {
  const from = int(ev, f);
  const to = int(ev, t);
  const size = Math.max(0, to - from + 1);
  ev.allocate(size);
  const out: number[] = new Array(size);
  for (let i = 0; i < size; i++) out[i] = from + i;
  return out;
});
define('repeat', 'what, count', (ev, [w, c]) => {
  const what = value(ev, w);
  const count = Math.max(0, int(ev, c));
  if (typeof what === 'string') {
    ev.allocateString(what.length * count);
    return what.repeat(count);
  }
  if (Array.isArray(what)) {
    ev.allocate(what.length * count);
    const out: Lazy[] = [];
    for (let i = 0; i < count; i++) out.push(...what);
    return out;
  }
  throw runtimeError('std.repeat first argument must be an array or a string');
});
define('map', 'func, arr', (ev, [f, a]) => {
  const fn = value(ev, f);
  if (!(fn instanceof JFunction)) throw runtimeError(`std.map first param must be function, got ${typeOf(fn)}`);
  const source = items(ev, a, 'std.map second param');
  return array(ev, source.map((element) => later(() => ev.call(fn, [element]))));
});
define('mapWithIndex', 'func, arr', (ev, [f, a]) => {
  const fn = value(ev, f);
  if (!(fn instanceof JFunction)) throw runtimeError(`std.mapWithIndex first param must be function, got ${typeOf(fn)}`);
  const source = items(ev, a, 'std.mapWithIndex second param');
  return array(ev, source.map((element, i) => later(() => ev.call(fn, [i, element]))));
});
define('flatMap', 'func, arr', (ev, [f, a]) => {
  const fn = func(ev, f);
  const source = value(ev, a);
  if (Array.isArray(source)) {
    const out: Lazy[] = [];
    for (const element of source) {
      const result = ev.force(ev.call(fn, [element]));
      if (!Array.isArray(result)) throw typeError(result, 'array');
      ev.allocate(result.length);
      out.push(...result);
    }
    return out;
  }
  if (typeof source === 'string') {
    let out = '';
    for (const c of codePoints(source)) {
      const result = ev.call(fn, [c]);
      if (typeof result !== 'string') throw typeError(result, 'string');
      out = ev.concat(out, result);
    }
    return out;
  }
  throw runtimeError(`std.flatMap second param must be array / string, got ${typeOf(source)}`);
});
define('filter', 'func, arr', (ev, [f, a]) => {
  const source = arr(ev, a);
  const fn = func(ev, f);
  return array(ev, source.filter((element) => {
    const keep = ev.call(fn, [element]);
    if (typeof keep !== 'boolean') throw typeError(keep, 'boolean');
    return keep;
  }));
});
define('filterMap', 'filter_func, map_func, arr', (ev, [ff, mf, a]) => {
  const keep = value(ev, ff);
  if (!(keep instanceof JFunction)) throw runtimeError(`std.filterMap first param must be function, got ${typeOf(keep)}`);
  const map = value(ev, mf);
  if (!(map instanceof JFunction)) throw runtimeError(`std.filterMap second param must be function, got ${typeOf(map)}`);
  const source = value(ev, a);
  if (!Array.isArray(source)) throw runtimeError(`std.filterMap third param must be array, got ${typeOf(source)}`);
  const kept = source.filter((element) => {
    const ok = ev.call(keep, [element]);
    if (typeof ok !== 'boolean') throw typeError(ok, 'boolean');
    return ok;
  });
  return array(ev, kept.map((element) => later(() => ev.call(map, [element]))));
});
define('foldl', 'func, arr, init', (ev, [f, a, init]) => {
  const fn = func(ev, f);
  const source = items(ev, a, 'foldl second parameter');
  let acc: Lazy = init!;
  for (const element of source) acc = ev.call(fn, [acc, element]);
  return ev.force(acc);
});
define('foldr', 'func, arr, init', (ev, [f, a, init]) => {
  const fn = func(ev, f);
  const source = items(ev, a, 'foldr second parameter');
  let acc: Lazy = init!;
  for (let i = source.length - 1; i >= 0; i--) acc = ev.call(fn, [source[i], acc]);
  return ev.force(acc);
});
define('reverse', 'arr', (ev, [a]) => array(ev, arr(ev, a).slice().reverse()));
define('member', 'arr, x', (ev, [a, x]) => {
  const container = value(ev, a);
  if (typeof container === 'string') return container.includes(str(ev, x));
  if (Array.isArray(container)) {
    const needle = value(ev, x);
    return container.some((element) => ev.equals(ev.force(element), needle));
  }
  throw runtimeError('std.member first argument must be an array or a string');
});
define('contains', 'arr, elem', (ev, [a, e]) => {
  const source = arr(ev, a);
  const needle = value(ev, e);
  return source.some((element) => ev.equals(ev.force(element), needle));
});
define('count', 'arr, x', (ev, [a, x]) => {
  const needle = value(ev, x);
  return arr(ev, a).filter((element) => ev.equals(ev.force(element), needle)).length;
});
define('find', 'value, arr', (ev, [v, a]) => {
  const source = value(ev, a);
  if (!Array.isArray(source)) throw runtimeError(`find second parameter should be an array, got ${typeOf(source)}`);
  const needle = value(ev, v);
  const found: number[] = [];
  source.forEach((element, i) => {
    if (ev.equals(ev.force(element), needle)) found.push(i);
  });
  return array(ev, found);
});
define('remove', 'arr, elem', (ev, [a, e]) => {
  const source = arr(ev, a);
  const needle = value(ev, e);
  const at = source.findIndex((element) => ev.equals(ev.force(element), needle));
  return at < 0 ? source : array(ev, [...source.slice(0, at), ...source.slice(at + 1)]);
});
define('removeAt', 'arr, at', (ev, [a, i]) => {
  const source = arr(ev, a);
  const at = int(ev, i);
  return array(ev, source.filter((_, j) => j !== at));
});
define('join', 'sep, arr', (ev, [s, a]) => {
  const source = arr(ev, a);
  const separator = value(ev, s);
  if (typeof separator === 'string') {
    const parts: string[] = [];
    let length = 0;
    for (const element of source) {
      const part = ev.force(element);
      if (part === null) continue;
      if (typeof part !== 'string') throw typeError(part, 'string');
      length += part.length + (parts.length > 0 ? separator.length : 0);
      ev.checkStringLength(length);
      parts.push(part);
    }
    ev.allocateString(length);
    return parts.join(separator);
  }
  if (Array.isArray(separator)) {
    const out: Lazy[] = [];
    let first = true;
    for (const element of source) {
      const part = ev.force(element);
      if (part === null) continue;
      if (!Array.isArray(part)) throw typeError(part, 'array');
      if (!first) out.push(...separator);
      out.push(...part);
      ev.allocate(part.length + (first ? 0 : separator.length));
      first = false;
    }
    return out;
  }
  throw runtimeError(`join first parameter should be string or array, got ${typeOf(separator)}`);
});
define('lines', 'arr', (ev, [a]) => {
  const parts = arr(ev, a).map((element) => {
    const line = ev.force(element);
    if (line !== null && typeof line !== 'string') throw typeError(line, 'string');
    return line;
  });
  return built(ev, parts.filter((line) => line !== null).map((line) => `${line}\n`).join(''));
});
define('deepJoin', 'arr', (ev, [a]) => {
  const parts: string[] = [];
  const walk = (v: Value): void => {
    ev.tick();
    if (typeof v === 'string') parts.push(v);
    else if (Array.isArray(v)) for (const element of v) walk(ev.force(element));
    else throw runtimeError(`Expected string or array, got ${typeOf(v)}`);
  };
  walk(value(ev, a));
  return built(ev, parts.join(''));
});
define('flattenArrays', 'arrs', (ev, [a]) => {
  const out: Lazy[] = [];
  for (const element of arr(ev, a)) {
    const part = ev.force(element);
    if (!Array.isArray(part)) throw typeError(part, 'array');
    ev.allocate(part.length);
    out.push(...part);
  }
  return out;
});
define('flattenDeepArray', 'value', (ev, [v]) => {
  const out: Lazy[] = [];
  const walk = (x: Value): void => {
    ev.tick();
    if (Array.isArray(x)) for (const element of x) walk(ev.force(element));
    else out.push(x);
  };
  walk(value(ev, v));
  return array(ev, out);
});
define('slice', 'indexable, index, end, step', (ev, [x, i, e, s]) => ev.slice(value(ev, x), value(ev, i), value(ev, e), value(ev, s), { line: 0, column: 0 }));
define('all', 'arr', (ev, [a]) => {
  const source = value(ev, a);
  if (!Array.isArray(source)) throw runtimeError(`all() parameter should be an array, got ${typeOf(source)}`);
  for (const element of source) {
    const e = ev.force(element);
    if (typeof e !== 'boolean') throw runtimeError(`element "${ev.toStringValue(e)}" of type ${typeOf(e)} is not a boolean`);
    if (!e) return false;
  }
  return true;
});
define('any', 'arr', (ev, [a]) => {
  const source = value(ev, a);
  if (!Array.isArray(source)) throw runtimeError(`any() parameter should be an array, got ${typeOf(source)}`);
  for (const element of source) {
    const e = ev.force(element);
    if (typeof e !== 'boolean') throw runtimeError(`element "${ev.toStringValue(e)}" of type ${typeOf(e)} is not a boolean`);
    if (e) return true;
  }
  return false;
});
define('sum', 'arr', (ev, [a]) => arr(ev, a).reduce<number>((total, element) => total + num(ev, element), 0));
define('avg', 'arr', (ev, [a]) => {
  const source = arr(ev, a);
  if (source.length === 0) throw runtimeError('Cannot calculate average of an empty array.');
  return source.reduce<number>((total, element) => total + num(ev, element), 0) / source.length;
});

/** minArray and maxArray as go-jsonnet documents them: the element with the least (greatest) key; onEmpty if none. */
function extreme(ev: Evaluator, [a, k, onEmpty]: Args, sign: 1 | -1): Value {
  const source = arr(ev, a);
  if (source.length === 0) {
    if (onEmpty !== undefined) return value(ev, onEmpty);
    throw runtimeError('Expected at least one element in array. Got none');
  }
  const key = keyFunction(ev, k);
  let best = source[0];
  let bestKey = key(best);
  for (let i = 1; i < source.length; i++) {
    const candidate = key(source[i]);
    if (ev.compare(bestKey, candidate) * sign > 0) {
      best = source[i];
      bestKey = candidate;
    }
  }
  return ev.force(best);
}
define('minArray', 'arr, keyF=, onEmpty=', (ev, args) => extreme(ev, args, 1));
define('maxArray', 'arr, keyF=, onEmpty=', (ev, args) => extreme(ev, args, -1));

// ---- sorting and sets (keyF defaults to the identity) ----

function sortLazy(ev: Evaluator, source: Lazy[], keyArg: Lazy | undefined): Lazy[] {
  const key = keyFunction(ev, keyArg);
  const keyed = source.map((element, i) => ({ element, key: key(element), i }));
  keyed.sort((x, y) => {
    ev.tick();
    return ev.compare(x.key, y.key) || x.i - y.i;
  });
  return array(ev, keyed.map((entry) => entry.element));
}
function uniqLazy(ev: Evaluator, source: Lazy[], keyArg: Lazy | undefined): Lazy[] {
  const key = keyFunction(ev, keyArg);
  const out: Lazy[] = [];
  let lastKey: Value | undefined;
  for (const element of source) {
    const k = key(element);
    if (out.length > 0 && ev.equals(lastKey!, k)) continue;
    out.push(element);
    lastKey = k;
  }
  return array(ev, out);
}
define('sort', 'arr, keyF=', (ev, [a, k]) => sortLazy(ev, arr(ev, a), k));
define('uniq', 'arr, keyF=', (ev, [a, k]) => uniqLazy(ev, arr(ev, a), k));
define('set', 'arr, keyF=', (ev, [a, k]) => uniqLazy(ev, sortLazy(ev, arr(ev, a), k), k));

/** The merge walk of two sorted arrays that std.jsonnet's set functions share. */
function setWalk(ev: Evaluator, a: Lazy[], b: Lazy[], keyArg: Lazy | undefined, keep: { onlyA: boolean; both: boolean; onlyB: boolean }): Lazy[] {
  const key = keyFunction(ev, keyArg);
  const out: Lazy[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    ev.tick();
    const ak = key(a[i]);
    const bk = key(b[j]);
    if (ev.equals(ak, bk)) {
      if (keep.both) out.push(a[i]);
      i++;
      j++;
    } else if (ev.compare(ak, bk) < 0) {
      if (keep.onlyA) out.push(a[i]);
      i++;
    } else {
      if (keep.onlyB) out.push(b[j]);
      j++;
    }
  }
  if (keep.onlyA) out.push(...a.slice(i));
  if (keep.onlyB) out.push(...b.slice(j));
  return array(ev, out);
}
define('setUnion', 'a, b, keyF=', (ev, [a, b, k]) => setWalk(ev, arr(ev, a), arr(ev, b), k, { onlyA: true, both: true, onlyB: true }));
define('setInter', 'a, b, keyF=', (ev, [a, b, k]) => setWalk(ev, arr(ev, a), arr(ev, b), k, { onlyA: false, both: true, onlyB: false }));
define('setDiff', 'a, b, keyF=', (ev, [a, b, k]) => setWalk(ev, arr(ev, a), arr(ev, b), k, { onlyA: true, both: false, onlyB: false }));
define('setMember', 'x, arr, keyF=', (ev, [x, a, k]) => setWalk(ev, [x!], arr(ev, a), k, { onlyA: false, both: true, onlyB: false }).length > 0);

// ---- objects ----

define('objectFieldsEx', 'obj, hidden', (ev, [o, h]) => array(ev, obj(ev, o).fieldNames(bool(ev, h)).slice()));
define('objectFields', 'o', (ev, [o]) => array(ev, obj(ev, o).fieldNames(false).slice()));
define('objectFieldsAll', 'o', (ev, [o]) => array(ev, obj(ev, o).fieldNames(true).slice()));
function has(ev: Evaluator, o: Lazy | undefined, f: Lazy | undefined, includeHidden: boolean): boolean {
  const object = obj(ev, o);
  const visible = object.fieldVisibility().get(str(ev, f));
  return visible === undefined ? false : includeHidden || visible;
}
define('objectHasEx', 'obj, fname, hidden', (ev, [o, f, h]) => has(ev, o, f, bool(ev, h)));
define('objectHas', 'o, f', (ev, [o, f]) => has(ev, o, f, false));
define('objectHasAll', 'o, f', (ev, [o, f]) => has(ev, o, f, true));
define('get', 'o, f, default=, inc_hidden=', (ev, [o, f, fallback, h]) => {
  const object = obj(ev, o);
  const name = str(ev, f);
  if (has(ev, object, name, h === undefined ? true : bool(ev, h))) return ev.field(object, name);
  return fallback === undefined ? null : value(ev, fallback);
});
function valuesOf(ev: Evaluator, o: Lazy | undefined, includeHidden: boolean, pairs: boolean): Lazy[] {
  const object = obj(ev, o);
  return array(ev, object.fieldNames(includeHidden).map((name) => {
    const field = later(() => ev.field(object, name));
    return pairs ? makeObject([['key', name], ['value', field]]) : field;
  }));
}
define('objectValues', 'o', (ev, [o]) => valuesOf(ev, o, false, false));
define('objectValuesAll', 'o', (ev, [o]) => valuesOf(ev, o, true, false));
define('objectKeysValues', 'o', (ev, [o]) => valuesOf(ev, o, false, true));
define('objectKeysValuesAll', 'o', (ev, [o]) => valuesOf(ev, o, true, true));
define('objectRemoveKey', 'obj, key', (ev, [o, k]) => {
  const object = obj(ev, o);
  const key = str(ev, k);
  const visibility = object.fieldVisibility();
  const fields = new Map<string, LayerField>();
  for (const name of object.fieldNames(true)) {
    if (name === key) continue;
    fields.set(name, { visibility: visibility.get(name) ? 'inherit' : 'hidden', plus: false, body: null, value: later(() => ev.field(object, name)) });
  }
  ev.allocate(fields.size);
  return new JObject([{ fields, locals: [], asserts: [], env: null }]);
});
define('mapWithKey', 'func, obj', (ev, [f, o]) => {
  const fn = value(ev, f);
  if (!(fn instanceof JFunction)) throw runtimeError(`std.mapWithKey first param must be function, got ${typeOf(fn)}`);
  const object = value(ev, o);
  if (!(object instanceof JObject)) throw runtimeError(`std.mapWithKey second param must be object, got ${typeOf(object)}`);
  const names = object.fieldNames(false);
  ev.allocate(names.length);
  return makeObject(names.map((name) => [name, later(() => ev.call(fn, [name, later(() => ev.field(object, name))]))]));
});
define('mergePatch', 'target, patch', (ev, [t, p]) => mergePatch(ev, value(ev, t), value(ev, p)));
function mergePatch(ev: Evaluator, target: Value, patch: Value): Value {
  ev.tick();
  if (!(patch instanceof JObject)) return patch;
  const base = target instanceof JObject ? target : null;
  const names = new Set([...(base ? base.fieldNames(false) : []), ...patch.fieldNames(false)]);
  const entries: [string, Lazy][] = [];
  for (const name of [...names].sort(compareStrings)) {
    const inPatch = patch.fieldVisibility().get(name) === true;
    if (inPatch && ev.field(patch, name) === null) continue;
    if (!inPatch) entries.push([name, later(() => ev.field(base!, name))]);
    else {
      const inTarget = base !== null && base.fieldVisibility().get(name) === true;
      entries.push([name, later(() => mergePatch(ev, inTarget ? ev.field(base!, name) : null, ev.field(patch, name)))]);
    }
  }
  ev.allocate(entries.length);
  return makeObject(entries);
}
define('prune', 'a', (ev, [a]) => prune(ev, value(ev, a)));
function prune(ev: Evaluator, v: Value): Value {
  ev.tick();
  const isContent = (x: Value) =>
    !(x === null || (Array.isArray(x) && x.length === 0) || (x instanceof JObject && x.fieldNames(false).length === 0));
  if (Array.isArray(v)) {
    return array(ev, v.map((element) => prune(ev, ev.force(element))).filter(isContent));
  }
  if (v instanceof JObject) {
    const entries: [string, Lazy][] = [];
    for (const name of v.fieldNames(false)) {
      const pruned = prune(ev, ev.field(v, name));
      if (isContent(pruned)) entries.push([name, pruned]);
    }
    ev.allocate(entries.length);
    return makeObject(entries);
  }
  return v;
}
define('resolvePath', 'f, r', (ev, [f, r]) => {
  const parts = str(ev, f).split('/');
  return built(ev, [...parts.slice(0, -1), str(ev, r)].join('/'));
});

// ---- encodings and hashes ----

const utf8 = (s: string) => Buffer.from(s, 'utf8');
const bytesToString = (bytes: Uint8Array) => new TextDecoder('utf-8').decode(bytes);

define('encodeUTF8', 'str', (ev, [s]) => array(ev, [...utf8(str(ev, s))]));
define('decodeUTF8', 'arr', (ev, [a]) => {
  const bytes = arr(ev, a).map((element) => {
    const b = ev.force(element);
    if (typeof b !== 'number' || !Number.isInteger(b)) throw typeError(b, 'number');
    if (b < 0 || b > 255) throw runtimeError(`Bytes must be integers in range [0, 255], got ${b}`);
    return b;
  });
  return built(ev, bytesToString(Uint8Array.from(bytes)));
});
define('base64', 'input', (ev, [i]) => {
  const input = value(ev, i);
  let bytes: Uint8Array;
  if (typeof input === 'string') {
    for (const c of input) {
      const code = c.codePointAt(0)!;
      if (code > 255) throw runtimeError(`base64 encountered invalid codepoint value in the array (must be 0 <= X <= 255), got ${code}`);
    }
    bytes = utf8(input);
  } else if (Array.isArray(input)) {
    bytes = Uint8Array.from(input.map((element) => {
      const b = ev.force(element);
      if (typeof b !== 'number' || !Number.isInteger(b)) throw runtimeError(`base64 encountered a non-integer value in the array, got ${typeOf(b)}`);
      if (b < 0 || b > 255) throw runtimeError(`base64 encountered invalid codepoint value in the array (must be 0 <= X <= 255), got ${b}`);
      return b;
    }));
  } else throw runtimeError(`base64 can only base64 encode strings / arrays of single bytes, got ${typeOf(input)}`);
  return built(ev, Buffer.from(bytes).toString('base64'));
});
function base64Bytes(ev: Evaluator, arg: Lazy | undefined): Buffer {
  const input = value(ev, arg);
  if (typeof input !== 'string') throw runtimeError(`base64DecodeBytes requires a string, got ${typeOf(input)}`);
  if (input.length % 4 !== 0) throw runtimeError(`input string appears not to be a base64 encoded string. Wrong length found (${input.length})`);
  const bad = input.search(/[^A-Za-z0-9+/=]|=[^=]|==./);
  if (bad >= 0 || /[^=]=$/.test(input.slice(0, -1))) throw runtimeError(`failed to decode: illegal base64 data at input byte ${Math.max(bad, 0)}`);
  return Buffer.from(input, 'base64');
}
define('base64DecodeBytes', 'str', (ev, [s]) => array(ev, [...base64Bytes(ev, s)]));
define('base64Decode', 'str', (ev, [s]) => built(ev, bytesToString(base64Bytes(ev, s))));
for (const [name, algorithm] of [['md5', 'md5'], ['sha1', 'sha1'], ['sha256', 'sha256'], ['sha512', 'sha512'], ['sha3', 'sha3-512']] as const) {
  define(name, 's', (ev, [s]) => createHash(algorithm).update(str(ev, s), 'utf8').digest('hex'));
}

// ---- parsing ----

define('parseJson', 'str', (ev, [s]) => {
  const text = str(ev, s);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw runtimeError(`failed to parse JSON: ${(error as Error).message}`);
  }
  return fromJavaScript(ev, parsed);
});
define('parseYaml', 'str', (ev, [s]) => fromJavaScript(ev, parseYaml(str(ev, s))));

/** A JSON-like JavaScript value (parsed JSON or YAML, an ext var's code result) as a Jsonnet value. */
export function fromJavaScript(ev: Evaluator, v: unknown): Value {
  ev.tick();
  if (v === null || v === undefined) return null;
  if (typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') return checkNumber(v);
  if (Array.isArray(v)) return array(ev, v.map((element) => fromJavaScript(ev, element)));
  const entries = Object.keys(v as object).map((name): [string, Lazy] => [name, fromJavaScript(ev, (v as Record<string, unknown>)[name])]);
  ev.allocate(entries.length);
  return makeObject(entries);
}

// ---- manifestation ----

define('manifestJsonEx', 'value, indent, newline=, key_val_sep=', (ev, [v, i, n, k]) =>
  built(ev, manifestJsonEx(ev, value(ev, v), str(ev, i), n === undefined ? '\n' : str(ev, n), k === undefined ? ': ' : str(ev, k))),
);
define('manifestJson', 'value', (ev, [v]) => built(ev, manifestJsonEx(ev, value(ev, v), '    ', '\n', ': ')));
define('manifestJsonMinified', 'value', (ev, [v]) => built(ev, manifestJsonEx(ev, value(ev, v), '', '', ':')));
define('manifestYamlDoc', 'value, indent_array_in_object=, quote_keys=', (ev, [v, i, q]) =>
  built(ev, manifestYamlDoc(ev, value(ev, v), i === undefined ? false : bool(ev, i), q === undefined ? true : bool(ev, q))),
);
define('manifestYamlStream', 'value, indent_array_in_object=, c_document_end=, quote_keys=', (ev, [v, i, end, q]) => {
  const documents = value(ev, v);
  if (!Array.isArray(documents)) throw runtimeError(`manifestYamlStream only takes arrays, got ${typeOf(documents)}`);
  const indentArrays = i === undefined ? false : bool(ev, i);
  const quoteKeys = q === undefined ? true : bool(ev, q);
  const body = documents.map((d) => manifestYamlDoc(ev, ev.force(d), indentArrays, quoteKeys)).join('\n---\n');
  return built(ev, `---\n${body}${end === undefined || bool(ev, end) ? '\n...\n' : '\n'}`);
});
define('manifestTomlEx', 'value, indent', (ev, [v, i]) => built(ev, manifestTomlEx(ev, value(ev, v), str(ev, i))));
define('manifestToml', 'value', (ev, [v]) => built(ev, manifestTomlEx(ev, value(ev, v), '  ')));
define('manifestPython', 'v', (ev, [v]) => built(ev, manifestPython(ev, value(ev, v))));
define('manifestPythonVars', 'conf', (ev, [c]) => {
  const conf = obj(ev, c);
  return built(ev, conf.fieldNames(false).map((name) => `${name} = ${manifestPython(ev, ev.field(conf, name))}\n`).join(''));
});
define('manifestIni', 'ini', (ev, [i]) => {
  const ini = obj(ev, i);
  const body = (section: Value): string[] => {
    if (!(section instanceof JObject)) throw typeError(section, 'object');
    return section.fieldNames(false).flatMap((name) => {
      const v = ev.field(section, name);
      const values = Array.isArray(v) ? v.map((e) => ev.force(e)) : [v];
      return values.map((x) => `${name} = ${ev.toStringValue(x)}`);
    });
  };
  const main = ini.fieldVisibility().get('main') === true ? body(ev.field(ini, 'main')) : [];
  const sections = ev.field(ini, 'sections');
  if (!(sections instanceof JObject)) throw typeError(sections, 'object');
  const rest = sections.fieldNames(false).flatMap((name) => [`[${name}]`, ...body(ev.field(sections, name))]);
  return built(ev, [...main, ...rest, ''].join('\n'));
});
define('manifestXmlJsonml', 'value', (ev, [v]) => {
  const root = value(ev, v);
  if (!Array.isArray(root)) throw runtimeError(`Expected a JSONML value (an array), got ${typeOf(root)}`);
  const deep = (x: Value): string => {
    if (typeof x === 'string') return x;
    if (Array.isArray(x)) return x.map((e) => deep(ev.force(e))).join('');
    throw runtimeError(`Expected string or array, got ${typeOf(x)}`);
  };
  const element = (x: Value): string => {
    ev.tick();
    if (typeof x === 'string') return x;
    if (!Array.isArray(x)) throw typeError(x, 'array');
    const tag = ev.force(x[0]);
    const second = x.length > 1 ? ev.force(x[1]) : null;
    const attributes = second instanceof JObject ? second : null;
    const children = x.slice(attributes ? 2 : 1);
    const attributeText = attributes ? attributes.fieldNames(false).map((name) => ` ${name}="${ev.toStringValue(ev.field(attributes, name))}"`).join('') : '';
    return `<${deep(tag)}${attributeText}>${children.map((c) => element(ev.force(c))).join('')}</${deep(tag)}>`;
  };
  return built(ev, element(root));
});

define('assertEqual', 'a, b', (ev, [a, b]) => {
  const x = value(ev, a);
  const y = value(ev, b);
  if (ev.equals(x, y)) return true;
  const show = (v: Value) => (typeof v === 'string' ? quoteString(v) : ev.toStringValue(v));
  throw runtimeError(`Assertion failed. ${show(x)} != ${show(y)}`);
});

/** The `std` object: every function above as a hidden field, and std.pi. Shared by all evaluations (it holds no state). */
export const STD = makeObject([...[...functions].map(([name, fn]): [string, Lazy] => [name, fn]), ['pi', Math.PI]], 'hidden');
