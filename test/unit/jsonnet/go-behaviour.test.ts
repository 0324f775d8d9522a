/**
 * What the reference interpreter (0.18) cannot check: std functions newer than it, and the places where go-jsonnet
 * v0.21 (Kratos's) behaves differently from it. Expected values are go-jsonnet's documented ones (its std docs,
 * their examples), or, where the docs are silent, what its source does; each difference from 0.18 is named.
 */
import { evaluate, JsonnetError } from '../../../lib/jsonnet/index.js';

const run = (program: string) => evaluate(program);
const failure = (program: string): JsonnetError => {
  try {
    evaluate(program);
  } catch (error) {
    expect(error).toBeInstanceOf(JsonnetError);
    return error as JsonnetError;
  }
  throw new Error(`expected ${program} to fail`);
};

describe('std functions newer than jsonnet 0.18, as go-jsonnet v0.21 documents them', () => {
  it('isEmpty, trim, equalsIgnoreCase', () => {
    expect(run('[std.isEmpty(""), std.isEmpty("a")]')).toEqual([true, false]);
    expect(run('std.trim("  a b \\t\\n")')).toBe('a b');
    // Go's strings.TrimSpace: Unicode white space, NEL and no-break space included.
    expect(run('std.trim("\\u0085\\u00a0x\\u2003")')).toBe('x');
    expect(run('[std.equalsIgnoreCase("Foo", "fOO"), std.equalsIgnoreCase("a", "b"), std.equalsIgnoreCase("Éa", "éA")]')).toEqual([true, false, true]);
  });

  it('splitLimitR (the docs example)', () => {
    expect(run('std.splitLimitR("/_foo/_bar", "/_", 1)')).toEqual(['/_foo', 'bar']);
    expect(run('[std.splitLimitR("a,b,c", ",", -1), std.splitLimitR("a,b,c", ",", 0), std.splitLimitR("a,b,c", ",", 5)]')).toEqual([['a', 'b', 'c'], ['a,b,c'], ['a', 'b', 'c']]);
  });

  it('flattenDeepArray (the docs example)', () => {
    expect(run('std.flattenDeepArray([[1, 2], [], [3, [4]], [[5, 6, [null]], [7, 8]]])')).toEqual([1, 2, 3, 4, 5, 6, null, 7, 8]);
  });

  it('all and any: true for all([]), false for any([]), an error on a non-boolean element', () => {
    expect(run('[std.all([]), std.all([true, true]), std.all([true, false]), std.any([]), std.any([false, true]), std.any([false])]')).toEqual([true, true, false, false, true, false]);
    expect(failure('std.all([true, 1])').reason).toMatch(/is not a boolean/);
    expect(failure('std.any("x")').reason).toMatch(/should be an array/);
  });

  it('sum, avg', () => {
    expect(run('[std.sum([]), std.sum([1, 2, 3.5]), std.avg([1, 2, 3, 4])]')).toEqual([0, 6.5, 2.5]);
    expect(failure('std.avg([])').reason).toBe('Cannot calculate average of an empty array.');
  });

  it('minArray and maxArray: the element with the extreme key; onEmpty when empty, else an error', () => {
    expect(run('[std.minArray([3, 1, 2]), std.maxArray([3, 1, 2]), std.minArray(["b", "a", "c"]), std.maxArray([[1], [1, 0]])]')).toEqual([1, 3, 'a', [1, 0]]);
    expect(run('std.minArray([{n: 2}, {n: 1}, {n: 3}], function(o) o.n)')).toEqual({ n: 1 });
    expect(run('std.maxArray([{n: 2}, {n: 3}, {n: 3, last: true}], keyF=function(o) o.n)')).toEqual({ n: 3 });
    expect(run('[std.minArray([], onEmpty="none"), std.maxArray([], onEmpty=null)]')).toEqual(['none', null]);
    expect(failure('std.minArray([])').reason).toBe('Expected at least one element in array. Got none');
  });

  it('contains, remove, removeAt', () => {
    expect(run('[std.contains([1, [2]], [2]), std.contains([1], 2)]')).toEqual([true, false]);
    expect(run('[std.remove([1, 2, 1], 1), std.remove([1], 5), std.removeAt([1, 2, 3], 1), std.removeAt([1, 2], 7)]')).toEqual([[2, 1], [1], [1, 3], [1, 2]]);
  });

  it('objectKeysValues(All), objectRemoveKey', () => {
    expect(run('std.objectKeysValues({b: 2, a: 1, h:: 3})')).toEqual([{ key: 'a', value: 1 }, { key: 'b', value: 2 }]);
    expect(run('std.objectKeysValuesAll({a: 1, h:: 3})')).toEqual([{ key: 'a', value: 1 }, { key: 'h', value: 3 }]);
    expect(run('std.objectRemoveKey({a: 1, b: 2, c:: 3}, "a")')).toEqual({ b: 2 });
    expect(run('std.objectFieldsAll(std.objectRemoveKey({a: 1, b: 2, c:: 3}, "a"))')).toEqual(['b', 'c']);
  });

  it('sha1, sha256, sha512, sha3 (SHA3-512), of the UTF-8 bytes; md5 too', () => {
    expect(run('[std.sha1(""), std.sha1("hello"), std.sha1("héllo")]')).toEqual([
      'da39a3ee5e6b4b0d3255bfef95601890afd80709',
      'aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d',
      '35b5ea45c5e41f78b46a937cc74d41dfea920890',
    ]);
    expect(run('std.sha256("hello")')).toBe('2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824');
    expect(run('std.sha512("hello")')).toBe(
      '9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043',
    );
    expect(run('std.sha3("hello")')).toBe(
      '75d527c368f2efe848ecf6b073a36767800805e9eef2b1857d5f984f036eb6df891d75f72d9b154518c1cd58835286d1da9a38deba3de98b5a53e5ed78a84976',
    );
    expect(run('std.md5("héllo")')).toBe('be50e8478cf24ff3595bc7307fb91b50');
  });

  it('xor, xnor', () => {
    expect(run('[std.xor(true, false), std.xor(true, true), std.xnor(true, true), std.xnor(false, true)]')).toEqual([true, false, true, false]);
    expect(failure('std.xor(1, true)').reason).toMatch(/expected boolean/);
  });

  it('round (Go: halves away from zero), isEven, isOdd, isInteger, isDecimal', () => {
    expect(run('[std.round(2.5), std.round(-2.5), std.round(0.49999999999999994), std.round(1.4)]')).toEqual([3, -3, 0, 1]);
    expect(run('[std.isEven(4), std.isEven(3), std.isOdd(-3), std.isOdd(2.5), std.isInteger(1.0), std.isInteger(1.5), std.isDecimal(1.5)]')).toEqual([true, false, true, false, true, false, true]);
  });

  it('atan2, hypot, log2, log10, deg2rad, rad2deg, pi', () => {
    expect(run('[std.atan2(1, 1), std.hypot(3, 4), std.log2(8), std.log10(1000), std.deg2rad(180), std.rad2deg(std.pi), std.pi]')).toEqual([
      Math.PI / 4, 5, 3, Math.log(1000) / Math.log(10), Math.PI, 180, Math.PI,
    ]);
  });

  it('escapeStringXML', () => {
    expect(run(`std.escapeStringXML("<a href=\\"x\\">'&'</a>")`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
  });
});

describe('where go-jsonnet v0.21 differs from jsonnet 0.18 (go-jsonnet is followed: it is what Kratos runs)', () => {
  it("`$` in an object made inside an array comprehension's body is that object (0.18: a static error, Unknown variable: $)", () => {
    expect(run('[{a: x, b: $.a + 1} for x in [1, 2]]')).toEqual([{ a: 1, b: 2 }, { a: 2, b: 3 }]);
    expect(run('[(local o = {a: x, b: $.a}; o.b) for x in [3]]')).toEqual([3]);
  });

  it('slices take negative indices (0.18: an error)', () => {
    expect(run('[[1, 2, 3][-2:], [1, 2, 3][:-1], "hello"[-3:-1], std.slice([1, 2, 3], -2, null, null)]')).toEqual([[2, 3], [1, 2], 'll', [2, 3]]);
  });

  it('std.split takes a separator of several characters (0.18: one character only)', () => {
    expect(run('std.split("a--b--c", "--")')).toEqual(['a', 'b', 'c']);
  });

  it('std.length of a function counts its parameters without a default (0.18: all of them)', () => {
    expect(run('std.length(function(a, b=1) a)')).toBe(1);
  });

  it('std.makeArray: a size that is not a whole number is an error, a negative one an empty array (0.18: the opposite)', () => {
    expect(failure('std.makeArray(1.5, function(i) i)').reason).toBe('Expected an integer, but got 1.5');
    expect(run('std.makeArray(-1, function(i) i)')).toEqual([]);
  });

  it('an array index that is not whole is truncated (0.18: an error)', () => {
    expect(run('[10, 20, 30][1.7]')).toBe(20);
  });

  it('a text block opened with |||- drops its final new line (0.18: a syntax error)', () => {
    expect(run('[|||-\n  no final new line\n|||, |||\n  kept\n|||]')).toEqual(['no final new line', 'kept\n']);
  });

  it('"%g" of 0 is "0" (0.18: overflow)', () => {
    expect(run('["%g" % 0, "%e" % 0]')).toEqual(['0', '0.000000e+00']);
  });

  it('std.base64 of a string encodes its UTF-8 bytes, std.base64Decode decodes UTF-8 (0.18: code points as bytes)', () => {
    expect(run('[std.base64("é"), std.base64Decode("w6k="), std.base64Decode(std.base64("aé"))]')).toEqual(['w6k=', 'é', 'aé']);
    // Go checks code points first: anything above U+00FF is refused, though its UTF-8 bytes would fit.
    expect(failure('std.base64("日本")').reason).toMatch(/invalid codepoint value/);
  });

  it('std.manifestJsonEx and manifestYamlDoc write the shortest number (0.18: 17 digits)', () => {
    expect(run('std.manifestJsonEx({a: 0.1, b: 1e21, c: 1e-7}, " ")')).toBe('{\n "a": 0.1,\n "b": 1000000000000000000000,\n "c": 0.0000001\n}');
    expect(run('std.manifestYamlDoc({a: 0.5, b: [0.1]})')).toBe('"a": 0.5\n"b":\n- 0.1');
    // std.toString keeps C's %.17g, as both do.
    expect(run('std.toString(0.1)')).toBe('0.10000000000000001');
  });

  it('std.manifestJsonEx escapes strings as Go does: C1 controls kept, U+2028 escaped', () => {
    expect(run('std.manifestJsonMinified(["\\u007f\\u0085", "\\u2028", "\\u0001"])')).toBe('["\u007f\u0085","\\u2028","\\u0001"]');
  });

  it('std.parseYaml reads YAML 1.1 as gopkg.in/yaml.v2 does (0.18: a different parser with bugs)', () => {
    expect(run(`std.parseYaml(|||
      nothing: null
      tilde: ~
      yes_word: yes
      off_word: off
      n: y
      hex: 0x1f
      octal: 017
      binary: 0b101
      under: 1_000
      float: 1.5e3
      quoted: '012'
      text: |
        line 1
        line 2
      folded: >-
        folded
        text
      list: [a, 'b', "c\\td"]
      anchor: &base {k: 1, j: 2}
      alias: *base
      merged:
        <<: *base
        j: 3
      multi: this is
        one line
    |||)`)).toEqual({
      nothing: null,
      tilde: null,
      yes_word: true,
      off_word: false,
      // The key n is YAML 1.1's false, which becomes the key "false".
      false: true,
      hex: 31,
      octal: 15,
      binary: 5,
      under: 1000,
      float: 1500,
      quoted: '012',
      text: 'line 1\nline 2\n',
      folded: 'folded text',
      list: ['a', 'b', 'c\td'],
      anchor: { k: 1, j: 2 },
      alias: { k: 1, j: 2 },
      merged: { k: 1, j: 3 },
      multi: 'this is one line',
    });
  });

  it('std.parseYaml: a line `---` makes a stream (an array of documents); keys become strings; duplicates and NaN fail', () => {
    expect(run('std.parseYaml("a: 1\\n---\\n- 2\\n- 3\\n")')).toEqual([{ a: 1 }, [2, 3]]);
    expect(run('std.parseYaml("---\\na: 1\\n")')).toEqual([{ a: 1 }]);
    expect(run('std.parseYaml("1: one\\ntrue: yes\\n")')).toEqual({ 1: 'one', true: true });
    expect(run('std.parseYaml("- a: 1\\n  b: [x]\\n- - nested\\n")')).toEqual([{ a: 1, b: ['x'] }, ['nested']]);
    expect(failure('std.parseYaml("a: 1\\na: 2\\n")').reason).toMatch(/failed to parse YAML: .*already set/);
    expect(failure('std.parseYaml("a: .nan\\n")').reason).toMatch(/failed to parse YAML/);
  });

  it('std.manifestYamlStream (the docs example) and manifestTomlEx', () => {
    expect(run('std.manifestYamlStream(["a", 1, []], indent_array_in_object=false, c_document_end=true)')).toBe('---\n"a"\n---\n1\n---\n[]\n...\n');
    expect(run('std.manifestTomlEx({key1: "value", section: {a: 1, subsection: {k: "v"}}, sectionArray: [{k: "v1"}, {k: "v2"}]}, "  ")')).toBe(
      'key1 = "value"\n\n[section]\n  a = 1\n\n  [section.subsection]\n    k = "v"\n\n[[sectionArray]]\n  k = "v1"\n\n[[sectionArray]]\n  k = "v2"',
    );
  });
});
