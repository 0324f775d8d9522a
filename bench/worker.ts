/**
 * One benchmark worker: the functions' handlers, invoked in-process as the Lambda runtime would, under the
 * tracing configuration of this process's environment (see lib/workers.ts for why one process each).
 *
 * BENCH_VARIANT picks how whoami is traced:
 *   ours         our Middy stack as shipped (tracing per TRACING_PROVIDER; unset = off)
 *   powertools   our stack with tracing off, wrapped in Powertools' captureLambdaHandler Middy middleware
 *                (bench/peers/powertools.ts)
 *   otel-lambda  our stack with tracing off, patched at import time by @opentelemetry/instrumentation-aws-lambda
 *                (bench/peers/otel-lambda-init.ts)
 * The other functions are always ours as shipped.
 */
import bcryptjs from 'bcryptjs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { installStub, recordResponses, type RecordedResponse } from './lib/dynamodb-stub.js';
import { httpEvent, lambdaContext, xrayTraceHeader, type EventOptions, type LambdaHandler } from './lib/lambda.js';
import { PROTOCOL_PREFIX } from './lib/workers.js';

const variant = process.env.BENCH_VARIANT ?? 'ours';

/** Every function the benchmarks call, with its route (for the event). */
const FUNCTIONS = {
  'registration-init': { method: 'GET', path: '/self-service/registration/api' },
  'registration-submit': { method: 'POST', path: '/self-service/registration' },
  'login-init': { method: 'GET', path: '/self-service/login/api' },
  'login-submit': { method: 'POST', path: '/self-service/login' },
  whoami: { method: 'GET', path: '/sessions/whoami' },
  logout: { method: 'DELETE', path: '/self-service/logout/api' },
  'recovery-init': { method: 'GET', path: '/self-service/recovery/api' },
  'recovery-submit': { method: 'POST', path: '/self-service/recovery' },
} as const;
type FunctionName = keyof typeof FUNCTIONS;

const handlers = new Map<FunctionName, LambdaHandler>();

async function importHandler(specifier: string): Promise<LambdaHandler> {
  return ((await import(specifier)) as { handler: LambdaHandler }).handler;
}

async function peerWhoami(): Promise<LambdaHandler> {
  if (variant === 'powertools') return importHandler('./peers/powertools.js');
  // The instrumentation patches the module named by LAMBDA_TASK_ROOT + _HANDLER when it is imported; with an
  // ES module that takes OpenTelemetry's import-in-the-middle loader hook, registered before the import.
  await import('./peers/esm-hook.js');
  await import('./peers/otel-lambda-init.js');
  const handler = await importHandler('../functions/whoami.js');
  if (!(handler as { __wrapped?: boolean }).__wrapped) {
    throw new Error('instrumentation-aws-lambda did not patch functions/whoami.js (LAMBDA_TASK_ROOT/_HANDLER?)');
  }
  return handler;
}

async function handlerOf(name: FunctionName): Promise<LambdaHandler> {
  let handler = handlers.get(name);
  if (!handler) {
    handler = name === 'whoami' && variant !== 'ours' ? await peerWhoami() : await importHandler(`../functions/${name}.js`);
    handlers.set(name, handler);
  }
  return handler;
}

let twinHandler: LambdaHandler | undefined;
/**
 * The untraced twin of whoami (see `pairs`): loaded once, after the traced side has run once (so its configuration
 * is cached with tracing as this worker's environment says), with TRACING_PROVIDER unset for its own first
 * invocation. A traced invocation of it would make the difference meaningless, so that is checked.
 */
async function twinWhoami(traced: LambdaHandler, twin: string, token: string): Promise<LambdaHandler> {
  if (twinHandler) return twinHandler;
  const call = (handler: LambdaHandler) => {
    process.env._X_AMZN_TRACE_ID = xrayTraceHeader(1);
    return handler(httpEvent('GET', '/sessions/whoami', { headers: { 'x-session-token': token } }), lambdaContext('whoami'));
  };
  await call(traced);
  const provider = process.env.TRACING_PROVIDER;
  delete process.env.TRACING_PROVIDER;
  try {
    const handler = await importHandler(pathToFileURL(path.join(twin, 'functions', 'whoami.js')).href);
    if ((handler as { __wrapped?: boolean }).__wrapped) throw new Error('the untraced twin was patched by an instrumentation');
    const result = await call(handler);
    if (result.statusCode !== 200) throw new Error(`the untraced twin answered ${result.statusCode}`);
    if (result.headers?.traceresponse) throw new Error('the untraced twin traced its invocation');
    twinHandler = handler;
  } finally {
    if (provider !== undefined) process.env.TRACING_PROVIDER = provider;
  }
  return twinHandler;
}

interface Answer {
  status: number;
  json: any;
  traceId?: string;
  ms: number;
}

/** One invocation, timed from the call to the resolved response; everything else is prepared before. */
async function invoke(name: FunctionName, options: EventOptions = {}): Promise<Answer> {
  const handler = await handlerOf(name);
  const { method, path } = FUNCTIONS[name];
  const event = httpEvent(method, path, options);
  const context = lambdaContext(name);
  // Lambda sets this before each invocation (Powertools/X-Ray read it); set for every variant alike, sampled unless
  // the configuration measures what X-Ray does not sample.
  process.env._X_AMZN_TRACE_ID = xrayTraceHeader(process.env.BENCH_XRAY_SAMPLED === '0' ? 0 : 1);
  const started = performance.now();
  const result = await handler(event, context);
  const ms = performance.now() - started;
  const traceresponse = result.headers?.traceresponse;
  return {
    status: result.statusCode,
    json: result.body ? JSON.parse(result.body) : undefined,
    traceId: typeof traceresponse === 'string' ? traceresponse.split('-')[1] : undefined,
    ms,
  };
}

function expectStatus(answer: Answer, status: number, what: string): Answer {
  if (answer.status !== status) throw new Error(`${what} answered ${answer.status}, expected ${status}: ${JSON.stringify(answer.json)}`);
  return answer;
}

const BENCH_CALLS: Record<string, (args: { token: string }) => Promise<Answer>> = {
  whoami: async ({ token }) => expectStatus(await invoke('whoami', { headers: { 'x-session-token': token } }), 200, 'whoami'),
  'login-init': async () => expectStatus(await invoke('login-init'), 200, 'login init'),
};

/** `whoami?tokenize_as=<template>` as `whoami:<template>` (bench/tokenize.ts): the answer must carry its JWT. */
function tokenizedWhoami(handler: string): ((args: { token: string }) => Promise<Answer>) | undefined {
  const template = /^whoami:(.+)$/.exec(handler)?.[1];
  if (!template) return undefined;
  return async ({ token }) => {
    const answer = expectStatus(await invoke('whoami', { headers: { 'x-session-token': token }, query: { tokenize_as: template } }), 200, `whoami tokenize_as=${template}`);
    if (typeof answer.json?.tokenized !== 'string') throw new Error(`whoami tokenize_as=${template} answered no JWT`);
    return answer;
  };
}

/**
 * One whoami invocation timed for the tracer-cost benchmark: its X-Ray header set as Lambda sets it, then CPU (user +
 * system, every thread) and wall time in µs, one turn of the event loop included (work a tracer leaves for after the
 * response is counted in the invocation that left it).
 */
async function timedWhoami(
  handler: LambdaHandler,
  call: { event: ReturnType<typeof httpEvent>; context: ReturnType<typeof lambdaContext>; xray: string },
  out: { cpuUs: number[]; wallUs: number[] },
  what: string,
): Promise<void> {
  process.env._X_AMZN_TRACE_ID = call.xray;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const result = await handler(call.event, call.context);
  await settle();
  const wall = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  if (result.statusCode !== 200) throw new Error(`${what} answered ${result.statusCode}: ${result.body}`);
  out.cpuUs.push(cpu.user + cpu.system);
  out.wallUs.push(Math.round(wall * 10_000) / 10);
}

/** Lets I/O callbacks left by the previous invocation (a UDP send, a socket release) run before the next. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

async function register(email: string, password: string): Promise<{ token: string; traceIds: string[] }> {
  const flow = expectStatus(await invoke('registration-init'), 200, 'registration init');
  const done = expectStatus(
    await invoke('registration-submit', { query: { flow: flow.json.id }, body: { method: 'password', password, traits: { email } } }),
    200,
    'registration submit',
  );
  return { token: done.json.session_token, traceIds: [flow.traceId ?? '', done.traceId ?? ''] };
}

async function login(email: string, password: string): Promise<{ init: Answer; submit: Answer }> {
  const init = expectStatus(await invoke('login-init'), 200, 'login init');
  const submit = expectStatus(
    await invoke('login-submit', { query: { flow: init.json.id }, body: { method: 'password', identifier: email, password } }),
    200,
    'login submit',
  );
  return { init, submit };
}

interface NativeBcrypt {
  compare(password: string, hash: string): Promise<boolean>;
}

function nativeBcrypt(): { bcrypt?: NativeBcrypt; error?: string } {
  try {
    return { bcrypt: createRequire(import.meta.url)('bcrypt') as NativeBcrypt };
  } catch (error) {
    return { error: error instanceof Error ? error.message.split('\n')[0] : String(error) };
  }
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

const COMMANDS: Record<string, (args: any) => Promise<unknown>> = {
  /** Registers an identity; answers its session token. */
  register: async ({ email, password }) => ({ token: (await register(email, password)).token }),

  /** `n` invocations of one handler, back to back; answers each one's latency (ms). */
  bench: async ({ handler, n, token }: { handler: string; n: number; token: string }) => {
    const call = BENCH_CALLS[handler] ?? tokenizedWhoami(handler);
    if (!call) throw new Error(`no benchmark for ${handler}`);
    const samples: number[] = [];
    for (let i = 0; i < n; i++) {
      samples.push((await call({ token })).ms);
      await settle();
    }
    return samples;
  },

  /** One whoami against the real database, its DynamoDB answers recorded (for `stub-dynamodb` in other workers). */
  'record-whoami': async ({ token }: { token: string }) => recordResponses(() => BENCH_CALLS.whoami({ token })),

  /** From now on this process's DynamoDB client is answered in-process, from the recording (bench/lib/dynamodb-stub.ts). */
  'stub-dynamodb': async ({ recordings }: { recordings: RecordedResponse[] }) => {
    installStub(recordings);
    return true;
  },

  /**
   * `n` whoami invocations back to back; answers each one's CPU time (user + system of the whole process, every
   * thread) and wall time, in microseconds. Events, contexts and X-Ray headers are made before; each invocation is
   * followed by one turn of the event loop, so work a tracer leaves for after the response (a send's callback) is
   * counted in the invocation that left it.
   */
  cost: async ({ n, token }: { n: number; token: string }) => {
    const handler = await handlerOf('whoami');
    const sampled = process.env.BENCH_XRAY_SAMPLED === '0' ? 0 : 1;
    const calls = Array.from({ length: n }, () => ({
      event: httpEvent('GET', '/sessions/whoami', { headers: { 'x-session-token': token } }),
      context: lambdaContext('whoami'),
      xray: xrayTraceHeader(sampled),
    }));
    const out = { cpuUs: [] as number[], wallUs: [] as number[] };
    for (const call of calls) await timedWhoami(handler, call, out, 'whoami');
    return out;
  },

  /**
   * `n` pairs of whoami invocations in this process, the traced handler (this worker's variant) and its untraced
   * twin taking turns invocation by invocation, the order flipping every pair; answers each invocation's CPU and wall
   * time (µs) as `cost` does, per side. Load and the process's own state (where its JIT settled, its heap) are then
   * the same for both sides, and cancel in the difference.
   *
   * The twin is a second copy of the compiled functions and lib (dist/twin/, made by bench/tracer-cost.ts), so it is
   * a module graph of its own: its configuration is read at its own first invocation, made with TRACING_PROVIDER
   * unset, and is cached as tracing off. The OpenTelemetry API's globals stay those of the traced side, as in one
   * process they must: the twin's code asks the context manager for an active span, finds none and records nothing.
   */
  pairs: async ({ n, token, twin }: { n: number; token: string; twin: string }) => {
    const traced = await handlerOf('whoami');
    const untraced = await twinWhoami(traced, twin, token);
    const sampled = process.env.BENCH_XRAY_SAMPLED === '0' ? 0 : 1;
    const side = () => ({
      event: httpEvent('GET', '/sessions/whoami', { headers: { 'x-session-token': token } }),
      context: lambdaContext('whoami'),
      xray: xrayTraceHeader(sampled),
    });
    const calls = Array.from({ length: n }, () => ({ traced: side(), untraced: side() }));
    const out = { traced: { cpuUs: [] as number[], wallUs: [] as number[] }, untraced: { cpuUs: [] as number[], wallUs: [] as number[] } };
    const once = (which: 'traced' | 'untraced', call: ReturnType<typeof side>) => timedWhoami(which === 'traced' ? traced : untraced, call, out[which], `whoami (${which})`);
    for (let i = 0; i < n; i++) {
      const call = calls[i];
      if (i % 2) {
        await once('untraced', call.untraced);
        await once('traced', call.traced);
      } else {
        await once('traced', call.traced);
        await once('untraced', call.untraced);
      }
    }
    return out;
  },

  /**
   * Login submit at the configured bcrypt cost next to one bcrypt compare at the same cost, alternated so
   * both see the same machine. The login flow is created before each timed submit, outside the timing.
   */
  'login-floor': async ({ n, email, password }: { n: number; email: string; password: string }) => {
    const cost = Number(process.env.HASHERS_BCRYPT_COST);
    const hash = await bcryptjs.hash(password, cost);
    const native = nativeBcrypt();
    const samples = { login: [] as number[], bcryptjs: [] as number[], native: [] as number[], nativeError: native.error };
    const steps: Array<() => Promise<void>> = [
      async () => {
        samples.login.push((await login(email, password)).submit.ms);
      },
      async () => {
        samples.bcryptjs.push(await timed(() => bcryptjs.compare(password, hash)));
      },
      async () => {
        if (native.bcrypt) samples.native.push(await timed(() => native.bcrypt!.compare(password, hash)));
      },
    ];
    for (let i = 0; i < n; i++) {
      for (const step of i % 2 ? steps : [...steps].reverse()) await step();
    }
    return samples;
  },

  /**
   * Recovery's e-mail submit for an address with an account and one without, alternated, each on a fresh flow made
   * outside the timing: the answers must not tell them apart, nor may the time taken.
   */
  'recovery-timing': async ({ n, email }: { n: number; email: string }) => {
    const samples = { known: [] as number[], unknown: [] as number[] };
    const submit = async (address: string) => {
      const flow = expectStatus(await invoke('recovery-init'), 200, 'recovery init');
      return expectStatus(await invoke('recovery-submit', { query: { flow: flow.json.id }, body: { method: 'code', email: address } }), 200, 'recovery submit').ms;
    };
    for (let i = 0; i < n; i++) {
      const order = i % 2 ? (['known', 'unknown'] as const) : (['unknown', 'known'] as const);
      for (const kind of order) {
        samples[kind].push(await submit(kind === 'known' ? email : `nobody-${randomUUID().slice(0, 8)}@example.com`));
        await settle();
      }
    }
    return samples;
  },

  /** One of each endpoint, traced; answers each one's trace id (the spans are counted by the receiver). */
  'round-trips': async ({ password }: { password: string }) => {
    const email = `bench-trips-${randomUUID().slice(0, 8)}@example.com`;
    const registration = await register(email, password);
    const { init, submit } = await login(email, password);
    const failedLogin = async (identifier: string, label: string) => {
      const flow = expectStatus(await invoke('login-init'), 200, 'login init');
      const body = { method: 'password', identifier, password: `${password} but wrong` };
      return expectStatus(await invoke('login-submit', { query: { flow: flow.json.id }, body }), 400, label).traceId ?? '';
    };
    const wrongPassword = await failedLogin(email, 'login submit (wrong password)');
    const unknownIdentifier = await failedLogin(`nobody-${randomUUID().slice(0, 8)}@example.com`, 'login submit (unknown identifier)');
    const whoami = expectStatus(await invoke('whoami', { headers: { 'x-session-token': submit.json.session_token } }), 200, 'whoami');
    const logout = expectStatus(await invoke('logout', { body: { session_token: submit.json.session_token } }), 204, 'logout');
    return {
      'registration init': registration.traceIds[0],
      'registration submit': registration.traceIds[1],
      'login init': init.traceId,
      'login submit': submit.traceId,
      'login submit (wrong password)': wrongPassword,
      'login submit (unknown identifier)': unknownIdentifier,
      whoami: whoami.traceId,
      logout: logout.traceId,
    };
  },
};

const answer = (message: Record<string, unknown>) => process.stdout.write(`${PROTOCOL_PREFIX}${JSON.stringify(message)}\n`);

// Commands run one at a time, in order: a benchmark never overlaps another in the same process.
let queue = Promise.resolve();
const commands = createInterface({ input: process.stdin });
// stdin closes when the parent stops this worker or dies: never outlive it (sockets may keep the loop alive).
commands.on('close', () => void queue.then(() => process.exit(0)));
commands.on('line', (line) => {
  const { id, cmd, ...args } = JSON.parse(line) as { id: number; cmd: string };
  queue = queue.then(async () => {
    try {
      const command = COMMANDS[cmd];
      if (!command) throw new Error(`unknown command ${cmd}`);
      answer({ id, ok: true, result: await command(args) });
    } catch (error) {
      answer({ id, ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    }
  });
});
