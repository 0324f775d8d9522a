/**
 * Jsonnet's parser: tokens to the tree of ast.ts, by precedence climbing as in the specification (and go-jsonnet's
 * parser, whose error messages it keeps). `local`, `if`, `function`, `assert`, `error` and `import` extend as far
 * right as possible wherever they start; binary operators are left-associative at the spec's eleven levels.
 * Variables come out unresolved (depth -1); scope.ts resolves them.
 */
import type { BinaryOperator, Binding, CompSpec, FieldNode, Node, Parameter, Position, UnaryOperator, Visibility, AssertNode } from './ast.js';
import { JsonnetError } from './errors.js';
import { lex, type Token, type TokenKind } from './lexer.js';

const UNARY = 4;
const MAX = 16;

const BINARY_PRECEDENCE: Record<BinaryOperator, number> = {
  '*': 5, '/': 5, '%': 5,
  '+': 6, '-': 6,
  '<<': 7, '>>': 7,
  '<': 8, '<=': 8, '>': 8, '>=': 8, in: 8,
  '==': 9, '!=': 9,
  '&': 10,
  '^': 11,
  '|': 12,
  '&&': 13,
  '||': 14,
};
const UNARY_OPERATORS = new Set(['!', '~', '+', '-']);

export function parse(source: string): Node {
  return new Parser(lex(source)).program();
}

const position = (token: Token): Position => ({ line: token.line, column: token.column });

function describe(token: Token): string {
  if (token.kind === 'eof') return 'end of file';
  if (token.kind === 'string') return `string ${JSON.stringify(token.value)}`;
  return `"${token.value}"`;
}

class Parser {
  private next = 0;

  constructor(private readonly tokens: Token[]) {}

  program(): Node {
    const body = this.expression(MAX);
    const rest = this.peek();
    if (rest.kind !== 'eof') this.fail(`Did not expect: ${describe(rest)}`, rest);
    return body;
  }

  private peek(ahead = 0): Token {
    return this.tokens[Math.min(this.next + ahead, this.tokens.length - 1)];
  }

  private pop(): Token {
    const token = this.peek();
    if (this.next < this.tokens.length - 1) this.next++;
    return token;
  }

  private fail(message: string, at: Token): never {
    throw new JsonnetError('syntax', message, position(at));
  }

  private expect(kind: TokenKind, while_?: string): Token {
    const token = this.pop();
    if (token.kind !== kind) this.fail(`Expected token ${kind} but got ${describe(token)}${while_ ? ` while ${while_}` : ''}`, token);
    return token;
  }

  private expectOperator(op: string): Token {
    const token = this.pop();
    if (token.kind !== 'operator' || token.value !== op) this.fail(`Expected operator ${op} but got ${describe(token)}`, token);
    return token;
  }

  private isOperator(token: Token, op: string): boolean {
    return token.kind === 'operator' && token.value === op;
  }

  private expression(precedence: number): Node {
    const begin = this.peek();
    const at = position(begin);
    switch (begin.kind) {
      case 'assert': {
        this.pop();
        const condition = this.expression(MAX);
        let message: Node | null = null;
        if (this.isOperator(this.peek(), ':')) {
          this.pop();
          message = this.expression(MAX);
        }
        this.expect(';', 'parsing assert');
        return { kind: 'assert', condition, message, rest: this.expression(MAX), ...at };
      }
      case 'error':
        this.pop();
        return { kind: 'error', message: this.expression(MAX), ...at };
      case 'if': {
        this.pop();
        const condition = this.expression(MAX);
        this.expect('then', 'parsing if');
        const then = this.expression(MAX);
        let otherwise: Node | null = null;
        if (this.peek().kind === 'else') {
          this.pop();
          otherwise = this.expression(MAX);
        }
        return { kind: 'if', condition, then, else: otherwise, ...at };
      }
      case 'function': {
        this.pop();
        this.expect('(', 'parsing function');
        const params = this.parameters();
        return { kind: 'function', params, body: this.expression(MAX), ...at };
      }
      case 'import':
      case 'importstr':
      case 'importbin': {
        this.pop();
        const pathToken = this.peek();
        const path = this.expression(MAX);
        if (path.kind !== 'literal' || typeof path.value !== 'string') this.fail('Computed imports are not allowed', pathToken);
        if (pathToken.textBlock) this.fail('Block string literals not allowed in imports', pathToken);
        return { kind: 'import', keyword: begin.kind, path: path.value as string, ...at };
      }
      case 'local': {
        this.pop();
        const binds: Binding[] = [];
        while (true) {
          const nameToken = this.expect('identifier', 'parsing local');
          if (binds.some((b) => b.name === nameToken.value)) this.fail(`Duplicate local var: ${nameToken.value}`, nameToken);
          binds.push({ name: nameToken.value, body: this.bindingBody(nameToken) });
          const delimiter = this.pop();
          if (delimiter.kind === ';') break;
          if (delimiter.kind !== ',') this.fail(`Expected , or ; but got ${describe(delimiter)}`, delimiter);
        }
        return { kind: 'local', binds, body: this.expression(MAX), ...at };
      }
    }

    // A unary operator binds tighter than every binary one: its operand is another unary expression, or a terminal
    // with its postfixes (`.f`, `[i]`, `(args)`, `{...}`).
    let left: Node;
    if (begin.kind === 'operator') {
      if (!UNARY_OPERATORS.has(begin.value)) this.fail(`Not a unary operator: ${begin.value}`, begin);
      this.pop();
      left = { kind: 'unary', operator: begin.value as UnaryOperator, operand: this.expression(UNARY), ...at };
    } else {
      left = this.terminal();
      for (let next = this.peek().kind; next === '.' || next === '[' || next === '(' || next === '{'; next = this.peek().kind) {
        left = this.postfix(left, at);
      }
    }
    // Binary operators by precedence climbing: this loop takes those of at most `precedence`, their right operand
    // only tighter ones, so all are left-associative.
    while (true) {
      const token = this.peek();
      let operator: BinaryOperator;
      if (token.kind === 'in') operator = 'in';
      else if (token.kind === 'operator') {
        // `:` ends an assert's condition and `::` a slice's begin index.
        if (token.value === ':' || token.value === '::') return left;
        if (!(token.value in BINARY_PRECEDENCE)) this.fail(`Not a binary operator: ${token.value}`, token);
        operator = token.value as BinaryOperator;
      } else return left;
      const operatorPrecedence = BINARY_PRECEDENCE[operator];
      if (operatorPrecedence > precedence) return left;
      this.pop();
      if (operator === 'in' && this.peek().kind === 'super') {
        this.pop();
        left = { kind: 'inSuper', name: left, ...at };
        continue;
      }
      const right = this.expression(operatorPrecedence - 1);
      left = { kind: 'binary', operator, left, right, ...at };
    }
  }

  /** `.id`, `[index]` or `[begin:end:step]`, `(arguments)`, or `{ object }` (which means `+ { object }`). */
  private postfix(target: Node, at: Position): Node {
    const token = this.pop();
    switch (token.kind) {
      case '.': {
        const field = this.expect('identifier', 'parsing field access');
        return { kind: 'index', target, index: { kind: 'literal', value: field.value, ...position(field) }, ...at };
      }
      case '[': {
        const parts: (Node | null)[] = [null, null, null];
        let colons = 0;
        let readyForIndex = true;
        while (true) {
          const next = this.peek();
          if (next.kind === ']') {
            this.pop();
            break;
          }
          if (this.isOperator(next, ':') || this.isOperator(next, '::')) {
            this.pop();
            colons += next.value.length;
            readyForIndex = true;
            if (colons > 2) this.fail('Invalid slice: too many colons', next);
          } else if (readyForIndex) {
            parts[colons] = this.expression(MAX);
            readyForIndex = false;
          } else this.fail(`Expected token ] but got ${describe(next)}`, next);
        }
        if (colons === 0) {
          if (parts[0] === null) this.fail('ast.Index requires an expression', token);
          return { kind: 'index', target, index: parts[0]!, ...at };
        }
        return { kind: 'slice', target, begin: parts[0], end: parts[1], step: parts[2], ...at };
      }
      case '(': {
        const { positional, named } = this.arguments();
        let tailstrict = false;
        if (this.peek().kind === 'tailstrict') {
          this.pop();
          tailstrict = true;
        }
        return { kind: 'apply', target, positional, named, tailstrict, ...at };
      }
      default: {
        const object = this.objectRemainder(token);
        return { kind: 'binary', operator: '+', left: target, right: object, ...at };
      }
    }
  }

  private terminal(): Node {
    const token = this.pop();
    const at = position(token);
    switch (token.kind) {
      case 'eof':
        return this.fail('Unexpected end of file', token);
      case '{':
        return this.objectRemainder(token);
      case '[':
        return this.array(token);
      case '(': {
        const inner = this.expression(MAX);
        this.expect(')', 'parsing parenthesized expression');
        return inner;
      }
      case 'number': {
        const value = Number(token.value);
        // Too large for a double: an error where it is evaluated, as go-jsonnet reports it.
        if (!Number.isFinite(value)) return { kind: 'error', message: { kind: 'literal', value: 'overflow', ...at }, ...at };
        return { kind: 'literal', value, ...at };
      }
      case 'string':
        return { kind: 'literal', value: token.value, ...at };
      case 'true':
        return { kind: 'literal', value: true, ...at };
      case 'false':
        return { kind: 'literal', value: false, ...at };
      case 'null':
        return { kind: 'literal', value: null, ...at };
      case 'dollar':
        return { kind: 'dollar', ...at };
      case 'identifier':
        return { kind: 'var', name: token.value, depth: -1, slot: -1, ...at };
      case 'self':
        return { kind: 'self', ...at };
      case 'super': {
        const next = this.pop();
        if (next.kind === '.') {
          const field = this.expect('identifier', 'parsing super');
          return { kind: 'superIndex', index: { kind: 'literal', value: field.value, ...position(field) }, ...at };
        }
        if (next.kind === '[') {
          const index = this.expression(MAX);
          this.expect(']', 'parsing super');
          return { kind: 'superIndex', index, ...at };
        }
        return this.fail('Expected . or [ after super', token);
      }
      default:
        return this.fail(`Unexpected: ${describe(token)} while parsing terminal`, token);
    }
  }

  /** After `local name` or an object's `local name`: `= body`, or `(params) = body` (a function). */
  private bindingBody(nameToken: Token): Node {
    if (this.peek().kind === '(') {
      this.pop();
      const params = this.parameters();
      this.expectOperator('=');
      return { kind: 'function', params, body: this.expression(MAX), ...position(nameToken) };
    }
    this.expectOperator('=');
    return this.expression(MAX);
  }

  /** After `(`: `a, b = default, ...)`. */
  private parameters(): Parameter[] {
    const params: Parameter[] = [];
    let gotComma = false;
    while (true) {
      const next = this.peek();
      if (next.kind === ')') {
        this.pop();
        return params;
      }
      if (params.length > 0 && !gotComma) this.fail(`Expected a comma before next function parameter, got ${describe(next)}`, next);
      const name = this.expect('identifier', 'parsing parameter');
      if (params.some((p) => p.name === name.value)) this.fail(`Duplicate parameter: ${name.value}`, name);
      const param: Parameter = { name: name.value };
      if (this.isOperator(this.peek(), '=')) {
        this.pop();
        param.default = this.expression(MAX);
      }
      params.push(param);
      gotComma = this.peek().kind === ',';
      if (gotComma) this.pop();
    }
  }

  /** After `(`: positional arguments, then named ones (`name = value`). */
  private arguments(): { positional: Node[]; named: { name: string; value: Node }[] } {
    const positional: Node[] = [];
    const named: { name: string; value: Node }[] = [];
    let gotComma = false;
    let first = true;
    while (true) {
      const next = this.peek();
      if (next.kind === ')') {
        this.pop();
        return { positional, named };
      }
      if (!first && !gotComma) this.fail(`Expected a comma before next function argument, got ${describe(next)}`, next);
      first = false;
      if (next.kind === 'identifier' && this.isOperator(this.peek(1), '=')) {
        this.pop();
        this.pop();
        if (named.some((n) => n.name === next.value)) this.fail(`Argument ${next.value} already provided`, next);
        named.push({ name: next.value, value: this.expression(MAX) });
      } else {
        if (named.length > 0) this.fail('Positional argument after a named argument is not allowed', next);
        positional.push(this.expression(MAX));
      }
      gotComma = this.peek().kind === ',';
      if (gotComma) this.pop();
    }
  }

  /** After `[`: elements, or `body for x in e if c ...`. */
  private array(open: Token): Node {
    const at = position(open);
    if (this.peek().kind === ']') {
      this.pop();
      return { kind: 'array', elements: [], ...at };
    }
    const first = this.expression(MAX);
    let gotComma = false;
    if (this.peek().kind === ',') {
      this.pop();
      gotComma = true;
    }
    if (this.peek().kind === 'for') {
      this.pop();
      return { kind: 'arrayComp', body: first, specs: this.comprehensionSpecs(']'), ...at };
    }
    const elements = [first];
    while (true) {
      const next = this.peek();
      if (next.kind === ']') {
        this.pop();
        return { kind: 'array', elements, ...at };
      }
      if (!gotComma) this.fail('Expected a comma before next array element', next);
      elements.push(this.expression(MAX));
      gotComma = this.peek().kind === ',';
      if (gotComma) this.pop();
    }
  }

  /** After the first `for`: `x in e (if c)* (for y in e (if c)*)*` up to the closing token. */
  private comprehensionSpecs(close: ']' | '}'): CompSpec[] {
    const specs: CompSpec[] = [];
    while (true) {
      const name = this.expect('identifier', 'parsing comprehension');
      this.expect('in', 'parsing comprehension');
      specs.push({ kind: 'for', name: name.value, source: this.expression(MAX) });
      let next = this.pop();
      while (next.kind === 'if') {
        specs.push({ kind: 'if', condition: this.expression(MAX) });
        next = this.pop();
      }
      if (next.kind === close) return specs;
      if (next.kind !== 'for') this.fail(`Expected for, if or ${close} after for clause, got: ${describe(next)}`, next);
    }
  }

  /** After `{`: fields, object locals and asserts, or an object comprehension. */
  private objectRemainder(open: Token): Node {
    const at = position(open);
    const fields: FieldNode[] = [];
    const locals: Binding[] = [];
    const asserts: AssertNode[] = [];
    const literalNames = new Set<string>();
    let gotComma = false;
    let first = true;
    while (true) {
      const next = this.pop();
      if (next.kind === '}') return { kind: 'object', fields, locals, asserts, ...at };
      if (next.kind === 'for') {
        if (asserts.length > 0) this.fail('Object comprehension cannot have asserts', next);
        if (fields.length !== 1) this.fail('Object comprehension can only have one field', next);
        const [field] = fields;
        if (field.visibility !== 'inherit') this.fail('Object comprehensions cannot have hidden fields', next);
        if (!field.computed) this.fail('Object comprehensions can only have [e] fields', next);
        return { kind: 'objectComp', field, locals, specs: this.comprehensionSpecs('}'), ...at };
      }
      if (!first && !gotComma) this.fail('Expected a comma before next field', next);
      first = false;
      if (next.kind === 'local') {
        const name = this.expect('identifier', 'parsing object local');
        if (locals.some((b) => b.name === name.value)) this.fail(`Duplicate local var: ${name.value}`, name);
        locals.push({ name: name.value, body: this.bindingBody(name) });
      } else if (next.kind === 'assert') {
        const condition = this.expression(MAX);
        let message: Node | undefined;
        if (this.isOperator(this.peek(), ':')) {
          this.pop();
          message = this.expression(MAX);
        }
        asserts.push({ condition, message, position: position(next) });
      } else {
        fields.push(this.field(next, literalNames));
      }
      gotComma = this.peek().kind === ',';
      if (gotComma) this.pop();
    }
  }

  private field(first: Token, literalNames: Set<string>): FieldNode {
    let name: Node;
    let computed = false;
    if (first.kind === 'identifier' || first.kind === 'string') {
      name = { kind: 'literal', value: first.value, ...position(first) };
    } else if (first.kind === '[') {
      name = this.expression(MAX);
      this.expect(']', 'parsing field name');
      computed = true;
    } else {
      return this.fail(`Unexpected: ${describe(first)} while parsing field definition`, first);
    }
    let params: Parameter[] | undefined;
    if (this.peek().kind === '(') {
      this.pop();
      params = this.parameters();
    }
    const operator = this.pop();
    const { plus, visibility } = this.fieldOperator(operator);
    if (plus && params) this.fail(`Cannot use +: syntax sugar in a method: ${first.value}`, first);
    if (!computed) {
      if (literalNames.has(first.value)) this.fail(`Duplicate field: ${first.value}`, first);
      literalNames.add(first.value);
    }
    const body = this.expression(MAX);
    return {
      name,
      computed,
      visibility,
      plus,
      body: params ? { kind: 'function', params, body, ...position(first) } : body,
      position: position(first),
    };
  }

  private fieldOperator(token: Token): { plus: boolean; visibility: Visibility } {
    const bad = () => this.fail(`Expected one of :, ::, :::, +:, +::, +:::, got: ${describe(token)}`, token);
    if (token.kind !== 'operator') return bad();
    const plus = token.value.startsWith('+');
    const colons = plus ? token.value.slice(1) : token.value;
    if (colons === ':') return { plus, visibility: 'inherit' };
    if (colons === '::') return { plus, visibility: 'hidden' };
    if (colons === ':::') return { plus, visibility: 'visible' };
    return bad();
  }
}
