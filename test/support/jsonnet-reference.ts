/**
 * The reference side of lib/jsonnet's differential tests: Debian's `jsonnet` (the C++ interpreter, 0.18), found at
 * JSONNET_PATH or on PATH (scripts/install-jsonnet.sh installs it; CI runs that). Missing, the tests fail saying
 * so: a differential test that silently skips proves nothing.
 *
 * One reference process costs about 70 ms (it parses its standard library at start), so programs that succeed are
 * evaluated many at a time, as the elements of one array: `[(p1), (p2), ...]`. If such a batch fails, it is split
 * in halves until the programs that fail are found alone; those, and programs expected to fail, run one per process,
 * a few processes at a time.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { evaluate, JsonnetError, type EvaluateOptions } from '../../lib/jsonnet/index.js';

/** A result, or a failure's first line (ours also say whether the failure was a JsonnetError, as it must be). */
export type Outcome = { ok: true; value: unknown } | { ok: false; error: string; jsonnetError?: boolean };

export interface Invocation {
  program: string;
  extStr?: Record<string, string>;
  extCode?: Record<string, string>;
  tlaStr?: Record<string, string>;
  tlaCode?: Record<string, string>;
}

let binary: string | undefined;

/** JSONNET_PATH, else `jsonnet` on PATH; a clear error when there is neither. */
export function referenceBinary(): string {
  if (binary) return binary;
  const configured = process.env.JSONNET_PATH;
  if (configured && existsSync(configured)) return (binary = configured);
  try {
    binary = execFileSync('sh', ['-c', 'command -v jsonnet'], { encoding: 'utf8' }).trim();
  } catch {
    // not on PATH
  }
  if (!binary) {
    throw new Error(
      'The Jsonnet reference interpreter was not found: run scripts/install-jsonnet.sh (Debian package "jsonnet"), or set JSONNET_PATH. ' +
        'The differential tests of lib/jsonnet compare every result with it and cannot run without it.',
    );
  }
  return binary;
}

function cliArguments(invocation: Invocation): string[] {
  const args: string[] = [];
  const add = (flag: string, values: Record<string, string> | undefined) => {
    for (const [name, value] of Object.entries(values ?? {})) args.push(flag, `${name}=${value}`);
  };
  add('--ext-str', invocation.extStr);
  add('--ext-code', invocation.extCode);
  add('--tla-str', invocation.tlaStr);
  add('--tla-code', invocation.tlaCode);
  return [...args, '-'];
}

/** One reference process: the program on stdin, the value parsed from its JSON output. */
export function runReference(invocation: Invocation): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(referenceBinary(), cliArguments(invocation), { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve({ ok: true, value: JSON.parse(Buffer.concat(out).toString('utf8')) });
      else resolve({ ok: false, error: Buffer.concat(err).toString('utf8').split('\n')[0] });
    });
    child.stdin.end(invocation.program);
  });
}

/** Our evaluator on the same invocation. */
export function runOurs(invocation: Invocation, options: EvaluateOptions = {}): Outcome {
  try {
    return {
      ok: true,
      value: evaluate(invocation.program, {
        extVars: invocation.extStr,
        extCode: invocation.extCode,
        tlaVars: invocation.tlaStr,
        tlaCode: invocation.tlaCode,
        ...options,
      }),
    };
  } catch (error) {
    return { ok: false, error: (error as Error).message, jsonnetError: error instanceof JsonnetError };
  }
}

/** Run tasks with at most `concurrency` in flight, results in order. */
export async function pooled<T>(tasks: (() => Promise<T>)[], concurrency = 3): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, worker));
  return results;
}

/** Statistics of the last batched runs, for the tests to report how the work was split. */
export const referenceStats = { processes: 0, bisections: 0 };

/**
 * The reference's outcome for each program (no ext vars or TLAs), in batches of `batchSize` evaluated by one process
 * each; a failed batch is split until its failing programs are alone.
 */
export async function runReferenceBatched(programs: string[], batchSize = 400, concurrency = 3): Promise<Outcome[]> {
  const evaluateBatch = async (batch: string[]): Promise<Outcome[]> => {
    referenceStats.processes++;
    if (batch.length === 1) return [await runReference({ program: batch[0] })];
    const outcome = await runReference({ program: `[\n${batch.map((p) => `(${p}\n)`).join(',\n')}\n]` });
    if (outcome.ok && Array.isArray(outcome.value) && outcome.value.length === batch.length) {
      return outcome.value.map((value) => ({ ok: true, value }));
    }
    referenceStats.bisections++;
    const half = Math.ceil(batch.length / 2);
    const [left, right] = await Promise.all([evaluateBatch(batch.slice(0, half)), evaluateBatch(batch.slice(half))]);
    return [...left, ...right];
  };
  const batches: string[][] = [];
  for (let i = 0; i < programs.length; i += batchSize) batches.push(programs.slice(i, i + batchSize));
  const results = await pooled(batches.map((batch) => () => evaluateBatch(batch)), concurrency);
  return results.flat();
}

/** Both succeeded with equal values (as JSON: -0 and 0 differ, key order does not), or both failed. */
export function agree(ours: Outcome, reference: Outcome): boolean {
  if (ours.ok !== reference.ok) return false;
  return !ours.ok || sameJson(ours.value, (reference as { value: unknown }).value);
}

export function sameJson(a: unknown, b: unknown): boolean {
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return Object.is(a, b);
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((x, i) => sameJson(x, (b as unknown[])[i]));
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

export function describeOutcome(outcome: Outcome): string {
  return outcome.ok ? JSON.stringify(outcome.value) : `error: ${outcome.error}`;
}
