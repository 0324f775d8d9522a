/**
 * `npm start`'s local inbox when no COURIER_SMTP_CONNECTION_URI is set: MailDev (the `maildev` package), an SMTP
 * server that keeps every mail the courier sends and shows it in a web UI. Started and stopped by the launcher like
 * DynamoDB Local; it listens on 127.0.0.1 only.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './dynamodb-local.js';
import { stopProcess, track } from './processes.js';

export interface RunningInbox {
  /** The web UI, for a person to open. */
  webUrl: string;
  /** What the courier is given: smtp://127.0.0.1:<port>/?disable_starttls=true */
  connectionUri: string;
  pid: number;
  stop(): Promise<void>;
}

/** `preferred` when nothing listens there, else any free port (a second `npm start` still gets an inbox). */
async function portFor(preferred: number): Promise<number> {
  const free = await new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(preferred, '127.0.0.1', () => server.close(() => resolve(true)));
  });
  return free ? preferred : freePort();
}

export async function startLocalInbox(): Promise<RunningInbox> {
  // maildev exports only its ES module entry (dist/index.js); its command sits beside it.
  const bin = path.join(path.dirname(fileURLToPath(import.meta.resolve('maildev'))), 'bin', 'maildev.js');
  const webPort = await portFor(1080);
  const smtpPort = await portFor(1025);
  const child = spawn(process.execPath, [bin, '--smtp', String(smtpPort), '--web', String(webPort), '--ip', '127.0.0.1', '--web-ip', '127.0.0.1'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  let output = '';
  const collect = (chunk: Buffer) => void (output = (output + chunk.toString()).slice(-4000));
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const webUrl = `http://127.0.0.1:${webPort}/`;
  const stop = () => stopProcess(child);
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the local inbox (MailDev) exited with code ${child.exitCode}:\n${output}`);
    try {
      const res = await fetch(`${webUrl}api/healthz`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.ok) break;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the local inbox (MailDev) did not answer on ${webUrl} within 30 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { webUrl, connectionUri: `smtp://127.0.0.1:${smtpPort}/?disable_starttls=true`, pid: child.pid!, stop };
}
