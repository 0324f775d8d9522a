/**
 * Jsonnet's lexer: source text to tokens, each with its 1-based line and column. String literals are unescaped here
 * (double, single, verbatim `@"..."`, and `|||` text blocks with go-jsonnet's `|||-` chomping), so the parser only
 * ever sees their values. Rules follow the specification and go-jsonnet's lexer: a run of operator characters is one
 * operator, except that `//`, `/*` and `|||` start something else and that an operator longer than one character may
 * not end in `+ - ~ ! $` (so `a+-b` is `a + -b`).
 */
import { JsonnetError } from './errors.js';

export type TokenKind =
  | 'identifier'
  | 'number'
  | 'string'
  | 'operator'
  | 'dollar'
  | '{'
  | '}'
  | '['
  | ']'
  | ','
  | '.'
  | '('
  | ')'
  | ';'
  | 'eof'
  | Keyword;

export type Keyword =
  | 'assert'
  | 'else'
  | 'error'
  | 'false'
  | 'for'
  | 'function'
  | 'if'
  | 'import'
  | 'importstr'
  | 'importbin'
  | 'in'
  | 'local'
  | 'null'
  | 'self'
  | 'super'
  | 'tailstrict'
  | 'then'
  | 'true';

const KEYWORDS = new Set<string>([
  'assert', 'else', 'error', 'false', 'for', 'function', 'if', 'import', 'importstr', 'importbin', 'in', 'local',
  'null', 'self', 'super', 'tailstrict', 'then', 'true',
]);

export interface Token {
  kind: TokenKind;
  /** Identifier or operator text, number literal text, or a string literal's value. */
  value: string;
  line: number;
  column: number;
  /** A `|||` text block: not allowed as an import path. */
  textBlock?: boolean;
}

const OPERATOR_CHARS = '!$:~+-&|^=<>*/%';
const isOperatorChar = (c: string) => c !== '' && OPERATOR_CHARS.includes(c);
const isDigit = (c: string) => c >= '0' && c <= '9';
const isIdentifierStart = (c: string) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
const isIdentifierChar = (c: string) => isIdentifierStart(c) || isDigit(c);

export function lex(source: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  let line = 1;
  let lineStart = 0;
  const run = { end: 0, lastAllowedEnd: -1 };

  const fail = (message: string, at: { line: number; column: number } = here()): never => {
    throw new JsonnetError('syntax', message, at);
  };
  function here() {
    return { line, column: pos - lineStart + 1 };
  }
  /** Advance over source[from, to), keeping the line count (strings and comments may span lines). */
  function advanceTo(to: number) {
    for (; pos < to; pos++) {
      if (source.charCodeAt(pos) === 10) {
        line++;
        lineStart = pos + 1;
      }
    }
  }

  while (true) {
    // Whitespace and comments.
    while (pos < source.length) {
      const c = source[pos];
      if (c === ' ' || c === '\t' || c === '\r' || c === '\n') advanceTo(pos + 1);
      else if (c === '#' || (c === '/' && source[pos + 1] === '/')) {
        const end = source.indexOf('\n', pos);
        advanceTo(end < 0 ? source.length : end);
      } else if (c === '/' && source[pos + 1] === '*') {
        const start = here();
        const end = source.indexOf('*/', pos + 2);
        if (end < 0) fail('Multi-line comment has no terminating */', start);
        advanceTo(end + 2);
      } else break;
    }
    const start = here();
    if (pos >= source.length) {
      tokens.push({ kind: 'eof', value: '', ...start });
      return tokens;
    }
    const c = source[pos];
    if ('{}[],.();'.includes(c)) {
      tokens.push({ kind: c as TokenKind, value: c, ...start });
      advanceTo(pos + 1);
    } else if (isDigit(c)) {
      tokens.push({ kind: 'number', value: lexNumber(), ...start });
    } else if (isIdentifierStart(c)) {
      let end = pos + 1;
      while (end < source.length && isIdentifierChar(source[end])) end++;
      const word = source.slice(pos, end);
      advanceTo(end);
      tokens.push({ kind: KEYWORDS.has(word) ? (word as Keyword) : 'identifier', value: word, ...start });
    } else if (c === '"' || c === "'") {
      tokens.push({ kind: 'string', value: lexQuoted(c, start), ...start });
    } else if (c === '@') {
      const quote = source[pos + 1];
      if (quote !== '"' && quote !== "'") fail(`Couldn't lex verbatim string, junk after '@': ${JSON.stringify(quote ?? '')}`);
      tokens.push({ kind: 'string', value: lexVerbatim(quote, start), ...start });
    } else if (c === '|' && source.startsWith('|||', pos)) {
      tokens.push({ kind: 'string', value: lexTextBlock(start), textBlock: true, ...start });
    } else if (isOperatorChar(c)) {
      // A run of operator characters, remembered: when it splits into several operators (`---x`), the next ones
      // start inside it, and scanning it again each time would be quadratic in its length.
      if (pos >= run.end) {
        run.end = pos;
        run.lastAllowedEnd = -1;
        while (run.end < source.length && isOperatorChar(source[run.end])) {
          if (run.end > pos && source[run.end] === '/' && (source[run.end + 1] === '/' || source[run.end + 1] === '*')) break;
          if (run.end > pos && source[run.end] === '|' && source.startsWith('|||', run.end)) break;
          if (!'+-~!$'.includes(source[run.end])) run.lastAllowedEnd = run.end + 1;
          run.end++;
        }
      }
      // An operator of several characters may not end in + - ~ ! $ (so `x+-1` is `x + -1`).
      const end = run.lastAllowedEnd > pos + 1 ? run.lastAllowedEnd : pos + 1;
      const op = source.slice(pos, end);
      advanceTo(end);
      tokens.push({ kind: op === '$' ? 'dollar' : 'operator', value: op, ...start });
    } else {
      fail(`Could not lex the character ${JSON.stringify(c)}`);
    }
  }

  /** A JSON-style number (no sign: `-1` is unary minus applied to `1`). */
  function lexNumber(): string {
    const at = pos;
    let end = pos;
    if (source[end] === '0') end++;
    else while (isDigit(source[end] ?? '')) end++;
    if (source[end] === '.') {
      end++;
      if (!isDigit(source[end] ?? '')) {
        pos = end;
        fail(`Couldn't lex number, junk after decimal point: ${JSON.stringify(source[end] ?? '')}`);
      }
      while (isDigit(source[end] ?? '')) end++;
    }
    if (source[end] === 'e' || source[end] === 'E') {
      end++;
      if (source[end] === '+' || source[end] === '-') end++;
      if (!isDigit(source[end] ?? '')) {
        pos = end;
        fail(`Couldn't lex number, junk after exponent: ${JSON.stringify(source[end] ?? '')}`);
      }
      while (isDigit(source[end] ?? '')) end++;
    }
    advanceTo(end);
    return source.slice(at, end);
  }

  function lexQuoted(quote: string, start: { line: number; column: number }): string {
    let end = pos + 1;
    while (true) {
      if (end >= source.length) fail('Unterminated String', start);
      const ch = source[end];
      if (ch === quote) break;
      end += ch === '\\' && end + 1 < source.length ? 2 : 1;
    }
    const raw = source.slice(pos + 1, end);
    advanceTo(end + 1);
    return unescape(raw, start);
  }

  function lexVerbatim(quote: string, start: { line: number; column: number }): string {
    let value = '';
    let end = pos + 2;
    while (true) {
      if (end >= source.length) fail('Unterminated String', start);
      const ch = source[end];
      if (ch === quote) {
        if (source[end + 1] === quote) {
          value += quote;
          end += 2;
          continue;
        }
        break;
      }
      value += ch;
      end++;
    }
    advanceTo(end + 1);
    return value;
  }

  /**
   * `|||` then a new line; the first line's leading whitespace is the block's indent, which every following line
   * must start with; the block ends at a line with less indentation, which must be `|||`. `|||-` drops the final
   * new line.
   */
  function lexTextBlock(start: { line: number; column: number }): string {
    let cursor = pos + 3;
    const chomp = source[cursor] === '-';
    if (chomp) cursor++;
    while (source[cursor] === ' ' || source[cursor] === '\t' || source[cursor] === '\r') cursor++;
    if (source[cursor] !== '\n') fail('Text block requires new line after |||.', start);
    cursor++;
    let value = '';
    while (source[cursor] === '\n') {
      value += '\n';
      cursor++;
    }
    let indentLength = 0;
    while (source[cursor + indentLength] === ' ' || source[cursor + indentLength] === '\t') indentLength++;
    if (indentLength === 0) fail("Text block's first line must start with whitespace", start);
    const indent = source.slice(cursor, cursor + indentLength);
    while (true) {
      cursor += indentLength;
      const eol = source.indexOf('\n', cursor);
      if (eol < 0) fail('Unexpected EOF', start);
      value += source.slice(cursor, eol) + '\n';
      cursor = eol + 1;
      while (source[cursor] === '\n') {
        value += '\n';
        cursor++;
      }
      if (!source.startsWith(indent, cursor)) {
        while (source[cursor] === ' ' || source[cursor] === '\t') cursor++;
        if (!source.startsWith('|||', cursor)) fail('Text block not terminated with |||', start);
        advanceTo(cursor + 3);
        return chomp ? value.slice(0, -1) : value;
      }
    }
  }
}

/** The escapes of a quoted string literal (JSON's, plus `\'`); `\u` surrogate pairs must come as pairs. */
function unescape(raw: string, at: { line: number; column: number }): string {
  if (!raw.includes('\\')) return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i];
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const next = raw[++i];
    switch (next) {
      case '"': case "'": case '\\': case '/': out += next; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        const code = hex4(raw, i + 1, at);
        i += 4;
        if (code >= 0xd800 && code <= 0xdfff) {
          if (code > 0xdbff || raw.slice(i + 1, i + 3) !== '\\u') {
            throw new JsonnetError('syntax', 'Unicode surrogate pair escape sequence missing low surrogate in string literal.', at);
          }
          const low = hex4(raw, i + 3, at);
          if (low < 0xdc00 || low > 0xdfff) throw new JsonnetError('syntax', 'Invalid unicode low surrogate in string literal.', at);
          i += 6;
          out += String.fromCharCode(code, low);
        } else out += String.fromCharCode(code);
        break;
      }
      case undefined:
        throw new JsonnetError('syntax', 'Truncated escape sequence in string literal.', at);
      default:
        throw new JsonnetError('syntax', `Unknown escape sequence in string literal: \\${next}`, at);
    }
  }
  return out;
}

function hex4(raw: string, from: number, at: { line: number; column: number }): number {
  const digits = raw.slice(from, from + 4);
  if (!/^[0-9a-fA-F]{4}$/.test(digits)) throw new JsonnetError('syntax', `Unicode escape sequence was malformed: \\u${digits}`, at);
  return parseInt(digits, 16);
}
