/**
 * `npm start` as people and process managers use it: it starts DynamoDB Local and serverless-offline, says where,
 * keeps data in a relative folder across restarts, and leaves no process behind when it or npm is sent SIGTERM;
 * it refuses a bad configuration value or a busy port before starting anything; without Java it says what to do.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../scripts/dynamodb-local.js';
import { PROJECT_ROOT, startOffline } from '../../scripts/local-stack.js';
import { TEST_ENV } from '../support/env.js';
import { GOOD_PASSWORD, uniqueEmail } from '../support/http.js';

const START = path.join(PROJECT_ROOT, 'dist', 'scripts', 'start.js');
const READY = 'Stop:  Ctrl-C';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Every process below `pid`, with its command line. */
function descendantsOf(pid: number): Array<{ pid: number; args: string }> {
  const out = spawnSync('ps', ['-e', '-o', 'pid=,ppid=,args='], { encoding: 'utf8' }).stdout;
  const all = out
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => {
      const [p, pp, ...rest] = line.trim().split(/\s+/);
      return { pid: Number(p), ppid: Number(pp), args: rest.join(' ') };
    });
  const found: Array<{ pid: number; args: string }> = [];
  const walk = (parent: number) => {
    for (const child of all.filter((p) => p.ppid === parent)) {
      found.push({ pid: child.pid, args: child.args });
      walk(child.pid);
    }
  };
  walk(pid);
  return found;
}

/** The environment of a user who runs `npm start` with no DynamoDB of their own. */
function userEnv(port: number, more: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, PORT: String(port), DYNAMODB_ENDPOINT: '', HASHERS_BCRYPT_COST: '4', ADMIN_API_KEY: '', LOG_LEVEL: 'warn', ...more };
}

interface Started {
  child: ChildProcess;
  output: () => string;
}

async function startUntilReady(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Started> {
  const child = spawn(command, args, { cwd: PROJECT_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const deadline = Date.now() + 120_000;
  while (!output.includes(READY) && Date.now() < deadline && child.exitCode === null) {
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  if (!output.includes(READY)) throw new Error(`npm start did not get ready:\n${output}`);
  return { child, output: () => output };
}

/** Sends SIGTERM to `pid` and expects it and everything it started to be gone. */
async function expectStopsCompletely(started: Started, pid: number, port: number): Promise<number | null> {
  const processes = descendantsOf(pid);
  expect(processes.some((p) => p.args.includes('DynamoDBLocal.jar'))).toBe(true);
  expect(processes.some((p) => p.args.includes('offline start'))).toBe(true);
  expect(processes.some((p) => p.args.includes('maildev'))).toBe(true); // the local inbox
  expect(processes.some((p) => p.args.includes('courier-local'))).toBe(true);
  process.kill(pid, 'SIGTERM');
  // A process manager waits about this long before it gives up on a service (systemd's default is 90 s).
  const code = await new Promise<number | null | 'still running'>((resolve) => {
    if (started.child.exitCode !== null) return resolve(started.child.exitCode);
    const timer = setTimeout(() => resolve('still running'), 20_000);
    started.child.once('exit', (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  // Children get a moment to go after their parent.
  const deadline = Date.now() + 10_000;
  while (processes.some((p) => alive(p.pid)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  const left = processes.filter((p) => alive(p.pid));
  for (const p of left) process.kill(p.pid, 'SIGKILL'); // never leave them to the next test
  expect(left.map((p) => p.args.slice(0, 80))).toEqual([]);
  expect(code).not.toBe('still running');
  await expect(fetch(`http://127.0.0.1:${port}/health/alive`)).rejects.toThrow();
  return code as number | null;
}

async function post(base: string, path: string, body: unknown) {
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as any };
}

async function flowId(base: string, flow: 'registration' | 'login'): Promise<string> {
  return ((await (await fetch(`${base}/self-service/${flow}/api`)).json()) as { id: string }).id;
}

describe('npm start', () => {
  it('serves the API and says how to use it; data in a relative DYNAMODB_LOCAL_PATH survives a restart; SIGTERM to the launcher or to npm leaves nothing', async () => {
    // Relative to where the user ran npm start (npm's INIT_CWD), created when missing.
    const from = mkdtempSync(path.join(tmpdir(), 'kratos-start-'));
    const port = await freePort();
    // Breached-password lookups on (Kratos's default) against a range API that cannot be reached, as offline.
    const unreachable = `127.0.0.1:${await freePort()}`;
    const env = userEnv(port, {
      INIT_CWD: from,
      DYNAMODB_LOCAL_PATH: './data/local',
      SELFSERVICE_METHODS_PASSWORD_CONFIG_HAVEIBEENPWNED_ENABLED: 'true',
      SELFSERVICE_METHODS_PASSWORD_CONFIG_HAVEIBEENPWNED_HOST: unreachable,
    });
    const base = `http://127.0.0.1:${port}`;
    const email = uniqueEmail('persisted');
    try {
      const first = await startUntilReady(process.execPath, [START], env);
      expect(first.output()).toContain(`identity API on ${base}`);
      expect(first.output()).toContain(`curl -s ${base}/self-service/registration/api`);
      expect(first.output()).toMatch(/Admin: curl .*Authorization: Bearer [A-Za-z0-9_-]{32}/);
      expect(first.output()).toContain(`(data in ${path.join(from, 'data', 'local')})`);
      expect(existsSync(path.join(from, 'data', 'local'))).toBe(true);
      // No COURIER_SMTP_CONNECTION_URI: a local inbox, its web UI's address printed, a page a browser can open.
      const inboxUrl = /Mail: {2}(http:\/\/127\.0\.0\.1:\d+\/)/.exec(first.output())?.[1];
      expect(inboxUrl).toBeDefined();
      const inboxPage = await fetch(inboxUrl!, { headers: { accept: 'text/html' } });
      expect([inboxPage.status, await inboxPage.text()]).toEqual([200, expect.stringContaining('MailDev')]);
      const registered = await post(base, `/self-service/registration?flow=${await flowId(base, 'registration')}`, {
        method: 'password',
        password: GOOD_PASSWORD,
        traits: { email },
      });
      expect(registered.status).toBe(200);
      // Without the range API registrations go on; the failure is logged once by the worker, not per request.
      const again = await post(base, `/self-service/registration?flow=${await flowId(base, 'registration')}`, {
        method: 'password',
        password: GOOD_PASSWORD,
        traits: { email: uniqueEmail('offline') },
      });
      expect(again.status).toBe(200);
      expect(first.output().split('breached-password lookup failed').length - 1).toBe(1);
      expect(await expectStopsCompletely(first, first.child.pid!, port)).toBe(0);
      await expect(fetch(inboxUrl!)).rejects.toThrow(); // the inbox stopped with the launcher

      // The second time as a process manager runs it: `npm start` (the machine's npm on the project's Node), which
      // execs into the launcher, so a SIGTERM to npm itself stops everything. npm sets INIT_CWD itself: the same
      // folder, given absolute.
      const second = await startUntilReady('npm', ['start', '--silent'], { ...env, DYNAMODB_LOCAL_PATH: path.join(from, 'data', 'local') });
      const login = await post(base, `/self-service/login?flow=${await flowId(base, 'login')}`, { method: 'password', identifier: email, password: GOOD_PASSWORD });
      expect(login.status).toBe(200);
      expect(login.json.session.identity.id).toBe(registered.json.identity.id);
      await expectStopsCompletely(second, second.child.pid!, port);
    } finally {
      rmSync(from, { recursive: true, force: true });
    }
  }, 240_000);

  it('leaves nothing running when SIGTERM comes while serverless-offline is still starting', async () => {
    // (Every child is recorded the moment it is spawned, DynamoDB Local and the inbox as serverless-offline.)
    const marker = 'offline start';
    const port = await freePort();
    const child = spawn(process.execPath, [START], { cwd: PROJECT_ROOT, env: userEnv(port), stdio: 'ignore' });
    const seen = new Map<number, string>();
    const look = () => {
      for (const p of descendantsOf(child.pid!)) seen.set(p.pid, p.args);
    };
    const deadline = Date.now() + 60_000;
    while (![...seen.values()].some((args) => args.includes(marker)) && Date.now() < deadline) {
      look();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect([...seen.values()].some((args) => args.includes(marker))).toBe(true);
    child.kill('SIGTERM');
    // Whatever it starts until it is gone counts too.
    while (child.exitCode === null && child.signalCode === null && Date.now() < deadline + 30_000) {
      look();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const grace = Date.now() + 10_000;
    while ([...seen.keys()].some(alive) && Date.now() < grace) await new Promise((resolve) => setTimeout(resolve, 100));
    const left = [...seen].filter(([pid]) => alive(pid));
    for (const [pid] of left) process.kill(pid, 'SIGKILL');
    expect(left.map(([, args]) => args.slice(0, 80))).toEqual([]);
    await expect(fetch(`http://127.0.0.1:${port}/health/alive`)).rejects.toThrow();
  }, 120_000);

  it.each([
    ['HASHERS_BCRYPT_COST', 'abc', 'HASHERS_BCRYPT_COST must be a whole number from 4 to 31, got "abc"'],
    ['ADMIN_API_KEY', 'short', 'ADMIN_API_KEY must be at least 32 characters without spaces'],
    ['SESSION_LIFESPAN', 'forever', 'SESSION_LIFESPAN must be a positive duration such as "1h", "30m" or "90s", got "forever"'],
    ['TRACING_PROVIDER', 'bogus', 'TRACING_PROVIDER must be one of jaeger, otel, zipkin, console (or unset), got "bogus"'],
    ['TRACING_PROVIDERS_OTLP_SERVER_URL', 'not a host', 'TRACING_PROVIDERS_OTLP_SERVER_URL must be host:port'],
    ['LOG_LEVEL', 'chatty', 'LOG_LEVEL must be one of debug, info, warn, error, silent, got "chatty"'],
    ['PORT', '99999', 'PORT must be a whole number from 1 to 65535, got "99999"'],
    ['SECRETS_COOKIE', 'too-short', 'SECRETS_COOKIE must list secrets of at least 16 characters each'],
    ['IDENTITY_SCHEMAS', '[{"id":"people","url":"file://./no/such.schema.json"}]', 'IDENTITY_SCHEMAS: schema "people" could not be read'],
    ['SELFSERVICE_METHODS_PASSKEY_ENABLED', 'true', 'SELFSERVICE_METHODS_PASSKEY_CONFIG_RP_ID is required when SELFSERVICE_METHODS_PASSKEY_ENABLED=true'],
    ['SELFSERVICE_METHODS_WEBAUTHN_CONFIG_RP_ORIGINS', 'https://id.example.com/login', 'SELFSERVICE_METHODS_WEBAUTHN_CONFIG_RP_ORIGINS must list origins such as https://example.com'],
    [
      'IDENTITY_SCHEMAS',
      `[{"id":"people","url":"base64://${Buffer.from('{"type":"object","properties":{"traits":{"type":"object","properties":{"email":{"type":"string"}}}}}').toString('base64')}"}]`,
      'IDENTITY_SCHEMAS: identity schema "people" marks no trait as a password identifier',
    ],
    [
      'IDENTITY_SCHEMAS',
      `[{"id":"people","url":"base64://${Buffer.from('{"type":"object","properties":{"traits":{"type":"object","properties":{"email":{"type":"strnig","ory.sh/kratos":{"credentials":{"password":{"identifier":true}}}}}}}}').toString('base64')}"}]`,
      'IDENTITY_SCHEMAS: identity schema "people" does not compile',
    ],
  ])('refuses %s=%s before starting anything, in one line naming it', (name, value, message) => {
    const result = spawnSync(process.execPath, [START], { cwd: PROJECT_ROOT, env: userEnv(4433, { [name]: value }), encoding: 'utf8', timeout: 20_000 });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringContaining(message)]);
    expect(result.stdout).not.toContain('DynamoDB Local');
  });

  it('refuses a port already in use within seconds, before Java starts', async () => {
    const server: Server = createServer();
    const port = await new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
    try {
      const started = Date.now();
      const result = spawnSync(process.execPath, [START], { cwd: PROJECT_ROOT, env: userEnv(port), encoding: 'utf8', timeout: 20_000 });
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(result.status).toBe(1);
      expect(result.stderr.trim().split('\n')).toEqual([`npm start: Port ${port} on 127.0.0.1 is already in use: stop what listens there, or set PORT to another port.`]);
      expect(result.stdout).not.toContain('DynamoDB Local');
    } finally {
      server.close();
    }
  });

  it('says how to go on without Java 17+', async () => {
    const port = await freePort();
    // A PATH with node but no java on it.
    const bin = mkdtempSync(path.join(tmpdir(), 'no-java-'));
    symlinkSync(process.execPath, path.join(bin, 'node'));
    try {
      const result = spawnSync(process.execPath, [START], {
        cwd: PROJECT_ROOT,
        env: { PATH: bin, HOME: process.env.HOME ?? '/tmp', PORT: String(port) },
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('needs Java 17 or newer');
      expect(result.stderr).toContain('DYNAMODB_ENDPOINT');
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});

describe('serverless-offline, given a bad value the launcher would have refused', () => {
  it('answers 500 in Kratos’s envelope, never HTTP 200 with a stack trace', async () => {
    const port = await freePort();
    const offline = await startOffline({ port, env: { ...TEST_ENV, LOG_LEVEL: 'silent', HASHERS_BCRYPT_COST: 'abc' } });
    try {
      for (const route of ['/health/alive', '/self-service/login/api', '/admin/version']) {
        const res = await fetch(`${offline.baseUrl}${route}`);
        const text = await res.text();
        expect([route, res.status]).toEqual([route, 500]);
        expect(JSON.parse(text)).toEqual({
          error: { code: 500, status: 'Internal Server Error', message: 'An internal server error occurred, please contact the system administrator' },
        });
        expect(text).not.toMatch(/stackTrace|errorMessage|at .*\.js/);
      }
    } finally {
      await offline.stop();
    }
  }, 120_000);
});
