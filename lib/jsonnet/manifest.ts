/**
 * Turning values into output: plain JavaScript values (what `evaluate` returns), the jsonnet command's JSON text
 * (`std.toString` uses its one-line form), and the std.manifest* formats (JSON with options, YAML, TOML, INI,
 * Python, JsonML). Number and string rendering follow go-jsonnet exactly, because they are visible in strings:
 * `"" + 0.1` is `"0.10000000000000001"` (C's %.17g), while std.manifestJsonEx writes Go's shortest form, `0.1`.
 * Every value written counts against the evaluation's budgets: a small value referenced many times (a DAG) must not
 * expand into gigabytes of output.
 */
import { runtimeError } from './errors.js';
import { compareStrings, JObject, typeOf, type Lazy, type Value, type Evaluation as Evaluator } from './values.js';

/** go-jsonnet's unparseNumber: integers as `%.0f`, anything else as `%.17g` (enough digits to round-trip). */
export function formatNumber(n: number): string {
  if (Number.isInteger(n)) return Object.is(n, -0) ? '-0' : BigInt(n).toString();
  const [mantissa, exponentText] = Math.abs(n).toExponential(16).split('e');
  const exponent = Number(exponentText);
  const digits = mantissa.replace('.', '');
  const sign = n < 0 ? '-' : '';
  if (exponent < -4 || exponent >= 17) {
    const fraction = digits.slice(1).replace(/0+$/, '');
    return `${sign}${digits[0]}${fraction ? `.${fraction}` : ''}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  return sign + placePoint(digits, exponent);
}

/** Go's strconv.FormatFloat(n, 'f', -1, 64): the shortest digits that round-trip, never in exponent form. */
export function formatNumberShortest(n: number): string {
  if (Object.is(n, -0)) return '-0';
  const [mantissa, exponentText] = Math.abs(n).toExponential().split('e');
  return (n < 0 ? '-' : '') + placePoint(mantissa.replace('.', ''), Number(exponentText));
}

/** Significant `digits` (d.ddd) with the decimal exponent `exponent`, written without exponent, zeros trimmed. */
function placePoint(digits: string, exponent: number): string {
  let whole: string;
  let fraction: string;
  if (exponent >= 0) {
    whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
    fraction = digits.slice(exponent + 1);
  } else {
    whole = '0';
    fraction = '0'.repeat(-exponent - 1) + digits;
  }
  fraction = fraction.replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : whole;
}

/** go-jsonnet's unparseString (also std.escapeStringJson): JSON escapes, and \u00XX for C0 and C1 controls. */
export function quoteString(s: string): string {
  let out = '"';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c !== 0x22 && c !== 0x5c && (c < 0x7f || c > 0x9f)) continue;
    out += s.slice(from, i) + escapeChar(c, true);
    from = i + 1;
  }
  return `${out}${s.slice(from)}"`;
}

/** Go's encoding/json (HTML escaping off), as std.manifestJsonEx writes strings: C1 controls stay, U+2028/9 are escaped. */
export function quoteStringGo(s: string): string {
  let out = '"';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c !== 0x22 && c !== 0x5c && c !== 0x2028 && c !== 0x2029) continue;
    out += s.slice(from, i) + escapeChar(c, false);
    from = i + 1;
  }
  return `${out}${s.slice(from)}"`;
}

function escapeChar(c: number, c1Controls: boolean): string {
  switch (c) {
    case 0x22: return '\\"';
    case 0x5c: return '\\\\';
    case 0x08: return '\\b';
    case 0x0c: return '\\f';
    case 0x0a: return '\\n';
    case 0x0d: return '\\r';
    case 0x09: return '\\t';
  }
  if (c < 0x20 || (c1Controls && c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029) return `\\u${c.toString(16).padStart(4, '0')}`;
  return String.fromCharCode(c);
}

/** An object's visible fields, in order, after its assertions (as go-jsonnet manifests them). */
function visibleFields(ev: Evaluator, obj: JObject): string[] {
  ev.checkAsserts(obj);
  return obj.fieldNames(false);
}

/** One more value written: a step of work and a unit of output (a string's characters count as characters). */
function written(ev: Evaluator, characters = 0): void {
  ev.tick();
  if (characters > 0) ev.allocateCharacters(characters);
  else ev.allocate(1);
}

/** The plain JavaScript value (`evaluate`'s result): objects with their visible fields, in Jsonnet's order. */
export function toJavaScript(ev: Evaluator, value: Value): unknown {
  written(ev);
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((element) => toJavaScript(ev, ev.force(element)));
  if (value instanceof JObject) {
    const out: Record<string, unknown> = {};
    for (const name of visibleFields(ev, value)) {
      const field = toJavaScript(ev, ev.field(value, name));
      // A field named __proto__ is data here, not the object's prototype.
      if (name === '__proto__') Object.defineProperty(out, name, { value: field, enumerable: true, writable: true, configurable: true });
      else out[name] = field;
    }
    return out;
  }
  throw runtimeError("couldn't manifest function as JSON");
}

/** The JSON text the jsonnet command prints (multiline, 3-space indent, `[ ]` and `{ }` when empty), or its one-line form. */
export function serializeJson(ev: Evaluator, value: Value, multiline: boolean, indent = ''): string {
  written(ev);
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return String(value);
    case 'number':
      return formatNumber(value);
    case 'string':
      written(ev, value.length);
      return quoteString(value);
  }
  const inner = multiline ? `${indent}   ` : indent;
  const open = multiline ? '\n' : '';
  const separator = multiline ? ',\n' : ', ';
  const close = multiline ? `\n${indent}` : '';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[ ]';
    const parts = value.map((element) => inner + serializeJson(ev, ev.force(element), multiline, inner));
    return `[${open}${parts.join(separator)}${close}]`;
  }
  if (value instanceof JObject) {
    const names = visibleFields(ev, value);
    if (names.length === 0) return '{ }';
    const parts = names.map((name) => `${inner}${quoteString(name)}: ${serializeJson(ev, ev.field(value, name), multiline, inner)}`);
    return `{${open}${parts.join(separator)}${close}}`;
  }
  throw runtimeError("couldn't manifest function as JSON");
}

/** The same text from a plain JavaScript value (what `evaluate` returned), for the command line. */
export function formatJson(value: unknown, indent = ''): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'string') return quoteString(value);
  if (typeof value === 'boolean') return String(value);
  const inner = `${indent}   `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[ ]';
    return `[\n${value.map((element) => inner + formatJson(element, inner)).join(',\n')}\n${indent}]`;
  }
  const names = Object.keys(value as object).sort(compareStrings);
  if (names.length === 0) return '{ }';
  const record = value as Record<string, unknown>;
  return `{\n${names.map((name) => `${inner}${quoteString(name)}: ${formatJson(record[name], inner)}`).join(',\n')}\n${indent}}`;
}

/** std.manifestJsonEx, as go-jsonnet writes it (Go's string escaping and shortest numbers). */
export function manifestJsonEx(ev: Evaluator, value: Value, indent: string, newline: string, keyValueSeparator: string): string {
  const path: (string | number)[] = [];
  const write = (v: Value, current: string): string => {
    written(ev);
    if (v === null) return 'null';
    switch (typeof v) {
      case 'boolean':
        return String(v);
      case 'number':
        return formatNumberShortest(v);
      case 'string':
        written(ev, v.length);
        return quoteStringGo(v);
    }
    const deeper = current + indent;
    if (Array.isArray(v)) {
      const lines = v.map((element, i) => {
        path.push(i);
        const text = deeper + write(ev.force(element), deeper);
        path.pop();
        return text;
      });
      return `[${newline}${lines.join(`,${newline}`)}${newline}${current}]`;
    }
    if (v instanceof JObject) {
      const lines = visibleFields(ev, v).map((name) => {
        path.push(name);
        const text = deeper + quoteStringGo(name) + keyValueSeparator + write(ev.field(v, name), deeper);
        path.pop();
        return text;
      });
      return `{${newline}${lines.join(`,${newline}`)}${newline}${current}}`;
    }
    throw runtimeError(`tried to manifest function at ${pathText(path)}`);
  };
  return write(value, '');
}

function pathText(path: readonly (string | number)[]): string {
  return `[${path.join(' ')}]`;
}

/** std.manifestYamlDoc, as go-jsonnet writes it. */
export function manifestYamlDoc(ev: Evaluator, value: Value, indentArrayInObject: boolean, quoteKeys: boolean): string {
  const out: string[] = [];
  const write = (v: Value, indent: string): void => {
    written(ev);
    if (v === null) return void out.push('null');
    switch (typeof v) {
      case 'boolean':
        return void out.push(String(v));
      case 'number':
        return void out.push(formatNumberShortest(v));
      case 'string':
        written(ev, v.length);
        if (v === '') out.push('""');
        else if (v.endsWith('\n')) {
          out.push('|');
          for (const line of v.slice(0, -1).split('\n')) out.push(`\n${indent}  ${line}`);
        } else out.push(quoteString(v));
        return;
    }
    if (Array.isArray(v)) {
      if (v.length === 0) return void out.push('[]');
      v.forEach((lazy, i) => {
        if (i > 0) out.push(`\n${indent}`);
        const element = ev.force(lazy);
        out.push('-');
        if (Array.isArray(element) && element.length > 0) out.push(`\n${indent}  `);
        else out.push(' ');
        write(element, Array.isArray(element) || element instanceof JObject ? `${indent}  ` : indent);
      });
      return;
    }
    if (v instanceof JObject) {
      const names = visibleFields(ev, v);
      if (names.length === 0) return void out.push('{}');
      names.forEach((name, i) => {
        const field = ev.field(v, name);
        if (i > 0) out.push(`\n${indent}`);
        out.push(quoteKeys || !yamlBareSafe(name) ? quoteString(name) : name, ':');
        let inner = indent;
        if (Array.isArray(field) && field.length > 0) {
          out.push(`\n${indent}`);
          if (indentArrayInObject) {
            out.push('  ');
            inner = `${indent}  `;
          }
        } else if (field instanceof JObject && field.fieldNames(false).length > 0) {
          out.push(`\n${indent}  `);
          inner = `${indent}  `;
        } else out.push(' ');
        write(field, inner);
      });
      return;
    }
    throw runtimeError('Tried to manifest function');
  };
  write(value, '');
  return out.join('');
}

const YAML_RESERVED = ['true', 'false', 'yes', 'no', 'on', 'off', 'y', 'n', '.nan', '-.inf', '+.inf', '.inf', 'null', '-', '---', "''"];

/** go-jsonnet's test for a YAML key that needs no quotes (quote_keys=false). */
function yamlBareSafe(key: string): boolean {
  if (key === '' || !/^[A-Za-z0-9_\-/.]+$/.test(key)) return false;
  const lower = key.toLowerCase();
  if (YAML_RESERVED.includes(lower)) return false;
  if (/^(?:[0-9]*-){2}[0-9]*$/.test(key)) return false;
  if (/^[-+]?0b[0-1_]+$/.test(key) || /[-+]?0x[0-9a-fA-F_]+/.test(key)) return false;
  if (/^[-+]?[0-9]+$/.test(key)) return false;
  if (isGoFloat(key)) return false;
  return true;
}

/** What Go's strconv.ParseFloat accepts among the characters a bare key may have. */
function isGoFloat(s: string): boolean {
  const body = s.replace(/^[-+]/, '');
  if (/^(inf|infinity|nan)$/i.test(body)) return true;
  // Underscores are allowed between digits only with a base prefix; decimal here, so none.
  return /^(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$/.test(body);
}

/** std.manifestTomlEx, as go-jsonnet renders it. */
export function manifestTomlEx(ev: Evaluator, value: Value, indent: string): string {
  if (!(value instanceof JObject)) throw runtimeError(`TOML body must be an object. Got ${typeOf(value)}`);
  const key = (s: string) => (s === '' ? "''" : /^[A-Za-z0-9_-]+$/.test(s) ? s : quoteString(s));
  const isSection = (v: Value): boolean =>
    v instanceof JObject || (Array.isArray(v) && v.length > 0 && v.every((element) => ev.force(element) instanceof JObject));

  const renderValue = (v: Value, path: string[], inline: boolean, current: string): string => {
    written(ev);
    if (v === null) throw runtimeError(`Tried to manifest "null" at [${path.join(' ')}]`);
    switch (typeof v) {
      case 'boolean':
        return String(v);
      case 'number':
        return formatNumber(v);
      case 'string':
        written(ev, v.length);
        return quoteString(v);
    }
    if (Array.isArray(v)) {
      if (v.length === 0) return '[]';
      const deeper = inline ? '' : current + indent;
      const separator = inline ? ' ' : '\n';
      const items = v.map((element, i) => deeper + renderValue(ev.force(element), [...path, String(i)], true, ''));
      return `[${separator}${items.join(`,${separator}`)}${separator}${inline ? current : ''}]`;
    }
    if (v instanceof JObject) {
      const items = visibleFields(ev, v).map((name) => `${key(name)} = ${renderValue(ev.field(v, name), [...path, name], true, '')}`);
      return `{ ${items.join(', ')} }`;
    }
    throw runtimeError(`Tried to manifest function at [${path.join(' ')}]`);
  };

  const table = (v: JObject, path: string[], current: string): string => {
    const fields: string[] = [];
    const sections: string[] = [''];
    for (const name of visibleFields(ev, v)) {
      const field = ev.field(v, name);
      const childPath = [...path, name];
      if (isSection(field)) {
        if (field instanceof JObject) {
          sections.push(`${current}[${childPath.map(key).join('.')}]${field.fieldNames(false).length > 0 ? '\n' : ''}${table(field, childPath, current + indent)}`);
        } else {
          const tables = (field as Lazy[]).map((lazy) => {
            const element = ev.force(lazy) as JObject;
            return `${current}[[${childPath.map(key).join('.')}]]${element.fieldNames(false).length > 0 ? '\n' : ''}${table(element, childPath, current + indent)}`;
          });
          sections.push(tables.join('\n\n'));
        }
      } else {
        fields.push(...`${key(name)} = ${renderValue(field, childPath, false, '')}`.split('\n'));
      }
    }
    return (fields.length > 0 ? current : '') + fields.join(`\n${current}`) + sections.join('\n\n');
  };
  return table(value, [], '');
}

/** std.manifestPython: Python literals (True, False, None; strings JSON-escaped). */
export function manifestPython(ev: Evaluator, value: Value): string {
  written(ev);
  if (value === null) return 'None';
  switch (typeof value) {
    case 'boolean':
      return value ? 'True' : 'False';
    case 'number':
      return formatNumber(value);
    case 'string':
      written(ev, value.length);
      return quoteString(value);
  }
  if (Array.isArray(value)) return `[${value.map((element) => manifestPython(ev, ev.force(element))).join(', ')}]`;
  if (value instanceof JObject) {
    return `{${value.fieldNames(false).map((name) => `${quoteString(name)}: ${manifestPython(ev, ev.field(value, name))}`).join(', ')}}`;
  }
  throw runtimeError('cannot manifest function');
}
