import { applyPatch, JsonPatchError } from '../../lib/identity/json-patch.js';

// Cases from RFC 6902, appendix A.
describe('JSON Patch (RFC 6902)', () => {
  it.each([
    ['adds an object member', { foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux' }], { baz: 'qux', foo: 'bar' }],
    ['adds an array element', { foo: ['bar', 'baz'] }, [{ op: 'add', path: '/foo/1', value: 'qux' }], { foo: ['bar', 'qux', 'baz'] }],
    ['appends with -', { foo: [1] }, [{ op: 'add', path: '/foo/-', value: 2 }], { foo: [1, 2] }],
    ['removes an object member', { baz: 'qux', foo: 'bar' }, [{ op: 'remove', path: '/baz' }], { foo: 'bar' }],
    ['removes an array element', { foo: ['bar', 'qux', 'baz'] }, [{ op: 'remove', path: '/foo/1' }], { foo: ['bar', 'baz'] }],
    ['replaces a value', { baz: 'qux', foo: 'bar' }, [{ op: 'replace', path: '/baz', value: 'boo' }], { baz: 'boo', foo: 'bar' }],
    [
      'moves a value',
      { foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } },
      [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }],
      { foo: { bar: 'baz' }, qux: { corge: 'grault', thud: 'fred' } },
    ],
    ['copies a value', { a: { b: 1 } }, [{ op: 'copy', from: '/a', path: '/c' }], { a: { b: 1 }, c: { b: 1 } }],
    ['passes a test', { baz: 'qux', foo: ['a', 2, 'c'] }, [{ op: 'test', path: '/foo', value: ['a', 2, 'c'] }], { baz: 'qux', foo: ['a', 2, 'c'] }],
    ['escapes ~1 and ~0', { 'a/b': 1, 'm~n': 2 }, [{ op: 'replace', path: '/a~1b', value: 3 }, { op: 'remove', path: '/m~0n' }], { 'a/b': 3 }],
  ])('%s', (_, document, patch, expected) => {
    expect(applyPatch(document, patch)).toEqual(expected);
  });

  it.each([
    ['a failing test', { baz: 'qux' }, [{ op: 'test', path: '/baz', value: 'bar' }]],
    ['adding to a missing parent', { foo: 'bar' }, [{ op: 'add', path: '/baz/bat', value: 'qux' }]],
    ['removing a missing member', { foo: 'bar' }, [{ op: 'remove', path: '/nope' }]],
    ['an out-of-bounds index', { foo: [1] }, [{ op: 'add', path: '/foo/5', value: 2 }]],
    ['an unknown operation', { foo: 1 }, [{ op: 'merge', path: '/foo', value: 2 }]],
    ['a prototype key', {}, [{ op: 'add', path: '/__proto__', value: { polluted: true } }]],
    ['not an array', { foo: 1 }, { op: 'remove', path: '/foo' }],
  ])('refuses %s', (_, document, patch) => {
    expect(() => applyPatch(document, patch)).toThrow(JsonPatchError);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('leaves the input untouched', () => {
    const document = { a: { b: 1 } };
    applyPatch(document, [{ op: 'replace', path: '/a/b', value: 2 }]);
    expect(document).toEqual({ a: { b: 1 } });
  });
});
