/**
 * The layout the README describes, checked on the sources: no folder of lib/ depends on a folder that depends
 * back on it, DynamoDB is spoken only in lib/store/dynamodb, the OpenTelemetry SDK is imported only in lib/tracing.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../scripts/local-stack.js';

const LIB = path.join(PROJECT_ROOT, 'lib');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    return statSync(full).isDirectory() ? sources(full) : full.endsWith('.ts') ? [full] : [];
  });
}

const files = sources(LIB).map((file) => {
  const statements = [...readFileSync(file, 'utf8').matchAll(/(?:^|\n)\s*((?:import|export)[^'"]*?)from\s+'([^']+)'|import\('([^']+)'\)/g)];
  return {
    file,
    folder: path.relative(PROJECT_ROOT, path.dirname(file)),
    /** Every module named, type-only imports included (they are dependencies of the folder too). */
    imports: statements.map((m) => m[2] ?? m[3]),
    /** Modules loaded at run time (`import type` erased). */
    runtimeImports: statements.filter((m) => !/^import\s+type\b/.test(m[1] ?? '')).map((m) => m[2] ?? m[3]),
  };
});

/** folder -> the lib folders its files import from */
function folderGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const { file, folder, imports } of files) {
    for (const spec of imports.filter((s) => s.startsWith('.'))) {
      const target = path.relative(PROJECT_ROOT, path.dirname(path.resolve(path.dirname(file), spec)));
      if (target === folder || !target.startsWith('lib')) continue;
      if (!graph.has(folder)) graph.set(folder, new Set());
      graph.get(folder)!.add(target);
    }
  }
  return graph;
}

function cycles(graph: Map<string, Set<string>>): string[] {
  const found: string[] = [];
  const visit = (node: string, trail: string[]) => {
    for (const next of graph.get(node) ?? []) {
      if (trail.includes(next)) found.push([...trail.slice(trail.indexOf(next)), next].join(' -> '));
      else visit(next, [...trail, next]);
    }
  };
  for (const node of graph.keys()) visit(node, [node]);
  return [...new Set(found)];
}

describe('the layout of lib/', () => {
  it('has no folder cycles', () => {
    const graph = folderGraph();
    expect(graph.size).toBeGreaterThan(5);
    expect(cycles(graph)).toEqual([]);
  });

  it('finds a cycle when there is one (the check itself works)', () => {
    expect(cycles(new Map([['a', new Set(['b'])], ['b', new Set(['a'])]]))).toContain('a -> b -> a');
  });

  it('keeps the leaf folders leaves: text, util, log and jsonnet import nothing of the project', () => {
    const graph = folderGraph();
    for (const leaf of ['lib/text', 'lib/util', 'lib/log', 'lib/store', 'lib/jsonnet']) expect([leaf, [...(graph.get(leaf) ?? [])]]).toEqual([leaf, []]);
  });

  it('speaks DynamoDB only in lib/store/dynamodb and imports the OpenTelemetry SDK only in lib/tracing', () => {
    for (const { file, folder, runtimeImports: imports } of files) {
      const where = path.relative(PROJECT_ROOT, file);
      if (imports.some((s) => s === '@aws-sdk/client-dynamodb')) expect([where, folder]).toEqual([where, 'lib/store/dynamodb']);
      if (imports.some((s) => /^@opentelemetry\/(sdk-|exporter-|resources|context-|propagator-|sampler-|core)/.test(s))) {
        expect([where, folder]).toEqual([where, 'lib/tracing']);
      }
    }
  });
});
