/**
 * std.format and the `%` operator on strings: Python's printf-style codes (`%(key)s`, flags `#0- +`, width and
 * precision, possibly `*`; conversions d i u o x X e E f F g G c s %). The reference implementation is written in
 * Jsonnet (go-jsonnet and the C++ interpreter share it); its arithmetic is reproduced step by step here, because
 * it differs from C's printf in visible ways (`'%e' % 1000` is `10.000000e+02` there).
 */
import { runtimeError } from './errors.js';
import { codePoints, JObject, typeOf, type Lazy, type Value, type Evaluation as Evaluator } from './values.js';

interface Code {
  key: string | null;
  alt: boolean;
  zero: boolean;
  left: boolean;
  blank: boolean;
  plus: boolean;
  width: number | '*';
  precision: number | '*' | null;
  type: string;
  caps: boolean;
}

const truncated = () => runtimeError('Truncated format code.');

function parseCodes(format: string): (string | Code)[] {
  const chars = codePoints(format);
  const out: (string | Code)[] = [];
  let literal = '';
  let i = 0;
  const at = (j: number) => {
    if (j >= chars.length) throw truncated();
    return chars[j];
  };
  const number = (): number | '*' => {
    if (chars[i] === '*') {
      i++;
      return '*';
    }
    let n = 0;
    while (at(i) >= '0' && at(i) <= '9') n = n * 10 + Number(chars[i++]);
    return n;
  };
  while (i < chars.length) {
    const c = chars[i++];
    if (c !== '%') {
      literal += c;
      continue;
    }
    out.push(literal);
    literal = '';
    let key: string | null = null;
    if (at(i) === '(') {
      let j = i + 1;
      let name = '';
      while (at(j) !== ')') name += chars[j++];
      key = name;
      i = j + 1;
    }
    const code: Code = { key, alt: false, zero: false, left: false, blank: false, plus: false, width: 0, precision: null, type: '', caps: false };
    for (let flag = at(i); '#0- +'.includes(flag); flag = at(++i)) {
      if (flag === '#') code.alt = true;
      else if (flag === '0') code.zero = true;
      else if (flag === '-') code.left = true;
      else if (flag === ' ') code.blank = true;
      else code.plus = true;
    }
    code.width = number();
    if (at(i) === '.') {
      i++;
      code.precision = number();
    }
    if ('hlL'.includes(at(i))) i++;
    const type = at(i++);
    if ('diu'.includes(type)) code.type = 'd';
    else if ('oxXeEfFgGcs%'.includes(type)) {
      code.type = type.toLowerCase();
      code.caps = type !== code.type;
    } else throw runtimeError(`Unrecognised conversion type: ${type}`);
    out.push(code);
  }
  out.push(literal);
  return out;
}

export function formatString(ev: Evaluator, format: string, values: Value): string {
  const codes = parseCodes(format);
  let out = '';
  const append = (s: string) => {
    ev.checkStringLength(out.length + s.length);
    ev.allocateCharacters(s.length);
    out += s;
  };
  if (values instanceof JObject) {
    for (const code of codes) {
      if (typeof code === 'string') {
        append(code);
        continue;
      }
      if (code.width === '*') throw runtimeError('Cannot use * field width with object.');
      if (code.precision === '*') throw runtimeError('Cannot use * precision with object.');
      let text = '%';
      if (code.type !== '%') {
        if (code.key === null) throw runtimeError('Mapping keys required.');
        if (!values.fieldVisibility().has(code.key)) throw runtimeError(`No such field: ${code.key}`);
        text = formatCode(ev, ev.field(values, code.key), code, code.width, code.precision, code.key);
      }
      append(pad(ev, text, code.width, code.left));
    }
    return out;
  }
  const items: Lazy[] = Array.isArray(values) ? values : [values];
  let j = 0;
  for (const code of codes) {
    if (typeof code === 'string') {
      append(code);
      continue;
    }
    let width = code.width;
    if (width === '*') {
      if (j >= items.length) throw runtimeError(`Not enough values to format: ${items.length}, expected at least ${j}`);
      width = requireNumber(ev.force(items[j++]));
    }
    let precision = code.precision;
    if (precision === '*') {
      if (j >= items.length) throw runtimeError(`Not enough values to format: ${items.length}, expected at least ${j}`);
      precision = requireNumber(ev.force(items[j++]));
    }
    let text = '%';
    if (code.type !== '%') {
      if (j >= items.length) throw runtimeError(`Not enough values to format: ${items.length}, expected more than ${j}`);
      text = formatCode(ev, ev.force(items[j]), code, width, precision, j);
      j++;
    }
    append(pad(ev, text, width, code.left));
  }
  if (j < items.length) throw runtimeError(`Too many values to format: ${items.length}, expected ${j}`);
  return out;
}

function requireNumber(value: Value): number {
  if (typeof value !== 'number') throw runtimeError(`Unexpected type ${typeOf(value)}, expected number`);
  return value;
}

function pad(ev: Evaluator, text: string, width: number, left: boolean): string {
  const missing = width - codePoints(text).length;
  if (missing <= 0) return text;
  ev.allocateString(text.length + missing);
  return left ? text + ' '.repeat(missing) : ' '.repeat(missing) + text;
}

function padLeft(ev: Evaluator, text: string, width: number, fill: string): string {
  const missing = width - text.length;
  if (missing <= 0) return text;
  ev.allocateString(text.length + missing);
  return fill.repeat(missing) + text;
}

function formatCode(ev: Evaluator, value: Value, code: Code, width: number, precision: number | null, where: number | string): string {
  const floatPrecision = precision ?? 6;
  const intPrecision = precision ?? 0;
  const zeroPad = code.zero && !code.left ? width : 0;
  if (code.type === 's') return ev.toStringValue(value);
  if (code.type === 'c') {
    if (typeof value === 'number') return codePointToString(value);
    if (typeof value === 'string') {
      const length = codePoints(value).length;
      if (length === 1) return value;
      throw runtimeError(`%c expected 1-sized string got: ${length}`);
    }
    throw runtimeError(`%c expected number / string, got: ${typeOf(value)}`);
  }
  if (typeof value !== 'number') throw runtimeError(`Format required number at ${where}, got ${typeOf(value)}`);
  switch (code.type) {
    case 'd':
      return renderInt(ev, value <= -1, Math.floor(Math.abs(value)), zeroPad, intPrecision, code.blank, code.plus, 10, '');
    case 'o':
      return renderInt(ev, value <= -1, Math.floor(Math.abs(value)), zeroPad, intPrecision, code.blank, code.plus, 8, code.alt ? '0' : '');
    case 'x':
      return renderHex(ev, Math.floor(value), zeroPad, intPrecision, code.blank, code.plus, code.alt, code.caps);
    case 'f':
      return renderDecimal(ev, value, zeroPad, code.blank, code.plus, code.alt, true, floatPrecision);
    case 'e':
      return renderScientific(ev, value, zeroPad, code.blank, code.plus, code.alt, true, code.caps, floatPrecision);
    default: {
      const exponent = value !== 0 ? Math.floor(Math.log(Math.abs(value)) / Math.log(10)) : 0;
      if (exponent < -4 || exponent >= floatPrecision) {
        return renderScientific(ev, value, zeroPad, code.blank, code.plus, code.alt, code.alt, code.caps, floatPrecision - 1);
      }
      return renderDecimal(ev, value, zeroPad, code.blank, code.plus, code.alt, code.alt, floatPrecision - Math.max(1, exponent + 1));
    }
  }
}

export function codePointToString(n: number): string {
  if (n > 0x10ffff) throw runtimeError(`Invalid unicode codepoint, got ${n}`);
  if (n < 0) throw runtimeError(`Codepoints must be >= 0, got ${n}`);
  const code = Math.trunc(n);
  // Go turns a surrogate code point into U+FFFD (a string holds only valid characters).
  return code >= 0xd800 && code <= 0xdfff ? '\ufffd' : String.fromCodePoint(code);
}

/** Digits of a whole magnitude, most significant first, as the reference computes them (floor and fmod). */
function digits(magnitude: number, radix: number, prefix: string): string {
  if (magnitude === 0) return '0';
  let out = '';
  for (let n = magnitude; n !== 0; n = Math.floor(n / radix)) out = String(n % radix) + out;
  return prefix + out;
}

function sign(negative: boolean, blank: boolean, plus: boolean): string {
  return negative ? '-' : plus ? '+' : blank ? ' ' : '';
}

function renderInt(ev: Evaluator, negative: boolean, magnitude: number, minChars: number, minDigits: number, blank: boolean, plus: boolean, radix: number, prefix: string): string {
  const zeros = Math.max(minChars - (negative || blank || plus ? 1 : 0), minDigits);
  return sign(negative, blank, plus) + padLeft(ev, digits(magnitude, radix, prefix), zeros, '0');
}

function renderHex(ev: Evaluator, n: number, minChars: number, minDigits: number, blank: boolean, plus: boolean, zeroX: boolean, caps: boolean): string {
  const numerals = caps ? '0123456789ABCDEF' : '0123456789abcdef';
  let hex = '';
  for (let m = Math.floor(Math.abs(n)); m !== 0; m = Math.floor(m / 16)) hex = numerals[m % 16] + hex;
  if (hex === '') hex = '0';
  const negative = n < 0;
  const zeros = Math.max(minChars - (negative || blank || plus ? 1 : 0) - (zeroX ? 2 : 0), minDigits);
  return sign(negative, blank, plus) + (zeroX ? (caps ? '0X' : '0x') : '') + padLeft(ev, hex, zeros, '0');
}

function renderDecimal(ev: Evaluator, n: number, zeroPad: number, blank: boolean, plus: boolean, ensurePoint: boolean, trailing: boolean, precision: number): string {
  const magnitude = Math.abs(n);
  const denominator = Math.pow(10, precision);
  const numerator = magnitude * denominator + 0.5;
  const whole = Math.sign(magnitude) * Math.floor(numerator / denominator);
  const fraction = Math.floor(numerator) % denominator;
  const pointSize = precision === 0 && !ensurePoint ? 0 : 1;
  const text = renderInt(ev, n < 0, whole, zeroPad - precision - pointSize, 0, blank, plus, 10, '');
  if (precision === 0) return text + (ensurePoint ? '.' : '');
  if (!trailing && !(fraction > 0)) return text;
  const fractionText = renderInt(ev, false, fraction, precision, 0, false, false, 10, '');
  return `${text}.${trailing ? fractionText : fractionText.replace(/0+$/, '')}`;
}

function renderScientific(ev: Evaluator, n: number, zeroPad: number, blank: boolean, plus: boolean, ensurePoint: boolean, trailing: boolean, caps: boolean, precision: number): string {
  const exponent = n === 0 ? 0 : Math.floor(Math.log(Math.abs(n)) / Math.log(10));
  const suffix = (caps ? 'E' : 'e') + renderInt(ev, exponent < 0, Math.abs(exponent), 3, 0, false, true, 10, '');
  // 10^-324 is 0 as a double: the reference divides in two steps there.
  const mantissa = exponent === -324 ? (n * 10) / Math.pow(10, exponent + 1) : n / Math.pow(10, exponent);
  return renderDecimal(ev, mantissa, zeroPad - suffix.length, blank, plus, ensurePoint, trailing, precision) + suffix;
}
