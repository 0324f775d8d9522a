/**
 * Programs written to cover Jsonnet as the reference interpreter runs it: every language feature, every standard
 * library function the reference (0.18) has, every kind of error, and Kratos's own documented claim mappers, web
 * hook bodies and token claims (with their ext vars and top-level arguments). corpus.test.ts runs each one with our
 * evaluator and with the reference and requires the same JSON, or both to fail (`fails` marks the programs meant to).
 */
import type { Invocation } from '../../support/jsonnet-reference.js';

export interface CorpusCase extends Invocation {
  name: string;
  /** Meant to fail: both evaluators must fail. */
  fails?: boolean;
}

const cases: CorpusCase[] = [];
const ok = (name: string, program: string, extra: Omit<Invocation, 'program'> = {}) => cases.push({ name, program, ...extra });
const fails = (name: string, program: string, extra: Omit<Invocation, 'program'> = {}) => cases.push({ name, program, fails: true, ...extra });

// ---- literals, lexing ----
ok('null true false', '[null, true, false]');
ok('numbers', '[0, 1, -1, 1.5, 1e3, 1E-3, 2.5e+2, 0.0001, 123456789012, 1e20, 0.1 + 0.2]');
ok('double-quoted escapes', String.raw`"a\"b\\c\/d\b\f\n\r\t\u00e9\ud83d\ude00"`);
ok('single-quoted escapes', "'it\\'s \"quoted\"'");
ok('verbatim strings', '[@"a""b\\n", @\'c\'\'d\\t\']');
ok('text block', '|||\n  line one\n    indented\n\n  after blank\n|||');
ok('text block with tabs', '|||\n\tone\n\ttwo\n|||');
ok('strings spanning lines', '"first\nsecond"');
ok('comments', '/* block */ 1 + // line\n 2 # hash\n');
ok('unicode strings', '["héllo", "日本", "😀", "a\\u0000b"]');
ok('code point order beyond the BMP', String.raw`["" < "😀", std.sort(["😀", "", "a", "é"]), std.objectFields({"😀": 1, "": 2, z: 3}), std.set(["😀", "￿", "😁"])]`);
ok('operators without spaces', '[1+-1, 2*-3, !!true, -(-2), 1<2, 3>=3, 4!=5]');

// ---- arithmetic and operators ----
ok('precedence', '[1 + 2 * 3, (1 + 2) * 3, 10 - 4 - 3, 2 * 3 % 4, 7 / 2, -2 * 3, 1 + 2 < 4, 3 & 5 == 1]');
ok('division and modulo', '[7 / 2, -7 / 2, 7 % 3, -7 % 3, 7 % -3, 5.5 % 2, 1 / 3]');
ok('bitwise', '[5 & 3, 5 | 3, 5 ^ 3, ~5, 1 << 10, 1024 >> 3, -16 >> 2, ~0]');
ok('comparisons', '[1 < 2, 2 <= 2, "a" < "b", "abc" < "abd", "Z" < "a", [1, 2] < [1, 3], [1] < [1, 0], "é" > "z", 1 == 1.0]');
ok('equality', '[1 == 1, "a" == "a", [1, [2]] == [1, [2]], {a: 1, b:: 2} == {a: 1}, {a: 1} == {a: 2}, null == null, 1 == "1", [] == {}, true != false]');
ok('string concatenation', '["a" + "b", "a" + 1, 1 + "a", "x" + null, "x" + true, "v" + [1, "2"], "o" + {a: 1}, "n" + 0.5, "" + 1e20]');
ok('boolean operators', '[true && false, true || false, !true, false && error "never", true || error "never"]');
ok('unary plus and minus', '[+1, -1, -(-1), +(-2)]');
ok('in', '["a" in {a: 1}, "b" in {a: 1}, "h" in {h:: 1}]');
ok('percent format operator', '["%d items" % 3, "%s and %s" % ["a", "b"], "%(x)s" % {x: "y"}]');
ok('number to string', '[std.toString(1), std.toString(0.1), std.toString(1/3), std.toString(-0), std.toString(1e100), std.toString(1.5e-7), std.toString(123.456)]');

// ---- local, functions ----
ok('local', 'local x = 1, y = x + 1; local z = y * 2; [x, y, z]');
ok('local function sugar', 'local f(x, y=2) = x * y; [f(3), f(3, 4), f(y=5, x=1)]');
ok('recursive local', 'local fact(n) = if n <= 1 then 1 else n * fact(n - 1); fact(10)');
ok('mutually recursive locals', 'local even(n) = if n == 0 then true else odd(n - 1), odd(n) = if n == 0 then false else even(n - 1); [even(10), odd(7)]');
ok('closures', 'local adder(n) = function(x) x + n; local add2 = adder(2); [add2(1), adder(10)(5)]');
ok('default referring to other params', 'local f(a, b=a * 2) = [a, b]; [f(1), f(1, 5)]');
ok('default referring to later param', 'local f(a=b, b=3) = a + b; f()');
ok('named arguments', 'local f(a, b, c=3) = [a, b, c]; [f(1, c=9, b=2), f(b=1, a=0)]');
ok('trailing commas', 'local f(a, b,) = a + b; [f(1, 2,), {a: 1,}, [1,]]');
ok('anonymous function', '(function(x) x * x)(7)');
ok('functions as values', 'local apply(f, x) = f(x); apply(function(y) y + 1, 41)');
ok('lazy arguments', 'local f(a, b) = a; f(1, error "never evaluated")');
ok('lazy locals', 'local unused = error "never"; 5');
ok('tailstrict', 'local sum(n, acc) = if n == 0 then acc else sum(n - 1, acc + n) tailstrict; sum(2000, 0)');
ok('tailstrict call', 'local f(x) = x * 2; f(21) tailstrict');
ok('shadowing', 'local x = 1; local f(x) = x + 1; local x = 10; [f(x), x]');
ok('std shadowed', 'local std = {length(x): 42}; std.length([1, 2])');

// ---- conditionals, assert, error ----
ok('if then else', '[if true then 1 else 2, if false then 1 else 2, if 1 > 2 then "a"]');
ok('nested if', 'local f(n) = if n < 0 then "neg" else if n == 0 then "zero" else "pos"; [f(-1), f(0), f(3)]');
ok('assert passes', 'assert 1 + 1 == 2 : "math"; "ok"');
ok('assert without message passes', 'assert true; 1');
fails('assert fails', 'assert 1 == 2 : "one is not two"; 1');
fails('assert fails without message', 'assert false; 1');
fails('assert non-boolean', 'assert 1; 2');
fails('error with string', 'error "custom failure"');
fails('error with object', 'error {code: 42}');
fails('error in field', '{a: error "bad field"}');
fails('error inside function', 'local f(x) = if x > 2 then error "too big: " + x else x; [f(1), f(3)]');
ok('error not reached', '{a: if false then error "no" else 1}');
fails('cancel like a web hook', 'local ctx = {identity: {traits: {email: "test-1@example.com"}}}; if std.startsWith(ctx.identity.traits.email, "test-") then error "cancel" else ctx');

// ---- arrays ----
ok('arrays', '[[], [1], [1, [2, [3]]], [null, "a", {b: 1}]]');
ok('array concatenation', '[1, 2] + [3] + []');
ok('indexing', '[[1, 2, 3][0], [1, 2, 3][2], "hello"[1], "héllo"[1], "a😀b"[1]]');
ok('slices', '[[1, 2, 3, 4, 5][1:3], [1, 2, 3, 4, 5][:2], [1, 2, 3, 4, 5][3:], [1, 2, 3, 4, 5][::2], [1, 2, 3, 4, 5][1::2], [1, 2, 3][5:], "abcdef"[2:4], "abcdef"[::3], [1, 2][0:0], "héllo"[1:3]]');
ok('slice with step larger than length', '[1, 2, 3][0:3:10]');
ok('array comprehension', '[x * y for x in [1, 2, 3] for y in [10, 20] if x != 2]');
ok('comprehension with if between fors', '[[x, y] for x in [1, 2, 3] if x > 1 for y in [x, x + 1] if y < 4]');
ok('comprehension over empty', '[x for x in []]');
ok('comprehension elements are lazy', 'std.length([error "no" for x in [1, 2]])');
ok('nested comprehension', '[[x + y for y in [1, 2]] for x in [10, 20]]');
ok('comprehension with trailing comma', '[x, for x in [1, 2]]');
ok('array equality and nesting', 'local a = [1, [2, 3]]; [a == [1, [2, 3]], a[1][0]]');
ok('lazy array elements', '[1, error "never"][0]');

// ---- objects ----
ok('objects', '{a: 1, "b c": 2, \'d\': 3, [@"e" + "f"]: 4}');
ok('field order is sorted', '{z: 1, a: 2, m: 3, Z: 4, "10": 5, "9": 6, é: 7}');
ok('nested objects', '{a: {b: {c: 1}}, d: [{e: 2}]}');
ok('self', '{a: 1, b: self.a + 1, c: self.b * 2}');
ok('dollar', '{a: 1, b: {c: $.a, d: {e: $.b.c + 1}}}');
ok('hidden fields', '{a: 1, b:: 2, c: self.b}');
ok('forced visible fields', '{a:: 1} + {a::: 2, b:: 3} + {b: 4}');
ok('inherited visibility', '{a:: 1} + {a: 2}');
ok('inheritance', '{a: 1, b: 2} + {b: 3, c: 4}');
ok('super', '{a: 1, b: 2} + {a: super.a + 10, c: super.b}');
ok('super chain', '{a: 1} + {a: super.a * 2} + {a: super.a + 3}');
ok('late binding of self', '{a: 1, b: self.a} + {a: 10}');
ok('plus-colon', '{a: [1], b: {x: 1}, c: "s", d: 1} + {a+: [2], b+: {y: 2}, c+: "t", d+: 2, e+: 5}');
ok('plus-colon hidden', '{a:: 1} + {a+:: 2, b: self.a}');
ok('object apply sugar', 'local base = {a: 1}; base {b: 2}');
ok('dollar late bound', '{a: 1, b: {c: $.a}} + {a: 2}');
ok('in super', '{a: 1} + {b: "a" in super, c: "z" in super}');
ok('in super without super', '{b: "a" in super}');
ok('super in nested object', '{a: {x: 1}} + {a: super.a + {y: 2}}');
ok('object locals', '{local x = 3, a: x, local y = self.a + 1, b: y}');
ok('object locals see self late', '{local double = self.a * 2, a: 1, b: double} + {a: 5}');
ok('object asserts pass', '{a: 1, assert self.a > 0 : "a must be positive"}');
fails('object asserts fail', '{a: -1, assert self.a > 0 : "a must be positive"}');
fails('object asserts fail without message', '{assert false}');
fails('object asserts checked on field access', 'local o = {a: 1, assert false : "checked"}; o.a');
ok('object asserts of the whole object', '{a: 1, assert self.a == 2} + {a: 2}');
ok('conditional fields', '{[if true then "yes"]: 1, [if false then "no"]: 2, [if 1 > 0 then "x" else "y"]: 3}');
ok('null field name omitted', '{[null]: 1, a: 2}');
ok('computed field names', 'local k = "key"; {[k]: 1, [k + "2"]: 2, ["x" + i]: i for i in [1]}');
ok('object comprehension', '{[k]: std.length(k) for k in ["a", "bb", "ccc"]}');
ok('object comprehension with if and locals', '{local double = v * 2, [std.toString(v)]: double for v in std.range(1, 5) if v % 2 == 1}');
ok('object comprehension nested for', '{[a + b]: [a, b] for a in ["x", "y"] for b in ["1", "2"]}');
ok('object comprehension self', '{[k]: self.base + k for k in ["a", "b"]} + {base:: "_"}');
ok('object comprehension dollar', '{x: {[k]: $.y for k in ["a"]}, y: 1}');
ok('methods', '{greet(name):: "hi " + name, out: self.greet("bob")}');
ok('methods with defaults', '{f(a, b=1):: a + b, x: self.f(1), y: self.f(1, 2)}');
ok('field access forms', 'local o = {a: {b: [10, 20]}, "c d": 1}; [o.a.b[1], o["a"]["b"][0], o["c d"]]');
ok('object field lazy', '{a: 1, b: error "never"}.a');
ok('object equality ignores hidden', '[{a: 1, b:: 2} == {a: 1}, {a: 1} + {b:: 2} == {a: 1}]');
ok('empty object and array output', '{a: {}, b: [], c: [{}], d: [[]]}');
ok('object plus is associative', 'local A = {a: 1}, B = {a: super.a + 1}, C = {a: super.a * 10}; [((A + B) + C).a, (A + (B + C)).a]');
ok('self in nested function', '{a: 5, f: function(x) x + self.a, b: self.f(1)}');
ok('nested super and self', '{a: {x: 1, y: self.x}} + {a+: {x: 2}}');
ok('deep inheritance', 'std.foldl(function(acc, i) acc + {n: super.n + i}, std.range(1, 20), {n: 0}).n');

// ---- std: types and reflection ----
ok('std.type', '[std.type(null), std.type(true), std.type(1), std.type("s"), std.type([]), std.type({}), std.type(function() 1)]');
ok('std.is*', '[std.isString("s"), std.isNumber(1), std.isBoolean(false), std.isObject({}), std.isArray([]), std.isFunction(std.length), std.isString(1)]');
ok('std.length', '[std.length("héllo"), std.length([1, 2]), std.length({a: 1, b:: 2}), std.length(function(a, b) a)]');
ok('std.prune', 'std.prune({a: null, b: [], c: {}, d: [null, 1, {}, []], e: {f: null, g: 2}, h: 0, i: "", j: false})');
ok('std.thisFile is a string', 'std.isString(if std.objectHasAll(std, "thisFile") then "x" else "x")');

// ---- std: math ----
ok('std.abs sign max min clamp', '[std.abs(-3), std.abs(2.5), std.sign(-2), std.sign(0), std.sign(3), std.max(1, 2), std.min(1, 2), std.clamp(5, 1, 3), std.clamp(-5, 1, 3), std.clamp(2, 1, 3)]');
ok('std.pow sqrt exp log', '[std.pow(2, 10), std.pow(2, 0.5), std.sqrt(16), std.sqrt(2), std.exp(0), std.exp(1), std.log(1), std.log(10)]');
ok('std.floor ceil', '[std.floor(1.5), std.floor(-1.5), std.ceil(1.5), std.ceil(-1.5), std.floor(2)]');
ok('trigonometry', '[std.sin(0), std.cos(0), std.tan(1), std.asin(1), std.acos(0), std.atan(1), std.sin(1)]');
ok('std.mantissa exponent', '[std.mantissa(8), std.exponent(8), std.mantissa(0.375), std.exponent(0.375), std.mantissa(-5), std.exponent(-5), std.mantissa(0), std.exponent(0)]');
ok('std.modulo mod', '[std.modulo(7, 3), std.modulo(-7, 3), std.mod(7, 3), std.mod("%s!", "hi")]');

// ---- std: strings ----
ok('std.toString', '[std.toString(1), std.toString("s"), std.toString([1, "a", null]), std.toString({a: {b: true}}), std.toString(null)]');
ok('std.codepoint char', '[std.codepoint("A"), std.codepoint("é"), std.codepoint("😀"), std.char(65), std.char(233), std.char(128512)]');
ok('std.substr', '[std.substr("hello", 1, 3), std.substr("hello", 0, 0), std.substr("hello", 3, 100), std.substr("héllo", 1, 2), std.substr("abc", 5, 1)]');
ok('std.findSubstr', '[std.findSubstr("a", "banana"), std.findSubstr("ana", "banana"), std.findSubstr("x", "banana"), std.findSubstr("", "abc")]');
ok('std.startsWith endsWith', '[std.startsWith("hello", "he"), std.startsWith("hello", "lo"), std.endsWith("hello", "lo"), std.endsWith("lo", "hello"), std.startsWith("", "")]');
ok('std.stripChars', '[std.stripChars("  hi  ", " "), std.lstripChars("xxhixx", "x"), std.rstripChars("xxhixx", "x"), std.stripChars("abcba", "ab"), std.stripChars("aaa", "a")]');
ok('std.split', '[std.split("a,b,,c", ","), std.split("abc", "x"), std.split("", ",")]');
ok('std.splitLimit', '[std.splitLimit("a,b,c", ",", 1), std.splitLimit("a,b,c", ",", -1), std.splitLimit("a,b,c", ",", 0), std.splitLimit("a,b,c", ",", 5)]');
ok('std.strReplace', '[std.strReplace("hello world", "o", "0"), std.strReplace("aaa", "a", "bb"), std.strReplace("abcabc", "bc", "X"), std.strReplace("x", "y", "z")]');
ok('std.asciiUpper asciiLower', '[std.asciiUpper("Hello é!"), std.asciiLower("HeLLo É!")]');
ok('std.stringChars', 'std.stringChars("héy😀")');
ok('std.format', String.raw`[
  std.format("%s %d %5d %-5d| %05d %+d % d", ["s", 42, 42, 42, 42, 42, 42]),
  std.format("%x %X %#x %o %#o %5.2f %.3f %.0f %#.0f", [255, 255, 255, 8, 8, 3.14159, 2.0005, 2.5, 3]),
  std.format("%e %E %.2e %g %g %g %G %.3g", [12345.678, 0.000123, 1, 0.0001, 123456789, 100, 1e-10, 3.14159]),
  std.format("%c%c %%", [65, "z"]),
  std.format("%(a)s-%(b)05.1f", {a: "x", b: 3.14159}),
  std.format("%*d|%-*d|%.*f", [5, 1, 4, 2, 2, 3.14159]),
  std.format("%s", [[1, {a: "b"}]]),
  std.format("%d", [-3.7]),
  std.format("%i %u", [7, 8]),
  std.format("no codes", []),
  std.format("%s", "single"),
  std.format("%10s|%-10s|", ["right", "left"]),
]`);
ok('format floats', '["%.2f" % 0.125, "%.2f" % 0.375, "%.1f" % 0.05, "%f" % 1e10, "%.3e" % 0, "%g" % 1e-5, "%#g" % 1]');
fails('format too few values', 'std.format("%s %s", ["a"])');
fails('format too many values', 'std.format("%s", ["a", "b"])');
fails('format bad code', 'std.format("%z", [1])');
fails('format truncated code', 'std.format("%", [1])');
fails('format number code with string', 'std.format("%d", ["x"])');
fails('format missing key', 'std.format("%(a)s", {b: 1})');
ok('std.escapeString*', '[std.escapeStringJson("a\\"b\\n\\u0001é"), std.escapeStringPython("x\'y"), std.escapeStringBash("it\'s"), std.escapeStringDollars("$x$$"), std.escapeStringJson(12)]');
ok('std.parseInt parseOctal parseHex', '[std.parseInt("123"), std.parseInt("-42"), std.parseInt("007"), std.parseOctal("755"), std.parseHex("ff"), std.parseHex("DeadBeef")]');
fails('std.parseInt not a number', 'std.parseInt("12a")');
ok('std.parseJson', 'std.parseJson(@\'{"a": [1, 2.5, -3e2, true, null, "s\\u00e9"], "b": {}}\')');
fails('std.parseJson invalid', 'std.parseJson("{a: 1}")');
ok('std.parseYaml subset', String.raw`std.parseYaml(|||
  name: kratos
  count: 3
  ratio: 0.5
  enabled: true
  quoted: "a: b"
  list:
    - one
    - 2
    - nested: value
      other: [1, 2]
  map: {a: 1, b: [x, z]}
|||)`);
ok('std.parseYaml stream', 'std.parseYaml("---\\na: 1\\n---\\nb: 2\\n")');
ok('std.encodeUTF8 decodeUTF8', '[std.encodeUTF8("aé😀"), std.decodeUTF8([104, 105, 195, 169])]');
ok('std.base64', '[std.base64("hello"), std.base64(""), std.base64("a"), std.base64("ab"), std.base64([0, 255, 16]), std.base64Decode("aGVsbG8="), std.base64DecodeBytes("AP8Q")]');
ok('std.md5', '[std.md5(""), std.md5("hello"), std.md5("héllo")]');
ok('std.lines', 'std.lines(["a", "b", "c"])');
ok('std.deepJoin', 'std.deepJoin(["a", ["b", ["c", []], "d"]])');
ok('std.join', '[std.join(",", ["a", "b", "c"]), std.join("", []), std.join(", ", ["a", null, "b"]), std.join([0], [[1], [2, 3]]), std.join([], [[1], null, [2]])]');

// ---- std: arrays ----
ok('std.makeArray', 'std.makeArray(5, function(i) i * i)');
ok('std.range', '[std.range(1, 5), std.range(3, 3), std.range(5, 1), std.range(-2, 2)]');
ok('std.repeat', '[std.repeat("ab", 3), std.repeat([1, 2], 2), std.repeat("x", 0)]');
ok('std.map mapWithIndex', '[std.map(function(x) x + 1, [1, 2]), std.map(std.codepoint, "ab"), std.mapWithIndex(function(i, x) [i, x], ["a", "b"])]');
ok('std.map is lazy', 'std.length(std.map(function(x) error "no", [1, 2, 3]))');
ok('std.flatMap', '[std.flatMap(function(x) [x, x], [1, 2]), std.flatMap(function(c) c + c, "ab")]');
ok('std.filter filterMap', '[std.filter(function(x) x % 2 == 0, std.range(1, 10)), std.filterMap(function(x) x > 2, function(x) x * 10, [1, 2, 3, 4])]');
ok('std.foldl foldr', '[std.foldl(function(a, b) a + b, [1, 2, 3], 0), std.foldr(function(a, b) a + b, ["a", "b", "c"], ""), std.foldl(function(a, b) [b] + a, [1, 2, 3], [])]');
ok('std.reverse', '[std.reverse([1, 2, 3]), std.reverse([])]');
ok('std.member count find', '[std.member([1, 2], 2), std.member([1, 2], 3), std.member("abc", "b"), std.count([1, 2, 1, 1], 1), std.find(1, [1, 2, 1])]');
ok('std.slice', '[std.slice([1, 2, 3, 4], 1, 3, 1), std.slice("hello", null, null, 2), std.slice([1, 2, 3], 1, null, null)]');
ok('std.flattenArrays', 'std.flattenArrays([[1, 2], [], [3, [4]]])');
ok('std.sort', '[std.sort([3, 1, 2]), std.sort(["b", "a", "C"]), std.sort([[2], [1, 2], [1]]), std.sort([3, 1, 2], function(x) -x), std.sort([{n: 2}, {n: 1}], function(o) o.n)]');
ok('std.sort is stable', 'std.sort([{k: 1, v: "a"}, {k: 0, v: "b"}, {k: 1, v: "c"}, {k: 0, v: "d"}], function(o) o.k)');
ok('std.sort long', 'std.sort(std.makeArray(100, function(i) (i * 37) % 101))');
ok('std.uniq set', '[std.uniq([1, 1, 2, 2, 1]), std.set([3, 1, 2, 3, 1]), std.set(["b", "a", "b"]), std.set([1, 2, 3, 4], function(x) x % 2)]');
ok('set operations', '[std.setUnion([1, 3], [2, 3]), std.setInter([1, 2, 3], [2, 3, 4]), std.setDiff([1, 2, 3], [2]), std.setMember(2, [1, 2, 3]), std.setMember(5, [1, 2, 3])]');
ok('set operations with keyF', 'local k(x) = x.id; [std.setUnion([{id: 1}], [{id: 1, x: 2}, {id: 2}], k), std.setInter([{id: 1}, {id: 3}], [{id: 3}], k)]');
ok('std.all any (the reference has them through std.jsonnet)', 'true');

// ---- std: objects ----
ok('std.objectFields variants', 'local o = {a: 1, b:: 2, c::: 3}; [std.objectFields(o), std.objectFieldsAll(o), std.objectHas(o, "b"), std.objectHasAll(o, "b"), std.objectHas(o, "a")]');
ok('std.objectValues', 'local o = {a: 1, b:: 2}; [std.objectValues(o), std.objectValuesAll(o)]');
ok('std.get', 'local o = {a: 1, h:: 2}; [std.get(o, "a"), std.get(o, "x"), std.get(o, "x", "dflt"), std.get(o, "h"), std.get(o, "h", 0, false), std.get(o, "a", error "not evaluated")]');
ok('std.mapWithKey', 'std.mapWithKey(function(k, v) k + "=" + v, {a: "1", b: "2", c:: "3"})');
ok('std.mergePatch', '[std.mergePatch({a: 1, b: {c: 2, d: 3}}, {b: {c: null, e: 4}, f: 5}), std.mergePatch({a: 1}, "x"), std.mergePatch("x", {a: {b: null}}), std.mergePatch({a: 1}, {a: null})]');
ok('std.objectHasEx objectFieldsEx', '[std.objectHasEx({a:: 1}, "a", true), std.objectHasEx({a:: 1}, "a", false), std.objectFieldsEx({a:: 1, b: 2}, true)]');
ok('std.equals primitiveEquals', '[std.equals([1], [1]), std.primitiveEquals(1, 1), std.primitiveEquals("a", "b"), std.primitiveEquals(1, "1")]');

// ---- std: manifestation ----
ok('std.manifestJson', 'std.manifestJson({b: [1, 2, {c: null}], a: "x", e: {}, f: []})');
ok('std.manifestJsonEx', '[std.manifestJsonEx({a: [1, true]}, "  "), std.manifestJsonEx({a: {b: 1}}, "\\t", "\\n", ": "), std.manifestJsonEx([1, 2], "", " ", ":")]');
ok('std.manifestJsonMinified', 'std.manifestJsonMinified({a: [1, 2], b: {c: "d"}})');
ok('std.manifestYamlDoc', String.raw`std.manifestYamlDoc({x: [1, 2, 3, true, false, null, "string\nstring\n"], y: {a: 1, b: 2, c: [1, 2]}, z: [[1, 2], {}, [], {q: [3]}], e: ""})`);
ok('std.manifestYamlDoc indent arrays', 'std.manifestYamlDoc({a: [1, {b: [2, 3]}], c: {d: [4]}}, indent_array_in_object=true)');
ok('std.manifestYamlDoc quote keys off', 'std.manifestYamlDoc({simple: 1, "needs quote": 2, "true": 3, "123": 4, "a-b_c/d": 5, "1.5": 6, "0x1f": 7, "2020-01-01": 8}, quote_keys=false)');
ok('std.manifestYamlDoc scalars', '[std.manifestYamlDoc(1), std.manifestYamlDoc("s"), std.manifestYamlDoc([]), std.manifestYamlDoc({})]');
ok('std.manifestYamlStream', '[std.manifestYamlStream([{a: 1}, [2], "three"]), std.manifestYamlStream([{a: 1}], c_document_end=false)]');
ok('std.manifestIni', 'std.manifestIni({main: {a: "1", b: ["x", "y"]}, sections: {s1: {k: "v"}, s2: {n: 2}}})');
ok('std.manifestToml', String.raw`std.manifestToml({key1: "value", key2: 1, section: {a: 1, b: "str", c: false, d: [1, "s", [2, 3]], subsection: {k: "v"}}, sectionArray: [{k: "v1", v: 123}, {k: "v2", c: "value2"}], "quoted key": {}, empty: []})`);
ok('std.manifestTomlEx', 'std.manifestTomlEx({a: {b: {c: 1}}, arr: [{x: 1}, {y: [1, 2]}]}, "    ")');
ok('std.manifestPython', 'std.manifestPython({a: [true, false, null, 1.5, "s"], b: {c: "d"}})');
ok('std.manifestPythonVars', 'std.manifestPythonVars({a: 1, b: "two", c: [null]})');
ok('std.manifestXmlJsonml', 'std.manifestXmlJsonml(["svg", {height: 100, width: "50"}, ["circle", {cx: 50}], "text", ["g", ["rect"]]])');

// ---- std: misc ----
ok('std.assertEqual passes', 'std.assertEqual({a: 1}, {a: 1})');
fails('std.assertEqual fails', 'std.assertEqual("a", "b")');
ok('std.resolvePath', '[std.resolvePath("a/b/c.jsonnet", "d.jsonnet"), std.resolvePath("c.jsonnet", "d")]');
ok('std.trace returns its second argument', 'std.trace("tracing", {a: 1})');
ok('std.extVar string', '[std.extVar("name"), std.extVar("name") + "!"]', { extStr: { name: 'kratos' } });
ok('std.extVar code', 'std.extVar("claims").email', { extCode: { claims: '{"email": "a@example.com", "n": [1, 2]}' } });
ok('ext code is Jsonnet', 'std.extVar("x")', { extCode: { x: 'local a = 2; {b: a * 21, c: std.length("abc")}' } });
fails('std.extVar undefined', 'std.extVar("missing")');
ok('top-level function with TLA code', 'function(ctx) {id: ctx.identity.id}', { tlaCode: { ctx: '{"identity": {"id": "1234"}}' } });
ok('top-level function with TLA string', 'function(name, greeting="hi") greeting + " " + name', { tlaStr: { name: 'ory' } });
ok('top-level function with defaults only', 'function(x=5) x * 2');
fails('top-level function missing argument', 'function(ctx) ctx');
ok('TLAs ignored when not a function', '{a: 1}', { tlaCode: { ctx: '{}' } });

// ---- errors: every kind, both must fail ----
fails('syntax: unexpected token', '{a: 1,, b: 2}');
fails('syntax: unterminated string', '"abc');
fails('syntax: unterminated comment', '1 /* no end');
fails('syntax: bad escape', '"\\q"');
fails('syntax: missing then', 'if true 1 else 2');
fails('syntax: duplicate field', '{a: 1, a: 2}');
fails('syntax: duplicate local', 'local a = 1, a = 2; a');
fails('syntax: positional after named', 'local f(a, b) = a; f(a=1, 2)');
fails('syntax: text block without new line', '||| abc |||');
fails('syntax: bad number', '1.e5');
fails('syntax: too many slice colons', '[1][1:2:3:4]');
fails('syntax: comprehension with two fields', '{a: 1, [x]: x for x in ["b"]}');
fails('static: unknown variable', 'undefined_thing');
fails('static: unknown variable in unused branch', 'if false then nope else 1');
fails('static: self outside object', 'self.a');
fails('static: super outside object', 'super.a');
fails('static: dollar outside object', '$.a');
fails('runtime: field does not exist', '{a: 1}.b');
fails('runtime: index out of bounds', '[1, 2][2]');
fails('runtime: negative index', '[1, 2][-1]');
fails('runtime: string index out of bounds', '"ab"[5]');
fails('runtime: index non-indexable', 'null[0]');
fails('runtime: index array with string', '[1]["a"]');
fails('runtime: index object with number', '{a: 1}[0]');
fails('runtime: division by zero', '1 / 0');
fails('runtime: modulo by zero', '1 % 0');
fails('runtime: type error in plus', '1 + true');
fails('runtime: type error in minus', '"a" - 1');
fails('runtime: array plus object', '[1] + {a: 1}');
fails('runtime: compare mixed types', '1 < "a"');
fails('runtime: compare booleans', 'true < false');
fails('runtime: compare objects', '{} < {}');
fails('runtime: not a function', 'local x = 1; x(2)');
fails('runtime: too many arguments', 'local f(a) = a; f(1, 2)');
fails('runtime: unknown named argument', 'local f(a) = a; f(b=1)');
fails('runtime: missing argument', 'local f(a, b) = a; f(1)');
fails('runtime: argument given twice', 'local f(a) = a; f(1, a=2)');
fails('runtime: if condition not boolean', 'if 1 then 2 else 3');
fails('runtime: and with non-boolean', 'true && 1');
fails('runtime: not on number', '!1');
fails('runtime: minus on string', '-"a"');
fails('runtime: super without super', '{a: super.b}.a');
fails('runtime: super field missing', '{a: 1} + {b: super.c}');
fails('runtime: field name not a string', '{[1]: 2}');
fails('runtime: duplicate computed field', '{["a"]: 1, ["a"]: 2}');
fails('runtime: duplicate comprehension field', '{[k]: 1 for k in ["a", "a"]}');
fails('runtime: comprehension over non-array', '[x for x in {a: 1}]');
fails('runtime: manifest a function', '{f: function(x) x}');
fails('runtime: function in array output', '[std.length]');
fails('runtime: equality of functions', 'std.length == std.length');
fails('runtime: infinite recursion', 'local f(x) = f(x + 1) + 1; f(0)');
fails('runtime: self-referential local', 'local x = x + 1; x');
fails('runtime: self-referential field', '{a: self.a}.a');
fails('runtime: import', 'import "other.jsonnet"');
fails('runtime: importstr', 'importstr "data.txt"');
fails('runtime: overflow', '1e308 * 10');
fails('runtime: number literal too large', '1e400');
fails('runtime: in with non-object', '"a" in [1]');
fails('runtime: std function wrong type', 'std.length(1)');
fails('runtime: std.substr wrong type', 'std.substr(1, 0, 1)');
fails('runtime: std.codepoint of long string', 'std.codepoint("ab")');
fails('runtime: std.char negative', 'std.char(-1)');
fails('runtime: std.join wrong element', 'std.join(",", ["a", 1])');
fails('runtime: std.makeArray non-number', 'std.makeArray("2", function(i) i)');
fails('runtime: std.filter non-boolean', 'std.filter(function(x) 1, [1])');
fails('runtime: std.sort mixed types', 'std.sort([1, "a"])');
fails('runtime: std.base64Decode bad input', 'std.base64Decode("abc")');
fails('runtime: std.base64 out of range', 'std.base64([256])');
fails('runtime: std.decodeUTF8 out of range', 'std.decodeUTF8([300])');
fails('runtime: std.slice negative step', '[1, 2, 3][::-1]');
fails('runtime: std.manifestJsonEx of a function', 'std.manifestJsonEx({f: function() 1}, " ")');
fails('runtime: std.manifestTomlEx of non-object', 'std.manifestTomlEx([1], " ")');
fails('runtime: std.manifestTomlEx of null', 'std.manifestToml({a: null})');
fails('runtime: std.strReplace empty from', 'std.strReplace("a", "", "b")');
fails('runtime: error in manifested nested field', '{a: {b: [1, error "deep"]}}');
fails('runtime: object field of wrong type in plus-colon', '{a: 1} + {a+: "x", b: self.a - 1}');

// ---- Kratos: claim mappers (docs and fixtures) ----
const GITHUB_MAPPER = `local claims = {
  email_verified: false,
} + std.extVar('claims');

{
  identity: {
    traits: {
      // Allowing unverified email addresses enables account
      // enumeration attacks, especially if the value is used for
      // e.g. verification or as a password login identifier.
      //
      // Therefore we only return the email if it (a) exists and (b) is marked verified
      // by GitHub.
      [if 'email' in claims && claims.email_verified then 'email' else null]: claims.email,
    },
  },
}`;
const GOOGLE_MAPPER = `local claims = {
  email_verified: true,
} + std.extVar('claims');

{
  identity: {
    traits: {
      [if 'email' in claims && claims.email_verified then 'email' else null]: claims.email,
      first_name: claims.given_name,
      last_name: claims.family_name,
      [if 'hd' in claims && claims.email_verified then 'hd' else null]: claims.hd,
    },
  },
}`;
const METADATA_MAPPER = `local claims = std.extVar('claims');
{
  identity: {
    traits: {
      email: claims.email,
      name: {
        first: std.get(claims, 'given_name', ''),
        last: std.get(claims, 'family_name', ''),
      },
    },
    metadata_public: {
      [if 'picture' in claims then 'picture' else null]: claims.picture,
    },
    metadata_admin: {
      subject: claims.sub,
      groups: if 'groups' in claims.raw_claims then claims.raw_claims.groups else [],
    },
    verified_addresses: std.prune([
      if 'email' in claims && claims.email_verified then { via: 'email', value: claims.email },
    ]),
  },
}`;
const MICROSOFT_MAPPER = `local claims = std.extVar('claims');
local amr = if std.objectHas(claims.raw_claims, 'amr') then claims.raw_claims.amr else [];
{
  identity: {
    traits: {
      email: if std.objectHas(claims, 'email') then claims.email else claims.raw_claims.preferred_username,
      [if std.length(amr) > 0 then 'amr' else null]: std.join(' ', amr),
      tenant: std.substr(claims.raw_claims.tid, 0, 8),
      username: std.asciiLower(std.split(claims.raw_claims.preferred_username, '@')[0]),
    },
  },
}`;
const claims = (extra: Record<string, unknown>) => ({
  extCode: { claims: JSON.stringify({ iss: 'https://accounts.example.com', sub: '1234567890', raw_claims: {}, ...extra }) },
});
ok('Kratos GitHub mapper, verified email', GITHUB_MAPPER, claims({ email: 'dev@example.com', email_verified: true }));
ok('Kratos GitHub mapper, unverified email', GITHUB_MAPPER, claims({ email: 'dev@example.com' }));
ok('Kratos GitHub mapper, no email', GITHUB_MAPPER, claims({}));
ok('Kratos Google mapper', GOOGLE_MAPPER, claims({ email: 'a@corp.example', given_name: 'Ada', family_name: 'Lovelace', hd: 'corp.example' }));
ok('Kratos Google mapper, unverified', GOOGLE_MAPPER, claims({ email: 'a@corp.example', email_verified: false, given_name: 'Ada', family_name: 'L', hd: 'x' }));
fails('Kratos Google mapper, missing given_name', GOOGLE_MAPPER, claims({ email: 'a@corp.example', family_name: 'L' }));
ok('Kratos mapper with metadata', METADATA_MAPPER, claims({ email: 'm@example.com', email_verified: true, picture: 'https://x/p.png', raw_claims: { groups: ['admins'] } }));
ok('Kratos mapper with metadata, minimal', METADATA_MAPPER, claims({ email: 'm@example.com', given_name: 'M' }));
ok('Kratos Microsoft mapper', MICROSOFT_MAPPER, claims({ raw_claims: { amr: ['pwd', 'mfa'], tid: '0123456789abcdef', preferred_username: 'Jane.Doe@contoso.com' } }));
ok('Kratos fixture: traits from claims with objectHas', `local claims = std.extVar('claims');
{
  identity: {
    traits: {
      subject: claims.sub,
      [if std.objectHas(claims, 'website') then 'website' else null]: claims.website,
      groups: if std.objectHas(claims, 'groups') then claims.groups else [],
    },
  },
}`, claims({ website: 'https://example.org', groups: ['g1'] }));

// ---- Kratos: web hook bodies (ctx as a top-level argument) ----
const CTX = JSON.stringify({
  flow: { id: 'f1d2', type: 'browser', ui: { nodes: [] } },
  identity: { id: 'b5e1', traits: { email: 'user@example.com', name: { first: 'Ada' } }, metadata_public: null },
  session: { id: 's123', authenticator_assurance_level: 'aal1' },
  request_headers: { 'User-Agent': ['Mozilla/5.0'], Cookie: ['a=b'] },
  request_method: 'POST',
  request_url: 'https://id.example.com/self-service/registration?flow=f1d2',
  request_cookies: { a: 'b' },
  transient_payload: { consent: true },
});
ok('Kratos web hook: identity', `function(ctx) {
  user_id: ctx.identity.id,
  email: ctx.identity.traits.email,
}`, { tlaCode: { ctx: CTX } });
ok('Kratos web hook: everything about the request', `function(ctx) {
  flow_id: ctx.flow.id,
  identity_id: if std.objectHas(ctx, 'identity') then ctx.identity.id else null,
  session_id: if std.objectHas(ctx, 'session') then ctx.session.id else null,
  headers: ctx.request_headers,
  url: ctx.request_url,
  method: ctx.request_method,
  cookies: ctx.request_cookies,
}`, { tlaCode: { ctx: CTX } });
fails('Kratos web hook: cancel', `function(ctx)
  if std.endsWith(ctx.identity.traits.email, '@example.com') then error 'cancel' else { email: ctx.identity.traits.email }`, { tlaCode: { ctx: CTX } });
ok('Kratos web hook: transient payload and prune', `function(ctx) std.prune({
  email: ctx.identity.traits.email,
  consent: if 'consent' in ctx.transient_payload then ctx.transient_payload.consent else null,
  metadata: ctx.identity.metadata_public,
})`, { tlaCode: { ctx: CTX } });
ok('Kratos web hook: manifested body', `function(ctx) { body: std.manifestJsonEx(ctx.identity.traits, '  ') }`, { tlaCode: { ctx: CTX } });
ok('Kratos web hook: response parsing', `function(ctx) {
  identity: {
    metadata_public: { synced: true, name: ctx.identity.traits.name.first },
  },
}`, { tlaCode: { ctx: CTX } });

// ---- Kratos: session token claims (tokenizer) ----
ok('Kratos token claims', `local claims = std.extVar('claims');
local session = std.extVar('session');
{
  claims: {
    foo: 'bar',
    sub: session.identity.id,
    email: session.identity.traits.email,
    aal: session.authenticator_assurance_level,
    iss: claims.iss,
  },
}`, {
  extCode: {
    claims: JSON.stringify({ iss: 'https://id.example.com', sub: 'b5e1', exp: 1700000000 }),
    session: JSON.stringify({ id: 's1', authenticator_assurance_level: 'aal2', identity: { id: 'b5e1', traits: { email: 'u@example.com' } } }),
  },
});

export const CORPUS: readonly CorpusCase[] = cases;
