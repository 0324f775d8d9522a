/**
 * lib/jsonnet as a sandbox and as an API: mappers and hook bodies may come from an HTTPS URL, so a bomb or an
 * endless recursion must end quickly with a JsonnetError, `import` and std.native are refused, an unknown ext var is
 * an error, and no failure ever surfaces as a JavaScript TypeError or RangeError (stack overflows included).
 */
import { jest } from '@jest/globals';
import { DEFAULT_MAX_STACK, DEFAULT_TIMEOUT_MS, evaluate, JsonnetError, type EvaluateOptions } from '../../../lib/jsonnet/index.js';

function failure(program: string, options?: EvaluateOptions): JsonnetError {
  try {
    evaluate(program, options);
  } catch (error) {
    if (!(error instanceof JsonnetError)) throw new Error(`expected a JsonnetError from ${program.slice(0, 80)}, got ${String(error)}`);
    return error;
  }
  throw new Error(`expected ${program.slice(0, 80)} to fail`);
}

/** The failure, and how long it took to come. */
function timedFailure(program: string, options?: EvaluateOptions): { error: JsonnetError; ms: number } {
  const started = performance.now();
  const error = failure(program, options);
  return { error, ms: performance.now() - started };
}

describe('budgets', () => {
  it('defaults to Jsonnet\'s stack of 500 and Kratos\'s 1 s', () => {
    expect([DEFAULT_MAX_STACK, DEFAULT_TIMEOUT_MS]).toEqual([500, 1000]);
  });

  it('refuses std.repeat and std.makeArray bombs before building anything', () => {
    for (const bomb of ['std.repeat("x", 1e9)', 'std.makeArray(1e9, function(i) i)', 'std.range(0, 2e9)', 'std.repeat([1, 2], 1e9)', '"%1000000000d" % 1']) {
      const { error, ms } = timedFailure(bomb);
      expect([bomb, error.reason]).toEqual([bomb, expect.stringMatching(/allocation budget|string too long|Expected an integer/)]);
      expect(ms).toBeLessThan(500);
    }
  });

  it('stops a string that doubles itself at the longest string allowed', () => {
    const { error, ms } = timedFailure('local grow(s, n) = if n == 0 then s else grow(s + s, n - 1); std.length(grow("x", 60))');
    expect(error.reason).toMatch(/string too long/);
    expect(ms).toBeLessThan(1000);
  });

  it('stops a long loop of concatenations within the time or allocation budget', () => {
    const { error, ms } = timedFailure('local append(s, n) = if n == 0 then s else append(s + "0123456789", n - 1) tailstrict; std.length(append("", 1e8))', { timeoutMs: 300 });
    expect(error.reason).toMatch(/time budget|allocation budget/);
    expect(ms).toBeLessThan(3000);
  });

  it('stops nested arrays that multiply (allocation) and a small array referenced a billion times in the output', () => {
    // Timings here allow for a busy machine (the suite runs tests in parallel); alone, each ends in under 400 ms.
    const nested = timedFailure('std.length(std.flattenArrays(std.makeArray(100000, function(i) std.makeArray(1000, function(j) j))))');
    expect(nested.error.reason).toMatch(/allocation budget|time budget/);
    expect(nested.ms).toBeLessThan(3000);
    const dag = timedFailure('local a = std.range(1, 1000); local b = [a for i in std.range(1, 1000)]; [b for i in std.range(1, 1000)]');
    expect(dag.error.reason).toMatch(/allocation budget|time budget/);
    expect(dag.ms).toBeLessThan(3000);
  });

  it('ends infinite recursion with "max stack frames exceeded"', () => {
    for (const program of ['local f(x) = f(x + 1) + 1; f(0)', 'local f(x) = f(x); f(0)', '{a: self.a}.a', 'local x = x + 1; x', 'local o = {a: o.b, b: o.a}; o.a']) {
      const { error, ms } = timedFailure(program);
      expect([program, error.reason]).toEqual([program, 'max stack frames exceeded.']);
      expect(ms).toBeLessThan(1000);
    }
  });

  it('ends an endless tail-recursive loop (which needs no stack) with the time budget', () => {
    const { error, ms } = timedFailure('local loop(n) = loop(n + 1) tailstrict; loop(0)', { timeoutMs: 150 });
    expect(error.reason).toBe('evaluation exceeded its time budget (150 ms)');
    expect(ms).toBeLessThan(2000);
  });

  it('respects maxStack, and turns a JavaScript stack overflow into a JsonnetError', () => {
    expect(evaluate('local f(n) = if n == 0 then 0 else 1 + f(n - 1); f(100)')).toBe(100);
    expect(failure('local f(n) = if n == 0 then 0 else 1 + f(n - 1); f(100)', { maxStack: 50 }).reason).toBe('max stack frames exceeded.');
    // With a huge maxStack the JavaScript stack runs out first: still a JsonnetError, never a RangeError.
    expect(failure('local f(n) = if n == 0 then 0 else 1 + f(n - 1); f(1000000)', { maxStack: 10_000_000, timeoutMs: 60_000 }).reason).toMatch(/max stack frames exceeded/);
    expect(failure(`${'['.repeat(100000)}${']'.repeat(100000)}`).reason).toMatch(/max stack frames exceeded/);
    expect(failure(`${'-'.repeat(200000)}1`).reason).toMatch(/max stack frames exceeded/);
  });

  it('runs tailstrict tail calls in constant stack (deeper than maxStack)', () => {
    expect(evaluate('local sum(n, acc) = if n == 0 then acc else sum(n - 1, acc + n) tailstrict; sum(100000, 0)', { timeoutMs: 60_000 })).toBe(5000050000);
  });

  it('refuses options that are not positive numbers', () => {
    expect(() => evaluate('1', { timeoutMs: 0 })).toThrow(TypeError);
    expect(() => evaluate('1', { maxStack: Number.NaN })).toThrow(TypeError);
  });
});

describe('refused features', () => {
  it('refuses import, importstr and importbin with a clear error (nothing is read)', () => {
    for (const keyword of ['import', 'importstr', 'importbin']) {
      const error = failure(`local x = ${keyword} "/etc/passwd"; x`);
      expect(error.reason).toBe(`${keyword} is not available: "/etc/passwd" cannot be read (this evaluator reads no files)`);
      expect([error.kind, error.line, error.column]).toEqual(['runtime', 1, 11]);
    }
    expect(failure('import "a" + "b"').reason).toBe('Computed imports are not allowed');
  });

  it('refuses std.native, and std.extVar of a name not given', () => {
    expect(failure('std.native("exec")("ls")').reason).toMatch(/^std\.native is not available/);
    expect(failure('std.extVar("session")', { extCode: { claims: '{}' } }).reason).toBe('Undefined external variable: session');
  });
});

describe('errors', () => {
  it('are JsonnetErrors with the reason, a position and a Jsonnet-like message', () => {
    const error = failure('function(ctx)\n  if ctx.cancel then error "cancel" else ctx', { tlaCode: { ctx: '{"cancel": true}' } });
    expect(error).toMatchObject({ name: 'JsonnetError', kind: 'runtime', reason: 'cancel', line: 2, column: 22 });
    expect(error.message).toBe('RUNTIME ERROR: cancel (line 2, column 22)');
    expect(failure('{a: }')).toMatchObject({ kind: 'syntax', line: 1, column: 5 });
    expect(failure('local a = 1;\nb')).toMatchObject({ kind: 'static', reason: 'Unknown variable: b', line: 2, column: 1 });
    expect(failure('{a: 1}.b').message).toBe('RUNTIME ERROR: Field does not exist: b (line 1, column 1)');
    expect(failure('error {code: 1}').reason).toBe('{"code": 1}');
  });

  it('never surface as another JavaScript error, whatever a std function is given', () => {
    const names = evaluate('std.objectFieldsAll(std)') as string[];
    expect(names.length).toBeGreaterThan(140);
    const argumentSets = ['', 'null', '1, 2', '"x", "y", "z"', '[], {}', '{}, [], "s", 1', 'function(x) x, [1, "a"]', '[1, [2]], function(a, b) a', '-1, -1, -1', '"%", [1]'];
    const escaped: string[] = [];
    const quiet = jest.spyOn(console, 'error').mockImplementation(() => {}); // std.trace writes there
    for (const name of names) {
      for (const args of argumentSets) {
        const program = `std.${name}(${args})`;
        try {
          evaluate(program, { timeoutMs: 200 });
        } catch (error) {
          if (!(error instanceof JsonnetError)) escaped.push(`${program}: ${String(error)}`);
        }
      }
    }
    quiet.mockRestore();
    expect(escaped).toEqual([]);
  });
});

describe('the API as Kratos uses it', () => {
  it('maps claims given as ext code, and returns plain JSON data', () => {
    const mapper = `local claims = { email_verified: false } + std.extVar('claims');
{ identity: { traits: { [if 'email' in claims && claims.email_verified then 'email' else null]: claims.email } } }`;
    expect(evaluate(mapper, { extCode: { claims: JSON.stringify({ email: 'a@example.com', email_verified: true }) } })).toEqual({
      identity: { traits: { email: 'a@example.com' } },
    });
    expect(evaluate(mapper, { extCode: { claims: JSON.stringify({ email: 'a@example.com' }) } })).toEqual({ identity: { traits: {} } });
  });

  it('calls a web hook body with ctx as a top-level argument; strings as ext and top-level vars', () => {
    expect(evaluate('function(ctx) { id: ctx.identity.id }', { tlaCode: { ctx: '{"identity": {"id": "42"}}' } })).toEqual({ id: '42' });
    expect(evaluate('function(a, b="dflt") [a, b, std.extVar("e")]', { tlaVars: { a: 'x' }, extVars: { e: 'ev' } })).toEqual(['x', 'dflt', 'ev']);
    expect(failure('function(ctx) ctx').reason).toBe('Missing argument: ctx');
  });

  it('keeps a field named __proto__ as data', () => {
    const value = evaluate('{"__proto__": {polluted: true}, a: 1}') as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(['__proto__', 'a']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
  });

  it('evaluates the same source again with fresh ext vars (compiled programs are shared, values are not)', () => {
    const program = 'std.extVar("claims").n * 2';
    expect([1, 2, 3].map((n) => evaluate(program, { extCode: { claims: `{"n": ${n}}` } }))).toEqual([2, 4, 6]);
  });

  it('writes std.trace to stderr and goes on', () => {
    const spy = jest.spyOn(console, 'error').mockImplementation(() => {});
    try {
      expect(evaluate('std.trace("hello", 5)')).toBe(5);
      expect(spy).toHaveBeenCalledWith('TRACE: hello');
    } finally {
      spy.mockRestore();
    }
  });
});
