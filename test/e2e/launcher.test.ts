/**
 * `npm start`'s launcher as a user runs it: it starts DynamoDB Local and serverless-offline, says where,
 * and leaves no process behind when stopped; without Java it says what to do instead.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../scripts/dynamodb-local.js';
import { PROJECT_ROOT } from '../../scripts/local-stack.js';

const START = path.join(PROJECT_ROOT, 'dist', 'scripts', 'start.js');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The processes a parent started, with their command lines. */
function childrenOf(pid: number): Array<{ pid: number; args: string }> {
  const out = spawnSync('ps', ['-o', 'pid=,args=', '--ppid', String(pid)], { encoding: 'utf8' }).stdout;
  return out
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => {
      const [first, ...rest] = line.trim().split(/\s+/);
      return { pid: Number(first), args: rest.join(' ') };
    });
}

describe('npm start', () => {
  it('serves the API, prints the base URL and a first request, and SIGTERM leaves no Java or serverless behind', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, [START], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, PORT: String(port), DYNAMODB_ENDPOINT: '', HASHERS_BCRYPT_COST: '4', ADMIN_API_KEY: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const deadline = Date.now() + 90_000;
    while (!output.includes('Stop:  Ctrl-C') && Date.now() < deadline && child.exitCode === null) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(output).toContain(`identity API on http://127.0.0.1:${port}`);
    expect(output).toContain(`curl -s http://127.0.0.1:${port}/self-service/registration/api`);
    expect(output).toMatch(/Admin: curl .*Authorization: Bearer [A-Za-z0-9_-]{32}/);
    expect((await fetch(`http://127.0.0.1:${port}/self-service/registration/api`)).status).toBe(200);

    const started = childrenOf(child.pid!);
    expect(started.some((p) => p.args.includes('DynamoDBLocal.jar'))).toBe(true);
    expect(started.some((p) => p.args.includes('offline start'))).toBe(true);

    child.kill('SIGTERM');
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
    for (const process of started) expect([process.args.slice(0, 60), alive(process.pid)]).toEqual([process.args.slice(0, 60), false]);
    await expect(fetch(`http://127.0.0.1:${port}/health/alive`)).rejects.toThrow();
  }, 120_000);

  it('says how to go on without Java 17+', () => {
    // A PATH with node but no java on it.
    const bin = mkdtempSync(path.join(tmpdir(), 'no-java-'));
    symlinkSync(process.execPath, path.join(bin, 'node'));
    try {
      const result = spawnSync(process.execPath, [START], {
        cwd: PROJECT_ROOT,
        env: { PATH: bin, HOME: process.env.HOME ?? '/tmp', PORT: '1' },
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
