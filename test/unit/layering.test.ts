/**
 * The layout the README and ARCHITECTURE.md describe, checked on the sources: no folder of lib/ depends on a folder
 * that depends back on it, no file imports a file that imports it back (however far round), DynamoDB is spoken only
 * in lib/store/dynamodb, the OpenTelemetry SDK is imported only in lib/tracing.
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
    /** The project files it imports (relative specifiers resolved to their .ts sources). */
    fileImports: statements
      .map((m) => m[2] ?? m[3])
      .filter((s) => s.startsWith('.'))
      .map((s) => path.resolve(path.dirname(file), s.replace(/\.js$/, '.ts'))),
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

/** The cycles a depth-first walk finds (one per edge back into the walk's own path; linear in the graph's size). */
function cycles(graph: Map<string, Set<string>>): string[] {
  const found = new Set<string>();
  const state = new Map<string, 'open' | 'done'>();
  const trail: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'open');
    trail.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') found.add([...trail.slice(trail.indexOf(next)), next].join(' -> '));
      else if (!state.has(next)) visit(next);
    }
    trail.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return [...found];
}

/** file -> the files of lib/ it imports */
function fileGraph(): Map<string, Set<string>> {
  return new Map(files.map(({ file, fileImports }) => [path.relative(PROJECT_ROOT, file), new Set(fileImports.map((f) => path.relative(PROJECT_ROOT, f)))]));
}

describe('the layout of lib/', () => {
  it('has no file-level import cycles (import type included: a cycle of types is still a knot to untie)', () => {
    const graph = fileGraph();
    expect(graph.size).toBeGreaterThan(50);
    expect(cycles(graph)).toEqual([]);
  });

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
    for (const leaf of ['lib/text', 'lib/util', 'lib/log', 'lib/jsonnet']) expect([leaf, [...(graph.get(leaf) ?? [])]]).toEqual([leaf, []]);
  });

  it('keeps the flows blind to methods: lib/flows imports no strategy, no hook and no store; a strategy no other strategy', () => {
    const graph = folderGraph();
    const flows = [...(graph.get('lib/flows') ?? [])];
    expect(flows.filter((f) => /^lib\/(strategies|hooks|store)/.test(f))).toEqual([]);
    for (const [folder, targets] of graph) {
      if (!folder.startsWith('lib/strategies/')) continue;
      expect([folder, [...targets].filter((t) => t.startsWith('lib/strategies/'))]).toEqual([folder, []]);
    }
  });

  it('reaches a store implementation only from the composition root (lib/app.ts) and the store itself', () => {
    for (const { file, folder, imports } of files) {
      const where = path.relative(PROJECT_ROOT, file);
      if (where === 'lib/app.ts' || folder.startsWith('lib/store')) continue;
      const reached = imports.filter((s) => s.startsWith('.')).map((s) => path.relative(PROJECT_ROOT, path.resolve(path.dirname(file), s)));
      expect([where, reached.filter((r) => /^lib\/store\/(dynamodb|memory)\//.test(r))]).toEqual([where, []]);
    }
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
