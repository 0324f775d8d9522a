/**
 * lib/jsonnet against the reference interpreter on the hand-written corpus (corpus.ts): the same JSON, or both fail.
 * Programs meant to fail must fail in both, and ours with a JsonnetError.
 */
import { jest } from '@jest/globals';
import { agree, describeOutcome, pooled, runOurs, runReference, runReferenceBatched, type Outcome } from '../../support/jsonnet-reference.js';
import { CORPUS, type CorpusCase } from './corpus.js';

const reference = new Map<CorpusCase, Outcome>();

// std.trace writes to stderr; the corpus calls it once.
beforeAll(() => void jest.spyOn(console, 'error').mockImplementation(() => {}));
afterAll(() => jest.restoreAllMocks());

beforeAll(async () => {
  const started = performance.now();
  const alone = (c: CorpusCase) => c.fails || c.extStr || c.extCode || c.tlaStr || c.tlaCode;
  const batched = CORPUS.filter((c) => !alone(c));
  const outcomes = await runReferenceBatched(batched.map((c) => c.program), 200);
  batched.forEach((c, i) => reference.set(c, outcomes[i]));
  const single = CORPUS.filter(alone);
  const results = await pooled(single.map((c) => () => runReference(c)), 3);
  single.forEach((c, i) => reference.set(c, results[i]));
  process.stdout.write(`reference: ${batched.length} programs batched, ${single.length} alone, ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
}, 120_000);

describe('lib/jsonnet agrees with the reference interpreter (jsonnet 0.18) on the corpus', () => {
  it('covers the language, the std library, errors and Kratos mappers', () => {
    expect(CORPUS.length).toBeGreaterThan(250);
    expect(new Set(CORPUS.map((c) => c.name)).size).toBe(CORPUS.length);
  });

  it.each(CORPUS.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const ours = runOurs(c);
    const theirs = reference.get(c)!;
    const report = `program:\n${c.program}\nours:      ${describeOutcome(ours)}\nreference: ${describeOutcome(theirs)}`;
    expect([agree(ours, theirs), report]).toEqual([true, report]);
    if (c.fails) {
      expect([theirs.ok, ours.ok, report]).toEqual([false, false, report]);
      expect(ours.ok || ours.jsonnetError).toBe(true);
    }
  });
});
