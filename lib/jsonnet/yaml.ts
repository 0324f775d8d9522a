/**
 * std.parseYaml's YAML reader, as go-jsonnet behaves: its document splitter (a line that is exactly `---` separates
 * documents and makes the result an array of them), then YAML 1.1 as gopkg.in/yaml.v2 reads it into JSON (`yes`,
 * `on`, `y` are true; `0x1f` and `017` are integers; keys become strings; duplicate keys and NaN are errors).
 *
 * What it reads: block mappings and sequences (compact `- a: 1` entries included), flow collections, plain, single-
 * and double-quoted scalars (multi-line ones folded), literal `|` and folded `>` block scalars with chomping and
 * indentation indicators, comments, anchors and aliases, merge keys (`<<`), and the `!!str`-family tags. Not read:
 * complex (`? `) keys, and tags other than the core schema's, which are ignored.
 */
import { runtimeError } from './errors.js';

export function parseYaml(text: string): unknown {
  const documents: string[] = [];
  let stream = false;
  let current: string[] = [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (const line of lines) {
    if (/^---\s*$/.test(line)) {
      stream = true;
      if (current.length > 0) documents.push(current.join('\n'));
      current = [];
    } else current.push(line);
  }
  if (current.length > 0) documents.push(current.join('\n'));
  const values = documents.map((doc) => new YamlReader(doc).document());
  if (stream) return values;
  return values.length > 0 ? values[0] : null;
}

const fail = (message: string, line?: number): never => {
  throw runtimeError(`failed to parse YAML: ${line === undefined ? '' : `line ${line}: `}${message}`);
};

/** yaml.v2's resolution of a plain (unquoted) scalar. */
function resolvePlain(s: string): unknown {
  if (s === '' || s === '~' || s === 'null' || s === 'Null' || s === 'NULL') return null;
  if (/^(y|Y|yes|Yes|YES|true|True|TRUE|on|On|ON)$/.test(s)) return true;
  if (/^(n|N|no|No|NO|false|False|FALSE|off|Off|OFF)$/.test(s)) return false;
  const plain = s.replace(/_/g, '');
  let m: RegExpExecArray | null;
  if ((m = /^([-+]?)0b([01]+)$/.exec(plain))) return signed(m[1], parseInt(m[2], 2));
  if ((m = /^([-+]?)0x([0-9a-fA-F]+)$/.exec(plain))) return signed(m[1], parseInt(m[2], 16));
  if ((m = /^([-+]?)0([0-7]+)$/.exec(plain))) return signed(m[1], parseInt(m[2], 8));
  if (/^[-+]?[0-9]+$/.test(plain)) return Number(plain);
  if (/^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/.test(plain)) return Number(plain);
  if (/^[-+]?\.(inf|Inf|INF)$/.test(s) || /^\.(nan|NaN|NAN)$/.test(s)) fail(`json: unsupported value: ${s}`);
  return s;
}

const signed = (sign: string, n: number) => (sign === '-' ? -n : n);

/** A resolved key as sigs.k8s.io/yaml writes it into JSON: always a string. */
function keyString(key: unknown): string {
  if (typeof key === 'string') return key;
  if (key === null) return 'null';
  if (typeof key === 'number') return Number.isInteger(key) ? String(key) : String(key).replace(/e\+?/, 'e+').replace('e+-', 'e-');
  if (typeof key === 'boolean') return String(key);
  return fail('invalid map key');
}

class YamlReader {
  private pos = 0;
  private readonly anchors = new Map<string, unknown>();

  constructor(private readonly s: string) {}

  document(): unknown {
    this.skipBlank();
    if (this.s.startsWith('---', this.pos) && /[\s]/.test(this.s[this.pos + 3] ?? ' ')) this.pos += 3;
    this.skipInline();
    if (this.atLineEnd()) this.skipBlank();
    if (this.pos >= this.s.length || this.s.startsWith('...', this.pos)) return null;
    const value = this.node(-1, true);
    this.skipBlank();
    if (this.pos < this.s.length && !this.s.startsWith('...', this.pos)) fail(`did not find expected <document start>`, this.line());
    return value;
  }

  private line(): number {
    let n = 1;
    for (let i = 0; i < this.pos; i++) if (this.s[i] === '\n') n++;
    return n;
  }

  private column(at = this.pos): number {
    return at - (this.s.lastIndexOf('\n', at - 1) + 1);
  }

  /** Spaces and tabs, then a comment, on this line. */
  private skipInline(): void {
    while (this.s[this.pos] === ' ' || this.s[this.pos] === '\t') this.pos++;
    if (this.s[this.pos] === '#') while (this.pos < this.s.length && this.s[this.pos] !== '\n') this.pos++;
  }

  private atLineEnd(): boolean {
    return this.pos >= this.s.length || this.s[this.pos] === '\n' || this.s[this.pos] === '\r';
  }

  /** Past blank and comment-only lines, to the first content character (or the end). */
  private skipBlank(): void {
    while (this.pos < this.s.length) {
      this.skipInline();
      if (this.s[this.pos] === '\r') this.pos++;
      if (this.s[this.pos] !== '\n') return;
      this.pos++;
    }
  }

  /** The indentation of the next content line, after skipping blank lines (without moving), or -1 at the end. */
  private nextIndent(): number {
    const saved = this.pos;
    if (!this.atLineEnd()) {
      this.skipInline();
      if (!this.atLineEnd()) {
        this.pos = saved;
        return this.column();
      }
    }
    this.skipBlank();
    const indent = this.pos >= this.s.length || this.s.startsWith('...', this.pos) ? -1 : this.column();
    this.pos = saved;
    return indent;
  }

  /** A node whose first character is at the cursor; `parent` is the indentation of the collection holding it. */
  private node(parent: number, block: boolean): unknown {
    let anchor: string | undefined;
    let tag: string | undefined;
    while (this.s[this.pos] === '&' || this.s[this.pos] === '!') {
      const start = this.pos;
      while (this.pos < this.s.length && !/[\s,\]}]/.test(this.s[this.pos])) this.pos++;
      const word = this.s.slice(start, this.pos);
      if (word[0] === '&') anchor = word.slice(1);
      else tag = word;
      this.skipInline();
      if (this.atLineEnd()) {
        if (this.nextIndent() <= parent) return this.finish(null, anchor, tag);
        this.skipBlank();
      }
    }
    return this.finish(this.bareNode(parent, block, tag), anchor, tag);
  }

  private finish(value: unknown, anchor: string | undefined, tag: string | undefined): unknown {
    let out = value;
    if (tag === '!!str' && out !== null && typeof out !== 'object') out = String(out);
    if (anchor !== undefined) this.anchors.set(anchor, out);
    return out;
  }

  private bareNode(parent: number, block: boolean, tag: string | undefined): unknown {
    const c = this.s[this.pos];
    const indent = this.column();
    if (c === '*') {
      const start = ++this.pos;
      while (this.pos < this.s.length && !/[\s,\]}]/.test(this.s[this.pos])) this.pos++;
      const name = this.s.slice(start, this.pos);
      if (!this.anchors.has(name)) fail(`unknown anchor '${name}' referenced`, this.line());
      return this.anchors.get(name);
    }
    if (block && c === '-' && /[\s]/.test(this.s[this.pos + 1] ?? ' ')) return this.sequence(indent);
    if (block && (c === '|' || c === '>')) return this.blockScalar(parent);
    if (c === '[' || c === '{') return this.flow();
    const keyStart = this.pos;
    if (c === '"' || c === "'") {
      const quoted = this.quoted();
      if (block && this.isKeyAhead()) {
        this.pos = keyStart;
        return this.mapping(indent);
      }
      return quoted;
    }
    if (block && this.plainKeyAhead()) return this.mapping(indent);
    const text = this.plain(parent, block);
    return tag === '!!str' ? text : resolvePlain(text);
  }

  /** After a quoted scalar: is it a mapping key (`"a": ...`)? */
  private isKeyAhead(): boolean {
    let i = this.pos;
    while (this.s[i] === ' ' || this.s[i] === '\t') i++;
    return this.s[i] === ':' && /[\s]/.test(this.s[i + 1] ?? ' ');
  }

  /** Does this line hold a plain key: text then `: ` (or `:` at the end of the line)? */
  private plainKeyAhead(): boolean {
    for (let i = this.pos; i < this.s.length && this.s[i] !== '\n'; i++) {
      if (this.s[i] === '#' && /[ \t]/.test(this.s[i - 1] ?? ' ')) return false;
      if (this.s[i] === ':' && /[\s]/.test(this.s[i + 1] ?? ' ')) return true;
    }
    return false;
  }

  private mapping(indent: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const merges: unknown[] = [];
    while (true) {
      const line = this.line();
      let key: unknown;
      if (this.s[this.pos] === '"' || this.s[this.pos] === "'") key = this.quoted();
      else {
        const start = this.pos;
        while (!(this.s[this.pos] === ':' && /[\s]/.test(this.s[this.pos + 1] ?? ' '))) this.pos++;
        const raw = this.s.slice(start, this.pos).trimEnd();
        key = raw === '<<' ? MERGE : resolvePlain(raw);
      }
      this.skipInline();
      if (this.s[this.pos] !== ':') fail('could not find expected \':\'', line);
      this.pos++;
      this.skipInline();
      let value: unknown = null;
      if (this.atLineEnd()) {
        const next = this.nextIndent();
        if (next > indent) {
          this.skipBlank();
          value = this.node(indent, true);
        } else if (next === indent) {
          this.skipBlank();
          if (this.s[this.pos] === '-' && /[\s]/.test(this.s[this.pos + 1] ?? ' ')) value = this.sequence(indent);
        }
      } else value = this.node(indent, true);
      if (key === MERGE) merges.push(value);
      else {
        const name = keyString(key);
        if (Object.prototype.hasOwnProperty.call(out, name)) fail(`key ${JSON.stringify(name)} already set in map`, line);
        setProperty(out, name, value);
      }
      const next = this.nextIndent();
      if (next !== indent) {
        if (next > indent) fail('mapping values are not allowed in this context', this.line());
        break;
      }
      this.skipBlank();
      if (this.s[this.pos] === '-' && /[\s]/.test(this.s[this.pos + 1] ?? ' ')) break;
    }
    for (const merge of merges) {
      for (const source of Array.isArray(merge) ? merge : [merge]) {
        if (source === null || typeof source !== 'object' || Array.isArray(source)) fail('map merge requires map or sequence of maps as the value');
        for (const [name, value] of Object.entries(source as object)) if (!Object.prototype.hasOwnProperty.call(out, name)) setProperty(out, name, value);
      }
    }
    return out;
  }

  private sequence(indent: number): unknown[] {
    const out: unknown[] = [];
    while (true) {
      this.pos++;
      this.skipInline();
      if (this.atLineEnd()) {
        if (this.nextIndent() > indent) {
          this.skipBlank();
          out.push(this.node(indent, true));
        } else out.push(null);
      } else out.push(this.node(indent, true));
      const next = this.nextIndent();
      if (next !== indent) {
        if (next > indent) fail('did not find expected \'-\' indicator', this.line());
        break;
      }
      this.skipBlank();
      if (!(this.s[this.pos] === '-' && /[\s]/.test(this.s[this.pos + 1] ?? ' '))) {
        // A key at the sequence's indentation ends it (`key:\n- a\nnext: b`).
        break;
      }
    }
    return out;
  }

  /** A plain scalar, folded over continuation lines indented more than its parent (block context only). */
  private plain(parent: number, block: boolean): string {
    const lines: string[] = [];
    const readLine = () => {
      const start = this.pos;
      while (!this.atLineEnd()) {
        const c = this.s[this.pos];
        if (c === '#' && /[ \t]/.test(this.s[this.pos - 1] ?? '')) break;
        if (!block && (c === ',' || c === ']' || c === '}')) break;
        if (!block && c === ':' && /[\s,\]}]/.test(this.s[this.pos + 1] ?? ' ')) break;
        this.pos++;
      }
      return this.s.slice(start, this.pos).trim();
    };
    lines.push(readLine());
    if (!block) return lines[0];
    while (true) {
      this.skipInline();
      const saved = this.pos;
      let blanks = 0;
      while (this.atLineEnd() && this.pos < this.s.length) {
        this.pos++;
        while (this.s[this.pos] === ' ' || this.s[this.pos] === '\t') this.pos++;
        if (this.atLineEnd()) blanks++;
        else break;
      }
      if (this.pos >= this.s.length || this.column() <= parent || this.s[this.pos] === '#' || this.plainKeyAhead() || this.s.startsWith('...', this.pos) || this.s.startsWith('- ', this.pos) && this.column() <= parent + 1) {
        this.pos = saved;
        break;
      }
      lines.push(blanks > 0 ? '\n'.repeat(blanks) : ' ');
      lines.push(readLine());
    }
    return lines.join('').replace(/ \n/g, '\n').replace(/\n /g, '\n');
  }

  private quoted(): string {
    const quote = this.s[this.pos++];
    let out = '';
    while (true) {
      if (this.pos >= this.s.length) fail('found unexpected end of stream while scanning a quoted scalar');
      const c = this.s[this.pos];
      if (c === quote) {
        if (quote === "'" && this.s[this.pos + 1] === "'") {
          out += "'";
          this.pos += 2;
          continue;
        }
        this.pos++;
        return out;
      }
      if (c === '\n') {
        // Line folding: the break becomes a space, unless blank lines follow (each one a new line).
        out = out.replace(/[ \t]+$/, '');
        let breaks = 0;
        this.pos++;
        while (true) {
          while (this.s[this.pos] === ' ' || this.s[this.pos] === '\t') this.pos++;
          if (this.s[this.pos] !== '\n') break;
          breaks++;
          this.pos++;
        }
        out += breaks > 0 ? '\n'.repeat(breaks) : ' ';
        continue;
      }
      if (quote === '"' && c === '\\') {
        const e = this.s[this.pos + 1];
        this.pos += 2;
        const simple: Record<string, string> = { '0': '\0', a: '\x07', b: '\b', t: '\t', '\t': '\t', n: '\n', v: '\v', f: '\f', r: '\r', e: '\x1b', ' ': ' ', '"': '"', '/': '/', '\\': '\\', N: '\x85', _: '\xa0', L: '\u2028', P: '\u2029' };
        if (e in simple) out += simple[e];
        else if (e === 'x' || e === 'u' || e === 'U') {
          const length = e === 'x' ? 2 : e === 'u' ? 4 : 8;
          const hex = this.s.slice(this.pos, this.pos + length);
          if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== length) fail('did not find expected hexdecimal number');
          out += String.fromCodePoint(parseInt(hex, 16));
          this.pos += length;
        } else if (e === '\n') {
          while (this.s[this.pos] === ' ' || this.s[this.pos] === '\t') this.pos++;
        } else fail('found unknown escape character while parsing a quoted scalar');
        continue;
      }
      out += c;
      this.pos++;
    }
  }

  /** `|` (literal) or `>` (folded), with chomping (`-` strip, `+` keep) and an optional indentation digit. */
  private blockScalar(parent: number): string {
    const literal = this.s[this.pos++] === '|';
    let chomp: 'clip' | 'strip' | 'keep' = 'clip';
    let explicit = 0;
    for (let i = 0; i < 2; i++) {
      const c = this.s[this.pos];
      if (c === '-' || c === '+') {
        chomp = c === '-' ? 'strip' : 'keep';
        this.pos++;
      } else if (c >= '1' && c <= '9') {
        explicit = Number(c);
        this.pos++;
      }
    }
    this.skipInline();
    if (!this.atLineEnd()) fail('did not find expected comment or line break');
    const rawLines: string[] = [];
    let indent = explicit > 0 ? Math.max(parent, 0) + explicit : -1;
    while (this.pos < this.s.length) {
      const lineStart = this.pos + 1;
      const end = this.s.indexOf('\n', lineStart);
      const line = this.s.slice(lineStart, end < 0 ? this.s.length : end).replace(/\r$/, '');
      const spaces = line.length - line.trimStart().length;
      if (line.trim() === '') {
        rawLines.push(line);
        this.pos = end < 0 ? this.s.length : end;
        continue;
      }
      if (indent < 0) indent = spaces;
      if (spaces < indent || indent <= parent) break;
      rawLines.push(line);
      this.pos = end < 0 ? this.s.length : end;
    }
    // Trailing blank lines belong to the chomping, not to the content.
    let trailing = 0;
    while (rawLines.length > 0 && rawLines[rawLines.length - 1].trim() === '') {
      rawLines.pop();
      trailing++;
    }
    const body = rawLines.map((line) => line.slice(Math.max(indent, 0)));
    let text: string;
    if (literal) text = body.join('\n');
    else {
      text = '';
      body.forEach((line, i) => {
        if (i === 0) text = line;
        else {
          const previous = body[i - 1];
          const folds = line !== '' && previous !== '' && !/^[ \t]/.test(line) && !/^[ \t]/.test(previous);
          text += folds ? ` ${line}` : `\n${line}`;
        }
      });
      text = text.replace(/([^\n])\n\n/g, '$1\n');
    }
    if (body.length === 0) return chomp === 'keep' ? '\n'.repeat(trailing) : '';
    if (chomp === 'strip') return text;
    if (chomp === 'keep') return `${text}\n${'\n'.repeat(trailing)}`;
    return `${text}\n`;
  }

  /** `[a, b]` or `{a: 1}`, spanning lines freely. */
  private flow(): unknown {
    const open = this.s[this.pos++];
    const close = open === '[' ? ']' : '}';
    const list: unknown[] = [];
    const map: Record<string, unknown> = {};
    const skip = () => {
      while (this.pos < this.s.length) {
        this.skipInline();
        if (this.s[this.pos] === '\n' || this.s[this.pos] === '\r') this.pos++;
        else return;
      }
    };
    const item = (): unknown => {
      skip();
      const c = this.s[this.pos];
      if (c === '[' || c === '{') return this.flow();
      if (c === '"' || c === "'") return this.quoted();
      if (c === '*' || c === '&' || c === '!') return this.node(-1, false);
      return resolvePlain(this.plain(-1, false));
    };
    while (true) {
      skip();
      if (this.pos >= this.s.length) fail(`did not find expected ',' or '${close}'`);
      if (this.s[this.pos] === close) {
        this.pos++;
        return open === '[' ? list : map;
      }
      const first = item();
      skip();
      if (this.s[this.pos] === ':') {
        this.pos++;
        skip();
        const second = this.s[this.pos] === ',' || this.s[this.pos] === close ? null : item();
        if (open === '[') list.push(setProperty({}, keyString(first), second));
        else {
          const name = keyString(first);
          if (Object.prototype.hasOwnProperty.call(map, name)) fail(`key ${JSON.stringify(name)} already set in map`);
          setProperty(map, name, second);
        }
      } else if (open === '[') list.push(first);
      else setProperty(map, keyString(first), null);
      skip();
      if (this.s[this.pos] === ',') this.pos++;
      else if (this.s[this.pos] !== close) fail(`did not find expected ',' or '${close}'`);
    }
  }
}

const MERGE = Symbol('merge');

function setProperty(target: Record<string, unknown>, name: string, value: unknown): Record<string, unknown> {
  if (name === '__proto__') Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
  else target[name] = value;
  return target;
}
