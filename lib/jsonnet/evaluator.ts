/**
 * The interpreter: walks the resolved tree lazily, as Jsonnet's semantics require (a variable, an argument, an
 * array element or a field is computed when first used, then kept). Objects follow the specification's late
 * binding: a field is evaluated with `self` the whole object and `super` the layers below the one defining it.
 * go-jsonnet v0.21 is the reference for behaviour the specification leaves open (error messages, `+:`, assertion
 * checks on field access, integer truncation of indices).
 *
 * It is also the sandbox. Every step counts against a time budget; every array element, object field and string
 * character created counts against an allocation budget; every call, field and thunk evaluation is a stack frame
 * bounded by maxStack. A tail call (a call in tail position made `tailstrict`) reuses its frame, as in Jsonnet, and
 * tail positions (`if` branches, `local` bodies, function bodies) loop instead of recursing in JavaScript.
 */
import type { BinaryOperator, Node, NodeOf, Position } from './ast.js';
import { JsonnetError, runtimeError } from './errors.js';
import { serializeJson } from './manifest.js';
import { Builtin, Closure, codePoints, compareStrings, Env, hasAstral, JFunction, JObject, Thunk, typeOf, type Evaluation, type Layer, type LayerField, type Lazy, type Value } from './values.js';
import { formatString } from './format.js';

/**
 * Sandbox limits that are not options: generous for any mapper or hook body (they build a few hundred values),
 * small next to a Lambda's memory. A lazy array element costs up to about 100 bytes (a thunk and its closure), so
 * the element budget bounds what an evaluation can hold to about 100 MiB; characters are cheap (2 bytes) and
 * counted apart.
 */
export const LIMITS = {
  /** Array elements and object fields created (an object counts 2 more), summed over an evaluation. */
  elements: 2 ** 20,
  /** String characters created, summed over an evaluation. */
  characters: 2 ** 25,
  /** The longest string an evaluation may build. */
  stringLength: 2 ** 24,
};

export interface EvaluatorOptions {
  maxStack: number;
  timeoutMs: number;
  extVars: Map<string, Lazy>;
}

const TIME_CHECK_EVERY = 1024;

export class Evaluator implements Evaluation {
  depth = 0;
  private steps = 0;
  private elements = 0;
  private characters = 0;
  private readonly deadline: number;
  readonly maxStack: number;
  readonly timeoutMs: number;
  readonly extVars: Map<string, Lazy>;
  /** Where std.trace writes (stderr, as the jsonnet command does). */
  trace: (line: string) => void = (line) => console.error(line);

  constructor(options: EvaluatorOptions) {
    this.maxStack = options.maxStack;
    this.timeoutMs = options.timeoutMs;
    this.deadline = performance.now() + options.timeoutMs;
    this.extVars = options.extVars;
  }

  /** One step of work: every so often, check the clock. */
  tick(): void {
    if ((++this.steps & (TIME_CHECK_EVERY - 1)) === 0 && performance.now() > this.deadline) {
      throw runtimeError(`evaluation exceeded its time budget (${this.timeoutMs} ms)`);
    }
  }

  /** Count `units` new array elements or object fields against the allocation budget. */
  allocate(units: number): void {
    this.elements += units;
    if (this.elements > LIMITS.elements) {
      throw runtimeError(`evaluation exceeded its allocation budget (${LIMITS.elements} array elements and object fields)`);
    }
  }

  /** Count `count` new string characters against the allocation budget. */
  allocateCharacters(count: number): void {
    this.characters += count;
    if (this.characters > LIMITS.characters) {
      throw runtimeError(`evaluation exceeded its allocation budget (${LIMITS.characters} string characters)`);
    }
  }

  /** Refuse a string longer than the longest allowed (before building it). */
  checkStringLength(length: number): void {
    if (length > LIMITS.stringLength) throw runtimeError(`string too long: ${length} characters (the limit is ${LIMITS.stringLength})`);
  }

  /** A new string of `length` characters: its length checked, its characters counted. */
  allocateString(length: number): void {
    this.checkStringLength(length);
    this.allocateCharacters(length);
  }

  private enter(at?: Position): void {
    if (++this.depth > this.maxStack) {
      this.depth--;
      throw runtimeError('max stack frames exceeded.', at);
    }
  }

  force(lazy: Lazy): Value {
    return lazy instanceof Thunk ? this.forceThunk(lazy) : lazy;
  }

  forceThunk(thunk: Thunk): Value {
    if (thunk.value !== undefined) return thunk.value;
    this.enter(thunk.node ?? undefined);
    try {
      const value = thunk.node ? this.evaluate(thunk.node, thunk.env!) : thunk.compute!();
      thunk.value = value;
      thunk.node = null;
      thunk.env = null;
      thunk.compute = null;
      return value;
    } finally {
      this.depth--;
    }
  }

  /** A node as an argument or binding: literals, variables and functions need no thunk. */
  lazy(node: Node, env: Env): Lazy {
    switch (node.kind) {
      case 'literal':
        return node.value;
      case 'var': {
        // The variable itself, unless it is a binding of the frame being filled (`local a = b, b = 1`).
        const slot = lookup(node, env);
        return slot === undefined ? new Thunk(node, env) : slot;
      }
      case 'function':
        return new Closure(node.params, node.body, env);
      default:
        return new Thunk(node, env);
    }
  }

  evaluate(start: Node, startEnv: Env): Value {
    let node = start;
    let env = startEnv;
    // Frames pushed by calls this loop entered without recursing (their bodies run here); popped on the way out.
    let frames = 0;
    try {
      while (true) {
        this.tick();
        switch (node.kind) {
          case 'literal':
            return node.value;
          case 'var': {
            const slot = lookup(node, env);
            return slot instanceof Thunk ? this.forceThunk(slot) : slot;
          }
          case 'self':
            return env.context!.self;
          case 'dollar':
            return env.context!.dollar;
          case 'superIndex':
            return this.superIndex(env, this.requireString(this.evaluate(node.index, env), node), node);
          case 'inSuper': {
            const name = this.requireString(this.evaluate(node.name, env), node);
            const context = env.context!;
            return context.self.findLayer(name, context.layer) >= 0;
          }
          case 'array': {
            const elements = node.elements;
            this.allocate(elements.length);
            const out: Lazy[] = new Array(elements.length);
            for (let i = 0; i < elements.length; i++) out[i] = this.lazy(elements[i], env);
            return out;
          }
          case 'arrayComp': {
            const out: Lazy[] = [];
            const body = node.body;
            this.comprehension(node.specs, 0, env, (inner) => {
              this.allocate(1);
              out.push(this.lazy(body, inner));
            });
            return out;
          }
          case 'object':
            return this.objectLiteral(node, env);
          case 'objectComp':
            return this.objectComprehension(node, env);
          case 'local': {
            const binds = node.binds;
            const slots: Lazy[] = new Array(binds.length);
            const frame = new Env(env, slots, env.context);
            for (let i = 0; i < binds.length; i++) slots[i] = this.lazy(binds[i].body, frame);
            env = frame;
            node = node.body;
            continue;
          }
          case 'if': {
            const condition = this.evaluate(node.condition, env);
            if (typeof condition !== 'boolean') throw typeError(condition, 'boolean', node.condition);
            if (condition) node = node.then;
            else if (node.else) node = node.else;
            else return null;
            continue;
          }
          case 'function':
            return new Closure(node.params, node.body, env);
          case 'apply': {
            const target = this.evaluate(node.target, env);
            if (!(target instanceof JFunction)) throw typeError(target, 'function', node);
            const positional: Lazy[] = new Array(node.positional.length);
            for (let i = 0; i < positional.length; i++) positional[i] = this.lazy(node.positional[i], env);
            const named = node.named.length === 0 ? null : node.named.map((arg) => ({ name: arg.name, value: this.lazy(arg.value, env) }));
            if (target instanceof Builtin) {
              if (node.tailstrict) for (const arg of positional) this.force(arg);
              return this.callBuiltin(target, positional, named, node);
            }
            const frame = this.bindArguments(target as Closure, positional, named, node);
            if (node.tailstrict) for (const slot of frame.slots) this.force(slot);
            // A tailstrict call from a body this loop runs replaces that body's frame (Jsonnet's tail calls).
            if (!(node.tailstrict && frames > 0)) {
              this.enter(node);
              frames++;
            }
            env = frame;
            node = (target as Closure).body;
            continue;
          }
          case 'index': {
            const target = this.evaluate(node.target, env);
            const index = this.evaluate(node.index, env);
            return this.index(target, index, node);
          }
          case 'slice':
            return this.slice(
              this.evaluate(node.target, env),
              node.begin ? this.evaluate(node.begin, env) : null,
              node.end ? this.evaluate(node.end, env) : null,
              node.step ? this.evaluate(node.step, env) : null,
              node,
            );
          case 'binary': {
            const operator = node.operator;
            if (operator === '&&' || operator === '||') {
              const left = this.evaluate(node.left, env);
              if (typeof left !== 'boolean') throw typeError(left, 'boolean', node.left);
              if (left === (operator === '||')) return left;
              const right = this.evaluate(node.right, env);
              if (typeof right !== 'boolean') throw typeError(right, 'boolean', node.right);
              return right;
            }
            const left = this.evaluate(node.left, env);
            const right = this.evaluate(node.right, env);
            return this.binary(operator, left, right, node);
          }
          case 'unary': {
            const operand = this.evaluate(node.operand, env);
            switch (node.operator) {
              case '!':
                if (typeof operand !== 'boolean') throw typeError(operand, 'boolean', node);
                return !operand;
              case '-':
                if (typeof operand !== 'number') throw typeError(operand, 'number', node);
                return -operand;
              case '+':
                if (typeof operand !== 'number') throw typeError(operand, 'number', node);
                return operand;
              case '~':
                if (typeof operand !== 'number') throw typeError(operand, 'number', node);
                return Number(BigInt.asIntN(64, ~toInt64(operand, node)));
            }
            break;
          }
          case 'error': {
            const message = this.evaluate(node.message, env);
            throw runtimeError(typeof message === 'string' ? message : this.toStringValue(message), node);
          }
          case 'assert': {
            const condition = this.evaluate(node.condition, env);
            if (typeof condition !== 'boolean') throw typeError(condition, 'boolean', node.condition);
            if (!condition) {
              if (!node.message) throw runtimeError('Assertion failed', node);
              const message = this.evaluate(node.message, env);
              throw runtimeError(typeof message === 'string' ? message : this.toStringValue(message), node);
            }
            node = node.rest;
            continue;
          }
          case 'import':
            throw runtimeError(`${node.keyword} is not available: "${node.path}" cannot be read (this evaluator reads no files)`, node);
        }
      }
    } finally {
      this.depth -= frames;
    }
  }

  // ---- calls ----

  /** A closure's frame: positional arguments, then named ones, then defaults (evaluated in the frame itself). */
  bindArguments(fn: Closure, positional: Lazy[], named: { name: string; value: Lazy }[] | null, at: Position): Env {
    const params = fn.params;
    if (positional.length > params.length) {
      throw runtimeError(`function expected ${params.length} positional argument(s), but got ${positional.length}`, at);
    }
    const slots: Lazy[] = new Array(params.length);
    for (let i = 0; i < positional.length; i++) slots[i] = positional[i];
    const frame = new Env(fn.env, slots, fn.env.context);
    if (named) this.bindNamed(fn.paramNames, slots, positional.length, named, at);
    for (let i = positional.length; i < params.length; i++) {
      if (slots[i] !== undefined) continue;
      const fallback = params[i].default;
      if (fallback === undefined) throw runtimeError(`Missing argument: ${params[i].name}`, at);
      slots[i] = this.lazy(fallback, frame);
    }
    return frame;
  }

  private bindNamed(names: readonly string[], slots: (Lazy | undefined)[], positionalCount: number, named: { name: string; value: Lazy }[], at: Position): void {
    for (const arg of named) {
      const index = names.indexOf(arg.name);
      if (index < 0) throw runtimeError(`function has no parameter ${arg.name}`, at);
      if (index < positionalCount || slots[index] !== undefined) throw runtimeError(`Argument ${arg.name} already provided`, at);
      slots[index] = arg.value;
    }
  }

  callBuiltin(fn: Builtin, positional: Lazy[], named: { name: string; value: Lazy }[] | null, at: Position): Value {
    const names = fn.paramNames;
    if (positional.length > names.length) {
      throw runtimeError(`function expected ${names.length} positional argument(s), but got ${positional.length}`, at);
    }
    const args: (Lazy | undefined)[] = positional.slice();
    args.length = names.length;
    if (named) this.bindNamed(names, args, positional.length, named, at);
    for (let i = 0; i < fn.optionalFrom; i++) if (args[i] === undefined) throw runtimeError(`Missing argument: ${names[i]}`, at);
    try {
      return fn.run(this, args);
    } catch (error) {
      if (error instanceof JsonnetError) error.locate(at);
      throw error;
    }
  }

  /** Call a function from a built-in (std.map's callback, std.sort's keyF, a top-level function). */
  call(fn: JFunction, args: Lazy[], named: { name: string; value: Lazy }[] | null = null, at: Position = NOWHERE): Value {
    if (fn instanceof Builtin) return this.callBuiltin(fn, args, named, at);
    const closure = fn as Closure;
    const frame = this.bindArguments(closure, args, named, at);
    this.enter(at);
    try {
      return this.evaluate(closure.body, frame);
    } finally {
      this.depth--;
    }
  }

  // ---- objects ----

  private objectLiteral(node: NodeOf<'object'>, env: Env): JObject {
    let fields = staticFields(node);
    if (!fields) {
      fields = new Map<string, LayerField>();
      for (const field of node.fields) {
        const name = this.evaluate(field.name, env);
        if (name === null) continue;
        if (typeof name !== 'string') throw runtimeError(`Field name must be string, got ${typeOf(name)}`, field.position);
        if (fields.has(name)) throw runtimeError(`Duplicate field name: ${JSON.stringify(name)}`, field.position);
        fields.set(name, { visibility: field.visibility, plus: field.plus, body: field.body });
      }
    }
    this.allocate(fields.size + 2);
    return new JObject([{ fields, locals: node.locals, asserts: node.asserts, env }]);
  }

  private objectComprehension(node: NodeOf<'objectComp'>, env: Env): JObject {
    const fields = new Map<string, LayerField>();
    const field = node.field;
    this.comprehension(node.specs, 0, env, (inner) => {
      const name = this.evaluate(field.name, inner);
      if (name === null) return;
      if (typeof name !== 'string') throw runtimeError(`Field name must be string, got ${typeOf(name)}`, field.position);
      if (fields.has(name)) throw runtimeError(`Duplicate field name: ${JSON.stringify(name)}`, field.position);
      this.allocate(1);
      fields.set(name, { visibility: 'inherit', plus: field.plus, body: field.body, env: inner });
    });
    return new JObject([{ fields, locals: node.locals, asserts: [], env }]);
  }

  /** Run `emit` once per combination of a comprehension's `for` clauses that passes its `if` clauses. */
  private comprehension(specs: NodeOf<'arrayComp'>['specs'], i: number, env: Env, emit: (env: Env) => void): void {
    if (i === specs.length) return emit(env);
    const spec = specs[i];
    if (spec.kind === 'if') {
      const condition = this.evaluate(spec.condition, env);
      if (typeof condition !== 'boolean') throw typeError(condition, 'boolean', spec.condition);
      if (condition) this.comprehension(specs, i + 1, env, emit);
      return;
    }
    const source = this.evaluate(spec.source, env);
    if (!Array.isArray(source)) throw runtimeError(`In comprehension, can only iterate over array, got ${typeOf(source)}`, spec.source);
    for (const element of source) {
      this.tick();
      this.comprehension(specs, i + 1, new Env(env, [element], env.context), emit);
    }
  }

  /** Evaluate the object's assertions once (before its first field is read), as go-jsonnet does. */
  checkAsserts(obj: JObject): void {
    if (obj.assertState === 1) return;
    if (obj.assertState instanceof Error) throw obj.assertState;
    obj.assertState = 1;
    if (!obj.hasAsserts) return;
    try {
      for (let i = obj.layers.length - 1; i >= 0; i--) {
        const layer = obj.layers[i];
        if (layer.asserts.length === 0) continue;
        const frame = this.layerFrame(obj, i, undefined);
        for (const assert of layer.asserts) {
          const ok = this.evaluate(assert.condition, frame);
          if (typeof ok !== 'boolean') throw typeError(ok, 'boolean', assert.condition);
          if (!ok) {
            const message = assert.message ? this.evaluate(assert.message, frame) : 'Object assertion failed.';
            throw runtimeError(typeof message === 'string' ? message : this.toStringValue(message), assert.position);
          }
        }
      }
    } catch (error) {
      obj.assertState = error as Error;
      throw error;
    }
  }

  /** `obj[name]` from outside: the top-most layer defining it. */
  field(obj: JObject, name: string, at?: Position): Value {
    const cached = obj.cache?.get(name);
    if (cached !== undefined) return cached;
    if (obj.assertState !== 1) this.checkAsserts(obj);
    const layer = obj.findLayer(name);
    if (layer < 0) throw runtimeError(`Field does not exist: ${name}`, at);
    const value = this.evaluateField(obj, layer, name, at);
    (obj.cache ??= new Map()).set(name, value);
    return value;
  }

  private superIndex(env: Env, name: string, at: Position): Value {
    const { self, layer } = env.context!;
    if (layer === 0) throw runtimeError('Attempt to use super when there is no super class.', at);
    if (self.assertState !== 1) this.checkAsserts(self);
    const found = self.findLayer(name, layer);
    if (found < 0) throw runtimeError(`Field does not exist: ${name}`, at);
    return this.superField(self, found, name, at);
  }

  private superField(self: JObject, layer: number, name: string, at?: Position): Value {
    const key = `${layer}\u0000${name}`;
    const cached = self.superCache?.get(key);
    if (cached !== undefined) return cached;
    const value = this.evaluateField(self, layer, name, at);
    (self.superCache ??= new Map()).set(key, value);
    return value;
  }

  private evaluateField(obj: JObject, layerIndex: number, name: string, at?: Position): Value {
    const field = obj.layers[layerIndex].fields.get(name)!;
    if (field.body === null) return this.force(field.value!);
    const frame = this.layerFrame(obj, layerIndex, field);
    this.enter(at);
    try {
      const value = this.evaluate(field.body, frame);
      if (!field.plus) return value;
      // `name+: e` is `super.name + e` when there is a super field, else just `e`.
      const below = obj.findLayer(name, layerIndex);
      return below < 0 ? value : this.plus(this.superField(obj, below, name, at), value, field.body);
    } finally {
      this.depth--;
    }
  }

  /**
   * The frame a layer's code runs in: its object locals, with `self` the whole object and `super` the layers below.
   * Shared by all fields of a literal (kept per object); an object comprehension's field brings its own parent.
   */
  private layerFrame(obj: JObject, index: number, field: LayerField | undefined): Env {
    const layer: Layer = obj.layers[index];
    const own = field?.env;
    if (!own) {
      const cached = obj.localFrames?.[index];
      if (cached) return cached;
    }
    const parent = own ?? layer.env!;
    const context = { self: obj, layer: index, dollar: parent.context ? parent.context.dollar : obj };
    const slots: Lazy[] = new Array(layer.locals.length);
    const frame = new Env(parent, slots, context);
    for (let i = 0; i < slots.length; i++) slots[i] = this.lazy(layer.locals[i].body, frame);
    if (!own) (obj.localFrames ??= [])[index] = frame;
    return frame;
  }

  // ---- operators ----

  index(target: Value, index: Value, at: Position): Value {
    if (target instanceof JObject) {
      if (typeof index !== 'string') throw typeError(index, 'string', at);
      return this.field(target, index, at);
    }
    if (Array.isArray(target)) {
      if (typeof index !== 'number') throw typeError(index, 'number', at);
      const i = Math.trunc(index);
      if (!(i >= 0 && i < target.length)) throw runtimeError(`Index ${i} out of bounds, not within [0, ${target.length})`, at);
      return this.force(target[i]);
    }
    if (typeof target === 'string') {
      if (typeof index !== 'number') throw typeError(index, 'number', at);
      const i = Math.trunc(index);
      if (!hasAstral(target)) {
        if (!(i >= 0 && i < target.length)) throw runtimeError(`Index ${i} out of bounds, not within [0, ${target.length})`, at);
        return target[i];
      }
      const chars = codePoints(target);
      if (!(i >= 0 && i < chars.length)) throw runtimeError(`Index ${i} out of bounds, not within [0, ${chars.length})`, at);
      return chars[i];
    }
    throw runtimeError(`Value non indexable: ${typeOf(target)}`, at);
  }

  /** `a[begin:end:step]`, as std.slice: negative begin and end count from the end; no negative steps. */
  slice(target: Value, begin: Value, end: Value, step: Value, at: Position): Value {
    const isString = typeof target === 'string';
    if (!isString && !Array.isArray(target)) throw runtimeError(`std.slice accepts a string or an array, but got: ${typeOf(target)}`, at);
    for (const part of [begin, end, step]) if (part !== null && typeof part !== 'number') throw typeError(part, 'number', at);
    const items: readonly Lazy[] = isString ? codePoints(target as string) : (target as Lazy[]);
    const length = items.length;
    let from = begin === null ? 0 : (begin as number) < 0 ? Math.max(0, length + (begin as number)) : (begin as number);
    const to = end === null ? length : (end as number) < 0 ? length + (end as number) : (end as number);
    const by = step === null ? 1 : (step as number);
    if (by < 0) throw runtimeError(`got [${begin}:${end}:${step}] but negative steps are not supported`, at);
    if (by === 0) throw runtimeError(`got ${step} but step must be greater than 0`, at);
    const out: Lazy[] = [];
    for (; from < to && from < length; from += by) out.push(items[Math.trunc(from)]);
    this.allocate(out.length);
    return isString ? (out as string[]).join('') : out;
  }

  binary(operator: BinaryOperator, left: Value, right: Value, at: Position): Value {
    switch (operator) {
      case '+':
        return this.plus(left, right, at);
      case '-':
      case '*':
      case '/': {
        if (typeof left !== 'number') throw typeError(left, 'number', at);
        if (typeof right !== 'number') throw typeError(right, 'number', at);
        if (operator === '/' && right === 0) throw runtimeError('Division by zero.', at);
        return checkNumber(operator === '-' ? left - right : operator === '*' ? left * right : left / right, at);
      }
      case '%': {
        if (typeof left === 'number' && typeof right === 'number') {
          if (right === 0) throw runtimeError('Division by zero.', at);
          return checkNumber(left % right, at);
        }
        if (typeof left === 'string') return formatString(this, left, right);
        throw runtimeError(`Operator % cannot be used on types ${typeOf(left)} and ${typeOf(right)}.`, at);
      }
      case '<':
        return this.compare(left, right, at) < 0;
      case '<=':
        return this.compare(left, right, at) <= 0;
      case '>':
        return this.compare(left, right, at) > 0;
      case '>=':
        return this.compare(left, right, at) >= 0;
      case '==':
        return this.equals(left, right);
      case '!=':
        return !this.equals(left, right);
      case 'in':
        if (!(right instanceof JObject)) throw typeError(right, 'object', at);
        if (typeof left !== 'string') throw typeError(left, 'string', at);
        return right.fieldVisibility().has(left);
      case '<<':
      case '>>':
      case '&':
      case '^':
      case '|': {
        if (typeof left !== 'number') throw typeError(left, 'number', at);
        if (typeof right !== 'number') throw typeError(right, 'number', at);
        const x = toInt64(left, at);
        const y = toInt64(right, at);
        if ((operator === '<<' || operator === '>>') && y < 0n) throw runtimeError('Shift by negative exponent.', at);
        const shift = y % 64n;
        const result = operator === '<<' ? x << shift : operator === '>>' ? x >> shift : operator === '&' ? x & y : operator === '^' ? x ^ y : x | y;
        return Number(BigInt.asIntN(64, result));
      }
    }
    throw runtimeError(`Unknown operator ${operator}`, at);
  }

  plus(left: Value, right: Value, at: Position): Value {
    if (typeof right === 'string') return this.concat(typeof left === 'string' ? left : this.toStringValue(left), right);
    if (typeof left === 'number') {
      if (typeof right !== 'number') throw typeError(right, 'number', at);
      return checkNumber(left + right, at);
    }
    if (typeof left === 'string') return this.concat(left, this.toStringValue(right));
    if (left instanceof JObject) {
      if (!(right instanceof JObject)) throw typeError(right, 'object', at);
      this.allocate(2);
      return new JObject(left.layers.concat(right.layers));
    }
    if (Array.isArray(left)) {
      if (!Array.isArray(right)) throw typeError(right, 'array', at);
      this.allocate(left.length + right.length);
      return left.concat(right);
    }
    throw runtimeError(`Unexpected type ${typeOf(left)}`, at);
  }

  /**
   * String concatenation. JavaScript joins strings as ropes (no copy), so what is counted is the shorter side: a
   * loop appending to a string costs what it appends; doubling a string costs what it doubles.
   */
  concat(left: string, right: string): string {
    this.checkStringLength(left.length + right.length);
    this.allocateCharacters(Math.min(left.length, right.length) + 1);
    return left + right;
  }

  /** Jsonnet's ==: deep, by value; functions cannot be compared. */
  equals(a: Value, b: Value): boolean {
    this.tick();
    if (a === null || typeof a !== 'object') return a === b;
    const type = typeOf(a);
    if (type !== typeOf(b)) return false;
    switch (type) {
      case 'array': {
        const x = a as Lazy[];
        const y = b as Lazy[];
        if (x.length !== y.length) return false;
        for (let i = 0; i < x.length; i++) if (!this.equals(this.force(x[i]), this.force(y[i]))) return false;
        return true;
      }
      case 'object': {
        const x = a as JObject;
        const y = b as JObject;
        const names = x.fieldNames(false);
        const others = y.fieldNames(false);
        if (names.length !== others.length || names.some((name, i) => name !== others[i])) return false;
        for (const name of names) if (!this.equals(this.field(x, name), this.field(y, name))) return false;
        return true;
      }
      case 'function':
        throw runtimeError('Cannot test equality of functions');
      default:
        return a === b;
    }
  }

  /** `<` and friends: numbers, strings (by code point) and arrays (lexicographically). */
  compare(a: Value, b: Value, at?: Position): number {
    this.tick();
    if (typeof a === 'number') {
      if (typeof b !== 'number') throw typeError(b, 'number', at);
      return a < b ? -1 : a > b ? 1 : 0;
    }
    if (typeof a === 'string') {
      if (typeof b !== 'string') throw typeError(b, 'string', at);
      return compareStrings(a, b);
    }
    if (Array.isArray(a)) {
      if (!Array.isArray(b)) throw typeError(b, 'array', at);
      const n = Math.min(a.length, b.length);
      for (let i = 0; i < n; i++) {
        const c = this.compare(this.force(a[i]), this.force(b[i]), at);
        if (c !== 0) return c;
      }
      return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
    }
    throw runtimeError(`Unexpected type ${typeOf(a)}`, at);
  }

  /** std.toString: strings as they are, anything else as one-line JSON. */
  toStringValue(value: Value): string {
    if (typeof value === 'string') return value;
    const text = serializeJson(this, value, false);
    this.allocateString(text.length);
    return text;
  }

  requireString(value: Value, at: Position): string {
    if (typeof value !== 'string') throw typeError(value, 'string', at);
    return value;
  }
}

const NOWHERE: Position = { line: 0, column: 0 };

function lookup(node: NodeOf<'var'>, env: Env): Lazy {
  let frame = env;
  for (let d = node.depth; d > 0; d--) frame = frame.parent!;
  return frame.slots[node.slot];
}

/** The fields of an object literal whose names are all literals, built once per literal and shared. */
const STATIC_FIELDS = new WeakMap<NodeOf<'object'>, Map<string, LayerField> | null>();
function staticFields(node: NodeOf<'object'>): Map<string, LayerField> | undefined {
  let fields = STATIC_FIELDS.get(node);
  if (fields === undefined) {
    fields = null;
    if (node.fields.every((field) => !field.computed)) {
      fields = new Map();
      for (const field of node.fields) {
        fields.set(field.name.kind === 'literal' ? (field.name.value as string) : '', { visibility: field.visibility, plus: field.plus, body: field.body });
      }
    }
    STATIC_FIELDS.set(node, fields);
  }
  return fields ?? undefined;
}

export function typeError(value: Value, expected: string, at?: Position) {
  return runtimeError(`Unexpected type ${typeOf(value)}, expected ${expected}`, at);
}

/** go-jsonnet refuses NaN and infinities wherever arithmetic would make them. */
export function checkNumber(n: number, at?: Position): number {
  if (Number.isNaN(n)) throw runtimeError('Not a number', at);
  if (!Number.isFinite(n)) throw runtimeError('Overflow', at);
  return n;
}

/** A number as Go's int64 (truncated), for the bitwise operators. */
function toInt64(n: number, at: Position): bigint {
  if (n < -(2 ** 63) || n >= 2 ** 63) throw runtimeError(`Bitwise operator argument ${n} outside of range [-9223372036854775808, 9223372036854775807]`, at);
  return BigInt(Math.trunc(n));
}
