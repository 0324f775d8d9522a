/**
 * Static analysis, before anything runs (as Jsonnet does it): every variable must be bound (`if false then x` is
 * still an error), `self` and `super` need an enclosing object and `$` an outermost one. Each variable is resolved
 * to (frames up, slot) following the frames the evaluator builds: one for the global `std`, one per `local`, per
 * function call (its parameters), per comprehension `for`, and per object body (its locals; also what carries
 * `self`). Field names and comprehension sources are outside the object they build.
 */
import type { Binding, CompSpec, Node } from './ast.js';
import { JsonnetError } from './errors.js';

interface Scope {
  names: readonly string[];
  parent: Scope | null;
}

export const GLOBAL_NAMES = ['std'] as const;

export function resolve(root: Node): Node {
  walk(root, { names: GLOBAL_NAMES, parent: null }, false);
  return root;
}

function fail(message: string, node: Node): never {
  throw new JsonnetError('static', message, node);
}

function walk(node: Node, scope: Scope, inObject: boolean): void {
  switch (node.kind) {
    case 'literal':
    case 'import':
      return;
    case 'var': {
      let depth = 0;
      for (let s: Scope | null = scope; s; s = s.parent, depth++) {
        const slot = s.names.indexOf(node.name);
        if (slot >= 0) {
          node.depth = depth;
          node.slot = slot;
          return;
        }
      }
      return fail(`Unknown variable: ${node.name}`, node);
    }
    case 'self':
      if (!inObject) fail("Can't use self outside of an object.", node);
      return;
    case 'dollar':
      if (!inObject) fail('No top-level object found.', node);
      return;
    case 'superIndex':
      if (!inObject) fail("Can't use super outside of an object.", node);
      return walk(node.index, scope, inObject);
    case 'inSuper':
      if (!inObject) fail("Can't use super outside of an object.", node);
      return walk(node.name, scope, inObject);
    case 'array':
      for (const element of node.elements) walk(element, scope, inObject);
      return;
    case 'arrayComp': {
      const inner = walkSpecs(node.specs, scope, inObject);
      return walk(node.body, inner, inObject);
    }
    case 'object': {
      for (const field of node.fields) walk(field.name, scope, inObject);
      const body = localsScope(node.locals, scope);
      for (const bind of node.locals) walk(bind.body, body, true);
      for (const field of node.fields) walk(field.body, body, true);
      for (const assert of node.asserts) {
        walk(assert.condition, body, true);
        if (assert.message) walk(assert.message, body, true);
      }
      return;
    }
    case 'objectComp': {
      const inner = walkSpecs(node.specs, scope, inObject);
      walk(node.field.name, inner, inObject);
      const body = localsScope(node.locals, inner);
      for (const bind of node.locals) walk(bind.body, body, true);
      return walk(node.field.body, body, true);
    }
    case 'local': {
      const inner = localsScope(node.binds, scope);
      for (const bind of node.binds) walk(bind.body, inner, inObject);
      return walk(node.body, inner, inObject);
    }
    case 'if':
      walk(node.condition, scope, inObject);
      walk(node.then, scope, inObject);
      if (node.else) walk(node.else, scope, inObject);
      return;
    case 'function': {
      const inner: Scope = { names: node.params.map((p) => p.name), parent: scope };
      for (const param of node.params) if (param.default) walk(param.default, inner, inObject);
      return walk(node.body, inner, inObject);
    }
    case 'apply':
      walk(node.target, scope, inObject);
      for (const arg of node.positional) walk(arg, scope, inObject);
      for (const arg of node.named) walk(arg.value, scope, inObject);
      return;
    case 'index':
      walk(node.target, scope, inObject);
      return walk(node.index, scope, inObject);
    case 'slice':
      walk(node.target, scope, inObject);
      for (const part of [node.begin, node.end, node.step]) if (part) walk(part, scope, inObject);
      return;
    case 'binary':
      walk(node.left, scope, inObject);
      return walk(node.right, scope, inObject);
    case 'unary':
      return walk(node.operand, scope, inObject);
    case 'error':
      return walk(node.message, scope, inObject);
    case 'assert':
      walk(node.condition, scope, inObject);
      if (node.message) walk(node.message, scope, inObject);
      return walk(node.rest, scope, inObject);
  }
}

function localsScope(binds: readonly Binding[], parent: Scope): Scope {
  return { names: binds.map((b) => b.name), parent };
}

/** A comprehension's clauses in order: each `for` opens a frame of one variable, each `if` is checked in the current one. */
function walkSpecs(specs: readonly CompSpec[], scope: Scope, inObject: boolean): Scope {
  let current = scope;
  for (const spec of specs) {
    if (spec.kind === 'for') {
      walk(spec.source, current, inObject);
      current = { names: [spec.name], parent: current };
    } else walk(spec.condition, current, inObject);
  }
  return current;
}
