/**
 * The syntax tree the parser builds and the evaluator walks. It is already lightly desugared: `a.b` is an index
 * by the string `"b"`, `local f(x) = e` binds a function, `e { ... }` is `e + { ... }`, a missing `else` is `null`,
 * and object methods are fields holding functions. Variables carry the (depth, slot) the scope analysis resolved
 * them to, so a lookup at run time walks `depth` frames up and reads one array slot, with no name search.
 */
export interface Position {
  line: number;
  column: number;
}

export type BinaryOperator =
  | '*' | '/' | '%' | '+' | '-' | '<<' | '>>' | '<' | '<=' | '>' | '>=' | 'in' | '==' | '!=' | '&' | '^' | '|' | '&&' | '||';
export type UnaryOperator = '!' | '~' | '+' | '-';

/** `:` (inherit the visibility of the field it overrides), `::` hidden, `:::` visible even over a hidden one. */
export type Visibility = 'inherit' | 'hidden' | 'visible';

export interface Binding {
  name: string;
  body: Node;
}

export interface Parameter {
  name: string;
  default?: Node;
}

export interface FieldNode {
  /** A literal name (`a:`, `"a":`) or a computed one (`[e]:`); computed names are evaluated outside the object. */
  name: Node;
  /** `[e]:` rather than a literal name (only those are allowed in an object comprehension). */
  computed: boolean;
  visibility: Visibility;
  /** `a+: e`: `super.a + e` when the super object has `a`, else `e`. */
  plus: boolean;
  body: Node;
  position: Position;
}

export interface AssertNode {
  condition: Node;
  message?: Node;
  position: Position;
}

/** One clause of a comprehension, outermost first: `for x in e` binds a frame of one slot, `if c` filters. */
export type CompSpec = { kind: 'for'; name: string; source: Node } | { kind: 'if'; condition: Node };

export type Node = Position &
  (
    | { kind: 'literal'; value: null | boolean | number | string }
    | { kind: 'var'; name: string; depth: number; slot: number }
    | { kind: 'self' }
    | { kind: 'dollar' }
    | { kind: 'superIndex'; index: Node }
    | { kind: 'inSuper'; name: Node }
    | { kind: 'array'; elements: Node[] }
    | { kind: 'arrayComp'; body: Node; specs: CompSpec[] }
    | { kind: 'object'; fields: FieldNode[]; locals: Binding[]; asserts: AssertNode[] }
    | { kind: 'objectComp'; field: FieldNode; locals: Binding[]; specs: CompSpec[] }
    | { kind: 'local'; binds: Binding[]; body: Node }
    | { kind: 'if'; condition: Node; then: Node; else: Node | null }
    | { kind: 'function'; params: Parameter[]; body: Node }
    | { kind: 'apply'; target: Node; positional: Node[]; named: { name: string; value: Node }[]; tailstrict: boolean }
    | { kind: 'index'; target: Node; index: Node }
    | { kind: 'slice'; target: Node; begin: Node | null; end: Node | null; step: Node | null }
    | { kind: 'binary'; operator: BinaryOperator; left: Node; right: Node }
    | { kind: 'unary'; operator: UnaryOperator; operand: Node }
    | { kind: 'error'; message: Node }
    | { kind: 'assert'; condition: Node; message: Node | null; rest: Node }
    | { kind: 'import'; keyword: 'import' | 'importstr' | 'importbin'; path: string }
  );

export type NodeOf<K extends Node['kind']> = Extract<Node, { kind: K }>;
