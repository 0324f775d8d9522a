/**
 * Random Jsonnet programs for the differential test, from a sequence of choices that fast-check generates (each
 * choice picks a branch; a missing choice picks the simplest, so every sequence makes a program).
 *
 * Programs are typed as they are built, so that they cannot fail: numbers are divided by `abs(x) + 1`, arrays are
 * indexed after a known element is appended, `super.f` and `+:` only name fields the object below has, with values
 * of the same type, comparisons only compare what is comparable. That lets the reference evaluate hundreds of
 * them in one process. With `faults` on, some leaves become failing expressions instead (`1 / 0`, a missing field,
 * `error`), for the smaller set of programs evaluated one per process.
 *
 * The generator avoids what go-jsonnet v0.21 and the reference (0.18) do differently (go-behaviour.test.ts covers
 * those): negative slice indices, std.round, std.manifestJsonEx of non-integers, std.base64 of non-ASCII text, `$` in
 * an object outermost inside an array comprehension, and std functions newer than 0.18.
 */

type Scalar = 'number' | 'string' | 'boolean';
type Type = Scalar | 'numbers' | 'strings' | 'array' | 'object';

interface Field {
  name: string;
  type: Type;
}

interface Context {
  vars: { name: string; type: Type }[];
  /** Fields of the object whose field is being generated that `self` may read (defined earlier: no cycles). */
  self: Field[] | null;
  /** Fields the object below (`super`) has, when generating the right side of `+`. */
  super: Field[] | null;
  /** Fields of the lexically outermost object that `$` may read. */
  dollar: Field[] | null;
}

export class Choices {
  private next = 0;
  constructor(private readonly values: readonly number[]) {}

  /** 0 <= n < bound; 0 (the simplest) once the choices run out. */
  int(bound: number): number {
    const v = this.values[this.next++];
    return v === undefined ? 0 : v % bound;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  chance(percent: number): boolean {
    return this.int(100) < percent;
  }
}

const INTS = [0, 1, 2, 3, 5, 7, 10, -1, -4, 12, 20, -17];
const DECIMALS = ['0.5', '1.25', '2.75', '-3.5', '0.1', '1e3', '1.5e-3', '0.3', '100.01'];
const STRINGS = ['@"verb""atim\\n"', "@'single''s'", '|||\n  text block\n    indented\n|||', '""', '"a"', '"hello"', '"Ünïcode"', '"😀x"', "'quo\"te'", '"back\\\\slash"', '"tab\\there"', '"new\\nline"', '"日本"', '"%"', '"a,b,c"', '"key"', '"  pad  "', '"Mixed Case"', '"\\u00e9"'];
const ASCII_STRINGS = ['""', '"a"', '"hello"', '"a,b,c"', '"key"', '"Mixed Case"', '"x y z"'];
const FIELD_NAMES = ['a', 'b', 'c', 'd', 'x', 'y', 'name', 'é', 'with space', '1', '_', 'Z'];
const KEY_LISTS = ['["a", "b", "c"]', '["x"]', '["k1", "k2"]', '[]', '["é", "e", "E"]'];
const SEPARATORS = ['","', '" "', '""', '"-"', '"😀"'];

const identifier = (name: string) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(name);
const fieldKey = (name: string) => (identifier(name) ? name : JSON.stringify(name));
const access = (name: string) => (identifier(name) ? `.${name}` : `[${JSON.stringify(name)}]`);

export function generateProgram(choices: readonly number[], faults = false): string {
  return new Generator(new Choices(choices), faults).program();
}

class Generator {
  private names = 0;
  private conditionalNames = 0;
  private faultsInjected = 0;

  constructor(
    private readonly c: Choices,
    private readonly faults: boolean,
  ) {}

  program(): string {
    const type = this.c.pick<Type>(['number', 'string', 'boolean', 'numbers', 'strings', 'array', 'object', 'object', 'array']);
    const depth = 1 + this.c.int(4);
    const body = this.expr(type, depth, { vars: [], self: null, super: null, dollar: null });
    return this.faults && this.faultsInjected === 0 ? `[${body}, ${this.fault('number')}]` : body;
  }

  private fresh(): string {
    return `v${this.names++}`;
  }

  private expr(type: Type, depth: number, ctx: Context): string {
    if (this.faults && this.c.chance(4)) return this.fault(type);
    switch (type) {
      case 'number':
        return this.number(depth, ctx);
      case 'string':
        return this.string(depth, ctx);
      case 'boolean':
        return this.boolean(depth, ctx);
      case 'numbers':
        return this.numbers(depth, ctx);
      case 'strings':
        return this.strings(depth, ctx);
      case 'array':
        return this.array(depth, ctx);
      case 'object':
        return this.object(depth, ctx).code;
    }
  }

  /** An expression that fails when evaluated (with `faults` on). */
  private fault(type: Type): string {
    this.faultsInjected++;
    const common = ['error "injected"', '{a: 1}.missing', '[1, 2][7]', 'std.codepoint("ab")', '(assert false : "no"; null)', 'std.extVar("nope")'];
    const byType: Record<Type, string[]> = {
      number: ['(1 / 0)', '("x" - 1)', 'std.parseInt("x1")', '(1 % 0)', '(true + 1)'],
      string: ['std.substr(1, 0, 1)', '("a" + std.char(-1))', 'std.join(",", [1])'],
      boolean: ['(1 < "a")', '(true && 1)', '!1', '(std.length == std.length)'],
      numbers: ['std.sort([1, "a"])', 'std.range(0, "x")', '[1] + {}'],
      strings: ['std.split(1, ",")', 'std.stringChars(null)'],
      array: ['std.filter(function(x) 1, [1])', '[x for x in {a: 1}]'],
      object: ['{a: 1, ["a"]: 2}', '({a: 1} + 1)', '{[1]: 2}', '{a: super.b}'],
    };
    return this.c.pick([...common, ...byType[type]]);
  }

  private varOf(type: Type, ctx: Context): string | null {
    const candidates = ctx.vars.filter((v) => v.type === type);
    return candidates.length > 0 ? this.c.pick(candidates).name : null;
  }

  private fieldOf(type: Type, fields: Field[] | null, prefix: string): string | null {
    const candidates = (fields ?? []).filter((f) => f.type === type);
    return candidates.length > 0 ? prefix + access(this.c.pick(candidates).name) : null;
  }

  /** A reference of the given type already in scope (variable, self/super/$ field), or null. */
  private reference(type: Type, ctx: Context): string | null {
    if (ctx.super && ctx.super.length > 0 && this.c.chance(30)) return this.fieldOf(type, ctx.super, 'super');
    switch (this.c.int(4)) {
      case 0:
        return this.varOf(type, ctx);
      case 1:
        return this.fieldOf(type, ctx.self, 'self');
      case 2:
        return this.fieldOf(type, ctx.super, 'super');
      default:
        return this.fieldOf(type, ctx.dollar, '$');
    }
  }

  /** `local v = e; body` where body may use v. */
  private local(type: Type, depth: number, ctx: Context): string {
    const bound = this.c.pick<Type>(['number', 'string', 'boolean', 'numbers', 'strings', 'object']);
    const name = this.fresh();
    const value = this.expr(bound, depth - 1, ctx);
    const inner = { ...ctx, vars: [...ctx.vars, { name, type: bound }] };
    if (this.c.chance(20)) {
      // A local function, called.
      const fn = this.fresh();
      const param = this.fresh();
      const fnBody = this.expr(type, depth - 1, { ...inner, vars: [...inner.vars, { name: param, type: bound }] });
      const call = this.c.pick([`${fn}(${name})`, `${fn}(${param}=${name})`, `${fn}(${name}) tailstrict`, `${fn}(unused=null, ${param}=${name})`]);
      return `(local ${name} = ${value}; local ${fn}(${param}, unused=${name}) = ${fnBody}; ${call})`;
    }
    return `(local ${name} = ${value}; ${this.expr(type, depth - 1, inner)})`;
  }

  private conditional(type: Type, depth: number, ctx: Context): string {
    return `(if ${this.boolean(depth - 1, ctx)} then ${this.expr(type, depth - 1, ctx)} else ${this.expr(type, depth - 1, ctx)})`;
  }

  /** A field of the given type read from an object built here. */
  private fieldAccess(type: Type, depth: number, ctx: Context): string | null {
    const obj = this.object(depth - 1, ctx);
    const candidates = obj.fields.filter((f) => f.type === type);
    if (candidates.length === 0) return null;
    return `(${obj.code})${access(this.c.pick(candidates).name)}`;
  }

  private number(depth: number, ctx: Context): string {
    if (depth <= 0 || this.c.chance(20)) {
      const ref = this.c.chance(40) ? this.reference('number', ctx) : null;
      if (ref) return ref;
      return this.c.chance(70) ? String(this.c.pick(INTS)) : this.c.pick(DECIMALS);
    }
    const d = depth - 1;
    switch (this.c.int(22)) {
      case 0:
        return `(${this.number(d, ctx)} + ${this.number(d, ctx)})`;
      case 1:
        return `(${this.number(d, ctx)} - ${this.number(d, ctx)})`;
      case 2:
        return `(${this.number(d, ctx)} * ${this.number(d, ctx)})`;
      case 3:
        return `(${this.number(d, ctx)} / (std.abs(${this.number(d, ctx)}) + 1))`;
      case 4:
        return `(${this.number(d, ctx)} % ${this.c.pick([1, 2, 3, 7, -3])})`;
      case 5:
        return `std.length(${this.expr(this.c.pick<Type>(['string', 'numbers', 'strings', 'array', 'object']), d, ctx)})`;
      case 6:
        return this.conditional('number', depth, ctx);
      case 7:
        return this.local('number', depth, ctx);
      case 8:
        return `std.${this.c.pick(['floor', 'ceil', 'abs', 'sign'])}(${this.number(d, ctx)})`;
      case 9:
        return `std.${this.c.pick(['max', 'min'])}(${this.number(d, ctx)}, ${this.number(d, ctx)})`;
      case 10:
        return `std.pow(${this.c.int(4)}, ${this.c.int(5)})`;
      case 11:
        return `std.foldl(function(acc, x) acc + x, ${this.numbers(d, ctx)}, ${this.number(d, ctx)})`;
      case 12:
        return `std.count(${this.numbers(d, ctx)}, ${this.number(d, ctx)})`;
      case 13:
        return `(${this.numbers(d, ctx)} + [${this.number(d, ctx)}])[0]`;
      case 14:
        return this.fieldAccess('number', depth, ctx) ?? this.number(d, ctx);
      case 15:
        return `std.codepoint((${this.string(d, ctx)} + "a")[0])`;
      case 16:
        return `((std.floor(${this.number(d, ctx)}) % 1000) ${this.c.pick(['&', '|', '^'])} ${this.c.pick([1, 3, 6, 255])})`;
      case 17:
        return `std.sqrt(std.abs(${this.number(d, ctx)}))`;
      case 18:
        return `-${this.number(d, ctx)}`;
      case 19:
        return this.c.chance(50) ? `std.mod(${this.number(d, ctx)}, ${this.c.pick([2, 5])})` : `(if false then error "never" else ${this.number(d, ctx)})`;
      case 20:
        return `std.length(std.findSubstr(${this.c.pick(['"a"', '"l"', '","'])}, ${this.string(d, ctx)}))`;
      default:
        return `std.foldr(function(x, acc) acc * 2 + x, ${this.numbers(d, ctx)}, 0)`;
    }
  }

  private string(depth: number, ctx: Context): string {
    if (depth <= 0 || this.c.chance(20)) {
      const ref = this.c.chance(40) ? this.reference('string', ctx) : null;
      return ref ?? this.c.pick(STRINGS);
    }
    const d = depth - 1;
    switch (this.c.int(24)) {
      case 0:
        return `(${this.string(d, ctx)} + ${this.string(d, ctx)})`;
      case 1:
        return `(${this.string(d, ctx)} + ${this.number(d, ctx)})`;
      case 2:
        return `(${this.number(d, ctx)} + ${this.string(d, ctx)})`;
      case 3:
        return `std.toString(${this.expr(this.c.pick<Type>(['number', 'boolean', 'numbers', 'array', 'object']), d, ctx)})`;
      case 4:
        return `std.substr(${this.string(d, ctx)}, ${this.c.int(4)}, ${this.c.int(5)})`;
      case 5:
        return `std.${this.c.pick(['asciiUpper', 'asciiLower', 'escapeStringJson', 'escapeStringBash', 'escapeStringDollars', 'md5', 'type'])}(${this.string(d, ctx)})`;
      case 6:
        return `std.join(${this.c.pick(SEPARATORS)}, ${this.strings(d, ctx)})`;
      case 7:
        return `std.strReplace(${this.string(d, ctx)}, ${this.c.pick(['"a"', '"l"', '"😀"', '","'])}, ${this.c.pick(STRINGS)})`;
      case 8: {
        const [format, types] = this.c.pick<[string, Scalar[]]>([
          ['"%s-%d"', ['string', 'number']],
          ['"%5.2f|%s"', ['number', 'string']],
          ['"%-6s|%03d"', ['string', 'number']],
          ['"%x %o %X"', ['number', 'number', 'number']],
          ['"%(a)s %(b)+.3e"', []],
          ['"%.1f%%"', ['number']],
        ]);
        if (types.length === 0) return `std.format(${format}, {a: ${this.string(d, inObject(ctx))}, b: ${this.number(d, inObject(ctx))}})`;
        return `std.format(${format}, [${types.map((t) => this.expr(t, d, ctx)).join(', ')}])`;
      }
      case 9:
        return this.conditional('string', depth, ctx);
      case 10:
        return this.local('string', depth, ctx);
      case 11:
        return `${this.string(d, ctx)}[${this.c.int(3)}:${this.c.int(6)}${this.c.chance(30) ? `:${1 + this.c.int(2)}` : ''}]`;
      case 12:
        return `std.${this.c.pick(['lstripChars', 'rstripChars', 'stripChars'])}(${this.string(d, ctx)}, ${this.c.pick(['" "', '"ab"', '"😀x"'])})`;
      case 13:
        return `std.char(${this.c.pick([65, 97, 233, 128512, 26085])} + ${this.c.int(5)})`;
      case 14:
        return `std.base64(${this.c.pick(ASCII_STRINGS)})`;
      case 15:
        return this.fieldAccess('string', depth, ctx) ?? this.string(d, ctx);
      case 16:
        return `std.type(${this.expr(this.c.pick<Type>(['number', 'boolean', 'array', 'object']), d, ctx)})`;
      case 17:
        return `("%s" % ${this.expr(this.c.pick<Type>(['number', 'string']), d, ctx)})`;
      case 18:
        return `std.toString(${this.string(d, ctx)})`;
      case 19:
        return `(${this.strings(d, ctx)} + [${this.string(d, ctx)}])[0]`;
      case 20:
        return `std.lines(${this.strings(d, ctx)})`;
      case 21:
        return `std.deepJoin([${this.string(d, ctx)}, [${this.string(d, ctx)}]])`;
      case 22:
        return `std.manifestJsonEx(${this.jsonWithIntegers(d, ctx)}, ${this.c.pick(['"  "', '""', '"\\t"'])})`;
      default:
        return `std.foldl(function(acc, s) acc + s, ${this.strings(d, ctx)}, "")`;
    }
  }

  /** Values std.manifestJsonEx writes the same in go-jsonnet and 0.18: integers, strings, booleans, null. */
  private jsonWithIntegers(depth: number, ctx: Context): string {
    const leaf = () => this.c.pick(['1', '-2', '"s"', 'true', 'null', this.string(0, inObject(ctx)), `std.length(${this.string(0, inObject(ctx))})`]);
    if (depth <= 0) return leaf();
    return this.c.chance(50)
      ? `{${fieldKey(this.c.pick(FIELD_NAMES))}: ${this.jsonWithIntegers(depth - 1, ctx)}, z:: 1, ok: ${leaf()}}`
      : `[${leaf()}, ${this.jsonWithIntegers(depth - 1, ctx)}]`;
  }

  private boolean(depth: number, ctx: Context): string {
    if (depth <= 0 || this.c.chance(15)) {
      return this.reference('boolean', ctx) ?? this.c.pick(['true', 'false']);
    }
    const d = depth - 1;
    switch (this.c.int(17)) {
      case 0:
        return `(${this.number(d, ctx)} ${this.c.pick(['<', '<=', '>', '>='])} ${this.number(d, ctx)})`;
      case 1:
        return `(${this.string(d, ctx)} ${this.c.pick(['<', '<=', '>', '>='])} ${this.string(d, ctx)})`;
      case 2: {
        const a = this.c.pick<Type>(['number', 'string', 'boolean', 'numbers', 'array', 'object']);
        const b = this.c.chance(70) ? a : this.c.pick<Type>(['number', 'string', 'object']);
        return `(${this.expr(a, d, ctx)} ${this.c.pick(['==', '!='])} ${this.expr(b, d, ctx)})`;
      }
      case 3:
        return `(${this.boolean(d, ctx)} ${this.c.pick(['&&', '||'])} ${this.boolean(d, ctx)})`;
      case 4:
        return `!${this.boolean(d, ctx)}`;
      case 5:
        return `(${JSON.stringify(this.c.pick(FIELD_NAMES))} in ${this.object(d, ctx).code})`;
      case 6:
        return `std.${this.c.pick(['objectHas', 'objectHasAll'])}(${this.object(d, ctx).code}, ${JSON.stringify(this.c.pick(FIELD_NAMES))})`;
      case 7:
        return `std.${this.c.pick(['isString', 'isNumber', 'isBoolean', 'isArray', 'isObject'])}(${this.expr(this.c.pick<Type>(['number', 'string', 'array', 'object']), d, ctx)})`;
      case 8:
        return `std.member(${this.strings(d, ctx)}, ${this.string(d, ctx)})`;
      case 9:
        return `std.${this.c.pick(['startsWith', 'endsWith'])}(${this.string(d, ctx)}, ${this.string(d, ctx)})`;
      case 10:
        return `(${this.numbers(d, ctx)} ${this.c.pick(['<', '>='])} ${this.numbers(d, ctx)})`;
      case 11:
        return this.conditional('boolean', depth, ctx);
      case 12:
        return this.local('boolean', depth, ctx);
      case 13:
        return `std.setMember(${this.number(d, ctx)}, std.set(${this.numbers(d, ctx)}))`;
      case 14:
        return this.fieldAccess('boolean', depth, ctx) ?? this.boolean(d, ctx);
      case 15:
        if (ctx.super) return `(${JSON.stringify(this.c.pick(FIELD_NAMES))} in super)`;
        return `(assert ${this.boolean(d, ctx)} || true : "never"; ${this.boolean(d, ctx)})`;
      default:
        return `std.member(${this.string(d, ctx)}, ${this.c.pick(['"a"', '"😀"'])})`;
    }
  }

  private numbers(depth: number, ctx: Context): string {
    if (depth <= 0 || this.c.chance(15)) {
      const ref = this.reference('numbers', ctx);
      if (ref) return ref;
      return `[${Array.from({ length: this.c.int(5) }, () => this.number(0, ctx)).join(', ')}]`;
    }
    const d = depth - 1;
    switch (this.c.int(18)) {
      case 0:
        return `[${Array.from({ length: 1 + this.c.int(4) }, () => this.number(d, ctx)).join(', ')}]`;
      case 1:
        return `std.range(${this.c.pick([-2, 0, 1, 3])}, ${this.c.pick([-1, 0, 2, 5, 8])})`;
      case 2: {
        const x = this.fresh();
        // Jsonnet 0.18 (the reference) knows no `$` in an object a comprehension's body makes outermost (go-jsonnet
        // does, go-behaviour.test.ts): such an object names no `$` here.
        const inner = { ...ctx, vars: [...ctx.vars, { name: x, type: 'number' as Type }], dollar: ctx.dollar ?? [] };
        const filter = this.c.chance(50) ? ` if ${this.boolean(d, inner)}` : '';
        return `[${this.number(d, inner)} for ${x} in ${this.numbers(d, ctx)}${filter}]`;
      }
      case 3: {
        const x = this.fresh();
        return `std.map(function(${x}) ${this.number(d, { ...ctx, vars: [...ctx.vars, { name: x, type: 'number' }] })}, ${this.numbers(d, ctx)})`;
      }
      case 4: {
        const x = this.fresh();
        return `std.filter(function(${x}) ${this.boolean(d, { ...ctx, vars: [...ctx.vars, { name: x, type: 'number' }] })}, ${this.numbers(d, ctx)})`;
      }
      case 5:
        return `std.${this.c.pick(['sort', 'set', 'uniq', 'reverse'])}(${this.numbers(d, ctx)})`;
      case 6:
        return `(${this.numbers(d, ctx)} + ${this.numbers(d, ctx)})`;
      case 7: {
        const i = this.fresh();
        return `std.makeArray(${this.c.int(5)}, function(${i}) ${this.number(d, { ...ctx, vars: [...ctx.vars, { name: i, type: 'number' }] })})`;
      }
      case 8:
        return `${this.numbers(d, ctx)}[${this.c.int(3)}:${this.c.pick(['', '2', '4', '9'])}${this.c.chance(30) ? `:${1 + this.c.int(3)}` : ''}]`;
      case 9:
        return `std.${this.c.pick(['setUnion', 'setInter', 'setDiff'])}(std.set(${this.numbers(d, ctx)}), std.set(${this.numbers(d, ctx)}))`;
      case 10:
        return `std.flattenArrays([${this.numbers(d, ctx)}, ${this.numbers(d, ctx)}])`;
      case 11:
        return `std.foldl(function(acc, x) acc + [x * 2], ${this.numbers(d, ctx)}, [])`;
      case 12:
        return `std.find(${this.number(d, ctx)}, ${this.numbers(d, ctx)})`;
      case 13:
        return this.conditional('numbers', depth, ctx);
      case 14:
        return this.local('numbers', depth, ctx);
      case 15:
        return `std.map(std.codepoint, std.stringChars(${this.string(d, ctx)}))`;
      case 16:
        return `std.sort(${this.numbers(d, ctx)}, function(x) -x)`;
      default:
        return this.fieldAccess('numbers', depth, ctx) ?? `std.mapWithIndex(function(i, x) i * x, ${this.numbers(d, ctx)})`;
    }
  }

  private strings(depth: number, ctx: Context): string {
    if (depth <= 0 || this.c.chance(15)) {
      const ref = this.reference('strings', ctx);
      if (ref) return ref;
      return `[${Array.from({ length: this.c.int(4) }, () => this.c.pick(STRINGS)).join(', ')}]`;
    }
    const d = depth - 1;
    switch (this.c.int(14)) {
      case 0:
        return `[${Array.from({ length: 1 + this.c.int(3) }, () => this.string(d, ctx)).join(', ')}]`;
      case 1:
        return `std.split(${this.string(d, ctx)}, ${this.c.pick(['","', '" "', '"a"', '"😀"'])})`;
      case 2:
        return `std.stringChars(${this.string(d, ctx)})`;
      case 3:
        return `std.${this.c.pick(['objectFields', 'objectFieldsAll'])}(${this.object(d, ctx).code})`;
      case 4: {
        const x = this.fresh();
        return `std.map(function(${x}) ${this.string(d, { ...ctx, vars: [...ctx.vars, { name: x, type: 'string' }] })}, ${this.strings(d, ctx)})`;
      }
      case 5:
        return `std.${this.c.pick(['sort', 'set', 'uniq', 'reverse'])}(${this.strings(d, ctx)})`;
      case 6: {
        const x = this.fresh();
        // Jsonnet 0.18 (the reference) knows no `$` in an object a comprehension's body makes outermost (go-jsonnet
        // does, go-behaviour.test.ts): such an object names no `$` here.
        const inner = { ...ctx, vars: [...ctx.vars, { name: x, type: 'string' as Type }], dollar: ctx.dollar ?? [] };
        const filter = this.c.chance(50) ? ` if ${this.boolean(d, inner)}` : '';
        return `[${this.string(d, inner)} for ${x} in ${this.strings(d, ctx)}${filter}]`;
      }
      case 7:
        return `(${this.strings(d, ctx)} + ${this.strings(d, ctx)})`;
      case 8:
        return `std.splitLimit(${this.string(d, ctx)}, ",", ${this.c.pick([-1, 0, 1, 2])})`;
      case 9:
        return `std.${this.c.pick(['setUnion', 'setInter', 'setDiff'])}(std.set(${this.strings(d, ctx)}), std.set(${this.strings(d, ctx)}))`;
      case 10:
        return this.conditional('strings', depth, ctx);
      case 11:
        return this.local('strings', depth, ctx);
      case 12:
        return `std.map(std.toString, ${this.numbers(d, ctx)})`;
      default:
        return this.fieldAccess('strings', depth, ctx) ?? `std.flatMap(function(s) [s, s + "!"], ${this.strings(d, ctx)})`;
    }
  }

  private array(depth: number, ctx: Context): string {
    if (depth <= 0) return this.c.pick(['[]', '[1, "a", null, true]', '[[]]', '[{}]']);
    const d = depth - 1;
    switch (this.c.int(9)) {
      case 0:
        return this.numbers(depth, ctx);
      case 1:
        return this.strings(depth, ctx);
      case 2:
        return `[${Array.from({ length: this.c.int(4) }, () => this.expr(this.c.pick<Type>(['number', 'string', 'boolean', 'object', 'array', 'numbers']), d, ctx)).join(', ')}]`;
      case 3:
        return `std.objectValues(${this.object(d, ctx).code})`;
      case 4:
        return `std.prune([${this.expr('array', d, ctx)}, null, {}, ${this.object(d, ctx).code}])`;
      case 5:
        return `[null, ${this.object(d, ctx).code}]`;
      case 6:
        return this.conditional('array', depth, ctx);
      case 7: {
        const x = this.fresh();
        return `[{n: ${x}, s: std.toString(${x})} for ${x} in ${this.numbers(d, ctx)}]`;
      }
      default:
        return `std.flatMap(function(x) [x, [x]], ${this.numbers(d, ctx)})`;
    }
  }

  /** An object expression, with the fields it is known to have (visible or hidden) and their types. */
  private object(depth: number, ctx: Context): { code: string; fields: Field[] } {
    if (depth <= 0) return this.c.pick([{ code: '{}', fields: [] }, { code: '{a: 1, b:: "h"}', fields: [{ name: 'a', type: 'number' as Type }, { name: 'b', type: 'string' as Type }] }]);
    const d = depth - 1;
    switch (this.c.int(9)) {
      case 0:
      case 1:
      case 2:
        return this.objectLiteral(d, ctx, null);
      case 3:
      case 8: {
        // Inheritance: the right side may read super and extend fields of the left with +:. The left side reads
        // no self (nor $): with the right side overriding its fields and reading super, that could loop.
        const base = this.objectLiteral(d, ctx, null, true);
        const derived = this.objectLiteral(d, ctx, base.fields);
        const names = new Map(base.fields.map((f) => [f.name, f] as const));
        for (const f of derived.fields) names.set(f.name, f);
        return { code: `(${base.code} + ${derived.code})`, fields: [...names.values()] };
      }
      case 4: {
        const keys = this.c.pick(KEY_LISTS);
        const k = this.fresh();
        const valueType = this.c.pick<Type>(['number', 'string', 'strings']);
        const inner = { ...ctx, vars: [...ctx.vars, { name: k, type: 'string' as Type }], self: [], super: null, dollar: ctx.dollar ?? [] };
        const filter = this.c.chance(30) ? ` if ${this.boolean(d, inner)}` : '';
        const local = this.c.chance(30) ? `local ${this.fresh()} = ${k} + "!", ` : '';
        const known: string[] = filter ? [] : (JSON.parse(keys) as string[]);
        return { code: `{${local}[${k}]: ${this.expr(valueType, d, inner)} for ${k} in ${keys}${filter}}`, fields: known.map((name) => ({ name, type: valueType })) };
      }
      case 5:
        return { code: `std.mergePatch(${this.object(d, ctx).code}, ${this.object(d, ctx).code})`, fields: [] };
      case 6: {
        const k = this.fresh();
        const v = this.fresh();
        return { code: `std.mapWithKey(function(${k}, ${v}) ${k} + std.toString(${v}), ${this.object(d, ctx).code})`, fields: [] };
      }
      default: {
        const cond = this.boolean(d, ctx);
        const a = this.objectLiteral(d, ctx, null);
        const b = this.objectLiteral(d, ctx, null);
        // Only the fields both branches have, with the same type, are known.
        const common = a.fields.filter((f) => b.fields.some((g) => g.name === f.name && g.type === f.type));
        return { code: `(if ${cond} then ${a.code} else ${b.code})`, fields: common };
      }
    }
  }

  /**
   * `{ ... }`: fields (some hidden, some reading earlier fields through self or $), an object local, a conditional
   * field, an assert that holds; with `base` given, fields that read super or extend it with +:.
   */
  private objectLiteral(depth: number, ctx: Context, base: Field[] | null, noSelf = false): { code: string; fields: Field[] } {
    const members: string[] = [];
    const fields: Field[] = [];
    const outermost = ctx.dollar === null;
    const count = this.c.int(5);
    const localName = this.c.chance(25) ? this.fresh() : null;
    const vars = [...ctx.vars];
    /** The context of code inside this object (fields, locals, asserts): `self` may read fields defined before. */
    const body = (): Context => ({
      vars,
      self: noSelf ? [] : [...fields],
      super: base,
      dollar: outermost ? (noSelf ? [] : [...fields]) : ctx.dollar,
    });
    if (localName) {
      members.push(`local ${localName} = ${this.expr('number', depth, { ...body(), self: [], super: null })}`);
      vars.push({ name: localName, type: 'number' });
    }
    const used = new Set<string>();
    for (let i = 0; i < count; i++) {
      const inherited = base && base.length > 0 && this.c.chance(60) ? this.c.pick(base) : null;
      const name = inherited ? inherited.name : this.c.pick(FIELD_NAMES);
      if (used.has(name)) continue;
      used.add(name);
      const type = inherited ? inherited.type : this.c.pick<Type>(['number', 'string', 'boolean', 'numbers', 'strings', 'object', 'array']);
      const inner = body();
      const visibility = this.c.pick([':', ':', ':', '::', ':::']);
      const plus = inherited && type !== 'boolean' && this.c.chance(40) ? '+' : '';
      const value = this.expr(type, depth, inner);
      members.push(`${fieldKey(name)}${plus}${visibility} ${value}`);
      fields.push({ name, type });
    }
    if (this.c.chance(25)) {
      const name = `cond${this.conditionalNames++}`;
      // The name is computed outside the object (its locals are not visible there); the value inside.
      members.push(`[if ${this.boolean(depth, ctx)} then ${JSON.stringify(name)}]: ${this.number(depth, body())}`);
    }
    if (this.c.chance(15)) members.push(`assert std.isObject(self) : "always"`);
    // An assert reading a field only where no field reads super (through super, an assert could reach itself).
    if (this.c.chance(10) && fields.length > 0 && base === null && !noSelf) {
      const f = this.c.pick(fields);
      members.push(`assert std.type(self${access(f.name)}) == ${JSON.stringify(typeName(f.type))}`);
    }
    return { code: `{${members.join(', ')}${members.length > 0 && this.c.chance(20) ? ',' : ''}}`, fields };
  }
}

/** The context inside an object literal written in place (no known fields: `self` and `super` read nothing). */
function inObject(ctx: Context): Context {
  return { vars: ctx.vars, self: [], super: null, dollar: ctx.dollar ?? [] };
}

function typeName(type: Type): string {
  return type === 'numbers' || type === 'strings' ? 'array' : type;
}
