/**
 * `npm run import -- identities.jsonl`: imports identities, one Kratos create-identity body (`POST /admin/identities`'s)
 * a line, through `PATCH /admin/identities` (Kratos's batchPatchIdentities) in batches, against a running service.
 *
 * - Resumable: after every batch answered, `<file>.checkpoint.json` records how many lines are done (a batch
 *   done only once every batch before it is). Run the command again after a stop, a crash or a network failure and it
 *   goes on from there; a batch it sends twice finds the identities the first attempt wrote as taken (409), and an
 *   identity that exists already counts as done ("existing"), not as an error.
 * - Errors of single identities (a bad line, invalid traits, an unsupported hash) are written, with their line number,
 *   to `<file>.errors.jsonl`; the import goes on. A whole batch refused (a 5xx, a timeout, the network) is tried again
 *   with a backoff; after that many failures the import stops, its checkpoint kept.
 * - Batches are cut at 1,000 lines, at 200 clear-text passwords (Kratos's bounds) and at 4 MiB of JSON.
 */
import { createReadStream, existsSync, readFileSync, renameSync, writeFileSync, appendFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface ImportOptions {
  file: string;
  /** The service's base URL (`http://127.0.0.1:4433`). */
  baseUrl: string;
  adminKey: string;
  /** Patches a batch (at most 1,000). */
  batchSize?: number;
  /** Batches in flight at once. */
  concurrency?: number;
  checkpointFile?: string;
  errorsFile?: string;
  /** How often a batch is tried before the import stops. */
  attempts?: number;
  /** Progress lines (console.log by default; silent: () => {}). */
  progress?: (line: string) => void;
}

export interface ImportReport {
  /** Lines done (this run and earlier ones), blank ones included. */
  linesDone: number;
  created: number;
  existing: number;
  failed: number;
  /** Identities answered in this run, per second of it. */
  ratePerSecond: number;
  seconds: number;
}

interface Checkpoint {
  file: string;
  linesDone: number;
  created: number;
  existing: number;
  failed: number;
}

const MAX_BATCH = 1000;
const MAX_CLEAR_PASSWORDS = 200;
const MAX_BATCH_BYTES = 4 * 1024 * 1024;

interface Line {
  /** 1-based line number in the file. */
  number: number;
  body: unknown;
  bytes: number;
}

interface Batch {
  /** Lines this batch completes (the first and last line number it covers, blank and bad lines included). */
  from: number;
  to: number;
  lines: Line[];
  /** Lines among them that are not JSON: their errors, recorded with the batch. */
  bad: { number: number; reason: string }[];
}

/** What a batch came to, counted once the checkpoint moves over it (so that a resumed run counts nothing twice). */
interface Outcome {
  batch: Batch;
  created: number;
  existing: number;
  errors: { line: number; error: unknown }[];
}

const hasClearPassword = (body: unknown) => typeof (body as { credentials?: { password?: { config?: { password?: unknown } } } })?.credentials?.password?.config?.password === 'string';

function readCheckpoint(file: string, checkpointFile: string): Checkpoint {
  if (!existsSync(checkpointFile)) return { file, linesDone: 0, created: 0, existing: 0, failed: 0 };
  const saved = JSON.parse(readFileSync(checkpointFile, 'utf8')) as Checkpoint;
  if (saved.file !== file) throw new Error(`${checkpointFile} belongs to ${saved.file}, not ${file}: remove it or name another with --checkpoint`);
  return saved;
}

/** Written whole or not at all (a crash mid-write must not lose the count). */
function writeCheckpoint(checkpointFile: string, checkpoint: Checkpoint): void {
  writeFileSync(`${checkpointFile}.tmp`, `${JSON.stringify(checkpoint, null, 2)}\n`);
  renameSync(`${checkpointFile}.tmp`, checkpointFile);
}

async function countLines(file: string): Promise<number> {
  let count = 0;
  let last = 10;
  const stream = createReadStream(file);
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) count++;
    if (chunk.length) last = chunk[chunk.length - 1];
  }
  return last === 10 ? count : count + 1;
}

/** The file's batches after `skip` lines; a line that is not JSON is reported and done (it cannot get better). */
async function* batchesOf(file: string, skip: number, size: number): AsyncGenerator<Batch> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let number = 0;
  let batch: Batch | undefined;
  let clear = 0;
  let bytes = 0;
  for await (const text of lines) {
    number++;
    if (number <= skip) continue;
    batch ??= { from: number, to: number, lines: [], bad: [] };
    if (text.trim() !== '') {
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch (error) {
        batch.bad.push({ number, reason: `not JSON: ${(error as Error).message}` });
      }
      if (body !== undefined) {
        const lineBytes = Buffer.byteLength(text);
        const full = batch.lines.length >= size || (hasClearPassword(body) && clear >= MAX_CLEAR_PASSWORDS) || bytes + lineBytes > MAX_BATCH_BYTES;
        if (full && batch.lines.length > 0) {
          batch.to = number - 1;
          yield batch;
          batch = { from: number, to: number, lines: [], bad: [] };
          clear = 0;
          bytes = 0;
        }
        batch.lines.push({ number, body, bytes: lineBytes });
        if (hasClearPassword(body)) clear++;
        bytes += lineBytes;
      }
    }
    batch.to = number;
  }
  if (batch) yield batch;
}

interface PatchResult {
  action: 'create' | 'error';
  identity?: string;
  error?: { code?: number; reason?: string; message?: string };
}

async function send(options: Required<Pick<ImportOptions, 'baseUrl' | 'adminKey' | 'attempts'>>, batch: Batch): Promise<PatchResult[]> {
  const body = JSON.stringify({ identities: batch.lines.map((line) => ({ create: line.body })) });
  for (let attempt = 1; ; attempt++) {
    let problem: string;
    try {
      const res = await fetch(`${options.baseUrl}/admin/identities`, {
        method: 'PATCH',
        headers: { Authorization: `Bearer ${options.adminKey}`, 'Content-Type': 'application/json' },
        body,
        signal: AbortSignal.timeout(60_000),
      });
      const text = await res.text();
      if (res.ok) return (JSON.parse(text) as { identities: PatchResult[] }).identities;
      problem = `HTTP ${res.status}: ${text.slice(0, 300)}`;
      // The service refused the call itself (the key, the envelope): trying again changes nothing.
      if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) throw new Error(`lines ${batch.from}-${batch.to} refused: ${problem}`);
    } catch (error) {
      if (error instanceof Error && error.message.includes('refused:')) throw error;
      const cause = (error as { cause?: { code?: string } } | undefined)?.cause?.code;
      problem = error instanceof Error ? `${error.name}: ${error.message}${cause ? ` (${cause})` : ''}` : String(error);
    }
    if (attempt >= options.attempts) throw new Error(`lines ${batch.from}-${batch.to} failed ${attempt} times, the last: ${problem}`);
    await new Promise((resolve) => setTimeout(resolve, Math.min(30_000, 500 * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2)));
  }
}

export async function importIdentities(options: ImportOptions): Promise<ImportReport> {
  const file = path.resolve(options.file);
  const checkpointFile = options.checkpointFile ?? `${file}.checkpoint.json`;
  const errorsFile = options.errorsFile ?? `${file}.errors.jsonl`;
  const progress = options.progress ?? ((line: string) => console.log(line));
  const batchSize = Math.min(MAX_BATCH, Math.max(1, options.batchSize ?? MAX_BATCH));
  const concurrency = Math.max(1, options.concurrency ?? 2);
  const sender = { baseUrl: options.baseUrl.replace(/\/+$/, ''), adminKey: options.adminKey, attempts: options.attempts ?? 6 };

  const checkpoint = readCheckpoint(file, checkpointFile);
  const total = await countLines(file);
  if (checkpoint.linesDone >= total) {
    progress(`${file}: all ${total} lines done already (${checkpoint.created} created, ${checkpoint.existing} existing, ${checkpoint.failed} failed; ${checkpointFile})`);
    return { linesDone: checkpoint.linesDone, created: checkpoint.created, existing: checkpoint.existing, failed: checkpoint.failed, ratePerSecond: 0, seconds: 0 };
  }
  if (checkpoint.linesDone > 0) progress(`resuming after line ${checkpoint.linesDone} of ${total} (${checkpointFile})`);

  const started = performance.now();
  let answered = 0;
  // Batches answered out of order wait here until every one before them is: the checkpoint (and the counts) only move
  // over done lines.
  const finished = new Map<number, Outcome>();
  const advance = () => {
    let next = finished.get(checkpoint.linesDone + 1);
    while (next) {
      finished.delete(next.batch.from);
      checkpoint.linesDone = next.batch.to;
      checkpoint.created += next.created;
      checkpoint.existing += next.existing;
      checkpoint.failed += next.errors.length;
      if (next.errors.length) appendFileSync(errorsFile, next.errors.map((e) => `${JSON.stringify(e)}\n`).join(''));
      next = finished.get(checkpoint.linesDone + 1);
    }
    writeCheckpoint(checkpointFile, checkpoint);
  };
  let lastReport = 0;
  const report = (force = false) => {
    const now = performance.now();
    if (!force && now - lastReport < 1000) return;
    lastReport = now;
    const seconds = (now - started) / 1000;
    progress(
      `${checkpoint.linesDone}/${total} lines (${((checkpoint.linesDone / total) * 100).toFixed(1)} %): ${checkpoint.created} created, ${checkpoint.existing} existing, ${checkpoint.failed} failed; ${(answered / Math.max(seconds, 0.001)).toFixed(0)} identities/s`,
    );
  };

  const inFlight = new Set<Promise<void>>();
  let stopped: unknown;
  for await (const batch of batchesOf(file, checkpoint.linesDone, batchSize)) {
    if (stopped !== undefined) break;
    const work = (async () => {
      const results = batch.lines.length ? await send(sender, batch) : [];
      const outcome: Outcome = { batch, created: 0, existing: 0, errors: batch.bad.map((bad) => ({ line: bad.number, error: { code: 400, reason: bad.reason } })) };
      results.forEach((result, i) => {
        if (result.action === 'create') outcome.created++;
        else if (result.error?.code === 409) outcome.existing++;
        else outcome.errors.push({ line: batch.lines[i].number, error: result.error });
      });
      answered += results.length;
      finished.set(batch.from, outcome);
      advance();
      report();
    })().catch((error: unknown) => {
      stopped ??= error;
    });
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
    if (inFlight.size >= concurrency) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  // Lines read but never sent in a batch (none, unless stopped) stay undone.
  writeCheckpoint(checkpointFile, checkpoint);
  report(true);
  if (stopped !== undefined) throw stopped;
  const seconds = (performance.now() - started) / 1000;
  return { linesDone: checkpoint.linesDone, created: checkpoint.created, existing: checkpoint.existing, failed: checkpoint.failed, ratePerSecond: answered / seconds, seconds };
}

function usage(): never {
  console.error(`usage: npm run import -- <file.jsonl> [--url <base URL>] [--batch-size n] [--concurrency n] [--checkpoint <file>]
  one Kratos create-identity body a line; ADMIN_API_KEY must hold the service's admin key.
  --url          the service (default http://127.0.0.1:$PORT, PORT 4433 unless set)
  --batch-size   patches a call, at most 1000 (default 1000)
  --concurrency  calls in flight (default 2)
  --checkpoint   where progress is kept (default <file>.checkpoint.json); errors go to <file>.errors.jsonl`);
  process.exit(2);
}

async function main(argv: string[], cwd: string): Promise<void> {
  let file: string | undefined;
  const options: Partial<ImportOptions> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => argv[++i] ?? usage();
    if (arg === '--url') options.baseUrl = value();
    else if (arg === '--batch-size') options.batchSize = Number(value());
    else if (arg === '--concurrency') options.concurrency = Number(value());
    else if (arg === '--checkpoint') options.checkpointFile = path.resolve(cwd, value());
    else if (arg.startsWith('--') || file) usage();
    else file = path.resolve(cwd, arg);
  }
  if (!file) usage();
  const adminKey = process.env.ADMIN_API_KEY;
  if (!adminKey) {
    console.error('ADMIN_API_KEY is not set: the admin key of the service to import into (npm start prints the one it generated)');
    process.exit(2);
  }
  const report = await importIdentities({ file, baseUrl: options.baseUrl ?? `http://127.0.0.1:${process.env.PORT ?? 4433}`, adminKey, ...options });
  console.log(`done: ${report.created} created, ${report.existing} existing, ${report.failed} failed${report.failed ? ` (see ${path.resolve(file)}.errors.jsonl)` : ''}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // npm runs scripts from the project root; a relative file name is the caller's (INIT_CWD).
  main(process.argv.slice(2), process.env.INIT_CWD ?? process.cwd()).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    console.error('the checkpoint is kept: run the same command again to go on');
    process.exit(1);
  });
}
