/**
 * `npm run jsonnet -- <file> --ext-code claims=<json>`: evaluates a Jsonnet file with lib/jsonnet, as the functions
 * will, and prints the result as the jsonnet command does (3-space indented JSON), so an operator can try a claims
 * mapper or a web hook body before deploying it. Flags as the jsonnet command names them: --ext-str / -V and
 * --ext-code for std.extVar, --tla-str / -A and --tla-code for a program that is a function (a web hook body's
 * `ctx`), and -e / --exec to evaluate the argument itself. A value of `@file` reads the file (`--ext-code
 * claims=@claims.json`). Exit status 1 and the error on stderr when evaluation fails.
 */
import { readFileSync } from 'node:fs';
import { evaluate, formatJson, JsonnetError, type EvaluateOptions } from '../lib/jsonnet/index.js';

const USAGE = `usage: npm run jsonnet -- <file> [options]
  -e, --exec              the argument is the program itself, not a file
  -V, --ext-str name=val  std.extVar(name) is the string val
      --ext-code name=val std.extVar(name) is the value of the Jsonnet (or JSON) val
  -A, --tla-str name=val  top-level argument name is the string val
      --tla-code name=val top-level argument name is the value of the Jsonnet val
      --max-stack n       deepest nesting of calls (default 500)
      --timeout-ms n      time budget (default 1000)
  a val of @path reads the file at path`;

function parseArguments(argv: string[]): { source: string; options: EvaluateOptions } {
  const options: Required<Pick<EvaluateOptions, 'extVars' | 'extCode' | 'tlaVars' | 'tlaCode'>> & EvaluateOptions = {
    extVars: {},
    extCode: {},
    tlaVars: {},
    tlaCode: {},
  };
  let input: string | undefined;
  let exec = false;
  const binding = (flag: string, text: string | undefined): [string, string] => {
    const at = text?.indexOf('=') ?? -1;
    if (!text || at <= 0) throw new Error(`${flag} expects name=value, got ${text ?? 'nothing'}`);
    const value = text.slice(at + 1);
    return [text.slice(0, at), value.startsWith('@') ? readFileSync(value.slice(1), 'utf8') : value];
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const target = { '-V': options.extVars, '--ext-str': options.extVars, '--ext-code': options.extCode, '-A': options.tlaVars, '--tla-str': options.tlaVars, '--tla-code': options.tlaCode }[arg];
    if (target) {
      const [name, value] = binding(arg, argv[++i]);
      target[name] = value;
    } else if (arg === '-e' || arg === '--exec') exec = true;
    else if (arg === '--max-stack') options.maxStack = Number(argv[++i]);
    else if (arg === '--timeout-ms') options.timeoutMs = Number(argv[++i]);
    else if (arg === '-h' || arg === '--help') {
      console.log(USAGE);
      process.exit(0);
    } else if (arg.startsWith('-') && arg !== '-') throw new Error(`unknown option ${arg}\n${USAGE}`);
    else if (input === undefined) input = arg;
    else throw new Error(`one program only (got ${input} and ${arg})\n${USAGE}`);
  }
  if (input === undefined) throw new Error(USAGE);
  const source = exec ? input : readFileSync(input === '-' ? 0 : input, 'utf8');
  return { source, options };
}

try {
  const { source, options } = parseArguments(process.argv.slice(2));
  process.stdout.write(`${formatJson(evaluate(source, options))}\n`);
} catch (error) {
  console.error(error instanceof JsonnetError ? error.message : (error as Error).message);
  process.exit(1);
}
