/**
 * The local stack: DynamoDB Local (unless DYNAMODB_ENDPOINT points elsewhere), the table, and
 * serverless-offline serving every function. Shared by `npm start` and the end-to-end tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ServiceUnavailableError } from '../lib/errors/index.js';
import { createDynamoClient, translateStorageError } from '../lib/store/dynamodb/client.js';
import { ensureTable } from '../lib/store/dynamodb/table.js';
import { freePort, startDynamoDbLocal, type RunningDynamoDb } from './dynamodb-local.js';
import { startGateway, type RunningGateway } from './local-gateway.js';
import { isRunning, stopProcess, track } from './processes.js';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface OfflineOptions {
  port: number;
  env: Record<string, string | undefined>;
  /** Where serverless-offline's output goes ('inherit' for npm start). */
  stdio?: 'inherit' | 'pipe';
  /** Also append all of its output to this file (tests scan every log line for secrets). */
  logFile?: string;
}

export interface RunningOffline {
  baseUrl: string;
  process: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

function serverlessBin(): string {
  const pkg = createRequire(import.meta.url).resolve('serverless/package.json');
  return path.join(path.dirname(pkg), 'bin', 'serverless.js');
}

export async function waitForHttp(url: string, timeoutMs: number, alive: () => boolean, output: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive()) throw new Error(`serverless-offline exited before serving ${url}:\n${output()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  throw new Error(`serverless-offline did not serve ${url} within ${timeoutMs} ms:\n${output()}`);
}

/**
 * Runs `serverless offline start` from the project root with the given environment, on an internal port, behind the
 * local gateway (local-gateway.ts) on `port`: what callers reach answers failures and bursts as API Gateway would.
 */
export async function startOffline(options: OfflineOptions): Promise<RunningOffline> {
  const lambdaPort = await freePort();
  const internalPort = await freePort();
  const child = spawn(process.execPath, [serverlessBin(), 'offline', 'start'], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      ...options.env,
      HOST: '127.0.0.1',
      PORT: String(internalPort),
      OFFLINE_LAMBDA_PORT: String(lambdaPort),
      SLS_TELEMETRY_DISABLED: '1',
      SLS_NOTIFICATIONS_MODE: 'off',
    },
    stdio: ['ignore', options.stdio ?? 'pipe', options.stdio ?? 'pipe'],
    detached: true,
  });
  track(child, { group: true });
  let output = '';
  const log = options.logFile ? createWriteStream(options.logFile, { flags: 'a' }) : undefined;
  const collect = (chunk: Buffer | string) => {
    output = (output + chunk.toString()).slice(-20000);
    if (log && !log.writableEnded) log.write(chunk);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  child.once('exit', () => log?.end());
  const internalUrl = `http://127.0.0.1:${internalPort}`;
  const alive = () => isRunning(child);
  let gateway: RunningGateway | undefined;
  // The whole group: serverless and anything it started; then the gateway.
  const stop = async () => {
    await gateway?.close();
    await stopProcess(child, { group: true });
  };
  try {
    await waitForHttp(`${internalUrl}/health/alive`, 60_000, alive, () => output);
    gateway = await startGateway({
      host: options.env.HOST ?? process.env.HOST ?? '127.0.0.1',
      port: options.port,
      upstream: internalUrl,
      log: (line) => {
        if (options.stdio === 'inherit') console.error(line);
        else collect(`${line}\n`);
      },
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { baseUrl: `http://127.0.0.1:${options.port}`, process: child, output: () => output, stop };
}

export interface CourierOptions {
  env: Record<string, string | undefined>;
  /** Also append all of its output to this file. */
  logFile?: string;
  /** 'inherit' shows its log lines (npm start). */
  stdio?: 'inherit' | 'pipe';
}

export interface RunningCourier {
  process: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Starts the local courier (dist/scripts/courier-local.js): the courier function's handler, sweeping the queue. */
export async function startCourier(options: CourierOptions): Promise<RunningCourier> {
  const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'dist', 'scripts', 'courier-local.js')], {
    cwd: PROJECT_ROOT,
    // Named as serverless names the deployed courier (its spans' faas.name, as under serverless-offline).
    env: { AWS_LAMBDA_FUNCTION_NAME: 'kratos-lambda-local-courier', ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  track(child);
  let started = false;
  child.on('message', (message) => void (started ||= message === 'started'));
  let output = '';
  const log = options.logFile ? createWriteStream(options.logFile, { flags: 'a' }) : undefined;
  const collect = (to: NodeJS.WriteStream) => (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20000);
    log?.write(chunk);
    if (options.stdio === 'inherit') to.write(chunk);
  };
  child.stdout?.on('data', collect(process.stdout));
  child.stderr?.on('data', collect(process.stderr));
  child.once('exit', () => log?.end());
  const alive = () => isRunning(child);
  const stop = () => stopProcess(child);
  const deadline = Date.now() + 30_000;
  while (!started) {
    if (!alive()) throw new Error(`the local courier exited before it started:\n${output}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the local courier did not start within 30 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { process: child, output: () => output, stop };
}

export interface LocalDatabase {
  endpoint: string;
  tableName: string;
  /** Set when this stack started DynamoDB Local itself. */
  dynamo?: RunningDynamoDb;
  stop(): Promise<void>;
}

/** DYNAMODB_ENDPOINT if set, else a fresh DynamoDB Local; then the table. */
export async function startDatabase(env: Record<string, string | undefined>): Promise<LocalDatabase> {
  const tableName = env.DYNAMODB_TABLE_NAME || 'kratos';
  let dynamo: RunningDynamoDb | undefined;
  let endpoint = env.DYNAMODB_ENDPOINT;
  if (!endpoint) {
    dynamo = await startDynamoDbLocal({
      port: env.DYNAMODB_LOCAL_PORT ? Number(env.DYNAMODB_LOCAL_PORT) : undefined,
      dataPath: env.DYNAMODB_LOCAL_PATH || undefined,
    });
    endpoint = dynamo.endpoint;
  }
  const client = createDynamoClient({ endpoint, tableName, region: env.AWS_REGION || 'us-east-1' });
  try {
    // Another DynamoDB (LocalStack in a container) may still be starting: wait for it, within reason.
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        await ensureTable(client, tableName);
        break;
      } catch (error) {
        const unreachable = translateStorageError(error) instanceof ServiceUnavailableError && !(error instanceof Error && error.name === 'ResourceNotFoundException');
        if (!unreachable || Date.now() > deadline) throw error;
        console.log(`Waiting for DynamoDB at ${endpoint}...`);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  } catch (error) {
    await dynamo?.stop();
    throw error;
  } finally {
    client.destroy();
  }
  return { endpoint, tableName, dynamo, stop: async () => dynamo?.stop() };
}
