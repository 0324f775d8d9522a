/**
 * The one error every failure of a Jsonnet program becomes: a syntax error, a static error (an unknown variable,
 * `self` outside an object) or a runtime error (`error "..."`, a missing field, a budget exhausted). The message
 * reads like Jsonnet's own (`RUNTIME ERROR: Field does not exist: x`) followed by where it happened, so a log line
 * says what went wrong in an operator's mapper; `reason`, `line` and `column` carry the parts for code.
 */

export type JsonnetErrorKind = 'syntax' | 'static' | 'runtime';

/** Where in the source: 1-based line and column (0 when unknown, e.g. a budget hit inside a built-in). */
export interface SourcePosition {
  line: number;
  column: number;
}

const PREFIX: Record<JsonnetErrorKind, string> = { syntax: 'SYNTAX ERROR', static: 'STATIC ERROR', runtime: 'RUNTIME ERROR' };

export class JsonnetError extends Error {
  override readonly name = 'JsonnetError';
  /** What went wrong, without the prefix and position: for `error "cancel"`, exactly `cancel`. */
  readonly reason: string;
  readonly kind: JsonnetErrorKind;
  line: number;
  column: number;

  constructor(kind: JsonnetErrorKind, reason: string, at?: SourcePosition) {
    super(reason);
    this.kind = kind;
    this.reason = reason;
    this.line = at?.line ?? 0;
    this.column = at?.column ?? 0;
    this.message = this.describe();
  }

  /** Built-ins throw without a position; the call that reached them supplies it. */
  locate(at: SourcePosition): this {
    if (this.line === 0) {
      this.line = at.line;
      this.column = at.column;
      this.message = this.describe();
    }
    return this;
  }

  private describe(): string {
    const where = this.line > 0 ? ` (line ${this.line}, column ${this.column})` : '';
    return `${PREFIX[this.kind]}: ${this.reason}${where}`;
  }
}

/** A runtime error at a position, or without one (a built-in's; the caller's position is added). */
export function runtimeError(reason: string, at?: SourcePosition): JsonnetError {
  return new JsonnetError('runtime', reason, at);
}
